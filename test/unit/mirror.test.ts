/**
 * Connected mode's mirror (lib/upstream/mirror.ts) on the in-memory stores: TaskRouter's events
 * applied to the record, learnt when first heard of, ordered by state rank and upstream's time, so
 * that duplicates and any order end in the same record. What the engines' connected and property
 * tests check through two stacks, event by event in milliseconds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '#lib/domain/errors.ts';
import { effectiveStatus, findReservation, taskAssignment, type TaskRecord } from '#lib/domain/task.ts';
import { memoryStores } from '#lib/store/memory/memory-stores.ts';
import { UpstreamMirror } from '#lib/upstream/mirror.ts';
import type { MirroredEventType, UpstreamEvent } from '#lib/upstream/upstream-event.ts';
import { FakeClock } from '../support/clock.ts';
import { ACCOUNT_SID, RecordingScheduler, sid } from '../support/use-case-fixtures.ts';

const TIMEOUT_SECONDS = 120;

function mirrored() {
  const clock = new FakeClock();
  const stores = memoryStores();
  const scheduler = new RecordingScheduler();
  const mirror = new UpstreamMirror({
    tasks: stores.tasks,
    workers: stores.workers,
    clock,
    scheduler,
    reservationTimeoutSeconds: TIMEOUT_SECONDS,
    maxRejections: 3,
  });
  return { clock, stores, scheduler, mirror };
}

/** A task at TaskRouter, its SIDs. */
function upstreamTask() {
  return { accountSid: ACCOUNT_SID, workspaceSid: sid('WS'), taskSid: sid('WT'), workflowSid: sid('WW'), taskQueueSid: sid('WQ') };
}
type UpstreamTask = ReturnType<typeof upstreamTask>;
/** One of its reservations, for a worker. */
const upstreamReservation = (task: UpstreamTask) => ({ ...task, reservationSid: sid('WR'), workerSid: sid('WK') });
type UpstreamReservation = ReturnType<typeof upstreamReservation>;

/** TaskRouter's event about `r` at `at`, with every field a callback carries (overrides may drop one with undefined). */
function event(type: MirroredEventType, r: UpstreamReservation, at: number, overrides: Partial<UpstreamEvent> = {}): UpstreamEvent {
  const full: UpstreamEvent = {
    type,
    accountSid: r.accountSid,
    workspaceSid: r.workspaceSid,
    taskSid: r.taskSid,
    ...(type !== 'task.canceled' && { reservationSid: r.reservationSid }),
    at,
    workerSid: r.workerSid,
    workerName: 'Alice',
    workerAttributes: '{"contact_uri":"client:alice","skills":["billing"]}',
    taskAttributes: '{"type":"chat"}',
    taskQueueSid: r.taskQueueSid,
    workflowSid: r.workflowSid,
    taskAge: 4,
    taskPriority: 2,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(full).filter(([, v]) => v !== undefined)) as unknown as UpstreamEvent;
}

const scopeOf = (r: UpstreamTask) => ({ accountSid: r.accountSid, workspaceSid: r.workspaceSid, taskSid: r.taskSid });
const workerOf = (r: UpstreamReservation) => ({ accountSid: r.accountSid, workspaceSid: r.workspaceSid, workerSid: r.workerSid });
async function taskOf(m: ReturnType<typeof mirrored>, r: UpstreamTask): Promise<TaskRecord> {
  const task = await m.stores.tasks.getTask(scopeOf(r));
  if (!task) throw new Error(`no task ${r.taskSid}`);
  return task;
}
const statusOf = async (m: ReturnType<typeof mirrored>, r: UpstreamReservation) => findReservation(await taskOf(m, r), r.reservationSid)?.status;

describe('a reservation first heard of', () => {
  it('reservation.created: learnt from the event’s fields, the worker linked, the deadline check armed; a repeat changes nothing', async () => {
    const m = mirrored();
    const r = upstreamReservation(upstreamTask());
    const at = m.clock.now() - 2000;
    expect(await m.mirror.apply(event('reservation.created', r, at))).toBe('applied');
    const task = await taskOf(m, r);
    expect(task).toMatchObject({
      workflowSid: r.workflowSid,
      taskQueueSid: r.taskQueueSid,
      attributes: '{"type":"chat"}',
      priority: 2,
      createdAt: at - 4000,
      maxRejections: 3,
    });
    expect(findReservation(task, r.reservationSid)).toMatchObject({
      status: 'pending',
      workerSid: r.workerSid,
      workerName: 'Alice',
      contactUri: 'client:alice',
      deadline: at + TIMEOUT_SECONDS * 1000,
    });
    expect(await m.stores.workers.taskOfReservation(workerOf(r), r.reservationSid)).toBe(r.taskSid);
    expect((await m.stores.workers.getWorker(workerOf(r)))?.attributes).toBe('{"contact_uri":"client:alice","skills":["billing"]}');
    expect(m.scheduler.timers).toEqual([{ ...scopeOf(r), reservationSid: r.reservationSid, deadline: at + TIMEOUT_SECONDS * 1000 }]);

    m.clock.advance(1000);
    expect(await m.mirror.apply(event('reservation.created', r, at))).toBe('already-recorded');
    expect(await taskOf(m, r)).toBe(task);
    // The repeat arms the same check again (a first delivery may have died before arming it).
    expect(m.scheduler.timers[1]).toEqual(m.scheduler.timers[0]);
  });

  it('reservation.accepted for an unknown reservation of a known task: learnt, then recorded accepted, its siblings rescinded', async () => {
    const m = mirrored();
    const task = upstreamTask();
    const [a, b] = [upstreamReservation(task), upstreamReservation(task)];
    const t0 = m.clock.now();
    await m.mirror.apply(event('reservation.created', a!, t0));
    // b's created event was lost: its accept is the first this service hears of it.
    m.clock.advance(1000);
    expect(await m.mirror.apply(event('reservation.accepted', b!, t0 + 1000))).toBe('applied');
    const record = await taskOf(m, task);
    expect(findReservation(record, b!.reservationSid)).toMatchObject({ status: 'accepted', workerSid: b!.workerSid });
    expect(record.acceptedReservationSid).toBe(b!.reservationSid);
    expect(effectiveStatus(record, findReservation(record, a!.reservationSid)!, m.clock.now()).status).toBe('rescinded');
    expect(await m.stores.workers.taskOfReservation(workerOf(b!), b!.reservationSid)).toBe(task.taskSid);
  });

  it('an event for an unknown reservation of a task already claimed is recorded all the same (TaskRouter decided it)', async () => {
    const m = mirrored();
    const task = upstreamTask();
    const [a, b] = [upstreamReservation(task), upstreamReservation(task)];
    const t0 = m.clock.now();
    await m.mirror.apply(event('reservation.accepted', a!, t0));
    expect(await m.mirror.apply(event('reservation.rescinded', b!, t0 + 10))).toBe('applied');
    const record = await taskOf(m, task);
    expect(findReservation(record, b!.reservationSid)?.status).toBe('rescinded');
    expect(record.acceptedReservationSid).toBe(a!.reservationSid);
  });

  it('without a WorkerSid, or with attributes that are not a JSON object: InvalidParameterError naming the field, nothing recorded', async () => {
    const m = mirrored();
    const r = upstreamReservation(upstreamTask());
    const at = m.clock.now();
    for (const [overrides, parameter] of [
      [{ workerSid: undefined }, 'WorkerSid'],
      [{ workerAttributes: '["not","an","object"]' }, 'WorkerAttributes'],
      [{ taskAttributes: '{"type":' }, 'TaskAttributes'],
    ] as const) {
      const refused = await m.mirror.apply(event('reservation.accepted', r, at, overrides)).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(InvalidParameterError);
      expect((refused as InvalidParameterError).parameter).toBe(parameter);
    }
    expect(await m.stores.tasks.getTask(scopeOf(r))).toBeUndefined();
    expect(await m.stores.workers.getWorker(workerOf(r))).toBeUndefined();
    expect(m.scheduler.timers).toEqual([]);
    // Known, the reservation's later events need no worker: nothing is learnt from them.
    await m.mirror.apply(event('reservation.created', r, at));
    expect(await m.mirror.apply(event('reservation.accepted', r, at + 1, { workerSid: undefined }))).toBe('applied');
    expect(await statusOf(m, r)).toBe('accepted');
  });
});

describe('what upstream observed, ordered by rank and time', () => {
  it('completed then accepted: stays completed, the acceptance implied', async () => {
    const m = mirrored();
    const r = upstreamReservation(upstreamTask());
    const t0 = m.clock.now();
    await m.mirror.apply(event('reservation.created', r, t0));
    expect(await m.mirror.apply(event('reservation.completed', r, t0 + 3000))).toBe('applied');
    expect(await m.mirror.apply(event('reservation.accepted', r, t0 + 1000))).toBe('already-recorded');
    const record = await taskOf(m, r);
    const reservation = findReservation(record, r.reservationSid)!;
    expect(reservation.status).toBe('completed');
    expect(Object.keys(reservation.history).sort()).toEqual(['accepted', 'completed']);
    expect(record.acceptedReservationSid).toBe(r.reservationSid);
    expect(taskAssignment(record, m.clock.now()).status).toBe('completed');
  });

  it('two statuses of one rank: Twilio’s later observation wins, an earlier one is ignored', async () => {
    const m = mirrored();
    const r = upstreamReservation(upstreamTask());
    const t0 = m.clock.now();
    await m.mirror.apply(event('reservation.rejected', r, t0 + 2000));
    expect(await m.mirror.apply(event('reservation.timeout', r, t0 + 1000))).toBe('already-recorded');
    expect(await statusOf(m, r)).toBe('rejected');
    expect(await m.mirror.apply(event('reservation.timeout', r, t0 + 3000))).toBe('applied');
    expect(await statusOf(m, r)).toBe('timeout');
  });

  it('task.canceled cancels the reservations still pending, with Twilio’s reason; a repeat is already recorded, an unknown task ignored', async () => {
    const m = mirrored();
    const task = upstreamTask();
    const [waiting, rejected] = [upstreamReservation(task), upstreamReservation(task)];
    const t0 = m.clock.now();
    await m.mirror.apply(event('reservation.created', waiting!, t0));
    await m.mirror.apply(event('reservation.rejected', rejected!, t0));
    m.clock.advance(1000);
    expect(await m.mirror.apply(event('task.canceled', waiting!, t0 + 1000, { canceledReason: 'hangup' }))).toBe('applied');
    const record = await taskOf(m, task);
    expect(findReservation(record, waiting!.reservationSid)?.status).toBe('canceled');
    expect(findReservation(record, rejected!.reservationSid)?.status).toBe('rejected');
    expect(record.canceled).toEqual({ at: m.clock.now(), reason: 'hangup' });
    expect(taskAssignment(record, m.clock.now())).toMatchObject({ status: 'canceled', reason: 'hangup' });
    expect(await m.mirror.apply(event('task.canceled', waiting!, t0 + 1000))).toBe('already-recorded');
    expect(await taskOf(m, task)).toBe(record);

    const other = upstreamReservation(upstreamTask());
    expect(await m.mirror.apply(event('task.canceled', other, t0))).toBe('ignored');
    expect(await m.stores.tasks.getTask(scopeOf(other))).toBeUndefined();
    await m.mirror.apply(event('reservation.created', other, t0));
    await m.mirror.apply(event('task.canceled', other, t0, { canceledReason: undefined }));
    expect((await taskOf(m, other)).canceled?.reason).toBe('Canceled in TaskRouter');
  });

  it('a task’s events in any order, each delivered one to three times, end in the same record', async () => {
    // At TaskRouter: a accepted, wrapped up and completed; b rejected; c rescinded by a's accept.
    const t0 = Date.UTC(2026, 10, 24, 9, 0, 0);
    const story = (task: UpstreamTask) => {
      const [a, b, c] = [upstreamReservation(task), upstreamReservation(task), upstreamReservation(task)];
      const events = [
        event('reservation.created', a, t0),
        event('reservation.created', b, t0 + 1),
        event('reservation.created', c, t0 + 2),
        event('reservation.rejected', b, t0 + 1000),
        event('reservation.accepted', a, t0 + 2000),
        event('reservation.rescinded', c, t0 + 2000),
        event('reservation.wrapup', a, t0 + 3000),
        event('reservation.completed', a, t0 + 4000),
      ];
      return { a, b, c, events };
    };
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 8, maxLength: 8 }), fc.infiniteStream(fc.nat()), async (copies, order) => {
        const m = mirrored();
        const task = upstreamTask();
        const { a, b, c, events } = story(task);
        const deliveries = events
          .flatMap((e, i) => Array.from({ length: copies[i]! }, () => e))
          .map((e) => ({ e, key: order.next().value }))
          .sort((x, y) => x.key - y.key);
        for (const { e } of deliveries) {
          m.clock.advance(10);
          await m.mirror.apply(e);
        }
        const record = await taskOf(m, task);
        expect(record.reservations.map((r) => [r.sid, r.status]).sort()).toEqual(
          [
            [a.reservationSid, 'completed'],
            [b.reservationSid, 'rejected'],
            [c.reservationSid, 'rescinded'],
          ].sort(),
        );
        expect(record).toMatchObject({ acceptedReservationSid: a.reservationSid, rejections: 1 });
        expect(taskAssignment(record, m.clock.now()).status).toBe('completed');
      }),
      { numRuns: 60 },
    );
  });
});
