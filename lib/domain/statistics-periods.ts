/**
 * How a window of seconds is read: as whole days, hours and minutes (each rolled up once and kept),
 * and the seconds at its edges (tallies, read as they are). A window of 30 days is thus at most
 * about 30 days, 46 hours, 118 minutes and two runs of seconds, however many events it holds: a
 * read costs about the same whatever its window.
 *
 * A period is rolled up only once it ended `ROLL_UP_AFTER_SECONDS` ago: until then the writes of
 * its own time are still landing, and it is read from the level below. A write that lands later in
 * a period (a late event: a mirrored one, a timeout revealed by the next write, a replay after a
 * crash) marks that period's roll-ups out of date (lib/statistics/statistics-recorder.ts), so a
 * roll-up is never trusted past the write that changed what it sums.
 */

export type Level = 'day' | 'hour' | 'minute';

export const LEVEL_SECONDS: Readonly<Record<Level, number>> = { day: 86_400, hour: 3_600, minute: 60 };
const LEVELS: readonly Level[] = ['day', 'hour', 'minute'];

/**
 * A period is rolled up only this long after it ended. Readers and writers run on different
 * machines: the writer's test for "late" (below) allows for their clocks to differ by up to
 * `CLOCK_SKEW_SECONDS`.
 */
export const ROLL_UP_AFTER_SECONDS = 120;
export const CLOCK_SKEW_SECONDS = 60;

export interface Period {
  readonly level: Level;
  /** Epoch seconds, a multiple of its length. */
  readonly start: number;
}

export const periodEnd = (p: Period) => p.start + LEVEL_SECONDS[p.level];
export const periodOf = (level: Level, second: number): Period => ({ level, start: second - (second % LEVEL_SECONDS[level]) });
export const periodKey = (p: Period) => `${p.level[0]}${p.start}`;

/** Whether a period can be rolled up now (epoch ms): it ended long enough ago. */
export const rollable = (p: Period, nowMs: number) => periodEnd(p) + ROLL_UP_AFTER_SECONDS <= Math.floor(nowMs / 1000);

/**
 * Whether a write to the tally of `second` that landed before `nowMs` (the writer's clock, read
 * once the write returned) may have missed a roll-up of the period that holds it: its minute (the
 * shortest) ended long enough ago that a reader, whose clock may be `CLOCK_SKEW_SECONDS` ahead,
 * could have rolled it up first. Otherwise no roll-up of that second's minute, hour or day existed
 * when the write landed, and every later one includes it.
 */
export function landedLate(second: number, nowMs: number): boolean {
  return Math.floor(nowMs / 1000) >= periodEnd(periodOf('minute', second)) + ROLL_UP_AFTER_SECONDS - CLOCK_SKEW_SECONDS;
}

/** Seconds read from the tallies: `from` to `to`, both included, within one hour. */
export interface SecondRange {
  readonly from: number;
  readonly to: number;
}

export interface ReadPlan {
  readonly periods: readonly Period[];
  readonly ranges: readonly SecondRange[];
}

/**
 * The pieces of the window `from`..`to` (epoch seconds, both included): the longest periods that fit
 * and can be rolled up at `nowMs`, and runs of seconds for the rest.
 */
export function planRead(from: number, to: number, nowMs: number): ReadPlan {
  const periods: Period[] = [];
  const ranges: SecondRange[] = [];
  const addSecond = (s: number) => {
    const last = ranges.at(-1);
    if (last !== undefined && last.to === s - 1 && Math.floor(last.to / 3600) === Math.floor(s / 3600)) ranges[ranges.length - 1] = { from: last.from, to: s };
    else ranges.push({ from: s, to: s });
  };
  let s = from;
  outer: while (s <= to) {
    for (const level of LEVELS) {
      const length = LEVEL_SECONDS[level];
      const period: Period = { level, start: s };
      if (s % length === 0 && s + length - 1 <= to && rollable(period, nowMs)) {
        periods.push(period);
        s += length;
        continue outer;
      }
    }
    // Seconds up to the next minute (or the window's end) go to the tallies.
    const next = Math.min(to, s - (s % 60) + 59);
    for (; s <= next; s++) addSecond(s);
  }
  return { periods, ranges };
}

/** The periods one level down that make up `period`. */
export function childrenOf(period: Period): Period[] {
  const level: Level = period.level === 'day' ? 'hour' : 'minute';
  const length = LEVEL_SECONDS[level];
  return Array.from({ length: LEVEL_SECONDS[period.level] / length }, (_, i) => ({ level, start: period.start + i * length }));
}
