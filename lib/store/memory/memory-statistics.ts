/**
 * The statistics' port in memory, for the fast tests: the same rules as the DynamoDB adapter
 * (lib/store/statistics-items.ts), each write one synchronous step as a conditional write is one
 * step on an engine, checked against it by the store contract suite.
 */
import { memoryWindow, type WindowReader } from '../../domain/paging.ts';
import type { WorkspaceScope } from '../../domain/scope.ts';
import type { CacheFamily } from '../../domain/statistics-aggregate.ts';
import { periodKey, periodOf, type Period } from '../../domain/statistics-periods.ts';
import { secondOfSlot, talliesBySecond, type Contribution, type Tally } from '../../domain/statistics-tally.ts';
import type { KnownWorker, LiveReservation, LiveTask, PendingMark } from '../../domain/statistics-realtime.ts';
import type { PeriodState, RollUp, StatisticsStore } from '../../statistics/ports.ts';

const workspaceKey = (scope: WorkspaceScope) => `${scope.accountSid}#${scope.workspaceSid}`;

/** A slot's tally: each event's entry by its id. */
type StoredTally = Map<string, string>;

interface WorkerEntry {
  friendlyName: string | null;
  nameAt: number;
  activitySid: string | null;
  activityAt: number;
}

interface LiveEntry {
  task: LiveTask;
  final: boolean;
  /** Absent until a write brings marks (as on an item written before they were kept). */
  marks?: Map<string, LiveReservation | null>;
}

export class MemoryStatistics implements StatisticsStore {
  readonly #tallies = new Map<string, Map<number, StoredTally>>();
  readonly #versions = new Map<string, number>();
  readonly #rollUps = new Map<string, RollUp>();
  readonly #workspaces = new Set<string>();
  readonly #tasks = new Map<string, Map<string, LiveEntry>>();
  readonly #workers = new Map<string, Map<string, WorkerEntry>>();
  readonly #queues = new Map<string, Set<string>>();
  /** `<workspace>#<hour>` of every marked hour. */
  readonly #hours = new Set<string>();

  readonly #claims = new Map<string, number>();

  async claim(scope: WorkspaceScope, subject: string, claims: readonly { readonly id: string; readonly slot: number }[]): Promise<Map<string, number>> {
    const claimed = new Map<string, number>();
    for (const c of claims) {
      const key = `${workspaceKey(scope)}#${subject}#${c.id}`;
      if (!this.#claims.has(key)) this.#claims.set(key, c.slot);
      claimed.set(c.id, this.#claims.get(key)!);
    }
    return claimed;
  }

  async markHour(scope: WorkspaceScope, second: number): Promise<void> {
    this.#hours.add(`${workspaceKey(scope)}#${Math.floor(second / 3600)}`);
  }

  #empty(scope: WorkspaceScope, period: Period): boolean {
    const first = Math.floor(period.start / 3600);
    const hours = period.level === 'day' ? 24 : 1;
    for (let h = first; h < first + hours; h++) if (this.#hours.has(`${workspaceKey(scope)}#${h}`)) return false;
    return true;
  }

  async tally(scope: WorkspaceScope, slot: number, contributions: readonly Contribution[]): Promise<void> {
    const key = workspaceKey(scope);
    const slots = this.#tallies.get(key) ?? new Map<number, StoredTally>();
    this.#tallies.set(key, slots);
    const tally: StoredTally = slots.get(slot) ?? new Map();
    slots.set(slot, tally);
    // The first entry of an event stays (the adapter's `if_not_exists`).
    for (const c of contributions) if (!tally.has(c.id)) tally.set(c.id, c.entry);
  }

  async tallies(scope: WorkspaceScope, from: number, to: number): Promise<Tally[]> {
    const slots = [...(this.#tallies.get(workspaceKey(scope)) ?? [])].map(([slot, tally]) => [secondOfSlot(slot), tally.values()] as const);
    return talliesBySecond(slots.filter(([second]) => second >= from && second <= to));
  }

  async touch(scope: WorkspaceScope, second: number): Promise<void> {
    for (const level of ['minute', 'hour', 'day'] as const) {
      const key = `${workspaceKey(scope)}#${periodKey(periodOf(level, second))}`;
      this.#versions.set(key, (this.#versions.get(key) ?? 0) + 1);
    }
  }

  async periods(scope: WorkspaceScope, periods: readonly Period[], family: CacheFamily): Promise<PeriodState[]> {
    return periods.map((period) => {
      const key = `${workspaceKey(scope)}#${periodKey(period)}`;
      const rollUp = this.#rollUps.get(`${key}#${family}`);
      return { version: this.#versions.get(key) ?? 0, ...(rollUp && { rollUp }), ...(this.#empty(scope, period) && { empty: true as const }) };
    });
  }

  async keep(scope: WorkspaceScope, period: Period, family: CacheFamily, rollUp: RollUp): Promise<void> {
    const key = `${workspaceKey(scope)}#${periodKey(period)}#${family}`;
    const kept = this.#rollUps.get(key);
    if (kept === undefined || kept.version <= rollUp.version) this.#rollUps.set(key, rollUp);
  }

  async markWorkspace(scope: WorkspaceScope): Promise<void> {
    this.#workspaces.add(workspaceKey(scope));
  }

  async knowsWorkspace(scope: WorkspaceScope): Promise<boolean> {
    return this.#workspaces.has(workspaceKey(scope));
  }

  async setTask(scope: WorkspaceScope, task: LiveTask, final: boolean, reservations?: ReadonlyMap<string, LiveReservation | null>): Promise<void> {
    const tasks = this.#tasks.get(workspaceKey(scope)) ?? new Map<string, LiveEntry>();
    this.#tasks.set(workspaceKey(scope), tasks);
    let stored = tasks.get(task.taskSid);
    if (stored === undefined || stored.task.at <= task.at) {
      stored = { ...stored, task, final };
      tasks.set(task.taskSid, stored);
    }
    if (reservations === undefined || reservations.size === 0) return;
    const marks = stored.marks ?? new Map<string, LiveReservation | null>();
    stored.marks = marks;
    for (const [sid, mark] of reservations) if (mark === null || !marks.has(sid)) marks.set(sid, mark);
  }

  async liveTasks(scope: WorkspaceScope): Promise<LiveTask[]> {
    return [...(this.#tasks.get(workspaceKey(scope))?.values() ?? [])]
      .filter((t) => !t.final)
      .map((t) => t.task)
      .sort((a, b) => (a.taskSid < b.taskSid ? -1 : 1));
  }

  async pendingMarks(scope: WorkspaceScope): Promise<PendingMark[]> {
    return [...(this.#tasks.get(workspaceKey(scope))?.values() ?? [])].flatMap(({ task, marks }) =>
      [...(marks ?? [])].flatMap(([reservationSid, mark]) => (mark === null ? [] : [{ taskSid: task.taskSid, reservationSid, ...mark }])),
    );
  }

  async setWorker(scope: WorkspaceScope, workerSid: string, update: { readonly friendlyName?: string; readonly activitySid?: string; readonly at: number }) {
    const workers = this.#workers.get(workspaceKey(scope)) ?? new Map<string, WorkerEntry>();
    this.#workers.set(workspaceKey(scope), workers);
    const entry = workers.get(workerSid) ?? { friendlyName: null, nameAt: -1, activitySid: null, activityAt: -1 };
    if (update.friendlyName !== undefined && entry.nameAt <= update.at) Object.assign(entry, { friendlyName: update.friendlyName, nameAt: update.at });
    if (update.activitySid !== undefined && entry.activityAt <= update.at) Object.assign(entry, { activitySid: update.activitySid, activityAt: update.at });
    workers.set(workerSid, entry);
  }

  async workers(scope: WorkspaceScope): Promise<KnownWorker[]> {
    return [...(this.#workers.get(workspaceKey(scope))?.entries() ?? [])]
      .map(([workerSid, e]) => ({ workerSid, friendlyName: e.friendlyName, activitySid: e.activitySid }))
      .sort((a, b) => (a.workerSid < b.workerSid ? -1 : 1));
  }

  workersWindow(scope: WorkspaceScope): WindowReader<KnownWorker> {
    return async (direction, from, limit) => memoryWindow(await this.workers(scope), (w) => w.workerSid)(direction, from, limit);
  }

  async rememberQueue(scope: WorkspaceScope, taskQueueSid: string): Promise<void> {
    const queues = this.#queues.get(workspaceKey(scope)) ?? new Set<string>();
    queues.add(taskQueueSid);
    this.#queues.set(workspaceKey(scope), queues);
  }

  async queues(scope: WorkspaceScope): Promise<string[]> {
    return [...(this.#queues.get(workspaceKey(scope)) ?? [])].sort();
  }
}
