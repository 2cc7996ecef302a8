/**
 * The sum of some tallies: counts by family and member, and each worker's activity span. Sums of
 * disjoint stretches of time add up (counts by addition, spans by joining), so a window's
 * statistics are the sum of the minutes, hours and days it covers, whichever were summed before.
 * A rolled-up period is kept as one item per family (`CacheFamily`), its payload the JSON below.
 */
import { type ActivitySpan, joinSpans, spanOf } from './activity-durations.ts';
import type { Counters, Family, Tally } from './statistics-tally.ts';

/** The families a rolled-up period is kept in: the counters' and `a`, the activity spans. */
export type CacheFamily = Family | 'a';

/**
 * The name each family's roll-ups are kept under. A family whose counts change meaning takes a new
 * name, so that the roll-ups made before (which lack what it now counts) are never read again and
 * are made anew from the tallies, which hold every event's entry. `p2`: a queue's worker counts
 * every reservation field (until then `created` only, which named the workers a queue reserved).
 */
export const ROLL_UP_NAME: Readonly<Record<CacheFamily, string>> = { w: 'w', q: 'q', f: 'f', k: 'k', p: 'p2', a: 'a' };

export interface Aggregate {
  /** Family → member → counters. */
  readonly counts: Partial<Record<Family, Readonly<Record<string, Counters>>>>;
  /** Worker → span of its activity changes. */
  readonly activity: Readonly<Record<string, ActivitySpan>>;
}

export const EMPTY_AGGREGATE: Aggregate = { counts: {}, activity: {} };

/** `record[key]`, made an empty object first if missing. */
function entry<T extends object>(record: Record<string, T>, key: string): T {
  const found = record[key];
  if (found !== undefined) return found;
  const made = {} as T;
  record[key] = made;
  return made;
}

function addCounters(into: Record<string, Counters>, member: string, counters: Counters): void {
  const target = entry(into, member);
  for (const [field, n] of Object.entries(counters)) target[field] = (target[field] ?? 0) + n;
}

/** The sum of aggregates of stretches of time that do not overlap. */
export function sumAggregates(parts: readonly Aggregate[]): Aggregate {
  const counts: Partial<Record<Family, Record<string, Counters>>> = {};
  const activity: Record<string, ActivitySpan> = {};
  for (const part of parts) {
    for (const [family, members] of Object.entries(part.counts) as [Family, Record<string, Counters>][]) {
      const into = entry(counts as Record<string, Record<string, Counters>>, family);
      for (const [member, counters] of Object.entries(members)) addCounters(into, member, counters);
    }
    for (const [worker, span] of Object.entries(part.activity)) activity[worker] = joinSpans(activity[worker], span)!;
  }
  return { counts, activity };
}

/** The aggregate of some tallies (of one stretch of time). */
export function aggregateOfTallies(tallies: readonly Tally[]): Aggregate {
  const counts: Partial<Record<Family, Record<string, Counters>>> = {};
  const changes = new Map<string, { at: number; activitySid: string }[]>();
  for (const tally of tallies) {
    for (const [attribute, n] of Object.entries(tally.counts)) {
      const [family, member, field] = attribute.split('|') as [Family, string, string];
      if (field === undefined) continue;
      addCounters(entry(counts as Record<string, Record<string, Counters>>, family), member, { [field]: n });
    }
    for (const change of tally.activities) {
      const list = changes.get(change.workerSid) ?? [];
      list.push({ at: change.at, activitySid: change.activitySid });
      changes.set(change.workerSid, list);
    }
  }
  const activity: Record<string, ActivitySpan> = {};
  for (const [worker, list] of changes) activity[worker] = spanOf(list)!;
  return { counts, activity };
}

/** One family of an aggregate, as a rolled-up period keeps it. */
export function payloadOf(aggregate: Aggregate, family: CacheFamily): string {
  return JSON.stringify(family === 'a' ? aggregate.activity : (aggregate.counts[family] ?? {}));
}

/** A kept family back as an aggregate (holding only that family). */
export function aggregateOfPayload(family: CacheFamily, payload: string): Aggregate {
  const parsed = JSON.parse(payload) as Record<string, never>;
  return family === 'a' ? { counts: {}, activity: parsed } : { counts: { [family]: parsed }, activity: {} };
}
