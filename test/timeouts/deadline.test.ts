/**
 * Exact timeouts with a fake clock: the stored deadline decides every read and write; timers only
 * write down what reads already report.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reservationTimeout } from '#functions/reservation-timeout.ts';
import { localLambdaContext } from '#lib/local/lambda-context.ts';
import type { LocalStack } from '#lib/local/server.ts';
import { FakeClock } from '../support/clock.ts';
import { assign, basicAuth, postCallback, callback, sid, startStack, type CallbackFixture } from '../support/fixtures.ts';

const TIMEOUT_ACTIVITY = `WA${'7'.repeat(32)}`;
const clock = new FakeClock();
let stack: LocalStack;
let fire: ReturnType<typeof reservationTimeout.createHandler>;

beforeAll(async () => {
  stack = await startStack({ RESERVATION_TIMEOUT_SECONDS: '60', TIMEOUT_ACTIVITY_SID: TIMEOUT_ACTIVITY }, { clock });
  fire = reservationTimeout.createHandler(stack.runtime);
});
afterAll(() => stack.close());

const deliver = (a: CallbackFixture) =>
  fire(
    { accountSid: a.accountSid, workspaceSid: a.workspaceSid, taskSid: a.taskSid, reservationSid: a.reservationSid },
    localLambdaContext('reservation-timeout', 30),
  );

async function get(path: string) {
  const response = await fetch(`${stack.url}${path}`, { headers: basicAuth() });
  return { status: response.status, etag: response.headers.get('etag'), body: (await response.json()) as Record<string, unknown> };
}
const reservation = (a: CallbackFixture) => get(`/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}/Reservations/${a.reservationSid}`);
const task = (a: CallbackFixture) => get(`/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}`);
const worker = (a: CallbackFixture) => get(`/v1/Workspaces/${a.workspaceSid}/Workers/${a.workerSid}`);
const list = (a: CallbackFixture, query: string) => get(`/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}/Reservations?${query}`);

async function update(a: CallbackFixture, body: string) {
  const response = await fetch(`${stack.url}/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}/Reservations/${a.reservationSid}`, {
    method: 'POST',
    headers: { ...basicAuth(), 'Content-Type': 'application/x-www-form-urlencoded' },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('reads around the deadline', () => {
  it('report pending until just before the deadline and timeout from it, in fetches, lists and filters', async () => {
    const a = await assign(stack, {}, { query: 'ReservationTimeout=30' });
    clock.advance(30_000 - 1);
    expect((await reservation(a)).body['reservation_status']).toBe('pending');
    expect((await task(a)).body['assignment_status']).toBe('reserved');
    expect(((await list(a, 'ReservationStatus=pending')).body['reservations'] as unknown[]).length).toBe(1);

    clock.advance(1);
    const read = await reservation(a);
    expect(read.body['reservation_status']).toBe('timeout');
    expect(read.body['date_updated']).toBe(new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    expect((await task(a)).body['assignment_status']).toBe('pending');
    expect((await list(a, 'ReservationStatus=pending')).body['reservations']).toEqual([]);
    expect(((await list(a, 'ReservationStatus=timeout')).body['reservations'] as { sid: string }[]).map((r) => r.sid)).toEqual([a.reservationSid]);
    const workerList = await get(`/v1/Workspaces/${a.workspaceSid}/Workers/${a.workerSid}/Reservations?ReservationStatus=timeout`);
    expect((workerList.body['reservations'] as unknown[]).length).toBe(1);
  });

  it('use RESERVATION_TIMEOUT_SECONDS when the callback URL names no ReservationTimeout', async () => {
    const a = await assign(stack);
    clock.advance(59_999);
    expect((await reservation(a)).body['reservation_status']).toBe('pending');
    clock.advance(1);
    expect((await reservation(a)).body['reservation_status']).toBe('timeout');
  });

  it('refuse a ReservationTimeout outside 1..86400 and store nothing', async () => {
    for (const value of ['0', '86401', 'abc', '1.5', '']) {
      const fixture = callback();
      const response = await postCallback(stack, fixture.params, { query: `ReservationTimeout=${value}` });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { message: string }).message).toContain('ReservationTimeout');
      expect((await task(fixture)).status).toBe(404);
    }
    const longest = await assign(stack, {}, { query: 'ReservationTimeout=86400' });
    clock.advance(86_400_000 - 1);
    expect((await reservation(longest)).body['reservation_status']).toBe('pending');
  });
});

describe('writes racing the deadline', () => {
  it('accept one millisecond before the deadline, refuse at it', async () => {
    const early = await assign(stack, {}, { query: 'ReservationTimeout=10' });
    const late = await assign(stack, {}, { query: 'ReservationTimeout=10' });
    clock.advance(10_000 - 1);
    expect((await update(early, 'ReservationStatus=accepted')).status).toBe(200);
    clock.advance(1);
    const refused = await update(late, 'ReservationStatus=accepted');
    expect(refused).toMatchObject({ status: 400, body: { message: `Reservation ${late.reservationSid} is not currently in a Pending state` } });
    expect((await update(late, 'ReservationStatus=rejected')).status).toBe(400);
    expect((await reservation(late)).body['reservation_status']).toBe('timeout');
  });

  it('let an accept and a timer delivered together before the deadline end with the accept', async () => {
    const a = await assign(stack, {}, { query: 'ReservationTimeout=10' });
    clock.advance(9_000);
    const [accepted, timer] = await Promise.all([update(a, 'ReservationStatus=accepted'), deliver(a)]);
    expect(accepted.status).toBe(200);
    expect(timer.outcome).toBe('nothing-to-do');
    expect((await reservation(a)).body['reservation_status']).toBe('accepted');
  });
});

describe('timer deliveries', () => {
  it('write the timeout down once, dated at the deadline, and move the worker to TIMEOUT_ACTIVITY_SID', async () => {
    const a = await assign(stack, {}, { query: 'ReservationTimeout=5' });
    const deadline = clock.now() + 5000;
    expect((await deliver(a)).outcome).toBe('nothing-to-do'); // early
    expect((await reservation(a)).etag).toBe('"1"');
    clock.advance(3_600_000); // an hour late
    expect(await deliver(a)).toEqual({ outcome: 'expired', reservationSid: a.reservationSid });
    const read = await reservation(a);
    expect(read).toMatchObject({
      etag: '"2"',
      body: { reservation_status: 'timeout', date_updated: new Date(deadline).toISOString().replace(/\.\d{3}Z$/, 'Z') },
    });
    expect((await worker(a)).body['activity_sid']).toBe(TIMEOUT_ACTIVITY);
    expect((await deliver(a)).outcome).toBe('nothing-to-do'); // duplicate
    expect((await reservation(a)).etag).toBe('"2"');
  });

  it('change nothing for a reservation answered before its deadline', async () => {
    const a = await assign(stack, {}, { query: 'ReservationTimeout=5' });
    const activity = sid('WA');
    await update(a, `ReservationStatus=rejected&WorkerActivitySid=${activity}`);
    clock.advance(10_000);
    expect((await deliver(a)).outcome).toBe('nothing-to-do');
    expect((await reservation(a)).body['reservation_status']).toBe('rejected');
    expect((await worker(a)).body['activity_sid']).toBe(activity);
  });

  it('are not needed for correctness: a timer that never fires still reads timeout', async () => {
    const a = await assign(stack, {}, { query: 'ReservationTimeout=5' });
    clock.advance(5_000);
    expect((await reservation(a)).body['reservation_status']).toBe('timeout');
    expect((await update(a, 'ReservationStatus=accepted')).status).toBe(400);
    expect((await worker(a)).body['activity_sid']).toBeNull();
  });

  it('drop an event that names no reservation, and find nothing for an unknown one', async () => {
    const ctx = localLambdaContext('reservation-timeout', 30);
    expect(await fire({ reservationSid: 'WRnope' }, ctx)).toEqual({ outcome: 'invalid-event' });
    const unknown = { accountSid: sid('AC'), workspaceSid: sid('WS'), taskSid: sid('WT'), reservationSid: sid('WR') };
    expect(await fire(unknown, ctx)).toEqual({ outcome: 'not-found', reservationSid: unknown.reservationSid });
  });
});
