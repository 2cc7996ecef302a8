/**
 * The overview's arithmetic, without the DOM (test/unit/overview-figures.test.ts runs it in Node):
 * acceptance rates, how a duration and a rate read, the tables' sort order, and the chart's scale.
 */

/** The reservation counters every overview row and bucket carries (the Statistics resources' names). */
export interface Outcomes {
  readonly reservations_created: number;
  readonly reservations_accepted: number;
  readonly reservations_rejected: number;
  readonly reservations_timed_out: number;
  readonly reservations_canceled: number;
}

/** The outcomes the chart stacks, bottom first, with their legend's words and colour classes. */
export const OUTCOMES = [
  { key: 'reservations_accepted', label: 'Accepted', className: 'o-accepted' },
  { key: 'reservations_rejected', label: 'Rejected', className: 'o-rejected' },
  { key: 'reservations_timed_out', label: 'Timed out', className: 'o-timeout' },
  { key: 'reservations_canceled', label: 'Canceled', className: 'o-canceled' },
] as const satisfies readonly { key: keyof Outcomes; label: string; className: string }[];

/**
 * The share of the reservations a worker (or a queue's workers) answered in the window that were
 * accepted: accepted / (accepted + rejected + timed out). Canceled and rescinded ones are left out,
 * since no worker decided them; counting by the answers in the window (not by the reservations
 * created in it) keeps the rate within 0–1 when a reservation is created before the window and
 * answered inside it. Null when nothing was answered.
 */
export function acceptanceRate(o: Outcomes): number | null {
  const answered = o.reservations_accepted + o.reservations_rejected + o.reservations_timed_out;
  return answered === 0 ? null : o.reservations_accepted / answered;
}

/** `87%`, `100%`, `—` when there is no rate: whole percents, rounded down so that 99.6% never reads 100%. */
export function rateText(rate: number | null): string {
  return rate === null ? '—' : `${Math.floor(rate * 100 + 1e-9)}%`;
}

/** Seconds as `12 s`, `1 min 05 s`, `1 h 02 min`. */
export function durationText(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor(s / 60) % 60).padStart(2, '0')} min`;
}

export type SortValue = number | string | null;
export type Direction = 'ascending' | 'descending';

/**
 * Rows sorted by one column's values; nulls (no rate) last in either direction, and ties in the
 * order given (the API's, by SID), so that a live refresh never shuffles equal rows.
 */
export function sortRows<T>(rows: readonly T[], value: (row: T) => SortValue, direction: Direction): T[] {
  const sign = direction === 'ascending' ? 1 : -1;
  return rows
    .map((row, index) => ({ row, index, v: value(row) }))
    .sort((a, b) => {
      if (a.v === null || b.v === null) return a.v === b.v ? a.index - b.index : a.v === null ? 1 : -1;
      const order = typeof a.v === 'number' && typeof b.v === 'number' ? a.v - b.v : String(a.v).localeCompare(String(b.v));
      return order === 0 ? a.index - b.index : sign * order;
    })
    .map((r) => r.row);
}

/**
 * The chart's vertical scale: the smallest of 2, 4, 6, 8 or 10 times a power of ten (at least 4)
 * that holds the tallest bar, so that the axis's middle mark is a whole number.
 */
export function scaleMax(tallest: number): number {
  if (tallest <= 4) return 4;
  const power = 10 ** Math.floor(Math.log10(tallest));
  for (const step of [2, 4, 6, 8]) if (step * power >= tallest) return step * power;
  return 10 * power;
}

/** A bucket's bar: the outcomes stacked in `OUTCOMES` order, each with its height (0–1 of the scale). */
export function stack(bucket: Outcomes, max: number): { readonly className: string; readonly from: number; readonly to: number; readonly count: number }[] {
  let base = 0;
  return OUTCOMES.flatMap((o) => {
    const count = bucket[o.key];
    if (count === 0) return [];
    const part = { className: o.className, from: base / max, to: (base + count) / max, count };
    base += count;
    return [part];
  });
}

export const stackHeight = (bucket: Outcomes) => OUTCOMES.reduce((sum, o) => sum + bucket[o.key], 0);
