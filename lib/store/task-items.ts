/**
 * The task items' adapter: a task and all its reservations in one item (task-codec.ts), changed
 * by one conditional UpdateItem per change (task-write.ts). The condition of an action is the
 * state machine's `from` compiled into stored fields; what TaskRouter observed (connected mode) is
 * recorded in the order of STATUS_RANK.
 */
import { confirmedExtras, type ConfirmedExtras, type ReservationAction, type TaskAttributesChange } from '../domain/instructions.ts';
import type { TaskScope, WorkspaceScope } from '../domain/scope.ts';
import {
  RESERVATION_STATUSES,
  STATUS_RANK,
  TRANSITIONS,
  WORKED_STATUSES,
  finalInRank,
  observationReplaces,
  observedEffects,
  type ReservationStatus,
  type Transition,
} from '../domain/state-machine.ts';
import type { IfMatch } from '../domain/if-match.ts';
import { checkTaskChange, checkTaskIfMatch } from '../domain/task-change.ts';
import { NO_WRAP_UP_LIMIT_MS, checkAction, findReservation, isCanceled, presentOf, type TaskRecord } from '../domain/task.ts';
import type { ApplyAction, NewReservation, RecordOutcome, TaskChange, TaskStore } from '../reservations/ports.ts';
import type { ObservedOutcome, ObservedRecords, Observation } from '../upstream/ports.ts';
import { batchGet } from './batch.ts';
import { FORWARD_INDEX, reservationAttribute, taskKey } from './table.ts';
import { decodeTask, encodeReservation } from './task-codec.ts';
import { type Judgement, TaskUpdate, type TaskWriteSettings, TaskWriter, after, inScope, lostToLaterStamp } from './task-write.ts';

/** A reservation that claimed the task (accepted it), and its status, as read. */
interface Claim {
  readonly sid: string;
  readonly status: ReservationStatus;
}

export class TaskItems implements TaskStore, ObservedRecords {
  readonly #writer: TaskWriter;

  constructor(settings: TaskWriteSettings) {
    this.#writer = new TaskWriter(settings);
  }

  async getTask(scope: TaskScope): Promise<TaskRecord | undefined> {
    const task = await this.#writer.get(scope);
    return task && inScope(task, scope) ? task : undefined;
  }

  async getTasks(scope: WorkspaceScope, taskSids: readonly string[]): Promise<Map<string, TaskRecord>> {
    const items = await batchGet(
      this.#writer.client,
      this.#writer.tableName,
      taskSids.map((taskSid) => taskKey({ ...scope, taskSid })),
    );
    const tasks = new Map<string, TaskRecord>();
    for (const item of items) {
      const task = decodeTask(item);
      if (inScope(task, scope)) tasks.set(task.sid, task);
    }
    return tasks;
  }

  recordReservation(input: NewReservation, at: number): Promise<{ outcome: RecordOutcome; task: TaskRecord }> {
    return this.#writer.write(
      input.task,
      at,
      (now) => this.#recordUpdate(input, now),
      (task) => ({ outcome: 'created' as const, task }),
      (stored, now): Judgement<{ outcome: RecordOutcome; task: TaskRecord }> => {
        if (stored === undefined) return { retryAt: now };
        if (findReservation(stored, input.reservationSid)) return { done: { outcome: 'repeated', task: stored } };
        if (!input.evenIfClosed && (stored.acceptedReservationSid !== undefined || isCanceled(stored))) return { done: { outcome: 'refused', task: stored } };
        // Open, and not this reservation's: the item was written at or after our `now` by a
        // writer whose clock is ahead. Record it just after that write.
        return { retryAt: after(stored.writtenAt, now) };
      },
    );
  }

  /** The update that records a reservation, with its instruction applied. */
  #recordUpdate(input: NewReservation, now: number): TaskUpdate {
    const u = new TaskUpdate(input.task, now);
    const { e } = u;
    const transition: Transition | undefined = input.action && TRANSITIONS[input.action.transition];
    const status = transition?.to ?? 'pending';
    const stored = encodeReservation({
      workerSid: input.workerSid,
      workerName: input.workerName,
      status,
      version: 1,
      createdAt: now,
      updatedAt: now,
      deadline: input.deadline,
      ...(input.contactUri !== undefined && { contactUri: input.contactUri }),
      ...(input.action?.instruction && { instruction: input.action.instruction }),
      history: status === 'pending' ? {} : { [status]: now },
      ...(input.action?.activitySid && { activitySid: input.action.activitySid, activityAt: now }),
      answer: input.answer,
      ...(input.lifecycle && { lifecycle: input.lifecycle.name }),
      ...(input.lifecycle?.wrapUpMs !== undefined && { wrapUpMs: input.lifecycle.wrapUpMs }),
    });
    const r = e.name(reservationAttribute(input.reservationSid));
    // The key holds the account and the workspace: the item, if any, is this scope's.
    const [account, workspace, rejections, max] = ['accountSid', 'workspaceSid', 'rejections', 'maxRejections'].map((n) => e.name(n)) as [
      string,
      string,
      string,
      string,
    ];
    const accepted = () => e.name('acceptedSid');
    const { task } = input;
    u.set.push(
      `${r} = ${e.value(stored)}`,
      `${account} = if_not_exists(${account}, ${e.value(task.accountSid)})`,
      `${workspace} = if_not_exists(${workspace}, ${e.value(task.workspaceSid)})`,
      `${e.name('workflowSid')} = ${e.value(task.workflowSid)}`,
      `${e.name('taskQueueSid')} = ${e.value(task.taskQueueSid)}`,
      `${e.name('attributes')} = ${e.value(task.attributes)}`,
      `${e.name('priority')} = ${e.value(task.priority)}`,
      `${e.name('createdAt')} = if_not_exists(${e.name('createdAt')}, ${e.value(task.createdAt)})`,
      `${e.name('updatedAt')} = ${e.value(now)}`,
      `${max} = if_not_exists(${max}, ${e.value(input.maxRejections)})`,
      `${rejections} = if_not_exists(${rejections}, ${e.value(0)})${transition?.countsRejection ? ` + ${e.value(1)}` : ''}`,
    );
    if (!input.evenIfClosed) this.#writer.retention(u, status);
    u.conditions.push(`attribute_not_exists(${r})`);
    if (!input.evenIfClosed) {
      // The task must still be open: not claimed by another reservation, not canceled.
      u.conditions.push(
        `attribute_not_exists(${accepted()})`,
        `(attribute_not_exists(${rejections}) OR ${rejections} < ${max})`,
        `attribute_not_exists(${e.name('canceled')})`,
      );
    }
    if (transition?.claimsTask) u.set.push(`${accepted()} = ${e.value(input.reservationSid)}`, `${e.name('acceptedAt')} = ${e.value(now)}`);
    if (transition?.countsRejection) u.set.push(`${e.name('lastRejectedAt')} = ${e.value(now)}`);
    return u;
  }

  applyAction(input: ApplyAction): Promise<TaskRecord | undefined> {
    const { scope, reservationSid, action, ifMatch, workerSid } = input;
    // A move written down after its deadline: the task's last write at or after that deadline, once read (movedAt says why).
    let since: number | undefined;
    return this.#writer.write(
      scope,
      input.now,
      (now) => this.#actionUpdate(input, now, since),
      (task) => task,
      (stored, now): Judgement<TaskRecord | undefined> => {
        const reservation = stored && inScope(stored, scope) ? findReservation(stored, reservationSid) : undefined;
        if (!stored || !reservation || (workerSid !== undefined && reservation.workerSid !== workerSid)) return { done: undefined };
        // Judged at the task's own present (see presentOf), and after its last write: this throws why the action is refused.
        const retryAt = after(stored.writtenAt, presentOf(stored, now));
        checkTaskIfMatch(stored, input.taskIfMatch);
        checkAction(stored, reservation, action, retryAt, ifMatch);
        const { afterDeadline: ended }: Transition = TRANSITIONS[action.transition];
        if (action.activitySid && ended && stored.writtenAt >= reservation[ended]! && since !== stored.writtenAt) since = stored.writtenAt;
        // Allowed even so: the item changed between our write and our read. Write again, at its present.
        return { retryAt };
      },
      `Reservation ${reservationSid} changed concurrently; retry the request`,
    );
  }

  /** The update of an action: the state machine's `from`, compiled. */
  #actionUpdate(input: ApplyAction, now: number, since: number | undefined): TaskUpdate {
    const { scope, reservationSid, action } = input;
    const transition: Transition = TRANSITIONS[action.transition];
    const u = new TaskUpdate(scope, now);
    const { e } = u;
    const field = (name: string) => u.field(reservationSid, name);
    // Placeholders are made where they are used: DynamoDB refuses unused ones.
    const rejections = () => e.name('rejections');
    const accepted = () => e.name('acceptedSid');
    const one = e.value(1);
    u.set.push(`${field('status')} = ${e.value(transition.to)}`, `${field('version')} = ${field('version')} + ${one}`);
    // Writing a timeout down is no change of the task: its TTL stays as the last change set it.
    if (transition.afterDeadline !== 'deadline') this.#writer.retention(u, transition.to);
    if (transition.afterDeadline) {
      // It ended at that time; writing it down later changes no date.
      u.set.push(`${field('updatedAt')} = ${field(transition.afterDeadline)}`);
    } else {
      u.set.push(`${field('updatedAt')} = ${e.value(now)}`, `${e.name('updatedAt')} = ${e.value(now)}`);
    }
    if (action.instruction) u.set.push(`${field('instruction')} = ${e.value(action.instruction)}`);
    // A transition that keeps the status (an instruction left pending, supervise) is no new status.
    if (!(transition.from as readonly string[]).includes(transition.to)) {
      u.set.push(`${field('history')}.${e.name(transition.to)} = ${transition.afterDeadline ? field(transition.afterDeadline) : e.value(now)}`);
    }
    if (transition.to === 'wrapping' && !transition.from.includes('wrapping')) {
      // The wrap-up's end: its rule's limit from now, or (no limit) the stand-in for never.
      u.set.push(`${field('wrapUpDeadline')} = if_not_exists(${field('wrapUpMs')}, ${e.value(NO_WRAP_UP_LIMIT_MS)}) + ${e.value(now)}`);
    }
    if (action.extendWrapUpMs !== undefined) u.set.push(`${field('wrapUpDeadline')} = ${field('wrapUpDeadline')} + ${e.value(action.extendWrapUpMs)}`);
    setReasons(u, action);
    if (action.taskChange) setTaskChange(u, action.taskChange, now);
    if (action.activitySid)
      u.set.push(`${field('activitySid')} = ${e.value(action.activitySid)}`, `${field('activityAt')} = ${movedAt(u, transition, reservationSid, since)}`);
    if (transition.claimsTask) u.set.push(`${accepted()} = ${e.value(reservationSid)}`, `${e.name('acceptedAt')} = ${e.value(now)}`);
    if (transition.countsRejection) u.set.push(`${rejections()} = ${rejections()} + ${one}`, `${e.name('lastRejectedAt')} = ${e.value(now)}`);
    actionConditions(u, input);
    return u;
  }

  changeTask(change: TaskChange): Promise<TaskRecord | undefined> {
    const { scope } = change;
    return this.#writer.write(
      scope,
      change.now,
      (now) => this.#changeUpdate(change, now),
      (task) => task,
      (stored, now): Judgement<TaskRecord | undefined> => {
        if (!stored || !inScope(stored, scope)) return { done: undefined };
        // A confirmed change whose mark is gone was recorded already: the task as it is.
        if (change.markId !== undefined && stored.forward?.id !== change.markId) return lostToLaterStamp(stored, now) ?? { done: stored };
        const retryAt = after(stored.writtenAt, presentOf(stored, now));
        checkTaskChange(stored, change, retryAt);
        return { retryAt };
      },
    );
  }

  /** A Task update's cancellation, attributes or priority: one write, conditioned as checkTaskChange says. */
  #changeUpdate(change: TaskChange, now: number): TaskUpdate {
    const u = new TaskUpdate(change.scope, now);
    const { e } = u;
    taskChangeConditions(u, change);
    if (change.markId !== undefined) {
      u.conditions.push(`${e.name('forward')}.${e.name('id')} = ${e.value(change.markId)}`);
      removeMark(u);
    }
    u.set.push(`${e.name('updatedAt')} = ${e.value(now)}`);
    if (change.cancel) {
      u.set.push(`${e.name('canceled')} = ${e.value({ at: now, reason: change.cancel.reason })}`);
      this.#writer.retention(u, 'canceled');
    }
    if (change.attributes !== undefined || change.priority !== undefined) setTaskChange(u, change, now);
    return u;
  }

  async recordObserved(o: Observation): Promise<ObservedOutcome> {
    const outcome = await this.#observe(o, o.markId);
    if (outcome.kind === 'mark-gone') {
      // The mark is no longer this one (the sweep settled it): record the observation alone.
      const alone = await this.#observe(o, undefined);
      return alone.kind === 'mark-gone' ? { kind: 'unknown' } : alone;
    }
    if (outcome.kind === 'already-recorded' && o.markId !== undefined) {
      // The status is recorded (TaskRouter's event got here first): the mark, if still this one,
      // is cleared, with what the forward confirmed beside its status (a reason, attributes).
      const cleared = await clearMark(this.#writer, o.scope, o.markId, o.now, confirmedExtras(o));
      if (cleared) return { kind: 'already-recorded', task: cleared, markCleared: true };
    }
    return outcome;
  }

  /**
   * One write that records an observation if it ranks above what the record holds (or, within its
   * rank, is TaskRouter's later word), clearing `markId` with it when given. The condition says so
   * up front; a failed one is judged once, from the item as stored.
   */
  #observe(o: Observation, markId: string | undefined): Promise<ObservedOutcome | { readonly kind: 'mark-gone' }> {
    const { scope, reservationSid } = o;
    // Another reservation's claim of the task, as last read (none known before the first write).
    let claim: Claim | undefined;
    return this.#writer.write(
      scope,
      o.now,
      (now) => this.#observedUpdate(o, markId, now, claim),
      (task): ObservedOutcome => ({ kind: 'recorded', task }),
      (stored, now): Judgement<ObservedOutcome | { readonly kind: 'mark-gone' }> => {
        const reservation = stored && inScope(stored, scope) ? findReservation(stored, reservationSid) : undefined;
        if (!stored || !reservation) return { done: { kind: 'unknown' } };
        const later = lostToLaterStamp(stored, now);
        if (later) return later;
        if (markId !== undefined && stored.forward?.id !== markId) return { done: { kind: 'mark-gone' } };
        // Still to be recorded: what failed was the claim the write assumed. Again, with the claim as stored.
        const claimed =
          stored.acceptedReservationSid !== undefined && stored.acceptedReservationSid !== reservationSid
            ? findReservation(stored, stored.acceptedReservationSid)
            : undefined;
        if (
          claimed !== undefined &&
          (claim?.sid !== claimed.sid || claim.status !== claimed.status) &&
          observationReplaces(reservation.status, reservation.observedAt, o.status, o.observedAt)
        ) {
          claim = { sid: claimed.sid, status: claimed.status };
          return { retryAt: now };
        }
        // The record already says as much, or more (an event got here first).
        return { done: { kind: 'already-recorded', task: stored, markCleared: false } };
      },
    );
  }

  /**
   * The task's TTL after an observation (TaskRouter's events come in any order). A status being
   * worked on removes it, as a local write does. Any other status of a reservation that does not
   * claim the task (a sibling rescinded, rejected, timed out) must leave the task as its claim is:
   * with no TTL while the claim is being worked on, or a sibling's late event would let a task
   * still in hand expire after RETENTION_DAYS. The write assumes no other claim; where there is
   * one, it fails and is made again, conditioned on that claim's status as read.
   */
  #observedRetention(u: TaskUpdate, o: Observation, claim: Claim | undefined): void {
    const { e } = u;
    const acceptedSid = e.name('acceptedSid');
    if (WORKED_STATUSES.includes(o.status)) {
      this.#writer.retention(u, o.status);
    } else if (claim === undefined) {
      u.conditions.push(`(attribute_not_exists(${acceptedSid}) OR ${acceptedSid} = ${e.value(o.reservationSid)})`);
      this.#writer.retention(u, o.status);
    } else {
      u.conditions.push(`${acceptedSid} = ${e.value(claim.sid)}`, `${u.field(claim.sid, 'status')} = ${e.value(claim.status)}`);
      this.#writer.retention(u, claim.status);
    }
  }

  #observedUpdate(o: Observation, markId: string | undefined, now: number, claim: Claim | undefined): TaskUpdate {
    const { scope, reservationSid, status } = o;
    const u = new TaskUpdate(scope, now);
    const { e } = u;
    const field = (name: string) => u.field(reservationSid, name);
    // observationReplaces (lib/domain/state-machine.ts), compiled: any lower rank; within the rank, a
    // status that is not final, replaced by a final one at once and by another at a later time.
    const rank = STATUS_RANK[status];
    const lower = RESERVATION_STATUSES.filter((s) => STATUS_RANK[s] < rank);
    const same = RESERVATION_STATUSES.filter((s) => STATUS_RANK[s] === rank && s !== status && !finalInRank(s));
    const allowed = [`${field('status')} IN (${lower.map((s) => e.value(s)).join(', ')})`];
    if (same.length > 0) {
      const replaceable = `${field('status')} IN (${same.map((s) => e.value(s)).join(', ')})`;
      allowed.push(
        finalInRank(status)
          ? replaceable
          : `(${replaceable} AND (attribute_not_exists(${field('observedAt')}) OR ${field('observedAt')} < ${e.value(o.observedAt)}))`,
      );
    }
    u.conditions.push(
      `${e.name('accountSid')} = ${e.value(scope.accountSid)}`,
      `${e.name('workspaceSid')} = ${e.value(scope.workspaceSid)}`,
      `attribute_exists(${e.name(reservationAttribute(reservationSid))})`,
      `(${allowed.join(' OR ')})`,
    );
    u.set.push(
      `${field('status')} = ${e.value(status)}`,
      `${field('version')} = ${field('version')} + ${e.value(1)}`,
      `${field('updatedAt')} = ${e.value(now)}`,
      `${e.name('updatedAt')} = ${e.value(now)}`,
      `${field('history')}.${e.name(status)} = ${e.value(now)}`,
      `${field('observedAt')} = ${e.value(o.observedAt)}`,
    );
    // Wrapping upstream starts the wrap-up's clock here too (a lifecycle rule's limit).
    if (status === 'wrapping')
      u.set.push(`${field('wrapUpDeadline')} = if_not_exists(${field('wrapUpMs')}, ${e.value(NO_WRAP_UP_LIMIT_MS)}) + ${e.value(now)}`);
    this.#observedRetention(u, o, claim);
    const effects = observedEffects(status);
    if (effects.claimsTask) u.set.push(`${e.name('acceptedSid')} = ${e.value(reservationSid)}`, `${e.name('acceptedAt')} = ${e.value(now)}`);
    if (effects.impliesClaim) {
      // Its acceptance went unobserved (an event lost): it was accepted, now at the latest.
      const acceptedSid = e.name('acceptedSid');
      const acceptedAt = e.name('acceptedAt');
      const acceptedEntry = `${field('history')}.${e.name('accepted')}`;
      u.set.push(
        `${acceptedSid} = if_not_exists(${acceptedSid}, ${e.value(reservationSid)})`,
        `${acceptedAt} = if_not_exists(${acceptedAt}, ${e.value(now)})`,
        `${acceptedEntry} = if_not_exists(${acceptedEntry}, ${e.value(now)})`,
      );
    }
    if (effects.countsRejection) {
      const rejections = e.name('rejections');
      u.set.push(`${rejections} = ${rejections} + ${e.value(1)}`, `${e.name('lastRejectedAt')} = ${e.value(now)}`);
    }
    const confirms = o.action !== undefined && TRANSITIONS[o.action.transition].to === status;
    if (confirms && o.action!.instruction) u.set.push(`${field('instruction')} = ${e.value(o.action!.instruction)}`);
    if (confirms) setReasons(u, o.action);
    if (confirms && o.action!.taskChange) setTaskChange(u, o.action!.taskChange, now);
    if (confirms && o.action!.activitySid)
      u.set.push(`${field('activitySid')} = ${e.value(o.action!.activitySid)}`, `${field('activityAt')} = ${e.value(now)}`);
    if (markId !== undefined) {
      u.conditions.push(`${e.name('forward')}.${e.name('id')} = ${e.value(markId)}`);
      removeMark(u);
    }
    return u;
  }

  async recordTaskCanceled(scope: TaskScope, reason: string, at: number): Promise<ObservedOutcome> {
    const seen = await this.getTask(scope);
    if (!seen) return { kind: 'unknown' };
    if (seen.canceled) return { kind: 'already-recorded', task: seen, markCleared: false };
    // The reservations still pending as last read: the condition says they still are.
    let pending = seen.reservations.filter((r) => r.status === 'pending').map((r) => r.sid);
    return this.#writer.write(
      scope,
      at,
      (now) => {
        const u = new TaskUpdate(scope, now);
        const { e } = u;
        const canceled = e.name('canceled');
        u.set.push(`${canceled} = ${e.value({ at: now, reason })}`, `${e.name('updatedAt')} = ${e.value(now)}`);
        u.conditions.push(`attribute_not_exists(${canceled})`);
        for (const sid of pending) {
          const field = (name: string) => u.field(sid, name);
          u.conditions.push(`${field('status')} = ${e.value('pending')}`);
          u.set.push(
            `${field('status')} = ${e.value('canceled')}`,
            `${field('version')} = ${field('version')} + ${e.value(1)}`,
            `${field('updatedAt')} = ${e.value(now)}`,
            `${field('history')}.${e.name('canceled')} = ${e.value(now)}`,
          );
        }
        this.#writer.retention(u, 'canceled');
        return u;
      },
      (task): ObservedOutcome => ({ kind: 'recorded', task }),
      (stored, now): Judgement<ObservedOutcome> => {
        if (!stored || !inScope(stored, scope)) return { done: { kind: 'unknown' } };
        if (stored.canceled) return { done: { kind: 'already-recorded', task: stored, markCleared: false } };
        pending = stored.reservations.filter((r) => r.status === 'pending').map((r) => r.sid);
        return lostToLaterStamp(stored, now) ?? { retryAt: now };
      },
    );
  }
}

/**
 * The condition of an action, from the state machine's `from` (its effective statuses compiled
 * into stored ones), the scope, If-Match, the worker of a worker-scoped request and the
 * contact_uri an instruction may need. Shared with the forward mark, which takes the same check.
 */
export function actionConditions(u: TaskUpdate, input: Omit<ApplyAction, 'now'> & { readonly action: ReservationAction }): void {
  const { scope, reservationSid, action, ifMatch, workerSid } = input;
  const { e, now } = u;
  const transition: Transition = TRANSITIONS[action.transition];
  const field = (name: string) => u.field(reservationSid, name);
  const rejections = () => e.name('rejections');
  const max = () => e.name('maxRejections');
  const accepted = () => e.name('acceptedSid');
  const acceptedAt = () => e.name('acceptedAt');
  const lastRejectedAt = () => e.name('lastRejectedAt');
  const canceled = () => e.name('canceled');
  const pending = () => e.value('pending');
  u.conditions.push(`${e.name('accountSid')} = ${e.value(scope.accountSid)}`, `${e.name('workspaceSid')} = ${e.value(scope.workspaceSid)}`);
  taskIfMatchCondition(u, input.taskIfMatch);
  if (transition.afterDeadline === 'wrapUpDeadline') {
    // Wrapping as stored, its wrap-up's end passed.
    u.conditions.push(`${field('status')} = ${e.value('wrapping')}`, `${field('wrapUpDeadline')} <= ${e.value(now)}`);
  } else if (transition.afterDeadline === 'deadline') {
    // Pending as stored, but its deadline came first of the three ends in effectiveStatus().
    u.conditions.push(
      `${field('status')} = ${pending()}`,
      `${field('deadline')} <= ${e.value(now)}`,
      `(attribute_not_exists(${acceptedAt()}) OR ${acceptedAt()} >= ${field('deadline')})`,
      `(${rejections()} < ${max()} OR ${lastRejectedAt()} >= ${field('deadline')})`,
      `(attribute_not_exists(${canceled()}) OR ${canceled()}.${e.name('at')} >= ${field('deadline')})`,
    );
  } else {
    const stored = transition.from.filter((s) => s !== 'pending' && s !== 'wrapping');
    const allowed: string[] = stored.length > 0 ? [`${field('status')} IN (${stored.map((s) => e.value(s)).join(', ')})`] : [];
    if (transition.from.includes('wrapping')) {
      // Effectively wrapping: its wrap-up has no end, or the end is still ahead.
      const end = field('wrapUpDeadline');
      allowed.push(`(${field('status')} = ${e.value('wrapping')} AND (attribute_not_exists(${end}) OR ${end} > ${e.value(now)}))`);
    }
    if (transition.from.includes('pending')) {
      // Effectively pending: not expired, the task not claimed by anyone, not canceled.
      allowed.push(
        `(${field('status')} = ${pending()} AND ${field('deadline')} > ${e.value(now)} AND attribute_not_exists(${accepted()}) AND ${rejections()} < ${max()} AND attribute_not_exists(${canceled()}))`,
      );
    }
    u.conditions.push(allowed.length === 1 ? allowed[0]! : `(${allowed.join(' OR ')})`);
  }
  if (ifMatch !== undefined && !ifMatch.any) {
    u.conditions.push(`${field('version')} IN (${(ifMatch.versions.length > 0 ? ifMatch.versions : [-1]).map((v) => e.value(v)).join(', ')})`);
  }
  if (workerSid !== undefined) u.conditions.push(`${field('workerSid')} = ${e.value(workerSid)}`);
  if (action.needsContactUri !== undefined) u.conditions.push(`attribute_exists(${field('contactUri')})`);
  // Only a wrap-up with a time limit can be given more time.
  if (action.extendWrapUpMs !== undefined) u.conditions.push(`${field('wrapUpDeadline')} < ${e.value(NO_WRAP_UP_LIMIT_MS)}`);
}

/** The reasons a Task update gave its completion or wrap-up, recorded on the task. */
function setReasons(u: TaskUpdate, given: ConfirmedExtras | undefined): void {
  const { e } = u;
  if (given?.completedReason !== undefined) u.set.push(`${e.name('completedReason')} = ${e.value(given.completedReason)}`);
  if (given?.wrapUpReason !== undefined) u.set.push(`${e.name('wrapUpReason')} = ${e.value(given.wrapUpReason)}`);
}

/** New attributes or priority: counted (the how-manyth change, its task.updated event's subject) and set. */
function setTaskChange(u: TaskUpdate, change: TaskAttributesChange, now: number): void {
  const { e } = u;
  const updates = e.name('updates');
  u.set.push(`${updates} = if_not_exists(${updates}, ${e.value(0)}) + ${e.value(1)}`, `${e.name('lastUpdateAt')} = ${e.value(now)}`);
  if (change.attributes !== undefined) u.set.push(`${e.name('attributes')} = ${e.value(change.attributes)}`);
  if (change.priority !== undefined) u.set.push(`${e.name('priority')} = ${e.value(change.priority)}`);
}

/**
 * The condition of a Task update's own change: the scope, If-Match, and for a cancellation a task
 * pending or reserved (claimed by none, not canceled by rejections or before). Shared with the
 * forward mark of such a change, which takes the same check.
 */
export function taskChangeConditions(u: TaskUpdate, change: Pick<TaskChange, 'scope' | 'ifMatch' | 'cancel'>): void {
  const { e } = u;
  u.conditions.push(`${e.name('accountSid')} = ${e.value(change.scope.accountSid)}`, `${e.name('workspaceSid')} = ${e.value(change.scope.workspaceSid)}`);
  taskIfMatchCondition(u, change.ifMatch);
  if (change.cancel) {
    const rejections = e.name('rejections');
    u.conditions.push(
      `attribute_not_exists(${e.name('acceptedSid')})`,
      `${rejections} < ${e.name('maxRejections')}`,
      `attribute_not_exists(${e.name('canceled')})`,
    );
  }
}

/** If-Match against the task's ETag (the time of its last write). */
function taskIfMatchCondition(u: TaskUpdate, ifMatch: IfMatch | undefined): void {
  if (ifMatch === undefined || ifMatch.any) return;
  const { e } = u;
  u.conditions.push(`${e.name('writtenAt')} IN (${(ifMatch.versions.length > 0 ? ifMatch.versions : [-1]).map((v) => e.value(v)).join(', ')})`);
}

/**
 * When a worker moved by an action's `activitySid` moved (the date of its worker.activity.update,
 * and of the move on the worker's own item). An ordinary action: now. A timeout written down
 * after its deadline: at the deadline, as TaskRouter moves a worker when the reservation times
 * out (so a Worker update made since stands), unless the task was written at or after the
 * deadline (the next reservation's callback, say): that write's events are those dated up to
 * it, so the move is dated just after it, or no write would ever carry its event. The first
 * attempt assumes no such write (a condition); where there was one, `since` is its time.
 */
function movedAt(u: TaskUpdate, transition: Transition, reservationSid: string, since: number | undefined): string {
  const { e } = u;
  if (!transition.afterDeadline) return e.value(u.now);
  const written = e.name('writtenAt');
  if (since === undefined) {
    const ended = u.field(reservationSid, transition.afterDeadline);
    u.conditions.push(`(attribute_not_exists(${written}) OR ${written} < ${ended})`);
    return ended;
  }
  u.conditions.push(`${written} = ${e.value(since)}`);
  return e.value(since + 1);
}

/** Takes a task item's forward mark out of the in-flight index with it. */
export function removeMark(u: TaskUpdate): void {
  u.remove.push(u.e.name('forward'), u.e.name(FORWARD_INDEX.partitionKey), u.e.name(FORWARD_INDEX.sortKey));
}

/** Clears the forward mark if it is still `markId`: the task as written, or undefined when nothing was. */
export function clearMark(writer: TaskWriter, scope: TaskScope, markId: string, at: number, extras?: ConfirmedExtras): Promise<TaskRecord | undefined> {
  return writer.write(
    scope,
    at,
    (now) => {
      const u = new TaskUpdate(scope, now);
      removeMark(u);
      u.conditions.push(`${u.e.name('forward')}.${u.e.name('id')} = ${u.e.value(markId)}`);
      setReasons(u, extras);
      if (extras?.taskChange) setTaskChange(u, extras.taskChange, now);
      return u;
    },
    (task): TaskRecord | undefined => task,
    (stored, now) => lostToLaterStamp(stored, now) ?? { done: undefined },
  );
}
