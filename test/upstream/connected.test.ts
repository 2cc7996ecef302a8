/**
 * Connected mode against a real upstream shape: the standalone service is itself a
 * Twilio-compatible TaskRouter reservation API that sends TaskRouter-format event callbacks, so one
 * stack plays TaskRouter (the upstream) and one is the gateway in front of it, with a proxy between
 * them that counts what reaches upstream and injects Twilio's failures.
 */
import twilio from 'twilio';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalStack } from '#lib/local/server.ts';
import { AUTH_TOKEN, basicAuth, callback, startStack, twilioClient, type CallbackFixture } from '../support/fixtures.ts';
import { freePort, upstreamProxy, type UpstreamProxy } from '../support/upstream-proxy.ts';

let upstream: LocalStack;
let gateway: LocalStack;
let proxy: UpstreamProxy;
/** The gateway's clock: real time, which the tests may move ahead (to make marks old for the sweep). */
let skew = 0;
const clock = { now: () => Date.now() + skew };

beforeAll(async () => {
  const gatewayPort = await freePort();
  // Upstream sends its event callbacks to the gateway, as a Workspace's EventCallbackUrl would.
  upstream = await startStack({ EVENT_CALLBACK_URL: `http://127.0.0.1:${gatewayPort}/event-callback` });
  proxy = await upstreamProxy(upstream.url);
  gateway = await startStack({ PORT: String(gatewayPort), TASKROUTER_UPSTREAM_URL: proxy.url }, { clock });
}, 60_000);
afterAll(async () => {
  await gateway.close();
  await proxy.close();
  await upstream.close();
});
beforeEach(() => {
  proxy.plan(() => ({ kind: 'pass' }));
  proxy.requests.length = 0;
});

/** TaskRouter reserves a worker: the reservation exists upstream, and the gateway answers the assignment callback. */
async function reserve(overrides: Partial<Record<string, string>> = {}, timeouts: { upstream?: number; gateway?: number } = {}): Promise<CallbackFixture> {
  const c = callback(overrides);
  for (const [stack, timeout] of [
    [upstream, timeouts.upstream ?? 120],
    [gateway, timeouts.gateway ?? 120],
  ] as const) {
    const url = `${stack.url}/assignment-callback?ReservationTimeout=${timeout}`;
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, c.params) },
      body: new URLSearchParams(c.params),
    });
    expect(response.status).toBe(200);
  }
  return c;
}

const path = (c: CallbackFixture, reservationSid = c.reservationSid) => `/v1/Workspaces/${c.workspaceSid}/Tasks/${c.taskSid}/Reservations/${reservationSid}`;
async function read(stack: LocalStack, c: CallbackFixture, reservationSid = c.reservationSid) {
  const response = await fetch(`${stack.url}${path(c, reservationSid)}`, { headers: basicAuth() });
  return { status: response.status, etag: response.headers.get('etag'), body: (await response.json()) as Record<string, unknown> };
}
const statusOn = async (stack: LocalStack, c: CallbackFixture, reservationSid = c.reservationSid) =>
  (await read(stack, c, reservationSid)).body['reservation_status'];
async function update(stack: LocalStack, c: CallbackFixture, params: Record<string, string>, reservationSid = c.reservationSid) {
  const response = await fetch(`${stack.url}${path(c, reservationSid)}`, {
    method: 'POST',
    headers: { ...basicAuth(), 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}
async function eventually(check: () => Promise<boolean>, what: string, ms = 2000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('updates through the gateway', () => {
  it('an accept through the gateway (the twilio SDK, unchanged) is accepted upstream, once, and reads accepted on both', async () => {
    const c = await reserve();
    const accepted = await twilioClient(gateway)
      .taskrouter.v1.workspaces(c.workspaceSid)
      .tasks(c.taskSid)
      .reservations(c.reservationSid)
      .update({ reservationStatus: 'accepted' });
    expect(accepted.reservationStatus).toBe('accepted');
    expect(proxy.posts()).toHaveLength(1);
    expect(proxy.posts()[0]!.path).toBe(path(c));
    expect(await statusOn(upstream, c)).toBe('accepted');
    expect(await statusOn(gateway, c)).toBe('accepted');
  });

  it('a worker-scoped update is forwarded to the same, worker-scoped path', async () => {
    const c = await reserve();
    const workerPath = `/v1/Workspaces/${c.workspaceSid}/Workers/${c.workerSid}/Reservations/${c.reservationSid}`;
    const response = await fetch(`${gateway.url}${workerPath}`, {
      method: 'POST',
      headers: { ...basicAuth(), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'ReservationStatus=rejected',
    });
    expect(response.status).toBe(200);
    expect(proxy.posts().map((p) => [p.path, p.body])).toEqual([[workerPath, 'ReservationStatus=rejected']]);
    expect(await statusOn(upstream, c)).toBe('rejected');
  });

  it('of 16 concurrent accepts across one task’s reservations, exactly one reaches upstream; both agree on the winner and the rescinded rest', async () => {
    const first = await reserve();
    const all = [first];
    for (let i = 0; i < 3; i++) all.push(await reserve({ WorkspaceSid: first.workspaceSid, TaskSid: first.taskSid }));
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => update(gateway, first, { ReservationStatus: 'accepted' }, all[i % 4]!.reservationSid)),
    );
    expect(proxy.posts()).toHaveLength(1);
    const winners = results.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    for (const loser of results.filter((r) => r.status !== 200)) {
      expect(loser.status).toBe(400);
      expect(loser.body['message']).toMatch(/is not currently in a Pending state/);
    }
    const winner = winners[0]!.body['sid'] as string;
    for (const r of all) {
      const expected = r.reservationSid === winner ? 'accepted' : 'rescinded';
      expect(await statusOn(gateway, first, r.reservationSid), r.reservationSid).toBe(expected);
      expect(await statusOn(upstream, first, r.reservationSid), r.reservationSid).toBe(expected);
    }
  });

  it('answers locally, with no upstream call, an update it knows cannot hold: a bad parameter, a reservation that has left pending', async () => {
    const c = await reserve();
    expect((await update(gateway, c, { ReservationStatus: 'accepted', WorkerActivitySid: 'nope' })).status).toBe(400);
    expect((await update(gateway, c, { ReservationStatus: 'accepted' })).status).toBe(200);
    proxy.requests.length = 0;
    const again = await update(gateway, c, { ReservationStatus: 'accepted' });
    expect(again.status).toBe(400);
    expect(proxy.requests).toEqual([]);
  });
});

describe('Twilio’s refusals, passed through', () => {
  it.each([
    [400, 20001, 'Invalid parameter'],
    [404, 20404, 'The requested resource was not found'],
    [412, 20412, 'Precondition Failed'],
  ])('upstream %i/%i: the same status, code, message and more_info, and nothing recorded', async (status, code, message) => {
    const c = await reserve();
    const before = await read(gateway, c);
    proxy.plan((method) =>
      method === 'POST'
        ? { kind: 'answer', status, body: { status, code, message, more_info: `https://www.twilio.com/docs/errors/${code}` } }
        : { kind: 'pass' },
    );
    const answer = await update(gateway, c, { ReservationStatus: 'accepted' });
    expect(answer).toMatchObject({ status, body: { status, code, message, more_info: `https://www.twilio.com/docs/errors/${code}` } });
    proxy.plan(() => ({ kind: 'pass' }));
    expect(await read(gateway, c)).toEqual(before);
    // The mark is cleared: the next update goes through.
    expect((await update(gateway, c, { ReservationStatus: 'accepted' })).status).toBe(200);
  });

  it('upstream 429: a 429 with Retry-After, nothing recorded', async () => {
    const c = await reserve();
    const before = await read(gateway, c);
    proxy.plan((method) =>
      method === 'POST'
        ? {
            kind: 'answer',
            status: 429,
            body: { status: 429, code: 20429, message: 'Too Many Requests', more_info: 'https://www.twilio.com/docs/errors/20429' },
            headers: { 'Retry-After': '3' },
          }
        : { kind: 'pass' },
    );
    const answer = await update(gateway, c, { ReservationStatus: 'accepted' });
    expect(answer).toMatchObject({ status: 429, body: { code: 20429 } });
    expect(answer.headers.get('retry-after')).toBe('3');
    expect(await read(gateway, c)).toEqual(before);
  });

  it('upstream’s not-pending 400 refreshes the record from upstream', async () => {
    const c = await reserve();
    // Accepted upstream behind the gateway's back, and its event lost.
    proxy.plan(() => ({ kind: 'pass' }));
    const events = proxyEventsOff();
    expect((await update(upstream, c, { ReservationStatus: 'rejected' })).status).toBe(200);
    const answer = await update(gateway, c, { ReservationStatus: 'accepted' });
    events.restore();
    expect(answer).toMatchObject({ status: 400, body: { code: 20001, message: expect.stringMatching(/not currently in a Pending state/) } });
    expect(await statusOn(gateway, c)).toBe('rejected');
  });
});

/** Drops the upstream's event callbacks to the gateway for a while (as if lost in transit). */
function proxyEventsOff() {
  const original = upstream.runtime.callbackSender!;
  const deliver = original.deliver.bind(original);
  original.deliver = async () => undefined;
  return { restore: () => (original.deliver = deliver) };
}

describe('unknown outcomes: never claimed, never POSTed twice, settled by reading', () => {
  it('the connection drops after upstream processed the accept: settled by a GET, answered 200, one POST', async () => {
    const c = await reserve();
    proxy.plan((method) => (method === 'POST' ? { kind: 'drop-after' } : { kind: 'pass' }));
    const answer = await update(gateway, c, { ReservationStatus: 'accepted' });
    expect(answer).toMatchObject({ status: 200, body: { reservation_status: 'accepted' } });
    expect(proxy.posts()).toHaveLength(1);
    expect(proxy.requests.filter((r) => r.method === 'GET')).toHaveLength(1);
    expect(await statusOn(upstream, c)).toBe('accepted');
  });

  it('upstream answers 5xx without doing it: settled by a GET (still pending there), 502, nothing recorded', async () => {
    const c = await reserve();
    const before = await read(gateway, c);
    proxy.plan((method) =>
      method === 'POST' ? { kind: 'answer', status: 503, body: { status: 503, code: 20503, message: 'Service Unavailable' } } : { kind: 'pass' },
    );
    const answer = await update(gateway, c, { ReservationStatus: 'accepted' });
    expect(answer).toMatchObject({ status: 502, body: { status: 502 } });
    expect(String(answer.body['message'])).toMatch(/still pending there/);
    expect(await read(gateway, c)).toEqual(before);
    expect(await statusOn(upstream, c)).toBe('pending');
  });

  it('upstream processes it but neither answer nor read gets back: 502, no claim, one POST; the sweep settles it and both agree', async () => {
    const c = await reserve();
    const events = proxyEventsOff();
    proxy.plan((method) => (method === 'POST' ? { kind: 'drop-after' } : { kind: 'answer', status: 500, body: {} }));
    const answer = await update(gateway, c, { ReservationStatus: 'accepted' });
    expect(answer.status).toBe(502);
    expect(await statusOn(gateway, c)).toBe('pending');
    // Meanwhile another update of the task waits for the mark, then (the mark held) answers 409: never a second POST.
    const other = await update(gateway, c, { ReservationStatus: 'accepted' });
    expect(other.status).toBe(409);
    expect(proxy.posts()).toHaveLength(1);
    proxy.plan(() => ({ kind: 'pass' }));
    skew += 60_000;
    const swept = await gateway.runtime.upstream!.reconciler.sweep();
    events.restore();
    expect(swept.settled).toBeGreaterThanOrEqual(1);
    expect(await statusOn(gateway, c)).toBe('accepted');
    expect(await statusOn(upstream, c)).toBe('accepted');
    expect(proxy.posts()).toHaveLength(1);
  });

  it('upstream never answers: after the forward’s time-out (5 s) and a read still pending there, 504, nothing recorded', async () => {
    const c = await reserve();
    proxy.plan((method) => (method === 'POST' ? { kind: 'hang' } : { kind: 'pass' }));
    const answer = await update(gateway, c, { ReservationStatus: 'accepted' });
    expect(answer.status).toBe(504);
    expect(await statusOn(gateway, c)).toBe('pending');
    expect(proxy.posts()).toHaveLength(0);
  }, 15_000);
});

describe('mirroring what happens at TaskRouter', () => {
  it('a reservation accepted or rejected directly upstream reads so on the gateway within 2 s of the event', async () => {
    const accepted = await reserve();
    const rejected = await reserve();
    expect((await update(upstream, accepted, { ReservationStatus: 'accepted' })).status).toBe(200);
    expect((await update(upstream, rejected, { ReservationStatus: 'rejected' })).status).toBe(200);
    await eventually(async () => (await statusOn(gateway, accepted)) === 'accepted' && (await statusOn(gateway, rejected)) === 'rejected', 'both mirrored');
    expect(proxy.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });

  it('a reservation that times out upstream reads timeout on both, before the gateway’s own deadline', async () => {
    const c = await reserve({}, { upstream: 1, gateway: 600 });
    await eventually(async () => (await statusOn(gateway, c)) === 'timeout', 'the upstream timeout mirrored', 4000);
    expect(await statusOn(upstream, c)).toBe('timeout');
  });

  it('learns a reservation it never saw from its events, and the gateway’s own events follow', async () => {
    const c = callback();
    const url = `${upstream.url}/assignment-callback`;
    await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, c.params) },
      body: new URLSearchParams(c.params),
    });
    await eventually(async () => (await read(gateway, c)).status === 200, 'the reservation learnt');
    expect(await statusOn(gateway, c)).toBe('pending');
    await update(upstream, c, { ReservationStatus: 'accepted' });
    await eventually(async () => (await statusOn(gateway, c)) === 'accepted', 'the accept mirrored');
    // The task reads accepted once its write lands; its events are stored (and counted) just after, in the same request.
    const types = async () =>
      (await twilioClient(gateway).taskrouter.v1.workspaces(c.workspaceSid).events.list({ reservationSid: c.reservationSid })).map((e) => e.eventType);
    await eventually(async () => (await types()).length === 2, 'the events of the accept stored');
    expect(await types()).toEqual(['reservation.created', 'reservation.accepted']);
  });

  it('refuses an event callback with a bad signature (403), and acknowledges types it does not mirror (204)', async () => {
    const url = `${gateway.url}/event-callback`;
    const params = { EventType: 'worker.attributes.update', AccountSid: callback().accountSid, Sid: `EV${'1'.repeat(32)}` };
    const bad = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': 'nope' },
      body: new URLSearchParams(params),
    });
    expect(bad.status).toBe(403);
    const ignored = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params) },
      body: new URLSearchParams(params),
    });
    expect(ignored.status).toBe(204);
  });
});

describe('statistics', () => {
  it('the gateway’s statistics for a scenario equal the upstream’s own for the same window', async () => {
    // One clock for both stacks, so that one window means the same on both (a test above moved the gateway's ahead).
    skew = 0;
    const from = new Date(Math.floor(Date.now() / 1000) * 1000 - 1000);
    const first = await reserve({ TaskAge: '4' });
    const ws = { WorkspaceSid: first.workspaceSid };
    const others = [await reserve({ ...ws, TaskSid: first.taskSid }), await reserve(ws), await reserve(ws), await reserve(ws)];
    const timedOut = await reserve(ws, { upstream: 1, gateway: 600 });
    // Through the gateway: an accept (rescinding its task's other reservation) and a rejection;
    // directly upstream, mirrored by its events: an accept and a rejection; and the timeout upstream.
    expect((await update(gateway, first, { ReservationStatus: 'accepted' })).status).toBe(200);
    expect((await update(gateway, others[1]!, { ReservationStatus: 'rejected' })).status).toBe(200);
    expect((await update(upstream, others[2]!, { ReservationStatus: 'accepted' })).status).toBe(200);
    expect((await update(upstream, others[3]!, { ReservationStatus: 'rejected' })).status).toBe(200);
    const settled = async () =>
      (await statusOn(gateway, others[2]!)) === 'accepted' &&
      (await statusOn(gateway, others[3]!)) === 'rejected' &&
      (await statusOn(gateway, timedOut)) === 'timeout';
    await eventually(settled, 'every upstream change mirrored', 4000);
    const window = { startDate: from, endDate: new Date(Date.now() + 1000) };
    const read = () =>
      Promise.all([gateway, upstream].map((stack) => twilioClient(stack).taskrouter.v1.workspaces(first.workspaceSid).cumulativeStatistics().fetch(window)));
    let [mine, theirs] = await read();
    const counts = (s: typeof mine) => ({
      reservationsCreated: s!.reservationsCreated,
      reservationsAccepted: s!.reservationsAccepted,
      reservationsRejected: s!.reservationsRejected,
      reservationsTimedOut: s!.reservationsTimedOut,
      reservationsRescinded: s!.reservationsRescinded,
      reservationsCanceled: s!.reservationsCanceled,
      tasksCompleted: s!.tasksCompleted,
      tasksCanceled: s!.tasksCanceled,
    });
    // A change reads mirrored once its write lands; its events are counted just after, in the same
    // request (the stream, deployed): the gateway's counts follow within moments.
    await eventually(async () => {
      [mine, theirs] = await read();
      return JSON.stringify(counts(mine)) === JSON.stringify(counts(theirs));
    }, 'every mirrored change counted on the gateway');
    expect(counts(theirs)).toEqual({
      reservationsCreated: 6,
      reservationsAccepted: 2,
      reservationsRejected: 2,
      reservationsTimedOut: 1,
      reservationsRescinded: 1,
      reservationsCanceled: 0,
      tasksCompleted: 0,
      tasksCanceled: 0,
    });
    expect(counts(mine)).toEqual(counts(theirs));
    // Waits count whole seconds from each stack's own receipt of the callback: equal but for a second boundary between them.
    expect(Math.abs(mine!.waitDurationUntilAccepted.total - theirs!.waitDurationUntilAccepted.total)).toBeLessThanOrEqual(2);
    const workers = async (stack: LocalStack, c: CallbackFixture) =>
      (await twilioClient(stack).taskrouter.v1.workspaces(c.workspaceSid).workers(c.workerSid).statistics().fetch(window)).cumulative;
    for (const c of [first, ...others, timedOut]) {
      const [g, u] = await Promise.all([workers(gateway, c), workers(upstream, c)]);
      expect({ ...g, start_time: 0, end_time: 0 }).toEqual({ ...u, start_time: 0, end_time: 0 });
    }
  });
});
