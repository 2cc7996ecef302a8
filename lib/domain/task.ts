import { PreconditionFailedError, ReservationStateError, WrapUpLimitError } from './errors.ts';
import { entityTag, ifMatchSatisfied, type IfMatch } from './if-match.ts';
import { missingContact, type RecordedInstruction, type ReservationAction } from './instructions.ts';
import { TASK_EFFECTS, TRANSITIONS, requiredStateLabel, taskStatusOfClaim, type ReservationStatus, type TaskStatus, type Transition } from './state-machine.ts';

/** A reservation as stored: `status` is the last one written (see `effectiveStatus`). */
export interface ReservationRecord {
  readonly sid: string;
  readonly workerSid: string;
  readonly workerName: string | null;
  readonly status: ReservationStatus;
  readonly version: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Epoch ms after which a pending reservation is a timed-out one, its timer fired or not. */
  readonly deadline: number;
  /** The worker's `contact_uri` attribute at assignment, the fallback for To/DequeueTo/CallTo. */
  readonly contactUri?: string;
  readonly instruction?: RecordedInstruction;
  /** Connected mode: upstream's time (TimestampMs) of the status it last recorded from upstream. */
  readonly observedAt?: number;
  /** When it reached each status it was written in (a timeout: at its deadline): its events' times. */
  readonly history: Readonly<Partial<Record<Exclude<ReservationStatus, 'pending'>, number>>>;
  /** The activity this reservation moved its worker to (reject, timeout), and when. */
  readonly activitySid?: string;
  readonly activityAt?: number;
  /** The assignment-callback answer, replayed verbatim on a repeated callback. */
  readonly answer?: string;
  /** The lifecycle rule that matched when it was created (its name): fixed for its life. */
  readonly lifecycle?: string;
  /** That rule's wrapUpSeconds, in ms: how long it may stay wrapping. */
  readonly wrapUpMs?: number;
  /**
   * Epoch ms after which a wrapping reservation is a completed one, its timer fired or not: set
   * when it starts wrapping (and moved by an extension), absent without a time limit.
   */
  readonly wrapUpDeadline?: number;
}

/** The stored stand-in for "no wrap-up limit" (the store adds it to the wrap-up's start when the rule set none). */
export const NO_WRAP_UP_LIMIT_MS = 1e15;

/** The reason a task completed by its wrap-up running out reports. */
export const WRAP_UP_ELAPSED = 'wrap-up time elapsed';

/**
 * A task and every reservation TaskRouter made for it: the aggregate whose invariants (at most one
 * accepted reservation, an exact rejection count) one conditional write can keep.
 */
export interface TaskRecord {
  readonly sid: string;
  readonly accountSid: string;
  readonly workspaceSid: string;
  readonly workflowSid: string;
  readonly taskQueueSid: string;
  /** JSON string, as TaskRouter sends it. */
  readonly attributes: string;
  readonly priority: number;
  /** When TaskRouter created the task: first callback time minus its TaskAge. */
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly reservations: readonly ReservationRecord[];
  readonly acceptedReservationSid?: string;
  readonly acceptedAt?: number;
  readonly rejections: number;
  /** MAX_REJECTIONS when the task was first seen, so a later change of it does not revive a task. */
  readonly maxRejections: number;
  readonly lastRejectedAt?: number;
  /**
   * When the task item was last written, and the time of the write before (absent for the
   * first): strictly increasing from write to write, so that every event of the task belongs to
   * exactly one write (lib/domain/events.ts `eventsOfWrite`).
   */
  readonly writtenAt: number;
  readonly previousWrittenAt?: number;
  /** Connected mode: the update of one of its reservations being forwarded (one at a time). */
  readonly forward?: ForwardMark;
  /** Canceled through the Task API, or (connected mode) by upstream (its task.canceled event): when and why. */
  readonly canceled?: { readonly at: number; readonly reason: string };
  /** Why it was completed, as the Task update's Reason said (or the wrap-up timer). */
  readonly completedReason?: string;
  /** Why it was wrapped up, as the Task update's Reason said: its reason while it wraps up. */
  readonly wrapUpReason?: string;
  /** Its attributes or priority changed through the Task API: the how-manyth such change, and when (its task.updated event). */
  readonly lastUpdate?: { readonly n: number; readonly at: number };
}

/**
 * The in-flight mark of a forwarded update: one at a time per task, until Twilio's answer is
 * settled. Either a reservation's update, or a change of the task itself (a cancellation, new
 * attributes or priority), which keeps what it asked for: a settling read compares it with what
 * TaskRouter then says.
 */
export type ForwardMark = ReservationForwardMark | TaskChangeForwardMark;

export interface ReservationForwardMark {
  readonly id: string;
  readonly reservationSid: string;
  readonly transition: string;
  /** When it was taken: a mark older than a forward can take is an unsettled one (the sweep's). */
  readonly at: number;
}

/** What a forwarded Task update asked for: a cancellation (with its reason), attributes, a priority. */
export interface TaskChangeIntent {
  readonly cancel?: { readonly reason: string };
  readonly attributes?: string;
  readonly priority?: number;
}

/** What a change asks for, without its scope, time or If-Match: what its forward mark keeps. */
export function taskChangeIntent(change: TaskChangeIntent): TaskChangeIntent {
  return {
    ...(change.cancel !== undefined && { cancel: { reason: change.cancel.reason } }),
    ...(change.attributes !== undefined && { attributes: change.attributes }),
    ...(change.priority !== undefined && { priority: change.priority }),
  };
}

export interface TaskChangeForwardMark {
  readonly id: string;
  readonly change: TaskChangeIntent;
  readonly at: number;
}

export function isTaskChangeMark(mark: ForwardMark): mark is TaskChangeForwardMark {
  return 'change' in mark;
}

export interface EffectiveStatus {
  readonly status: ReservationStatus;
  /** When the reservation entered that status (a derived status has no write of its own). */
  readonly since: number;
}

export function isCanceled(task: TaskRecord): boolean {
  return task.rejections >= task.maxRejections || task.canceled !== undefined;
}

/** When the task was canceled: upstream's cancellation, or the rejection that reached MAX_REJECTIONS. */
export function canceledAt(task: TaskRecord): number | undefined {
  return task.canceled?.at ?? (task.rejections >= task.maxRejections ? task.lastRejectedAt : undefined);
}

/**
 * The present as seen from a task: never earlier than a time the task already records. Clocks of
 * concurrent requests (or containers) differ by milliseconds; without this, a request whose clock
 * lags the one that accepted a sibling would see that sibling's acceptance in its future.
 */
export function presentOf(task: TaskRecord, now: number): number {
  return Math.max(now, task.updatedAt, task.acceptedAt ?? 0, task.lastRejectedAt ?? 0);
}

export function findReservation(task: TaskRecord, reservationSid: string): ReservationRecord | undefined {
  return task.reservations.find((r) => r.sid === reservationSid);
}

/**
 * The status every read reports. A stored `pending` stops being pending at the first of: its
 * deadline, another reservation's acceptance, the task's cancellation. None of those needs a write
 * to this reservation, so correctness never waits for a timer or a fan-out.
 */
export function effectiveStatus(task: TaskRecord, reservation: ReservationRecord, at: number): EffectiveStatus {
  if (reservation.status === 'wrapping' && reservation.wrapUpDeadline !== undefined && reservation.wrapUpDeadline <= presentOf(task, at)) {
    // Its wrap-up ran out: completed at the deadline, written down or not.
    return { status: 'completed', since: reservation.wrapUpDeadline };
  }
  if (reservation.status !== 'pending') return { status: reservation.status, since: reservation.updatedAt };
  const now = presentOf(task, at);
  let end: EffectiveStatus = { status: TASK_EFFECTS.deadlinePassed, since: reservation.deadline };
  if (task.acceptedReservationSid !== undefined && task.acceptedReservationSid !== reservation.sid && task.acceptedAt! < end.since) {
    end = { status: TASK_EFFECTS.claimedBySibling, since: task.acceptedAt! };
  }
  const canceled = canceledAt(task);
  if (canceled !== undefined && canceled < end.since) {
    end = { status: TASK_EFFECTS.taskCanceled, since: canceled };
  }
  return end.since <= now ? end : { status: 'pending', since: reservation.updatedAt };
}

export interface TaskAssignment {
  readonly status: TaskStatus;
  readonly reason: string | null;
  readonly updatedAt: number;
}

export function canceledReason(task: TaskRecord): string {
  if (task.canceled) return task.canceled.reason;
  return `Task canceled after ${task.rejections} rejected reservations (maximum ${task.maxRejections})`;
}

/** Why the task completed: the Task update's Reason, a wrap-up that ran out, or its reservation's completion. */
export function completedReason(task: TaskRecord): string {
  if (task.completedReason !== undefined) return task.completedReason;
  const claimed = task.acceptedReservationSid === undefined ? undefined : findReservation(task, task.acceptedReservationSid);
  return claimed?.status === 'wrapping' ? WRAP_UP_ELAPSED : COMPLETED_REASON;
}

/** The task's reason when its reservation completed it (TaskRouter's own words). */
export const COMPLETED_REASON = 'All reservations were completed';

/** The task's assignment status as every read reports it, derived from its reservations. */
export function taskAssignment(task: TaskRecord, now: number): TaskAssignment {
  let updatedAt = task.updatedAt;
  let anyPending = false;
  for (const reservation of task.reservations) {
    const effective = effectiveStatus(task, reservation, now);
    if (effective.status === 'pending') anyPending = true;
    updatedAt = Math.max(updatedAt, effective.since);
  }
  if (isCanceled(task)) return { status: 'canceled', reason: canceledReason(task), updatedAt };
  if (task.acceptedReservationSid !== undefined) {
    const claimed = findReservation(task, task.acceptedReservationSid)!;
    const status = taskStatusOfClaim(effectiveStatus(task, claimed, now).status);
    const reason = status === 'completed' ? completedReason(task) : status === 'wrapping' ? (task.wrapUpReason ?? null) : null;
    return { status, reason, updatedAt };
  }
  return { status: anyPending ? 'reserved' : 'pending', reason: null, updatedAt };
}

/**
 * Throws the error a client gets for this action; returns when it is allowed now. The DynamoDB
 * adapter encodes the same rule in the condition of its write; after a failed condition it calls
 * this on the stored item to say why.
 */
export function checkAction(task: TaskRecord, reservation: ReservationRecord, action: ReservationAction, now: number, ifMatch?: IfMatch): void {
  if (ifMatch !== undefined && !ifMatchSatisfied(ifMatch, reservation.version)) {
    throw new PreconditionFailedError(ifMatch.raw, entityTag(reservation.version));
  }
  const transition: Transition = TRANSITIONS[action.transition];
  const current = effectiveStatus(task, reservation, now).status;
  // A derived status is written down only once it holds: stored as before, read as after.
  const allowed = transition.afterDeadline ? transition.from.includes(reservation.status) && current === transition.to : transition.from.includes(current);
  if (!allowed) {
    throw new ReservationStateError(reservation.sid, requiredStateLabel(transition.afterDeadline ? [transition.to] : transition.from));
  }
  if (action.extendWrapUpMs !== undefined && reservation.wrapUpDeadline === undefined) {
    throw new WrapUpLimitError(reservation.sid);
  }
  if (action.needsContactUri !== undefined && reservation.contactUri === undefined) {
    throw missingContact(action.needsContactUri, action.instruction?.name ?? action.transition);
  }
}
