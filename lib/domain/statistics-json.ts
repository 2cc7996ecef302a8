/**
 * TaskRouter's Statistics resources as JSON (Twilio's OpenAPI schemas `workspace_*`, `task_queue_*`,
 * `workflow_*`, `worker*_statistics`), from an aggregate of the record (lib/domain/statistics-aggregate.ts).
 *
 * Exact where the record determines a field; where it cannot, `null` if the schema allows it and
 * `0` otherwise: the record starts at the assignment (no `task.created` or `task-queue.entered`, so
 * no tasks created, entered, moved, deleted or timed out of a workflow, and no time in queue) and
 * holds no task channel (so a `TaskChannel` filter selects nothing it could vouch for).
 */
import { durationsInWindow, type ActivityMark } from './activity-durations.ts';
import { twilioDate } from './clock.ts';
import type { Aggregate } from './statistics-aggregate.ts';
import type { PendingReservation } from './statistics-realtime.ts';
import type { StatisticsQuery, StatisticsWindow } from './statistics-query.ts';
import { ACCEPT_WAIT, CANCEL_WAIT, RESERVATION_FIELDS, type Counters } from './statistics-tally.ts';

export interface WaitDuration {
  readonly avg: number;
  readonly min: number;
  readonly max: number;
  readonly total: number;
}

/** Waits from a histogram of whole seconds (`<prefix><seconds>` → tasks). */
function histogram(counters: Counters, prefix: string): Map<number, number> {
  const bins = new Map<number, number>();
  for (const [field, n] of Object.entries(counters)) if (field.startsWith(prefix) && n > 0) bins.set(Number(field.slice(prefix.length)), n);
  return bins;
}

export function waitDuration(bins: ReadonlyMap<number, number>): WaitDuration {
  let count = 0;
  let total = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  for (const [seconds, n] of bins) {
    count += n;
    total += seconds * n;
    min = Math.min(min, seconds);
    max = Math.max(max, seconds);
  }
  return count === 0 ? { avg: 0, min: 0, max: 0, total: 0 } : { avg: Math.round(total / count), min, max, total };
}

const countBelow = (bins: ReadonlyMap<number, number>, threshold: number) => [...bins].reduce((sum, [s, n]) => (s < threshold ? sum + n : sum), 0);

/**
 * SplitByWaitTime: for each threshold, the reservations accepted and the tasks canceled below it
 * (waited less than that many seconds) and above it (that many or more), keyed by the threshold.
 */
function splitByWaitTime(counters: Counters, splits: readonly number[]) {
  const accepted = histogram(counters, ACCEPT_WAIT);
  const canceled = histogram(counters, CANCEL_WAIT);
  const all = (bins: Map<number, number>) => [...bins.values()].reduce((a, b) => a + b, 0);
  return Object.fromEntries(
    splits.map((t) => {
      const acceptedBelow = countBelow(accepted, t);
      const canceledBelow = countBelow(canceled, t);
      return [
        String(t),
        {
          above: { reservations_accepted: all(accepted) - acceptedBelow, tasks_canceled: all(canceled) - canceledBelow },
          below: { reservations_accepted: acceptedBelow, tasks_canceled: canceledBelow },
        },
      ];
    }),
  );
}

export const reservationCounts = (counters: Counters) =>
  Object.fromEntries(Object.entries(RESERVATION_FIELDS).map(([code, name]) => [name, counters[code] ?? 0])) as Record<
    (typeof RESERVATION_FIELDS)[keyof typeof RESERVATION_FIELDS],
    number
  >;

export const windowTimes = (window: StatisticsWindow) => ({ start_time: twilioDate(window.fromSecond * 1000), end_time: twilioDate(window.toSecond * 1000) });

/** The counters a query can vouch for: none under a TaskChannel filter (the record holds no channel). */
const vouched = (query: StatisticsQuery, counters: Counters | undefined): Counters | undefined => (query.taskChannel !== undefined ? undefined : counters);

/**
 * The cumulative fields the workspace, a task queue and a workflow share (each adds its own), for
 * the counters of one member (`undefined`: the record cannot say).
 */
function taskCumulative(query: StatisticsQuery, given: Counters | undefined) {
  const counters = vouched(query, given);
  const c = counters ?? {};
  const accepted = waitDuration(histogram(c, ACCEPT_WAIT));
  return {
    avg_task_acceptance_time: accepted.avg,
    ...windowTimes(query.window),
    ...reservationCounts(c),
    split_by_wait_time: query.splits !== undefined && counters !== undefined ? splitByWaitTime(c, query.splits) : null,
    wait_duration_until_accepted: counters === undefined ? null : accepted,
    wait_duration_until_canceled: counters === undefined ? null : waitDuration(histogram(c, CANCEL_WAIT)),
    tasks_canceled: c['tx'] ?? 0,
    tasks_completed: c['tc'] ?? 0,
  };
}

/** `cumulative` of the combined Statistics resources: the same fields without the resource's own SIDs and URL. */
export function nested<T extends Record<string, unknown>>(resource: T): Omit<T, 'account_sid' | 'workspace_sid' | 'url' | 'task_queue_sid' | 'workflow_sid'> {
  const { account_sid: _a, workspace_sid: _w, url: _u, task_queue_sid: _q, workflow_sid: _f, ...rest } = resource;
  return rest;
}

export interface ResourceIds {
  readonly accountSid: string;
  readonly workspaceSid: string;
  readonly url: string;
}

export function workspaceCumulativeJson(ids: ResourceIds, query: StatisticsQuery, aggregate: Aggregate) {
  return {
    account_sid: ids.accountSid,
    ...taskCumulative(query, aggregate.counts.w?.[''] ?? {}),
    tasks_created: 0,
    tasks_deleted: 0,
    tasks_moved: 0,
    tasks_timed_out_in_workflow: 0,
    workspace_sid: ids.workspaceSid,
    url: ids.url,
  };
}

export function taskQueueCumulativeJson(ids: ResourceIds, taskQueueSid: string, query: StatisticsQuery, aggregate: Aggregate) {
  return {
    account_sid: ids.accountSid,
    ...taskCumulative(query, aggregate.counts.q?.[taskQueueSid] ?? {}),
    task_queue_sid: taskQueueSid,
    wait_duration_in_queue_until_accepted: null,
    tasks_deleted: 0,
    tasks_entered: 0,
    tasks_moved: 0,
    workspace_sid: ids.workspaceSid,
    url: ids.url,
  };
}

export function workflowCumulativeJson(ids: ResourceIds, workflowSid: string, query: StatisticsQuery, aggregate: Aggregate) {
  return {
    account_sid: ids.accountSid,
    ...taskCumulative(query, aggregate.counts.f?.[workflowSid] ?? {}),
    tasks_entered: 0,
    tasks_deleted: 0,
    tasks_moved: 0,
    tasks_timed_out_in_workflow: 0,
    workflow_sid: workflowSid,
    workspace_sid: ids.workspaceSid,
    url: ids.url,
  };
}

export interface ActivityDuration {
  readonly sid: string;
  readonly friendly_name: string | null;
  readonly avg: number;
  readonly min: number;
  readonly max: number;
  readonly total: number;
}

/**
 * `activity_durations` of some workers: per activity, over the workers that spent time in it in
 * the window, the least, average, most and total seconds one of them spent there. Activity names
 * are not in the record (only their SIDs), so `friendly_name` is null.
 */
export function activityDurations(
  workers: readonly string[],
  aggregate: Aggregate,
  priorOf: (workerSid: string) => ActivityMark | undefined,
  fromMs: number,
  endMs: number,
): ActivityDuration[] {
  const perActivity = new Map<string, number[]>();
  for (const worker of workers) {
    const durations = durationsInWindow(priorOf(worker), aggregate.activity[worker], fromMs, endMs);
    for (const [activity, ms] of Object.entries(durations)) {
      const list = perActivity.get(activity) ?? [];
      list.push(ms);
      perActivity.set(activity, list);
    }
  }
  return [...perActivity.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([sid, list]) => {
      const totalMs = list.reduce((a, b) => a + b, 0);
      return {
        sid,
        friendly_name: null,
        avg: Math.round(totalMs / list.length / 1000),
        min: Math.round(Math.min(...list) / 1000),
        max: Math.round(Math.max(...list) / 1000),
        total: Math.round(totalMs / 1000),
      };
    });
}

export function workersCumulativeJson(ids: ResourceIds, query: StatisticsQuery, counters: Counters | undefined, durations: readonly ActivityDuration[]) {
  return {
    account_sid: ids.accountSid,
    ...windowTimes(query.window),
    activity_durations: query.taskChannel !== undefined ? [] : durations,
    ...reservationCounts(vouched(query, counters) ?? {}),
    workspace_sid: ids.workspaceSid,
    url: ids.url,
  };
}

/** One worker's cumulative figures: its reservations and its activity durations. */
export function workerInstanceJson(
  ids: ResourceIds,
  workerSid: string,
  query: StatisticsQuery,
  counters: Counters | undefined,
  durations: readonly ActivityDuration[],
) {
  return {
    account_sid: ids.accountSid,
    cumulative: nested(workersCumulativeJson(ids, query, counters, durations)),
    worker_sid: workerSid,
    workspace_sid: ids.workspaceSid,
    url: ids.url,
  };
}

/**
 * This service's own resources beside TaskRouter's (under `/lifecycle/v1/…/Statistics/`): the same
 * counters, for the workers one by one, for the window's minutes or hours, and the reservations
 * pending now.
 */
export function workerRowsJson(
  ids: ResourceIds,
  query: StatisticsQuery,
  rows: readonly { readonly workerSid: string; readonly friendlyName: string | null; readonly activitySid: string | null; readonly counters: Counters }[],
) {
  return {
    account_sid: ids.accountSid,
    workspace_sid: ids.workspaceSid,
    ...windowTimes(query.window),
    workers: rows.map((row) => ({
      worker_sid: row.workerSid,
      friendly_name: row.friendlyName,
      activity_sid: row.activitySid,
      ...reservationCounts(vouched(query, row.counters) ?? {}),
    })),
    url: ids.url,
  };
}

export function queueRowsJson(ids: ResourceIds, query: StatisticsQuery, rows: readonly { readonly taskQueueSid: string; readonly counters: Counters }[]) {
  return {
    account_sid: ids.accountSid,
    workspace_sid: ids.workspaceSid,
    ...windowTimes(query.window),
    task_queues: rows.map((row) => ({ task_queue_sid: row.taskQueueSid, ...reservationCounts(vouched(query, row.counters) ?? {}) })),
    url: ids.url,
  };
}

export function outcomesJson(
  ids: ResourceIds,
  window: StatisticsWindow,
  interval: string,
  buckets: readonly { readonly window: StatisticsWindow; readonly counters: Counters }[],
) {
  return {
    account_sid: ids.accountSid,
    workspace_sid: ids.workspaceSid,
    interval,
    ...windowTimes(window),
    outcomes: buckets.map((bucket) => ({ ...windowTimes(bucket.window), ...reservationCounts(bucket.counters) })),
    url: ids.url,
  };
}

export function pendingJson(ids: ResourceIds, pending: readonly PendingReservation[], shown: number, total = pending.length) {
  return {
    account_sid: ids.accountSid,
    workspace_sid: ids.workspaceSid,
    total,
    reservations: pending.slice(0, shown).map((r) => ({
      reservation_sid: r.reservationSid,
      task_sid: r.taskSid,
      worker_sid: r.workerSid,
      worker_name: r.workerName,
      task_queue_sid: r.taskQueueSid,
      deadline: new Date(r.deadline).toISOString(),
      deadline_ms: r.deadline,
    })),
    url: ids.url,
  };
}
