/**
 * The reservation lifecycle of SPEC §5 as one table. Every rule about which update moves which
 * status, and what the task does then, is read from here: by the REST update, by the assignment
 * callback's instructions, by the timeout function and by the DynamoDB adapter, which compiles
 * `from` into the condition of its single conditional write.
 */
export const RESERVATION_STATUSES = ['pending', 'accepted', 'rejected', 'timeout', 'canceled', 'rescinded', 'wrapping', 'completed'] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

export const TASK_STATUSES = ['pending', 'reserved', 'assigned', 'canceled', 'wrapping', 'completed'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export interface Transition {
  /** Statuses the reservation must be in (its effective status: see lib/domain/task.ts). */
  readonly from: readonly ReservationStatus[];
  readonly to: ReservationStatus;
  /** The task's status right after this transition when nothing else holds it. */
  readonly task: TaskStatus;
  /** This reservation becomes the task's accepted one; the other pending ones read `rescinded`. */
  readonly claimsTask?: true;
  /** Counts towards MAX_REJECTIONS; reaching it cancels the task and its pending reservations. */
  readonly countsRejection?: true;
  /** Allowed only once the deadline has passed: it writes down what every read already reports. */
  readonly afterDeadline?: true;
}

export const TRANSITIONS = {
  accept: { from: ['pending'], to: 'accepted', task: 'assigned', claimsTask: true },
  reject: { from: ['pending'], to: 'rejected', task: 'pending', countsRejection: true },
  /** An instruction that leaves the reservation pending (call or redirect without accept). */
  instruct: { from: ['pending'], to: 'pending', task: 'reserved' },
  /** Supervise: a supervisor joins the accepted reservation's call; the status stays. */
  supervise: { from: ['accepted'], to: 'accepted', task: 'assigned' },
  wrap: { from: ['accepted'], to: 'wrapping', task: 'wrapping' },
  complete: { from: ['accepted', 'wrapping'], to: 'completed', task: 'completed' },
  timeout: { from: ['pending'], to: 'timeout', task: 'pending', afterDeadline: true },
} as const satisfies Record<string, Transition>;

export type TransitionName = keyof typeof TRANSITIONS;

/** What happens to the other reservations of a task, and to the task, when it is claimed or canceled. */
export const TASK_EFFECTS = {
  /** Another reservation of the task was accepted while this one was pending. */
  claimedBySibling: 'rescinded',
  /** The task reached MAX_REJECTIONS while this one was pending. */
  taskCanceled: 'canceled',
  /** The deadline passed while this one was pending. */
  deadlinePassed: 'timeout',
} as const satisfies Record<string, ReservationStatus>;

/**
 * A task whose accepted reservation is in one of these is being worked on: it keeps no TTL
 * (SPEC §6, retention). Pending reservations need none either: RETENTION_DAYS (≥ 1 day) always
 * outlasts their deadline (≤ 86,400 s).
 */
export const WORKED_STATUSES: readonly ReservationStatus[] = ['accepted', 'wrapping'];

/** Task status while its claimed (accepted) reservation is in `status`: accepted → assigned, … */
export function taskStatusOfClaim(status: ReservationStatus): TaskStatus {
  const transition = Object.values(TRANSITIONS).find((t) => t.to === status && t.to !== 'pending');
  if (!transition) throw new Error(`no transition leads to status ${status}`);
  return transition.task;
}

/** `a Pending`, `an Accepted or Wrapping`: the phrase TaskRouter uses in its state errors. */
export function requiredStateLabel(from: readonly ReservationStatus[]): string {
  const words = from.map((s) => s[0]!.toUpperCase() + s.slice(1));
  const article = /^[AEIOU]/.test(words[0]!) ? 'an' : 'a';
  return `${article} ${words.join(' or ')}`;
}
