/**
 * Events produced with the change, on the real engines: every sequence of updates, callbacks and
 * timers on a task produces each event of its record exactly once, each at the write that first
 * made it true, stored once and delivered once; and the common flows (accept with rescinds, the
 * last rejection, activity moves, wrap-up and completion) produce exactly their events.
 */
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '#lib/store/client.ts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig, tableNameOf } from '#lib/config.ts';
import { parseAssignmentCallback } from '#lib/domain/assignment-callback.ts';
import { eventsOf, type TaskRouterEvent } from '#lib/domain/events.ts';
import { ensureTable } from '#lib/store/table-setup.ts';
import type { ReservationTarget } from '#lib/reservations/service.ts';
import { createRuntime, type Runtime } from '#lib/runtime.ts';
import type { TimeoutScheduler } from '#lib/timeouts/scheduler.ts';
import { eventMatches } from '#lib/domain/event-query.ts';
import { eventListKey } from '#lib/domain/events.ts';
import { parseIfMatch } from '#lib/domain/if-match.ts';
import { readPage } from '#lib/domain/paging.ts';
import { FakeClock } from '../support/clock.ts';
import { ENGINES } from '../support/engines.ts';
import { recordFigure } from '../support/figures.ts';
import { callback, sid } from '../support/fixtures.ts';
import { RACE_RUNS } from '../support/runs.ts';

const ACTIVITY = `WA${'a1'.repeat(16)}`;
const TIMEOUT_ACTIVITY = `WA${'b2'.repeat(16)}`;
const noTimers: TimeoutScheduler = { schedule: async () => undefined };
const form = (params: Record<string, string>) => new Map(Object.entries(params).map(([k, v]) => [k, [v]]));

type Op =
  | { readonly kind: 'callback'; readonly timeout: number }
  | { readonly kind: 'update'; readonly index: number; readonly params: Record<string, string> }
  | { readonly kind: 'timer'; readonly index: number }
  | { readonly kind: 'wait'; readonly ms: number };

const OPS: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('callback' as const), timeout: fc.constantFrom(5, 30, 600) }),
  fc.record({
    kind: fc.constant('update' as const),
    index: fc.nat(5),
    params: fc.constantFrom<Record<string, string>>(
      { ReservationStatus: 'accepted' },
      { ReservationStatus: 'rejected' },
      { ReservationStatus: 'rejected', WorkerActivitySid: ACTIVITY },
      { ReservationStatus: 'wrapping' },
      { ReservationStatus: 'completed' },
      { Instruction: 'conference', To: 'client:a' },
      { Instruction: 'call', CallFrom: '+1555', CallTo: 'client:a', CallUrl: 'https://example.com/t' },
    ),
  }),
  fc.record({ kind: fc.constant('timer' as const), index: fc.nat(5) }),
  fc.record({ kind: fc.constant('wait' as const), ms: fc.constantFrom(1, 1000, 20_000) }),
);

describe.each(ENGINES)('events of every write on $name', (engine) => {
  let stop: () => Promise<void>;
  let runtime: Runtime;
  let client: DynamoDBDocumentClient;
  const clock = new FakeClock();
  const delivered: TaskRouterEvent[] = [];
  let sequences = 0;

  beforeAll(async () => {
    const running = await engine.start();
    stop = running.stop;
    const config = loadConfig(
      {
        DYNAMODB_ENDPOINT: running.endpoint,
        TABLE_NAME: `events${randomBytes(4).toString('hex')}`,
        MAX_REJECTIONS: '3',
        TIMEOUT_ACTIVITY_SID: TIMEOUT_ACTIVITY,
      },
      'local',
    );
    await ensureTable(running.endpoint, tableNameOf(config));
    client = createDocumentClient({ endpoint: running.endpoint });
    runtime = createRuntime(config, {
      clock,
      documentClient: client,
      scheduler: noTimers,
      eventSinks: [{ name: 'test', deliver: async (events) => void delivered.push(...events) }],
    });
  });
  afterAll(async () => {
    runtime.close();
    client.destroy();
    await stop();
    recordFigure('event sequences checked', sequences, engine.name);
  });

  /** The stored events of a task, through the task index, in list order. */
  async function storedEventsOf(scope: { accountSid: string; workspaceSid: string; taskSid: string }): Promise<TaskRouterEvent[]> {
    const filter = { taskSid: scope.taskSid, from: 0 };
    const page = await readPage({ page: 0 }, 1000, eventListKey, runtime.stores.events.list(scope, filter), eventMatches(filter));
    return [...page.items];
  }

  async function run(ops: readonly Op[]) {
    const workspaceSid = sid('WS');
    const taskSid = sid('WT');
    const reservations: string[] = [];
    const target = (index: number): ReservationTarget | undefined => {
      const reservationSid = reservations[index % Math.max(1, reservations.length)];
      return reservationSid === undefined
        ? undefined
        : { kind: 'task', scope: { accountSid: runtime.config.accountSid, workspaceSid, taskSid }, reservationSid, resource: 'test' };
    };
    for (const op of ops) {
      if (op.kind === 'wait') clock.advance(op.ms);
      if (op.kind === 'callback') {
        const fixture = callback({ WorkspaceSid: workspaceSid, TaskSid: taskSid });
        reservations.push(fixture.reservationSid);
        await runtime.service.assign(parseAssignmentCallback(form(fixture.params)), op.timeout);
      }
      const t = op.kind === 'update' || op.kind === 'timer' ? target(op.index) : undefined;
      if (op.kind === 'update' && t) await runtime.service.update(t, form(op.params), undefined).catch(() => undefined);
      if (op.kind === 'timer' && t)
        await runtime.service.expire({ ...(t.scope as { accountSid: string; workspaceSid: string; taskSid: string }), reservationSid: t.reservationSid });
      clock.advance(1);
    }
    return { accountSid: runtime.config.accountSid, workspaceSid, taskSid };
  }

  it('produces each event of a task exactly once, at the write that first makes it true, whatever the sequence', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(OPS, { minLength: 1, maxLength: 25 }), async (ops) => {
        sequences++;
        delivered.length = 0;
        const scope = await run(ops);
        const task = await runtime.stores.tasks.getTask(scope);
        if (!task) {
          expect(delivered).toEqual([]);
          return;
        }
        const expected = eventsOf(task, task.writtenAt)
          .map((e) => e.sid)
          .sort();
        const mine = delivered.filter((e) => e.taskSid === scope.taskSid);
        expect(mine.map((e) => e.sid).sort(), 'delivered once each').toEqual(expected);
        expect((await storedEventsOf(scope)).map((e) => e.sid).sort(), 'stored once each').toEqual(expected);
      }),
      { numRuns: RACE_RUNS * 3 },
    );
  });

  it('delivers each event once when repeats of a callback race the original (a repeat does not recover what the original is still writing)', async () => {
    delivered.length = 0;
    const fixture = callback();
    const request = parseAssignmentCallback(form(fixture.params));
    // The original's event items stay in flight until the repeats have run as far as they can.
    let reached!: () => void;
    const atWrite = new Promise<void>((resolve) => (reached = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const send = client.send.bind(client);
    const spy = vi.spyOn(client, 'send').mockImplementation((async (command: object) => {
      if (command instanceof BatchWriteCommand) {
        reached();
        await gate;
      }
      return send(command as never);
    }) as never);
    const original = runtime.service.assign(request, 600);
    await atWrite;
    const repeats = Array.from({ length: 3 }, () => runtime.service.assign(request, 600));
    await new Promise((resolve) => setTimeout(resolve, 200));
    release();
    await Promise.all([original, ...repeats]);
    spy.mockRestore();
    const scope = { accountSid: runtime.config.accountSid, workspaceSid: fixture.workspaceSid, taskSid: fixture.taskSid };
    const task = (await runtime.stores.tasks.getTask(scope))!;
    const expected = eventsOf(task, task.writtenAt)
      .map((e) => e.sid)
      .sort();
    expect(expected.length).toBeGreaterThan(0);
    expect(delivered.map((e) => e.sid).sort()).toEqual(expected);
  });

  describe('the common flows', () => {
    const typesOf = async (scope: Awaited<ReturnType<typeof run>>) => (await storedEventsOf(scope)).map((e) => e.type);
    const update = (index: number, params: Record<string, string>): Op => ({ kind: 'update', index, params });
    const callbacks = (n: number, timeout = 600): Op[] => Array.from({ length: n }, () => ({ kind: 'callback', timeout }));

    it('an accept that rescinds three pending reservations: one reservation.accepted and three reservation.rescinded', async () => {
      const types = await typesOf(await run([...callbacks(4), update(0, { ReservationStatus: 'accepted' })]));
      expect(types.filter((t) => t !== 'reservation.created')).toEqual([
        'reservation.accepted',
        'reservation.rescinded',
        'reservation.rescinded',
        'reservation.rescinded',
      ]);
    });

    it('the rejection that reaches MAX_REJECTIONS: reservation.rejected, reservation.canceled for the pending one, task.canceled', async () => {
      const scope = await run([
        ...callbacks(4),
        update(0, { ReservationStatus: 'rejected' }),
        update(1, { ReservationStatus: 'rejected' }),
        update(2, { ReservationStatus: 'rejected' }),
      ]);
      expect((await typesOf(scope)).filter((t) => t !== 'reservation.created')).toEqual([
        'reservation.rejected',
        'reservation.rejected',
        'reservation.rejected',
        'reservation.canceled',
        'task.canceled',
      ]);
      const canceled = (await storedEventsOf(scope)).at(-1)!;
      expect(canceled.data.TaskCanceledReason).toBe('Task canceled after 3 rejected reservations (maximum 3)');
    });

    it('a rejection with WorkerActivitySid and a timeout with TIMEOUT_ACTIVITY_SID: worker.activity.update each', async () => {
      const scope = await run([
        ...callbacks(1),
        update(0, { ReservationStatus: 'rejected', WorkerActivitySid: ACTIVITY }),
        ...callbacks(1, 5),
        { kind: 'wait', ms: 6000 },
        { kind: 'timer', index: 1 },
      ]);
      const events = await storedEventsOf(scope);
      expect(events.map((e) => e.type)).toEqual([
        'reservation.created',
        'reservation.rejected',
        'worker.activity.update',
        'reservation.created',
        'reservation.timeout',
        'worker.activity.update',
      ]);
      expect(events.filter((e) => e.type === 'worker.activity.update').map((e) => e.data.WorkerActivitySid)).toEqual([ACTIVITY, TIMEOUT_ACTIVITY]);
    });

    it('a timeout whose timer comes late moves the worker at the deadline: a Worker update made in between stands, and its event comes after', async () => {
      const fixture = callback();
      await runtime.service.assign(parseAssignmentCallback(form(fixture.params)), 5);
      const deadline = clock.now() + 5000;
      const { accountSid } = runtime.config;
      const worker = { accountSid, workspaceSid: fixture.workspaceSid, workerSid: fixture.workerSid };
      clock.advance(7000);
      await runtime.workerUpdates.update(worker, form({ ActivitySid: ACTIVITY }), undefined, 'test');
      const updatedAt = clock.now();
      clock.advance(3000);
      await runtime.service.expire({ accountSid, workspaceSid: fixture.workspaceSid, taskSid: fixture.taskSid, reservationSid: fixture.reservationSid });
      expect(await runtime.stores.workers.getWorker(worker)).toMatchObject({ activitySid: ACTIVITY, activityChangedAt: updatedAt });
      const filter = { workerSid: fixture.workerSid, from: 0 };
      const page = await readPage({ page: 0 }, 100, eventListKey, runtime.stores.events.list(worker, filter), eventMatches(filter));
      const moves = page.items.filter((e) => e.type === 'worker.activity.update' || e.type === 'reservation.timeout');
      expect(moves.map((e) => [e.type, e.type === 'worker.activity.update' ? e.data.WorkerActivitySid : undefined, e.at])).toEqual([
        ['reservation.timeout', undefined, deadline],
        ['worker.activity.update', TIMEOUT_ACTIVITY, deadline],
        ['worker.activity.update', ACTIVITY, updatedAt],
      ]);
    });

    it('a timeout whose timer comes after another write of its task: the move is dated just after that write, and its event is stored', async () => {
      const first = callback();
      await runtime.service.assign(parseAssignmentCallback(form(first.params)), 5);
      clock.advance(7000);
      // The task's next reservation, after the first one's deadline: this write emits its derived reservation.timeout.
      const second = callback({ WorkspaceSid: first.workspaceSid, TaskSid: first.taskSid });
      await runtime.service.assign(parseAssignmentCallback(form(second.params)), 600);
      const { accountSid } = runtime.config;
      const scope = { accountSid, workspaceSid: first.workspaceSid, taskSid: first.taskSid };
      const between = (await runtime.stores.tasks.getTask(scope))!.writtenAt;
      clock.advance(3000);
      await runtime.service.expire({ ...scope, reservationSid: first.reservationSid });
      const moves = (await storedEventsOf(scope)).filter((e) => e.type === 'worker.activity.update');
      expect(moves.map((e) => [e.data.WorkerActivitySid, e.at])).toEqual([[TIMEOUT_ACTIVITY, between + 1]]);
      const worker = { accountSid, workspaceSid: first.workspaceSid, workerSid: first.workerSid };
      expect(await runtime.stores.workers.getWorker(worker)).toMatchObject({ activitySid: TIMEOUT_ACTIVITY, activityChangedAt: between + 1 });
    });

    it('wrap-up and completion: reservation.wrapup, task.wrapup, reservation.completed, task.completed', async () => {
      const types = await typesOf(
        await run([
          ...callbacks(1),
          update(0, { ReservationStatus: 'accepted' }),
          update(0, { ReservationStatus: 'wrapping' }),
          update(0, { ReservationStatus: 'completed' }),
        ]),
      );
      expect(types).toEqual(['reservation.created', 'reservation.accepted', 'reservation.wrapup', 'task.wrapup', 'reservation.completed', 'task.completed']);
    });

    it('a refused or repeated request produces nothing', async () => {
      const scope = await run([...callbacks(1), update(0, { ReservationStatus: 'accepted' })]);
      const before = await storedEventsOf(scope);
      delivered.length = 0;
      await run([]);
      const target: ReservationTarget = { kind: 'task', scope, reservationSid: before[0]!.reservationSid!, resource: 'test' };
      await expect(runtime.service.update(target, form({ ReservationStatus: 'accepted' }), undefined)).rejects.toThrow(/not currently in a Pending state/);
      await expect(runtime.service.update(target, form({ ReservationStatus: 'accepted' }), parseIfMatch('"1"'))).rejects.toThrow(/Precondition/);
      expect(await storedEventsOf(scope)).toEqual(before);
      expect(delivered).toEqual([]);
    });
  });
});
