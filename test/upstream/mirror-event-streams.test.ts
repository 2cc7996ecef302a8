/**
 * Twilio Event Streams as the mirror's second way in: the translator from CloudEvents to the
 * callback's fields, then the Kinesis consumer driven with Kinesis events of the recorded shape
 * (events/mirror-event-streams.json) against the real store on each engine, faults injected below
 * the SDK.
 */
import { randomBytes } from 'node:crypto';
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig, tableNameOf } from '#lib/config.ts';
import { findReservation } from '#lib/domain/task.ts';
import { localLambdaContext } from '#lib/local/lambda-context.ts';
import { ensureTable } from '#lib/store/table-setup.ts';
import { createRuntime, type Runtime } from '#lib/runtime.ts';
import { createDocumentClient } from '#lib/store/client.ts';
import { MIRRORED_EVENT_TYPES, readCloudEvent, readKinesisData } from '#lib/upstream/upstream-event.ts';
import { mirrorEventStreams } from '#functions/mirror-event-streams.ts';
import { FakeClock } from '../support/clock.ts';
import { ENGINES } from '../support/engines.ts';
import { FaultInjector, boundedHttpHandler } from '../support/faults.ts';
import { ACCOUNT_SID, callback, sid, type CallbackFixture } from '../support/fixtures.ts';

/** A TaskRouter CloudEvent as Event Streams sends it (the reservation page's example, schema 1), for a fixture's reservation. */
function cloudEvent(eventType: string, c: CallbackFixture, at: string, overrides: { id?: string; payload?: Record<string, unknown> } = {}) {
  const eventSid = sid('EV');
  return {
    specversion: '1.0',
    type: `com.twilio.taskrouter.${eventType}`,
    source: `/v1/Workspaces/${c.workspaceSid}/Tasks/${c.taskSid}/Reservations/${c.reservationSid}`,
    id: overrides.id ?? eventSid,
    dataschema: 'https://events-schemas.twilio.com/TaskRouter.WDSEvent/1',
    datacontenttype: 'application/json',
    time: at,
    data: {
      sid: eventSid,
      name: 'ReservationCreated',
      account_sid: c.accountSid,
      timestamp: at,
      level: 'INFO',
      group: eventType.split('.')[0],
      product_name: 'TaskRouter',
      publisher: 'Workspace',
      publisher_metadata: '{}',
      payload_type: 'application/json',
      payload: {
        sid: eventSid,
        eventtype: eventType,
        account_sid: c.accountSid,
        timestamp: at,
        workspace_sid: c.workspaceSid,
        workspace_name: 'Workspace',
        task_sid: c.taskSid,
        task_attributes: c.params['TaskAttributes'],
        task_age: 3,
        task_priority: 1,
        task_assignment_status: 'reserved',
        task_queue_sid: c.params['TaskQueueSid'],
        workflow_sid: c.params['WorkflowSid'],
        worker_sid: c.workerSid,
        worker_activity_sid: `WA${'a'.repeat(32)}`,
        worker_name: 'Doug',
        worker_attributes: c.params['WorkerAttributes'],
        reservation_sid: c.reservationSid,
        task_canceled_reason: eventType === 'task.canceled' ? 'hangup' : null,
        ...overrides.payload,
      },
    },
  };
}

let sequence = 49_659_362_412_584_521_633_461_234_879_234_123_563_218_977_553_926_471_682n;
/** A Kinesis event of the shape Lambda delivers, one record per element (the record's data: that JSON, base64). */
function kinesisEvent(...contents: unknown[]): KinesisStreamEvent {
  return {
    Records: contents.map((content) => {
      const sequenceNumber = String(sequence++);
      const data = Buffer.from(typeof content === 'string' ? content : JSON.stringify(content)).toString('base64');
      return {
        kinesis: { kinesisSchemaVersion: '1.0', partitionKey: 'pk', sequenceNumber, data, approximateArrivalTimestamp: 1_736_935_212.481 },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `shardId-000000000000:${sequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::123456789012:role/consumer',
        awsRegion: 'us-east-1',
        eventSourceARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/twilio-events',
      };
    }),
  };
}

const T0 = Date.UTC(2026, 10, 24, 9, 0, 0);
const iso = (offsetMs: number) => new Date(T0 + offsetMs).toISOString();

describe('a CloudEvent read as the typed upstream event', () => {
  const c = callback();

  it('maps every type the mirror applies, com.twilio.taskrouter.<type> → <type>', () => {
    expect(MIRRORED_EVENT_TYPES.size).toBe(10);
    for (const type of MIRRORED_EVENT_TYPES) {
      const read = readCloudEvent(cloudEvent(type, c, iso(0)));
      expect(read.kind, type).toBe('mirror');
      if (read.kind === 'mirror') expect(read.event.type, type).toBe(type);
    }
  });

  it('reads the snake_case, typed payload: SIDs canonical, attributes as JSON text, the ISO timestamp in epoch ms', () => {
    const event = cloudEvent('reservation.accepted', c, '2026-11-24T09:00:01.234Z', {
      id: 'NO00000000000000000000000001',
      payload: { task_attributes: { type: 'voice' } },
    });
    expect(readCloudEvent(event)).toEqual({
      kind: 'mirror',
      id: 'NO00000000000000000000000001',
      event: {
        type: 'reservation.accepted',
        accountSid: c.accountSid,
        workspaceSid: c.workspaceSid,
        taskSid: c.taskSid,
        reservationSid: c.reservationSid,
        at: Date.UTC(2026, 10, 24, 9, 0, 1, 234),
        workerSid: c.workerSid,
        workerName: 'Doug',
        workerAttributes: c.params['WorkerAttributes'],
        taskAttributes: '{"type":"voice"}',
        taskQueueSid: c.params['TaskQueueSid'],
        workflowSid: c.params['WorkflowSid'],
        taskAge: 3,
        taskPriority: 1,
      },
    });
  });

  it('reads a worker.activity.update as the worker’s move: its worker, its new activity, its time; malformed without either', () => {
    const event = cloudEvent('worker.activity.update', c, '2026-11-24T09:00:01.234Z', { id: 'NO00000000000000000000000002' });
    expect(readCloudEvent(event)).toEqual({
      kind: 'mirror',
      id: 'NO00000000000000000000000002',
      event: {
        type: 'worker.activity.update',
        accountSid: c.accountSid,
        workspaceSid: c.workspaceSid,
        workerSid: c.workerSid,
        activitySid: `WA${'a'.repeat(32)}`,
        at: Date.UTC(2026, 10, 24, 9, 0, 1, 234),
      },
    });
    expect(readCloudEvent(cloudEvent('worker.activity.update', c, iso(0), { payload: { worker_sid: undefined } }))).toEqual({
      kind: 'malformed',
      problem: 'no worker_sid',
    });
    expect(readCloudEvent(cloudEvent('worker.activity.update', c, iso(0), { payload: { worker_activity_sid: 'WA1' } }))).toEqual({
      kind: 'malformed',
      problem: 'no worker_activity_sid',
    });
  });

  it('takes the account from data when the payload lacks it, and a lower-case SID in its canonical form', () => {
    const event = cloudEvent('reservation.created', c, iso(0), { payload: { account_sid: undefined } });
    event.data.account_sid = `AC${c.accountSid.slice(2).toUpperCase()}`;
    expect(readCloudEvent(event)).toMatchObject({ kind: 'mirror', event: { accountSid: c.accountSid } });
  });

  it('ignores other products’ events and the TaskRouter events the mirror does not apply', () => {
    for (const type of [
      'com.twilio.messaging.message.sent',
      'com.twilio.taskrouter.task.created',
      'com.twilio.taskrouter.worker.attributes.update',
      'com.twilio.taskrouter.reservation.failed',
    ]) {
      expect(readCloudEvent({ ...cloudEvent('reservation.created', c, iso(0)), type }), type).toEqual({ kind: 'ignored', type });
    }
  });

  it('names what is wrong with a malformed one, never a value', () => {
    const valid = cloudEvent('reservation.accepted', c, iso(0));
    const cases: [unknown, string][] = [
      [[valid], 'not a JSON object'],
      [{ ...valid, type: 7 }, 'no CloudEvent type'],
      [{ ...valid, id: '' }, 'no CloudEvent id'],
      [{ ...valid, id: 'x'.repeat(129) }, 'no CloudEvent id'],
      [{ ...valid, data: { ...valid.data, payload: '{}' } }, 'no data.payload'],
      [cloudEvent('reservation.accepted', c, iso(0), { payload: { account_sid: 'nope' } }), 'no account_sid'],
      [cloudEvent('reservation.accepted', c, iso(0), { payload: { workspace_sid: null } }), 'no workspace_sid'],
      [cloudEvent('reservation.accepted', c, iso(0), { payload: { task_sid: 'WT1' } }), 'no task_sid'],
      [cloudEvent('reservation.accepted', c, iso(0), { payload: { reservation_sid: undefined } }), 'no reservation_sid'],
      [
        cloudEvent('reservation.accepted', c, iso(0), { payload: { eventtype: 'reservation.rejected' } }),
        'data.payload.eventtype differs from the CloudEvent type',
      ],
    ];
    for (const [event, problem] of cases) expect(readCloudEvent(event)).toEqual({ kind: 'malformed', problem });
  });

  it('reads a Kinesis record holding one CloudEvent or an array of them, and refuses one that is not JSON', () => {
    const one = cloudEvent('reservation.created', c, iso(0));
    const base64 = (value: string) => Buffer.from(value).toString('base64');
    expect(readKinesisData(base64(JSON.stringify(one)))).toEqual({ events: [one] });
    expect(readKinesisData(base64(JSON.stringify([one, one])))).toEqual({ events: [one, one] });
    expect(readKinesisData(base64('{"specversion":'))).toEqual({ problem: 'the record is not JSON' });
  });
});

describe.each(ENGINES)('the Event Streams consumer on $name', (engine) => {
  const clock = new FakeClock(T0 + 60_000);
  const faults = new FaultInjector();
  let stop: () => Promise<void>;
  let runtime: Runtime;
  let standalone: Runtime;

  beforeAll(async () => {
    const running = await engine.start();
    stop = running.stop;
    const env = { DYNAMODB_ENDPOINT: running.endpoint, TABLE_NAME: `streams${randomBytes(4).toString('hex')}` };
    const config = loadConfig({ ...env, TASKROUTER_UPSTREAM_URL: 'http://127.0.0.1:9' }, 'local');
    await ensureTable(running.endpoint, tableNameOf(config));
    const parts = { clock, scheduler: { schedule: async () => undefined } };
    runtime = createRuntime(config, {
      ...parts,
      documentClient: createDocumentClient({ endpoint: running.endpoint, handler: faults.wrap(boundedHttpHandler()) }),
    });
    standalone = createRuntime(loadConfig(env, 'local'), parts);
  });
  afterEach(() => {
    faults.reset();
    vi.restoreAllMocks();
  });
  afterAll(async () => {
    runtime.close();
    standalone.close();
    await stop();
  });

  const consume = (event: KinesisStreamEvent, on = runtime) => mirrorEventStreams.createHandler(on)(event, localLambdaContext('mirror-event-streams', 60));
  const statusOf = async (c: CallbackFixture) => {
    const task = await runtime.stores.tasks.getTask({ accountSid: c.accountSid, workspaceSid: c.workspaceSid, taskSid: c.taskSid });
    return task && findReservation(task, c.reservationSid)?.status;
  };

  it('an accepted CloudEvent makes the pending reservation read accepted', async () => {
    const c = callback();
    expect(await consume(kinesisEvent(cloudEvent('reservation.created', c, iso(0))))).toEqual({ batchItemFailures: [] });
    expect(await statusOf(c)).toBe('pending');
    expect(await consume(kinesisEvent(cloudEvent('reservation.accepted', c, iso(1000))))).toEqual({ batchItemFailures: [] });
    expect(await statusOf(c)).toBe('accepted');
  });

  it('applies a CloudEvent delivered twice (the same id) once, in one batch or two', async () => {
    const c = callback();
    const apply = vi.spyOn(runtime.upstream!.mirror, 'apply');
    const created = cloudEvent('reservation.created', c, iso(0));
    const accepted = cloudEvent('reservation.accepted', c, iso(1000));
    expect(await consume(kinesisEvent(created, accepted, accepted))).toEqual({ batchItemFailures: [] });
    expect(await consume(kinesisEvent([accepted, created]))).toEqual({ batchItemFailures: [] });
    expect(apply).toHaveBeenCalledTimes(2);
    expect(await statusOf(c)).toBe('accepted');
    // A new delivery of the same event under another id is applied, and changes nothing.
    expect(await consume(kinesisEvent({ ...accepted, id: sid('NO') }))).toEqual({ batchItemFailures: [] });
    expect(apply).toHaveBeenCalledTimes(3);
    await expect(apply.mock.results[2]!.value).resolves.toBe('already-recorded');
  });

  it('ends right when accepted arrives before created', async () => {
    const c = callback();
    expect(await consume(kinesisEvent(cloudEvent('reservation.accepted', c, iso(1000)), cloudEvent('reservation.created', c, iso(0))))).toEqual({
      batchItemFailures: [],
    });
    expect(await statusOf(c)).toBe('accepted');
  });

  it('reports the record whose store calls failed alone; the others are applied, and the retry applies it', async () => {
    const [a, b, d] = [callback(), callback(), callback()];
    const event = kinesisEvent(
      cloudEvent('reservation.created', a, iso(0)),
      cloudEvent('reservation.created', b, iso(0)),
      cloudEvent('reservation.created', d, iso(0)),
    );
    faults.plan((call) => (call.body.includes(b.taskSid) ? 'unavailable' : undefined));
    expect(await consume(event)).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[1]!.kinesis.sequenceNumber }] });
    expect(faults.injected).toBeGreaterThan(0);
    faults.reset();
    expect([await statusOf(a), await statusOf(b), await statusOf(d)]).toEqual(['pending', undefined, 'pending']);
    expect(await consume({ Records: [event.Records[1]!] })).toEqual({ batchItemFailures: [] });
    expect(await statusOf(b)).toBe('pending');
  });

  it('drops an event of an account this deployment does not serve, and skips what can never apply', async () => {
    const foreign = callback({ AccountSid: sid('AC') });
    const apply = vi.spyOn(runtime.upstream!.mirror, 'apply');
    const noWorker = callback();
    const event = kinesisEvent(
      cloudEvent('reservation.created', foreign, iso(0)),
      '{"specversion":"1.0",',
      cloudEvent('reservation.created', noWorker, iso(0), { payload: { worker_sid: null } }),
      { ...cloudEvent('reservation.created', callback(), iso(0)), type: 'com.twilio.taskrouter.worker.attributes.update' },
    );
    expect(await consume(event)).toEqual({ batchItemFailures: [] });
    expect(apply).toHaveBeenCalledTimes(1);
    expect(
      await runtime.stores.tasks.getTask({ accountSid: foreign.accountSid, workspaceSid: foreign.workspaceSid, taskSid: foreign.taskSid }),
    ).toBeUndefined();
    expect(await statusOf(noWorker)).toBeUndefined();
    expect(foreign.accountSid).not.toBe(ACCOUNT_SID);
  });

  it('standalone, applies nothing', async () => {
    const c = callback();
    expect(await consume(kinesisEvent(cloudEvent('reservation.created', c, iso(0))), standalone)).toEqual({ standalone: true });
    expect(await statusOf(c)).toBeUndefined();
  });
});
