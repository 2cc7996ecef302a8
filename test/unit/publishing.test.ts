/**
 * Publishing this service's events, on the in-memory stores. What follows a write to a task item
 * (lib/publishing/event-recorder.ts): the write's events, carrying each reservation's
 * WorkerAttributes from its worker's link, stored and handed to the sinks; recovery storing and
 * delivering only what a dying process left unstored; the local stack's decorators, which follow
 * every write with its events. And the deployed delivery of EVENT_CALLBACK_URL
 * (callback-delivery.ts): one queued event POSTed, signed with its account's auth token, a failed
 * POST hidden for longer each time and thrown so the queue hands it over again, what a retry
 * cannot mend dropped. The POST and the queue's retry are test doubles: no network, no queue.
 */
import { describe, expect, it, vi } from 'vitest';
import { ReservationStateError } from '#lib/domain/errors.ts';
import { eventsOf, type TaskRouterEvent } from '#lib/domain/events.ts';
import type { TaskRecord } from '#lib/domain/task.ts';
import { createLogger } from '#lib/logging.ts';
import { CallbackDelivery, type QueuedCallback, type RetryLater } from '#lib/publishing/callback-delivery.ts';
import { callbackForm, type DeliveryResult, type SignedCallback } from '#lib/publishing/callback-request.ts';
import { EventEmittingMarks, EventEmittingTasks, EventRecorder } from '#lib/publishing/event-recorder.ts';
import { retryDelaySeconds } from '#lib/publishing/sqs-callback-queue.ts';
import { linkOf, type NewReservation } from '#lib/reservations/ports.ts';
import { twilioSignature } from '#lib/signature.ts';
import { memoryStores } from '#lib/store/memory/memory-stores.ts';
import { ACCOUNT_SID, AUTH_TOKEN, RecordingSink, RecordingTelemetry, newReservation, newTask, sid } from '../support/use-case-fixtures.ts';

const T0 = Date.UTC(2026, 10, 24, 9, 0, 0);

function recording() {
  const stores = memoryStores();
  const sink = new RecordingSink();
  const recorder = new EventRecorder(stores.events, stores.workers, [sink], createLogger());
  return { stores, sink, recorder };
}
type Recording = ReturnType<typeof recording>;

/** A reservation recorded as the service records it: its worker's link first (unless `linked` is false). */
async function reserve(r: Recording, input: NewReservation, at: number, linked = true): Promise<TaskRecord> {
  if (linked) await r.stores.workers.linkReservation(linkOf(input, at));
  return (await r.stores.tasks.recordReservation(input, at)).task;
}
const scopeOf = (input: NewReservation) => ({ accountSid: input.task.accountSid, workspaceSid: input.task.workspaceSid, taskSid: input.task.taskSid });
const describeEvents = (events: readonly { type: string; reservationSid?: string; data: { WorkerAttributes?: string } }[]) =>
  events.map((e) => [e.type, e.reservationSid, e.data.WorkerAttributes]);

describe('the recorder: the events of a write', () => {
  it('carry each reservation’s WorkerAttributes from its worker’s link (none without one); stored, then delivered', async () => {
    const r = recording();
    const task = newTask(T0);
    const alice = newReservation(task, T0, { workerAttributes: '{"contact_uri":"client:alice"}' });
    const created = await reserve(r, alice, T0);
    const events = await r.recorder.written(created);
    expect(describeEvents(events)).toEqual([['reservation.created', alice.reservationSid, '{"contact_uri":"client:alice"}']]);
    expect(await r.stores.events.get(task, events[0]!.sid)).toEqual(events[0]);
    expect(r.sink.events).toEqual(events);

    // A reservation whose link is gone (expired) leaves the field out rather than guess.
    const unlinked = newReservation(task, T0 + 1000);
    const second = await reserve(r, unlinked, T0 + 1000, false);
    expect(describeEvents(await r.recorder.written(second))).toEqual([['reservation.created', unlinked.reservationSid, undefined]]);
  });

  it('an accept’s write: its own event and the rescissions it implies, each with its own worker’s attributes', async () => {
    const r = recording();
    const task = newTask(T0);
    const alice = newReservation(task, T0, { workerAttributes: '{"name":"alice"}' });
    const bob = newReservation(task, T0, { workerAttributes: '{"name":"bob"}' });
    await reserve(r, alice, T0);
    await reserve(r, bob, T0 + 1);
    const accepted = (await r.stores.tasks.applyAction({
      scope: scopeOf(alice),
      reservationSid: alice.reservationSid,
      action: { transition: 'accept' },
      now: T0 + 5000,
    }))!;
    expect(describeEvents(await r.recorder.written(accepted))).toEqual([
      ['reservation.accepted', alice.reservationSid, '{"name":"alice"}'],
      ['reservation.rescinded', bob.reservationSid, '{"name":"bob"}'],
    ]);
  });

  it('a write with no events (a forward mark taken and cleared) stores and delivers nothing', async () => {
    const r = recording();
    const input = newReservation(newTask(T0), T0);
    await reserve(r, input, T0);
    const putAll = vi.spyOn(r.stores.events, 'putAll');
    const marked = await r.stores.marks.markForward(
      { scope: scopeOf(input), reservationSid: input.reservationSid, action: { transition: 'accept' }, now: T0 + 10 },
      'm1',
    );
    expect(marked?.taken).toBe(true);
    expect(await r.recorder.written(marked!.task)).toEqual([]);
    const cleared = await r.stores.marks.clearForward(scopeOf(input), 'm1', T0 + 20);
    expect(await r.recorder.written(cleared!)).toEqual([]);
    expect(putAll).not.toHaveBeenCalled();
    expect(r.sink.events).toEqual([]);
  });
});

describe('the recorder: recovery', () => {
  it('stores and delivers only the events not stored yet, with their worker attributes; a second recovery finds none', async () => {
    const r = recording();
    const input = newReservation(newTask(T0), T0, { workerAttributes: '{"name":"carol"}' });
    // The process died after the write, before its events.
    await reserve(r, input, T0);
    const accepted = (await r.stores.tasks.applyAction({
      scope: scopeOf(input),
      reservationSid: input.reservationSid,
      action: { transition: 'accept' },
      now: T0 + 1000,
    }))!;
    await r.recorder.written(accepted);
    expect(r.sink.types()).toEqual(['reservation.accepted']);
    const putNew = vi.spyOn(r.stores.events, 'putNew');
    const added = await r.recorder.recover([accepted]);
    expect(describeEvents(added)).toEqual([['reservation.created', input.reservationSid, '{"name":"carol"}']]);
    expect(putNew.mock.calls[0]![0].map((e) => e.type)).toEqual(['reservation.created']);
    expect(r.sink.types()).toEqual(['reservation.accepted', 'reservation.created']);
    expect(await r.stores.events.get(input.task, added[0]!.sid)).toEqual(added[0]);
    expect(await r.recorder.recover([accepted])).toEqual([]);
    expect(r.sink.events).toHaveLength(2);
  });

  it('derives as of the task’s last write: a timeout no write has revealed yet is left to the write that will', async () => {
    const r = recording();
    const input = newReservation(newTask(T0), T0, { deadline: T0 + 10_000 });
    await r.recorder.written(await reserve(r, input, T0));
    // Long past the deadline, and still no write to the task.
    const task = (await r.stores.tasks.getTask(scopeOf(input)))!;
    expect(await r.recorder.recover([task])).toEqual([]);
    expect(r.sink.types()).toEqual(['reservation.created']);
  });
});

describe('the local stack’s decorators', () => {
  it('follow each write with its events; a repeated reservation or a refused action first completes the events a dead attempt left', async () => {
    const r = recording();
    const tasks = new EventEmittingTasks(r.stores.tasks, r.recorder);
    const input = newReservation(newTask(T0), T0);
    // Written by an attempt that died before its events.
    await reserve(r, input, T0);
    expect((await tasks.recordReservation(input, T0 + 100)).outcome).toBe('repeated');
    expect(r.sink.types()).toEqual(['reservation.created']);

    const accept = { scope: scopeOf(input), reservationSid: input.reservationSid, action: { transition: 'accept' }, now: T0 + 1000 } as const;
    await r.stores.tasks.applyAction(accept);
    // Its retry is refused (no longer pending), but the accept's events are completed first.
    await expect(tasks.applyAction({ ...accept, now: T0 + 2000 })).rejects.toThrow(ReservationStateError);
    expect(r.sink.types()).toEqual(['reservation.created', 'reservation.accepted']);
    await tasks.applyAction({ ...accept, action: { transition: 'complete' }, now: T0 + 3000 });
    expect(r.sink.types()).toEqual(['reservation.created', 'reservation.accepted', 'reservation.completed', 'task.completed']);
  });

  it('a forward mark’s write can be the first after a sibling’s deadline: that timeout is its event', async () => {
    const r = recording();
    const task = newTask(T0);
    const short = newReservation(task, T0, { deadline: T0 + 10_000 });
    const long = newReservation(task, T0, { deadline: T0 + 600_000 });
    const tasks = new EventEmittingTasks(r.stores.tasks, r.recorder);
    const marks = new EventEmittingMarks(r.stores.marks, r.recorder);
    await tasks.recordReservation(short, T0);
    await tasks.recordReservation(long, T0 + 1);
    const marked = await marks.markForward(
      { scope: scopeOf(long), reservationSid: long.reservationSid, action: { transition: 'accept' }, now: T0 + 20_000 },
      'm1',
    );
    expect(marked?.taken).toBe(true);
    const timedOut = r.sink.events.at(-1)!;
    expect([timedOut.type, timedOut.reservationSid, timedOut.at]).toEqual(['reservation.timeout', short.reservationSid, T0 + 10_000]);
    await marks.clearForward(scopeOf(long), 'm1', T0 + 20_001);
    expect(r.sink.types()).toEqual(['reservation.created', 'reservation.created', 'reservation.timeout']);
  });
});

/* The deployed delivery of EVENT_CALLBACK_URL: a queued message, a POST and a retry, all test doubles. */

const CALLBACK_URL = 'https://events.example.test/taskrouter?source=gateway';
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
  const telemetry = new RecordingTelemetry();
  const callbacks = new CallbackDelivery({
    url: 'url' in options ? options.url : CALLBACK_URL,
    tokenOf,
    post: async (request) => {
      posts.push(request);
      return options.result ?? { ok: true, status: 204 };
    },
    retry,
    logger: createLogger(),
    telemetry,
  });
  return { callbacks, posts, retries, tokenOf, telemetry };
}

describe('a queued event callback (deployed EVENT_CALLBACK_URL)', () => {
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
    expect(d.telemetry.of('eventDeliveries')).toEqual(['delivered', 'delivered']);
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
    // The queue parks a message after its eleventh receive: that failure is the parking.
    expect(d.telemetry.of('eventDeliveries')).toEqual(['retried', 'retried', 'retried', 'retried', 'parked']);
  });

  it('a message naming no event is dropped, never POSTed', async () => {
    const d = delivery();
    for (const body of ['not json', '{}', JSON.stringify({ event: { sid: 'EV1', type: 'reservation.created' } })]) {
      expect(await d.callbacks.deliver(message(body))).toBe('dropped');
    }
    expect(d.posts).toEqual([]);
    expect(d.tokenOf).not.toHaveBeenCalled();
    expect(d.telemetry.of('eventDeliveries')).toEqual(['dropped', 'dropped', 'dropped']);
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
