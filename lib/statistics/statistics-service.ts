/**
 * The Statistics resources' use cases: each reads the window's aggregate of the families it needs
 * (lib/statistics/statistics-reader.ts) and the real-time directories, and shapes TaskRouter's JSON
 * (lib/domain/statistics-json.ts). A workspace this account has no record of is a 404, as Twilio
 * answers for a workspace that is not the account's.
 */
import type { Clock } from '../domain/clock.ts';
import { NotFoundError } from '../domain/errors.ts';
import type { WorkspaceScope } from '../domain/scope.ts';
import { sumAggregates, type Aggregate, type CacheFamily } from '../domain/statistics-aggregate.ts';
import {
  activityDurations,
  nested,
  taskQueueCumulativeJson,
  workerInstanceJson,
  workersCumulativeJson,
  workflowCumulativeJson,
  workspaceCumulativeJson,
  outcomesJson,
  pendingJson,
  workerRowsJson,
  queueRowsJson,
  type ResourceIds,
} from '../domain/statistics-json.ts';
import { bucketsOf, type OutcomeInterval, type StatisticsQuery, type StatisticsWindow, type WorkersQuery } from '../domain/statistics-query.ts';
import {
  LIVE_DEADLINE_ERROR_MS,
  byDeadline,
  pendingReservations,
  taskFigures,
  workerFigures,
  type LiveTask,
  type PendingMark,
} from '../domain/statistics-realtime.ts';
import type { Counters } from '../domain/statistics-tally.ts';
import type { TaskRecord } from '../domain/task.ts';
import type { TaskStore } from '../reservations/ports.ts';
import type { StatisticsStore } from './ports.ts';
import { StatisticsReader } from './statistics-reader.ts';

/** What a cumulative or real-time read is about. */
export type Subject = { readonly kind: 'workspace' } | { readonly kind: 'queue'; readonly sid: string } | { readonly kind: 'workflow'; readonly sid: string };

export interface StatisticsServiceOptions {
  readonly store: StatisticsStore;
  /** The task records, read by key: which reservations of those marked pending are pending now. */
  readonly tasks: Pick<TaskStore, 'getTasks'>;
  readonly clock: Clock;
  /** How far back the statistics reach (lib/domain/statistics-query.ts `statisticsDaysOf`). */
  readonly days: number;
}

const FAMILY_OF: Record<Subject['kind'], CacheFamily> = { workspace: 'w', queue: 'q', workflow: 'f' };

/** The task records one read asks for (a BatchGetItem's limit), and how many such reads go at once. */
const TASKS_PER_READ = 100;
const READS_AT_ONCE = 4;

function addCounters(into: Counters, from: Counters | undefined): void {
  for (const [field, n] of Object.entries(from ?? {})) into[field] = (into[field] ?? 0) + n;
}

export class StatisticsService {
  readonly #store: StatisticsStore;
  readonly #tasks: Pick<TaskStore, 'getTasks'>;
  readonly #reader: StatisticsReader;
  readonly #clock: Clock;
  readonly days: number;

  constructor(options: StatisticsServiceOptions) {
    this.#store = options.store;
    this.#tasks = options.tasks;
    this.#clock = options.clock;
    this.#reader = new StatisticsReader(options.store, options.clock);
    this.days = options.days;
  }

  now(): number {
    return this.#clock.now();
  }

  /** Throws Twilio's 404 for a workspace this account has no record of. */
  async #known(scope: WorkspaceScope, resource: string): Promise<void> {
    if (!(await this.#store.knowsWorkspace(scope))) throw new NotFoundError(resource);
  }

  async cumulative(ids: ResourceIds, subject: Subject, query: StatisticsQuery, resource: string) {
    await this.#known(ids, resource);
    const aggregate = await this.#reader.aggregate(ids, query.window, [FAMILY_OF[subject.kind]]);
    return this.#cumulativeJson(ids, subject, query, aggregate);
  }

  #cumulativeJson(ids: ResourceIds, subject: Subject, query: StatisticsQuery, aggregate: Aggregate) {
    if (subject.kind === 'queue') return taskQueueCumulativeJson(ids, subject.sid, query, aggregate);
    if (subject.kind === 'workflow') return workflowCumulativeJson(ids, subject.sid, query, aggregate);
    return workspaceCumulativeJson(ids, query, aggregate);
  }

  async realTime(ids: ResourceIds, subject: Subject, taskChannel: string | undefined, resource: string) {
    await this.#known(ids, resource);
    const [tasks, workers] = await Promise.all([this.#store.liveTasks(ids), subject.kind === 'workspace' ? this.#store.workers(ids) : []]);
    return this.#realTimeJson(ids, subject, taskChannel, tasks, workers);
  }

  #realTimeJson(
    ids: ResourceIds,
    subject: Subject,
    taskChannel: string | undefined,
    all: readonly LiveTask[],
    workers: Awaited<ReturnType<StatisticsStore['workers']>>,
  ) {
    // The record holds no task's channel: a channel filter selects no task it could vouch for.
    const tasks =
      taskChannel !== undefined
        ? []
        : all.filter((t) => subject.kind === 'workspace' || (subject.kind === 'queue' ? t.taskQueueSid : t.workflowSid) === subject.sid);
    const figures = taskFigures(tasks, this.#clock.now());
    const base = { account_sid: ids.accountSid };
    if (subject.kind === 'workspace') {
      const { activity_statistics, total_workers } = workerFigures(taskChannel !== undefined ? [] : workers);
      return { ...base, activity_statistics, ...figures, total_workers, workspace_sid: ids.workspaceSid, url: ids.url };
    }
    if (subject.kind === 'queue') {
      return {
        ...base,
        // Which workers a queue's target expression takes is TaskRouter's configuration, not in the record.
        activity_statistics: [],
        longest_task_waiting_age: figures.longest_task_waiting_age,
        longest_task_waiting_sid: figures.longest_task_waiting_sid,
        longest_relative_task_age_in_queue: 0,
        longest_relative_task_sid_in_queue: null,
        task_queue_sid: subject.sid,
        tasks_by_priority: figures.tasks_by_priority,
        tasks_by_status: figures.tasks_by_status,
        total_available_workers: 0,
        total_eligible_workers: 0,
        total_tasks: figures.total_tasks,
        workspace_sid: ids.workspaceSid,
        url: ids.url,
      };
    }
    return { ...base, ...figures, workflow_sid: subject.sid, workspace_sid: ids.workspaceSid, url: ids.url };
  }

  /** The combined `Statistics` resource: `cumulative` and `realtime` in one. */
  async combined(ids: ResourceIds, subject: Subject, query: StatisticsQuery, resource: string) {
    await this.#known(ids, resource);
    const [aggregate, tasks, workers] = await Promise.all([
      this.#reader.aggregate(ids, query.window, [FAMILY_OF[subject.kind]]),
      this.#store.liveTasks(ids),
      subject.kind === 'workspace' ? this.#store.workers(ids) : [],
    ]);
    const sid = subject.kind === 'queue' ? { task_queue_sid: subject.sid } : subject.kind === 'workflow' ? { workflow_sid: subject.sid } : {};
    return {
      account_sid: ids.accountSid,
      cumulative: nested(this.#cumulativeJson(ids, subject, query, aggregate)),
      realtime: nested(this.#realTimeJson(ids, subject, query.taskChannel, tasks, workers)),
      ...sid,
      workspace_sid: ids.workspaceSid,
      url: ids.url,
    };
  }

  /** Every task queue the record has seen, each with its combined statistics, ordered by SID. */
  async taskQueues(ids: ResourceIds, query: StatisticsQuery, resource: string) {
    await this.#known(ids, resource);
    const [aggregate, tasks, remembered] = await Promise.all([
      this.#reader.aggregate(ids, query.window, ['q']),
      this.#store.liveTasks(ids),
      this.#store.queues(ids),
    ]);
    const queues = [...new Set([...remembered, ...Object.keys(aggregate.counts.q ?? {}), ...tasks.map((t) => t.taskQueueSid)])].sort();
    const base = ids.url.replace(/\/TaskQueues\/Statistics$/, '');
    return queues.map((sid) => {
      const subject: Subject = { kind: 'queue', sid };
      const url = `${base}/TaskQueues/${sid}/Statistics`;
      return {
        account_sid: ids.accountSid,
        cumulative: nested(this.#cumulativeJson({ ...ids, url }, subject, query, aggregate)),
        realtime: nested(this.#realTimeJson({ ...ids, url }, subject, query.taskChannel, tasks, [])),
        task_queue_sid: sid,
        workspace_sid: ids.workspaceSid,
      };
    });
  }

  /** The window's aggregate of the workers' families and, for activity durations, each worker's last change before it. */
  async #workersAggregate(scope: WorkspaceScope, window: StatisticsWindow, families: readonly CacheFamily[]) {
    // From a whole day on, so that this read's periods are the same from one read to the next (kept roll-ups).
    const reach = Math.floor(this.#clock.now() / 1000) - this.days * 86_400;
    const oldest = reach - (reach % 86_400) + 86_400;
    const [inWindow, before] = await Promise.all([
      this.#reader.aggregate(scope, window, families),
      window.fromSecond > oldest ? this.#reader.aggregate(scope, { fromSecond: oldest, toSecond: window.fromSecond - 1 }, ['a']) : undefined,
    ]);
    return { inWindow, before: before ?? sumAggregates([]) };
  }

  /**
   * The workers' cumulative figures: reservations and activity durations of the workers the
   * filters select. `TaskQueueSid`: that queue's reservations, and the workers it reserved in the
   * window. `FriendlyName`: the workers of that name. Both: those workers' reservations from that
   * queue. `TaskQueueName`: queue names are not in the record, so no worker. With the figures, the
   * known workers the filters select.
   */
  async #workersCumulative(ids: ResourceIds, query: WorkersQuery) {
    const families: CacheFamily[] = [
      'w',
      'a',
      ...(query.friendlyName !== undefined ? (['k'] as const) : []),
      ...(query.taskQueueSid !== undefined ? (['q', 'p'] as const) : []),
    ];
    const [{ inWindow, before }, known] = await Promise.all([this.#workersAggregate(ids, query.window, families), this.#store.workers(ids)]);
    let selected: string[] = [...new Set([...known.map((w) => w.workerSid), ...Object.keys(inWindow.activity), ...Object.keys(before.activity)])];
    let counters: Counters | undefined = inWindow.counts.w?.[''] ?? {};
    if (query.taskQueueName !== undefined) {
      selected = [];
      counters = {};
    }
    if (query.taskQueueSid !== undefined) {
      // The workers the queue reserved in the window: a reservation created in it, not one that
      // only ended there.
      const reserved = new Set(
        Object.entries(inWindow.counts.p ?? {})
          .filter(([pair, counters]) => pair.startsWith(`${query.taskQueueSid}:`) && (counters['rc'] ?? 0) > 0)
          .map(([pair]) => pair.slice(query.taskQueueSid!.length + 1)),
      );
      selected = selected.filter((w) => reserved.has(w));
      counters = inWindow.counts.q?.[query.taskQueueSid] ?? {};
    }
    if (query.friendlyName !== undefined) {
      const named = new Set(known.filter((w) => w.friendlyName === query.friendlyName).map((w) => w.workerSid));
      selected = selected.filter((w) => named.has(w));
      counters = {};
      if (query.taskQueueSid === undefined) for (const w of selected) addCounters(counters, inWindow.counts.k?.[w]);
      // Every reservation of theirs from the queue in the window, one created before it included.
      else for (const w of named) addCounters(counters, inWindow.counts.p?.[`${query.taskQueueSid}:${w}`]);
    }
    const durations = this.#durations(selected, inWindow, before, query.window);
    const chosen = new Set(selected);
    return { json: workersCumulativeJson(ids, query, counters, durations), workers: known.filter((w) => chosen.has(w.workerSid)) };
  }

  #durations(workers: readonly string[], inWindow: Aggregate, before: Aggregate, window: StatisticsWindow) {
    const endMs = Math.min((window.toSecond + 1) * 1000, this.#clock.now());
    return activityDurations(workers, inWindow, (w) => before.activity[w]?.last, window.fromSecond * 1000, Math.max(endMs, window.fromSecond * 1000));
  }

  async workersCumulative(ids: ResourceIds, query: WorkersQuery, resource: string) {
    await this.#known(ids, resource);
    return (await this.#workersCumulative(ids, query)).json;
  }

  async workersRealTime(ids: ResourceIds, taskChannel: string | undefined, resource: string) {
    await this.#known(ids, resource);
    const figures = workerFigures(taskChannel !== undefined ? [] : await this.#store.workers(ids));
    return { account_sid: ids.accountSid, ...figures, workspace_sid: ids.workspaceSid, url: ids.url };
  }

  /** `Workers/Statistics`: the workers' cumulative and real-time figures in one, both of the workers its filters select. */
  async workers(ids: ResourceIds, query: WorkersQuery, resource: string) {
    await this.#known(ids, resource);
    const cumulative = await this.#workersCumulative(ids, query);
    return {
      realtime: workerFigures(query.taskChannel !== undefined ? [] : cumulative.workers),
      cumulative: nested(cumulative.json),
      account_sid: ids.accountSid,
      workspace_sid: ids.workspaceSid,
      url: ids.url,
    };
  }

  /** `Workers/{WK}/Statistics`: one worker's reservations and activity durations. */
  async worker(ids: ResourceIds, workerSid: string, query: StatisticsQuery, resource: string) {
    await this.#known(ids, resource);
    const { inWindow, before } = await this.#workersAggregate(ids, query.window, ['k', 'a']);
    const durations = this.#durations([workerSid], inWindow, before, query.window);
    return workerInstanceJson(ids, workerSid, query, inWindow.counts.k?.[workerSid] ?? {}, durations);
  }

  /**
   * This service's own list (Twilio has none): every worker the record knows, with its name, its
   * latest activity and its reservations in the window, ordered by SID.
   */
  async workerRows(ids: ResourceIds, query: StatisticsQuery, resource: string) {
    await this.#known(ids, resource);
    const [aggregate, known] = await Promise.all([this.#reader.aggregate(ids, query.window, ['k']), this.#store.workers(ids)]);
    const bySid = new Map(known.map((w) => [w.workerSid, w]));
    const sids = [...new Set([...bySid.keys(), ...Object.keys(aggregate.counts.k ?? {})])].sort();
    const rows = sids.map((sid) => ({
      workerSid: sid,
      friendlyName: bySid.get(sid)?.friendlyName ?? null,
      activitySid: bySid.get(sid)?.activitySid ?? null,
      counters: aggregate.counts.k?.[sid] ?? {},
    }));
    return workerRowsJson(ids, query, rows);
  }

  /**
   * This service's own list beside TaskRouter's `TaskQueues/Statistics`: every task queue the record
   * has seen, with its reservations in the window, ordered by SID. Cumulative only, from the roll-ups
   * and the queues' directory: unlike TaskRouter's resource it reads no real-time figure, so not the
   * directory of live tasks.
   */
  async queueRows(ids: ResourceIds, query: StatisticsQuery, resource: string) {
    await this.#known(ids, resource);
    const [aggregate, remembered] = await Promise.all([this.#reader.aggregate(ids, query.window, ['q']), this.#store.queues(ids)]);
    const sids = [...new Set([...remembered, ...Object.keys(aggregate.counts.q ?? {})])].sort();
    return queueRowsJson(
      ids,
      query,
      sids.map((sid) => ({ taskQueueSid: sid, counters: aggregate.counts.q?.[sid] ?? {} })),
    );
  }

  /**
   * This service's own series (Twilio has none): the workspace's reservation outcomes in each
   * minute or hour of the window (the first and last buckets cut at the window's bounds), each
   * bucket read like any window (its whole minutes and hours from their roll-ups), all of them in
   * one round of roll-up reads.
   */
  async outcomes(ids: ResourceIds, window: StatisticsWindow, interval: OutcomeInterval, resource: string) {
    await this.#known(ids, resource);
    const buckets = bucketsOf(window, interval);
    const aggregates = await this.#reader.aggregates(ids, buckets, ['w']);
    return outcomesJson(
      ids,
      window,
      interval,
      buckets.map((bucket, i) => ({ window: bucket, counters: aggregates[i]!.counts.w?.[''] ?? {} })),
    );
  }

  /**
   * This service's own read (Twilio has none): the reservations pending now, soonest deadline
   * first, from one filtered query of the reservations' marks (those pending as the counted events
   * left them, their deadlines from the events, at most LIVE_DEADLINE_ERROR_MS from the records').
   * Only where that error could decide are the tasks' records read (by key, one BatchGetItem per
   * 100 tasks): the reservations shown and any that could rank before them (so the reservations
   * shown, their deadlines and their order are the records'), and those whose deadline is about now.
   */
  async pending(ids: ResourceIds, shown: number, resource: string) {
    const [, marks] = await Promise.all([this.#known(ids, resource), this.#store.pendingMarks(ids)]);
    const now = this.#clock.now();
    const toRead = new Set<string>();
    const live: PendingMark[] = [];
    for (const mark of marks) {
      // Its record's deadline is within the error of this one: passed for sure, or only maybe.
      if (mark.deadline + LIVE_DEADLINE_ERROR_MS <= now) continue;
      if (mark.deadline - LIVE_DEADLINE_ERROR_MS <= now) toRead.add(mark.taskSid);
      live.push(mark);
    }
    // The tasks read (a record gone, expired, has nothing pending), and the records found.
    const read = new Set<string>();
    const records: TaskRecord[] = [];
    for (;;) {
      const next = [...toRead].filter((sid) => !read.has(sid));
      for (const sid of next) read.add(sid);
      records.push(...(await this.#readTasks(ids, next)));
      const unread = live.filter((r) => !read.has(r.taskSid));
      const fromRecords = pendingReservations(records, now);
      const all = [...fromRecords, ...unread].sort(byDeadline);
      // Every reservation that could rank up to the last one shown, by its record.
      const last = all[Math.min(shown, all.length) - 1];
      const uncertain = last === undefined ? [] : unread.filter((r) => r.deadline <= last.deadline + 2 * LIVE_DEADLINE_ERROR_MS);
      // None is: the first `shown` of them all are the records' (each mark unread ranks after them).
      if (uncertain.length === 0) return pendingJson(ids, fromRecords, shown, all.length);
      for (const r of uncertain) toRead.add(r.taskSid);
    }
  }

  /** These tasks' records (those found): one BatchGetItem per 100, a few at once. */
  async #readTasks(ids: ResourceIds, sids: readonly string[]): Promise<TaskRecord[]> {
    const tasks: TaskRecord[] = [];
    for (let i = 0; i < sids.length; i += TASKS_PER_READ * READS_AT_ONCE) {
      const reads: Promise<Map<string, TaskRecord>>[] = [];
      for (let j = i; j < Math.min(sids.length, i + TASKS_PER_READ * READS_AT_ONCE); j += TASKS_PER_READ) {
        reads.push(this.#tasks.getTasks(ids, sids.slice(j, j + TASKS_PER_READ)));
      }
      for (const found of await Promise.all(reads)) tasks.push(...found.values());
    }
    return tasks;
  }
}
