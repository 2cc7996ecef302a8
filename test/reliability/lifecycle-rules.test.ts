/**
 * Lifecycle rules on the local stack, on each real engine, through the twilio SDK: the worker moved
 * after each outcome (multitasking-aware, never over a rejection's own activity), the wrap-up
 * completed at its deadline exactly once whoever else completes it, extended through the WrapUp
 * resource, and reservations held too long flagged (or completed) for a supervisor.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WRAP_UP_ELAPSED, effectiveStatus, findReservation } from '#lib/domain/task.ts';
import type { LocalStack } from '#lib/local/server.ts';
import { ENGINES } from '../support/engines.ts';
import { assign, basicAuth, sid, startStack, twilioClient, type CallbackFixture } from '../support/fixtures.ts';

const activity = (c: string) => `WA${c.repeat(32)}`;
const AVAILABLE = activity('a');
const BUSY = activity('b');
const WRAPPING = activity('c');
const AWAY = activity('d');

/** Wrap-up and attention limits are whole seconds: these tests wait for one or two of them. */
const POLICY = {
  availableActivities: [AVAILABLE],
  rules: [],
  lifecycle: [
    {
      name: 'voice',
      match: { task: { type: 'voice' } },
      wrapUpSeconds: 1,
      activities: { accepted: BUSY, wrapping: WRAPPING, completed: AVAILABLE, rejected: AWAY, timeout: AWAY },
    },
    // Long enough that an extension, even on a busy machine, comes before the first deadline.
    { name: 'voice, longer wrap-up', match: { task: { type: 'long-voice' } }, wrapUpSeconds: 3 },
    { name: 'chat held too long', match: { task: { type: 'chat' } }, activities: { accepted: BUSY, completed: AVAILABLE }, attentionAfterSeconds: 1 },
    { name: 'email closed for the agent', match: { task: { type: 'email' } }, attentionAfterSeconds: 1, onAttention: 'complete' },
  ],
};

const waitFor = <T>(check: () => Promise<T>) => vi.waitFor(check, { timeout: 5000, interval: 50 });

describe.each(ENGINES)('lifecycle rules on $name', (engine) => {
  let stop: () => Promise<void>;
  let stack: LocalStack;
  let client: ReturnType<typeof twilioClient>;
  let dir: string;

  beforeAll(async () => {
    const running = await engine.start();
    stop = running.stop;
    dir = mkdtempSync(join(tmpdir(), 'lifecycle-'));
    const policyPath = join(dir, 'policy.json');
    writeFileSync(policyPath, JSON.stringify(POLICY));
    stack = await startStack({ DYNAMODB_ENDPOINT: running.endpoint, TABLE_NAME: `lc${randomBytes(4).toString('hex')}`, ASSIGNMENT_POLICY: policyPath });
    client = twilioClient(stack);
  });
  afterAll(async () => {
    await stack.close();
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const workspace = (a: CallbackFixture) => client.taskrouter.v1.workspaces(a.workspaceSid);
  const reservationOf = (a: CallbackFixture) => workspace(a).tasks(a.taskSid).reservations(a.reservationSid);
  const workerActivity = async (a: CallbackFixture) => (await workspace(a).workers(a.workerSid).fetch()).activitySid;
  const voice = (overrides: Record<string, string> = {}) => assign(stack, { TaskAttributes: JSON.stringify({ type: 'voice' }), ...overrides });
  const stored = async (a: CallbackFixture) =>
    findReservation(
      (await stack.runtime.stores.tasks.getTask({ accountSid: a.accountSid, workspaceSid: a.workspaceSid, taskSid: a.taskSid }))!,
      a.reservationSid,
    )!;
  async function count(a: CallbackFixture, type: string) {
    const events = await workspace(a).events.list({ taskSid: a.taskSid, limit: 200 });
    return events.filter((e) => e.eventType === type).length;
  }
  const wrapUpPath = (a: CallbackFixture) => `/lifecycle/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}/Reservations/${a.reservationSid}/WrapUp`;
  async function http(path: string, params?: Record<string, string>) {
    const response = await fetch(`${stack.url}${path}`, {
      headers: { ...basicAuth(), ...(params && { 'Content-Type': 'application/x-www-form-urlencoded' }) },
      ...(params && { method: 'POST', body: new URLSearchParams(params) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('moves the worker after each outcome: busy on accept, wrapping, available on completion', async () => {
    const a = await voice();
    await reservationOf(a).update({ reservationStatus: 'accepted' });
    await waitFor(async () => expect(await workerActivity(a)).toBe(BUSY));
    // Its `available`, as the policy's availableActivities say of its activity.
    expect((await workspace(a).workers(a.workerSid).fetch()).available).toBe(false);
    await reservationOf(a).update({ reservationStatus: 'wrapping' });
    await waitFor(async () => expect(await workerActivity(a)).toBe(WRAPPING));
    await reservationOf(a).update({ reservationStatus: 'completed' });
    await waitFor(async () => expect(await workerActivity(a)).toBe(AVAILABLE));
    expect((await workspace(a).workers(a.workerSid).fetch()).available).toBe(true);
    // The move's event is stored just after the move itself.
    await stack.runtime.lifecycleSink!.idle();
    const moves = await workspace(a).events.list({ workerSid: a.workerSid, eventType: 'worker.activity.update', limit: 20 });
    expect(moves).toHaveLength(3);
  });

  it('completes a wrap-up at its deadline: reads show it completed from then on, and one timer write makes one completion', async () => {
    const a = await voice();
    await reservationOf(a).update({ reservationStatus: 'accepted' });
    await reservationOf(a).update({ reservationStatus: 'wrapping' });
    const { body } = await http(wrapUpPath(a));
    expect(body).toMatchObject({ reservation_status: 'wrapping', wrap_up_seconds: 1, lifecycle_rule: 'voice' });
    const deadline = body['wrap_up_deadline_ms'] as number;
    expect(effectiveStatus({ ...(await stack.runtime.stores.tasks.getTask({ ...a }))! }, await stored(a), deadline).status).toBe('completed');
    await waitFor(async () => expect((await stored(a)).status).toBe('completed'));
    expect((await reservationOf(a).fetch()).reservationStatus).toBe('completed');
    expect((await workspace(a).tasks(a.taskSid).fetch()).reason).toBe(WRAP_UP_ELAPSED);
    // A timer delivered again finds nothing to do.
    const timer = { accountSid: a.accountSid, workspaceSid: a.workspaceSid, taskSid: a.taskSid, reservationSid: a.reservationSid, kind: 'wrap-up' as const };
    expect(await stack.runtime.lifecycle.timer(timer)).toBe('nothing-to-do');
    await waitFor(async () => expect(await workerActivity(a)).toBe(AVAILABLE));
    await stack.runtime.lifecycleSink!.idle();
    expect(await count(a, 'reservation.completed')).toBe(1);
    expect(await count(a, 'task.completed')).toBe(1);
    expect((await stored(a)).updatedAt).toBe(deadline);
  });

  it("the agent's completion racing the timer, a double click and a timer twice: exactly one completion", async () => {
    const a = await voice();
    await reservationOf(a).update({ reservationStatus: 'accepted' });
    await reservationOf(a).update({ reservationStatus: 'wrapping' });
    const deadline = (await stored(a)).wrapUpDeadline!;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now() - 5)));
    const timer = { accountSid: a.accountSid, workspaceSid: a.workspaceSid, taskSid: a.taskSid, reservationSid: a.reservationSid, kind: 'wrap-up' as const };
    const results = await Promise.allSettled([
      reservationOf(a).update({ reservationStatus: 'completed' }),
      reservationOf(a).update({ reservationStatus: 'completed' }),
      workspace(a).tasks(a.taskSid).update({ assignmentStatus: 'completed', reason: 'done' }),
      stack.runtime.lifecycle.timer(timer),
      stack.runtime.lifecycle.timer(timer),
    ]);
    for (const r of results.slice(0, 3)) if (r.status === 'rejected') expect((r.reason as { status: number }).status).toBe(400);
    await waitFor(async () => expect((await stored(a)).status).toBe('completed'));
    expect((await stored(a)).version).toBe(4);
    await waitFor(async () => expect(await count(a, 'task.completed')).toBe(1));
    expect(await count(a, 'reservation.completed')).toBe(1);
  });

  it('extends a wrap-up through its WrapUp resource: still wrapping after the first deadline, completed after the new one', async () => {
    const a = await assign(stack, { TaskAttributes: JSON.stringify({ type: 'long-voice' }) });
    await reservationOf(a).update({ reservationStatus: 'accepted' });
    await reservationOf(a).update({ reservationStatus: 'wrapping' });
    const before = (await http(wrapUpPath(a))).body['wrap_up_deadline_ms'] as number;
    const extended = await http(wrapUpPath(a), { ExtendSeconds: '2' });
    expect(extended.status).toBe(200);
    expect(extended.body['wrap_up_deadline_ms']).toBe(before + 2000);
    await new Promise((resolve) => setTimeout(resolve, before - Date.now() + 200));
    expect((await reservationOf(a).fetch()).reservationStatus).toBe('wrapping');
    await waitFor(async () => expect((await stored(a)).status).toBe('completed'));
    // Its events are stored just after the completion itself.
    await waitFor(async () => expect(await count(a, 'reservation.completed')).toBe(1));
    expect((await http(wrapUpPath(a), { ExtendSeconds: 'soon' })).status).toBe(400);
    expect((await http(wrapUpPath(a), { ExtendSeconds: '5' })).status).toBe(400);
  });

  it('a worker holding two accepted reservations stays busy until the last one is completed', async () => {
    const first = await voice();
    const second = await voice({ WorkspaceSid: first.workspaceSid, WorkerSid: first.workerSid });
    await reservationOf(first).update({ reservationStatus: 'accepted' });
    await reservationOf(second).update({ reservationStatus: 'accepted' });
    await waitFor(async () => expect(await workerActivity(first)).toBe(BUSY));
    await reservationOf(first).update({ reservationStatus: 'completed' });
    await stack.runtime.lifecycleSink!.idle();
    expect(await workerActivity(first)).toBe(BUSY);
    await reservationOf(second).update({ reservationStatus: 'completed' });
    await waitFor(async () => expect(await workerActivity(first)).toBe(AVAILABLE));
  });

  it("a rejection that named an activity is never overridden by the rule's; one that did not gets the rule's", async () => {
    const named = await voice();
    const own = sid('WA');
    await reservationOf(named).update({ reservationStatus: 'rejected', workerActivitySid: own });
    await stack.runtime.lifecycleSink!.idle();
    expect(await workerActivity(named)).toBe(own);
    const plain = await voice();
    await reservationOf(plain).update({ reservationStatus: 'rejected' });
    await waitFor(async () => expect(await workerActivity(plain)).toBe(AWAY));
  });

  it("the worker's own later choice wins over a rule's move", async () => {
    const a = await voice();
    await reservationOf(a).update({ reservationStatus: 'accepted' });
    await waitFor(async () => expect(await workerActivity(a)).toBe(BUSY));
    const lunch = sid('WA');
    await workspace(a).workers(a.workerSid).update({ activitySid: lunch });
    await reservationOf(a).update({ reservationStatus: 'completed' });
    await stack.runtime.lifecycleSink!.idle();
    expect(await workerActivity(a)).toBe(lunch);
  });

  it('flags a reservation held too long, lists it for the workspace, and a supervisor dismisses it', async () => {
    const a = await assign(stack, { TaskAttributes: JSON.stringify({ type: 'chat' }) });
    await reservationOf(a).update({ reservationStatus: 'accepted' });
    const list = `/lifecycle/v1/Workspaces/${a.workspaceSid}/Attention`;
    await waitFor(async () => {
      const { body } = await http(list);
      expect(body['reservations']).toEqual([expect.objectContaining({ reservation_sid: a.reservationSid, lifecycle_rule: 'chat held too long' })]);
    });
    expect((await http(`${list}/${a.reservationSid}`, { Dismissed: 'maybe' })).status).toBe(400);
    expect((await http(`${list}/${a.reservationSid}`, { Dismissed: 'true' })).status).toBe(200);
    expect((await http(list)).body['reservations']).toEqual([]);
    // Again: still 200 (it is dismissed). A reservation never flagged: 404, as for any resource not there.
    expect((await http(`${list}/${a.reservationSid}`, { Dismissed: 'true' })).status).toBe(200);
    const never = await http(`${list}/${sid('WR')}`, { Dismissed: 'true' });
    expect(never).toMatchObject({ status: 404, body: { code: 20404 } });
    expect((await reservationOf(a).fetch()).reservationStatus).toBe('accepted');
  });

  it('"onAttention": "complete" completes a reservation held too long, once', async () => {
    const a = await assign(stack, { TaskAttributes: JSON.stringify({ type: 'email' }) });
    await reservationOf(a).update({ reservationStatus: 'accepted' });
    await waitFor(async () => expect((await stored(a)).status).toBe('completed'));
    await waitFor(async () => expect(await count(a, 'task.completed')).toBe(1));
    expect(await count(a, 'reservation.completed')).toBe(1);
  });
});
