/**
 * Reading a window's statistics: the sum of the window's whole days, hours and minutes (rolled up
 * once, kept, and trusted while their period's version says nothing landed late since) and of the
 * tallies of the seconds at its edges (lib/domain/statistics-periods.ts `planRead`). A roll-up that
 * is missing or out of date is made again from the level below and kept: a day from its hours, an
 * hour or a minute from its tallies. Its version is read before what it sums, so a late write that
 * lands meanwhile leaves it marked out of date rather than trusted without that write.
 */
import type { Clock } from '../domain/clock.ts';
import type { WorkspaceScope } from '../domain/scope.ts';
import {
  EMPTY_AGGREGATE,
  aggregateOfPayload,
  aggregateOfTallies,
  payloadOf,
  sumAggregates,
  type Aggregate,
  type CacheFamily,
} from '../domain/statistics-aggregate.ts';
import { childrenOf, periodEnd, planRead, type Period } from '../domain/statistics-periods.ts';
import type { StatisticsWindow } from '../domain/statistics-query.ts';
import type { StatisticsStore } from './ports.ts';

/** Roll-ups made at once by one read (a first read of 30 busy days makes 720 hours). */
const CONCURRENCY = 8;

/** The part of an aggregate one family holds. */
function only(aggregate: Aggregate, family: CacheFamily): Aggregate {
  if (family === 'a') return { counts: {}, activity: aggregate.activity };
  const members = aggregate.counts[family];
  return { counts: members ? { [family]: members } : {}, activity: {} };
}

/** At most `limit` of the tasks run at once, however they nest (days roll up from hours). */
class Limiter {
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#running++;
    try {
      return await task();
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }
}

export class StatisticsReader {
  constructor(
    private readonly store: StatisticsStore,
    private readonly clock: Clock,
  ) {}

  /** The families' sum over the window, as the record holds it now (nothing after now is read). */
  async aggregate(scope: WorkspaceScope, window: StatisticsWindow, families: readonly CacheFamily[]): Promise<Aggregate> {
    return (await this.aggregates(scope, [window], families))[0]!;
  }

  /**
   * Each window's sum, read together: the periods of every window in one round of version and
   * roll-up reads, the edge seconds of each from their tallies. A series of 60 minutes costs one
   * round of batched reads, not 60.
   */
  async aggregates(scope: WorkspaceScope, windows: readonly StatisticsWindow[], families: readonly CacheFamily[]): Promise<Aggregate[]> {
    const now = this.clock.now();
    const plans = windows.map((window) => {
      const to = Math.min(window.toSecond, Math.floor(now / 1000));
      return window.fromSecond > to ? { periods: [], ranges: [] } : planRead(window.fromSecond, to, now);
    });
    const limiter = new Limiter(CONCURRENCY);
    const [rolled, edges] = await Promise.all([
      Promise.all(
        families.map((family) =>
          this.#periods(
            scope,
            plans.flatMap((plan) => plan.periods),
            family,
            limiter,
          ),
        ),
      ),
      Promise.all(plans.flatMap((plan) => plan.ranges).map((range) => this.store.tallies(scope, range.from, range.to))),
    ]);
    let period = 0;
    let range = 0;
    return plans.map((plan) => {
      const own = rolled.flatMap((perFamily) => perFamily.slice(period, period + plan.periods.length));
      const tallied = aggregateOfTallies(edges.slice(range, range + plan.ranges.length).flat());
      period += plan.periods.length;
      range += plan.ranges.length;
      return sumAggregates([...own, ...families.map((family) => only(tallied, family))]);
    });
  }

  /** The periods' roll-ups of one family: kept ones that still hold, the rest made again. */
  async #periods(scope: WorkspaceScope, periods: readonly Period[], family: CacheFamily, limiter: Limiter): Promise<Aggregate[]> {
    if (periods.length === 0) return [];
    const states = await this.store.periods(scope, periods, family);
    return Promise.all(
      periods.map(async (period, i) => {
        const state = states[i]!;
        if (state.empty) return EMPTY_AGGREGATE;
        if (state.rollUp !== undefined && state.rollUp.version === state.version) return aggregateOfPayload(family, state.rollUp.payload);
        return this.#rollUp(scope, period, state.version, family, limiter);
      }),
    );
  }

  async #rollUp(scope: WorkspaceScope, period: Period, version: number, family: CacheFamily, limiter: Limiter): Promise<Aggregate> {
    const summed =
      period.level === 'day'
        ? sumAggregates(await this.#periods(scope, childrenOf(period), family, limiter))
        : await limiter.run(async () => only(aggregateOfTallies(await this.store.tallies(scope, period.start, periodEnd(period) - 1)), family));
    await limiter.run(() => this.store.keep(scope, period, family, { version, payload: payloadOf(summed, family) }));
    return summed;
  }
}
