/**
 * Store faults injected at the DynamoDB client: throttling is a 429/20429 and an unavailable or
 * silent store a 503, both with Retry-After; the SDK's retries are bounded so a callback still
 * answers inside Twilio's 5 s; a repeat after a fault loses nothing.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '#lib/local/server.ts';
import { STORE_MAX_ATTEMPTS, createDocumentClient } from '#lib/store/client.ts';
import { ENGINES } from '../support/engines.ts';
import { FaultInjector, blackHole, boundedHttpHandler } from '../support/faults.ts';
import { recordFigure } from '../support/figures.ts';
import { basicAuth, callback, postCallback, startStack } from '../support/fixtures.ts';

describe.each(ENGINES)('on $name', (engine) => {
  let stack: LocalStack;
  let faults: FaultInjector;
  let stopEngine: () => Promise<void>;
  let hole: Awaited<ReturnType<typeof blackHole>>;

  beforeAll(async () => {
    const running = await engine.start();
    stopEngine = running.stop;
    hole = await blackHole();
    faults = new FaultInjector(hole.port);
    const documentClient = createDocumentClient({ endpoint: running.endpoint, handler: faults.wrap(boundedHttpHandler()) });
    stack = await startStack({ DYNAMODB_ENDPOINT: running.endpoint, TABLE_NAME: `faults${randomBytes(4).toString('hex')}` }, { documentClient });
  });
  afterAll(async () => {
    recordFigure('store faults injected', faults.totalInjected, engine.name);
    await stack.close();
    await hole.close();
    await stopEngine();
  });

  async function get(path: string) {
    const response = await fetch(`${stack.url}${path}`, { headers: basicAuth() });
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Record<string, unknown> };
  }

  async function recorded() {
    faults.reset();
    const fixture = callback();
    expect((await postCallback(stack, fixture.params)).status).toBe(200);
    return { fixture, path: `/v1/Workspaces/${fixture.workspaceSid}/Tasks/${fixture.taskSid}/Reservations/${fixture.reservationSid}` };
  }

  it('answers a throttled store with 429/20429 and Retry-After, after a bounded number of retries', async () => {
    const { path } = await recorded();
    faults.reset().plan(() => 'throttle');
    const throttled = await get(path);
    expect(throttled).toMatchObject({ status: 429, retryAfter: '1', body: { code: 20429, status: 429 } });
    expect(faults.calls).toHaveLength(STORE_MAX_ATTEMPTS);

    const fixture = callback();
    const response = await postCallback(stack, fixture.params);
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('1');
    faults.reset();
    expect((await get(`/v1/Workspaces/${fixture.workspaceSid}/Tasks/${fixture.taskSid}`)).status).toBe(404);
  });

  it('rides out a short burst of throttling inside the SDK’s retries', async () => {
    const { path } = await recorded();
    faults.reset().plan((call) => (call.number < STORE_MAX_ATTEMPTS ? 'throttle' : undefined));
    expect((await get(path)).status).toBe(200);
    expect(faults.injected).toBe(STORE_MAX_ATTEMPTS - 1);
  });

  it('answers an unavailable store with 503 and Retry-After', async () => {
    const { path } = await recorded();
    faults.reset().plan(() => 'unavailable');
    expect(await get(path)).toMatchObject({ status: 503, retryAfter: '1', body: { code: 20503, status: 503 } });
    const response = await postCallback(stack, callback().params);
    expect(response.status).toBe(503);
  });

  it('still answers a callback inside Twilio’s 5 s when the store never answers (503, so TaskRouter tries its fallback)', async () => {
    faults.reset().plan(() => 'hang');
    const fixture = callback();
    const started = Date.now();
    const response = await postCallback(stack, fixture.params);
    const elapsed = Date.now() - started;
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ code: 20503 });
    expect(elapsed).toBeLessThan(5000);
    // Each attempt gave up at the request timeout and was retried: the SDK's bound, not the function's.
    expect(faults.calls.length).toBe(STORE_MAX_ATTEMPTS);
    faults.reset();
    // The fallback URL's repeat of the same callback is recorded once, as if the first had never been sent.
    expect((await postCallback(stack, fixture.params)).status).toBe(200);
    expect((await get(`/v1/Workspaces/${fixture.workspaceSid}/Workers/${fixture.workerSid}/Reservations`)).body['reservations']).toHaveLength(1);
  });

  it('loses nothing when a fault stops a callback between its writes: the repeat finishes it', async () => {
    faults.reset().plan((call) => (call.operation === 'PutItem' ? 'unavailable' : undefined));
    const fixture = callback();
    expect((await postCallback(stack, fixture.params)).status).toBe(503);
    faults.reset();
    const workerList = `/v1/Workspaces/${fixture.workspaceSid}/Workers/${fixture.workerSid}/Reservations`;
    expect((await get(workerList)).status).toBe(404);
    const repeat = await postCallback(stack, fixture.params);
    expect(repeat.status).toBe(200);
    expect(await repeat.json()).toEqual({});
    expect(((await get(workerList)).body['reservations'] as { sid: string }[]).map((r) => r.sid)).toEqual([fixture.reservationSid]);
  });

  it.each([
    ['accepted', 'reservation.accepted'],
    ['rejected', 'reservation.rejected'],
  ])('answers an update made but whose answer was lost (the SDK sent it again) as made: %s, its event once', async (status, eventType) => {
    const { fixture, path } = await recorded();
    // The first UpdateItem of the update reaches the store; its answer is a 500; the SDK repeats it.
    faults.plan((call) => (call.operation === 'UpdateItem' && faults.injected === 0 ? 'lost-answer' : undefined));
    const response = await fetch(`${stack.url}${path}`, {
      method: 'POST',
      headers: { ...basicAuth(), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `ReservationStatus=${status}`,
    });
    expect([response.status, ((await response.json()) as { reservation_status?: string }).reservation_status]).toEqual([200, status]);
    expect(faults.injected).toBe(1);
    faults.reset();
    expect((await get(path)).body['reservation_status']).toBe(status);
    const events = await get(`/v1/Workspaces/${fixture.workspaceSid}/Events?ReservationSid=${fixture.reservationSid}&EventType=${eventType}`);
    expect((events.body['events'] as unknown[]).length).toBe(1);
    // A second accept is refused as TaskRouter refuses it: the repeat above was the SDK's, not the caller's.
    const again = await fetch(`${stack.url}${path}`, {
      method: 'POST',
      headers: { ...basicAuth(), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `ReservationStatus=${status}`,
    });
    expect(again.status).toBe(400);
  });

  it('answers a Task cancellation made but whose answer was lost as made, its event once', async () => {
    const { fixture } = await recorded();
    const task = `/v1/Workspaces/${fixture.workspaceSid}/Tasks/${fixture.taskSid}`;
    faults.plan((call) => (call.operation === 'UpdateItem' && faults.injected === 0 ? 'lost-answer' : undefined));
    const response = await fetch(`${stack.url}${task}`, {
      method: 'POST',
      headers: { ...basicAuth(), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'AssignmentStatus=canceled&Reason=caller%20hung%20up',
    });
    expect([response.status, ((await response.json()) as { assignment_status?: string }).assignment_status]).toEqual([200, 'canceled']);
    expect(faults.injected).toBe(1);
    faults.reset();
    const events = await get(`/v1/Workspaces/${fixture.workspaceSid}/Events?TaskSid=${fixture.taskSid}&EventType=task.canceled`);
    expect((events.body['events'] as unknown[]).length).toBe(1);
  });
});
