/**
 * EVENT_CALLBACK_URL: each event POSTed as TaskRouter does, form-encoded and signed (checked with
 * the twilio package's own validator, the oracle), filtered by EVENTS_FILTER, retried with backoff
 * for over an hour, then parked where an operator finds it; and a receiver that fails or hangs
 * never holds up a reservation request. Waits between retries run on a virtual clock.
 */
import twilio from 'twilio';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LocalStack } from '#lib/local/server.ts';
import { RETRY_DELAYS_MS } from '#lib/publishing/local-callback-sender.ts';
import { AUTH_TOKEN, assign, basicAuth, startStack, type CallbackFixture } from '../support/fixtures.ts';
import { receiver, until } from '../support/receiver.ts';

const B = `AC${'b0'.repeat(16)}`;
const B_TOKEN = 'account-b-token-91d2';

async function update(stack: LocalStack, a: CallbackFixture, params: Record<string, string>) {
  const response = await fetch(`${stack.url}/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}/Reservations/${a.reservationSid}`, {
    method: 'POST',
    headers: { ...basicAuth(), 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });
  return response.status;
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

async function setUp(answer?: Parameters<typeof receiver>[0], env: Record<string, string> = {}, wait?: (ms: number) => Promise<void>) {
  const r = await receiver(answer);
  cleanup.push(r.close);
  const stack = await startStack({ EVENT_CALLBACK_URL: r.url, TWILIO_ACCOUNTS: `${B}:${B_TOKEN}`, ...env }, { ...(wait && { callbackSender: { wait } }) });
  cleanup.push(() => stack.close());
  return { r, stack };
}

describe('event callbacks', () => {
  it('POST each event as TaskRouter does: form-encoded, signed over the URL with the account’s token, the Event resource’s SID', async () => {
    const { r, stack } = await setUp();
    const a = await assign(stack);
    expect(await update(stack, a, { ReservationStatus: 'accepted' })).toBe(200);
    await until(() => r.received.length === 2, 'two callbacks');
    for (const { params, signature, contentType } of r.received) {
      expect(contentType).toMatch(/^application\/x-www-form-urlencoded/);
      expect(twilio.validateRequest(AUTH_TOKEN, signature, r.url, params)).toBe(true);
      expect(twilio.validateRequest('another token', signature, r.url, params)).toBe(false);
    }
    const accepted = r.received.find((x) => x.params['EventType'] === 'reservation.accepted')!.params;
    expect(accepted).toMatchObject({
      EventType: 'reservation.accepted',
      AccountSid: a.accountSid,
      WorkspaceSid: a.workspaceSid,
      ResourceType: 'reservation',
      ResourceSid: a.reservationSid,
      TaskSid: a.taskSid,
      ReservationSid: a.reservationSid,
      WorkerSid: a.workerSid,
      WorkerName: 'Doug',
      TaskAssignmentStatus: 'assigned',
      EventDescription: `Reservation ${a.reservationSid} accepted by Worker Doug`,
    });
    expect(Number(accepted['TimestampMs'])).toBeGreaterThan(0);
    expect(accepted['Timestamp']).toBe(String(Math.floor(Number(accepted['TimestampMs']) / 1000)));
    const stored = (await (await fetch(`${stack.url}/v1/Workspaces/${a.workspaceSid}/Events/${accepted['Sid']}`, { headers: basicAuth() })).json()) as Record<
      string,
      unknown
    >;
    expect(stored).toMatchObject({ sid: accepted['Sid'], event_type: 'reservation.accepted', event_date_ms: Number(accepted['TimestampMs']) });
    // Another account's events are signed with its own token.
    await assign(stack, { AccountSid: B }, { token: B_TOKEN });
    await until(() => r.received.length === 3, 'the other account’s callback');
    expect(twilio.validateRequest(B_TOKEN, r.received[2]!.signature, r.url, r.received[2]!.params)).toBe(true);
  });

  it('send only the types EVENTS_FILTER lists, and store every event all the same', async () => {
    const { r, stack } = await setUp(undefined, { EVENTS_FILTER: 'reservation.accepted, task.completed' });
    const a = await assign(stack);
    for (const status of ['accepted', 'wrapping', 'completed']) expect(await update(stack, a, { ReservationStatus: status })).toBe(200);
    await until(() => r.received.length === 2, 'the filtered callbacks');
    await stack.runtime.callbackSender!.idle();
    expect(r.received.map((x) => x.params['EventType']).sort()).toEqual(['reservation.accepted', 'task.completed']);
    const stored = (await (await fetch(`${stack.url}/v1/Workspaces/${a.workspaceSid}/Events`, { headers: basicAuth() })).json()) as { events: unknown[] };
    expect(stored.events).toHaveLength(6);
  });

  it('deliver every event to a receiver that answers 500 for a minute and then 204, retrying with backoff', async () => {
    let virtualMs = 0;
    const waits: number[] = [];
    const { r, stack } = await setUp(
      () => (virtualMs < 60_000 ? 500 : 204),
      {},
      async (ms) => {
        waits.push(ms);
        virtualMs += ms;
      },
    );
    const a = await assign(stack);
    // Requests made meanwhile are answered as ever.
    expect(await update(stack, a, { ReservationStatus: 'accepted' })).toBe(200);
    expect(await update(stack, a, { ReservationStatus: 'wrapping' })).toBe(200);
    await stack.runtime.callbackSender!.idle();
    const delivered = new Set(r.received.filter((x) => x.params['EventType']).map((x) => x.params['Sid']));
    const stored = (await (await fetch(`${stack.url}/v1/Workspaces/${a.workspaceSid}/Events`, { headers: basicAuth() })).json()) as {
      events: { sid: string }[];
    };
    expect(stored.events).toHaveLength(4);
    expect([...delivered].sort()).toEqual(stored.events.map((e) => e.sid).sort());
    expect(stack.runtime.callbackSender!.parked).toEqual([]);
    // 1 s, 2 s, 4 s, …: the waits of one event double.
    expect(waits.slice(0, 4)).toEqual([1000, 2000, 4000, 8000]);
  });

  it('park an event after over an hour of failures, with a log line an operator can find', async () => {
    const logged: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' ')));
    let waited = 0;
    const { r, stack } = await setUp(
      () => 503,
      {},
      async (ms) => {
        waited += ms;
      },
    );
    const a = await assign(stack);
    await stack.runtime.callbackSender!.idle();
    vi.restoreAllMocks();
    expect(r.received).toHaveLength(RETRY_DELAYS_MS.length + 1);
    expect(waited).toBeGreaterThanOrEqual(3_600_000);
    const [parked] = stack.runtime.callbackSender!.parked;
    expect(parked).toMatchObject({ type: 'reservation.created', attempts: RETRY_DELAYS_MS.length + 1, reason: 'HTTP 503' });
    const line = logged.find((l) => l.includes('event callback parked'))!;
    expect(line).toContain(parked!.sid);
    expect(line).not.toContain(a.params['TaskAttributes']!);
  });

  it('never hold a request: the receiver has not answered, the request has', async () => {
    const { r, stack } = await setUp(() => 'hold');
    const a = await assign(stack);
    await until(() => r.received.length === 1, 'the held callback');
    expect(await update(stack, a, { ReservationStatus: 'accepted' })).toBe(200);
    await until(() => r.received.length === 2, 'the second held callback');
    r.release();
    await stack.runtime.callbackSender!.idle();
  });
});
