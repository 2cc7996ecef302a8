/**
 * Connected mode's mirror and its two ways in, on the in-memory stores: TaskRouter's events
 * applied to the record (lib/upstream/mirror.ts), learnt when first heard of, ordered by state rank
 * and upstream's time, so that duplicates and any order end in the same record; the event
 * callbacks' intake (mirror-inbox.ts), once per Sid, read once, applied in the request or after the
 * answer, and what was left applied by a repeat or the sweep; Twilio Event Streams' CloudEvents
 * (mirror-event-streams.ts), once per id, skipping what can never apply and throwing a store
 * failure so the Kinesis record is retried. What the engines' connected, inbox, Event Streams and
 * property tests check through servers, event by event in milliseconds.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { accountCredentials, accountKeys } from '#lib/credentials.ts';
import { InvalidParameterError, ServiceUnavailableError } from '#lib/domain/errors.ts';
import { effectiveStatus, findReservation, taskAssignment, type TaskRecord } from '#lib/domain/task.ts';
import { createLogger } from '#lib/logging.ts';
import type { NewReservation } from '#lib/reservations/ports.ts';
import { memoryStores } from '#lib/store/memory/memory-stores.ts';
import { ForwardingTaskChanger, ForwardingWorkerWriter } from '#lib/upstream/change-forwarder.ts';
import { UpstreamForwarder } from '#lib/upstream/forwarder.ts';
import { EventStreamsConsumer } from '#lib/upstream/mirror-event-streams.ts';
import { MirrorInbox, UNAPPLIED_AFTER_MS } from '#lib/upstream/mirror-inbox.ts';
import { UpstreamMirror } from '#lib/upstream/mirror.ts';
import { UpstreamReconciler } from '#lib/upstream/reconciler.ts';
import { sweepUpstream } from '#lib/upstream/sweep.ts';
import type { TaskEvent, TaskEventType, UpstreamEvent } from '#lib/upstream/upstream-event.ts';
import { FakeClock } from '../support/clock.ts';
import { ACCOUNT_SID, AUTH_TOKEN, FakeUpstream, RecordingScheduler, RecordingTelemetry, form, sid } from '../support/use-case-fixtures.ts';

afterEach(() => vi.restoreAllMocks());

const TIMEOUT_SECONDS = 120;

/** The mirror and its two ways in, as the runtime wires them, on fresh memory stores. */
function mirrored(wait?: (ms: number) => Promise<void>) {
  const clock = new FakeClock();
  const stores = memoryStores();
  const scheduler = new RecordingScheduler();
  const logger = createLogger();
  const telemetry = new RecordingTelemetry();
  const mirror = new UpstreamMirror({
    tasks: stores.tasks,
    workers: stores.workers,
    clock,
    scheduler,
    reservationTimeoutSeconds: TIMEOUT_SECONDS,
    maxRejections: 3,
    telemetry,
    ...(wait && { wait }),
  });
  const inbox = new MirrorInbox(stores.inbox, mirror, clock, logger);
  const credentials = accountCredentials(ACCOUNT_SID, async () => accountKeys(ACCOUNT_SID, AUTH_TOKEN));
  const streams = new EventStreamsConsumer({ mirror, marks: stores.cloudEvents, credentials, clock, logger });
  return { clock, stores, scheduler, logger, telemetry, mirror, inbox, streams };
}
type Mirrored = ReturnType<typeof mirrored>;

/** A task at TaskRouter, its SIDs. */
function upstreamTask(accountSid = ACCOUNT_SID) {
  return { accountSid, workspaceSid: sid('WS'), taskSid: sid('WT'), workflowSid: sid('WW'), taskQueueSid: sid('WQ') };
}
type UpstreamTask = ReturnType<typeof upstreamTask>;
/** One of its reservations, for a worker. */
const upstreamReservation = (task: UpstreamTask = upstreamTask()) => ({ ...task, reservationSid: sid('WR'), workerSid: sid('WK') });
type UpstreamReservation = ReturnType<typeof upstreamReservation>;

/** TaskRouter's event about `r` at `at`, typed, with every field a callback carries (overrides may drop one with undefined). */
function event(type: TaskEventType, r: UpstreamReservation, at: number, overrides: Partial<TaskEvent> = {}): TaskEvent {
  const full: TaskEvent = {
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
  return Object.fromEntries(Object.entries(full).filter(([, v]) => v !== undefined)) as unknown as TaskEvent;
}

/** TaskRouter's event callback about `r`, as form fields (PascalCase, every value text). */
function callbackEvent(type: string, r: UpstreamReservation, overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const fields: Record<string, string | undefined> = {
    Sid: sid('EV'),
    EventType: type,
    AccountSid: ACCOUNT_SID,
    WorkspaceSid: r.workspaceSid,
    TaskSid: r.taskSid,
    ReservationSid: r.reservationSid,
    WorkerSid: r.workerSid,
    WorkerName: 'Bob',
    WorkerAttributes: '{"contact_uri":"client:bob"}',
    TaskAttributes: '{"type":"chat"}',
    TaskQueueSid: r.taskQueueSid,
    WorkflowSid: r.workflowSid,
    TaskAge: '2',
    TaskPriority: '0',
    TimestampMs: String(Date.UTC(2026, 10, 24, 9, 0, 0)),
    ...overrides,
  };
  return Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** A TaskRouter CloudEvent as Event Streams delivers it (schema 1): snake_case payload, ISO timestamp. */
function cloudEvent(eventType: string, r: UpstreamReservation, at: string, payload: Record<string, unknown> = {}) {
  return {
    specversion: '1.0',
    type: `com.twilio.taskrouter.${eventType}`,
    source: `/v1/Workspaces/${r.workspaceSid}/Tasks/${r.taskSid}/Reservations/${r.reservationSid}`,
    id: sid('EV'),
    time: at,
    data: {
      account_sid: r.accountSid,
      timestamp: at,
      payload: {
        eventtype: eventType,
        account_sid: r.accountSid,
        timestamp: at,
        workspace_sid: r.workspaceSid,
        task_sid: r.taskSid,
        task_attributes: { type: 'chat' },
        task_age: 1,
        task_priority: 0,
        task_queue_sid: r.taskQueueSid,
        workflow_sid: r.workflowSid,
        worker_sid: r.workerSid,
        worker_name: 'Bob',
        worker_attributes: { contact_uri: 'client:bob' },
        reservation_sid: r.reservationSid,
        ...payload,
      },
    },
  };
}

/** A Kinesis record's data: the JSON (one CloudEvent or an array), base64. */
const record = (content: unknown) => Buffer.from(typeof content === 'string' ? content : JSON.stringify(content)).toString('base64');
let sequence = 0;
const consume = (c: Mirrored, content: unknown) => c.streams.consume(record(content), String(++sequence));

const scopeOf = (r: UpstreamTask) => ({ accountSid: r.accountSid, workspaceSid: r.workspaceSid, taskSid: r.taskSid });
const workerOf = (r: UpstreamReservation) => ({ accountSid: r.accountSid, workspaceSid: r.workspaceSid, workerSid: r.workerSid });
async function taskOf(m: Mirrored, r: UpstreamTask): Promise<TaskRecord> {
  const task = await m.stores.tasks.getTask(scopeOf(r));
  if (!task) throw new Error(`no task ${r.taskSid}`);
  return task;
}
/** The reservation's status as stored; undefined when this service has no record of it. */
async function statusOf(m: Mirrored, r: UpstreamReservation) {
  const task = await m.stores.tasks.getTask(scopeOf(r));
  return task && findReservation(task, r.reservationSid)?.status;
}
const marked = (c: Mirrored, r: UpstreamReservation, id: string) =>
  c.stores.cloudEvents.applied({ accountSid: r.accountSid, workspaceSid: r.workspaceSid, id });

describe('the mirror: a reservation first heard of', () => {
  it('reservation.created: learnt from the event’s fields, the worker linked, the deadline check armed; a repeat changes nothing', async () => {
    const m = mirrored();
    const r = upstreamReservation();
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
    const r = upstreamReservation();
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

describe('the mirror: what upstream observed, ordered by rank and time', () => {
  it('completed then accepted: stays completed, the acceptance implied', async () => {
    const m = mirrored();
    const r = upstreamReservation();
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

  it('two statuses of one rank: Twilio’s later observation wins, an earlier one is ignored; an accept or a rejection is final', async () => {
    const m = mirrored();
    const r = upstreamReservation();
    const t0 = m.clock.now();
    await m.mirror.apply(event('reservation.rescinded', r, t0 + 2000));
    expect(await m.mirror.apply(event('reservation.timeout', r, t0 + 1000))).toBe('already-recorded');
    expect(await statusOf(m, r)).toBe('rescinded');
    expect(await m.mirror.apply(event('reservation.timeout', r, t0 + 3000))).toBe('applied');
    expect(await statusOf(m, r)).toBe('timeout');
    expect(await m.mirror.apply(event('reservation.rejected', r, t0 + 500))).toBe('applied');
    expect(await statusOf(m, r)).toBe('rejected');
    expect(await m.mirror.apply(event('reservation.canceled', r, t0 + 9000))).toBe('already-recorded');
    expect(await statusOf(m, r)).toBe('rejected');
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

    const other = upstreamReservation();
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

const AWAY = `WA${'c'.repeat(32)}`;
const BUSY = `WA${'b'.repeat(32)}`;

/** TaskRouter's worker.activity.update: the worker `r` names, moved to `activitySid` at `at`. */
const moved = (r: UpstreamReservation, activitySid: string, at: number): UpstreamEvent => ({
  type: 'worker.activity.update',
  accountSid: r.accountSid,
  workspaceSid: r.workspaceSid,
  workerSid: r.workerSid,
  activitySid,
  at,
});

describe("the mirror: a worker's move at TaskRouter", () => {
  it('is recorded at TaskRouter’s time, as set upstream, with a new version; a repeat, the activity already there or an older move change nothing', async () => {
    const m = mirrored();
    const r = upstreamReservation();
    const t0 = m.clock.now();
    await m.mirror.apply(event('reservation.created', r, t0));
    const before = (await m.stores.workers.getWorker(workerOf(r)))!;
    expect(before).toMatchObject({ activitySid: null, version: 0 });
    m.clock.advance(5000);
    expect(await m.mirror.apply(moved(r, AWAY, t0 + 3000))).toBe('applied');
    const after = (await m.stores.workers.getWorker(workerOf(r)))!;
    expect(after).toMatchObject({ activitySid: AWAY, activityChangedAt: t0 + 3000, activitySetBy: 'upstream', version: 1 });
    expect(await m.mirror.apply(moved(r, AWAY, t0 + 3000))).toBe('already-recorded');
    expect(await m.mirror.apply(moved(r, AWAY, t0 + 4000))).toBe('already-recorded');
    // Delivered late: TaskRouter moved the worker to BUSY before it moved it AWAY.
    expect(await m.mirror.apply(moved(r, BUSY, t0 + 2000))).toBe('already-recorded');
    expect(await m.stores.workers.getWorker(workerOf(r))).toEqual(after);
    expect(await m.mirror.apply(moved(r, BUSY, t0 + 4500))).toBe('applied');
    expect(await m.stores.workers.getWorker(workerOf(r))).toMatchObject({ activitySid: BUSY, activityChangedAt: t0 + 4500, version: 2 });
  });

  it('its event callback is read into the worker’s move; without WorkerActivitySid it is refused, naming it', async () => {
    const m = mirrored();
    const r = upstreamReservation();
    await m.mirror.apply(event('reservation.created', r, m.clock.now()));
    const fields = { EventType: 'worker.activity.update', WorkerActivitySid: AWAY, TaskSid: undefined, ReservationSid: undefined };
    expect(await m.inbox.take(ACCOUNT_SID, form(callbackEvent('worker.activity.update', r, fields)))).toBe('taken');
    expect(await m.stores.workers.getWorker(workerOf(r))).toMatchObject({ activitySid: AWAY, activityChangedAt: Date.UTC(2026, 10, 24, 9, 0, 0) });
    const without = m.inbox.take(ACCOUNT_SID, form(callbackEvent('worker.activity.update', r, { ...fields, WorkerActivitySid: undefined })));
    await expect(without).rejects.toMatchObject({ parameter: 'WorkerActivitySid' });
  });

  it('a forward holding the worker longer than 3 s (its answer lost) does not hold the event up: the move is written all the same', async () => {
    let m!: Mirrored;
    const waits: number[] = [];
    m = mirrored(async (ms) => {
      waits.push(ms);
      m.clock.advance(ms);
    });
    const r = upstreamReservation();
    const t0 = m.clock.now();
    await m.mirror.apply(event('reservation.created', r, t0));
    const upstream = new FakeUpstream(() => new Promise(() => undefined));
    const writer = new ForwardingWorkerWriter(m.stores.workers, { upstream, clock: m.clock, logger: m.logger, telemetry: m.telemetry });
    const write = { scope: workerOf(r), now: t0 + 1000, expectedVersion: 0, activity: { sid: BUSY, by: 'update' as const } };
    void writer.write(write, { path: `/v1/Workspaces/${r.workspaceSid}/Workers/${r.workerSid}`, params: new Map() });
    await vi.waitFor(() => expect(upstream.requests).toHaveLength(1));
    expect(await m.mirror.apply(moved(r, AWAY, t0 + 2000))).toBe('applied');
    expect(waits.reduce((a, b) => a + b, 0)).toBeGreaterThan(3000);
    expect(await m.stores.workers.getWorker(workerOf(r))).toMatchObject({ activitySid: AWAY, activityChangedAt: t0 + 2000, version: 1 });
  });

  it('a worker never reserved here is acknowledged and not recorded', async () => {
    const m = mirrored();
    const r = upstreamReservation();
    expect(await m.mirror.apply(moved(r, AWAY, m.clock.now()))).toBe('ignored');
    expect(await m.stores.workers.getWorker(workerOf(r))).toBeUndefined();
  });

  it('waits for a forward of this service’s own to be recorded, then judges against it', async () => {
    // The forward's POST is on its way when TaskRouter's event of a later move comes in: the
    // mirror waits for the mark, and TaskRouter answers the POST during that wait.
    let answer: (() => void) | undefined;
    const waits: number[] = [];
    const m = mirrored(async (ms) => {
      waits.push(ms);
      answer?.();
      await new Promise((resolve) => setImmediate(resolve));
    });
    const r = upstreamReservation();
    const t0 = m.clock.now();
    await m.mirror.apply(event('reservation.created', r, t0));
    const upstream = new FakeUpstream(() => new Promise((resolve) => (answer = () => resolve({ kind: 'ok', status: 200, json: {} }))));
    const writer = new ForwardingWorkerWriter(m.stores.workers, { upstream, clock: m.clock, logger: m.logger, telemetry: m.telemetry });
    const write = { scope: workerOf(r), now: t0 + 1000, expectedVersion: 0, activity: { sid: BUSY, by: 'update' as const } };
    const forwarding = writer.write(write, { path: `/v1/Workspaces/${r.workspaceSid}/Workers/${r.workerSid}`, params: new Map() });
    await vi.waitFor(() => expect(answer).toBeDefined());
    expect(await m.mirror.apply(moved(r, AWAY, t0 + 2000))).toBe('applied');
    expect(await forwarding).toBe(true);
    expect(waits.length).toBeGreaterThan(0);
    expect(await m.stores.workers.getWorker(workerOf(r))).toMatchObject({ activitySid: AWAY, activityChangedAt: t0 + 2000, version: 2 });
  });
});

describe('the inbox: an event callback taken in', () => {
  it('is read once into the typed event, stored by its Sid, applied in the request and marked applied', async () => {
    const t = mirrored();
    const r = upstreamReservation();
    const take = vi.spyOn(t.stores.inbox, 'take');
    const apply = vi.spyOn(t.mirror, 'apply');
    const fields = callbackEvent('reservation.created', r);
    expect(await t.inbox.take(ACCOUNT_SID, form(fields))).toBe('taken');
    expect(await statusOf(t, r)).toBe('pending');
    const item = take.mock.calls[0]![0];
    expect(item).toMatchObject({ accountSid: ACCOUNT_SID, workspaceSid: r.workspaceSid, sid: fields['Sid'], receivedAt: t.clock.now() });
    expect(item.event).toMatchObject({ type: 'reservation.created', reservationSid: r.reservationSid, workerSid: r.workerSid, taskAge: 2 });
    expect(item.fields).toBeUndefined();
    // The mirror gets the very event that was stored: nothing is read twice.
    expect(apply.mock.calls[0]![0]).toBe(item.event);
    // Applied, it leaves the sweep's index.
    t.clock.advance(UNAPPLIED_AFTER_MS + 1);
    expect(await t.inbox.sweep()).toEqual({ applied: 0, failed: 0 });
  });

  it('a repeat of an applied event does nothing', async () => {
    const t = mirrored();
    const r = upstreamReservation();
    const apply = vi.spyOn(t.mirror, 'apply');
    const created = callbackEvent('reservation.created', r);
    const accepted = callbackEvent('reservation.accepted', r);
    await t.inbox.take(ACCOUNT_SID, form(created));
    expect(await t.inbox.take(ACCOUNT_SID, form(accepted))).toBe('taken');
    for (let i = 0; i < 3; i++) expect(await t.inbox.take(ACCOUNT_SID, form(accepted))).toBe('repeat');
    expect(apply).toHaveBeenCalledTimes(2);
    expect(await statusOf(t, r)).toBe('accepted');
  });

  it('a repeat of an event taken in but not applied (its first apply failed) applies it', async () => {
    const t = mirrored();
    const r = upstreamReservation();
    const fields = callbackEvent('reservation.created', r);
    vi.spyOn(t.mirror, 'apply').mockRejectedValueOnce(new ServiceUnavailableError(1));
    // In the request: the store's failure is the caller's (TaskRouter retries the callback).
    await expect(t.inbox.take(ACCOUNT_SID, form(fields))).rejects.toThrow(ServiceUnavailableError);
    expect(await statusOf(t, r)).toBeUndefined();
    expect(await t.inbox.take(ACCOUNT_SID, form(fields))).toBe('repeat');
    expect(await statusOf(t, r)).toBe('pending');
    expect(await t.inbox.take(ACCOUNT_SID, form(fields))).toBe('repeat');
    expect(t.mirror.apply).toHaveBeenCalledTimes(2);
  });

  it('ignores the types the mirror does not apply, storing nothing, but checks their account', async () => {
    const t = mirrored();
    const take = vi.spyOn(t.stores.inbox, 'take');
    const r = upstreamReservation();
    for (const type of ['worker.attributes.update', 'task.created', 'reservation.failed']) {
      expect(await t.inbox.take(ACCOUNT_SID, form(callbackEvent(type, r)))).toBe('ignored');
    }
    expect(take).not.toHaveBeenCalled();
    const foreign = t.inbox.take(ACCOUNT_SID, form(callbackEvent('worker.attributes.update', r, { AccountSid: sid('AC') })));
    await expect(foreign).rejects.toMatchObject({ parameter: 'AccountSid' });
  });

  it('refuses an event without its Sid, storing nothing; one only the record shows unusable is refused once and never retried', async () => {
    const t = mirrored();
    const take = vi.spyOn(t.stores.inbox, 'take');
    const r = upstreamReservation();
    await expect(t.inbox.take(ACCOUNT_SID, form(callbackEvent('reservation.created', r, { Sid: undefined })))).rejects.toMatchObject({
      parameter: 'Sid',
    });
    expect(take).not.toHaveBeenCalled();
    // First heard of, without its worker: the mirror cannot record it.
    const noWorker = callbackEvent('reservation.accepted', r, { WorkerSid: undefined });
    await expect(t.inbox.take(ACCOUNT_SID, form(noWorker))).rejects.toThrow(InvalidParameterError);
    const apply = vi.spyOn(t.mirror, 'apply');
    expect(await t.inbox.take(ACCOUNT_SID, form(noWorker))).toBe('repeat');
    t.clock.advance(UNAPPLIED_AFTER_MS + 1);
    expect(await t.inbox.sweep()).toEqual({ applied: 0, failed: 0 });
    expect(apply).not.toHaveBeenCalled();
  });

  it('in the background (the local stack): taken and answered first, applied after, once however often it comes', async () => {
    const t = mirrored();
    t.inbox.applyInBackground();
    const r = upstreamReservation();
    const apply = vi.spyOn(t.mirror, 'apply');
    const fields = callbackEvent('reservation.created', r);
    expect(await t.inbox.take(ACCOUNT_SID, form(fields))).toBe('taken');
    expect(await t.inbox.take(ACCOUNT_SID, form(fields))).toBe('repeat');
    expect(await statusOf(t, r)).toBeUndefined();
    await t.inbox.idle();
    expect(await statusOf(t, r)).toBe('pending');
    expect(apply).toHaveBeenCalledTimes(1);
  });
});

describe('the inbox: its sweep', () => {
  it('applies what was taken in and left, each once it is older than UNAPPLIED_AFTER_MS', async () => {
    const t = mirrored();
    t.inbox.applyInBackground();
    const [r1, r2] = [upstreamReservation(), upstreamReservation()];
    const apply = vi.spyOn(t.mirror, 'apply').mockRejectedValue(new ServiceUnavailableError(1));
    await t.inbox.take(ACCOUNT_SID, form(callbackEvent('reservation.created', r2)));
    t.clock.advance(10);
    await t.inbox.take(ACCOUNT_SID, form(callbackEvent('reservation.created', r1)));
    await t.inbox.idle();
    apply.mockRestore();
    const applied = vi.spyOn(t.mirror, 'apply');
    // Too recent: an apply may still be under way.
    expect(await t.inbox.sweep()).toEqual({ applied: 0, failed: 0 });
    // r2 was taken in 10 ms before r1: only it is old enough yet.
    t.clock.advance(UNAPPLIED_AFTER_MS);
    expect(await t.inbox.sweep()).toEqual({ applied: 1, failed: 0 });
    t.clock.advance(10);
    expect(await t.inbox.sweep()).toEqual({ applied: 1, failed: 0 });
    expect(applied.mock.calls.map(([e]) => (e as TaskEvent).reservationSid)).toEqual([r2.reservationSid, r1.reservationSid]);
    expect([await statusOf(t, r1), await statusOf(t, r2)]).toEqual(['pending', 'pending']);
    expect(await t.inbox.sweep()).toEqual({ applied: 0, failed: 0 });
  });

  it('applies an item an earlier version stored with the callback’s form fields instead of the event', async () => {
    const t = mirrored();
    const r = upstreamReservation();
    const fields = callbackEvent('reservation.created', r);
    const legacy = {
      accountSid: ACCOUNT_SID,
      workspaceSid: r.workspaceSid,
      sid: fields['Sid']!,
      fields: Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, [value]])),
      receivedAt: t.clock.now(),
    };
    expect(await t.stores.inbox.take(legacy)).toEqual({ taken: true });
    t.clock.advance(UNAPPLIED_AFTER_MS + 1);
    expect(await t.inbox.sweep()).toEqual({ applied: 1, failed: 0 });
    expect(await statusOf(t, r)).toBe('pending');
    // Applied: a repeat of the callback now does nothing.
    const apply = vi.spyOn(t.mirror, 'apply');
    expect(await t.inbox.take(ACCOUNT_SID, form(fields))).toBe('repeat');
    expect(apply).not.toHaveBeenCalled();
  });

  it('counts what still fails and keeps it for the next sweep; the connected sweep runs the inbox’s first, then the marks’', async () => {
    const t = mirrored();
    t.inbox.applyInBackground();
    const r = upstreamReservation();
    const apply = vi.spyOn(t.mirror, 'apply').mockRejectedValue(new ServiceUnavailableError(1));
    await t.inbox.take(ACCOUNT_SID, form(callbackEvent('reservation.created', r)));
    await t.inbox.idle();
    t.clock.advance(UNAPPLIED_AFTER_MS + 1);
    expect(await t.inbox.sweep()).toEqual({ applied: 0, failed: 1 });
    apply.mockRestore();
    const upstream = new FakeUpstream();
    const forwarder = new UpstreamForwarder(t.stores.tasks, t.stores.marks, upstream, t.clock, t.logger, t.telemetry);
    const context = { upstream, clock: t.clock, logger: t.logger, telemetry: t.telemetry };
    const changes = {
      tasks: new ForwardingTaskChanger(t.stores.tasks, t.stores.marks, context),
      workers: new ForwardingWorkerWriter(t.stores.workers, context),
      workerMarks: t.stores.workers,
    };
    const reconciler = new UpstreamReconciler(t.stores.marks, forwarder, changes, undefined, t.clock, t.logger, t.telemetry);
    expect(await sweepUpstream({ inbox: t.inbox, reconciler })).toEqual({ eventsApplied: 1, eventsNotApplied: 0, settled: 0, unsettled: 0, longUnsettled: 0 });
    expect(await statusOf(t, r)).toBe('pending');
  });
});

describe('the Event Streams consumer', () => {
  it('applies each CloudEvent once per id, in one record or across records; the same event under a new id changes nothing', async () => {
    const c = mirrored();
    const apply = vi.spyOn(c.mirror, 'apply');
    const r = upstreamReservation();
    const created = cloudEvent('reservation.created', r, '2026-11-24T09:00:00.000Z');
    const accepted = cloudEvent('reservation.accepted', r, '2026-11-24T09:00:01.500Z');
    expect(await consume(c, [created, accepted, accepted])).toEqual(['applied', 'applied', 'duplicate']);
    expect(await consume(c, accepted)).toEqual(['duplicate']);
    expect(await consume(c, [accepted, created])).toEqual(['duplicate', 'duplicate']);
    expect(apply).toHaveBeenCalledTimes(2);
    expect(await statusOf(c, r)).toBe('accepted');
    const task = await c.stores.tasks.getTask(r);
    expect(findReservation(task!, r.reservationSid)?.observedAt).toBe(Date.UTC(2026, 10, 24, 9, 0, 1, 500));
    expect(await marked(c, r, accepted.id)).toBe(true);
    expect(await consume(c, { ...accepted, id: sid('NO') })).toEqual(['already-recorded']);
    expect(apply).toHaveBeenCalledTimes(3);
  });

  it('skips what can never apply: a record that is not JSON, a CloudEvent without its fields, one the mirror refuses; ignores other types', async () => {
    const c = mirrored();
    const apply = vi.spyOn(c.mirror, 'apply');
    expect(await consume(c, '{"specversion":"1.0",')).toEqual(['malformed']);
    const r = upstreamReservation();
    const noId = { ...cloudEvent('reservation.created', r, '2026-11-24T09:00:00Z'), id: '' };
    const noWorker = cloudEvent('reservation.created', r, '2026-11-24T09:00:00Z', { worker_sid: null });
    const other = {
      ...cloudEvent('reservation.created', upstreamReservation(), '2026-11-24T09:00:00Z'),
      type: 'com.twilio.taskrouter.worker.attributes.update',
    };
    expect(await consume(c, [noId, noWorker, other])).toEqual(['malformed', 'malformed', 'ignored']);
    // Only the one that reached the mirror; refused, it is not marked (nor recorded).
    expect(apply).toHaveBeenCalledTimes(1);
    expect(await marked(c, r, noWorker.id)).toBe(false);
    expect(await statusOf(c, r)).toBeUndefined();
  });

  it('drops another account’s event without applying or marking it', async () => {
    const c = mirrored();
    const apply = vi.spyOn(c.mirror, 'apply');
    const foreign = upstreamReservation(upstreamTask(sid('AC')));
    const event = cloudEvent('reservation.created', foreign, '2026-11-24T09:00:00Z');
    expect(await consume(c, event)).toEqual(['foreign']);
    expect(apply).not.toHaveBeenCalled();
    expect(await statusOf(c, foreign)).toBeUndefined();
    expect(await marked(c, foreign, event.id)).toBe(false);
  });

  it('throws on a store failure so the record is retried; the retry skips the events already applied and applies the rest', async () => {
    const c = mirrored();
    const [a, b] = [upstreamReservation(), upstreamReservation()];
    const events = [cloudEvent('reservation.created', a, '2026-11-24T09:00:00Z'), cloudEvent('reservation.created', b, '2026-11-24T09:00:00Z')];
    const recordReservation = c.stores.tasks.recordReservation.bind(c.stores.tasks);
    vi.spyOn(c.stores.tasks, 'recordReservation').mockImplementation((input: NewReservation, at: number) =>
      input.task.taskSid === b.taskSid ? Promise.reject(new ServiceUnavailableError(1)) : recordReservation(input, at),
    );
    await expect(consume(c, events)).rejects.toThrow(ServiceUnavailableError);
    expect([await statusOf(c, a), await statusOf(c, b)]).toEqual(['pending', undefined]);
    expect(await marked(c, b, events[1]!.id)).toBe(false);
    vi.restoreAllMocks();
    expect(await consume(c, events)).toEqual(['duplicate', 'applied']);
    expect(await statusOf(c, b)).toBe('pending');
  });
});
