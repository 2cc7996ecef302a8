/**
 * What an event adds to the statistics, and how those additions sum up. Every event is counted in
 * the tally of its tenth of a second (lib/statistics/statistics-recorder.ts) as one entry, kept
 * under the event's id: what it counts, from which the counts follow, as attributes named
 * `<family>|<member>|<field>`:
 *
 *   families   w  the workspace (member: empty)      q  a task queue (WQ…)      f  a workflow (WW…)
 *              k  a worker (WK…)                     p  a worker's reservations from a task queue (WQ…:WK…)
 *   fields     rc ra rr rt rx rs   reservations created, accepted, rejected, timed out, canceled, rescinded
 *              tc tx               tasks completed, canceled
 *              wa.<s> wx.<s>       tasks accepted / canceled after waiting <s> whole seconds since the
 *                                  task was created (its TaskAge then): a histogram, from which
 *                                  avg, min, max, total and every SplitByWaitTime threshold follow exactly
 *
 * A worker's activity changes are kept as they happened (worker, time, activity), since time spent
 * in an activity is not a count: lib/domain/activity-durations.ts.
 *
 * An entry is a pure function of the event, which has a deterministic SID, and a tally keeps the
 * first entry stored under an id: counting an event again (a replay, a repeat, another derivation
 * of it) leaves the tally as it was.
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

/**
 * A tally holds a tenth of a second's events: a DynamoDB update is billed by the size of the item
 * it rewrites (a unit per KB), so a tally stays about a kilobyte at tens of events a second, where
 * a whole second's would be ten times that. The requests of one turn of the event loop write
 * events of the same few milliseconds: their counts still share an update.
 */
export const SLOT_MS = 100;
/** The second a slot (tenths of a second since the epoch) falls in. */
export const secondOfSlot = (slot: number) => Math.floor((slot * SLOT_MS) / 1000);

/**
 * What one event adds to the tally of its slot: its `entry`, which names what it counts (a pure
 * function of the event), kept in the tally under the event's id.
 */
export interface Contribution {
  /** The event's SID without its `EV`: what the tally keeps its entry under. */
  readonly id: string;
  /** The tenth of a second (since the epoch) of the event's time: its tally. */
  readonly slot: number;
  readonly entry: string;
}

export const tallyAttribute = (family: Family, member: string, field: string) => `${family}|${member}|${field}`;

/** An activity change's kind in an entry. */
const ACTIVITY = 'a';

/** Whole seconds the task had waited at this event (TaskRouter's TaskAge), if the event says. */
function waited(event: TaskRouterEvent): string {
  const age = event.data.TaskAge;
  return age !== undefined && /^\d+$/.test(age) ? age : '';
}

/**
 * What `event` adds to the statistics; undefined for an event that counts nowhere (a wrap-up, say).
 *
 * The entry holds what the counts follow from, `|`-separated (SIDs hold no `|`): a reservation
 * event's field (`rc`…`rs`), task queue, workflow, worker and, accepted, the wait; `tc` or `tx`
 * with the task queue, workflow and, canceled, the wait; `a`, the worker, the time (ms) and the
 * activity of an activity change. `countEntries` turns entries into counts.
 */
export function contributionOf(event: TaskRouterEvent): Contribution | undefined {
  const entry = entryOf(event);
  return entry === undefined ? undefined : { id: event.sid.slice(2), slot: Math.floor(event.at / SLOT_MS), entry };
}

function entryOf(event: TaskRouterEvent): string | undefined {
  // Worker events carry no task (nor queue or workflow).
  const queue: string = event.taskQueueSid ?? '';
  const workflow: string = event.workflowSid ?? '';
  const field = RESERVATION_COUNTS[event.type];
  if (field !== undefined) return [field, queue, workflow, event.workerSid ?? '', field === 'ra' ? waited(event) : ''].join('|');
  if (event.type === 'task.completed') return ['tc', queue, workflow].join('|');
  if (event.type === 'task.canceled') return ['tx', queue, workflow, '', waited(event)].join('|');
  if (event.type === 'worker.activity.update' && event.workerSid !== undefined && event.data.WorkerActivitySid !== undefined) {
    return [ACTIVITY, event.workerSid, String(event.at), event.data.WorkerActivitySid].join('|');
  }
  return undefined;
}

/**
 * What a tally's entries add up to: the counts, as attributes named `<family>|<member>|<field>`
 * (each reservation event its field for the workspace, its queue, workflow and worker, and the
 * pair queue:worker; `accepted` a bin `wa.<seconds>` of the wait; a task's completion
 * and cancellation `tc`, `tx` and a bin `wx.<seconds>`), and the activity changes. An entry not
 * understood (written by a later version) counts nowhere.
 */
export function countEntries(entries: Iterable<string>): { counts: Record<string, number>; activities: ActivityChange[] } {
  const counts: Record<string, number> = {};
  const activities: ActivityChange[] = [];
  const add = (family: Family, member: string, field: string) => {
    const name = tallyAttribute(family, member, field);
    counts[name] = (counts[name] ?? 0) + 1;
  };
  for (const entry of entries) {
    const fields = entry.split('|');
    if (fields[0] === ACTIVITY) {
      const [, workerSid = '', at = '', activitySid = ''] = fields;
      if (workerSid && /^\d+$/.test(at) && activitySid) activities.push({ workerSid, at: Number(at), activitySid });
      continue;
    }
    const [kind = '', queue = '', workflow = '', worker = '', wait = ''] = fields;
    const reservation = Object.hasOwn(RESERVATION_FIELDS, kind);
    if (!reservation && kind !== 'tc' && kind !== 'tx') continue;
    const routing = (field: string) => {
      add('w', '', field);
      if (queue) add('q', queue, field);
      if (workflow) add('f', workflow, field);
    };
    routing(kind);
    if (reservation && worker) {
      add('k', worker, kind);
      if (queue) add('p', `${queue}:${worker}`, kind);
    }
    if (/^\d+$/.test(wait) && (kind === 'ra' || kind === 'tx')) routing(`${kind === 'ra' ? ACCEPT_WAIT : CANCEL_WAIT}${Number(wait)}`);
  }
  return { counts, activities };
}

/** A second's tallies as read: its counts and activity changes. */
export interface Tally {
  readonly second: number;
  /** Every counted attribute (`<family>|<member>|<field>`) and its count. */
  readonly counts: Readonly<Record<string, number>>;
  readonly activities: readonly ActivityChange[];
}

/** Slots' tallies as a store reads them back (each slot's second and entries): one `Tally` per second, in order. */
export function talliesBySecond(slots: Iterable<readonly [second: number, entries: Iterable<string>]>): Tally[] {
  const bySecond = new Map<number, string[]>();
  for (const [second, entries] of slots) bySecond.set(second, [...(bySecond.get(second) ?? []), ...entries]);
  return [...bySecond].sort(([a], [b]) => a - b).map(([second, entries]) => ({ second, ...countEntries(entries) }));
}
