/**
 * What the statistics need from the store: the tallies (each event counted once in the tally of
 * its second), the roll-ups of minutes, hours and days with the versions that say whether they
 * still hold, and two small directories for the real-time figures (the tasks not finished, the
 * workers and their activity). The DynamoDB adapter is lib/store/statistics-items.ts, the
 * in-memory one lib/store/memory/memory-statistics.ts.
 */
import type { WindowReader } from '../domain/paging.ts';
import type { WorkspaceScope } from '../domain/scope.ts';
import type { CacheFamily } from '../domain/statistics-aggregate.ts';
import type { Period } from '../domain/statistics-periods.ts';
import type { KnownWorker, LiveReservation, LiveTask, PendingMark } from '../domain/statistics-realtime.ts';
import type { Contribution, Tally } from '../domain/statistics-tally.ts';

/** A rolled-up period of one family, and the version of the period it was rolled up at. */
export interface RollUp {
  readonly version: number;
  readonly payload: string;
}

/** A period's version (how many late writes it has had) and its roll-up of one family, if kept. */
export interface PeriodState {
  readonly version: number;
  readonly rollUp?: RollUp;
  /** No tally of the period was ever marked (`markHour`): it counted nothing, no roll-up needed. */
  readonly empty?: true;
}

export interface StatisticsStore {
  /**
   * Counts the contributions (all of one slot: a tenth of a second) in that slot's tally, each
   * once: an event the tally holds keeps the entry it was first counted with. Resolves once each of
   * them is in the tally.
   */
  tally(scope: WorkspaceScope, slot: number, contributions: readonly Contribution[]): Promise<void>;
  /**
   * Claims each event (by its id, within `subject`: its task, or its worker) for the slot given,
   * unless it is claimed already; answers the slot each one is claimed for. The first claim of
   * an event decides where it is counted, whichever write derived it (connected, a mirrored change
   * may derive an event of the gateway's own write again, at another time). A claim holds at
   * least two days after the subject's latest claim: the derivations of one event come within
   * minutes of each other (Event Streams keeps a day of records).
   */
  claim(scope: WorkspaceScope, subject: string, claims: readonly { readonly id: string; readonly slot: number }[]): Promise<Map<string, number>>;
  /**
   * Records that the hour of `second` has a tally (before the tally is written: a marked hour may
   * be empty, an unmarked one always is), so that reads skip the hours and days that counted nothing.
   */
  markHour(scope: WorkspaceScope, second: number): Promise<void>;
  /** The seconds `from`..`to` (both included, within one hour) that counted anything, each one `Tally` (its slots together). */
  tallies(scope: WorkspaceScope, from: number, to: number): Promise<Tally[]>;
  /** Marks the roll-ups of the minute, hour and day of `second` out of date: a write landed late there. */
  touch(scope: WorkspaceScope, second: number): Promise<void>;
  /** Each period's version and its roll-up of `family`, in the order asked. */
  periods(scope: WorkspaceScope, periods: readonly Period[], family: CacheFamily): Promise<PeriodState[]>;
  /** Keeps a period's roll-up of a family, made at `version` (a newer one kept already stays). */
  keep(scope: WorkspaceScope, period: Period, family: CacheFamily, rollUp: RollUp): Promise<void>;

  /** Records that the workspace has a record (its statistics exist): for 404s on others. */
  markWorkspace(scope: WorkspaceScope): Promise<void>;
  knowsWorkspace(scope: WorkspaceScope): Promise<boolean>;

  /**
   * The task's state after an event at `task.at`, unless a later one is recorded; in the same
   * write, its reservations' marks (lib/domain/statistics-realtime.ts `reservationMarks`), whatever
   * the order they come in: a pending one is recorded unless the reservation is recorded as left,
   * a left one (`null`) always. (A write of an older state, refused, still records its marks.)
   */
  setTask(scope: WorkspaceScope, task: LiveTask, final: boolean, reservations?: ReadonlyMap<string, LiveReservation | null>): Promise<void>;
  /** The tasks recorded and not finished. */
  liveTasks(scope: WorkspaceScope): Promise<LiveTask[]>;
  /** The reservations marked pending and not left (in no particular order). */
  pendingMarks(scope: WorkspaceScope): Promise<PendingMark[]>;
  /** A worker's name (from a reservation) and/or activity (from a change at `at`), each newest wins. */
  setWorker(
    scope: WorkspaceScope,
    workerSid: string,
    update: { readonly friendlyName?: string; readonly activitySid?: string; readonly at: number },
  ): Promise<void>;
  workers(scope: WorkspaceScope): Promise<KnownWorker[]>;
  /** The same workers, by SID, a window at a time (the Worker list's pages). */
  workersWindow(scope: WorkspaceScope): WindowReader<KnownWorker>;
  /** A task queue the record has seen (TaskRouter's callbacks name queues, never list them). */
  rememberQueue(scope: WorkspaceScope, taskQueueSid: string): Promise<void>;
  queues(scope: WorkspaceScope): Promise<string[]>;
}
