/**
 * Twilio Event Streams' CloudEvents (lib/upstream/mirror-event-streams.ts) on the in-memory
 * stores: applied by the mirror once per CloudEvent id, what can never apply (not JSON, not a
 * CloudEvent, refused by the mirror, another account's) logged and skipped, and a store failure
 * thrown so that the Kinesis record is retried, its events already applied skipped by their marks.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { accountCredentials, accountKeys } from '#lib/credentials.ts';
import { ServiceUnavailableError } from '#lib/domain/errors.ts';
import { findReservation } from '#lib/domain/task.ts';
import { createLogger } from '#lib/logging.ts';
import type { NewReservation } from '#lib/reservations/ports.ts';
import { memoryStores } from '#lib/store/memory/memory-stores.ts';
import { EventStreamsConsumer } from '#lib/upstream/mirror-event-streams.ts';
import { UpstreamMirror } from '#lib/upstream/mirror.ts';
import { FakeClock } from '../support/clock.ts';
import { ACCOUNT_SID, AUTH_TOKEN, RecordingScheduler, sid } from '../support/use-case-fixtures.ts';

afterEach(() => vi.restoreAllMocks());

function consumer() {
  const clock = new FakeClock();
  const stores = memoryStores();
  const mirror = new UpstreamMirror({
    tasks: stores.tasks,
    workers: stores.workers,
    clock,
    scheduler: new RecordingScheduler(),
    reservationTimeoutSeconds: 120,
    maxRejections: 10,
  });
  const credentials = accountCredentials(ACCOUNT_SID, async () => accountKeys(ACCOUNT_SID, AUTH_TOKEN));
  const streams = new EventStreamsConsumer({ mirror, marks: stores.cloudEvents, credentials, clock, logger: createLogger() });
  return { clock, stores, mirror, streams };
}
type Consumer = ReturnType<typeof consumer>;

const upstreamReservation = (accountSid = ACCOUNT_SID) => ({
  accountSid,
  workspaceSid: sid('WS'),
  taskSid: sid('WT'),
  reservationSid: sid('WR'),
  workerSid: sid('WK'),
});
type UpstreamReservation = ReturnType<typeof upstreamReservation>;

/** A TaskRouter CloudEvent as Event Streams delivers it (schema 1): snake_case payload, ISO timestamp. */
function cloudEvent(eventType: string, r: UpstreamReservation, at: string, payload: Record<string, unknown> = {}) {
  return {
    specversion: '1.0',
    type: `com.twilio.taskrouter.${eventType}`,
    source: `/v1/Workspaces/${r.workspaceSid}/Tasks/${r.taskSid}/Reservations/${r.reservationSid}`,
    id: sid('EV'),
    time: at,
    data: {
      account_sid: r.accountSid,
      timestamp: at,
      payload: {
        eventtype: eventType,
        account_sid: r.accountSid,
        timestamp: at,
        workspace_sid: r.workspaceSid,
        task_sid: r.taskSid,
        task_attributes: { type: 'chat' },
        task_age: 1,
        task_priority: 0,
        task_queue_sid: sid('WQ'),
        workflow_sid: sid('WW'),
        worker_sid: r.workerSid,
        worker_name: 'Bob',
        worker_attributes: { contact_uri: 'client:bob' },
        reservation_sid: r.reservationSid,
        ...payload,
      },
    },
  };
}

/** A Kinesis record's data: the JSON (one CloudEvent or an array), base64. */
const record = (content: unknown) => Buffer.from(typeof content === 'string' ? content : JSON.stringify(content)).toString('base64');
let sequence = 0;
const consume = (c: Consumer, content: unknown) => c.streams.consume(record(content), String(++sequence));

async function statusOf(c: Consumer, r: UpstreamReservation) {
  const task = await c.stores.tasks.getTask({ accountSid: r.accountSid, workspaceSid: r.workspaceSid, taskSid: r.taskSid });
  return task && findReservation(task, r.reservationSid)?.status;
}
const marked = (c: Consumer, r: UpstreamReservation, id: string) =>
  c.stores.cloudEvents.applied({ accountSid: r.accountSid, workspaceSid: r.workspaceSid, id });

describe('the Event Streams consumer', () => {
  it('applies each CloudEvent once per id, in one record or across records; the same event under a new id changes nothing', async () => {
    const c = consumer();
    const apply = vi.spyOn(c.mirror, 'apply');
    const r = upstreamReservation();
    const created = cloudEvent('reservation.created', r, '2026-11-24T09:00:00.000Z');
    const accepted = cloudEvent('reservation.accepted', r, '2026-11-24T09:00:01.500Z');
    expect(await consume(c, [created, accepted, accepted])).toEqual(['applied', 'applied', 'duplicate']);
    expect(await consume(c, accepted)).toEqual(['duplicate']);
    expect(await consume(c, [accepted, created])).toEqual(['duplicate', 'duplicate']);
    expect(apply).toHaveBeenCalledTimes(2);
    expect(await statusOf(c, r)).toBe('accepted');
    const task = await c.stores.tasks.getTask(r);
    expect(findReservation(task!, r.reservationSid)?.observedAt).toBe(Date.UTC(2026, 10, 24, 9, 0, 1, 500));
    expect(await marked(c, r, accepted.id)).toBe(true);
    expect(await consume(c, { ...accepted, id: sid('NO') })).toEqual(['already-recorded']);
    expect(apply).toHaveBeenCalledTimes(3);
  });

  it('skips what can never apply: a record that is not JSON, a CloudEvent without its fields, one the mirror refuses; ignores other types', async () => {
    const c = consumer();
    const apply = vi.spyOn(c.mirror, 'apply');
    expect(await consume(c, '{"specversion":"1.0",')).toEqual(['malformed']);
    const r = upstreamReservation();
    const noId = { ...cloudEvent('reservation.created', r, '2026-11-24T09:00:00Z'), id: '' };
    const noWorker = cloudEvent('reservation.created', r, '2026-11-24T09:00:00Z', { worker_sid: null });
    const other = { ...cloudEvent('reservation.created', upstreamReservation(), '2026-11-24T09:00:00Z'), type: 'com.twilio.taskrouter.worker.activity.update' };
    expect(await consume(c, [noId, noWorker, other])).toEqual(['malformed', 'malformed', 'ignored']);
    // Only the one that reached the mirror; refused, it is not marked (nor recorded).
    expect(apply).toHaveBeenCalledTimes(1);
    expect(await marked(c, r, noWorker.id)).toBe(false);
    expect(await statusOf(c, r)).toBeUndefined();
  });

  it('drops another account’s event without applying or marking it', async () => {
    const c = consumer();
    const apply = vi.spyOn(c.mirror, 'apply');
    const foreign = upstreamReservation(sid('AC'));
    const event = cloudEvent('reservation.created', foreign, '2026-11-24T09:00:00Z');
    expect(await consume(c, event)).toEqual(['foreign']);
    expect(apply).not.toHaveBeenCalled();
    expect(await statusOf(c, foreign)).toBeUndefined();
    expect(await marked(c, foreign, event.id)).toBe(false);
  });

  it('throws on a store failure so the record is retried; the retry skips the events already applied and applies the rest', async () => {
    const c = consumer();
    const [a, b] = [upstreamReservation(), upstreamReservation()];
    const events = [cloudEvent('reservation.created', a, '2026-11-24T09:00:00Z'), cloudEvent('reservation.created', b, '2026-11-24T09:00:00Z')];
    const recordReservation = c.stores.tasks.recordReservation.bind(c.stores.tasks);
    vi.spyOn(c.stores.tasks, 'recordReservation').mockImplementation((input: NewReservation, at: number) =>
      input.task.taskSid === b.taskSid ? Promise.reject(new ServiceUnavailableError(1)) : recordReservation(input, at),
    );
    await expect(consume(c, events)).rejects.toThrow(ServiceUnavailableError);
    expect([await statusOf(c, a), await statusOf(c, b)]).toEqual(['pending', undefined]);
    expect(await marked(c, b, events[1]!.id)).toBe(false);
    vi.restoreAllMocks();
    expect(await consume(c, events)).toEqual(['duplicate', 'applied']);
    expect(await statusOf(c, b)).toBe('pending');
  });
});
