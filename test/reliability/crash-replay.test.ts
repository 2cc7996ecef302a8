/**
 * A process dying between any two store calls of any operation: each operation is run once to count
 * its store calls, then for every k the process "dies" right after call k (the store has done it,
 * the code never learns), the same operation is replayed by a healthy process, and every invariant
 * must hold: one record, the right status, the rejection count, the worker's move, the link from
 * the worker, the timer, the same callback answer, and each event stored and counted once.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, tableNameOf } from '#lib/config.ts';
import { parseAssignmentCallback, type AssignmentCallback } from '#lib/domain/assignment-callback.ts';
import { parsePolicy } from '#lib/domain/rule-policy.ts';
import { readPage } from '#lib/domain/paging.ts';
import { WRAP_UP_ELAPSED, findReservation, taskAssignment } from '#lib/domain/task.ts';
import { eventSid, eventsOf, type TaskRouterEvent } from '#lib/domain/events.ts';
import { scanWorkerChanges } from '#lib/store/task-scan.ts';
import { type ActivityChange, contributionOf, countEntries, secondOfSlot } from '#lib/domain/statistics-tally.ts';
import { eventMatches } from '#lib/domain/event-query.ts';
import { eventListKey } from '#lib/domain/events.ts';
import { ensureTable } from '#lib/store/table-setup.ts';
import type { ReservationTarget } from '#lib/reservations/service.ts';
import { createRuntime, type Runtime } from '#lib/runtime.ts';
import { createDocumentClient } from '#lib/store/client.ts';
import type { ReservationTimer, TimeoutScheduler } from '#lib/timeouts/scheduler.ts';
import { FakeClock } from '../support/clock.ts';
import { ENGINES } from '../support/engines.ts';
import { FaultInjector, ProcessCrash, boundedHttpHandler } from '../support/faults.ts';
import { recordFigure } from '../support/figures.ts';
import { callback } from '../support/fixtures.ts';

const ACTIVITY = `WA${'a'.repeat(32)}`;
const TIMEOUT_ACTIVITY = `WA${'b'.repeat(32)}`;
const AVAILABLE = `WA${'c'.repeat(32)}`;
const OFFLINE = `WA${'d'.repeat(32)}`;
const WRAP_UP_MS = 30_000;

class RecordingScheduler implements TimeoutScheduler {
  readonly armed = new Map<string, ReservationTimer>();
  async schedule(timer: ReservationTimer): Promise<void> {
    this.armed.set(timer.reservationSid, timer);
  }
}

/** Task attributes choose the rule: one policy serves every callback operation below. */
const POLICY = parsePolicy({
  rules: [
    { match: { task: { decide: 'accept' } }, instruction: { instruction: 'accept' } },
    { match: { task: { decide: 'reject' } }, instruction: { instruction: 'reject', activity_sid: ACTIVITY } },
  ],
  // Every reservation gets a wrap-up limit and a worker move on completion (only the lifecycle operations act on them).
  availableActivities: [AVAILABLE],
  lifecycle: [{ name: 'all', wrapUpSeconds: WRAP_UP_MS / 1000, activities: { completed: AVAILABLE } }],
});

function assignment(decide?: string, overrides: Partial<Record<string, string>> = {}): AssignmentCallback {
  const fixture = callback({ TaskAttributes: JSON.stringify(decide ? { decide } : {}), ...overrides });
  return parseAssignmentCallback(new Map(Object.entries(fixture.params).map(([k, v]) => [k, [v]])));
}

const taskTarget = (a: AssignmentCallback): ReservationTarget => ({
  kind: 'task',
  scope: { accountSid: a.accountSid, workspaceSid: a.workspaceSid, taskSid: a.taskSid },
  reservationSid: a.reservationSid,
  resource: 'test',
});
const workerTarget = (a: AssignmentCallback): ReservationTarget => ({
  kind: 'worker',
  scope: { accountSid: a.accountSid, workspaceSid: a.workspaceSid, workerSid: a.workerSid },
  reservationSid: a.reservationSid,
  resource: 'test',
});
const form = (params: Record<string, string>) => new Map(Object.entries(params).map(([k, v]) => [k, [v]]));

interface Operation {
  readonly name: string;
  /** Puts the world in the state the operation starts from (with the healthy runtime). */
  prepare(healthy: Runtime, clock: FakeClock): Promise<AssignmentCallback>;
  /** The operation itself; its result, if any, is what a repeat must reproduce. */
  run(runtime: Runtime, a: AssignmentCallback): Promise<unknown>;
  /** Every invariant, after the replay. */
  check(healthy: Runtime, a: AssignmentCallback, results: { first: unknown; replay: unknown }, timers: RecordingScheduler): Promise<void>;
}

async function stored(runtime: Runtime, a: AssignmentCallback) {
  const task = (await runtime.stores.tasks.getTask({ accountSid: a.accountSid, workspaceSid: a.workspaceSid, taskSid: a.taskSid }))!;
  return { task, reservation: findReservation(task, a.reservationSid)! };
}

/**
 * Every event the task's writes imply is stored, once, and no other: what the replay (or the
 * original, had it lived) left in the Event resource.
 */
async function eventsExactlyOnce(runtime: Runtime, a: AssignmentCallback): Promise<string[]> {
  const { task } = await stored(runtime, a);
  const scope = { accountSid: a.accountSid, workspaceSid: a.workspaceSid };
  const filter = { taskSid: a.taskSid, from: 0 };
  const listed = await readPage({ page: 0 }, 1000, eventListKey, runtime.stores.events.list(scope, filter), eventMatches(filter));
  const expected = eventsOf(task, task.writtenAt);
  expect(listed.items.map((e) => e.sid).sort(), 'events stored once each').toEqual(expected.map((e) => e.sid).sort());
  // Counted as stored: the first derivation of each event (a later callback may name another queue).
  await countedOnce(runtime, scope, listed.items);
  return expected.map((e) => e.type);
}

/**
 * Every one of those events is counted once in the statistics, and nothing else is (each test's
 * workspace is its own): the tallies around them hold exactly what the stored events add.
 */
async function countedOnce(runtime: Runtime, scope: { accountSid: string; workspaceSid: string }, expected: readonly TaskRouterEvent[]) {
  const contributions = expected.map(contributionOf).filter((c) => c !== undefined);
  const want = countEntries(contributions.map((c) => c.entry));
  const seconds = contributions.map((c) => secondOfSlot(c.slot));
  const got: Record<string, number> = {};
  const activities: ActivityChange[] = [];
  // Tallies are read within one hour at a time: the hours around the events.
  for (let hour = Math.floor((Math.min(...seconds) - 120) / 3600); hour <= Math.floor((Math.max(...seconds) + 120) / 3600); hour++) {
    for (const tally of await runtime.stores.statistics.tallies(scope, hour * 3600, hour * 3600 + 3599)) {
      for (const [attribute, n] of Object.entries(tally.counts)) got[attribute] = (got[attribute] ?? 0) + n;
      activities.push(...tally.activities);
    }
  }
  expect(got, 'each event counted once in the statistics').toEqual(want.counts);
  // A worker's activity changes are kept as they happened, not counted: each once, too.
  const inOrder = (changes: readonly ActivityChange[]) => [...changes].sort((a, b) => a.at - b.at || a.workerSid.localeCompare(b.workerSid));
  expect(inOrder(activities), 'each activity change kept once in the statistics').toEqual(inOrder(want.activities));
}

async function linked(runtime: Runtime, a: AssignmentCallback) {
  expect(
    await runtime.stores.workers.taskOfReservation({ accountSid: a.accountSid, workspaceSid: a.workspaceSid, workerSid: a.workerSid }, a.reservationSid),
  ).toBe(a.taskSid);
}

async function activityOf(runtime: Runtime, a: AssignmentCallback) {
  return (await runtime.stores.workers.getWorker({ accountSid: a.accountSid, workspaceSid: a.workspaceSid, workerSid: a.workerSid }))?.activitySid;
}

const pendingReservation = async (healthy: Runtime) => {
  const a = assignment();
  await healthy.service.assign(a, 60);
  return a;
};

/** The events of a reservation accepted, wrapped up and completed, in order. */
const WRAPPED_AND_COMPLETED = ['reservation.created', 'reservation.accepted', 'reservation.wrapup', 'task.wrapup', 'reservation.completed', 'task.completed'];

const taskScopeOf = (a: AssignmentCallback) => ({ accountSid: a.accountSid, workspaceSid: a.workspaceSid, taskSid: a.taskSid });
const workerScopeOf = (a: AssignmentCallback) => ({ accountSid: a.accountSid, workspaceSid: a.workspaceSid, workerSid: a.workerSid });

const wrapping = async (healthy: Runtime) => {
  const a = await pendingReservation(healthy);
  await healthy.service.update(taskTarget(a), form({ ReservationStatus: 'accepted' }), undefined);
  await healthy.service.update(taskTarget(a), form({ ReservationStatus: 'wrapping' }), undefined);
  return a;
};

/**
 * A worker's events, as a restarted process leaves them: its start-up sweep stores those of the
 * last change still on the worker's item (deployed, the table's stream does). Their types, oldest first.
 */
async function workerEvents(runtime: Runtime, a: AssignmentCallback): Promise<string[]> {
  const state = await runtime.stores.workers.workerState(workerScopeOf(a));
  const w = state!.worker;
  await runtime.recorder.recoverWorkers((await scanWorkerChangesOf(runtime, a)).filter((c) => c.workerSid === w.sid));
  const scope = { accountSid: a.accountSid, workspaceSid: a.workspaceSid };
  const filter = { workerSid: a.workerSid, from: 0 };
  const listed = await readPage({ page: 0 }, 1000, eventListKey, runtime.stores.events.list(scope, filter), eventMatches(filter));
  return listed.items.filter((e) => e.resourceType === 'worker').map((e) => e.type);
}

const OPERATIONS: Operation[] = [
  {
    name: 'callback, no instruction',
    prepare: async () => assignment(),
    run: (runtime, a) => runtime.service.assign(a, 60),
    async check(healthy, a, { replay }, timers) {
      expect(replay).toBe('{}');
      const { reservation } = await stored(healthy, a);
      expect(reservation).toMatchObject({ status: 'pending', version: 1 });
      await linked(healthy, a);
      expect(timers.armed.get(a.reservationSid)?.deadline).toBe(reservation.deadline);
      expect(await eventsExactlyOnce(healthy, a)).toEqual(['reservation.created']);
    },
  },
  {
    name: 'callback, accept by policy',
    prepare: async () => assignment('accept'),
    run: (runtime, a) => runtime.service.assign(a, 60),
    async check(healthy, a, { replay }) {
      expect(replay).toBe('{"instruction":"accept"}');
      const { task, reservation } = await stored(healthy, a);
      expect(reservation).toMatchObject({ status: 'accepted', version: 1 });
      expect(taskAssignment(task, Date.now()).status).toBe('assigned');
      await linked(healthy, a);
      expect(await eventsExactlyOnce(healthy, a)).toEqual(['reservation.created', 'reservation.accepted']);
    },
  },
  {
    name: 'callback, reject by policy with activity_sid',
    prepare: async () => assignment('reject'),
    run: (runtime, a) => runtime.service.assign(a, 60),
    async check(healthy, a, { replay }) {
      expect(replay).toBe(`{"instruction":"reject","activity_sid":"${ACTIVITY}"}`);
      const { task, reservation } = await stored(healthy, a);
      expect(reservation).toMatchObject({ status: 'rejected', version: 1 });
      expect(task.rejections).toBe(1);
      await linked(healthy, a);
      expect(await activityOf(healthy, a)).toBe(ACTIVITY);
      expect(await eventsExactlyOnce(healthy, a)).toEqual(['reservation.created', 'reservation.rejected', 'worker.activity.update']);
    },
  },
  {
    name: 'accept, rescinding two others',
    async prepare(healthy) {
      const a = await pendingReservation(healthy);
      for (let i = 0; i < 2; i++) await healthy.service.assign(assignment(undefined, { WorkspaceSid: a.workspaceSid, TaskSid: a.taskSid }), 60);
      return a;
    },
    run: (runtime, a) => runtime.service.update(taskTarget(a), form({ ReservationStatus: 'accepted' }), undefined),
    async check(healthy, a) {
      const { task, reservation } = await stored(healthy, a);
      expect(reservation).toMatchObject({ status: 'accepted', version: 2 });
      expect(task.acceptedReservationSid).toBe(a.reservationSid);
      expect(await eventsExactlyOnce(healthy, a)).toEqual([
        'reservation.created',
        'reservation.created',
        'reservation.created',
        'reservation.accepted',
        'reservation.rescinded',
        'reservation.rescinded',
      ]);
    },
  },
  {
    name: 'worker-scoped accept',
    prepare: pendingReservation,
    run: (runtime, a) => runtime.service.update(workerTarget(a), form({ ReservationStatus: 'accepted' }), undefined),
    async check(healthy, a) {
      expect((await stored(healthy, a)).reservation).toMatchObject({ status: 'accepted', version: 2 });
      expect(await eventsExactlyOnce(healthy, a)).toEqual(['reservation.created', 'reservation.accepted']);
    },
  },
  {
    name: 'reject with WorkerActivitySid',
    prepare: pendingReservation,
    run: (runtime, a) => runtime.service.update(taskTarget(a), form({ ReservationStatus: 'rejected', WorkerActivitySid: ACTIVITY }), undefined),
    async check(healthy, a) {
      const { task, reservation } = await stored(healthy, a);
      expect(reservation).toMatchObject({ status: 'rejected', version: 2, activitySid: ACTIVITY });
      expect(task.rejections).toBe(1);
      expect(await activityOf(healthy, a)).toBe(ACTIVITY);
      expect(await eventsExactlyOnce(healthy, a)).toEqual(['reservation.created', 'reservation.rejected', 'worker.activity.update']);
    },
  },
  {
    name: 'the rejection that reaches MAX_REJECTIONS, canceling the task and a pending reservation',
    async prepare(healthy) {
      const a = await pendingReservation(healthy);
      const others = [0, 1, 2].map(() => assignment(undefined, { WorkspaceSid: a.workspaceSid, TaskSid: a.taskSid }));
      for (const other of others) await healthy.service.assign(other, 60);
      for (const other of others.slice(0, 2)) await healthy.service.update(taskTarget(other), form({ ReservationStatus: 'rejected' }), undefined);
      return a;
    },
    run: (runtime, a) => runtime.service.update(taskTarget(a), form({ ReservationStatus: 'rejected' }), undefined),
    async check(healthy, a) {
      const { task } = await stored(healthy, a);
      expect(task.rejections).toBe(3);
      expect(taskAssignment(task, Date.now()).status).toBe('canceled');
      const types = await eventsExactlyOnce(healthy, a);
      expect(types.filter((t) => t !== 'reservation.created')).toEqual([
        'reservation.rejected',
        'reservation.rejected',
        'reservation.rejected',
        'reservation.canceled',
        'task.canceled',
      ]);
    },
  },
  {
    name: 'wrap-up',
    async prepare(healthy) {
      const a = await pendingReservation(healthy);
      await healthy.service.update(taskTarget(a), form({ ReservationStatus: 'accepted' }), undefined);
      return a;
    },
    run: (runtime, a) => runtime.service.update(taskTarget(a), form({ ReservationStatus: 'wrapping' }), undefined),
    async check(healthy, a) {
      expect((await stored(healthy, a)).reservation).toMatchObject({ status: 'wrapping', version: 3 });
      expect(await eventsExactlyOnce(healthy, a)).toEqual(['reservation.created', 'reservation.accepted', 'reservation.wrapup', 'task.wrapup']);
    },
  },
  {
    name: 'completion',
    async prepare(healthy) {
      const a = await pendingReservation(healthy);
      await healthy.service.update(taskTarget(a), form({ ReservationStatus: 'accepted' }), undefined);
      await healthy.service.update(taskTarget(a), form({ ReservationStatus: 'wrapping' }), undefined);
      return a;
    },
    run: (runtime, a) => runtime.service.update(workerTarget(a), form({ ReservationStatus: 'completed' }), undefined),
    async check(healthy, a) {
      expect((await stored(healthy, a)).reservation).toMatchObject({ status: 'completed', version: 4 });
      expect(await eventsExactlyOnce(healthy, a)).toEqual(WRAPPED_AND_COMPLETED);
    },
  },
  {
    name: 'timer delivery',
    async prepare(healthy, clock) {
      const a = await pendingReservation(healthy);
      clock.advance(61_000);
      return a;
    },
    run: (runtime, a) =>
      runtime.service.expire({ accountSid: a.accountSid, workspaceSid: a.workspaceSid, taskSid: a.taskSid, reservationSid: a.reservationSid }),
    async check(healthy, a) {
      const { reservation } = await stored(healthy, a);
      expect(reservation).toMatchObject({ status: 'timeout', version: 2, activitySid: TIMEOUT_ACTIVITY });
      expect(await activityOf(healthy, a)).toBe(TIMEOUT_ACTIVITY);
      expect(await eventsExactlyOnce(healthy, a)).toEqual(['reservation.created', 'reservation.timeout', 'worker.activity.update']);
    },
  },
  {
    name: 'Task update: cancel with a reason',
    prepare: pendingReservation,
    run: (runtime, a) => runtime.taskUpdates.update(taskScopeOf(a), form({ AssignmentStatus: 'canceled', Reason: 'caller hung up' }), undefined, 'test'),
    async check(healthy, a) {
      const { task } = await stored(healthy, a);
      expect(taskAssignment(task, Date.now())).toMatchObject({ status: 'canceled', reason: 'caller hung up' });
      expect(await eventsExactlyOnce(healthy, a)).toEqual(['reservation.created', 'reservation.canceled', 'task.canceled']);
    },
  },
  {
    name: 'Task update: complete with a reason',
    async prepare(healthy) {
      const a = await pendingReservation(healthy);
      await healthy.service.update(taskTarget(a), form({ ReservationStatus: 'accepted' }), undefined);
      return a;
    },
    run: (runtime, a) => runtime.taskUpdates.update(taskScopeOf(a), form({ AssignmentStatus: 'completed', Reason: 'resolved' }), undefined, 'test'),
    async check(healthy, a) {
      const { task, reservation } = await stored(healthy, a);
      expect(reservation).toMatchObject({ status: 'completed', version: 3 });
      expect(taskAssignment(task, Date.now())).toMatchObject({ status: 'completed', reason: 'resolved' });
      expect(await eventsExactlyOnce(healthy, a)).toEqual(['reservation.created', 'reservation.accepted', 'reservation.completed', 'task.completed']);
    },
  },
  {
    name: 'Worker update: activity and name',
    prepare: pendingReservation,
    run: (runtime, a) => runtime.workerUpdates.update(workerScopeOf(a), form({ ActivitySid: OFFLINE, FriendlyName: 'Dee' }), undefined, 'test'),
    async check(healthy, a) {
      const worker = (await healthy.stores.workers.getWorker(workerScopeOf(a)))!;
      expect(worker).toMatchObject({ activitySid: OFFLINE, friendlyName: 'Dee', version: 1, activitySetBy: 'update' });
      expect(await workerEvents(healthy, a)).toEqual(['worker.activity.update']);
    },
  },
  {
    name: 'wrap-up timer at the deadline',
    async prepare(healthy, clock) {
      const a = await wrapping(healthy);
      clock.advance(WRAP_UP_MS + 1000);
      return a;
    },
    run: (runtime, a) => runtime.lifecycle.timer({ ...taskScopeOf(a), reservationSid: a.reservationSid, kind: 'wrap-up' }),
    async check(healthy, a) {
      const { task, reservation } = await stored(healthy, a);
      expect(reservation).toMatchObject({ status: 'completed', version: 4, updatedAt: reservation.wrapUpDeadline });
      expect(taskAssignment(task, Date.now()).reason).toBe(WRAP_UP_ELAPSED);
      expect(await eventsExactlyOnce(healthy, a)).toEqual(WRAPPED_AND_COMPLETED);
    },
  },
  {
    name: "a lifecycle rule's move after the completion",
    async prepare(healthy) {
      const a = await wrapping(healthy);
      await healthy.service.update(taskTarget(a), form({ ReservationStatus: 'completed' }), undefined);
      return a;
    },
    run: (runtime, a) =>
      runtime.lifecycle.handle({
        sid: eventSid(a.accountSid, a.workspaceSid, a.reservationSid, 'reservation.completed'),
        type: 'reservation.completed',
        ...taskScopeOf(a),
        reservationSid: a.reservationSid,
      }),
    async check(healthy, a, { replay }) {
      expect(['moved', 'repeated']).toContain(replay);
      const state = (await healthy.stores.workers.workerState(workerScopeOf(a)))!;
      expect(state.worker).toMatchObject({ activitySid: AVAILABLE, activitySetBy: 'lifecycle', version: 1 });
      expect(await workerEvents(healthy, a)).toEqual(['worker.activity.update']);
    },
  },
];

/** The worker changes still on workers' items (the start-up sweep's scan), for this test's worker. */
async function scanWorkerChangesOf(runtime: Runtime, a: AssignmentCallback) {
  const changes = [];
  for await (const page of scanWorkerChanges(scanClient!, runtime.config.tableName!)) changes.push(...page.filter((c) => c.workerSid === a.workerSid));
  return changes;
}
let scanClient: ReturnType<typeof createDocumentClient> | undefined;

describe.each(ENGINES)('a process dying between store calls, on $name', (engine) => {
  const clock = new FakeClock();
  const timers = new RecordingScheduler();
  const faults = new FaultInjector();
  let stop: () => Promise<void>;
  let crashing: Runtime;
  let healthy: Runtime;

  beforeAll(async () => {
    const running = await engine.start();
    stop = running.stop;
    const config = loadConfig(
      {
        DYNAMODB_ENDPOINT: running.endpoint,
        TABLE_NAME: `crash${randomBytes(4).toString('hex')}`,
        TIMEOUT_ACTIVITY_SID: TIMEOUT_ACTIVITY,
        MAX_REJECTIONS: '3',
      },
      'local',
    );
    await ensureTable(running.endpoint, tableNameOf(config));
    // The lifecycle acts only when an operation calls it: in the background its store calls would interleave with the counted ones.
    const parts = { clock, scheduler: timers, policy: POLICY, lifecycleInBackground: false };
    crashing = createRuntime(config, {
      ...parts,
      documentClient: createDocumentClient({ endpoint: running.endpoint, handler: faults.wrap(boundedHttpHandler()) }),
    });
    healthy = createRuntime(config, parts);
    scanClient = createDocumentClient({ endpoint: running.endpoint });
  });
  let crashPoints = 0;
  afterAll(async () => {
    recordFigure('crash points replayed', crashPoints, engine.name);
    crashing.close();
    healthy.close();
    scanClient?.destroy();
    await stop();
  });

  const settle = (promise: Promise<unknown>) =>
    promise.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );

  it.each(OPERATIONS.map((o) => [o.name, o] as const))('%s: every crash point, then a replay, leaves every invariant true', async (_name, operation) => {
    // A clean run counts the operation's store calls.
    const clean = await operation.prepare(healthy, clock);
    faults.reset();
    const first = await operation.run(crashing, clean);
    const calls = faults.calls.length;
    await operation.check(healthy, clean, { first, replay: first }, timers);
    expect(calls).toBeGreaterThan(0);

    for (let k = 1; k <= calls; k++) {
      const a = await operation.prepare(healthy, clock);
      faults.reset().plan((call) => (call.number === k ? 'crash-after' : undefined));
      const crashed = await settle(operation.run(crashing, a));
      // A run's calls can number fewer than the counted run's: the group commit and the tallies send
      // what one turn of the event loop holds together, so where a put of the counted run came a
      // turn late under load and went alone (12 calls in a CI run, 11 otherwise), this run's may
      // share a write. Then it finished before call k: nothing is left to crash after, and the
      // replay below still checks every invariant.
      const finishedBefore = 'value' in crashed && faults.calls.length < k;
      if (!finishedBefore) expect(crashed, `crash after call ${k} of ${calls}`).toMatchObject({ error: expect.any(ProcessCrash) });
      // The replay may be refused (the first run's write already decided the reservation); it must finish the rest.
      const replay = await settle(operation.run(healthy, a));
      await operation.check(healthy, a, { first: undefined, replay: 'value' in replay ? replay.value : undefined }, timers);
      crashPoints++;
    }
  });
});
