/**
 * The parameters of TaskRouter's Statistics resources (Twilio's OpenAPI Fetch…Statistics and
 * ListTaskQueuesStatistics): the window (`Minutes`, else `StartDate`/`EndDate`), `TaskChannel`,
 * `SplitByWaitTime`, and the workers' and queues' filters.
 *
 * Statistics count whole seconds: a window is the seconds from its start's to its end's, both
 * included, so that an event stamped 10:00:00.250 is inside a window that ends at 10:00:00 (as it
 * is inside the Event list's window with that EndDate). Counts are kept per tenth of a second
 * (lib/domain/statistics-tally.ts), finer than a window's bounds, which is what makes a window cut
 * exactly at them.
 */
import { InvalidParameterError } from './errors.ts';
import { DEFAULT_MINUTES, dateParameter } from './event-query.ts';
import { parseParameter, type ParameterSpec, type Params } from './parameters.ts';

/**
 * However short RETENTION_DAYS is, the statistics keep what TaskRouter itself offers: 30 days.
 * Their items are small (counts, never the events), so keeping them longer costs little.
 */
export const MIN_STATISTICS_DAYS = 30;

export const statisticsDaysOf = (retentionDays: number) => Math.max(retentionDays, MIN_STATISTICS_DAYS);

/** At most this many thresholds in SplitByWaitTime (each one is two more counts per answer). */
export const MAX_SPLITS = 10;
/** A threshold beyond a day says nothing a day does not (a reservation waits at most 86,400 s). */
const MAX_SPLIT_SECONDS = 86_400;

/** A window of whole seconds (epoch seconds, both included). */
export interface StatisticsWindow {
  readonly fromSecond: number;
  readonly toSecond: number;
}

export interface StatisticsQuery {
  readonly window: StatisticsWindow;
  /** The channel asked for: the record holds no task's channel, so a filter on it selects nothing. */
  readonly taskChannel?: string;
  /** SplitByWaitTime's thresholds in seconds, ascending; absent unless asked for. */
  readonly splits?: readonly number[];
}

export interface WorkersQuery extends StatisticsQuery {
  readonly taskQueueSid?: string;
  readonly taskQueueName?: string;
  readonly friendlyName?: string;
}

const PARAMETERS = {
  StartDate: { name: 'StartDate', type: { kind: 'string' }, pii: false },
  EndDate: { name: 'EndDate', type: { kind: 'string' }, pii: false },
  TaskChannel: { name: 'TaskChannel', type: { kind: 'string' }, pii: false },
  SplitByWaitTime: { name: 'SplitByWaitTime', type: { kind: 'string' }, pii: false },
  TaskQueueSid: { name: 'TaskQueueSid', type: { kind: 'sid', prefix: 'WQ' }, pii: false },
  TaskQueueName: { name: 'TaskQueueName', type: { kind: 'string' }, pii: false },
  FriendlyName: { name: 'FriendlyName', type: { kind: 'string' }, pii: false },
} as const satisfies Record<string, ParameterSpec>;

function reader(query: Params) {
  return (spec: ParameterSpec) => {
    const raw = query.get(spec.name);
    return raw === undefined ? undefined : parseParameter(spec, raw);
  };
}

/**
 * The window a query asks for, at `now`: the last `Minutes` (15 unless told), or from `StartDate`
 * to `EndDate` (each defaulting as Twilio's Event list does: the end to now, the start to 15
 * minutes before the end). `Minutes` with either date is refused, as Twilio refuses it; so is a
 * window that starts before what the statistics keep (`days`).
 */
export function readWindow(query: Params, now: number, days: number): StatisticsWindow {
  const read = reader(query);
  // At most what the statistics keep: one bound, and one message, for every bad value.
  const minutes = read({ name: 'Minutes', type: { kind: 'integer', min: 1, max: days * 1440 }, pii: false }) as number | undefined;
  const start = read(PARAMETERS.StartDate) as string | undefined;
  const end = read(PARAMETERS.EndDate) as string | undefined;
  const oldest = now - days * 86_400_000;
  if (minutes !== undefined && (start !== undefined || end !== undefined)) {
    throw new InvalidParameterError('Minutes', 'cannot be combined with StartDate or EndDate');
  }
  const to = end === undefined ? now : dateParameter('EndDate', end);
  const from = start === undefined ? to - (minutes ?? DEFAULT_MINUTES) * 60_000 : dateParameter('StartDate', start);
  if (from > to) throw new InvalidParameterError('StartDate', end === undefined ? 'must not be in the future' : 'must not be after EndDate');
  if (from < oldest) {
    const name = start !== undefined ? 'StartDate' : end !== undefined ? 'EndDate' : 'Minutes';
    throw new InvalidParameterError(name, `must not reach further back than the ${days} days the statistics keep`);
  }
  return { fromSecond: Math.floor(from / 1000), toSecond: Math.floor(to / 1000) };
}

/** A TaskChannel SID (`TC…`) or unique name (`voice`, `chat`, `default`, or one of yours). */
const CHANNEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function taskChannel(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (/^TC[0-9a-fA-F]{32}$/.test(raw)) return `TC${raw.slice(2).toLowerCase()}`;
  if (!CHANNEL_NAME.test(raw)) throw new InvalidParameterError('TaskChannel', 'must be a TaskChannel SID (TC…) or unique name such as voice');
  return raw;
}

function splits(raw: string | undefined): number[] | undefined {
  if (raw === undefined) return undefined;
  const parts = raw.split(',').map((p) => p.trim());
  const bad = () =>
    new InvalidParameterError(
      'SplitByWaitTime',
      `must be up to ${MAX_SPLITS} comma-separated whole numbers of seconds from 1 to ${MAX_SPLIT_SECONDS}, such as 5,30`,
    );
  if (parts.length > MAX_SPLITS || parts.some((p) => !/^\d{1,6}$/.test(p) || Number(p) < 1 || Number(p) > MAX_SPLIT_SECONDS)) throw bad();
  return [...new Set(parts.map(Number))].sort((a, b) => a - b);
}

/** Cumulative statistics of the workspace, a task queue or a workflow (and the combined `Statistics`). */
export function readStatisticsQuery(query: Params, now: number, days: number, options: { readonly splits: boolean } = { splits: true }): StatisticsQuery {
  const read = reader(query);
  const window = readWindow(query, now, days);
  const channel = taskChannel(read(PARAMETERS.TaskChannel) as string | undefined);
  const thresholds = options.splits ? splits(read(PARAMETERS.SplitByWaitTime) as string | undefined) : undefined;
  return { window, ...(channel !== undefined && { taskChannel: channel }), ...(thresholds !== undefined && { splits: thresholds }) };
}

/** The workers' statistics: the window, TaskChannel, and the filters on the workers. */
export function readWorkersQuery(query: Params, now: number, days: number): WorkersQuery {
  const read = reader(query);
  const base = readStatisticsQuery(query, now, days, { splits: false });
  const optional = <K extends string>(key: K, value: unknown) => (value === undefined ? {} : { [key]: value });
  return {
    ...base,
    ...optional('taskQueueSid', read(PARAMETERS.TaskQueueSid)),
    ...optional('taskQueueName', read(PARAMETERS.TaskQueueName)),
    ...optional('friendlyName', read(PARAMETERS.FriendlyName)),
  };
}

/** A real-time read takes only TaskChannel. */
export function readRealTimeQuery(query: Params): { readonly taskChannel?: string } {
  const channel = taskChannel(reader(query)(PARAMETERS.TaskChannel) as string | undefined);
  return channel === undefined ? {} : { taskChannel: channel };
}

/** `FriendlyName` of the task queues' list. */
export function readFriendlyName(query: Params): string | undefined {
  return reader(query)(PARAMETERS.FriendlyName) as string | undefined;
}

/** This service's outcome series (`…/Statistics/Outcomes`): one bucket per minute or per hour. */
export const OUTCOME_INTERVALS = ['minute', 'hour'] as const;
export type OutcomeInterval = (typeof OUTCOME_INTERVALS)[number];
const INTERVAL_SECONDS: Readonly<Record<OutcomeInterval, number>> = { minute: 60, hour: 3600 };
/**
 * Buckets one read answers at most: a day of minutes, 1,441 when the day starts inside a minute
 * (each bucket is a read of its own roll-ups).
 */
export const MAX_OUTCOME_BUCKETS = 1441;

const OUTCOME_PARAMETERS = {
  Interval: { name: 'Interval', type: { kind: 'enum', values: OUTCOME_INTERVALS }, pii: false },
  PageSize: { name: 'PageSize', type: { kind: 'integer', min: 1, max: 50 }, pii: false },
} as const satisfies Record<string, ParameterSpec>;

/**
 * The window's buckets, aligned to whole minutes or hours (UTC), the first and last cut at the
 * window's bounds: a window of the last 60 minutes starting at 10:00:30 is 10:00:30–10:00:59,
 * 10:01:00–10:01:59, …, 11:00:00–11:00:30.
 */
export function bucketsOf(window: StatisticsWindow, interval: OutcomeInterval): StatisticsWindow[] {
  const length = INTERVAL_SECONDS[interval];
  const buckets: StatisticsWindow[] = [];
  for (let start = window.fromSecond - (window.fromSecond % length); start <= window.toSecond; start += length) {
    buckets.push({ fromSecond: Math.max(start, window.fromSecond), toSecond: Math.min(start + length - 1, window.toSecond) });
  }
  return buckets;
}

/** The outcome series' query: the window as the Statistics resources take it, and `Interval` (minute unless told). */
export function readOutcomesQuery(query: Params, now: number, days: number): { readonly window: StatisticsWindow; readonly interval: OutcomeInterval } {
  const interval = (reader(query)(OUTCOME_PARAMETERS.Interval) as OutcomeInterval | undefined) ?? 'minute';
  const window = readWindow(query, now, days);
  const buckets = Math.floor(window.toSecond / INTERVAL_SECONDS[interval]) - Math.floor(window.fromSecond / INTERVAL_SECONDS[interval]) + 1;
  if (buckets > MAX_OUTCOME_BUCKETS) {
    throw new InvalidParameterError('Interval', `${interval}: the window holds ${buckets} of them, more than the ${MAX_OUTCOME_BUCKETS} one read answers`);
  }
  return { window, interval };
}

/** How many of the pending reservations (soonest deadline first) the answer lists: 5 unless told, at most 50. */
export function readPendingShown(query: Params): number {
  return (reader(query)(OUTCOME_PARAMETERS.PageSize) as number | undefined) ?? 5;
}
