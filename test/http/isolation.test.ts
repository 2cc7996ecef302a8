/**
 * Accounts are isolated in storage, not only in the API: a second account serving on the same
 * deployment, with its own valid token and knowing the first account's SIDs, can neither change,
 * hide nor read the first account's records, through signed callbacks included. Each test is one
 * defect the security review reproduced.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '#lib/local/server.ts';
import { ACCOUNT_SID, assign, basicAuth, callback, postCallback, sid, startStack, type CallbackFixture } from '../support/fixtures.ts';

const B = `AC${'b0'.repeat(16)}`;
const B_TOKEN = 'account-b-token-91d2';
const asB = basicAuth(B, B_TOKEN);
const POLICY = join(import.meta.dirname, '..', '..', 'policies', 'voice-conference.json');

let stack: LocalStack;
beforeAll(async () => {
  stack = await startStack({ TWILIO_ACCOUNTS: `${B}:${B_TOKEN}`, ASSIGNMENT_POLICY: POLICY });
});
afterAll(() => stack.close());

async function get(path: string, auth = basicAuth()) {
  const response = await fetch(`${stack.url}${path}`, { headers: auth });
  return { status: response.status, etag: response.headers.get('etag'), body: (await response.json()) as Record<string, unknown> };
}
async function post(path: string, params: Record<string, string>, auth = basicAuth()) {
  const response = await fetch(`${stack.url}${path}`, {
    method: 'POST',
    headers: { ...auth, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
const paths = (a: CallbackFixture) => ({
  task: `/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}/Reservations/${a.reservationSid}`,
  worker: `/v1/Workspaces/${a.workspaceSid}/Workers/${a.workerSid}/Reservations/${a.reservationSid}`,
  workerList: `/v1/Workspaces/${a.workspaceSid}/Workers/${a.workerSid}/Reservations`,
  workerView: `/v1/Workspaces/${a.workspaceSid}/Workers/${a.workerSid}`,
  taskView: `/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}`,
});
/** What account A sees of its reservation, worker and task. */
async function viewOf(a: CallbackFixture) {
  const p = paths(a);
  const taskView = await get(p.taskView);
  delete taskView.body['age'];
  return { task: await get(p.task), worker: await get(p.worker), workerList: await get(p.workerList), workerView: await get(p.workerView), taskView };
}
const chat = JSON.stringify({ type: 'chat' });

describe('a second account knowing the first one’s SIDs', () => {
  it('cannot take over A’s worker-scoped reservation by naming its worker and reservation (defect 1)', async () => {
    const a = await assign(stack, { TaskAttributes: chat });
    const before = await viewOf(a);
    const b = await assign(stack, { AccountSid: B, TaskAttributes: chat, WorkerSid: a.workerSid, ReservationSid: a.reservationSid }, { token: B_TOKEN });
    expect(b.answer).toEqual({});
    expect(await viewOf(a)).toEqual(before);
    expect(before.worker.status).toBe(200);
    expect((before.workerList.body['reservations'] as unknown[]).length).toBe(1);
    // A's desktop can still act on it, worker-scoped.
    const accepted = await post(paths(a).worker, { ReservationStatus: 'accepted' });
    expect(accepted).toMatchObject({ status: 200, body: { reservation_status: 'accepted', account_sid: ACCOUNT_SID } });
  });

  it('gets its own answer, never A’s, for a callback replaying A’s task, reservation and worker; A’s worker keeps its attributes (defect 2)', async () => {
    const a = await assign(stack, { TaskAttributes: JSON.stringify({ type: 'voice', from: '+15551234567' }) });
    expect(a.answer).toMatchObject({ instruction: 'conference', from: '+15551234567' });
    const before = await viewOf(a);
    for (const workspaceSid of [a.workspaceSid, sid('WS')]) {
      const replay = await postCallback(
        stack,
        { ...a.params, AccountSid: B, WorkspaceSid: workspaceSid, TaskAttributes: chat, WorkerAttributes: JSON.stringify({ contact_uri: 'client:bob' }) },
        { token: B_TOKEN },
      );
      expect(replay.status).toBe(200);
      const answer = await replay.text();
      expect(answer).toBe('{}');
      expect(answer).not.toContain('+15551234567');
    }
    expect(await viewOf(a)).toEqual(before);
    expect(JSON.parse(before.workerView.body['attributes'] as string)).toMatchObject({ contact_uri: 'client:doug' });
  });

  it('neither hides, reveals nor rewrites A’s worker, and learns nothing of A’s task (defect 3)', async () => {
    const activity = `WA${'a1'.repeat(16)}`;
    const a = await assign(stack, { TaskAttributes: chat });
    await post(paths(a).task, { ReservationStatus: 'rejected', WorkerActivitySid: activity });
    const before = await viewOf(a);
    expect(before.workerView.body['activity_sid']).toBe(activity);

    // B names A's worker (newer than A's link), then rejects with its own activity.
    const b = await assign(
      stack,
      { AccountSid: B, WorkspaceSid: a.workspaceSid, TaskAttributes: chat, WorkerSid: a.workerSid, WorkerName: 'Mallory' },
      { token: B_TOKEN },
    );
    expect((await post(paths(b).task, { ReservationStatus: 'rejected', WorkerActivitySid: `WA${'b2'.repeat(16)}` }, asB)).status).toBe(200);
    // B names A's task: recorded under B, no hint that A has one.
    const c = await postCallback(stack, callback({ AccountSid: B, WorkspaceSid: a.workspaceSid, TaskSid: a.taskSid, TaskAttributes: chat }).params, {
      token: B_TOKEN,
    });
    expect(c.status).toBe(200);
    expect(await c.text()).not.toMatch(/belongs to another/);

    expect(await viewOf(a)).toEqual(before);
    const theirs = await get(paths(a).workerView, asB);
    expect(theirs.body).toMatchObject({ account_sid: B, friendly_name: 'Mallory', activity_sid: `WA${'b2'.repeat(16)}` });
    const theirList = (await get(paths(a).workerList, asB)).body['reservations'] as Record<string, unknown>[];
    expect(theirList.map((r) => [r['account_sid'], r['sid']])).toEqual([[B, b.reservationSid]]);
  });

  it('lists only its own tasks in the Task list of a workspace SID they share', async () => {
    const a = await assign(stack, { TaskAttributes: chat });
    const b = await assign(stack, { AccountSid: B, TaskAttributes: chat, WorkspaceSid: a.workspaceSid }, { token: B_TOKEN });
    const tasksOf = async (auth: Record<string, string>) =>
      ((await get(`/v1/Workspaces/${a.workspaceSid}/Tasks`, auth)).body['tasks'] as Record<string, unknown>[]).map((t) => [t['account_sid'], t['sid']]);
    expect(await tasksOf(basicAuth())).toEqual([[ACCOUNT_SID, a.taskSid]]);
    expect(await tasksOf(asB)).toEqual([[B, b.taskSid]]);
  });

  it('lists only its own workers in the Worker list of a workspace SID they share, a worker SID they share under its own name', async () => {
    const a = await assign(stack, { TaskAttributes: chat });
    await assign(
      stack,
      { AccountSid: B, TaskAttributes: chat, WorkspaceSid: a.workspaceSid, WorkerSid: a.workerSid, WorkerName: 'Mallory' },
      { token: B_TOKEN },
    );
    const workersOf = async (auth: Record<string, string>) =>
      ((await get(`/v1/Workspaces/${a.workspaceSid}/Workers`, auth)).body['workers'] as Record<string, unknown>[]).map((w) => [
        w['account_sid'],
        w['sid'],
        w['friendly_name'],
      ]);
    expect(await workersOf(basicAuth())).toEqual([[ACCOUNT_SID, a.workerSid, 'Doug']]);
    expect(await workersOf(asB)).toEqual([[B, a.workerSid, 'Mallory']]);
  });
});
