/**
 * The lifecycle on the server: what follows each change of a reservation, by the rules of its
 * lifecycle rule (fixed when it was created), exactly once whoever made the change (an agent, a
 * timer, TaskRouter upstream) and whether or not a browser is open.
 *
 * It listens to this service's own events (locally in-process, deployed from the EventBridge bus)
 * and to its timers (EventBridge Scheduler deployed, in-process locally):
 * - the worker's activity after each outcome, multitasking-aware (a move to an available activity
 *   waits for the worker's last task) and never over the worker's own later choice;
 * - the wrap-up timer, which writes down a completion every read already reports;
 * - the attention timer, which flags a reservation held too long, sends the news once, and may
 *   complete it.
 * Every effect is idempotent: a move is recorded with the SID of the event that caused it, a timer
 * writes only what is due, and an event that no longer describes the reservation is stale.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Clock } from '../domain/clock.ts';
import { ConflictError, NotFoundError, ReservationStateError, UpstreamError, UpstreamUnsettledError } from '../domain/errors.ts';
import { STATUS_EVENTS, eventSid, type EventType } from '../domain/events.ts';
import type { LifecycleOutcome, LifecyclePolicy } from '../domain/lifecycle-policy.ts';
import type { DimensionValue } from '../telemetry/metrics.ts';
import type { Telemetry } from '../telemetry/telemetry.ts';
import type { TaskScope, WorkerScope, WorkspaceScope } from '../domain/scope.ts';
import type { ReservationStatus } from '../domain/state-machine.ts';
import { WRAP_UP_ELAPSED, effectiveStatus, findReservation, type ReservationRecord, type TaskRecord } from '../domain/task.ts';
import { REMEMBERED_MOVES, type WorkerWrite } from '../domain/worker.ts';
import type { ReservationUpdater, TaskStore, UpdateRequest, WorkerStore } from '../reservations/ports.ts';
import type { TimeoutEvent, TimeoutScheduler } from '../timeouts/scheduler.ts';
import type { AttentionItem, AttentionNotices, AttentionStore, WorkerWriter } from './ports.ts';
import { workerWriteOf } from './worker-updates.ts';

/** The outcome each reservation event reports, and the status the reservation is in while it still describes it. */
const OUTCOMES: Readonly<Partial<Record<EventType, { readonly outcome: LifecycleOutcome; readonly status: ReservationStatus }>>> = {
  'reservation.accepted': { outcome: 'accepted', status: 'accepted' },
  'reservation.wrapup': { outcome: 'wrapping', status: 'wrapping' },
  'reservation.completed': { outcome: 'completed', status: 'completed' },
  'reservation.rejected': { outcome: 'rejected', status: 'rejected' },
  'reservation.timeout': { outcome: 'timeout', status: 'timeout' },
  'reservation.canceled': { outcome: 'canceled', status: 'canceled' },
};

/** The statuses in which a reservation holds its worker. */
const HELD: readonly ReservationStatus[] = ['accepted', 'wrapping'];

/** Attempts of a worker write decided from a version that keeps moving. */
const MAX_ATTEMPTS = 8;

/** What a start-up resumes: reservations that changed this recently have their latest change handled again (a repeat is a no-op). */
export const RESUME_WINDOW_MS = 10 * 60_000;

/** Connected: how long a lifecycle completion TaskRouter has not confirmed waits before its timer tries again. */
export const RETRY_COMPLETION_MS = 60_000;

/** What the lifecycle acts on: one of this service's reservation events (its SID makes a repeat a no-op). */
export interface LifecycleTrigger {
  readonly sid: string;
  readonly type: EventType;
  readonly accountSid: string;
  readonly workspaceSid: string;
  readonly taskSid?: string;
  readonly reservationSid?: string;
}

/** What a wrap-up timer found. */
export type WrapUpOutcome = DimensionValue<'wrapUpTimers'>;

export type HandleOutcome =
  /** The policy has no lifecycle rules: nothing follows any event. */
  | 'no-rules'
  /** Not a reservation event the lifecycle acts on. */
  | 'ignored'
  | 'not-found'
  /** The reservation has moved on since (a late or repeated delivery): what follows the newer event is done by it. */
  | 'stale'
  /** The event's effects were applied before (a repeat). */
  | 'repeated'
  /** The worker was moved. */
  | 'moved'
  /** No move: none due, the worker's other work, or the worker's own later choice. Timers and bookkeeping done. */
  | 'kept';

export interface LifecycleOptions {
  readonly tasks: Pick<TaskStore, 'getTask' | 'getTasks' | 'applyAction'>;
  readonly workers: Pick<WorkerStore, 'workerState'>;
  readonly writer: WorkerWriter;
  /** Completions by a timer or an attention rule: one conditional write, or forwarded upstream (connected). */
  readonly updater: ReservationUpdater;
  readonly scheduler: TimeoutScheduler | undefined;
  readonly attention: AttentionStore;
  readonly notices: AttentionNotices;
  readonly policy: LifecyclePolicy;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Counts what wrap-up timers found (lib/telemetry/metrics.ts). */
  readonly telemetry?: Telemetry;
}

const reservationPath = (scope: TaskScope, reservationSid: string) =>
  `/v1/Workspaces/${scope.workspaceSid}/Tasks/${scope.taskSid}/Reservations/${reservationSid}`;

const completion = (reason: string, transition: 'complete' | 'expireWrapUp') => ({ transition, completedReason: reason }) as const;

export class LifecycleEngine {
  constructor(private readonly options: LifecycleOptions) {}

  get hasRules(): boolean {
    return this.options.policy.rules.length > 0;
  }

  get policy(): LifecyclePolicy {
    return this.options.policy;
  }

  /** What follows one event: timers armed, the worker moved (or its bookkeeping kept). */
  async handle(trigger: LifecycleTrigger): Promise<HandleOutcome> {
    if (!this.hasRules) return 'no-rules';
    const described = OUTCOMES[trigger.type];
    if (!described || trigger.taskSid === undefined || trigger.reservationSid === undefined) return 'ignored';
    const { tasks, policy, clock } = this.options;
    const scope: TaskScope = { accountSid: trigger.accountSid, workspaceSid: trigger.workspaceSid, taskSid: trigger.taskSid };
    const task = await tasks.getTask(scope);
    const reservation = task && findReservation(task, trigger.reservationSid);
    if (!task || !reservation) return 'not-found';
    const now = clock.now();
    const { outcome } = described;
    // The timers follow the stored status: an event handled late (after a wrap-up's deadline, say)
    // still arms the timer that writes down what reads already derive; arming twice is harmless.
    if (reservation.status === described.status) await this.#armTimers(task, reservation, outcome);
    if (effectiveStatus(task, reservation, now).status !== described.status) return 'stale';
    const rule = policy.rule(reservation.lifecycle);
    let activity = rule?.activities[outcome];
    // A rejection that named an activity, or a timeout that moved the worker itself, is not overridden.
    if ((outcome === 'rejected' || outcome === 'timeout') && reservation.activitySid !== undefined) activity = undefined;
    return this.#moveWorker(trigger.sid, task, reservation, activity, HELD.includes(described.status));
  }

  async #armTimers(task: TaskRecord, reservation: ReservationRecord, outcome: LifecycleOutcome): Promise<void> {
    const { scheduler, policy } = this.options;
    if (!scheduler) return;
    const keys = { accountSid: task.accountSid, workspaceSid: task.workspaceSid, taskSid: task.sid, reservationSid: reservation.sid };
    const rule = policy.rule(reservation.lifecycle);
    if (outcome === 'accepted' && rule?.attentionAfterSeconds !== undefined) {
      const since = reservation.history.accepted ?? task.acceptedAt ?? reservation.updatedAt;
      await scheduler.schedule({ ...keys, kind: 'attention', deadline: since + rule.attentionAfterSeconds * 1000 });
    }
    if (outcome === 'wrapping' && reservation.wrapUpDeadline !== undefined) {
      await scheduler.schedule({ ...keys, kind: 'wrap-up', deadline: reservation.wrapUpDeadline });
    }
  }

  /**
   * Moves the worker to `activity` (if any, and if due) and keeps its bookkeeping: which of its
   * reservations it holds, and this event's SID, in one write on the version it was decided from.
   */
  async #moveWorker(
    eventSidOf: string,
    task: TaskRecord,
    reservation: ReservationRecord,
    activity: string | undefined,
    holds: boolean,
  ): Promise<HandleOutcome> {
    const { workers, writer, policy, clock, logger } = this.options;
    const scope: WorkerScope = { accountSid: task.accountSid, workspaceSid: task.workspaceSid, workerSid: reservation.workerSid };
    const key = `${task.sid}/${reservation.sid}`;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const state = await workers.workerState(scope);
      if (!state) return 'not-found';
      const { worker, lifecycle } = state;
      if (lifecycle.moves.includes(eventSidOf)) return 'repeated';
      let held = lifecycle.held.filter((k) => k !== key);
      let target = activity;
      if (target !== undefined && policy.isAvailable(target)) {
        // Multitasking: the worker takes work again only when nothing else holds it.
        held = await this.#stillHeld(scope, held);
        if (held.length > 0) target = undefined;
      }
      // The worker's own later choice (a Worker update, a rejection's activity, a timeout, a move TaskRouter made) wins over a rule.
      const since = reservation.history.accepted ?? reservation.createdAt;
      if (target !== undefined && worker.activitySetBy !== null && worker.activitySetBy !== 'lifecycle' && (worker.activityChangedAt ?? 0) > since) {
        target = undefined;
      }
      if (holds) held = [...held, key];
      const now = clock.now();
      const move = target === undefined ? undefined : workerWriteOf(worker, { activitySid: target }, 'lifecycle', now);
      const sameHeld = held.length === lifecycle.held.length && held.every((k) => lifecycle.held.includes(k));
      // Nothing to move and nothing to keep: no write (the worker's version, and so its ETag, stays).
      if (move === undefined && sameHeld) return 'kept';
      const write: WorkerWrite = {
        ...(move ?? { scope, now, expectedVersion: worker.version }),
        lifecycle: { held, moves: move ? [...lifecycle.moves, eventSidOf].slice(-REMEMBERED_MOVES) : lifecycle.moves },
      };
      const request: UpdateRequest = {
        path: `/v1/Workspaces/${scope.workspaceSid}/Workers/${scope.workerSid}`,
        params: new Map(move ? [['ActivitySid', [target!]]] : []),
      };
      if (await writer.write(write, request)) {
        if (move) logger.info('lifecycle moved worker', { workerSid: scope.workerSid, reservationSid: reservation.sid, activitySid: target });
        return move ? 'moved' : 'kept';
      }
    }
    throw new Error(`worker ${scope.workerSid} kept changing: the lifecycle could not act on ${eventSidOf}; it is retried`);
  }

  /** Of the worker's held reservations (`WT…/WR…`), those still accepted or wrapping, by the record. */
  async #stillHeld(scope: WorkerScope, held: readonly string[]): Promise<string[]> {
    if (held.length === 0) return [];
    const { tasks, clock } = this.options;
    const found = await tasks.getTasks(scope, [...new Set(held.map((k) => k.split('/')[0]!))]);
    const now = clock.now();
    return held.filter((k) => {
      const [taskSid, reservationSid] = k.split('/') as [string, string];
      const task = found.get(taskSid);
      const reservation = task && findReservation(task, reservationSid);
      return task !== undefined && reservation !== undefined && HELD.includes(effectiveStatus(task, reservation, now).status);
    });
  }

  /** A lifecycle timer fired: the wrap-up's end, or the attention's. */
  async timer(event: TimeoutEvent): Promise<string> {
    if (event.kind === 'attention') return this.#attention(event);
    const outcome = await this.#wrapUpEnded(event);
    this.options.telemetry?.count('wrapUpTimers', outcome);
    return outcome;
  }

  /** Writes down the completion of a wrap-up whose time ran out (connected: TaskRouter is told, once). */
  async #wrapUpEnded(event: TimeoutEvent): Promise<WrapUpOutcome> {
    const scope: TaskScope = { accountSid: event.accountSid, workspaceSid: event.workspaceSid, taskSid: event.taskSid };
    try {
      const task = await this.options.updater.update(
        { scope, reservationSid: event.reservationSid, action: completion(WRAP_UP_ELAPSED, 'expireWrapUp'), now: this.options.clock.now() },
        { path: reservationPath(scope, event.reservationSid), params: new Map([['ReservationStatus', ['completed']]]) },
      );
      return task ? 'completed' : 'not-found';
    } catch (error) {
      // Completed before, or given more time (its own timer comes later): nothing to write.
      if (error instanceof ReservationStateError) return 'nothing-to-do';
      return await this.#upstreamOutcome(error, event);
    }
  }

  async #attention(event: TimeoutEvent): Promise<string> {
    const { tasks, policy, attention, notices, updater, clock, logger } = this.options;
    const scope: TaskScope = { accountSid: event.accountSid, workspaceSid: event.workspaceSid, taskSid: event.taskSid };
    const task = await tasks.getTask(scope);
    const reservation = task && findReservation(task, event.reservationSid);
    if (!task || !reservation) return 'not-found';
    const status = effectiveStatus(task, reservation, clock.now()).status;
    const rule = policy.rule(reservation.lifecycle);
    if ((status !== 'accepted' && status !== 'wrapping') || rule?.attentionAfterSeconds === undefined) return 'nothing-to-do';
    const item: AttentionItem = {
      accountSid: task.accountSid,
      workspaceSid: task.workspaceSid,
      taskSid: task.sid,
      reservationSid: reservation.sid,
      workerSid: reservation.workerSid,
      rule: rule.name,
      since: reservation.history.accepted ?? task.acceptedAt ?? reservation.updatedAt,
      flaggedAt: clock.now(),
    };
    const { notified } = await attention.flag(item);
    if (!notified) {
      await notices.notify(item, status);
      await attention.markNotified(task, reservation.sid);
      logger.warn('reservation needs attention', { reservationSid: reservation.sid, rule: rule.name, status });
    }
    if (rule.onAttention !== 'complete') return 'flagged';
    try {
      await updater.update(
        {
          scope,
          reservationSid: reservation.sid,
          action: completion(`needs attention: not finished within ${rule.attentionAfterSeconds} seconds`, 'complete'),
          now: clock.now(),
        },
        { path: reservationPath(scope, reservation.sid), params: new Map([['ReservationStatus', ['completed']]]) },
      );
      return 'completed';
    } catch (error) {
      if (error instanceof ReservationStateError) return 'flagged';
      return await this.#upstreamOutcome(error, event);
    }
  }

  /**
   * Connected: what TaskRouter made of a completion a timer forwarded. Not confirmed (no answer;
   * or another forward of the task still holds its mark), the timer is armed again
   * RETRY_COMPLETION_MS later: by then the upstream sweep has settled a forward left open by
   * reading it (recorded: the timer finds nothing to do), or TaskRouter still shows the
   * reservation accepted or wrapping, and the completion is sent again, as the first one never
   * was made. Refused, TaskRouter's word stands (its events bring the record up to date).
   * Anything else is thrown, for the timer to be delivered again (deployed: Scheduler's retries,
   * then the timers' failure queue).
   */
  async #upstreamOutcome(error: unknown, event: TimeoutEvent): Promise<'upstream-unsettled' | 'upstream-refused'> {
    if (error instanceof UpstreamUnsettledError || error instanceof ConflictError) {
      const { scheduler, clock, logger } = this.options;
      await scheduler?.schedule({ ...event, deadline: clock.now() + RETRY_COMPLETION_MS });
      logger.warn('lifecycle completion not confirmed upstream; its timer tries again', { reservationSid: event.reservationSid, kind: event.kind });
      return 'upstream-unsettled';
    }
    if (error instanceof UpstreamError) {
      this.options.logger.warn('lifecycle completion refused upstream', { reservationSid: event.reservationSid, status: error.status, code: error.code });
      return 'upstream-refused';
    }
    throw error;
  }

  /** More time for a wrap-up with a time limit: the new end is written and its timer armed. */
  async extendWrapUp(scope: TaskScope, reservationSid: string, seconds: number, resource: string): Promise<TaskRecord> {
    const { tasks, scheduler, clock } = this.options;
    const task = await tasks.applyAction({ scope, reservationSid, action: { transition: 'extendWrapUp', extendWrapUpMs: seconds * 1000 }, now: clock.now() });
    const reservation = task && findReservation(task, reservationSid);
    if (!task || !reservation) throw new NotFoundError(resource);
    await scheduler?.schedule({ ...scope, reservationSid, kind: 'wrap-up', deadline: reservation.wrapUpDeadline! });
    return task;
  }

  /** The reservations of a workspace flagged as needing attention and still accepted or wrapping, oldest first. */
  async needingAttention(scope: WorkspaceScope): Promise<{ item: AttentionItem; task: TaskRecord; reservation: ReservationRecord }[]> {
    const { attention, tasks, clock } = this.options;
    const items = await attention.list(scope);
    const found = await tasks.getTasks(scope, [...new Set(items.map((i) => i.taskSid))]);
    const now = clock.now();
    const open: { item: AttentionItem; task: TaskRecord; reservation: ReservationRecord }[] = [];
    for (const item of items) {
      const task = found.get(item.taskSid);
      const reservation = task && findReservation(task, item.reservationSid);
      if (task && reservation && HELD.includes(effectiveStatus(task, reservation, now).status)) open.push({ item, task, reservation });
    }
    return open;
  }

  dismiss(scope: WorkspaceScope, reservationSid: string): Promise<boolean> {
    return this.options.attention.dismiss(scope, reservationSid);
  }

  /**
   * After a restart (the local stack with DATA_DIR): timers re-armed for what still needs them,
   * and the latest change of every reservation that changed recently handled again, in case the
   * process died before it was (a repeat is a no-op). Deployed, EventBridge and Scheduler keep them.
   */
  async resume(task: TaskRecord, now: number): Promise<number> {
    if (!this.hasRules) return 0;
    let resumed = 0;
    for (const reservation of task.reservations) {
      const effective = effectiveStatus(task, reservation, now);
      if (effective.status === 'pending') continue;
      const type = STATUS_EVENTS[effective.status];
      if (OUTCOMES[type] === undefined) continue;
      if (HELD.includes(effective.status)) await this.#armTimers(task, reservation, 'accepted');
      if (effective.status === 'wrapping') await this.#armTimers(task, reservation, 'wrapping');
      if (effective.since < now - RESUME_WINDOW_MS) continue;
      await this.handle({
        sid: eventSid(task.accountSid, task.workspaceSid, reservation.sid, type),
        type,
        accountSid: task.accountSid,
        workspaceSid: task.workspaceSid,
        taskSid: task.sid,
        reservationSid: reservation.sid,
      });
      resumed++;
    }
    return resumed;
  }
}
