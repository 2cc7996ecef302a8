/**
 * What follows a write to a task item: its events are stored (one item each) and handed to the
 * sinks (event callbacks, the EventBridge bus). Deployed, the table's stream calls `written` for
 * every write (functions/publish-events.ts); locally, the decorators below call it after the write,
 * in the request, and recovery completes what a dying process left.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { ReservationStateError, TaskStateError } from '../domain/errors.ts';
import type { TaskScope, WorkerScope, WorkspaceScope } from '../domain/scope.ts';
import { eventsOf, eventsOfWrite, workerEventsOf, type TaskRouterEvent, type WorkerAttributesOf, type WorkerChange } from '../domain/events.ts';
import type { WorkerWrite } from '../domain/worker.ts';
import type { TaskRecord } from '../domain/task.ts';
import type { ApplyAction, NewReservation, NewReservationLink, RecordOutcome, TaskChange, TaskStore, WorkerStore } from '../reservations/ports.ts';
import type { ForwardMarks, MarkOutcome, ObservedOutcome, ObservedRecords, UnmarkedWriteOutcome, Observation, WorkerForwardMarks } from '../upstream/ports.ts';
import type { EventSink, EventStore, ReservationWorkers } from './ports.ts';

export class EventRecorder {
  constructor(
    private readonly store: Pick<EventStore, 'putAll' | 'missing' | 'putNew'>,
    private readonly workers: ReservationWorkers,
    private readonly sinks: readonly EventSink[],
    private readonly logger: Logger,
  ) {}

  /** The events of one write, stored, then delivered. Returns them. */
  async written(task: TaskRecord): Promise<TaskRouterEvent[]> {
    const bare = eventsOfWrite(task);
    if (bare.length === 0) return bare;
    const events = eventsOfWrite(task, await this.#attributes(task, bare));
    await this.store.putAll(events);
    await this.#deliver(events);
    return events;
  }

  /** The events of one worker change (a Worker update, a rule's move), stored, then delivered. Returns them. */
  async workerChanged(change: WorkerChange): Promise<TaskRouterEvent[]> {
    const events = workerEventsOf(change);
    if (events.length === 0) return events;
    await this.store.putAll(events);
    await this.#deliver(events);
    return events;
  }

  /** The worker attributes of the reservations these events of `task` are about. */
  async #attributes(task: TaskRecord, events: readonly TaskRouterEvent[]): Promise<WorkerAttributesOf> {
    const reservations = new Map<string, { workerSid: string; reservationSid: string }>();
    for (const e of events)
      if (e.reservationSid !== undefined && e.workerSid !== undefined)
        reservations.set(e.reservationSid, { workerSid: e.workerSid, reservationSid: e.reservationSid });
    if (reservations.size === 0) return () => undefined;
    const attributes = await this.workers.attributesOf(task, [...reservations.values()]);
    return (reservation) => attributes.get(reservation.sid);
  }

  /**
   * Every event of the tasks' writes so far that is not stored yet (a process died between a
   * write and its events), stored and delivered. A repeat of a request and the local start-up
   * sweep call it. Derived as of each task's last write, not now: a timeout that no write has
   * revealed yet belongs to the write that will (its timer's, most likely), not to recovery.
   */
  async recover(tasks: readonly TaskRecord[]): Promise<TaskRouterEvent[]> {
    const derived = tasks.map((task) => ({ task, events: eventsOf(task, task.writtenAt) }));
    const missing = new Set((await this.store.missing(derived.flatMap((d) => d.events))).map((e) => e.sid));
    const added: TaskRouterEvent[] = [];
    for (const { task, events } of derived) {
      const lost = events.filter((e) => missing.has(e.sid));
      if (lost.length === 0) continue;
      const complete = eventsOf(task, task.writtenAt, await this.#attributes(task, lost)).filter((e) => missing.has(e.sid));
      added.push(...(await this.store.putNew(complete)));
    }
    if (added.length > 0) {
      this.logger.warn('events recovered', { count: added.length });
      await this.#deliver(added);
    }
    return added;
  }

  /** The events of worker changes a dying process may not have stored: stored and delivered if missing. */
  async recoverWorkers(changes: readonly WorkerChange[]): Promise<TaskRouterEvent[]> {
    const events = changes.flatMap(workerEventsOf);
    if (events.length === 0) return events;
    const missing = new Set((await this.store.missing(events)).map((e) => e.sid));
    const added = await this.store.putNew(events.filter((e) => missing.has(e.sid)));
    if (added.length > 0) {
      this.logger.warn('worker events recovered', { count: added.length });
      await this.#deliver(added);
    }
    return added;
  }

  async #deliver(events: readonly TaskRouterEvent[]): Promise<void> {
    for (const sink of this.sinks) await sink.deliver(events);
  }
}

/**
 * The task store with events, as the local stack runs it (dynalite has no streams): each write
 * to a task item is followed, in the same request, by its events; a request that finds its change
 * already made (a repeat) first completes that change's events.
 */
export class EventEmittingTasks implements TaskStore, ObservedRecords {
  constructor(
    private readonly inner: TaskStore & ObservedRecords,
    private readonly recorder: EventRecorder,
  ) {}

  async recordReservation(input: NewReservation, at: number): Promise<{ outcome: RecordOutcome; task: TaskRecord }> {
    const result = await this.inner.recordReservation(input, at);
    if (result.outcome === 'created') await this.recorder.written(result.task);
    if (result.outcome === 'repeated') await this.recorder.recover([result.task]);
    return result;
  }

  async applyAction(input: ApplyAction): Promise<TaskRecord | undefined> {
    let task: TaskRecord | undefined;
    try {
      task = await this.inner.applyAction(input);
    } catch (error) {
      // Refused, perhaps because this very change was made by an attempt that died before its events.
      if (error instanceof ReservationStateError) {
        const current = await this.inner.getTask(input.scope);
        if (current) await this.recorder.recover([current]);
      }
      throw error;
    }
    if (task) await this.recorder.written(task);
    return task;
  }

  async changeTask(change: TaskChange): Promise<TaskRecord | undefined> {
    let task: TaskRecord | undefined;
    try {
      task = await this.inner.changeTask(change);
    } catch (error) {
      // Refused, perhaps because this very cancellation was made by an attempt that died before its events.
      if (error instanceof TaskStateError) {
        const current = await this.inner.getTask(change.scope);
        if (current) await this.recorder.recover([current]);
      }
      throw error;
    }
    // A confirmed change (connected) may be recorded by a settlement that finds it recorded already
    // by an attempt that died before its events: complete the task's events rather than the last write's.
    if (task && change.markId !== undefined) await this.recorder.recover([task]);
    else if (task) await this.recorder.written(task);
    return task;
  }

  async recordObserved(observation: Observation): Promise<ObservedOutcome> {
    return this.#emit(await this.inner.recordObserved(observation));
  }

  async recordTaskCanceled(scope: TaskScope, reason: string, now: number): Promise<ObservedOutcome> {
    return this.#emit(await this.inner.recordTaskCanceled(scope, reason, now));
  }

  async #emit(outcome: ObservedOutcome): Promise<ObservedOutcome> {
    if (outcome.kind === 'recorded') await this.recorder.written(outcome.task);
    // Recorded already, perhaps by an attempt that died before its events: every event of the task
    // so far (a cleared mark's write included) that is not stored yet is.
    else if (outcome.kind === 'already-recorded') await this.recorder.recover([outcome.task]);
    return outcome;
  }

  getTask = (scope: TaskScope) => this.inner.getTask(scope);
  getTasks = (scope: WorkspaceScope, taskSids: readonly string[]) => this.inner.getTasks(scope, taskSids);
}

/** The forward marks with events (a mark's write may be the first after a deadline: its timeout is that write's). */
export class EventEmittingMarks implements ForwardMarks {
  constructor(
    private readonly inner: ForwardMarks,
    private readonly recorder: EventRecorder,
  ) {}

  async markForward(input: ApplyAction, markId: string): Promise<MarkOutcome | undefined> {
    const outcome = await this.inner.markForward(input, markId);
    if (outcome?.taken) await this.recorder.written(outcome.task);
    return outcome;
  }

  async markTaskChange(change: TaskChange, markId: string): Promise<MarkOutcome | undefined> {
    const outcome = await this.inner.markTaskChange(change, markId);
    if (outcome?.taken) await this.recorder.written(outcome.task);
    return outcome;
  }

  async clearForward(scope: TaskScope, markId: string, now: number): Promise<TaskRecord | undefined> {
    const task = await this.inner.clearForward(scope, markId, now);
    if (task) await this.recorder.written(task);
    return task;
  }

  async deferForward(scope: TaskScope, markId: string, now: number): Promise<TaskRecord | undefined> {
    const task = await this.inner.deferForward(scope, markId, now);
    if (task) await this.recorder.written(task);
    return task;
  }

  forwardsBefore = (before: number, limit: number) => this.inner.forwardsBefore(before, limit);
}

/** The workers' store with events, locally: a write that changes a worker is followed, in the request, by its events. */
export class EventEmittingWorkers {
  constructor(
    private readonly inner: WorkerStore & ReservationWorkers & WorkerForwardMarks,
    private readonly recorder: EventRecorder,
  ) {}

  async writeWorker(write: WorkerWrite): Promise<boolean> {
    const written = await this.inner.writeWorker(write);
    if (written && write.change) await this.recorder.workerChanged({ ...write.scope, ...write.change });
    return written;
  }

  /** A forwarded Worker update, confirmed: its events follow its record, as a local update's do. */
  async recordWorkerForward(write: WorkerWrite, markId: string): Promise<boolean> {
    const written = await this.inner.recordWorkerForward(write, markId);
    if (written && write.change) await this.recorder.workerChanged({ ...write.scope, ...write.change });
    return written;
  }

  /** Connected, a write no forward holds (a move TaskRouter made, the lifecycle's bookkeeping): its events follow, as a local update's do. */
  async writeUnlessMarked(write: WorkerWrite): Promise<UnmarkedWriteOutcome> {
    const outcome = await this.inner.writeUnlessMarked(write);
    if (outcome === 'written' && write.change) await this.recorder.workerChanged({ ...write.scope, ...write.change });
    return outcome;
  }

  markWorkerForward = (write: WorkerWrite, markId: string) => this.inner.markWorkerForward(write, markId);
  clearWorkerForward = (scope: WorkerScope, markId: string, now: number) => this.inner.clearWorkerForward(scope, markId, now);
  workerForwardsBefore = (before: number, limit: number) => this.inner.workerForwardsBefore(before, limit);
  deferWorkerForward = (scope: WorkerScope, markId: string, now: number) => this.inner.deferWorkerForward(scope, markId, now);

  linkReservation = (link: NewReservationLink) => this.inner.linkReservation(link);
  taskOfReservation = (scope: WorkerScope, reservationSid: string) => this.inner.taskOfReservation(scope, reservationSid);
  reservationLinks = (scope: WorkerScope) => this.inner.reservationLinks(scope);
  setActivity = (scope: WorkerScope, activitySid: string, at: number) => this.inner.setActivity(scope, activitySid, at);
  getWorker = (scope: WorkerScope) => this.inner.getWorker(scope);
  workerState = (scope: WorkerScope) => this.inner.workerState(scope);
  attributesOf = (scope: WorkspaceScope, reservations: readonly { readonly workerSid: string; readonly reservationSid: string }[]) =>
    this.inner.attributesOf(scope, reservations);
}
