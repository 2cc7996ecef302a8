/**
 * Events on `npm start` itself (a child process, as a user runs it) with EVENT_CALLBACK_URL
 * pointing at a local receiver: the common sequences (a completed task, a rescind, the last
 * rejection, a timeout), each event once with a valid signature, and the same sequences listed by
 * the twilio SDK.
 */
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AUTH_TOKEN } from '#lib/config.ts';
import { callback, sid, twilioClient } from '../support/fixtures.ts';
import { npmStart, type StartedProcess } from '../support/npm-start.ts';
import { receiver, until } from '../support/receiver.ts';

let r: Awaited<ReturnType<typeof receiver>>;
let started: StartedProcess;
let url: string;
let client: ReturnType<typeof twilioClient>;

beforeAll(async () => {
  r = await receiver();
  started = npmStart({ EVENT_CALLBACK_URL: r.url });
  url = await started.listening;
  client = twilioClient({ url } as never);
}, 60_000);
afterAll(async () => {
  await started.stop();
  await r.close();
});

const auth = { Authorization: `Basic ${Buffer.from(`${callback().accountSid}:${LOCAL_AUTH_TOKEN}`).toString('base64')}` };

async function post(path: string, params: Record<string, string>, query = '') {
  const target = `${url}${path}${query}`;
  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
  if (path === '/assignment-callback') headers['X-Twilio-Signature'] = twilio.getExpectedTwilioSignature(LOCAL_AUTH_TOKEN, target, params);
  else Object.assign(headers, auth);
  const response = await fetch(target, { method: 'POST', headers, body: new URLSearchParams(params) });
  expect(response.status, `${path}: ${await response.clone().text()}`).toBe(200);
  return response;
}

/** The events the receiver got for a task, in order of arrival, every signature checked. */
function receivedFor(taskSid: string): string[] {
  const mine = r.received.filter((x) => x.params['TaskSid'] === taskSid || x.params['ResourceSid'] === taskSid);
  for (const x of mine) expect(twilio.validateRequest(LOCAL_AUTH_TOKEN, x.signature, r.url, x.params), x.params['EventType']).toBe(true);
  return mine.map((x) => x.params['EventType']!);
}
const sorted = (list: readonly string[]) => [...list].sort();

describe('npm start with EVENT_CALLBACK_URL', () => {
  it('callback → accept → wrapping → completed: six events, each once, signed; events.list({ taskSid }) lists them in order', async () => {
    const c = callback();
    await post('/assignment-callback', c.params);
    const path = `/v1/Workspaces/${c.workspaceSid}/Tasks/${c.taskSid}/Reservations/${c.reservationSid}`;
    for (const status of ['accepted', 'wrapping', 'completed']) await post(path, { ReservationStatus: status });
    const expected = ['reservation.created', 'reservation.accepted', 'reservation.wrapup', 'task.wrapup', 'reservation.completed', 'task.completed'];
    await until(() => receivedFor(c.taskSid).length >= 6, 'six callbacks');
    expect(sorted(receivedFor(c.taskSid))).toEqual(sorted(expected));
    expect((await client.taskrouter.v1.workspaces(c.workspaceSid).events.list({ taskSid: c.taskSid })).map((e) => e.eventType)).toEqual(expected);
  });

  it('two reservations of one task, one accepted: one reservation.rescinded', async () => {
    const first = callback();
    const second = callback({ WorkspaceSid: first.workspaceSid, TaskSid: first.taskSid });
    await post('/assignment-callback', first.params);
    await post('/assignment-callback', second.params);
    await post(`/v1/Workspaces/${first.workspaceSid}/Tasks/${first.taskSid}/Reservations/${first.reservationSid}`, { ReservationStatus: 'accepted' });
    await until(() => receivedFor(first.taskSid).length >= 4, 'four callbacks');
    expect(sorted(receivedFor(first.taskSid))).toEqual(sorted(['reservation.created', 'reservation.created', 'reservation.accepted', 'reservation.rescinded']));
    const rescinded = await client.taskrouter.v1.workspaces(first.workspaceSid).events.list({ taskSid: first.taskSid, eventType: 'reservation.rescinded' });
    expect(rescinded.map((e) => e.resourceSid)).toEqual([second.reservationSid]);
  });

  it('ten rejections: ten reservation.rejected and one task.canceled', async () => {
    const task = { WorkspaceSid: sid('WS'), TaskSid: sid('WT') };
    for (let i = 0; i < 10; i++) {
      const c = callback(task);
      await post('/assignment-callback', c.params);
      await post(`/v1/Workspaces/${task.WorkspaceSid}/Tasks/${task.TaskSid}/Reservations/${c.reservationSid}`, { ReservationStatus: 'rejected' });
    }
    await until(() => receivedFor(task.TaskSid).length >= 21, 'twenty-one callbacks');
    const got = receivedFor(task.TaskSid).filter((t) => t !== 'reservation.created');
    expect(sorted(got)).toEqual(sorted([...Array<string>(10).fill('reservation.rejected'), 'task.canceled']));
    const listed = await client.taskrouter.v1.workspaces(task.WorkspaceSid).events.list({ taskSid: task.TaskSid, eventType: 'task.canceled' });
    expect(listed.map((e) => e.eventData['task_canceled_reason'])).toEqual(['Task canceled after 10 rejected reservations (maximum 10)']);
  });

  it('a 2-second reservation: one reservation.timeout, within 3 s of its deadline', async () => {
    const c = callback();
    await post('/assignment-callback', c.params, '?ReservationTimeout=2');
    const deadline = Date.now() + 2000;
    await until(() => receivedFor(c.taskSid).includes('reservation.timeout'), 'the timeout callback', 10_000);
    const timeout = r.received.find((x) => x.params['TaskSid'] === c.taskSid && x.params['EventType'] === 'reservation.timeout')!;
    expect(timeout.at).toBeLessThanOrEqual(deadline + 3000);
    expect(receivedFor(c.taskSid)).toEqual(['reservation.created', 'reservation.timeout']);
    const listed = await client.taskrouter.v1.workspaces(c.workspaceSid).events.list({ reservationSid: c.reservationSid });
    expect(listed.map((e) => e.eventType)).toEqual(['reservation.created', 'reservation.timeout']);
  });
});
