/**
 * The reservation API as an agent desktop uses it: the official twilio SDK against `npm start`'s
 * stack, every response checked against Twilio's OpenAPI schemas.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '#lib/local/server.ts';
import { assign, basicAuth, postCallback, sid, startStack, twilioClient, type CallbackFixture } from '../support/fixtures.ts';
import { RESERVATION_KEYS, SCHEMAS, assertSchema, schemaKeys } from '../support/openapi.ts';

let stack: LocalStack;
let client: ReturnType<typeof twilioClient>;

beforeAll(async () => {
  stack = await startStack();
  client = twilioClient(stack);
});
afterAll(() => stack.close());

const taskReservation = (a: CallbackFixture, reservationSid = a.reservationSid) =>
  client.taskrouter.v1.workspaces(a.workspaceSid).tasks(a.taskSid).reservations(reservationSid);
const workerReservation = (a: CallbackFixture, reservationSid = a.reservationSid) =>
  client.taskrouter.v1.workspaces(a.workspaceSid).workers(a.workerSid).reservations(reservationSid);

async function getJson(path: string) {
  const response = await fetch(`${stack.url}${path}`, { headers: basicAuth() });
  return { response, body: (await response.json()) as Record<string, unknown> };
}

describe('an assignment callback', () => {
  it('answers 200 application/json {} and records a pending reservation', async () => {
    const fixture = (await import('../support/fixtures.ts')).callback();
    const response = await postCallback(stack, fixture.params);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({});
    const reservation = await taskReservation(fixture).fetch();
    expect(reservation).toMatchObject({
      sid: fixture.reservationSid,
      accountSid: fixture.accountSid,
      workspaceSid: fixture.workspaceSid,
      taskSid: fixture.taskSid,
      workerSid: fixture.workerSid,
      workerName: 'Doug',
      reservationStatus: 'pending',
    });
  });

  it('is idempotent: a repeat gets the same answer and changes nothing', async () => {
    const a = await assign(stack);
    const before = await getJson(`/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}/Reservations/${a.reservationSid}`);
    const repeat = await postCallback(stack, { ...a.params, WorkerName: 'Someone else' });
    expect(repeat.status).toBe(200);
    expect(await repeat.json()).toEqual(a.answer);
    const after = await getJson(`/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}/Reservations/${a.reservationSid}`);
    expect(after.body).toEqual(before.body);
    expect(after.response.headers.get('etag')).toBe(before.response.headers.get('etag'));
  });
});

describe('fetching', () => {
  it('returns exactly Twilio’s eleven keys, its date format and absolute URLs, task- and worker-scoped', async () => {
    const a = await assign(stack);
    const base = `${stack.url}/v1/Workspaces/${a.workspaceSid}`;
    const task = await getJson(`/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}/Reservations/${a.reservationSid}`);
    expect(task.response.headers.get('etag')).toBe('"1"');
    expect(Object.keys(task.body)).toEqual(RESERVATION_KEYS);
    assertSchema(SCHEMAS.taskReservation, task.body);
    expect(task.body['date_created']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(task.body['url']).toBe(`${base}/Tasks/${a.taskSid}/Reservations/${a.reservationSid}`);
    expect(task.body['links']).toEqual({ task: `${base}/Tasks/${a.taskSid}`, worker: `${base}/Workers/${a.workerSid}`, workspace: base });

    const worker = await getJson(`/v1/Workspaces/${a.workspaceSid}/Workers/${a.workerSid}/Reservations/${a.reservationSid}`);
    assertSchema(SCHEMAS.workerReservation, worker.body);
    expect(worker.body).toEqual({ ...task.body, url: `${base}/Workers/${a.workerSid}/Reservations/${a.reservationSid}` });
    expect((await workerReservation(a).fetch()).reservationStatus).toBe('pending');
  });

  it('serves the Task and Worker views with every field of their schemas, null where a callback does not tell', async () => {
    const a = await assign(stack, { TaskAge: '30', TaskPriority: '5' });
    const task = await getJson(`/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}`);
    expect(Object.keys(task.body)).toEqual(schemaKeys('taskrouter.v1.workspace.task'));
    assertSchema(SCHEMAS.task, task.body);
    expect(task.body).toMatchObject({ sid: a.taskSid, assignment_status: 'reserved', priority: 5, reason: null, attributes: a.params['TaskAttributes'] });
    expect(task.body['age']).toBeGreaterThanOrEqual(30);
    expect(task.body['timeout']).toBe(86_400);
    for (const key of ['task_queue_entered_date', 'virtual_start_time', 'task_channel_sid', 'task_channel_unique_name', 'addons', 'routing_target']) {
      expect(task.body[key], key).toBeNull();
    }
    // The SDK reads a null date as null; a missing one it would read as the time of the fetch.
    const fetched = await client.taskrouter.v1.workspaces(a.workspaceSid).tasks(a.taskSid).fetch();
    expect(fetched.taskQueueEnteredDate).toBeNull();
    expect(fetched.virtualStartTime).toBeNull();
    const worker = await getJson(`/v1/Workspaces/${a.workspaceSid}/Workers/${a.workerSid}`);
    expect(Object.keys(worker.body)).toEqual(schemaKeys('taskrouter.v1.workspace.worker'));
    assertSchema(SCHEMAS.worker, worker.body);
    // No activity known yet, and the default policy names no available activities.
    expect(worker.body).toMatchObject({
      sid: a.workerSid,
      friendly_name: 'Doug',
      attributes: a.params['WorkerAttributes'],
      activity_sid: null,
      activity_name: null,
      available: null,
    });
  });
});

describe('listing', () => {
  /** One task with five reservations by three workers; the second one accepted. */
  async function busyTask() {
    const first = await assign(stack);
    const workers = [first.workerSid, sid('WK'), sid('WK')];
    const all = [first];
    for (let i = 1; i < 5; i++) {
      all.push(await assign(stack, { WorkspaceSid: first.workspaceSid, TaskSid: first.taskSid, WorkerSid: workers[i % 3]!, TaskAge: '0' }));
    }
    await taskReservation(first, all[1]!.reservationSid).update({ reservationStatus: 'accepted' });
    return { first, all };
  }

  it('lists a task’s reservations in creation order, following next_page_url across pages', async () => {
    const { first, all } = await busyTask();
    const listed = await client.taskrouter.v1.workspaces(first.workspaceSid).tasks(first.taskSid).reservations.list({ pageSize: 2 });
    expect(listed.map((r) => r.sid)).toEqual(all.map((r) => r.reservationSid));
    expect(listed.map((r) => r.reservationStatus)).toEqual(['rescinded', 'accepted', 'rescinded', 'rescinded', 'rescinded']);
  });

  it('applies the ReservationStatus and WorkerSid filters', async () => {
    const { first, all } = await busyTask();
    const reservations = client.taskrouter.v1.workspaces(first.workspaceSid).tasks(first.taskSid).reservations;
    expect((await reservations.list({ reservationStatus: 'accepted' })).map((r) => r.sid)).toEqual([all[1]!.reservationSid]);
    expect((await reservations.list({ reservationStatus: 'pending' })).map((r) => r.sid)).toEqual([]);
    const byWorker = await reservations.list({ workerSid: first.workerSid, pageSize: 1 });
    expect(byWorker.map((r) => r.sid)).toEqual([all[0]!.reservationSid, all[3]!.reservationSid]);
    const both = await reservations.list({ workerSid: first.workerSid, reservationStatus: 'rescinded' });
    expect(both).toHaveLength(2);
  });

  it('gives absolute page URLs that keep the filters, and a previous_page_url that leads back', async () => {
    const { first } = await busyTask();
    const path = `/v1/Workspaces/${first.workspaceSid}/Tasks/${first.taskSid}/Reservations`;
    const page0 = await getJson(`${path}?PageSize=2&ReservationStatus=rescinded`);
    assertSchema(SCHEMAS.taskReservationList, page0.body);
    const meta0 = page0.body['meta'] as Record<string, string | number | null>;
    expect(meta0).toMatchObject({ key: 'reservations', page: 0, page_size: 2, previous_page_url: null });
    expect(meta0['first_page_url']).toBe(`${stack.url}${path}?ReservationStatus=rescinded&PageSize=2&Page=0`);
    expect(String(meta0['next_page_url'])).toMatch(new RegExp(`^${stack.url}${path}\\?ReservationStatus=rescinded&PageSize=2&Page=1&PageToken=PT`));
    const page1 = await getJson(String(meta0['next_page_url']).slice(stack.url.length));
    const meta1 = page1.body['meta'] as Record<string, string | number | null>;
    expect(meta1['page']).toBe(1);
    expect((page1.body['reservations'] as unknown[]).length).toBe(2);
    expect(meta1['next_page_url']).toBeNull();
    const back = await getJson(String(meta1['previous_page_url']).slice(stack.url.length));
    expect(back.body['reservations']).toEqual(page0.body['reservations']);
  });

  it('lists a worker’s reservations across tasks, with the status filter', async () => {
    const a = await assign(stack);
    const b = await assign(stack, { WorkspaceSid: a.workspaceSid, WorkerSid: a.workerSid });
    await taskReservation(b).update({ reservationStatus: 'rejected' });
    const reservations = client.taskrouter.v1.workspaces(a.workspaceSid).workers(a.workerSid).reservations;
    expect((await reservations.list({ pageSize: 1 })).map((r) => [r.sid, r.reservationStatus])).toEqual([
      [a.reservationSid, 'pending'],
      [b.reservationSid, 'rejected'],
    ]);
    expect((await reservations.list({ reservationStatus: 'rejected' })).map((r) => r.sid)).toEqual([b.reservationSid]);
    expect((await reservations.list({ reservationStatus: 'accepted' })).map((r) => r.sid)).toEqual([]);
    const { body } = await getJson(`/v1/Workspaces/${a.workspaceSid}/Workers/${a.workerSid}/Reservations`);
    assertSchema(SCHEMAS.workerReservationList, body);
  });
});

describe('updating', () => {
  it('accepts a pending reservation; the task is assigned; a second accept is a 400 RestException', async () => {
    const a = await assign(stack);
    const accepted = await taskReservation(a).update({ reservationStatus: 'accepted' });
    expect(accepted.reservationStatus).toBe('accepted');
    expect((await getJson(`/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}`)).body['assignment_status']).toBe('assigned');
    const again = taskReservation(a).update({ reservationStatus: 'accepted' });
    await expect(again).rejects.toMatchObject({ status: 400, code: 20001, message: `Reservation ${a.reservationSid} is not currently in a Pending state` });
    await expect(workerReservation(a).update({ reservationStatus: 'rejected' })).rejects.toMatchObject({ status: 400 });
  });

  it('rejects with WorkerActivitySid: the worker moves, the task is pending again', async () => {
    const a = await assign(stack);
    const activity = sid('WA');
    const rejected = await workerReservation(a).update({ reservationStatus: 'rejected', workerActivitySid: activity });
    expect(rejected.reservationStatus).toBe('rejected');
    expect((await getJson(`/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}`)).body['assignment_status']).toBe('pending');
    expect((await getJson(`/v1/Workspaces/${a.workspaceSid}/Workers/${a.workerSid}`)).body['activity_sid']).toBe(activity);
    await expect(taskReservation(a).update({ reservationStatus: 'accepted' })).rejects.toMatchObject({ status: 400 });
  });

  it('honours If-Match: a stale ETag is a 412 and changes nothing; the current one applies', async () => {
    const a = await assign(stack);
    await expect(taskReservation(a).update({ reservationStatus: 'accepted', ifMatch: '"5"' })).rejects.toMatchObject({ status: 412, code: 20412 });
    expect((await taskReservation(a).fetch()).reservationStatus).toBe('pending');
    const accepted = await fetch(`${stack.url}/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}/Reservations/${a.reservationSid}`, {
      method: 'POST',
      headers: { ...basicAuth(), 'If-Match': '"1"', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'ReservationStatus=accepted',
    });
    expect(accepted.status).toBe(200);
    expect(accepted.headers.get('etag')).toBe('"2"');
  });

  it('takes JSON bodies with the same parameter names', async () => {
    const a = await assign(stack);
    const response = await fetch(`${stack.url}/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}/Reservations/${a.reservationSid}`, {
      method: 'POST',
      headers: { ...basicAuth(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ ReservationStatus: 'rejected' }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as Record<string, unknown>)['reservation_status']).toBe('rejected');
  });
});
