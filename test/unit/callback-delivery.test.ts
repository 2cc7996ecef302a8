/**
 * EVENT_CALLBACK_URL as deployed (lib/publishing/callback-delivery.ts): one queued event POSTed,
 * signed with its account's auth token; a failed POST hides the message for longer each time and
 * throws so the queue hands it over again; what a retry cannot mend is dropped. The POST and the
 * queue's retry are test doubles: no network, no queue.
 */
import { describe, expect, it, vi } from 'vitest';
import { eventsOf, type TaskRouterEvent } from '#lib/domain/events.ts';
import { createLogger } from '#lib/logging.ts';
import { CallbackDelivery, type QueuedCallback, type RetryLater } from '#lib/publishing/callback-delivery.ts';
import { callbackForm, type DeliveryResult, type SignedCallback } from '#lib/publishing/callback-request.ts';
import { retryDelaySeconds } from '#lib/publishing/sqs-callback-queue.ts';
import { twilioSignature } from '#lib/signature.ts';
import { memoryStores } from '#lib/store/memory/memory-stores.ts';
import { ACCOUNT_SID, AUTH_TOKEN, newReservation, newTask, sid } from '../support/use-case-fixtures.ts';

const CALLBACK_URL = 'https://events.example.test/taskrouter?source=gateway';
const T0 = Date.UTC(2026, 10, 24, 9, 0, 0);
const OTHER_ACCOUNT = sid('AC');
const OTHER_TOKEN = 'other0account0token0000000000000';

/** A reservation.created event of a task recorded in `accountSid`, as the stream reader queues it. */
async function createdEvent(accountSid = ACCOUNT_SID): Promise<TaskRouterEvent> {
  const stores = memoryStores();
  const task = newTask(T0, { accountSid });
  const { task: record } = await stores.tasks.recordReservation(newReservation(task, T0), T0);
  return eventsOf(record, T0)[0]!;
}
const message = (body: string, receiveCount = 1): QueuedCallback => ({ messageId: sid('MS'), body, receiveCount, receipt: sid('RH') });
const queued = (event: TaskRouterEvent, receiveCount = 1) => message(JSON.stringify({ event }), receiveCount);

function delivery(options: { url?: string | undefined; result?: DeliveryResult } = {}) {
  const posts: SignedCallback[] = [];
  const retries: [QueuedCallback, number][] = [];
  const tokens = new Map([
    [ACCOUNT_SID, AUTH_TOKEN],
    [OTHER_ACCOUNT, OTHER_TOKEN],
  ]);
  const tokenOf = vi.fn(async (accountSid: string) => tokens.get(accountSid));
  const retry: RetryLater = { later: async (m, seconds) => void retries.push([m, seconds]) };
  const callbacks = new CallbackDelivery({
    url: 'url' in options ? options.url : CALLBACK_URL,
    tokenOf,
    post: async (request) => {
      posts.push(request);
      return options.result ?? { ok: true, status: 204 };
    },
    retry,
    logger: createLogger(),
  });
  return { callbacks, posts, retries, tokenOf };
}

describe('a queued event callback', () => {
  it('is POSTed to EVENT_CALLBACK_URL as TaskRouter’s form, signed with its own account’s token', async () => {
    const d = delivery();
    for (const [accountSid, token] of [
      [ACCOUNT_SID, AUTH_TOKEN],
      [OTHER_ACCOUNT, OTHER_TOKEN],
    ] as const) {
      const event = await createdEvent(accountSid);
      expect(await d.callbacks.deliver(queued(event))).toBe('delivered');
      const request = d.posts.at(-1)!;
      expect(request.url).toBe(CALLBACK_URL);
      expect(request.headers['Content-Type']).toBe('application/x-www-form-urlencoded; charset=utf-8');
      expect(request.headers['X-Twilio-Signature']).toBe(twilioSignature(token, CALLBACK_URL, callbackForm(event)));
      const fields = Object.fromEntries(new URLSearchParams(request.body));
      expect(fields).toMatchObject({
        Sid: event.sid,
        EventType: 'reservation.created',
        AccountSid: accountSid,
        ResourceSid: event.reservationSid,
        TimestampMs: String(T0),
        ReservationSid: event.reservationSid,
      });
    }
    expect(d.tokenOf.mock.calls.map(([account]) => account)).toEqual([ACCOUNT_SID, OTHER_ACCOUNT]);
    expect(d.retries).toEqual([]);
  });

  it('a failed POST asks the queue to hand it over later, longer each time up to 15 minutes, and throws', async () => {
    const d = delivery({ result: { ok: false, reason: 'HTTP 500' } });
    const event = await createdEvent();
    for (const [receives, seconds] of [
      [1, 10],
      [3, 40],
      [7, 640],
      [8, 900],
      [11, 900],
    ] as const) {
      const m = queued(event, receives);
      await expect(d.callbacks.deliver(m)).rejects.toThrow(`event callback ${event.sid} failed: HTTP 500`);
      expect(d.retries.at(-1)).toEqual([m, seconds]);
      expect(seconds).toBe(retryDelaySeconds(receives));
    }
    expect(d.posts).toHaveLength(5);
  });

  it('a message naming no event is dropped, never POSTed', async () => {
    const d = delivery();
    for (const body of ['not json', '{}', JSON.stringify({ event: { sid: 'EV1', type: 'reservation.created' } })]) {
      expect(await d.callbacks.deliver(message(body))).toBe('dropped');
    }
    expect(d.posts).toEqual([]);
    expect(d.tokenOf).not.toHaveBeenCalled();
  });

  it('without EVENT_CALLBACK_URL (unset since it was queued), dropped', async () => {
    const d = delivery({ url: undefined });
    expect(await d.callbacks.deliver(queued(await createdEvent()))).toBe('dropped');
    expect(d.posts).toEqual([]);
    expect(d.retries).toEqual([]);
  });

  it('no token for the event’s account: throws, so the message waits for the secret to name it; nothing POSTed', async () => {
    const d = delivery();
    const event = await createdEvent(sid('AC'));
    await expect(d.callbacks.deliver(queued(event))).rejects.toThrow(`no auth token for account ${event.accountSid}`);
    expect(d.posts).toEqual([]);
    expect(d.retries).toEqual([]);
  });
});
