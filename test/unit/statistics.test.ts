/**
 * The statistics' use cases on the in-memory stores with a fake clock: every event counted once
 * (repeats, replays and recovery included), windows cut at their bounds, roll-ups that hold until a
 * late write lands in their period, and the real-time directories.
 */
import { describe, expect, it, vi } from 'vitest';
import { eventsOf } from '#lib/domain/events.ts';
import { readStatisticsQuery, type StatisticsQuery } from '#lib/domain/statistics-query.ts';
import { pendingJson, type ResourceIds } from '#lib/domain/statistics-json.ts';
import { pendingReservations } from '#lib/domain/statistics-realtime.ts';
import { StatisticsRecorder } from '#lib/statistics/statistics-recorder.ts';
import { StatisticsService } from '#lib/statistics/statistics-service.ts';
import { ACCOUNT_SID, sid } from '../support/fixtures.ts';
import { memoryRuntime } from '../support/memory-runtime.ts';
import { assignment, form, taskScopeOf } from '../support/use-case-fixtures.ts';

const ids = (a: { accountSid: string; workspaceSid: string }): ResourceIds => ({
  accountSid: a.accountSid,
  workspaceSid: a.workspaceSid,
  url: 'https://x.test/s',
});
const windowQuery = (from: number, to: number): StatisticsQuery => ({ window: { fromSecond: Math.floor(from / 1000), toSecond: Math.floor(to / 1000) } });
const accept = { ReservationStatus: 'accepted' };

describe('counting', () => {
  it('counts each reservation event once, with the wait from the task’s creation', async () => {
    const { runtime, clock } = memoryRuntime();
    const t0 = clock.now();
    const a = assignment({ TaskAge: '10' });
    await runtime.service.assign(a, 120);
    clock.advance(5_000);
    await runtime.service.update({ kind: 'task', scope: taskScopeOf(a), reservationSid: a.reservationSid, resource: 'r' }, form(accept), undefined);
    const stats = await runtime.statistics.cumulative(ids(a), { kind: 'workspace' }, windowQuery(t0, clock.now()), 'r');
    expect(stats).toMatchObject({
      reservations_created: 1,
      reservations_accepted: 1,
      avg_task_acceptance_time: 15,
      wait_duration_until_accepted: { avg: 15, min: 15, max: 15, total: 15 },
    });
  });

  it('a replayed count adds nothing', async () => {
    const { runtime, clock, stores } = memoryRuntime();
    const t0 = clock.now();
    const a = assignment();
    await runtime.service.assign(a, 120);
    const task = (await stores.tasks.getTask(taskScopeOf(a)))!;
    const recorder = new StatisticsRecorder(stores.statistics, clock);
    await recorder.count(eventsOf(task, task.writtenAt));
    await recorder.count(eventsOf(task, task.writtenAt));
    const stats = await runtime.statistics.cumulative(ids(a), { kind: 'workspace' }, windowQuery(t0, clock.now()), 'r');
    expect(stats.reservations_created).toBe(1);
  });

  it('an event derived again at another time (connected: a mirrored change) is counted once, where it was first', async () => {
    const { runtime, clock, stores } = memoryRuntime();
    const t0 = clock.now();
    const a = assignment();
    await runtime.service.assign(a, 120);
    const task = (await stores.tasks.getTask(taskScopeOf(a)))!;
    const [created] = eventsOf(task, task.writtenAt);
    const recorder = new StatisticsRecorder(stores.statistics, clock);
    await recorder.count([{ ...created!, at: created!.at + 5_000 }]);
    const first = await runtime.statistics.cumulative(ids(a), { kind: 'workspace' }, windowQuery(t0, t0), 'r');
    const later = await runtime.statistics.cumulative(ids(a), { kind: 'workspace' }, windowQuery(t0 + 1000, t0 + 60_000), 'r');
    expect([first.reservations_created, later.reservations_created]).toEqual([1, 0]);
  });

  it('a window ends at the second it names, and starts at the one it names', async () => {
    const { runtime, clock } = memoryRuntime();
    const t0 = clock.now();
    const a = assignment();
    await runtime.service.assign(a, 120);
    const inside = await runtime.statistics.cumulative(ids(a), { kind: 'workspace' }, windowQuery(t0, t0), 'r');
    const before = await runtime.statistics.cumulative(ids(a), { kind: 'workspace' }, windowQuery(t0 - 60_000, t0 - 1000), 'r');
    const after = await runtime.statistics.cumulative(ids(a), { kind: 'workspace' }, windowQuery(t0 + 1000, t0 + 60_000), 'r');
    expect([inside.reservations_created, before.reservations_created, after.reservations_created]).toEqual([1, 0, 0]);
  });

  it('a day read from roll-ups equals the tallies, and a late event marks the roll-ups out of date', async () => {
    const { runtime, clock } = memoryRuntime();
    const start = clock.now();
    const a = assignment();
    await runtime.service.assign(a, 60);
    clock.advance(3 * 86_400_000);
    const day = windowQuery(start - (start % 86_400_000), start - (start % 86_400_000) + 86_399_000);
    const first = await runtime.statistics.cumulative(ids(a), { kind: 'workspace' }, day, 'r');
    expect(first.reservations_created).toBe(1);
    expect(first.reservations_timed_out).toBe(0);
    // The first write after the deadline reveals the timeout, two days late, at its deadline.
    await runtime.service.expire({ ...taskScopeOf(a), reservationSid: a.reservationSid });
    const second = await runtime.statistics.cumulative(ids(a), { kind: 'workspace' }, day, 'r');
    expect(second.reservations_timed_out).toBe(1);
  });

  it('parses the window and refuses Minutes with a date, and a window beyond what is kept', () => {
    const now = Date.UTC(2026, 10, 24, 9, 0, 0);
    const q = readStatisticsQuery(form({ Minutes: '60', SplitByWaitTime: '30,5' }), now, 30);
    expect(q).toEqual({ window: { fromSecond: now / 1000 - 3600, toSecond: now / 1000 }, splits: [5, 30] });
    expect(() => readStatisticsQuery(form({ Minutes: '5', StartDate: '2026-11-24T08:00:00Z' }), now, 30)).toThrow(/Minutes/);
    expect(() => readStatisticsQuery(form({ StartDate: '2026-10-01T00:00:00Z' }), now, 30)).toThrow(/StartDate/);
    expect(() => readStatisticsQuery(form({ SplitByWaitTime: '5,x' }), now, 30)).toThrow(/SplitByWaitTime/);
  });
});

describe("the reservations pending now, from the reservations' marks", () => {
  /**
   * A workspace's reservations in every state a pending read must tell apart: tasks with one and
   * with two pending reservations, a rejection, a sibling accepted, and timeouts whose timer never
   * fired.
   */
  async function workspace() {
    const { runtime, clock, stores } = memoryRuntime();
    const WorkspaceSid = sid('WS');
    const scope = { accountSid: ACCOUNT_SID, workspaceSid: WorkspaceSid };
    const tasks: string[] = [];
    const assign = async (timeout: number, TaskSid = sid('WT')) => {
      const a = assignment({ WorkspaceSid, TaskSid, WorkerName: `W${tasks.length}` });
      await runtime.service.assign(a, timeout);
      tasks.push(TaskSid);
      clock.advance(1000);
      return a;
    };
    const answer = (a: ReturnType<typeof assignment>, status: 'accepted' | 'rejected') =>
      runtime.service.update(
        { kind: 'task', scope: taskScopeOf(a), reservationSid: a.reservationSid, resource: 'r' },
        form({ ReservationStatus: status }),
        undefined,
      );
    for (let i = 0; i < 12; i++) await assign(60 + i * 17);
    // Two pending on one task; two on another, one of them accepted (its sibling rescinded).
    const first = await assign(300);
    await assign(200, first.taskSid);
    const second = await assign(250);
    await assign(240, second.taskSid);
    await answer(second, 'accepted');
    await answer(await assign(90), 'rejected');
    await assign(45);
    const reads: string[][] = [];
    const service = () =>
      new StatisticsService({
        store: stores.statistics,
        tasks: {
          getTasks: (s, sids) => {
            reads.push([...sids]);
            return stores.tasks.getTasks(s, sids);
          },
        },
        clock,
        days: 30,
      });
    const truth = async (shown: number) =>
      pendingJson(ids(scope), pendingReservations((await stores.tasks.getTasks(scope, tasks)).values(), clock.now()), shown);
    return { clock, stores, scope, reads, service, truth };
  }

  it('answers what the task records say, as time passes and deadlines go by without their timers, reading few records', async () => {
    const w = await workspace();
    const start = w.clock.now();
    for (const [offset, shown] of [
      [0, 5],
      [10_000, 1],
      [40_400, 3],
      [95_000, 50],
      [130_700, 2],
      [400_000, 5],
    ] as const) {
      w.clock.advance(start + offset - w.clock.now());
      w.reads.length = 0;
      const answer = await w.service().pending(ids(w.scope), shown, 'r');
      expect(answer, `at +${offset} ms`).toEqual(await w.truth(shown));
      // The records read: at most the ones shown and those about their deadline now.
      expect(w.reads.flat().length, `at +${offset} ms`).toBeLessThanOrEqual(shown + 2);
    }
  });

  it('reads the record of a reservation whose deadline is about now', async () => {
    const w = await workspace();
    const truth = await w.truth(50);
    expect(await w.service().pending(ids(w.scope), 50, 'r')).toEqual(truth);
    // At a deadline, to the millisecond: pending one millisecond before, not at it.
    const soonest = truth.reservations.at(-1)!;
    for (const at of [soonest.deadline_ms - 1, soonest.deadline_ms]) {
      w.clock.advance(at - w.clock.now());
      w.reads.length = 0;
      const now = await w.service().pending(ids(w.scope), 1, 'r');
      expect(now).toEqual(await w.truth(1));
      expect(w.reads.flat()).toContain(soonest.task_sid);
    }
  });
});

describe("the workers' directory", () => {
  it('writes a worker’s entry again on the first of its reservations’ events each day, so that it expires with the reservations, not before', async () => {
    const { runtime, clock, stores } = memoryRuntime();
    const writes = vi.spyOn(stores.statistics, 'setWorker');
    const fields = { WorkspaceSid: sid('WS'), WorkerSid: sid('WK'), WorkerName: 'Alice' };
    await runtime.service.assign(assignment(fields), 120);
    clock.advance(3_600_000);
    await runtime.service.assign(assignment(fields), 120);
    expect(writes).toHaveBeenCalledTimes(1);
    clock.advance(86_400_000);
    await runtime.service.assign(assignment(fields), 120);
    expect(writes).toHaveBeenCalledTimes(2);
    // A new name is written at once.
    const renamed = assignment({ ...fields, WorkerName: 'Alice Smith' });
    await runtime.service.assign(renamed, 172_800);
    expect(writes).toHaveBeenCalledTimes(3);
    // A reservation worked on a later day (here accepted) writes the entry again, its expiry only.
    clock.advance(86_400_000);
    await runtime.service.update({ kind: 'task', scope: taskScopeOf(renamed), reservationSid: renamed.reservationSid, resource: 'r' }, form(accept), undefined);
    expect(writes).toHaveBeenCalledTimes(4);
    expect(writes.mock.calls[3]![2]).toEqual({ at: clock.now() });
  });
});
