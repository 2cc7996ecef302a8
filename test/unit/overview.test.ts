/**
 * The console overview's pure parts: its arithmetic (lib/console/browser/overview-figures.ts, run
 * here in Node: it touches no DOM), the outcome series' buckets and query
 * (lib/domain/statistics-query.ts), and which reservations are pending now
 * (lib/domain/statistics-realtime.ts).
 */
import { describe, expect, it } from 'vitest';
import { acceptanceRate, durationText, rateText, scaleMax, sortRows, stack, stackHeight } from '#lib/console/browser/overview-figures.ts';
import { InvalidParameterError } from '#lib/domain/errors.ts';
import { bucketsOf, readOutcomesQuery, readPendingShown } from '#lib/domain/statistics-query.ts';
import { pendingReservations } from '#lib/domain/statistics-realtime.ts';
import type { ReservationRecord, TaskRecord } from '#lib/domain/task.ts';

const outcomes = (accepted: number, rejected: number, timedOut: number, canceled = 0, created = 0) => ({
  reservations_created: created,
  reservations_accepted: accepted,
  reservations_rejected: rejected,
  reservations_timed_out: timedOut,
  reservations_canceled: canceled,
});
const params = (query: Record<string, string>) => new Map(Object.entries(query).map(([k, v]) => [k, [v]]));

describe('acceptance rate', () => {
  it('is the accepted share of the reservations answered or timed out; canceled ones are no answer', () => {
    expect(acceptanceRate(outcomes(3, 1, 0, 5))).toBe(0.75);
    expect(acceptanceRate(outcomes(1, 1, 1))).toBeCloseTo(1 / 3);
    expect(acceptanceRate(outcomes(0, 0, 0, 4, 4))).toBeNull();
  });

  it('reads in whole percents rounded down, so that only all accepted reads 100%', () => {
    expect(rateText(acceptanceRate(outcomes(199, 1, 0)))).toBe('99%');
    expect(rateText(acceptanceRate(outcomes(2, 0, 0)))).toBe('100%');
    expect(rateText(acceptanceRate(outcomes(1, 2, 0)))).toBe('33%');
    expect(rateText(0.29))
      // 0.29 * 100 is 28.999…: still 29%.
      .toBe('29%');
    expect(rateText(null)).toBe('—');
  });
});

describe('durations', () => {
  it('reads seconds, minutes and seconds, hours and minutes', () => {
    expect([0, 12.4, 59, 60, 65, 3599, 3600, 3720].map(durationText)).toEqual([
      '0 s',
      '12 s',
      '59 s',
      '1 min 00 s',
      '1 min 05 s',
      '59 min 59 s',
      '1 h 00 min',
      '1 h 02 min',
    ]);
  });
});

describe('sorting rows', () => {
  const rows = [
    { sid: 'a', n: 2, rate: 0.5 },
    { sid: 'b', n: 5, rate: null },
    { sid: 'c', n: 2, rate: 1 },
    { sid: 'd', n: 1, rate: 0 },
  ];
  it('orders by the column, ties in the order given', () => {
    expect(sortRows(rows, (r) => r.n, 'descending').map((r) => r.sid)).toEqual(['b', 'a', 'c', 'd']);
    expect(sortRows(rows, (r) => r.n, 'ascending').map((r) => r.sid)).toEqual(['d', 'a', 'c', 'b']);
  });
  it('puts rows without a value last, whichever the direction', () => {
    expect(sortRows(rows, (r) => r.rate, 'descending').map((r) => r.sid)).toEqual(['c', 'a', 'd', 'b']);
    expect(sortRows(rows, (r) => r.rate, 'ascending').map((r) => r.sid)).toEqual(['d', 'a', 'c', 'b']);
  });
  it('orders names as words', () => {
    const named = ['Grace', 'ada', 'Lin'].map((sid) => ({ sid }));
    expect(sortRows(named, (r) => r.sid, 'ascending').map((r) => r.sid)).toEqual(['ada', 'Grace', 'Lin']);
  });
});

describe("the chart's scale and bars", () => {
  it('holds the tallest bar in an even round number (its half whole too), at least 4', () => {
    expect([0, 3, 4, 5, 9, 11, 19, 21, 41, 99, 101, 450, 801].map(scaleMax)).toEqual([4, 4, 4, 6, 10, 20, 20, 40, 60, 100, 200, 600, 1000]);
  });
  it('stacks the outcomes accepted, rejected, timed out, canceled from the bottom, leaving out the empty ones', () => {
    const bucket = outcomes(2, 0, 1, 1, 9);
    expect(stackHeight(bucket)).toBe(4);
    expect(stack(bucket, 8)).toEqual([
      { className: 'o-accepted', from: 0, to: 0.25, count: 2 },
      { className: 'o-timeout', from: 0.25, to: 0.375, count: 1 },
      { className: 'o-canceled', from: 0.375, to: 0.5, count: 1 },
    ]);
  });
});

describe('the outcome series: buckets and query', () => {
  const T = Date.UTC(2026, 11, 1, 9, 0, 0) / 1000;
  it('aligns buckets to whole minutes or hours, the first and last cut at the window', () => {
    expect(bucketsOf({ fromSecond: T + 30, toSecond: T + 150 }, 'minute')).toEqual([
      { fromSecond: T + 30, toSecond: T + 59 },
      { fromSecond: T + 60, toSecond: T + 119 },
      { fromSecond: T + 120, toSecond: T + 150 },
    ]);
    expect(bucketsOf({ fromSecond: T, toSecond: T + 7199 }, 'hour')).toEqual([
      { fromSecond: T, toSecond: T + 3599 },
      { fromSecond: T + 3600, toSecond: T + 7199 },
    ]);
    expect(bucketsOf({ fromSecond: T + 5, toSecond: T + 5 }, 'hour')).toEqual([{ fromSecond: T + 5, toSecond: T + 5 }]);
  });

  it('reads Interval (minute unless told) and the window; refuses more buckets than a day of minutes', () => {
    const now = (T + 30) * 1000;
    expect(readOutcomesQuery(params({ Minutes: '60' }), now, 30)).toEqual({ interval: 'minute', window: { fromSecond: T + 30 - 3600, toSecond: T + 30 } });
    expect(readOutcomesQuery(params({ Interval: 'hour', Minutes: '43200' }), now, 30).interval).toBe('hour');
    // A day of minutes starting inside a minute: 1,441 buckets, the first and last cut; a minute more is refused.
    expect(bucketsOf(readOutcomesQuery(params({ Interval: 'minute', Minutes: '1440' }), now, 30).window, 'minute')).toHaveLength(1441);
    expect(() => readOutcomesQuery(params({ Interval: 'minute', Minutes: '1441' }), now, 30)).toThrow(InvalidParameterError);
    expect(() => readOutcomesQuery(params({ Interval: 'day' }), now, 30)).toThrow(/Interval/);
  });

  it('lists 5 pending reservations unless told, at most 50', () => {
    expect(readPendingShown(params({}))).toBe(5);
    expect(readPendingShown(params({ PageSize: '50' }))).toBe(50);
    expect(() => readPendingShown(params({ PageSize: '0' }))).toThrow(/PageSize/);
  });
});

describe('the reservations pending now', () => {
  const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);
  const reservation = (sid: string, deadline: number, overrides: Partial<ReservationRecord> = {}): ReservationRecord => ({
    sid,
    workerSid: `WK${sid}`,
    workerName: sid,
    history: {},
    status: 'pending',
    version: 1,
    createdAt: T0,
    updatedAt: T0,
    deadline,
    ...overrides,
  });
  const task = (sid: string, reservations: ReservationRecord[], overrides: Partial<TaskRecord> = {}): TaskRecord => ({
    sid,
    accountSid: 'AC1',
    workspaceSid: 'WS1',
    workflowSid: 'WW1',
    taskQueueSid: `WQ${sid}`,
    attributes: '{}',
    priority: 0,
    createdAt: T0,
    updatedAt: T0,
    reservations,
    rejections: 0,
    maxRejections: 10,
    writtenAt: T0,
    ...overrides,
  });
  const NOW = T0 + 60_000;

  it('lists those that read pending now, soonest deadline first, ties by SID', () => {
    const tasks = [task('T1', [reservation('R3', T0 + 300_000), reservation('R1', T0 + 120_000)]), task('T2', [reservation('R2', T0 + 120_000)])];
    expect(pendingReservations(tasks, NOW)).toEqual([
      { reservationSid: 'R1', taskSid: 'T1', workerSid: 'WKR1', workerName: 'R1', taskQueueSid: 'WQT1', deadline: T0 + 120_000 },
      { reservationSid: 'R2', taskSid: 'T2', workerSid: 'WKR2', workerName: 'R2', taskQueueSid: 'WQT2', deadline: T0 + 120_000 },
      { reservationSid: 'R3', taskSid: 'T1', workerSid: 'WKR3', workerName: 'R3', taskQueueSid: 'WQT1', deadline: T0 + 300_000 },
    ]);
  });

  it('leaves out one past its deadline, one whose sibling was accepted, one of a canceled task, and the answered ones, written or not', () => {
    const tasks = [
      task('T1', [reservation('R1', NOW)]),
      task('T2', [reservation('R2', T0 + 120_000), reservation('R3', T0 + 120_000, { status: 'accepted' })], {
        acceptedReservationSid: 'R3',
        acceptedAt: T0 + 1000,
      }),
      task('T3', [reservation('R4', T0 + 120_000)], { canceled: { at: T0 + 1000, reason: 'hung up' } }),
      task('T4', [reservation('R5', T0 + 120_000, { status: 'rejected' })], { rejections: 1, lastRejectedAt: T0 + 1000 }),
    ];
    expect(pendingReservations(tasks, NOW)).toEqual([]);
    // A millisecond before its deadline, R1 still is.
    expect(pendingReservations(tasks, NOW - 1).map((r) => r.reservationSid)).toEqual(['R1']);
  });
});
