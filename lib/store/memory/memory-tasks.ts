/**
 * Tasks and their forward marks in memory, for the fast tests: the same rules as the DynamoDB
 * adapters (task-items.ts, forward-marks.ts), with each rule the domain's own function instead of
 * a compiled condition. Every write replaces the task record whole (records are never mutated),
 * and is stamped after the write before it, as the DynamoDB writes are: a write whose clock lags
 * the stored stamp is made just after it. The store contract suite runs on this and on both
 * engines, so the two implementations cannot drift apart.
 */
import { confirmedExtras, type ConfirmedExtras, type ReservationAction, type TaskAttributesChange } from '../../domain/instructions.ts';
import type { TaskScope, WorkspaceScope } from '../../domain/scope.ts';
import { observationReplaces, TRANSITIONS, observedEffects, type ReservationStatus, type Transition } from '../../domain/state-machine.ts';
import { checkTaskChange, checkTaskIfMatch } from '../../domain/task-change.ts';
import { checkAction, findReservation, isCanceled, taskChangeIntent, type ReservationRecord, type TaskRecord } from '../../domain/task.ts';
import type { ApplyAction, NewReservation, RecordOutcome, TaskChange, TaskStore } from '../../reservations/ports.ts';
import type { ForwardMarks, MarkOutcome, ObservedOutcome, ObservedRecords, Observation } from '../../upstream/ports.ts';

const keyOf = (scope: TaskScope) => `${scope.accountSid}#${scope.workspaceSid}#${scope.taskSid}`;

/** The time of a write: its own, or just after the stored write when that one is not earlier. */
function stampAt(stored: TaskRecord | undefined, at: number): number {
  return stored !== undefined && stored.writtenAt >= at ? stored.writtenAt + 1 : at;
}

function stamped(task: Omit<TaskRecord, 'writtenAt' | 'previousWrittenAt'>, stored: TaskRecord | undefined, now: number): TaskRecord {
  return { ...task, writtenAt: now, ...(stored !== undefined && { previousWrittenAt: stored.writtenAt }) } as TaskRecord;
}

function withReservation(task: TaskRecord, reservation: ReservationRecord): TaskRecord {
  const others = task.reservations.filter((r) => r.sid !== reservation.sid);
  const reservations = [...others, reservation].sort((a, b) => a.createdAt - b.createdAt || (a.sid < b.sid ? -1 : 1));
  return { ...task, reservations };
}

function withoutMark(task: TaskRecord): TaskRecord {
  const { forward: _forward, ...rest } = task;
  return rest;
}

const inScope = (task: TaskRecord, scope: WorkspaceScope) => task.accountSid === scope.accountSid && task.workspaceSid === scope.workspaceSid;

export class MemoryTasks implements TaskStore, ObservedRecords, ForwardMarks {
  readonly #tasks = new Map<string, TaskRecord>();
  /** Forward marks deferred by the sweep, by mark id: when (the in-flight index key the DynamoDB adapter moves). */
  readonly #deferred = new Map<string, number>();

  async getTask(scope: TaskScope): Promise<TaskRecord | undefined> {
    return this.#get(scope);
  }

  /**
   * The task as stored, read without giving way: every write reads and writes in one synchronous
   * step, as a conditional write is one step on an engine. A write that awaited its read would let
   * concurrent writers all read the same task, and each write over the others.
   */
  #get(scope: TaskScope): TaskRecord | undefined {
    const task = this.#tasks.get(keyOf(scope));
    return task && inScope(task, scope) ? task : undefined;
  }

  async getTasks(scope: WorkspaceScope, taskSids: readonly string[]): Promise<Map<string, TaskRecord>> {
    const found = new Map<string, TaskRecord>();
    for (const taskSid of taskSids) {
      const task = this.#get({ ...scope, taskSid });
      if (task) found.set(taskSid, task);
    }
    return found;
  }

  #put(task: TaskRecord): TaskRecord {
    this.#tasks.set(keyOf({ accountSid: task.accountSid, workspaceSid: task.workspaceSid, taskSid: task.sid }), task);
    return task;
  }

  async recordReservation(input: NewReservation, at: number): Promise<{ outcome: RecordOutcome; task: TaskRecord }> {
    const stored = this.#tasks.get(keyOf(input.task));
    if (stored && findReservation(stored, input.reservationSid)) return { outcome: 'repeated', task: stored };
    if (stored && !input.evenIfClosed && (stored.acceptedReservationSid !== undefined || isCanceled(stored))) return { outcome: 'refused', task: stored };
    const now = stampAt(stored, at);
    const transition: Transition | undefined = input.action && TRANSITIONS[input.action.transition];
    const status = transition?.to ?? 'pending';
    const reservation: ReservationRecord = {
      sid: input.reservationSid,
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
    };
    const { task } = input;
    const base: TaskRecord = stored ?? {
      sid: task.taskSid,
      accountSid: task.accountSid,
      workspaceSid: task.workspaceSid,
      workflowSid: task.workflowSid,
      taskQueueSid: task.taskQueueSid,
      attributes: task.attributes,
      priority: task.priority,
      createdAt: task.createdAt,
      updatedAt: now,
      reservations: [],
      rejections: 0,
      maxRejections: input.maxRejections,
      writtenAt: 0,
    };
    const next: TaskRecord = {
      ...withReservation(base, reservation),
      workflowSid: task.workflowSid,
      taskQueueSid: task.taskQueueSid,
      attributes: task.attributes,
      priority: task.priority,
      updatedAt: now,
      rejections: base.rejections + (transition?.countsRejection ? 1 : 0),
      ...(transition?.claimsTask && { acceptedReservationSid: input.reservationSid, acceptedAt: now }),
      ...(transition?.countsRejection && { lastRejectedAt: now }),
    };
    return { outcome: 'created', task: this.#put(stamped(next, stored, now)) };
  }

  /** The stored task and reservation an action names, or undefined when either is not there (or not the worker's). */
  #target(input: Pick<ApplyAction, 'scope' | 'reservationSid' | 'workerSid'>): { task: TaskRecord; reservation: ReservationRecord } | undefined {
    const task = this.#tasks.get(keyOf(input.scope));
    const reservation = task && inScope(task, input.scope) ? findReservation(task, input.reservationSid) : undefined;
    if (!task || !reservation || (input.workerSid !== undefined && reservation.workerSid !== input.workerSid)) return undefined;
    return { task, reservation };
  }

  async applyAction(input: ApplyAction): Promise<TaskRecord | undefined> {
    const target = this.#target(input);
    if (!target) return undefined;
    const { task, reservation } = target;
    const now = stampAt(task, input.now);
    checkTaskIfMatch(task, input.taskIfMatch);
    checkAction(task, reservation, input.action, now, input.ifMatch);
    return this.#put(stamped(applied(task, reservation, input.action, now), task, now));
  }

  async changeTask(change: TaskChange): Promise<TaskRecord | undefined> {
    const task = this.#get(change.scope);
    if (!task) return undefined;
    // A confirmed change whose mark is gone was recorded already: the task as it is.
    if (change.markId !== undefined && task.forward?.id !== change.markId) return task;
    const now = stampAt(task, change.now);
    checkTaskChange(task, change, now);
    let next: TaskRecord = change.markId !== undefined ? { ...withoutMark(task), updatedAt: now } : { ...task, updatedAt: now };
    if (change.cancel) next = { ...next, canceled: { at: now, reason: change.cancel.reason } };
    if (change.attributes !== undefined || change.priority !== undefined) next = withTaskChange(next, change, now);
    return this.#put(stamped(next, task, now));
  }

  async markForward(input: ApplyAction, markId: string): Promise<MarkOutcome | undefined> {
    const target = this.#target(input);
    if (!target) return undefined;
    const { task, reservation } = target;
    const now = stampAt(task, input.now);
    checkTaskIfMatch(task, input.taskIfMatch);
    checkAction(task, reservation, input.action, now, input.ifMatch);
    if (task.forward) return { taken: false, task, mark: task.forward };
    const marked: TaskRecord = { ...task, forward: { id: markId, reservationSid: input.reservationSid, transition: input.action.transition, at: now } };
    return { taken: true, task: this.#put(stamped(marked, task, now)) };
  }

  async markTaskChange(change: TaskChange, markId: string): Promise<MarkOutcome | undefined> {
    const task = this.#get(change.scope);
    if (!task) return undefined;
    const now = stampAt(task, change.now);
    checkTaskChange(task, change, now);
    if (task.forward) return { taken: false, task, mark: task.forward };
    return { taken: true, task: this.#put(stamped({ ...task, forward: { id: markId, change: taskChangeIntent(change), at: now } }, task, now)) };
  }

  async clearForward(scope: TaskScope, markId: string, at: number): Promise<TaskRecord | undefined> {
    const task = this.#get(scope);
    if (task?.forward?.id !== markId) return undefined;
    const now = stampAt(task, at);
    return this.#put(stamped(withoutMark(task), task, now));
  }

  async forwardsBefore(before: number, limit: number): Promise<TaskRecord[]> {
    // The in-flight index's order: when the mark was taken, or last deferred.
    const queuedAt = (task: TaskRecord) => this.#deferred.get(task.forward!.id) ?? task.forward!.at;
    return [...this.#tasks.values()]
      .filter((task) => task.forward !== undefined && queuedAt(task) < before)
      .sort((a, b) => queuedAt(a) - queuedAt(b))
      .slice(0, limit);
  }

  async deferForward(scope: TaskScope, markId: string, at: number): Promise<TaskRecord | undefined> {
    const task = this.#get(scope);
    if (task?.forward?.id !== markId) return undefined;
    const now = stampAt(task, at);
    this.#deferred.set(markId, now);
    return this.#put(stamped(task, task, now));
  }

  async recordObserved(o: Observation): Promise<ObservedOutcome> {
    const task = this.#get(o.scope);
    const reservation = task && findReservation(task, o.reservationSid);
    if (!task || !reservation) return { kind: 'unknown' };
    const mark = o.markId !== undefined && task.forward?.id === o.markId;
    if (!observationReplaces(reservation.status, reservation.observedAt, o.status, o.observedAt)) {
      if (!mark) return { kind: 'already-recorded', task, markCleared: false };
      const now = stampAt(task, o.now);
      // Recorded already (TaskRouter's event came first): the mark goes, with what the forward confirmed beside the status.
      const extras = confirmedExtras(o);
      let next = withoutMark(task);
      next = withReasons(next, extras);
      if (extras?.taskChange) next = withTaskChange(next, extras.taskChange, now);
      return { kind: 'already-recorded', task: this.#put(stamped(next, task, now)), markCleared: true };
    }
    const now = stampAt(task, o.now);
    const effects = observedEffects(o.status);
    const confirms = o.action !== undefined && TRANSITIONS[o.action.transition].to === o.status;
    let history = { ...reservation.history, [o.status]: now };
    if (effects.impliesClaim && history.accepted === undefined) history = { ...history, accepted: now };
    const observed: ReservationRecord = {
      ...reservation,
      status: o.status,
      version: reservation.version + 1,
      updatedAt: now,
      history,
      observedAt: o.observedAt,
      // Wrapping upstream starts the wrap-up's clock here too (a lifecycle rule's limit).
      ...(o.status === 'wrapping' && reservation.wrapUpMs !== undefined && { wrapUpDeadline: now + reservation.wrapUpMs }),
      ...(confirms && o.action!.instruction && { instruction: o.action!.instruction }),
      ...(confirms && o.action!.activitySid && { activitySid: o.action!.activitySid, activityAt: now }),
    };
    let next: TaskRecord = { ...withReservation(task, observed), updatedAt: now };
    if (effects.claimsTask) next = { ...next, acceptedReservationSid: o.reservationSid, acceptedAt: now };
    if (effects.impliesClaim && next.acceptedReservationSid === undefined) next = { ...next, acceptedReservationSid: o.reservationSid, acceptedAt: now };
    if (effects.countsRejection) next = { ...next, rejections: next.rejections + 1, lastRejectedAt: now };
    if (confirms) next = withReasons(next, o.action);
    if (confirms && o.action!.taskChange) next = withTaskChange(next, o.action!.taskChange, now);
    if (mark) next = withoutMark(next);
    return { kind: 'recorded', task: this.#put(stamped(next, task, now)) };
  }

  async recordTaskCanceled(scope: TaskScope, reason: string, at: number): Promise<ObservedOutcome> {
    const task = this.#get(scope);
    if (!task) return { kind: 'unknown' };
    if (task.canceled) return { kind: 'already-recorded', task, markCleared: false };
    const now = stampAt(task, at);
    const reservations = task.reservations.map((r) =>
      r.status === 'pending' ? { ...r, status: 'canceled' as const, version: r.version + 1, updatedAt: now, history: { ...r.history, canceled: now } } : r,
    );
    return { kind: 'recorded', task: this.#put(stamped({ ...task, reservations, canceled: { at: now, reason }, updatedAt: now }, task, now)) };
  }
}

/** The reasons a Task update gave its completion or wrap-up, recorded on the task. */
function withReasons(task: TaskRecord, given: ConfirmedExtras | undefined): TaskRecord {
  return {
    ...task,
    ...(given?.completedReason !== undefined && { completedReason: given.completedReason }),
    ...(given?.wrapUpReason !== undefined && { wrapUpReason: given.wrapUpReason }),
  };
}

/** New attributes or priority, counted as the task's next change (its task.updated event). */
function withTaskChange(task: TaskRecord, change: TaskAttributesChange, now: number): TaskRecord {
  return {
    ...task,
    ...(change.attributes !== undefined && { attributes: change.attributes }),
    ...(change.priority !== undefined && { priority: change.priority }),
    lastUpdate: { n: (task.lastUpdate?.n ?? 0) + 1, at: now },
  };
}

/** The task after an allowed action (the DynamoDB adapter's UpdateExpression for it, as a function). */
function applied(task: TaskRecord, reservation: ReservationRecord, action: ReservationAction, now: number): TaskRecord {
  const transition: Transition = TRANSITIONS[action.transition];
  const keeps = (transition.from as readonly ReservationStatus[]).includes(transition.to);
  // Writing a derived status down changes no date: it ended at that time.
  const endedAt = transition.afterDeadline === undefined ? now : reservation[transition.afterDeadline]!;
  const startsWrapUp = transition.to === 'wrapping' && !keeps;
  const changed: ReservationRecord = {
    ...reservation,
    status: transition.to,
    version: reservation.version + 1,
    updatedAt: endedAt,
    ...(action.instruction && { instruction: action.instruction }),
    ...(!keeps && { history: { ...reservation.history, [transition.to]: endedAt } }),
    // The worker moves when the reservation ended (its deadline, for a timeout), or just after the
    // task's last write if that came later (the DynamoDB adapter's movedAt says why).
    ...(action.activitySid && { activitySid: action.activitySid, activityAt: transition.afterDeadline ? Math.max(endedAt, task.writtenAt + 1) : now }),
    ...(startsWrapUp && reservation.wrapUpMs !== undefined && { wrapUpDeadline: now + reservation.wrapUpMs }),
    ...(action.extendWrapUpMs !== undefined && { wrapUpDeadline: reservation.wrapUpDeadline! + action.extendWrapUpMs }),
  };
  let next: TaskRecord = withReservation(task, changed);
  if (!transition.afterDeadline) next = { ...next, updatedAt: now };
  next = withReasons(next, action);
  if (action.taskChange) next = withTaskChange(next, action.taskChange, now);
  if (transition.claimsTask) next = { ...next, acceptedReservationSid: reservation.sid, acceptedAt: now };
  if (transition.countsRejection) next = { ...next, rejections: next.rejections + 1, lastRejectedAt: now };
  return next;
}
