/**
 * Races on the real engines, as properties (fast-check, fixed seed; FUZZ_RUNS scales them up):
 * whatever mix of requests arrives at once, exactly the right number win and the stored state is
 * the winners'.
 */
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, tableNameOf } from '#lib/config.ts';
import { parseAssignmentCallback } from '#lib/domain/assignment-callback.ts';
import { ReservationStateError } from '#lib/domain/errors.ts';
import { parsePolicy } from '#lib/domain/rule-policy.ts';
import { readPage } from '#lib/domain/paging.ts';
import { effectiveStatus, taskAssignment, type TaskRecord } from '#lib/domain/task.ts';
import { eventsOf } from '#lib/domain/events.ts';
import { eventMatches } from '#lib/domain/event-query.ts';
import { eventListKey } from '#lib/domain/events.ts';
import { ensureTable } from '#lib/store/table-setup.ts';
import type { ReservationTarget } from '#lib/reservations/service.ts';
import type { TaskScope } from '#lib/domain/scope.ts';
import { createRuntime, type Runtime } from '#lib/runtime.ts';
import type { TimeoutScheduler } from '#lib/timeouts/scheduler.ts';
import { ENGINES } from '../support/engines.ts';
import { recordFigure } from '../support/figures.ts';
import { callback, sid } from '../support/fixtures.ts';
import { RACE_RUNS } from '../support/runs.ts';

const noTimers: TimeoutScheduler = { schedule: async () => undefined };
const policy = parsePolicy({
  rules: [
    { match: { task: { decide: 'accept' } }, instruction: { instruction: 'accept' } },
    { match: { task: { decide: 'reject' } }, instruction: { instruction: 'reject', activity_sid: `WA${'c'.repeat(32)}` } },
    { match: { task: { decide: 'conference' } }, instruction: { instruction: 'conference', from: '+1555' } },
  ],
});

/** Updates that each take a pending reservation out of pending, and the status each leaves. */
const LEAVING = {
  accept: [{ ReservationStatus: 'accepted' }, 'accepted'],
  reject: [{ ReservationStatus: 'rejected' }, 'rejected'],
  rejectAndMove: [{ ReservationStatus: 'rejected', WorkerActivitySid: `WA${'d'.repeat(32)}` }, 'rejected'],
  conference: [{ Instruction: 'conference', To: 'client:a' }, 'accepted'],
  dequeue: [{ Instruction: 'dequeue', DequeueFrom: '+1555', DequeueTo: 'client:a' }, 'accepted'],
  call: [{ Instruction: 'call', CallFrom: '+1555', CallTo: 'client:a', CallUrl: 'https://example.com/t', CallAccept: 'true' }, 'accepted'],
  redirect: [{ Instruction: 'redirect', RedirectCallSid: `CA${'e'.repeat(32)}`, RedirectUrl: 'https://example.com/t', RedirectAccept: 'true' }, 'accepted'],
} as const;

const form = (params: Record<string, string>) => new Map(Object.entries(params).map(([k, v]) => [k, [v]]));

describe.each(ENGINES)('races on $name', (engine) => {
  let stop: () => Promise<void>;
  let runtime: Runtime;
  let races = 0;

  beforeAll(async () => {
    const running = await engine.start();
    stop = running.stop;
    const config = loadConfig({ DYNAMODB_ENDPOINT: running.endpoint, TABLE_NAME: `race${randomBytes(4).toString('hex')}` }, 'local');
    await ensureTable(running.endpoint, tableNameOf(config));
    runtime = createRuntime(config, { scheduler: noTimers, policy });
  });
  afterAll(async () => {
    runtime.close();
    await stop();
    expect(races).toBeGreaterThanOrEqual(5 * RACE_RUNS);
    recordFigure('races run', races, engine.name);
  });

  /** A task with `count` pending reservations for different workers, canceled after `maxRejections`. */
  async function taskWith(count: number, maxRejections = 10, like?: { accountSid: string; targets: readonly ReservationTarget[] }) {
    const accountSid = like?.accountSid ?? runtime.config.accountSid;
    const workspaceSid = like ? like.targets[0]!.scope.workspaceSid : sid('WS');
    const taskSid = like ? (like.targets[0]!.scope as TaskScope).taskSid : sid('WT');
    const targets: ReservationTarget[] = [];
    for (let i = 0; i < count; i++) {
      const reservationSid = like ? like.targets[i]!.reservationSid : sid('WR');
      await runtime.stores.tasks.recordReservation(
        {
          task: { accountSid, workspaceSid, taskSid, workflowSid: sid('WW'), taskQueueSid: sid('WQ'), attributes: '{}', priority: 0, createdAt: Date.now() },
          reservationSid,
          workerSid: sid('WK'),
          workerName: 'w',
          workerAttributes: '{}',
          deadline: Date.now() + 600_000,
          maxRejections,
          answer: '{}',
        },
        Date.now(),
      );
      targets.push({ kind: 'task', scope: { accountSid, workspaceSid, taskSid }, reservationSid, resource: 'race' });
    }
    return targets;
  }

  const stored = async (target: ReservationTarget): Promise<TaskRecord> => (await runtime.stores.tasks.getTask(target.scope as never))!;

  /** No event lost or doubled by the race: the task's stored events are exactly those its writes imply. */
  async function eventsExactlyOnce(task: TaskRecord): Promise<void> {
    const scope = { accountSid: task.accountSid, workspaceSid: task.workspaceSid };
    const filter = { taskSid: task.sid, from: 0 };
    const listed = await readPage({ page: 0 }, 1000, eventListKey, runtime.stores.events.list(scope, filter), eventMatches(filter));
    expect(listed.items.map((e) => e.sid).sort()).toEqual(
      eventsOf(task, task.writtenAt)
        .map((e) => e.sid)
        .sort(),
    );
  }
  const outcomes = (results: PromiseSettledResult<unknown>[]) => {
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ReservationStateError);
    return results.map((r) => r.status === 'fulfilled');
  };

  it('many conflicting updates on one reservation: exactly one wins and the stored status is its', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...(Object.keys(LEAVING) as (keyof typeof LEAVING)[])), { minLength: 2, maxLength: 16 }), async (actions) => {
        races++;
        const [target] = await taskWith(1);
        const results = await Promise.allSettled(actions.map((a) => runtime.service.update(target!, form(LEAVING[a][0]), undefined)));
        const won = outcomes(results);
        expect(won.filter(Boolean)).toHaveLength(1);
        const winner = actions[won.indexOf(true)]!;
        const task = await stored(target!);
        expect(task.reservations[0]).toMatchObject({ status: LEAVING[winner][1], version: 2 });
        expect(task.rejections).toBe(LEAVING[winner][1] === 'rejected' ? 1 : 0);
        await eventsExactlyOnce(task);
      }),
      { numRuns: RACE_RUNS },
    );
  });

  it('concurrent accepts across one task’s reservations: exactly one accepted, the rest rescinded', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 8 }), async (count) => {
        races++;
        const targets = await taskWith(count);
        const won = outcomes(await Promise.allSettled(targets.map((t) => runtime.service.update(t, form({ ReservationStatus: 'accepted' }), undefined))));
        expect(won.filter(Boolean)).toHaveLength(1);
        const task = await stored(targets[0]!);
        const statuses = task.reservations.map((r) => effectiveStatus(task, r, Date.now()).status).sort();
        expect(statuses).toEqual(['accepted', ...Array<string>(count - 1).fill('rescinded')]);
        expect(task.acceptedReservationSid).toBe(targets[won.indexOf(true)]!.reservationSid);
        await eventsExactlyOnce(task);
      }),
      { numRuns: RACE_RUNS },
    );
  });

  it('concurrent rejections around MAX_REJECTIONS: exactly that many succeed and the task is canceled', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 4 }), async (max, extra) => {
        races++;
        const targets = await taskWith(max + extra, max);
        const won = outcomes(await Promise.allSettled(targets.map((t) => runtime.service.update(t, form({ ReservationStatus: 'rejected' }), undefined))));
        expect(won.filter(Boolean)).toHaveLength(max);
        const task = await stored(targets[0]!);
        expect(task.rejections).toBe(max);
        expect(taskAssignment(task, Date.now()).status).toBe('canceled');
        const statuses = task.reservations.map((r) => effectiveStatus(task, r, Date.now()).status);
        expect(statuses.filter((s) => s === 'rejected')).toHaveLength(max);
        expect(statuses.filter((s) => s === 'canceled')).toHaveLength(extra);
        await eventsExactlyOnce(task);
      }),
      { numRuns: RACE_RUNS },
    );
  });

  it('a second account racing the same SIDs beside the first: the first account’s outcome is as if it were alone', async () => {
    const other = sid('AC');
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 6 }),
        fc.array(fc.constantFrom('accept', 'reject', 'callback'), { minLength: 2, maxLength: 12 }),
        async (count, theirs) => {
          races++;
          const mine = await taskWith(count);
          // The other account holds a task with the very same workspace, task and reservation SIDs…
          const copies = await taskWith(count, 10, { accountSid: other, targets: mine });
          // …and races on it, and replays A's callbacks under its own account, while A's accepts race.
          const interleaved = theirs.map((kind, i) => {
            const target = copies[i % count]!;
            if (kind === 'callback') {
              const fixture = callback({
                AccountSid: other,
                WorkspaceSid: target.scope.workspaceSid,
                TaskSid: (target.scope as TaskScope).taskSid,
                ReservationSid: target.reservationSid,
              });
              return runtime.service.assign(parseAssignmentCallback(form(fixture.params)), 60);
            }
            return runtime.service.update(target, form({ ReservationStatus: kind === 'accept' ? 'accepted' : 'rejected' }), undefined);
          });
          const [results] = await Promise.all([
            Promise.allSettled(mine.map((t) => runtime.service.update(t, form({ ReservationStatus: 'accepted' }), undefined))),
            Promise.allSettled(interleaved),
          ]);
          const won = outcomes(results);
          expect(won.filter(Boolean)).toHaveLength(1);
          const task = await stored(mine[0]!);
          expect(task.accountSid).toBe(runtime.config.accountSid);
          expect(task.reservations.map((r) => r.sid).sort()).toEqual(mine.map((t) => t.reservationSid).sort());
          expect(task.rejections).toBe(0);
          const statuses = task.reservations.map((r) => effectiveStatus(task, r, Date.now()).status).sort();
          expect(statuses).toEqual(['accepted', ...Array<string>(count - 1).fill('rescinded')]);
          expect(task.acceptedReservationSid).toBe(mine[won.indexOf(true)]!.reservationSid);
          expect(task.reservations.every((r) => r.version <= 2)).toBe(true);
          await eventsExactlyOnce(task);
        },
      ),
      { numRuns: RACE_RUNS },
    );
  });

  it('concurrent duplicate callbacks: one record and identical answers', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 10 }), fc.constantFrom('none', 'accept', 'reject', 'conference'), async (copies, decide) => {
        races++;
        const fixture = callback({ TaskAttributes: JSON.stringify({ decide }) });
        const a = parseAssignmentCallback(form(fixture.params));
        const answers = await Promise.all(Array.from({ length: copies }, () => runtime.service.assign(a, 60)));
        expect(new Set(answers).size).toBe(1);
        const task = (await runtime.stores.tasks.getTask({ accountSid: a.accountSid, workspaceSid: a.workspaceSid, taskSid: a.taskSid }))!;
        expect(task.reservations).toHaveLength(1);
        expect(task.reservations[0]!.version).toBe(1);
        expect(task.rejections).toBe(decide === 'reject' ? 1 : 0);
        await eventsExactlyOnce(task);
      }),
      { numRuns: RACE_RUNS },
    );
  });
});
