/**
 * The use cases of the product: record an assigned reservation and answer TaskRouter, read,
 * list and update reservations. Handlers parse and shape; this module orders the store calls so
 * that a process dying between any two of them leaves nothing that a repeat cannot finish.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { AssignmentCallback } from '../domain/assignment-callback.ts';
import type { AssignmentPolicy } from '../domain/assignment-policy.ts';
import type { Clock } from '../domain/clock.ts';
import { NotFoundError, ReservationStateError, TwilioError } from '../domain/errors.ts';
import type { IfMatch } from '../domain/if-match.ts';
import { updateAction } from '../domain/instructions.ts';
import type { ListQuery } from '../domain/list-query.ts';
import { listKey, memoryWindow, readPage, type Page, type WindowReader } from '../domain/paging.ts';
import { INSTRUCTION_NAMES, readUpdateParameters, type InstructionName, type Params } from '../domain/parameters.ts';
import type { TaskScope, WorkerScope } from '../domain/scope.ts';
import { effectiveStatus, findReservation, type ReservationRecord, type TaskRecord } from '../domain/task.ts';
import type { WorkerRecord } from '../domain/worker.ts';
import type { DimensionValue } from '../telemetry/metrics.ts';
import type { Telemetry } from '../telemetry/telemetry.ts';
import type { TimeoutEvent, TimeoutScheduler } from '../timeouts/scheduler.ts';
import { newReservationFrom } from './new-reservation.ts';
import { linkOf, type Expiry, type ReservationUpdater, type TaskStore, type WorkerReservation, type WorkerStore } from './ports.ts';

/** A reservation as a URL names it: through its task, or through its worker. */
export type ReservationTarget =
  | { readonly kind: 'task'; readonly scope: TaskScope; readonly reservationSid: string; readonly resource: string }
  | { readonly kind: 'worker'; readonly scope: WorkerScope; readonly reservationSid: string; readonly resource: string };

export interface ReservationServiceOptions {
  readonly tasks: TaskStore;
  readonly workers: WorkerStore;
  /** How an update is made: standalone, one conditional write; connected, forwarded to TaskRouter (lib/upstream). */
  readonly updater: ReservationUpdater;
  readonly clock: Clock;
  readonly policy: AssignmentPolicy;
  readonly logger: Logger;
  readonly maxRejections: number;
  /** Arms reservation timers; a runtime without one cannot take assignment callbacks. */
  readonly scheduler: TimeoutScheduler | undefined;
  /** TIMEOUT_ACTIVITY_SID: where a timed-out reservation moves its worker. */
  readonly timeoutActivitySid: string | undefined;
  /** Callbacks answered, updates and timers, counted for the operator. */
  readonly telemetry: Telemetry;
}

/** What a timer delivery did: `nothing-to-do` for an early, late or repeated one; connected, what upstream said. */
export type ExpireOutcome = Exclude<Expiry['kind'], 'upstream'> | `upstream ${Extract<Expiry, { kind: 'upstream' }>['outcome']}`;

/** A timer's outcome as its metric's dimension says it. */
const TIMER_OUTCOME: Readonly<Record<ExpireOutcome, DimensionValue<'timeouts'>>> = {
  expired: 'expired',
  'nothing-to-do': 'nothing-to-do',
  'not-found': 'not-found',
  'upstream recorded': 'upstream-recorded',
  'upstream still-pending': 'upstream-still-pending',
  'upstream unknown': 'upstream-unknown',
  'upstream gone': 'upstream-gone',
};

/** The instruction an answer gives TaskRouter (the stored answer is the policy's JSON, or `{}`). */
function instructionOf(answer: string): DimensionValue<'callbacksAnswered'> {
  const { instruction } = JSON.parse(answer) as { instruction?: unknown };
  return (INSTRUCTION_NAMES as readonly unknown[]).includes(instruction) ? (instruction as InstructionName) : 'none';
}

const keyOf = (item: WorkerReservation) => listKey(item.reservation.createdAt, item.reservation.sid);

/**
 * One of a worker's links, in list order (the link's time: when the reservation was assigned),
 * with the reservation it names; none when its task or reservation is gone (the task expired
 * before the link, or its write failed after the link's). Such a link still moves the page on, so
 * that a page of them leads to the next.
 */
interface ListedLink {
  readonly key: string;
  readonly listed?: WorkerReservation;
}

export class ReservationService {
  readonly #tasks: TaskStore;
  readonly #workers: WorkerStore;
  readonly #updater: ReservationUpdater;
  readonly #clock: Clock;
  readonly #policy: AssignmentPolicy;
  readonly #logger: Logger;
  readonly #maxRejections: number;
  readonly #scheduler: TimeoutScheduler | undefined;
  readonly #timeoutActivitySid: string | undefined;
  readonly #telemetry: Telemetry;

  constructor(options: ReservationServiceOptions) {
    this.#tasks = options.tasks;
    this.#workers = options.workers;
    this.#updater = options.updater;
    this.#clock = options.clock;
    this.#policy = options.policy;
    this.#logger = options.logger;
    this.#maxRejections = options.maxRejections;
    this.#scheduler = options.scheduler;
    this.#timeoutActivitySid = options.timeoutActivitySid;
    this.#telemetry = options.telemetry;
  }

  /**
   * Records the reservation of an assignment callback with the policy's instruction applied,
   * and returns the answer for TaskRouter. A repeat (retry, fallback URL) returns the stored
   * answer and only re-does the idempotent writes that may not have happened the first time.
   */
  async assign(callback: AssignmentCallback, timeoutSeconds: number): Promise<string> {
    const now = this.#clock.now();
    const decision = this.#policy.decide(callback);
    if (decision.unrendered !== undefined) this.#logger.warn('policy rule gave no instruction', { rule: decision.rule, reason: decision.unrendered });
    const assignment = {
      task: {
        accountSid: callback.accountSid,
        workspaceSid: callback.workspaceSid,
        taskSid: callback.taskSid,
        workflowSid: callback.workflowSid,
        taskQueueSid: callback.taskQueueSid,
        attributes: callback.taskAttributes,
        priority: callback.taskPriority,
        age: callback.taskAge,
      },
      reservationSid: callback.reservationSid,
      workerSid: callback.workerSid,
      workerName: callback.workerName,
      workerAttributes: callback.workerAttributes,
      workerAttributeValues: callback.workerAttributeValues,
      taskAttributeValues: callback.taskAttributeValues,
    };
    const lifecycle = this.#policy.lifecycle;
    const recording = { at: now, timeoutSeconds, maxRejections: this.#maxRejections, ...(lifecycle && { lifecycle }) };
    const decided = newReservationFrom(assignment, {
      ...recording,
      ...(decision.action && { action: decision.action }),
      answer: JSON.stringify(decision.answer),
    });
    // The worker's link first: it holds the worker's attributes, which the reservation's events carry.
    await this.#workers.linkReservation(linkOf(decided, now));
    let { outcome, task } = await this.#tasks.recordReservation(decided, now);
    if (outcome === 'refused') {
      // Our record of the task is already accepted or canceled: record the reservation (it reads
      // rescinded or canceled) and give no instruction rather than one that cannot hold.
      this.#logger.warn('assignment for a task already accepted or canceled: recorded without instruction', { rule: decision.rule });
      ({ outcome, task } = await this.#tasks.recordReservation(newReservationFrom(assignment, { ...recording, answer: '{}', evenIfClosed: true }), now));
    }
    const reservation = findReservation(task, callback.reservationSid)!;
    this.#logger.info('assignment recorded', { outcome, rule: decision.rule, reservationStatus: reservation.status });
    if (reservation.activitySid !== undefined) await this.#moveWorker(task, reservation, reservation.activitySid);
    if (effectiveStatus(task, reservation, now).status === 'pending') {
      if (!this.#scheduler) throw new Error('no timeout scheduler: this runtime cannot take assignment callbacks');
      // The reservation's keys only: a timer's payload is stored by Scheduler and logged, the task's attributes are PII.
      const { accountSid, workspaceSid, taskSid } = assignment.task;
      // Where a timeout moves the worker is decided now when a lifecycle rule names it; else at expiry, TIMEOUT_ACTIVITY_SID.
      const activitySid = lifecycle?.rule(reservation.lifecycle)?.activities.timeout;
      await this.#scheduler.schedule({
        accountSid,
        workspaceSid,
        taskSid,
        reservationSid: reservation.sid,
        deadline: reservation.deadline,
        ...(activitySid !== undefined && { activitySid }),
      });
    }
    const answer = reservation.answer ?? '{}';
    this.#telemetry.count('callbacksAnswered', instructionOf(answer));
    return answer;
  }

  /**
   * A reservation timer fired: write down the timeout and move the worker to
   * TIMEOUT_ACTIVITY_SID (connected: TaskRouter is asked, and its answer recorded). Early, late
   * and repeated deliveries find nothing to do (a repeat still finishes a worker move the first
   * one may have left undone).
   */
  async expire(event: TimeoutEvent): Promise<ExpireOutcome> {
    const outcome = await this.#expire(event);
    this.#telemetry.count('timeouts', TIMER_OUTCOME[outcome]);
    return outcome;
  }

  async #expire(event: TimeoutEvent): Promise<ExpireOutcome> {
    const scope = { accountSid: event.accountSid, workspaceSid: event.workspaceSid, taskSid: event.taskSid };
    // The activity the timer was armed with (a lifecycle rule's); a timer armed before rules, TIMEOUT_ACTIVITY_SID.
    const activitySid = event.activitySid ?? this.#timeoutActivitySid;
    const action = { transition: 'timeout', ...(activitySid !== undefined && { activitySid }) } as const;
    const expiry = await this.#updater.expire(event, { scope, reservationSid: event.reservationSid, action, now: this.#clock.now() });
    switch (expiry.kind) {
      case 'upstream':
        return `upstream ${expiry.outcome}`;
      case 'nothing-to-do':
        await this.#finishWorkerMove(scope, event.reservationSid, 'timeout');
        return 'nothing-to-do';
      case 'not-found':
        return 'not-found';
      case 'expired': {
        const reservation = findReservation(expiry.task, event.reservationSid);
        if (!reservation) return 'not-found';
        if (reservation.activitySid !== undefined) await this.#moveWorker(expiry.task, reservation, reservation.activitySid);
        return 'expired';
      }
    }
  }

  async get(target: ReservationTarget): Promise<WorkerReservation> {
    const task = target.kind === 'task' ? await this.#tasks.getTask(target.scope) : await this.#workerTask(target.scope, target.reservationSid);
    const reservation = task && findReservation(task, target.reservationSid);
    if (!task || !reservation) throw new NotFoundError(target.resource);
    return { task, reservation };
  }

  /** Counted by outcome: the status it left the reservation in, or its refusal or failure. */
  async update(target: ReservationTarget, params: Params, ifMatch: IfMatch | undefined): Promise<WorkerReservation> {
    try {
      const updated = await this.#update(target, params, ifMatch);
      this.#telemetry.count('updates', effectiveStatus(updated.task, updated.reservation, this.#clock.now()).status);
      return updated;
    } catch (error) {
      this.#telemetry.count('updates', error instanceof TwilioError && error.status < 500 ? 'refused' : 'failed');
      throw error;
    }
  }

  async #update(target: ReservationTarget, params: Params, ifMatch: IfMatch | undefined): Promise<WorkerReservation> {
    const action = updateAction(readUpdateParameters(params, target.kind));
    const now = this.#clock.now();
    let scope: TaskScope;
    if (target.kind === 'task') {
      scope = target.scope;
    } else {
      const found = await this.#workerTask(target.scope, target.reservationSid);
      if (!found) throw new NotFoundError(target.resource);
      scope = { ...target.scope, taskSid: found.sid };
    }
    const input = {
      scope,
      reservationSid: target.reservationSid,
      action,
      now,
      ...(ifMatch !== undefined && { ifMatch }),
      ...(target.kind === 'worker' && { workerSid: target.scope.workerSid }),
    };
    let task: TaskRecord | undefined;
    try {
      task = await this.#updater.update(input, { path: `/v1${target.resource}`, params });
    } catch (error) {
      if (error instanceof ReservationStateError && action.transition === 'reject') await this.#finishWorkerMove(scope, target.reservationSid, 'rejected');
      throw error;
    }
    const reservation = task && findReservation(task, target.reservationSid);
    if (!task || !reservation) throw new NotFoundError(target.resource);
    // The move the update asked for: the stored reservation names it, unless (connected) TaskRouter's
    // event of the rejection was recorded first, without it; Twilio has confirmed it either way.
    if (action.activitySid !== undefined) await this.#moveWorker(task, reservation, reservation.activitySid ?? action.activitySid);
    return { task, reservation };
  }

  /**
   * A repeated rejection or timer delivery (say, after the first died between its two writes) is
   * refused, but first finishes what the original may have left undone: the worker's move.
   */
  async #finishWorkerMove(scope: TaskScope, reservationSid: string, status: 'rejected' | 'timeout'): Promise<void> {
    const task = await this.#tasks.getTask(scope);
    const reservation = task && findReservation(task, reservationSid);
    if (task && reservation?.status === status && reservation.activitySid !== undefined) await this.#moveWorker(task, reservation, reservation.activitySid);
  }

  async #moveWorker(task: TaskRecord, reservation: ReservationRecord, activitySid: string): Promise<void> {
    const scope = { accountSid: task.accountSid, workspaceSid: task.workspaceSid, workerSid: reservation.workerSid };
    // Dated as its event is (the reservation's activityAt: for a timeout, when it ended).
    await this.#workers.setActivity(scope, activitySid, reservation.activityAt ?? reservation.updatedAt);
  }

  /** The task that holds a worker's reservation, if the reservation is this worker's. */
  async #workerTask(scope: WorkerScope, reservationSid: string): Promise<TaskRecord | undefined> {
    const taskSid = await this.#workers.taskOfReservation(scope, reservationSid);
    const task = taskSid === undefined ? undefined : await this.#tasks.getTask({ ...scope, taskSid });
    return task && findReservation(task, reservationSid)?.workerSid === scope.workerSid ? task : undefined;
  }

  async listForTask(scope: TaskScope, query: ListQuery, resource: string): Promise<Page<WorkerReservation>> {
    const task = await this.#tasks.getTask(scope);
    if (!task) throw new NotFoundError(resource);
    const now = this.#clock.now();
    const items = task.reservations
      .filter(
        (r) =>
          (query.workerSid === undefined || r.workerSid === query.workerSid) &&
          (query.status === undefined || effectiveStatus(task, r, now).status === query.status),
      )
      .map((reservation) => ({ task, reservation }));
    return readPage(query.cursor, query.pageSize, keyOf, memoryWindow(items, keyOf));
  }

  async listForWorker(scope: WorkerScope, query: ListQuery, resource: string): Promise<Page<WorkerReservation>> {
    const now = this.#clock.now();
    const read = this.#workerReservations(scope);
    let seen = 0;
    const page = await readPage<ListedLink>(
      query.cursor,
      query.pageSize,
      (item) => item.key,
      async (direction, from, limit) => {
        const window = await read(direction, from, limit);
        seen += window.items.length;
        return window;
      },
      ({ listed }) => listed !== undefined && (query.status === undefined || effectiveStatus(listed.task, listed.reservation, now).status === query.status),
    );
    // A worker this service has never seen has no reservations to list.
    const firstPage = query.cursor.after === undefined && query.cursor.before === undefined;
    if (firstPage && seen === 0) throw new NotFoundError(resource);
    return { ...page, items: page.items.map((item) => item.listed!) };
  }

  /** A worker's reservations in list order: a window of its links, then one batch read of their tasks. */
  #workerReservations(scope: WorkerScope): WindowReader<ListedLink> {
    const links = this.#workers.reservationLinks(scope);
    return async (direction, from, limit) => {
      const window = await links(direction, from, limit);
      const tasks = await this.#tasks.getTasks(scope, [...new Set(window.items.map((link) => link.taskSid))]);
      const items = window.items.map((link): ListedLink => {
        const task = tasks.get(link.taskSid);
        const reservation = task && findReservation(task, link.reservationSid);
        return { key: listKey(link.createdAt, link.reservationSid), ...(task && reservation && { listed: { task, reservation } }) };
      });
      return { items, more: window.more };
    };
  }

  async getTask(scope: TaskScope, resource: string): Promise<TaskRecord> {
    const task = await this.#tasks.getTask(scope);
    if (!task) throw new NotFoundError(resource);
    return task;
  }

  async getWorker(scope: WorkerScope, resource: string): Promise<WorkerRecord> {
    const worker = await this.#workers.getWorker(scope);
    if (!worker) throw new NotFoundError(resource);
    return worker;
  }
}
