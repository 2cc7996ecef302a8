/**
 * Reservation timers. A timer only writes down what every read already reports once the deadline
 * has passed, so one that fires late, twice, or never changes nothing a client can see but the
 * record itself (and the worker's move to TIMEOUT_ACTIVITY_SID).
 */
import { createHash } from 'node:crypto';
import { canonicalSid } from '../domain/sid.ts';

/**
 * What a timer is for: a pending reservation's timeout (no kind, as every timer armed before
 * lifecycle rules), the end of a wrap-up with a time limit, or a reservation held long enough to
 * need attention (lib/lifecycle).
 */
export type TimerKind = 'wrap-up' | 'attention';
export const TIMER_KINDS: readonly TimerKind[] = ['wrap-up', 'attention'];

export interface ReservationTimer {
  readonly accountSid: string;
  readonly workspaceSid: string;
  readonly taskSid: string;
  readonly reservationSid: string;
  /** Epoch ms. */
  readonly deadline: number;
  readonly kind?: TimerKind;
  /** A timeout's activity for the worker, decided when it was armed (a lifecycle rule's, else TIMEOUT_ACTIVITY_SID). */
  readonly activitySid?: string;
}

/**
 * A timer's name, deterministic so that arming it twice finds the first: the ReservationSid for the
 * reader, and a digest of account, workspace, task and deadline, so that another account naming the
 * same SIDs arms a timer of its own instead of finding this one, and a later check of the same
 * reservation (connected mode) is a timer of its own. 64 characters, the longest name EventBridge
 * Scheduler takes.
 */
export function timerName(timer: ReservationTimer): string {
  const scope = createHash('sha256')
    .update(`${timer.accountSid}#${timer.workspaceSid}#${timer.taskSid}#${timer.reservationSid}#${timer.deadline}${timer.kind ? `#${timer.kind}` : ''}`)
    .digest('hex');
  return `rt-${timer.reservationSid}-${scope.slice(0, 26)}`;
}

/** What the timeout function receives: the reservation's keys, the timer's kind and a timeout's activity (EventBridge Scheduler's Input). */
export type TimeoutEvent = Omit<ReservationTimer, 'deadline'>;

export interface TimeoutScheduler {
  /** Arms the reservation's timer; arming it again is harmless. */
  schedule(timer: ReservationTimer): Promise<void>;
}

/** The event a timer delivers, or undefined when it is not one (a retry would not mend it). */
export function parseTimeoutEvent(event: unknown): TimeoutEvent | undefined {
  const e = (event ?? {}) as Record<string, unknown>;
  const accountSid = canonicalSid(e['accountSid'], 'AC');
  const workspaceSid = canonicalSid(e['workspaceSid'], 'WS');
  const taskSid = canonicalSid(e['taskSid'], 'WT');
  const reservationSid = canonicalSid(e['reservationSid'], 'WR');
  const kind = TIMER_KINDS.find((k) => k === e['kind']);
  if (e['kind'] !== undefined && kind === undefined) return undefined;
  const activitySid = e['activitySid'] === undefined ? undefined : canonicalSid(e['activitySid'], 'WA');
  if (e['activitySid'] !== undefined && activitySid === undefined) return undefined;
  return accountSid && workspaceSid && taskSid && reservationSid
    ? { accountSid, workspaceSid, taskSid, reservationSid, ...(kind && { kind }), ...(activitySid && { activitySid }) }
    : undefined;
}
