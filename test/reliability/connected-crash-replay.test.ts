/**
 * Connected mode's Task and Worker updates with a process dying between any two of their store
 * calls: each operation is run once to count its store calls, then for every k the process "dies"
 * right after call k (the store has done it, the code never learns), the sweep runs once the mark
 * is old, and the caller retries through a healthy process. Every invariant must hold: TaskRouter
 * made the change exactly once, the record says what TaskRouter says, no mark is left, and each
 * event of the change is stored once.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, tableNameOf } from '#lib/config.ts';
import { parseAssignmentCallback, type AssignmentCallback } from '#lib/domain/assignment-callback.ts';
import { eventMatches } from '#lib/domain/event-query.ts';
import { eventListKey } from '#lib/domain/events.ts';
import { readPage } from '#lib/domain/paging.ts';
import { createRuntime, type Runtime } from '#lib/runtime.ts';
import { createDocumentClient } from '#lib/store/client.ts';
import { ensureTable } from '#lib/store/table-setup.ts';
import { scanWorkerChanges } from '#lib/store/task-scan.ts';
import { UNSETTLED_AFTER_MS } from '#lib/upstream/reconciler.ts';
import type { TaskRouterUpstream, UpstreamAnswer, UpstreamRequest } from '#lib/upstream/taskrouter-client.ts';
import type { ReservationTimer, TimeoutScheduler } from '#lib/timeouts/scheduler.ts';
import { FakeClock } from '../support/clock.ts';
import { ENGINES } from '../support/engines.ts';
import { FaultInjector, ProcessCrash, boundedHttpHandler } from '../support/faults.ts';
import { callback } from '../support/fixtures.ts';

const AWAY = `WA${'c'.repeat(32)}`;

class IgnoringScheduler implements TimeoutScheduler {
  async schedule(_timer: ReservationTimer): Promise<void> {}
}

/** TaskRouter's side: its tasks and workers as it would answer them, and every change it made. */
class FakeTaskRouter implements TaskRouterUpstream {
  readonly baseUrl = 'https://taskrouter.example.test';
  readonly resources = new Map<string, Record<string, unknown>>();
  readonly made: string[] = [];

  async send(request: UpstreamRequest): Promise<UpstreamAnswer> {
    const resource = this.resources.get(request.path);
    if (!resource) return { kind: 'refused', status: 404, code: 20404, message: 'Not found', moreInfo: undefined, retryAfter: undefined };
    if (request.method === 'GET') return { kind: 'ok', status: 200, json: { ...resource } };
    const fields = new Map(request.form ?? []);
    if (fields.get('AssignmentStatus') === 'canceled') {
      if (resource['assignment_status'] === 'canceled')
        return { kind: 'refused', status: 400, code: 20001, message: 'Task already canceled', moreInfo: undefined, retryAfter: undefined };
      resource['assignment_status'] = 'canceled';
      resource['reason'] = fields.get('Reason');
    }
    if (fields.has('Attributes')) resource['attributes'] = fields.get('Attributes');
    if (fields.has('ActivitySid')) resource['activity_sid'] = fields.get('ActivitySid');
    this.made.push(`${request.path} ${[...fields].map(([k, v]) => `${k}=${v}`).join('&')}`);
    return { kind: 'ok', status: 200, json: { ...resource } };
  }
}

const taskPath = (a: AssignmentCallback) => `/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}`;
const workerPath = (a: AssignmentCallback) => `/v1/Workspaces/${a.workspaceSid}/Workers/${a.workerSid}`;
const taskScopeOf = (a: AssignmentCallback) => ({ accountSid: a.accountSid, workspaceSid: a.workspaceSid, taskSid: a.taskSid });
const workerScopeOf = (a: AssignmentCallback) => ({ accountSid: a.accountSid, workspaceSid: a.workspaceSid, workerSid: a.workerSid });
const form = (params: Record<string, string>) => new Map(Object.entries(params).map(([k, v]) => [k, [v]]));

/**
 * The types of the events stored for the task (or, with `worker`, the worker's own), each once, as
 * a restarted process leaves them: its start-up sweep stores those a dying one did not (deployed,
 * the table's stream does).
 */
async function eventTypes(runtime: Runtime, a: AssignmentCallback, subject: 'task' | 'worker'): Promise<string[]> {
  if (subject === 'task') await runtime.recorder.recover([(await runtime.stores.tasks.getTask(taskScopeOf(a)))!]);
  else {
    for await (const page of scanWorkerChanges(scanClient!, runtime.config.tableName!)) {
      await runtime.recorder.recoverWorkers(page.filter((c) => c.workerSid === a.workerSid));
    }
  }
  const scope = { accountSid: a.accountSid, workspaceSid: a.workspaceSid };
  const filter = subject === 'task' ? { taskSid: a.taskSid, from: 0 } : { workerSid: a.workerSid, from: 0 };
  const listed = await readPage({ page: 0 }, 1000, eventListKey, runtime.stores.events.list(scope, filter), eventMatches(filter));
  expect(new Set(listed.items.map((e) => e.sid)).size, 'each event stored once').toBe(listed.items.length);
  return listed.items.filter((e) => subject === 'task' || e.resourceType === 'worker').map((e) => e.type);
}

interface Operation {
  readonly name: string;
  readonly run: (runtime: Runtime, a: AssignmentCallback) => Promise<unknown>;
  /** What TaskRouter made, once. */
  readonly made: (a: AssignmentCallback) => string;
  readonly check: (healthy: Runtime, a: AssignmentCallback) => Promise<void>;
  /**
   * Whether the caller who never heard sees its change made, and so does not send it again. A
   * cancellation or a move is sent again blindly (the gateway refuses or skips a repeat); new
   * attributes are not, since a second request is a second change, at TaskRouter as here.
   */
  readonly seen?: (healthy: Runtime, a: AssignmentCallback) => Promise<boolean>;
}

const OPERATIONS: Operation[] = [
  {
    name: 'a cancellation',
    run: (runtime, a) =>
      runtime.taskUpdates.update(taskScopeOf(a), form({ AssignmentStatus: 'canceled', Reason: 'caller hung up' }), undefined, taskPath(a).slice(3)),
    made: (a) => `${taskPath(a)} AssignmentStatus=canceled&Reason=caller hung up`,
    async check(healthy, a) {
      const task = (await healthy.stores.tasks.getTask(taskScopeOf(a)))!;
      expect(task.canceled).toMatchObject({ reason: 'caller hung up' });
      expect(task.forward).toBeUndefined();
      expect((await eventTypes(healthy, a, 'task')).sort()).toEqual(['reservation.canceled', 'reservation.created', 'task.canceled']);
    },
  },
  {
    name: 'new attributes',
    run: (runtime, a) => runtime.taskUpdates.update(taskScopeOf(a), form({ Attributes: '{"type":"voice","vip":true}' }), undefined, taskPath(a).slice(3)),
    made: (a) => `${taskPath(a)} Attributes={"type":"voice","vip":true}`,
    seen: async (healthy, a) => (await healthy.stores.tasks.getTask(taskScopeOf(a)))?.attributes === '{"type":"voice","vip":true}',
    async check(healthy, a) {
      const task = (await healthy.stores.tasks.getTask(taskScopeOf(a)))!;
      // Recorded once: the one change TaskRouter made is the task's first update.
      expect(task).toMatchObject({ attributes: '{"type":"voice","vip":true}', lastUpdate: { n: 1 } });
      expect(task.forward).toBeUndefined();
      expect(await eventTypes(healthy, a, 'task')).toEqual(['reservation.created', 'task.updated']);
    },
  },
  {
    name: "a worker's new activity",
    run: (runtime, a) => runtime.workerUpdates.update(workerScopeOf(a), form({ ActivitySid: AWAY }), undefined, workerPath(a).slice(3)),
    made: (a) => `${workerPath(a)} ActivitySid=${AWAY}`,
    async check(healthy, a) {
      expect(await healthy.stores.workers.getWorker(workerScopeOf(a))).toMatchObject({ activitySid: AWAY, version: 1 });
      expect((await healthy.stores.workers.workerForwardsBefore(Number.MAX_SAFE_INTEGER, 1000)).map((m) => m.scope.workerSid)).not.toContain(a.workerSid);
      expect(await eventTypes(healthy, a, 'worker')).toEqual(['worker.activity.update']);
    },
  },
];
let scanClient: ReturnType<typeof createDocumentClient> | undefined;

describe.each(ENGINES)('connected: a process dying between store calls of a forwarded update, on $name', (engine) => {
  const clock = new FakeClock();
  const faults = new FaultInjector();
  const taskRouter = new FakeTaskRouter();
  let stop: () => Promise<void>;
  let crashing: Runtime;
  let healthy: Runtime;

  beforeAll(async () => {
    const running = await engine.start();
    stop = running.stop;
    const config = loadConfig(
      { DYNAMODB_ENDPOINT: running.endpoint, TABLE_NAME: `ccrash${randomBytes(4).toString('hex')}`, TASKROUTER_UPSTREAM_URL: taskRouter.baseUrl },
      'local',
    );
    await ensureTable(running.endpoint, tableNameOf(config));
    const parts = { clock, scheduler: new IgnoringScheduler(), upstream: taskRouter, lifecycleInBackground: false };
    crashing = createRuntime(config, {
      ...parts,
      documentClient: createDocumentClient({ endpoint: running.endpoint, handler: faults.wrap(boundedHttpHandler()) }),
    });
    healthy = createRuntime(config, parts);
    scanClient = createDocumentClient({ endpoint: running.endpoint });
  });
  afterAll(async () => {
    crashing.close();
    healthy.close();
    scanClient?.destroy();
    await stop();
  });

  /** A reservation TaskRouter made and the gateway recorded from its callback. */
  async function reserved(): Promise<AssignmentCallback> {
    const fixture = callback({ TaskAttributes: '{"type":"voice"}' });
    const a = parseAssignmentCallback(new Map(Object.entries(fixture.params).map(([k, v]) => [k, [v]])));
    await healthy.service.assign(a, 120);
    taskRouter.resources.set(taskPath(a), { sid: a.taskSid, assignment_status: 'reserved', attributes: '{"type":"voice"}', priority: 0 });
    taskRouter.resources.set(workerPath(a), { sid: a.workerSid, activity_sid: null, attributes: '{}', friendly_name: 'Alice' });
    return a;
  }

  const settle = (promise: Promise<unknown>) =>
    promise.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );

  it.each(OPERATIONS.map((o) => [o.name, o] as const))('%s: every crash point, the sweep, then a retry: made once, recorded once', async (_name, operation) => {
    const clean = await reserved();
    faults.reset();
    await operation.run(crashing, clean);
    const calls = faults.calls.length;
    expect(taskRouter.made.filter((m) => m === operation.made(clean))).toHaveLength(1);
    await operation.check(healthy, clean);
    expect(calls).toBeGreaterThan(1);

    for (let k = 1; k <= calls; k++) {
      const a = await reserved();
      faults.reset().plan((call) => (call.number === k ? 'crash-after' : undefined));
      const crashed = await settle(operation.run(crashing, a));
      expect(crashed, `crash after call ${k} of ${calls}`).toMatchObject({ error: expect.any(ProcessCrash) });
      // The mark is old (a write's stamp may lead this clock by a few ms): the sweep settles it by
      // reading; then the caller, who never heard, retries.
      clock.advance(UNSETTLED_AFTER_MS + 1000);
      await healthy.upstream!.reconciler.sweep();
      if (!(await operation.seen?.(healthy, a))) await settle(operation.run(healthy, a));
      expect(
        taskRouter.made.filter((m) => m === operation.made(a)),
        `made once, crash after call ${k}`,
      ).toHaveLength(1);
      await operation.check(healthy, a);
    }
  });
});
