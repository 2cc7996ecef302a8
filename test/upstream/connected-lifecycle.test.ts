/**
 * The lifecycle in connected mode: a second local stack plays TaskRouter behind a counting proxy,
 * the gateway has lifecycle rules. A Task update that completes or wraps up, and a wrap-up the
 * gateway's timer ends, reach upstream exactly once (under 16 concurrent attempts, after a dropped
 * connection); Twilio's refusals pass through unchanged. The same for a Task update's
 * cancellation, attributes and priority, a Worker update, and a lifecycle rule's move of a worker.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import twilio from 'twilio';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LocalStack } from '#lib/local/server.ts';
import { AUTH_TOKEN, basicAuth, callback, startStack, type CallbackFixture } from '../support/fixtures.ts';
import { freePort, upstreamProxy, type UpstreamProxy } from '../support/upstream-proxy.ts';

const AVAILABLE = `WA${'a'.repeat(32)}`;
const BUSY = `WA${'b'.repeat(32)}`;
const AWAY = `WA${'c'.repeat(32)}`;

let upstream: LocalStack;
let gateway: LocalStack;
let proxy: UpstreamProxy;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'connected-lifecycle-'));
  const policy = join(dir, 'policy.json');
  writeFileSync(
    policy,
    JSON.stringify({
      availableActivities: [AVAILABLE],
      rules: [],
      lifecycle: [
        { name: 'voice', match: { task: { type: 'voice' } }, wrapUpSeconds: 1 },
        { name: 'chat', match: { task: { type: 'chat' } }, activities: { accepted: BUSY, completed: AVAILABLE } },
      ],
    }),
  );
  const gatewayPort = await freePort();
  upstream = await startStack({ EVENT_CALLBACK_URL: `http://127.0.0.1:${gatewayPort}/event-callback` });
  proxy = await upstreamProxy(upstream.url);
  gateway = await startStack({ PORT: String(gatewayPort), TASKROUTER_UPSTREAM_URL: proxy.url, ASSIGNMENT_POLICY: policy });
}, 60_000);
afterAll(async () => {
  await gateway.close();
  await proxy.close();
  await upstream.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  proxy.plan(() => ({ kind: 'pass' }));
  proxy.requests.length = 0;
});

/** TaskRouter reserves a worker for a task (voice unless said): the reservation exists upstream and on the gateway. */
async function reserve(type = 'voice'): Promise<CallbackFixture> {
  const c = callback({ TaskAttributes: JSON.stringify({ type }) });
  for (const stack of [upstream, gateway]) {
    const url = `${stack.url}/assignment-callback?ReservationTimeout=120`;
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, c.params) },
      body: new URLSearchParams(c.params),
    });
    expect(response.status).toBe(200);
  }
  return c;
}

const taskPath = (c: CallbackFixture) => `/v1/Workspaces/${c.workspaceSid}/Tasks/${c.taskSid}`;
const reservationPath = (c: CallbackFixture) => `${taskPath(c)}/Reservations/${c.reservationSid}`;
async function post(stack: LocalStack, path: string, params: Record<string, string>) {
  const response = await fetch(`${stack.url}${path}`, {
    method: 'POST',
    headers: { ...basicAuth(), 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
async function get(stack: LocalStack, path: string) {
  return (await (await fetch(`${stack.url}${path}`, { headers: basicAuth() })).json()) as Record<string, unknown>;
}
/** Accepted through the gateway (forwarded), what follows it done, and the proxy's count reset. */
async function accepted(type = 'voice'): Promise<CallbackFixture> {
  const c = await reserve(type);
  expect((await post(gateway, reservationPath(c), { ReservationStatus: 'accepted' })).status).toBe(200);
  await gateway.runtime.lifecycleSink!.idle();
  proxy.requests.length = 0;
  return c;
}
const workerPath = (c: CallbackFixture) => `/v1/Workspaces/${c.workspaceSid}/Workers/${c.workerSid}`;
/** The gateway's stored events of a type for the fixture's reservation: their SID and type, as a trigger names them. */
async function twilioEvents(c: CallbackFixture, type: string): Promise<{ sid: string; type: 'reservation.accepted' }[]> {
  const page = await get(gateway, `/v1/Workspaces/${c.workspaceSid}/Events?ReservationSid=${c.reservationSid}&EventType=${type}`);
  return (page['events'] as { sid: string; event_type: string }[]).map((e) => ({ sid: e.sid, type: e.event_type as 'reservation.accepted' }));
}
/** The POSTs that reached upstream for this fixture's workspace (another test's timer may POST meanwhile). */
const postsTo = (c: CallbackFixture) => proxy.posts().filter((p) => p.path.includes(c.workspaceSid));
/**
 * Distinct concurrent updates: each answered 200 reached upstream exactly once, and the others
 * (waiting over 3 s for the ones before them, on a loaded machine) were told to retry and never
 * reached it. Most go through.
 */
function expectEachOnce(results: { status: number; body: Record<string, unknown> }[], posts: { body: string }[]) {
  const made = results.filter((r) => r.status === 200);
  expect(made.length).toBeGreaterThanOrEqual(8);
  expect(posts).toHaveLength(made.length);
  expect(new Set(posts.map((p) => p.body)).size).toBe(made.length);
  for (const other of results.filter((r) => r.status !== 200)) {
    expect(other.status).toBe(409);
    expect(other.body['message']).toMatch(/retry the request/);
  }
}
/** A response's JSON without its `age` (which a read of the same record tells differently a moment later). */
const settled = ({ age: _age, ...rest }: Record<string, unknown>) => rest;

describe('Task updates through the gateway', () => {
  it('of 16 concurrent completions of one task, exactly one reaches upstream; both read it completed', async () => {
    const c = await accepted();
    const results = await Promise.all(Array.from({ length: 16 }, () => post(gateway, taskPath(c), { AssignmentStatus: 'completed', Reason: 'done' })));
    expect(proxy.posts().map((p) => p.path)).toEqual([taskPath(c)]);
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const loser of results.filter((r) => r.status !== 200)) {
      expect(loser.status).toBe(400);
      expect(loser.body['message']).toMatch(/not currently assigned or wrapping|is being forwarded/);
    }
    expect(await get(upstream, taskPath(c))).toMatchObject({ assignment_status: 'completed', reason: 'done' });
    expect(await get(gateway, taskPath(c))).toMatchObject({ assignment_status: 'completed' });
  });

  it('a completion with attributes and priority reaches upstream once, and the gateway records all of it', async () => {
    const c = await accepted();
    const answer = await post(gateway, taskPath(c), { AssignmentStatus: 'completed', Reason: 'sold', Attributes: '{"sale":true}', Priority: '6' });
    expect(answer.status).toBe(200);
    expect(proxy.posts().map((p) => p.path)).toEqual([taskPath(c)]);
    const expected = { assignment_status: 'completed', reason: 'sold', attributes: '{"sale":true}', priority: 6 };
    expect(await get(upstream, taskPath(c))).toMatchObject(expected);
    expect(await get(gateway, taskPath(c))).toMatchObject(expected);
  });

  it('a connection dropped after upstream completed it: settled by reading, never sent twice', async () => {
    const c = await accepted();
    proxy.plan((method) => (method === 'POST' ? { kind: 'drop-after' } : { kind: 'pass' }));
    const answer = await post(gateway, taskPath(c), { AssignmentStatus: 'wrapping' });
    proxy.plan(() => ({ kind: 'pass' }));
    expect(proxy.posts()).toHaveLength(1);
    expect(answer.status).toBe(200);
    expect((await get(gateway, reservationPath(c)))['reservation_status']).toBe('wrapping');
    expect((await get(upstream, reservationPath(c)))['reservation_status']).toBe('wrapping');
  });

  it("passes Twilio's refusal through unchanged and records nothing", async () => {
    const c = await accepted();
    const before = await get(gateway, taskPath(c));
    const refusal = { status: 400, code: 20001, message: 'Task is being worked on elsewhere', more_info: 'https://www.twilio.com/docs/errors/20001' };
    proxy.plan((method) => (method === 'POST' ? { kind: 'answer', status: 400, body: refusal } : { kind: 'pass' }));
    const answer = await post(gateway, taskPath(c), { AssignmentStatus: 'completed', Reason: 'done' });
    expect(answer).toEqual({ status: 400, body: refusal });
    proxy.plan(() => ({ kind: 'pass' }));
    const { age: _a, ...after } = await get(gateway, taskPath(c));
    const { age: _b, ...then } = before;
    expect(after).toEqual(then);
  });
});

describe('Task cancellations, attributes and priority through the gateway', () => {
  it('of 16 concurrent cancellations of one task, exactly one reaches upstream; both read it canceled', async () => {
    const c = await reserve();
    const results = await Promise.all(Array.from({ length: 16 }, () => post(gateway, taskPath(c), { AssignmentStatus: 'canceled', Reason: 'caller hung up' })));
    expect(postsTo(c).map((p) => [p.path, p.body])).toEqual([[taskPath(c), 'AssignmentStatus=canceled&Reason=caller+hung+up']]);
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const loser of results.filter((r) => r.status !== 200)) {
      expect(loser.status).toBe(400);
      expect(loser.body['message']).toMatch(/cannot be canceled|not pending or reserved/i);
    }
    expect(await get(upstream, taskPath(c))).toMatchObject({ assignment_status: 'canceled', reason: 'caller hung up' });
    expect(await get(gateway, taskPath(c))).toMatchObject({ assignment_status: 'canceled', reason: 'caller hung up' });
    expect((await get(gateway, reservationPath(c)))['reservation_status']).toBe('canceled');
  });

  it('16 concurrent attribute changes each reach upstream once, one after another, and the gateway ends where upstream does', async () => {
    const c = await reserve();
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => post(gateway, taskPath(c), { Attributes: JSON.stringify({ type: 'voice', step: i }), Priority: String(i) })),
    );
    const posts = postsTo(c);
    expect(posts.map((p) => p.path)).toEqual(Array(posts.length).fill(taskPath(c)));
    expectEachOnce(results, posts);
    const there = await get(upstream, taskPath(c));
    const here = await get(gateway, taskPath(c));
    expect(JSON.parse(here['attributes'] as string)).toEqual(JSON.parse(there['attributes'] as string));
    expect(here['priority']).toBe(there['priority']);
    // The last one upstream made is the last one the gateway forwarded.
    expect(new URLSearchParams(posts.at(-1)!.body).get('Priority')).toBe(String(there['priority']));
  });

  it('a cancellation with attributes and priority reaches upstream once, and the gateway records all three', async () => {
    const c = await reserve();
    const answer = await post(gateway, taskPath(c), { AssignmentStatus: 'canceled', Reason: 'voicemail', Attributes: '{"voicemail":true}', Priority: '4' });
    expect(answer.status).toBe(200);
    expect(postsTo(c)).toHaveLength(1);
    const expected = { assignment_status: 'canceled', reason: 'voicemail', attributes: '{"voicemail":true}', priority: 4 };
    expect(await get(upstream, taskPath(c))).toMatchObject(expected);
    expect(await get(gateway, taskPath(c))).toMatchObject(expected);
  });

  it('a connection dropped after upstream canceled it: settled by reading, never sent twice', async () => {
    const c = await reserve();
    proxy.plan((method) => (method === 'POST' ? { kind: 'drop-after' } : { kind: 'pass' }));
    const answer = await post(gateway, taskPath(c), { AssignmentStatus: 'canceled', Reason: 'gone' });
    proxy.plan(() => ({ kind: 'pass' }));
    expect(postsTo(c)).toHaveLength(1);
    expect(answer.status).toBe(200);
    expect((await get(gateway, taskPath(c)))['assignment_status']).toBe('canceled');
    expect((await get(upstream, taskPath(c)))['assignment_status']).toBe('canceled');
  });

  it('an answer lost where upstream did not make the change: 502, nothing recorded, and a retry goes through once', async () => {
    const c = await reserve();
    const before = settled(await get(gateway, taskPath(c)));
    proxy.plan((method) => (method === 'POST' ? { kind: 'answer', status: 503, body: { message: 'Service Unavailable' } } : { kind: 'pass' }));
    const lost = await post(gateway, taskPath(c), { Attributes: '{"type":"voice","vip":true}' });
    proxy.plan(() => ({ kind: 'pass' }));
    expect(lost.status).toBe(502);
    expect(lost.body['message']).toMatch(/did not make it: nothing was recorded; retry/);
    expect(settled(await get(gateway, taskPath(c)))).toEqual(before);
    expect((await post(gateway, taskPath(c), { Attributes: '{"type":"voice","vip":true}' })).status).toBe(200);
    // Two POSTs sent, the first answered on the way (it never reached upstream), the retry made.
    expect(proxy.requests.filter((r) => r.method === 'POST' && r.path.includes(c.workspaceSid))).toHaveLength(2);
    expect(postsTo(c)).toHaveLength(1);
    expect(JSON.parse((await get(upstream, taskPath(c)))['attributes'] as string)).toEqual({ type: 'voice', vip: true });
    expect(JSON.parse((await get(gateway, taskPath(c)))['attributes'] as string)).toEqual({ type: 'voice', vip: true });
  });

  it("passes Twilio's refusal of a cancellation through unchanged and records nothing", async () => {
    const c = await reserve();
    const before = settled(await get(gateway, taskPath(c)));
    const refusal = { status: 400, code: 20001, message: 'Task cannot be canceled now', more_info: 'https://www.twilio.com/docs/errors/20001' };
    proxy.plan((method) => (method === 'POST' ? { kind: 'answer', status: 400, body: refusal } : { kind: 'pass' }));
    const answer = await post(gateway, taskPath(c), { AssignmentStatus: 'canceled', Reason: 'gone' });
    proxy.plan(() => ({ kind: 'pass' }));
    expect(answer).toEqual({ status: 400, body: refusal });
    expect(settled(await get(gateway, taskPath(c)))).toEqual(before);
    expect((await get(upstream, taskPath(c)))['assignment_status']).toBe('reserved');
  });
});

describe('Worker updates through the gateway', () => {
  it('of 16 concurrent moves of one worker to the same activity, one reaches upstream; both read the activity', async () => {
    const c = await reserve();
    const results = await Promise.all(Array.from({ length: 16 }, () => post(gateway, workerPath(c), { ActivitySid: AWAY })));
    expect(results.map((r) => r.status)).toEqual(Array(16).fill(200));
    expect(postsTo(c).map((p) => [p.path, p.body])).toEqual([[workerPath(c), `ActivitySid=${AWAY}`]]);
    expect((await get(upstream, workerPath(c)))['activity_sid']).toBe(AWAY);
    expect((await get(gateway, workerPath(c)))['activity_sid']).toBe(AWAY);
  });

  it('16 concurrent attribute changes each reach upstream once; the gateway ends where upstream does', async () => {
    const c = await reserve();
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => post(gateway, workerPath(c), { Attributes: JSON.stringify({ skill: i }) })));
    expect(postsTo(c).map((p) => p.path)).toEqual(Array(postsTo(c).length).fill(workerPath(c)));
    expectEachOnce(results, postsTo(c));
    const there = JSON.parse((await get(upstream, workerPath(c)))['attributes'] as string);
    expect(JSON.parse((await get(gateway, workerPath(c)))['attributes'] as string)).toEqual(there);
  });

  it('a connection dropped after upstream moved the worker: settled by reading, never sent twice', async () => {
    const c = await reserve();
    proxy.plan((method) => (method === 'POST' ? { kind: 'drop-after' } : { kind: 'pass' }));
    const answer = await post(gateway, workerPath(c), { ActivitySid: BUSY, FriendlyName: 'Ada' });
    proxy.plan(() => ({ kind: 'pass' }));
    expect(answer.status).toBe(200);
    expect(postsTo(c)).toHaveLength(1);
    expect(await get(gateway, workerPath(c))).toMatchObject({ activity_sid: BUSY, friendly_name: 'Ada' });
    expect(await get(upstream, workerPath(c))).toMatchObject({ activity_sid: BUSY, friendly_name: 'Ada' });
  });

  it('a move made at TaskRouter is mirrored from its event, so a Worker update back to the old activity reaches upstream', async () => {
    const c = await reserve();
    expect((await post(gateway, workerPath(c), { ActivitySid: AVAILABLE })).status).toBe(200);
    // Another client (Flex, TaskRouter's own timeout activity) moves the worker at TaskRouter.
    expect((await post(upstream, workerPath(c), { ActivitySid: AWAY })).status).toBe(200);
    await vi.waitFor(async () => expect((await get(gateway, workerPath(c)))['activity_sid']).toBe(AWAY), { timeout: 5000, interval: 20 });
    // Its event follows the write, in the same apply: the gateway's own, TaskRouter's time.
    const moves = async () => {
      const page = await get(gateway, `/v1/Workspaces/${c.workspaceSid}/Events?WorkerSid=${c.workerSid}&EventType=worker.activity.update`);
      return (page['events'] as { event_data: Record<string, string> }[]).map((e) => e.event_data['worker_activity_sid']);
    };
    await vi.waitFor(async () => expect(await moves()).toEqual([AVAILABLE, AWAY]), { timeout: 5000, interval: 20 });
    proxy.requests.length = 0;
    expect((await post(gateway, workerPath(c), { ActivitySid: AVAILABLE })).status).toBe(200);
    expect(postsTo(c).map((p) => [p.path, p.body])).toEqual([[workerPath(c), `ActivitySid=${AVAILABLE}`]]);
    expect((await get(upstream, workerPath(c)))['activity_sid']).toBe(AVAILABLE);
    expect((await get(gateway, workerPath(c)))['activity_sid']).toBe(AVAILABLE);
  });

  it("passes Twilio's refusal through unchanged and records nothing", async () => {
    const c = await reserve();
    const before = settled(await get(gateway, workerPath(c)));
    const refusal = { status: 404, code: 20404, message: 'The requested resource was not found', more_info: 'https://www.twilio.com/docs/errors/20404' };
    proxy.plan((method) => (method === 'POST' ? { kind: 'answer', status: 404, body: refusal } : { kind: 'pass' }));
    const answer = await post(gateway, workerPath(c), { ActivitySid: AWAY });
    proxy.plan(() => ({ kind: 'pass' }));
    expect(answer).toEqual({ status: 404, body: refusal });
    expect(settled(await get(gateway, workerPath(c)))).toEqual(before);
  });
});

describe("lifecycle rules' moves of workers through the gateway", () => {
  it('an accept and a completion each move the worker upstream with exactly one Worker update', async () => {
    const c = await reserve('chat');
    expect((await post(gateway, reservationPath(c), { ReservationStatus: 'accepted' })).status).toBe(200);
    await gateway.runtime.lifecycleSink!.idle();
    const moves = () => postsTo(c).filter((p) => p.path === workerPath(c));
    expect(moves().map((p) => p.body)).toEqual([`ActivitySid=${BUSY}`]);
    expect((await get(upstream, workerPath(c)))['activity_sid']).toBe(BUSY);
    expect((await post(gateway, taskPath(c), { AssignmentStatus: 'completed', Reason: 'resolved' })).status).toBe(200);
    await gateway.runtime.lifecycleSink!.idle();
    expect(moves().map((p) => p.body)).toEqual([`ActivitySid=${BUSY}`, `ActivitySid=${AVAILABLE}`]);
    expect((await get(upstream, workerPath(c)))['activity_sid']).toBe(AVAILABLE);
    expect((await get(gateway, workerPath(c)))['activity_sid']).toBe(AVAILABLE);
  });
});

describe("a rule's move of a worker, delivered again and again", () => {
  it('its Worker update reaches upstream once: the connection dropped after upstream moved the worker, then the event handled 16 times at once', async () => {
    const c = await reserve('chat');
    // The move's POST reaches upstream, its answer is lost: the gateway settles it by reading the worker.
    proxy.plan((method, path) => (method === 'POST' && path === workerPath(c) ? { kind: 'drop-after' } : { kind: 'pass' }));
    expect((await post(gateway, reservationPath(c), { ReservationStatus: 'accepted' })).status).toBe(200);
    await gateway.runtime.lifecycleSink!.idle();
    proxy.plan(() => ({ kind: 'pass' }));
    const moves = () => postsTo(c).filter((p) => p.path === workerPath(c));
    expect(moves().map((p) => p.body)).toEqual([`ActivitySid=${BUSY}`]);
    expect((await get(gateway, workerPath(c)))['activity_sid']).toBe(BUSY);
    // The accepted event again, 16 times at once (a bus delivering it again, a retried handler).
    const events = await twilioEvents(c, 'reservation.accepted');
    expect(events).toHaveLength(1);
    const trigger = { ...events[0]!, accountSid: c.accountSid, workspaceSid: c.workspaceSid, taskSid: c.taskSid, reservationSid: c.reservationSid };
    const outcomes = await Promise.all(Array.from({ length: 16 }, () => gateway.runtime.lifecycle.handle(trigger)));
    expect(new Set(outcomes)).toEqual(new Set(['repeated']));
    expect(moves()).toHaveLength(1);
  });
});

describe("the gateway's wrap-up timer", () => {
  it('completes the reservation upstream at the deadline, with exactly one POST', async () => {
    const c = await accepted();
    expect((await post(gateway, reservationPath(c), { ReservationStatus: 'wrapping' })).status).toBe(200);
    await vi.waitFor(async () => expect((await get(upstream, reservationPath(c)))['reservation_status']).toBe('completed'), { timeout: 5000, interval: 50 });
    await gateway.runtime.lifecycleSink!.idle();
    const completions = proxy.posts().filter((p) => p.path === reservationPath(c) && p.body.includes('completed'));
    expect(completions.map((p) => [p.path, p.body])).toEqual([[reservationPath(c), 'ReservationStatus=completed']]);
    expect((await get(gateway, reservationPath(c)))['reservation_status']).toBe('completed');
  });
});
