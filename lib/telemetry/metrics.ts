/**
 * Every CloudWatch metric the service publishes, declared once: its name, its unit and, for a
 * count, the one dimension that splits it and every value that dimension may take. The code counts
 * through the Telemetry port (telemetry.ts), the stack's alarms and dashboard read the same names
 * (infra/alarms.ts, infra/dashboard.ts).
 *
 * A dimension value is one of a handful of words fixed here, never a SID or anything a caller
 * sent: CloudWatch bills every distinct combination of name and dimension values as a metric of
 * its own, and a dimension is stored and shown in clear, where a SID or an attribute would
 * multiply the bill and leak what the logs redact. A new metric is one more entry here.
 */
import { INSTRUCTION_NAMES } from '../domain/parameters.ts';
import { RESERVATION_STATUSES } from '../domain/state-machine.ts';

export const METRICS_NAMESPACE = 'TaskRouterReservations';

interface CountSpec {
  readonly name: string;
  readonly unit: 'Count';
  readonly dimension: string;
  readonly values: readonly string[];
  /** Published in connected mode only (the dashboard shows it there). */
  readonly connected?: true;
}

interface MeasureSpec {
  readonly name: string;
  readonly unit: 'Count' | 'Milliseconds';
  readonly statistic: 'Maximum' | 'p99';
  readonly connected?: true;
}

/** What an assignment callback answered with: the policy's instruction, or none (`{}`). */
const ANSWERS = [...INSTRUCTION_NAMES, 'none'] as const;

export const METRICS = {
  /** Assignment callbacks answered, by the instruction given (a repeat answers what the first did). */
  callbacksAnswered: { name: 'CallbacksAnswered', unit: 'Count', dimension: 'Instruction', values: ANSWERS },
  /**
   * Reservation updates, by outcome: the status the reservation was left in, `refused` for a 4xx
   * (not pending, If-Match, a bad parameter, unknown), `failed` for a 5xx.
   */
  updates: { name: 'Updates', unit: 'Count', dimension: 'Outcome', values: [...RESERVATION_STATUSES, 'refused', 'failed'] },
  /**
   * Reservation timers fired, by what they found: `expired` (the timeout written down),
   * `nothing-to-do` (answered before its deadline, or a repeat), `not-found`; connected, what
   * TaskRouter said.
   */
  timeouts: {
    name: 'Timeouts',
    unit: 'Count',
    dimension: 'Outcome',
    values: ['expired', 'nothing-to-do', 'not-found', 'upstream-recorded', 'upstream-still-pending', 'upstream-unknown', 'upstream-gone'],
  },
  /**
   * Wrap-up timers fired (a lifecycle rule's wrapUpSeconds), by what they found: `completed` (the
   * completion written down at the deadline), `nothing-to-do` (completed before, or extended),
   * `not-found`; connected, `upstream-unsettled` (left to the sweep) or `upstream-refused`.
   */
  wrapUpTimers: {
    name: 'WrapUpTimers',
    unit: 'Count',
    dimension: 'Outcome',
    values: ['completed', 'nothing-to-do', 'not-found', 'upstream-unsettled', 'upstream-refused'],
  },
  /**
   * Event callbacks POSTed to EVENT_CALLBACK_URL: `delivered`, `retried` (a failed attempt, tried
   * again later), `parked` (the last attempt failed), `dropped` (nowhere to send it).
   */
  eventDeliveries: { name: 'EventDeliveries', unit: 'Count', dimension: 'Outcome', values: ['delivered', 'retried', 'parked', 'dropped'] },
  /**
   * Connected: updates forwarded to TaskRouter, by its answer: `confirmed` (2xx), `refused` (4xx,
   * 429), `unknown` (5xx, a time-out, a lost connection); `settled`, an unknown one settled since
   * by reading the reservation.
   */
  forwards: { name: 'Forwards', unit: 'Count', dimension: 'Outcome', values: ['confirmed', 'refused', 'unknown', 'settled'], connected: true },
  /** Connected: reservations read from TaskRouter (deadline checks, settling reads): `answered`, `gone` (404), `failed`. */
  upstreamReads: { name: 'UpstreamReads', unit: 'Count', dimension: 'Outcome', values: ['answered', 'gone', 'failed'], connected: true },
  /** Connected: how long after TaskRouter's event time its event was applied to the record. */
  mirrorLag: { name: 'MirrorLag', unit: 'Milliseconds', statistic: 'p99', connected: true },
  /** Connected: forwarded updates the sweep found still unsettled five minutes on. */
  unsettledForwards: { name: 'ForwardsUnsettledOverFiveMinutes', unit: 'Count', statistic: 'Maximum', connected: true },
} as const satisfies Record<string, CountSpec | MeasureSpec>;

type Metrics = typeof METRICS;

/** The metrics counted by a dimension's value. */
export type CountedMetric = { [K in keyof Metrics]: Metrics[K] extends CountSpec ? K : never }[keyof Metrics];
/** The metrics that record a measured value. */
export type MeasuredMetric = Exclude<keyof Metrics, CountedMetric>;
/** The values the dimension of `M` may take. */
export type DimensionValue<M extends CountedMetric> = Metrics[M]['values'][number];
