/**
 * Reservation timers. A timer only writes down what every read already reports once the deadline
 * has passed, so one that fires late, twice, or never changes nothing a client can see but the
 * record itself (and the worker's move to TIMEOUT_ACTIVITY_SID).
 */
import { createHash } from 'node:crypto';
import { canonicalSid } from '../domain/sid.ts';

export interface ReservationTimer {
  readonly accountSid: string;
  readonly workspaceSid: string;
  readonly taskSid: string;
  readonly reservationSid: string;
  /** Epoch ms. */
  readonly deadline: number;
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
    .update(`${timer.accountSid}#${timer.workspaceSid}#${timer.taskSid}#${timer.reservationSid}#${timer.deadline}`)
    .digest('hex');
  return `rt-${timer.reservationSid}-${scope.slice(0, 26)}`;
}

/** What the timeout function receives: the reservation's keys (EventBridge Scheduler's Input). */
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
  return accountSid && workspaceSid && taskSid && reservationSid ? { accountSid, workspaceSid, taskSid, reservationSid } : undefined;
}
