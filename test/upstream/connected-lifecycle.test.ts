/**
 * The lifecycle in connected mode: a second local stack plays TaskRouter behind a counting proxy,
 * the gateway has lifecycle rules. A Task update that completes or wraps up, and a wrap-up the
 * gateway's timer ends, reach upstream exactly once (under 16 concurrent attempts, after a dropped
 * connection); Twilio's refusals pass through unchanged; the updates this gateway does not forward
 * (a cancellation, attributes, a Worker update) are refused before anything is recorded or sent.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import twilio from 'twilio';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LocalStack } from '#lib/local/server.ts';
import { AUTH_TOKEN, basicAuth, callback, startStack, type CallbackFixture } from '../support/fixtures.ts';
import { freePort, upstreamProxy, type UpstreamProxy } from '../support/upstream-proxy.ts';

let upstream: LocalStack;
let gateway: LocalStack;
let proxy: UpstreamProxy;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'connected-lifecycle-'));
  const policy = join(dir, 'policy.json');
  writeFileSync(policy, JSON.stringify({ rules: [], lifecycle: [{ name: 'voice', match: { task: { type: 'voice' } }, wrapUpSeconds: 1 }] }));
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

/** TaskRouter reserves a worker for a voice task: the reservation exists upstream and on the gateway. */
async function reserve(): Promise<CallbackFixture> {
  const c = callback({ TaskAttributes: JSON.stringify({ type: 'voice' }) });
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
/** Accepted through the gateway (forwarded), and the proxy's count reset. */
async function accepted(): Promise<CallbackFixture> {
  const c = await reserve();
  expect((await post(gateway, reservationPath(c), { ReservationStatus: 'accepted' })).status).toBe(200);
  proxy.requests.length = 0;
  return c;
}

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

  it('refuses what it does not forward (a cancellation, attributes, a Worker update): 501, nothing sent, nothing recorded', async () => {
    const c = await reserve();
    const before = await get(gateway, taskPath(c));
    for (const [path, params] of [
      [taskPath(c), { AssignmentStatus: 'canceled', Reason: 'gone' }],
      [taskPath(c), { Attributes: '{"type":"chat"}' }],
      [`/v1/Workspaces/${c.workspaceSid}/Workers/${c.workerSid}`, { ActivitySid: `WA${'e'.repeat(32)}` }],
    ] as const) {
      const answer = await post(gateway, path, params);
      expect(answer.status, path).toBe(501);
      expect(answer.body).toMatchObject({ code: 20501, message: expect.stringMatching(/not forwarded to TaskRouter/) });
    }
    expect(proxy.posts()).toEqual([]);
    expect((await get(gateway, taskPath(c)))['assignment_status']).toBe(before['assignment_status']);
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
