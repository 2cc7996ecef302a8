/**
 * What an event adds to the statistics, and how those additions sum up. Every event is counted in
 * the tally of its second (lib/statistics/statistics-recorder.ts), as attributes named
 * `<family>|<member>|<field>`:
 *
 *   families   w  the workspace (member: empty)      q  a task queue (WQ…)      f  a workflow (WW…)
 *              k  a worker (WK…)                     p  a task queue's worker (WQ…:WK…)
 *   fields     rc ra rr rt rx rs   reservations created, accepted, rejected, timed out, canceled, rescinded
 *              tc tx               tasks completed, canceled
 *              wa.<s> wx.<s>       tasks accepted / canceled after waiting <s> whole seconds since the
 *                                  task was created (its TaskAge then): a histogram, from which
 *                                  avg, min, max, total and every SplitByWaitTime threshold follow exactly
 *
 * A worker's activity changes are kept as they happened (`a|<event>` = worker, time, activity),
 * since time spent in an activity is not a count: lib/domain/activity-durations.ts.
 *
 * Counts are a pure function of the event, which is a pure function of the record with a
 * deterministic SID, so counting an event again (a replay) adds exactly what it added the first time:
 * the tally remembers the SIDs it has counted and refuses a second time.
 */
import type { TaskRouterEvent } from './events.ts';

export type Family = 'w' | 'q' | 'f' | 'k' | 'p';
export const FAMILIES: readonly Family[] = ['w', 'q', 'f', 'k', 'p'];

/** Counters of one member (a queue, a worker…): field → count. */
export type Counters = Record<string, number>;

/** The reservation counters, in the order of Twilio's fields. */
export const RESERVATION_FIELDS = {
  rc: 'reservations_created',
  ra: 'reservations_accepted',
  rr: 'reservations_rejected',
  rt: 'reservations_timed_out',
  rx: 'reservations_canceled',
  rs: 'reservations_rescinded',
} as const;
export type ReservationField = keyof typeof RESERVATION_FIELDS;

/** The field each reservation event counts in. */
const RESERVATION_COUNTS: Partial<Record<TaskRouterEvent['type'], ReservationField>> = {
  'reservation.created': 'rc',
  'reservation.accepted': 'ra',
  'reservation.rejected': 'rr',
  'reservation.timeout': 'rt',
  'reservation.canceled': 'rx',
  'reservation.rescinded': 'rs',
};

export const ACCEPT_WAIT = 'wa.';
export const CANCEL_WAIT = 'wx.';

export interface ActivityChange {
  readonly workerSid: string;
  /** Epoch ms. */
  readonly at: number;
  readonly activitySid: string;
}

/** What one event adds to the tally of its second. */
export interface Contribution {
  /** The event's SID without its `EV`: what the tally remembers it by. */
  readonly id: string;
  readonly second: number;
  /** Tally attributes and what the event adds to each. */
  readonly counts: ReadonlyMap<string, number>;
  readonly activity?: ActivityChange;
}

export const tallyAttribute = (family: Family, member: string, field: string) => `${family}|${member}|${field}`;
export const ACTIVITY_PREFIX = 'a|';

/** Whole seconds the task had waited at this event (TaskRouter's TaskAge), if the event says. */
function waited(event: TaskRouterEvent): number | undefined {
  const age = event.data.TaskAge;
  return age !== undefined && /^\d+$/.test(age) ? Number(age) : undefined;
}

/** What `event` adds to the statistics; undefined for an event that counts nowhere (a wrap-up, say). */
export function contributionOf(event: TaskRouterEvent): Contribution | undefined {
  const counts = new Map<string, number>();
  const add = (family: Family, member: string, field: string) => {
    const name = tallyAttribute(family, member, field);
    counts.set(name, (counts.get(name) ?? 0) + 1);
  };
  // Worker events carry no task (nor queue or workflow): they count for the workspace only.
  const taskQueueSid: string | undefined = event.taskQueueSid;
  const workflowSid: string | undefined = event.workflowSid;
  const routing = (field: string) => {
    add('w', '', field);
    if (taskQueueSid !== undefined) add('q', taskQueueSid, field);
    if (workflowSid !== undefined) add('f', workflowSid, field);
  };
  const reservationField = RESERVATION_COUNTS[event.type];
  if (reservationField !== undefined) {
    routing(reservationField);
    if (event.workerSid !== undefined) {
      add('k', event.workerSid, reservationField);
      if (reservationField === 'rc' && taskQueueSid !== undefined) add('p', `${taskQueueSid}:${event.workerSid}`, 'rc');
    }
    const wait = waited(event);
    if (reservationField === 'ra' && wait !== undefined) routing(`${ACCEPT_WAIT}${wait}`);
  }
  if (event.type === 'task.completed') routing('tc');
  if (event.type === 'task.canceled') {
    routing('tx');
    const wait = waited(event);
    if (wait !== undefined) routing(`${CANCEL_WAIT}${wait}`);
  }
  const activity: ActivityChange | undefined =
    event.type === 'worker.activity.update' && event.workerSid !== undefined && event.data.WorkerActivitySid !== undefined
      ? { workerSid: event.workerSid, at: event.at, activitySid: event.data.WorkerActivitySid }
      : undefined;
  if (counts.size === 0 && activity === undefined) return undefined;
  return { id: event.sid.slice(2), second: Math.floor(event.at / 1000), counts, ...(activity && { activity }) };
}

/** An activity change as a tally keeps it (`a|<event>`'s value). */
export const encodeActivity = (change: ActivityChange) => `${change.workerSid}|${change.at}|${change.activitySid}`;

export function decodeActivity(value: string): ActivityChange | undefined {
  const [workerSid, at, activitySid] = value.split('|');
  return workerSid && activitySid && /^\d+$/.test(at ?? '') ? { workerSid, at: Number(at), activitySid } : undefined;
}

/** A tally as read: its second's counts and activity changes. */
export interface Tally {
  readonly second: number;
  /** Every counted attribute (`<family>|<member>|<field>`) and its count. */
  readonly counts: Readonly<Record<string, number>>;
  readonly activities: readonly ActivityChange[];
}
