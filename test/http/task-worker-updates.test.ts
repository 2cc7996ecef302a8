/**
 * Task and Worker updates through the twilio SDK against the local stack (no lifecycle rules):
 * TaskRouter's rules for each field, its error codes and messages, If-Match, and the events each
 * update produces, exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '#lib/local/server.ts';
import { assign, basicAuth, sid, startStack, twilioClient, type CallbackFixture } from '../support/fixtures.ts';

let stack: LocalStack;
let client: ReturnType<typeof twilioClient>;
beforeAll(async () => {
  stack = await startStack();
  client = twilioClient(stack);
});
afterAll(() => stack.close());

const workspace = (a: CallbackFixture) => client.taskrouter.v1.workspaces(a.workspaceSid);
const taskOf = (a: CallbackFixture) => workspace(a).tasks(a.taskSid);
const workerOf = (a: CallbackFixture) => workspace(a).workers(a.workerSid);
const reservationOf = (a: CallbackFixture) => taskOf(a).reservations(a.reservationSid);
/** More reservations of the same task, for other workers. */
const sibling = (a: CallbackFixture) => assign(stack, { WorkspaceSid: a.workspaceSid, TaskSid: a.taskSid });

/** The types of a workspace's events about `sid` (a task, reservation or worker), oldest first. */
async function eventTypes(a: CallbackFixture, filter: { taskSid?: string; workerSid?: string; reservationSid?: string }) {
  const events = await workspace(a).events.list({ ...filter, limit: 200 });
  return events.map((e) => e.eventType).reverse();
}

async function raw(path: string, init: RequestInit = {}) {
  const response = await fetch(`${stack.url}${path}`, { ...init, headers: { ...basicAuth(), ...(init.headers ?? {}) } });
  return { status: response.status, etag: response.headers.get('etag'), body: (await response.json()) as Record<string, unknown> };
}
const form = (params: Record<string, string>, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(params),
});
const taskPath = (a: CallbackFixture) => `/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}`;
const workerPath = (a: CallbackFixture) => `/v1/Workspaces/${a.workspaceSid}/Workers/${a.workerSid}`;

describe('Task updates', () => {
  it('completes an assigned task through its accepted reservation: one reservation.completed and one task.completed', async () => {
    const a = await assign(stack);
    await reservationOf(a).update({ reservationStatus: 'accepted' });
    const completed = await taskOf(a).update({ assignmentStatus: 'completed', reason: 'call ended' });
    expect(completed).toMatchObject({ assignmentStatus: 'completed', reason: 'call ended', sid: a.taskSid });
    expect((await reservationOf(a).fetch()).reservationStatus).toBe('completed');
    await expect(taskOf(a).update({ assignmentStatus: 'completed', reason: 'again' })).rejects.toMatchObject({
      status: 400,
      code: 20001,
      message: `Cannot complete a task ${a.taskSid} in workspace ${a.workspaceSid} for account ${a.accountSid} because it's not currently assigned or wrapping`,
    });
    const types = await eventTypes(a, { taskSid: a.taskSid });
    expect(types.filter((t) => t === 'reservation.completed')).toHaveLength(1);
    expect(types.filter((t) => t === 'task.completed')).toHaveLength(1);
  });

  it('wraps up an assigned task, then completes it; completing a pending task is refused as TaskRouter does', async () => {
    const a = await assign(stack);
    await expect(taskOf(a).update({ assignmentStatus: 'completed', reason: 'x' })).rejects.toMatchObject({ status: 400, code: 20001 });
    await reservationOf(a).update({ reservationStatus: 'accepted' });
    expect(await taskOf(a).update({ assignmentStatus: 'wrapping' })).toMatchObject({ assignmentStatus: 'wrapping' });
    expect((await reservationOf(a).fetch()).reservationStatus).toBe('wrapping');
    expect(await taskOf(a).update({ assignmentStatus: 'completed', reason: 'notes written' })).toMatchObject({ assignmentStatus: 'completed' });
    expect(await eventTypes(a, { taskSid: a.taskSid })).toEqual(
      expect.arrayContaining(['reservation.wrapup', 'task.wrapup', 'reservation.completed', 'task.completed']),
    );
  });

  it('wraps up with a reason, as the Worker SDK’s wrapUp({ reason }) sends it: the task’s reason while it wraps up, the completion’s after', async () => {
    const a = await assign(stack);
    await reservationOf(a).update({ reservationStatus: 'accepted' });
    expect(await taskOf(a).update({ assignmentStatus: 'wrapping', reason: 'conference ended' })).toMatchObject({
      assignmentStatus: 'wrapping',
      reason: 'conference ended',
    });
    expect(await taskOf(a).fetch()).toMatchObject({ assignmentStatus: 'wrapping', reason: 'conference ended' });
    expect(await taskOf(a).update({ assignmentStatus: 'completed', reason: 'notes written' })).toMatchObject({ reason: 'notes written' });
    // Without one (a blank one is none), a wrap-up has no reason.
    const b = await assign(stack);
    await reservationOf(b).update({ reservationStatus: 'accepted' });
    expect(await taskOf(b).update({ assignmentStatus: 'wrapping', reason: ' ' })).toMatchObject({ assignmentStatus: 'wrapping', reason: null });
  });

  it('cancels a reserved task with a reason: its pending reservations read canceled, and cannot be accepted', async () => {
    const a = await assign(stack);
    const b = await sibling(a);
    const canceled = await taskOf(a).update({ assignmentStatus: 'canceled', reason: 'caller hung up' });
    expect(canceled).toMatchObject({ assignmentStatus: 'canceled', reason: 'caller hung up' });
    for (const r of [a, b]) expect((await reservationOf(r).fetch()).reservationStatus).toBe('canceled');
    await expect(reservationOf(b).update({ reservationStatus: 'accepted' })).rejects.toMatchObject({ status: 400 });
    const types = await eventTypes(a, { taskSid: a.taskSid });
    expect(types.filter((t) => t === 'task.canceled')).toHaveLength(1);
    expect(types.filter((t) => t === 'reservation.canceled')).toHaveLength(2);
    await expect(taskOf(a).update({ assignmentStatus: 'canceled', reason: 'again' })).rejects.toMatchObject({
      status: 400,
      message: `Cannot cancel task ${a.taskSid} in workspace ${a.workspaceSid} for account ${a.accountSid} because it is not pending or reserved.`,
    });
  });

  it('cancels and sets attributes and priority in one update, as TaskRouter takes them: task.canceled and task.updated once each', async () => {
    const a = await assign(stack);
    const canceled = await taskOf(a).update({
      assignmentStatus: 'canceled',
      reason: 'caller left a voicemail',
      attributes: JSON.stringify({ voicemail: true }),
      priority: 7,
    });
    expect(canceled).toMatchObject({ assignmentStatus: 'canceled', reason: 'caller left a voicemail', attributes: '{"voicemail":true}', priority: 7 });
    expect(await taskOf(a).fetch()).toMatchObject({ assignmentStatus: 'canceled', attributes: '{"voicemail":true}', priority: 7 });
    expect((await reservationOf(a).fetch()).reservationStatus).toBe('canceled');
    const types = await eventTypes(a, { taskSid: a.taskSid });
    expect(types.filter((t) => t === 'task.canceled')).toHaveLength(1);
    expect(types.filter((t) => t === 'task.updated')).toHaveLength(1);
  });

  it('wraps up and completes with attributes and priority in the same update: the transition and task.updated, once each', async () => {
    const a = await assign(stack);
    await reservationOf(a).update({ reservationStatus: 'accepted' });
    const wrapping = await taskOf(a).update({ assignmentStatus: 'wrapping', attributes: JSON.stringify({ notes: 'callback' }) });
    expect(wrapping).toMatchObject({ assignmentStatus: 'wrapping', attributes: '{"notes":"callback"}', priority: 1 });
    const completed = await taskOf(a).update({
      assignmentStatus: 'completed',
      reason: 'resolved',
      attributes: JSON.stringify({ outcome: 'sale' }),
      priority: 9,
    });
    expect(completed).toMatchObject({ assignmentStatus: 'completed', reason: 'resolved', attributes: '{"outcome":"sale"}', priority: 9 });
    expect((await reservationOf(a).fetch()).reservationStatus).toBe('completed');
    const types = await eventTypes(a, { taskSid: a.taskSid });
    expect(types.filter((t) => t === 'task.updated')).toHaveLength(2);
    expect(types.filter((t) => t === 'task.wrapup')).toHaveLength(1);
    expect(types.filter((t) => t === 'task.completed')).toHaveLength(1);
    // A refused transition changes nothing, its attributes included.
    await expect(taskOf(a).update({ assignmentStatus: 'completed', reason: 'again', attributes: '{"x":1}' })).rejects.toMatchObject({ status: 400 });
    expect((await taskOf(a).fetch()).attributes).toBe('{"outcome":"sale"}');
  });

  it('changes attributes and priority with If-Match: the ETag of the GET, 412 on a stale one, task.updated each time', async () => {
    const a = await assign(stack);
    const before = await raw(taskPath(a));
    expect(before.etag).toMatch(/^"\d+"$/);
    const updated = await taskOf(a).update({ attributes: JSON.stringify({ type: 'voice', note: 'vip' }), priority: 5, ifMatch: before.etag! });
    expect(updated).toMatchObject({ attributes: '{"type":"voice","note":"vip"}', priority: 5, assignmentStatus: 'reserved' });
    await expect(taskOf(a).update({ priority: 6, ifMatch: before.etag! })).rejects.toMatchObject({ status: 412 });
    const after = await raw(taskPath(a));
    expect(after.etag).not.toBe(before.etag);
    expect(after.body).toMatchObject({ priority: 5 });
    expect((await eventTypes(a, { taskSid: a.taskSid })).filter((t) => t === 'task.updated')).toHaveLength(1);
  });

  it('refuses bad input with Twilio error JSON and changes nothing', async () => {
    const a = await assign(stack);
    const before = await raw(taskPath(a));
    const cases: Record<string, string>[] = [
      { AssignmentStatus: 'finished' },
      { AssignmentStatus: 'canceled', Reason: 'x'.repeat(1025) },
      { AssignmentStatus: 'canceled' },
      { Attributes: '[1,2]' },
      { Attributes: '{not json' },
      { Priority: '-1' },
      { Priority: 'high' },
      { Reason: 'without a status' },
      { AssignmentStatus: 'completed', Priority: '3' },
      { AssignmentStatus: 'wrapping', Attributes: '[1]' },
    ];
    for (const params of cases) {
      const response = await raw(taskPath(a), form(params));
      expect(response.status, JSON.stringify(params)).toBe(400);
      expect(response.body).toMatchObject({ status: 400, code: expect.any(Number), message: expect.any(String), more_info: expect.any(String) });
    }
    expect(await raw(taskPath(a))).toEqual(before);
  });

  it('finds no task of another account or workspace: 404, and the task is untouched', async () => {
    const a = await assign(stack);
    const other = twilioClient(stack, `AC${'9'.repeat(32)}`);
    await expect(other.taskrouter.v1.workspaces(a.workspaceSid).tasks(a.taskSid).update({ priority: 3 })).rejects.toMatchObject({ status: 401 });
    await expect(client.taskrouter.v1.workspaces(sid('WS')).tasks(a.taskSid).update({ priority: 3 })).rejects.toMatchObject({ status: 404, code: 20404 });
    expect((await taskOf(a).fetch()).priority).toBe(1);
  });
});

describe('Worker updates', () => {
  it('moves a worker and renames it: worker.activity.update with where it was, worker.attributes.update for new attributes', async () => {
    const a = await assign(stack);
    const busy = sid('WA');
    const moved = await workerOf(a).update({ activitySid: busy, friendlyName: 'Doug R.', attributes: JSON.stringify({ skills: ['sales'] }) });
    expect(moved).toMatchObject({ activitySid: busy, friendlyName: 'Doug R.', attributes: '{"skills":["sales"]}' });
    const offline = sid('WA');
    await workerOf(a).update({ activitySid: offline });
    expect((await workerOf(a).fetch()).activitySid).toBe(offline);
    const events = (await workspace(a).events.list({ workerSid: a.workerSid, limit: 50 })).reverse();
    const moves = events.filter((e) => e.eventType === 'worker.activity.update');
    expect(moves).toHaveLength(2);
    const second = moves.find((e) => (e.eventData as Record<string, unknown>)['worker_activity_sid'] === offline);
    expect(second!.eventData).toMatchObject({ worker_previous_activity_sid: busy, worker_time_in_previous_activity: expect.any(String) });
    expect(events.filter((e) => e.eventType === 'worker.attributes.update')).toHaveLength(1);
  });

  it('links to Twilio’s resources of a worker that this service serves, each of which answers', async () => {
    const a = await assign(stack);
    const { links } = await workerOf(a).fetch();
    expect(Object.keys(links).sort()).toEqual([
      'cumulative_statistics',
      'real_time_statistics',
      'reservations',
      'statistics',
      'worker_statistics',
      'workspace',
    ]);
    for (const [name, url] of Object.entries(links)) {
      if (name === 'workspace') continue;
      const { pathname } = new URL(url);
      expect((await raw(pathname)).status, name).toBe(200);
    }
  });

  it('If-Match against the ETag of the GET: 412 and nothing changed on a stale one', async () => {
    const a = await assign(stack);
    const before = await raw(workerPath(a));
    expect(before.etag).toMatch(/^"0-[0-9a-f]{8}"$/);
    await workerOf(a).update({ friendlyName: 'Dee', ifMatch: before.etag! });
    await expect(workerOf(a).update({ friendlyName: 'Dan', ifMatch: before.etag! })).rejects.toMatchObject({ status: 412 });
    expect((await workerOf(a).fetch()).friendlyName).toBe('Dee');
    const after = await raw(workerPath(a));
    expect(after.etag).toMatch(/^"1-[0-9a-f]{8}"$/);
    // A quoted, weak or bare tag names the same version; `*` any.
    await workerOf(a).update({ friendlyName: 'Dee', ifMatch: `W/${after.etag}` });
    await workerOf(a).update({ friendlyName: 'Dee', ifMatch: after.etag!.slice(1, -1) });
    await workerOf(a).update({ friendlyName: 'Dee', ifMatch: '*' });
  });

  it('changes the ETag when a callback changes the attributes or name the worker shows, and only then: a stale If-Match is refused', async () => {
    const a = await assign(stack);
    const before = await raw(workerPath(a));
    // A new reservation that repeats the worker's attributes and name changes nothing a client sees.
    await assign(stack, { WorkspaceSid: a.workspaceSid, WorkerSid: a.workerSid });
    expect((await raw(workerPath(a))).etag).toBe(before.etag);
    // One that brings new attributes: the worker shows them, under a new ETag.
    const skills = JSON.stringify({ contact_uri: 'client:doug', skills: ['sales'] });
    await assign(stack, { WorkspaceSid: a.workspaceSid, WorkerSid: a.workerSid, WorkerAttributes: skills });
    const changed = await raw(workerPath(a));
    expect(changed.body['attributes']).toBe(skills);
    expect(changed.etag).not.toBe(before.etag);
    await expect(workerOf(a).update({ attributes: JSON.stringify({ skills: ['support'] }), ifMatch: before.etag! })).rejects.toMatchObject({ status: 412 });
    expect((await raw(workerPath(a))).body['attributes']).toBe(skills);
    // And a new name, the same way.
    await assign(stack, { WorkspaceSid: a.workspaceSid, WorkerSid: a.workerSid, WorkerAttributes: skills, WorkerName: 'Douglas' });
    const renamed = await raw(workerPath(a));
    expect(renamed.body['friendly_name']).toBe('Douglas');
    expect(renamed.etag).not.toBe(changed.etag);
    await workerOf(a).update({ attributes: JSON.stringify({ skills: ['support'] }), ifMatch: renamed.etag! });
  });

  it('RejectPendingReservations with an unavailable activity rejects the worker’s pending reservations', async () => {
    const a = await assign(stack);
    const b = await assign(stack, { WorkspaceSid: a.workspaceSid, WorkerSid: a.workerSid });
    const offline = sid('WA');
    await workerOf(a).update({ activitySid: offline, rejectPendingReservations: true });
    for (const r of [a, b]) expect((await reservationOf(r).fetch()).reservationStatus).toBe('rejected');
    expect((await workerOf(a).fetch()).activitySid).toBe(offline);
  });

  it('refuses bad input with Twilio error JSON and changes nothing', async () => {
    const a = await assign(stack);
    const before = await raw(workerPath(a));
    const cases: Record<string, string>[] = [
      { ActivitySid: 'WAnot-a-sid' },
      { Attributes: '"a string"' },
      { Attributes: `{"x":"${'y'.repeat(4100)}"}` },
      { FriendlyName: '' },
      { RejectPendingReservations: 'true' },
    ];
    for (const params of cases) {
      const response = await raw(workerPath(a), form(params));
      expect(response.status, JSON.stringify(params)).toBe(400);
      expect(response.body).toMatchObject({ status: 400, code: expect.any(Number), message: expect.any(String) });
    }
    expect(await raw(workerPath(a))).toEqual(before);
    await expect(client.taskrouter.v1.workspaces(a.workspaceSid).workers(sid('WK')).update({ friendlyName: 'x' })).rejects.toMatchObject({
      status: 404,
    });
  });
});
