/**
 * The reservation lifecycle as one table. Every rule about which update moves which status, and
 * what the task does then, is read from here: by the REST update, by the assignment callback's
 * instructions, by the timeout function and by the DynamoDB adapter, which compiles `from` into the
 * condition of its single conditional write.
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
  /**
   * Allowed only once this time of the reservation has passed: it writes down what every read
   * already reports. `deadline`: a pending reservation's end (timeout); `wrapUpDeadline`: the end
   * of a wrap-up with a time limit (a lifecycle rule's wrapUpSeconds), which completes it.
   */
  readonly afterDeadline?: 'deadline' | 'wrapUpDeadline';
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
  timeout: { from: ['pending'], to: 'timeout', task: 'pending', afterDeadline: 'deadline' },
  /** A wrap-up's time ran out: the wrap-up timer writes its completion down. */
  expireWrapUp: { from: ['wrapping'], to: 'completed', task: 'completed', afterDeadline: 'wrapUpDeadline' },
  /** This service's own: more time for a wrap-up with a time limit (the status stays). */
  extendWrapUp: { from: ['wrapping'], to: 'wrapping', task: 'wrapping' },
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
 * A task whose accepted reservation is in one of these is being worked on: it keeps no TTL (TTL
 * only removes finished records). Pending reservations need none either: RETENTION_DAYS (≥ 1 day)
 * always outlasts their deadline (≤ 86,400 s).
 */
export const WORKED_STATUSES: readonly ReservationStatus[] = ['accepted', 'wrapping'];

/** Statuses a transition or a task effect leads to from `status`. */
function successors(status: ReservationStatus): ReservationStatus[] {
  const next: ReservationStatus[] = Object.values(TRANSITIONS)
    .filter((t) => (t.from as readonly ReservationStatus[]).includes(status) && t.to !== status)
    .map((t) => t.to);
  return status === 'pending' ? [...next, ...Object.values(TASK_EFFECTS)] : next;
}

/**
 * How far along its life a status is: the length of the longest way to it from `pending` through
 * the transitions above (pending 0; accepted, rejected, timeout, rescinded, canceled 1; wrapping 2;
 * completed 3). A reservation only moves up: it never returns to pending, and connected mode
 * records what TaskRouter observed only when it ranks above what the record holds (between two
 * statuses of one rank, TaskRouter's later observation wins).
 */
export const STATUS_RANK: Readonly<Record<ReservationStatus, number>> = (() => {
  const rank = Object.fromEntries(RESERVATION_STATUSES.map((s) => [s, -1])) as Record<ReservationStatus, number>;
  const visit = (status: ReservationStatus, depth: number) => {
    if (rank[status] >= depth) return;
    rank[status] = depth;
    for (const next of successors(status)) visit(next, depth + 1);
  };
  visit('pending', 0);
  return rank;
})();

/** The statuses of a reservation that has claimed its task: accepted, and what follows it. */
export const CLAIMED_STATUSES: readonly ReservationStatus[] = (() => {
  const claims = Object.values(TRANSITIONS).filter((t: Transition) => t.claimsTask === true);
  const claimed = new Set<ReservationStatus>(claims.map((t) => t.to));
  const queue = [...claimed];
  for (let status = queue.shift(); status !== undefined; status = queue.shift()) {
    for (const next of successors(status)) {
      if (claimed.has(next)) continue;
      claimed.add(next);
      queue.push(next);
    }
  }
  return RESERVATION_STATUSES.filter((s) => claimed.has(s));
})();

/**
 * What recording a status TaskRouter observed does beyond the reservation itself, read from the
 * transitions: `claimsTask`, the status an accept leads to, makes it the task's accepted
 * reservation; `impliesClaim`, a status that only follows an accept (wrapping, completed), claims
 * the task too when its acceptance went unobserved (an event lost), keeping a claim already
 * recorded; `countsRejection` counts towards MAX_REJECTIONS.
 */
export function observedEffects(status: Exclude<ReservationStatus, 'pending'>): {
  readonly claimsTask: boolean;
  readonly impliesClaim: boolean;
  readonly countsRejection: boolean;
} {
  const into: Transition[] = Object.values(TRANSITIONS).filter((t: Transition) => t.to === status && !t.from.includes(status));
  const claimsTask = into.some((t) => t.claimsTask === true);
  return {
    claimsTask,
    impliesClaim: !claimsTask && CLAIMED_STATUSES.includes(status),
    countsRejection: into.some((t) => t.countsRejection === true),
  };
}

/**
 * A status that claims the task or counts a rejection is final within its rank: an accepted
 * reservation does not become rescinded or timed out, and a rejection once counted stays counted.
 * The others (timeout, canceled, rescinded: what a reservation that was never answered became)
 * give way to TaskRouter's later word of the same rank.
 */
export function finalInRank(status: ReservationStatus): boolean {
  if (status === 'pending') return false;
  const effects = observedEffects(status);
  return effects.claimsTask || effects.impliesClaim || effects.countsRejection;
}

/**
 * Whether TaskRouter's word that a reservation is `observed` (at `observedAt`) replaces what the
 * record holds (`stored`, recorded as TaskRouter's word at `storedObservedAt`, if it was). A status
 * further along its life always does: a reservation never goes back. Within one rank, nothing
 * replaces a final status; a final one replaces any other; and between two others, the later word
 * wins. So the same words, delivered twice and in any order, end in the same record.
 */
export function observationReplaces(
  stored: ReservationStatus,
  storedObservedAt: number | undefined,
  observed: Exclude<ReservationStatus, 'pending'>,
  observedAt: number,
): boolean {
  if (STATUS_RANK[stored] !== STATUS_RANK[observed]) return STATUS_RANK[stored] < STATUS_RANK[observed];
  if (stored === observed || finalInRank(stored)) return false;
  return finalInRank(observed) || storedObservedAt === undefined || storedObservedAt < observedAt;
}

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
