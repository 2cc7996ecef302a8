/**
 * The event callbacks' intake (lib/upstream/mirror-inbox.ts): taken in once per Sid and answered,
 * applied after the answer in the local stack (before it when deployed), and what was taken in
 * but not applied (a process that died between, a store that failed) applied by the sweep or by
 * a repeat of the callback.
 */
import twilio from 'twilio';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ServiceUnavailableError } from '#lib/domain/errors.ts';
import { inboxKey } from '#lib/store/table.ts';
import type { LocalStack } from '#lib/local/server.ts';
import { ACCOUNT_SID, AUTH_TOKEN, basicAuth, callback, postCallback, sid, startStack, type CallbackFixture } from '../support/fixtures.ts';

let gateway: LocalStack;

beforeAll(async () => {
  // The mirror reads nothing upstream: nothing listens there.
  gateway = await startStack({ TASKROUTER_UPSTREAM_URL: 'http://127.0.0.1:9' });
}, 60_000);
afterAll(() => gateway.close());
afterEach(() => vi.restoreAllMocks());

const inbox = () => gateway.runtime.upstream!.inbox;
const mirror = () => gateway.runtime.upstream!.mirror;

/** TaskRouter's event callback that `c`'s reservation was accepted, as form fields. */
function accepted(c: CallbackFixture, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    EventType: 'reservation.accepted',
    Sid: sid('EV'),
    AccountSid: ACCOUNT_SID,
    WorkspaceSid: c.workspaceSid,
    TaskSid: c.taskSid,
    ReservationSid: c.reservationSid,
    WorkerSid: c.workerSid,
    TimestampMs: String(Date.now()),
    ...overrides,
  };
}

async function post(params: Record<string, string>): Promise<Response> {
  const url = `${gateway.url}/event-callback`;
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params) },
    body: new URLSearchParams(params),
  });
}

async function statusOf(c: CallbackFixture): Promise<unknown> {
  const response = await fetch(`${gateway.url}/v1/Workspaces/${c.workspaceSid}/Tasks/${c.taskSid}/Reservations/${c.reservationSid}`, { headers: basicAuth() });
  return ((await response.json()) as Record<string, unknown>)['reservation_status'];
}

async function pending(): Promise<CallbackFixture> {
  const c = callback();
  expect((await postCallback(gateway, c.params)).status).toBe(200);
  return c;
}

describe('event callbacks taken in', () => {
  it('answers before applying, then applies (the local stack)', async () => {
    const c = await pending();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const apply = mirror().apply.bind(mirror());
    vi.spyOn(mirror(), 'apply').mockImplementation(async (...args) => {
      await held;
      return apply(...args);
    });
    expect((await post(accepted(c))).status).toBe(204);
    expect(await statusOf(c)).toBe('pending');
    release();
    await inbox().idle();
    expect(await statusOf(c)).toBe('accepted');
  });

  it('applies an event once per Sid, however often TaskRouter delivers it', async () => {
    const c = await pending();
    const spy = vi.spyOn(mirror(), 'apply');
    const event = accepted(c);
    for (let i = 0; i < 3; i++) expect((await post(event)).status).toBe(204);
    await inbox().idle();
    expect(spy).toHaveBeenCalledTimes(1);
    expect(await statusOf(c)).toBe('accepted');
  });

  it('keeps only the Sid of an applied event: its fields, attributes and all, are the record’s', async () => {
    const c = await pending();
    const event = accepted(c, { TaskAttributes: '{"from":"+15551234567"}' });
    expect((await post(event)).status).toBe(204);
    await inbox().idle();
    const { Item } = await gateway.documentClient.send(
      new GetCommand({ TableName: gateway.config.tableName!, Key: inboxKey({ accountSid: ACCOUNT_SID, workspaceSid: c.workspaceSid, sid: event['Sid']! }) }),
    );
    expect(Item?.['appliedAt']).toEqual(expect.any(Number));
    expect(Item?.['fields']).toBeUndefined();
    expect(JSON.stringify(Item)).not.toContain('+15551234567');
  });

  it('leaves an event whose apply failed to the sweep, which applies it', async () => {
    const c = await pending();
    vi.spyOn(mirror(), 'apply').mockRejectedValueOnce(new ServiceUnavailableError(1));
    expect((await post(accepted(c))).status).toBe(204);
    await inbox().idle();
    expect(await statusOf(c)).toBe('pending');
    // Too recent for the minute's sweep: an apply may still be under way.
    expect((await inbox().sweep()).applied).toBe(0);
    expect(await inbox().sweep(Date.now() + 1)).toEqual({ applied: 1, failed: 0 });
    expect(await statusOf(c)).toBe('accepted');
    // Applied now, it has left the sweep's index.
    expect((await inbox().sweep(Date.now() + 1)).applied).toBe(0);
  });

  it('applies every event left behind in one sweep, past a page of the index', async () => {
    const left = await Promise.all(Array.from({ length: 130 }, () => pending()));
    const spy = vi.spyOn(mirror(), 'apply').mockRejectedValue(new ServiceUnavailableError(1));
    for (const c of left) expect((await post(accepted(c))).status).toBe(204);
    await inbox().idle();
    spy.mockRestore();
    expect(await inbox().sweep(Date.now() + 1)).toEqual({ applied: 130, failed: 0 });
    for (const c of [left[0]!, left[129]!]) expect(await statusOf(c)).toBe('accepted');
  }, 60_000);

  it('applies an event taken in but not applied when TaskRouter delivers it again', async () => {
    const c = await pending();
    vi.spyOn(mirror(), 'apply').mockRejectedValueOnce(new ServiceUnavailableError(1));
    const event = accepted(c);
    expect((await post(event)).status).toBe(204);
    await inbox().idle();
    expect(await statusOf(c)).toBe('pending');
    expect((await post(event)).status).toBe(204);
    await inbox().idle();
    expect(await statusOf(c)).toBe('accepted');
  });

  it('refuses an event without its Sid (400) and stores nothing', async () => {
    const c = await pending();
    const { Sid: _sid, ...event } = accepted(c);
    const response = await post(event);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(/Sid/);
    await inbox().idle();
    expect(await statusOf(c)).toBe('pending');
  });

  it('never retries an event only the record shows to be unusable (a reservation first heard of, without its worker)', async () => {
    const unknown = callback();
    const { WorkerSid: _worker, ...event } = accepted(unknown);
    expect((await post(event)).status).toBe(204);
    await inbox().idle();
    const spy = vi.spyOn(mirror(), 'apply');
    expect((await inbox().sweep(Date.now() + 1)).applied).toBe(0);
    expect(spy).not.toHaveBeenCalled();
  });
});
