/**
 * Connected mode's Task and Worker updates (lib/upstream/change-forwarder.ts) on the in-memory
 * stores, in front of a fake TaskRouter: each is POSTed once and recorded only as TaskRouter
 * confirms it; a refusal passes through with nothing recorded; a lost answer is settled by reading
 * the task or the worker, never by a second POST; a read that fails too leaves the mark (with what
 * the change asked for) to the sweep, which settles it the same way. Concurrent changes of one
 * worker are serialized by its mark, and a change decided from an older version is decided again.
 */
import { describe, expect, it, vi } from 'vitest';
import type { AssignmentCallback } from '#lib/domain/assignment-callback.ts';
import { ConflictError, UpstreamError, UpstreamUnsettledError } from '#lib/domain/errors.ts';
import { effectiveStatus, findReservation } from '#lib/domain/task.ts';
import type { WorkerWrite } from '#lib/domain/worker.ts';
import { workerWriteOf } from '#lib/lifecycle/worker-updates.ts';
import { UNSETTLED_AFTER_MS } from '#lib/upstream/reconciler.ts';
import type { UpstreamAnswer, UpstreamRequest } from '#lib/upstream/taskrouter-client.ts';
import { connectedMemory, type ConnectedMemory } from '../support/connected-memory.ts';
import { form, refusal, taskScopeOf, unknownOutcome } from '../support/use-case-fixtures.ts';

const taskPath = (a: AssignmentCallback) => `/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}`;
const workerPath = (a: AssignmentCallback) => `/v1/Workspaces/${a.workspaceSid}/Workers/${a.workerSid}`;
const workerScopeOf = (a: AssignmentCallback) => ({ accountSid: a.accountSid, workspaceSid: a.workspaceSid, workerSid: a.workerSid });
const ok = (json: Record<string, unknown>): UpstreamAnswer => ({ kind: 'ok', status: 200, json });
const AWAY = `WA${'c'.repeat(32)}`;

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected the update to fail');
    },
    (error: unknown) => error,
  );

/** TaskRouter's side of a task and a worker, as the fake answers them. */
function taskRouterState(a: AssignmentCallback) {
  return {
    task: { sid: a.taskSid, assignment_status: 'reserved', attributes: '{"type":"voice"}', priority: 0 } as Record<string, unknown>,
    worker: { sid: a.workerSid, activity_sid: null, attributes: '{}', friendly_name: 'Alice' } as Record<string, unknown>,
  };
}

/** POSTs answered by `post` (which may change TaskRouter's state), GETs by the state unless `read` is given. */
function plan(
  c: ConnectedMemory,
  a: AssignmentCallback,
  state: ReturnType<typeof taskRouterState>,
  post: (request: UpstreamRequest) => UpstreamAnswer,
  read?: () => UpstreamAnswer,
) {
  c.upstream.answer = (request) => {
    if (request.method === 'POST') return post(request);
    if (read) return read();
    return ok(request.path === taskPath(a) ? state.task : state.worker);
  };
}

/** TaskRouter makes a POSTed change (its form applied to its state). */
function applied(state: ReturnType<typeof taskRouterState>, request: UpstreamRequest): void {
  const fields = new Map(request.form ?? []);
  const target = request.path.includes('/Workers/') ? state.worker : state.task;
  if (fields.has('AssignmentStatus')) target['assignment_status'] = fields.get('AssignmentStatus');
  if (fields.has('Attributes')) target['attributes'] = fields.get('Attributes');
  if (fields.has('Priority')) target['priority'] = Number(fields.get('Priority'));
  if (fields.has('ActivitySid')) target['activity_sid'] = fields.get('ActivitySid');
  if (fields.has('FriendlyName')) target['friendly_name'] = fields.get('FriendlyName');
}

/** TaskRouter makes what is POSTed and answers with the resource as it is then. */
function confirms(c: ConnectedMemory, a: AssignmentCallback, state: ReturnType<typeof taskRouterState>): void {
  plan(c, a, state, (request) => {
    applied(state, request);
    return ok(request.path === taskPath(a) ? state.task : state.worker);
  });
}

/** TaskRouter makes what is POSTed, but its answer is lost and it cannot be read; a second later by the clock. */
function madeButUnread(c: ConnectedMemory, a: AssignmentCallback, state: ReturnType<typeof taskRouterState>): void {
  plan(
    c,
    a,
    state,
    (request) => {
      applied(state, request);
      return unknownOutcome();
    },
    () => unknownOutcome(),
  );
  c.clock.advance(1000);
}

/** The sweep settles the mark by reading, then: it must never POST. */
function sweepOnlyReads(c: ConnectedMemory, a: AssignmentCallback, state: ReturnType<typeof taskRouterState>): void {
  plan(c, a, state, () => {
    throw new Error('the sweep never POSTs');
  });
  c.clock.advance(UNSETTLED_AFTER_MS + 1);
}

const attributesChange = (a: AssignmentCallback, now: number) => ({ scope: taskScopeOf(a), now, attributes: '{"type":"voice","vip":true}', priority: 5 });
const attributesRequest = (a: AssignmentCallback) => ({ path: taskPath(a), params: form({ Attributes: '{"type":"voice","vip":true}', Priority: '5' }) });

describe('a Task update forwarded', () => {
  it('is POSTed once as the caller sent it and recorded as TaskRouter confirms, the mark cleared', async () => {
    const c = connectedMemory();
    const a = await c.reserve();
    const state = taskRouterState(a);
    confirms(c, a, state);
    const task = await c.taskChanger.change(attributesChange(a, c.clock.now()), attributesRequest(a));
    expect(c.upstream.posts().map((r) => [r.path, r.form])).toEqual([
      [
        taskPath(a),
        [
          ['Attributes', '{"type":"voice","vip":true}'],
          ['Priority', '5'],
        ],
      ],
    ]);
    expect(c.upstream.gets()).toEqual([]);
    expect(task).toMatchObject({ attributes: '{"type":"voice","vip":true}', priority: 5 });
    expect(task!.forward).toBeUndefined();
    expect(c.telemetry.of('forwards')).toEqual(['confirmed']);
  });

  it('a cancellation confirmed: the task and its pending reservation read canceled', async () => {
    const c = connectedMemory();
    const a = await c.reserve();
    const state = taskRouterState(a);
    confirms(c, a, state);
    await c.taskChanger.change(
      { scope: taskScopeOf(a), now: c.clock.now(), cancel: { reason: 'caller hung up' } },
      { path: taskPath(a), params: form({ AssignmentStatus: 'canceled', Reason: 'caller hung up' }) },
    );
    const task = (await c.stores.tasks.getTask(taskScopeOf(a)))!;
    expect(task.canceled).toMatchObject({ reason: 'caller hung up' });
    expect(effectiveStatus(task, findReservation(task, a.reservationSid)!, c.clock.now()).status).toBe('canceled');
    expect(task.forward).toBeUndefined();
  });

  it("passes TaskRouter's refusal through; nothing recorded, the mark cleared", async () => {
    const c = connectedMemory();
    const a = await c.reserve();
    const before = (await c.stores.tasks.getTask(taskScopeOf(a)))!;
    plan(c, a, taskRouterState(a), () => refusal(400, 20001, 'Task cannot be updated'));
    const error = await failureOf(c.taskChanger.change(attributesChange(a, c.clock.now()), attributesRequest(a)));
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ status: 400, code: 20001, message: 'Task cannot be updated' });
    const after = (await c.stores.tasks.getTask(taskScopeOf(a)))!;
    expect(after).toMatchObject({ attributes: before.attributes, priority: before.priority });
    expect(after.forward).toBeUndefined();
  });

  it('an answer lost: settled by reading the task, never a second POST; recorded when the read shows it', async () => {
    const c = connectedMemory();
    const a = await c.reserve();
    const state = taskRouterState(a);
    plan(c, a, state, (request) => {
      applied(state, request);
      return unknownOutcome();
    });
    const task = await c.taskChanger.change(attributesChange(a, c.clock.now()), attributesRequest(a));
    expect(c.upstream.posts()).toHaveLength(1);
    expect(c.upstream.gets().map((r) => r.path)).toEqual([taskPath(a)]);
    expect(task).toMatchObject({ attributes: '{"type":"voice","vip":true}', priority: 5 });
    expect(task!.forward).toBeUndefined();
  });

  it('an answer lost and the read shows no change: 502 asking for a retry, nothing recorded, the mark cleared', async () => {
    const c = connectedMemory();
    const a = await c.reserve();
    plan(c, a, taskRouterState(a), () => unknownOutcome());
    const error = await failureOf(c.taskChanger.change(attributesChange(a, c.clock.now()), attributesRequest(a)));
    expect(error).toBeInstanceOf(UpstreamUnsettledError);
    expect(error).toMatchObject({ status: 502, message: expect.stringMatching(/did not make it: nothing was recorded; retry/) });
    const task = (await c.stores.tasks.getTask(taskScopeOf(a)))!;
    expect(task.priority).not.toBe(5);
    expect(task.forward).toBeUndefined();
  });

  it('the read fails too: the mark (with what it asked for) stays; another change waits, then 409; the sweep records it from a later read', async () => {
    const c = connectedMemory();
    const a = await c.reserve();
    const state = taskRouterState(a);
    madeButUnread(c, a, state);
    const error = await failureOf(c.taskChanger.change(attributesChange(a, c.clock.now()), attributesRequest(a)));
    expect(error).toMatchObject({ status: 502, message: expect.stringMatching(/could not be read yet/) });
    expect((await c.stores.tasks.getTask(taskScopeOf(a)))!.forward).toMatchObject({ change: { attributes: '{"type":"voice","vip":true}', priority: 5 } });
    const waiting = await failureOf(
      c.taskChanger.change({ scope: taskScopeOf(a), now: c.clock.now(), priority: 9 }, { path: taskPath(a), params: form({ Priority: '9' }) }),
    );
    expect(waiting).toBeInstanceOf(ConflictError);
    expect(c.upstream.posts()).toHaveLength(1);
    sweepOnlyReads(c, a, state);
    expect(await c.reconciler.sweep()).toEqual({ settled: 1, unsettled: 0, longUnsettled: 0 });
    const task = (await c.stores.tasks.getTask(taskScopeOf(a)))!;
    expect(task).toMatchObject({ attributes: '{"type":"voice","vip":true}', priority: 5 });
    expect(task.forward).toBeUndefined();
  });
});

/** The write a Worker update moving the worker to `activitySid` makes, decided from the worker as stored. */
async function moveOf(c: ConnectedMemory, a: AssignmentCallback, activitySid: string): Promise<WorkerWrite> {
  const worker = (await c.stores.workers.getWorker(workerScopeOf(a)))!;
  return workerWriteOf(worker, { activitySid }, 'update', c.clock.now())!;
}
const moveRequest = (a: AssignmentCallback, activitySid: string) => ({ path: workerPath(a), params: form({ ActivitySid: activitySid }) });

describe('a Worker update forwarded', () => {
  it('is POSTed once and recorded as TaskRouter confirms; a write decided from an older version is decided again, without a POST', async () => {
    const c = connectedMemory();
    const a = await c.reserve();
    const state = taskRouterState(a);
    confirms(c, a, state);
    const stale = await moveOf(c, a, `WA${'d'.repeat(32)}`);
    expect(await c.workerWriter.write(await moveOf(c, a, AWAY), moveRequest(a, AWAY))).toBe(true);
    expect(await c.stores.workers.getWorker(workerScopeOf(a))).toMatchObject({ activitySid: AWAY, activitySetBy: 'update', version: 1 });
    expect(await c.workerWriter.write(stale, moveRequest(a, `WA${'d'.repeat(32)}`))).toBe(false);
    expect(c.upstream.posts().map((r) => [r.path, r.form])).toEqual([[workerPath(a), [['ActivitySid', AWAY]]]]);
  });

  it("the lifecycle's bookkeeping alone is this service's own: written here, nothing sent", async () => {
    const c = connectedMemory();
    const a = await c.reserve();
    const write: WorkerWrite = {
      scope: workerScopeOf(a),
      now: c.clock.now(),
      expectedVersion: 0,
      lifecycle: { held: [`${a.taskSid}/${a.reservationSid}`], moves: [] },
    };
    expect(await c.workerWriter.write(write, { path: workerPath(a), params: form({}) })).toBe(true);
    expect(c.upstream.requests).toEqual([]);
    expect((await c.stores.workers.workerState(workerScopeOf(a)))!.lifecycle.held).toEqual([`${a.taskSid}/${a.reservationSid}`]);
  });

  it("the lifecycle's bookkeeping waits for a forward in flight, then is decided again from what the forward recorded", async () => {
    // A rule's move is on its way to TaskRouter (decided holding one reservation) when another
    // reservation of the worker is accepted: its bookkeeping, decided from the same version,
    // waits, and TaskRouter answers the move meanwhile.
    let release: (() => void) | undefined;
    const c = connectedMemory({
      wait: async () => {
        release?.();
        await new Promise((resolve) => setImmediate(resolve));
      },
    });
    const a = await c.reserve();
    const state = taskRouterState(a);
    const held = (reservationSid: string) => `${a.taskSid}/${reservationSid}`;
    c.upstream.answer = (request) =>
      new Promise((resolve) => {
        release = () => {
          applied(state, request);
          resolve(ok(state.worker));
        };
      });
    const move: WorkerWrite = { ...(await moveOf(c, a, AWAY)), lifecycle: { held: [held(a.reservationSid)], moves: ['EV1'] } };
    const forwarding = c.workerWriter.write(move, moveRequest(a, AWAY));
    await vi.waitFor(() => expect(release).toBeDefined());
    const bookkeeping: WorkerWrite = {
      scope: workerScopeOf(a),
      now: c.clock.now(),
      expectedVersion: 0,
      lifecycle: { held: [held(a.reservationSid), held(`WR${'e'.repeat(32)}`)], moves: [] },
    };
    expect(await c.workerWriter.write(bookkeeping, { path: workerPath(a), params: form({}) })).toBe(false);
    expect(await forwarding).toBe(true);
    // What the caller decides again from: the move recorded, its held list as decided.
    expect(await c.stores.workers.workerState(workerScopeOf(a))).toMatchObject({
      worker: { activitySid: AWAY, version: 1 },
      lifecycle: { held: [held(a.reservationSid)], moves: ['EV1'] },
    });
    expect(c.upstream.posts()).toHaveLength(1);
  });

  it("passes TaskRouter's refusal through; nothing recorded, the mark cleared for the next update", async () => {
    const c = connectedMemory();
    const a = await c.reserve();
    const state = taskRouterState(a);
    plan(c, a, state, () => refusal(404, 20404, 'The requested resource was not found'));
    expect(await failureOf(c.workerWriter.write(await moveOf(c, a, AWAY), moveRequest(a, AWAY)))).toMatchObject({ status: 404, code: 20404 });
    expect(await c.stores.workers.getWorker(workerScopeOf(a))).toMatchObject({ activitySid: null, version: 0 });
    confirms(c, a, state);
    expect(await c.workerWriter.write(await moveOf(c, a, AWAY), moveRequest(a, AWAY))).toBe(true);
  });

  it('an answer lost and the read shows no move: 502 asking for a retry, nothing recorded', async () => {
    const c = connectedMemory();
    const a = await c.reserve();
    plan(c, a, taskRouterState(a), () => unknownOutcome());
    expect(await failureOf(c.workerWriter.write(await moveOf(c, a, AWAY), moveRequest(a, AWAY)))).toMatchObject({
      status: 502,
      message: expect.stringMatching(/did not make it/),
    });
    expect(await c.stores.workers.getWorker(workerScopeOf(a))).toMatchObject({ activitySid: null });
    expect(await c.stores.workers.workerForwardsBefore(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
  });

  it('the read fails too: the mark stays, a concurrent move waits then 409; the sweep records the move from a later read, with no second POST', async () => {
    const c = connectedMemory();
    const a = await c.reserve();
    const state = taskRouterState(a);
    madeButUnread(c, a, state);
    const move = await moveOf(c, a, AWAY);
    expect(await failureOf(c.workerWriter.write(move, moveRequest(a, AWAY)))).toMatchObject({
      status: 502,
      message: expect.stringMatching(/could not be read yet/),
    });
    expect(await c.stores.workers.workerForwardsBefore(Number.MAX_SAFE_INTEGER, 10)).toMatchObject([{ scope: workerScopeOf(a), mark: { write: move } }]);
    expect(await failureOf(c.workerWriter.write(move, moveRequest(a, AWAY)))).toBeInstanceOf(ConflictError);
    expect(c.upstream.posts()).toHaveLength(1);
    sweepOnlyReads(c, a, state);
    expect(await c.reconciler.sweep()).toEqual({ settled: 1, unsettled: 0, longUnsettled: 0 });
    expect(await c.stores.workers.getWorker(workerScopeOf(a))).toMatchObject({ activitySid: AWAY, version: 1 });
    expect(await c.stores.workers.workerForwardsBefore(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
  });
});
