/**
 * What follows a write to a task item: its events are stored (one item each, SPEC §11) and handed
 * to the sinks (event callbacks, the EventBridge bus). Deployed, the table's stream calls
 * `written` for every write (functions/event-stream.ts); locally, the store decorator below calls
 * it after the write, in the request, and recovery completes what a dying process left.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { ReservationStateError } from '../domain/errors.ts';
import { eventsOf, eventsOfWrite, type TaskRouterEvent } from '../domain/taskrouter-events.ts';
import type { TaskRecord } from '../domain/task.ts';
import type {
  ApplyAction,
  MarkOutcome,
  NewReservation,
  Observation,
  RecordOutcome,
  ReservationStore,
  TaskScope,
  UpstreamRecords,
  WorkerScope,
} from '../store/store.ts';
import type { DynamoDbEventStore } from './event-store.ts';

/** Where stored events go next. A sink must not fail or slow the write it follows: it queues. */
export interface EventSink {
  readonly name: string;
  deliver(events: readonly TaskRouterEvent[]): Promise<void>;
}

export class EventRecorder {
  constructor(
    private readonly store: Pick<DynamoDbEventStore, 'putAll' | 'putMissing'>,
    private readonly sinks: readonly EventSink[],
    private readonly logger: Logger,
  ) {}

  /** The events of one write, stored, then delivered. Returns them. */
  async written(task: TaskRecord): Promise<TaskRouterEvent[]> {
    const events = eventsOfWrite(task);
    if (events.length === 0) return events;
    await this.store.putAll(events);
    await this.#deliver(events);
    return events;
  }

  /**
   * Every event of the tasks' writes so far that is not stored yet (a process died between a
   * write and its events), stored and delivered. A repeat of a request and the local start-up
   * sweep call it. Derived as of each task's last write, not now: a timeout that no write has
   * revealed yet belongs to the write that will (its timer's, most likely), not to recovery.
   */
  async recover(tasks: readonly TaskRecord[]): Promise<TaskRouterEvent[]> {
    const added = await this.store.putMissing(tasks.flatMap((task) => eventsOf(task, task.writtenAt)));
    if (added.length > 0) {
      this.logger.warn('events recovered', { count: added.length });
      await this.#deliver(added);
    }
    return added;
  }

  async #deliver(events: readonly TaskRouterEvent[]): Promise<void> {
    for (const sink of this.sinks) await sink.deliver(events);
  }
}

/**
 * The store port with events, as the local stack runs it (dynalite has no streams): each write
 * to a task item is followed, in the same request, by its events; a request that finds its change
 * already made (a repeat) first completes that change's events.
 */
export class EventEmittingStore implements ReservationStore, UpstreamRecords {
  constructor(
    private readonly inner: ReservationStore & UpstreamRecords,
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

  async markForward(input: ApplyAction, markId: string): Promise<MarkOutcome | undefined> {
    const outcome = await this.inner.markForward(input, markId);
    if (outcome?.taken) await this.recorder.written(outcome.task);
    return outcome;
  }

  async recordObserved(observation: Observation) {
    const recorded = await this.inner.recordObserved(observation);
    if (recorded?.written) await this.recorder.written(recorded.task);
    return recorded;
  }

  async clearForward(scope: TaskScope, markId: string, now: number): Promise<TaskRecord | undefined> {
    const task = await this.inner.clearForward(scope, markId, now);
    if (task) await this.recorder.written(task);
    return task;
  }

  async recordTaskCanceled(scope: TaskScope, reason: string, now: number): Promise<TaskRecord | undefined> {
    const before = await this.inner.getTask(scope);
    const task = await this.inner.recordTaskCanceled(scope, reason, now);
    if (task && task.writtenAt !== before?.writtenAt) await this.recorder.written(task);
    return task;
  }

  forwardsBefore = (before: number, limit: number) => this.inner.forwardsBefore(before, limit);
  indexWorkerReservation: ReservationStore['indexWorkerReservation'] = (task, reservation) => this.inner.indexWorkerReservation(task, reservation);
  getTask = (scope: TaskScope) => this.inner.getTask(scope);
  findWorkerReservation = (scope: WorkerScope, reservationSid: string) => this.inner.findWorkerReservation(scope, reservationSid);
  workerReservations: ReservationStore['workerReservations'] = (scope) => this.inner.workerReservations(scope);
  setWorkerActivity = (scope: WorkerScope, activitySid: string, at: number) => this.inner.setWorkerActivity(scope, activitySid, at);
  getWorker = (scope: WorkerScope) => this.inner.getWorker(scope);
}
