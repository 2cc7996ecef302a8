/**
 * The reservation lifecycle through the twilio SDK against the local stack: each update's effect on
 * the reservation, its task and its worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findReservation } from '#lib/domain/task.ts';
import type { LocalStack } from '#lib/local/server.ts';
import { assign, basicAuth, sid, startStack, twilioClient, type CallbackFixture } from '../support/fixtures.ts';

let stack: LocalStack;
let client: ReturnType<typeof twilioClient>;
beforeAll(async () => {
  stack = await startStack();
  client = twilioClient(stack);
});
afterAll(() => stack.close());

const reservation = (a: CallbackFixture) => client.taskrouter.v1.workspaces(a.workspaceSid).tasks(a.taskSid).reservations(a.reservationSid);
async function view(path: string) {
  return (await (await fetch(`${stack.url}${path}`, { headers: basicAuth() })).json()) as Record<string, unknown>;
}
const task = (a: CallbackFixture) => view(`/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}`);
const worker = (a: CallbackFixture) => view(`/v1/Workspaces/${a.workspaceSid}/Workers/${a.workerSid}`);
/** The instruction as the store recorded it (not part of Twilio's reservation JSON). */
async function recorded(a: CallbackFixture) {
  const stored = await stack.runtime.stores.tasks.getTask({ accountSid: a.accountSid, workspaceSid: a.workspaceSid, taskSid: a.taskSid });
  return findReservation(stored!, a.reservationSid)!.instruction;
}
/** More reservations of the same task, for other workers. */
const sibling = (a: CallbackFixture) => assign(stack, { WorkspaceSid: a.workspaceSid, TaskSid: a.taskSid });

describe('accept and reject', () => {
  it('accept: the task is assigned and its other pending reservations are rescinded; a second accept is refused', async () => {
    const a = await assign(stack);
    const b = await sibling(a);
    await reservation(a).update({ reservationStatus: 'accepted' });
    expect(await task(a)).toMatchObject({ assignment_status: 'assigned' });
    expect((await reservation(b).fetch()).reservationStatus).toBe('rescinded');
    await expect(reservation(b).update({ reservationStatus: 'accepted' })).rejects.toMatchObject({
      status: 400,
      message: `Reservation ${b.reservationSid} is not currently in a Pending state`,
    });
  });

  it('reject: the worker moves to WorkerActivitySid, or keeps its activity without one; the task is pending again', async () => {
    const a = await assign(stack);
    const activity = sid('WA');
    await reservation(a).update({ reservationStatus: 'rejected', workerActivitySid: activity });
    expect(await worker(a)).toMatchObject({ activity_sid: activity });
    expect(await task(a)).toMatchObject({ assignment_status: 'pending', reason: null });
    const again = await assign(stack, { WorkspaceSid: a.workspaceSid, TaskSid: a.taskSid, WorkerSid: a.workerSid });
    await reservation(again).update({ reservationStatus: 'rejected' });
    expect(await worker(a)).toMatchObject({ activity_sid: activity });
  });

  it('ten rejections cancel the task with a reason; its pending reservations read canceled', async () => {
    const first = await assign(stack);
    const rejected = [first];
    for (let i = 1; i < 10; i++) rejected.push(await sibling(first));
    const waiting = await sibling(first);
    for (const [i, r] of rejected.entries()) {
      await reservation(r).update({ reservationStatus: 'rejected' });
      expect((await task(first))['assignment_status']).toBe(i < 9 ? 'reserved' : 'canceled');
    }
    expect(await task(first)).toMatchObject({ assignment_status: 'canceled', reason: 'Task canceled after 10 rejected reservations (maximum 10)' });
    expect((await reservation(waiting).fetch()).reservationStatus).toBe('canceled');
    await expect(reservation(waiting).update({ reservationStatus: 'accepted' })).rejects.toMatchObject({ status: 400 });
    const statuses = (await client.taskrouter.v1.workspaces(first.workspaceSid).tasks(first.taskSid).reservations.list()).map((r) => r.reservationStatus);
    expect(statuses.filter((s) => s === 'rejected')).toHaveLength(10);
    expect(statuses.filter((s) => s === 'canceled')).toHaveLength(1);
  });
});

describe('instructions', () => {
  it('conference: validated, recorded with its defaults, accepted; To falls back to contact_uri', async () => {
    const a = await assign(stack);
    const updated = await reservation(a).update({
      instruction: 'conference',
      from: '+14155550100',
      timeout: 15,
      endConferenceOnExit: true,
      statusCallbackEvent: ['answered', 'completed'],
    });
    expect(updated.reservationStatus).toBe('accepted');
    expect(await task(a)).toMatchObject({ assignment_status: 'assigned' });
    expect(await recorded(a)).toEqual({
      name: 'conference',
      params: expect.objectContaining({
        From: '+14155550100',
        Timeout: 15,
        EndConferenceOnExit: true,
        StatusCallbackEvent: ['answered', 'completed'],
        Record: false,
        Beep: 'true',
        MaxParticipants: 250,
      }),
    });
  });

  it('dequeue: DequeueStatusCallbackEvent defaults to completed and takes the plural spelling', async () => {
    const a = await assign(stack);
    await reservation(a).update({ instruction: 'dequeue', dequeueFrom: '+14155550100' });
    expect(await recorded(a)).toMatchObject({
      params: { DequeueFrom: '+14155550100', DequeueStatusCallbackEvent: ['completed'], DequeueTimeout: 60, DequeueRecord: 'do-not-record' },
    });
    const b = await assign(stack);
    const response = await fetch(`${stack.url}/v1/Workspaces/${b.workspaceSid}/Tasks/${b.taskSid}/Reservations/${b.reservationSid}`, {
      method: 'POST',
      headers: { ...basicAuth(), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'Instruction=Dequeue&DequeueFrom=%2B1555&DequeueStatusCallbackEvents=ringing&DequeueStatusCallbackEvents=answered',
    });
    expect(response.status).toBe(200);
    expect(await recorded(b)).toMatchObject({ params: { DequeueStatusCallbackEvent: ['ringing', 'answered'] } });
  });

  it('call: stays pending unless CallAccept=true; a later accept still works', async () => {
    const a = await assign(stack);
    const call = { instruction: 'call', callFrom: '+14155550100', callUrl: 'https://example.com/agent' } as const;
    expect((await reservation(a).update(call)).reservationStatus).toBe('pending');
    expect(await task(a)).toMatchObject({ assignment_status: 'reserved' });
    expect(await recorded(a)).toMatchObject({ name: 'call', params: { CallAccept: false, CallTimeout: 60 } });
    expect((await reservation(a).update({ reservationStatus: 'accepted' })).reservationStatus).toBe('accepted');
    const b = await assign(stack);
    expect((await reservation(b).update({ ...call, callAccept: true })).reservationStatus).toBe('accepted');
  });

  it('redirect: stays pending unless RedirectAccept=true', async () => {
    const redirect = { instruction: 'redirect', redirectCallSid: sid('CA'), redirectUrl: 'https://example.com/twiml' } as const;
    const a = await assign(stack);
    expect((await reservation(a).update(redirect)).reservationStatus).toBe('pending');
    const b = await assign(stack);
    expect((await reservation(b).update({ ...redirect, redirectAccept: true })).reservationStatus).toBe('accepted');
    expect(await recorded(b)).toMatchObject({ name: 'redirect', params: { RedirectAccept: true, RedirectUrl: 'https://example.com/twiml' } });
  });

  it('any action the status does not allow is a 400 that changes nothing', async () => {
    const a = await assign(stack);
    await reservation(a).update({ reservationStatus: 'rejected' });
    const before = await reservation(a).fetch();
    for (const options of [
      { instruction: 'conference' },
      { instruction: 'dequeue', dequeueFrom: '+1555' },
      { instruction: 'call', callFrom: '+1555', callUrl: 'https://example.com/x' },
      { instruction: 'redirect', redirectCallSid: sid('CA'), redirectUrl: 'https://example.com/x' },
      { reservationStatus: 'accepted' },
      { reservationStatus: 'wrapping' },
      { reservationStatus: 'completed' },
    ] as const) {
      await expect(reservation(a).update(options)).rejects.toMatchObject({ status: 400, code: 20001 });
    }
    expect(await reservation(a).fetch()).toEqual(before);
  });
});

describe('after accept', () => {
  it('wrapping then completed, the task following; supervise on the accepted reservation', async () => {
    const a = await assign(stack);
    await reservation(a).update({ reservationStatus: 'accepted' });
    await reservation(a).update({ instruction: 'supervise', supervisor: sid('WK'), supervisorMode: 'monitor' });
    expect(await recorded(a)).toMatchObject({ name: 'supervise', params: { SupervisorMode: 'monitor' } });
    expect((await reservation(a).update({ reservationStatus: 'wrapping' })).reservationStatus).toBe('wrapping');
    expect(await task(a)).toMatchObject({ assignment_status: 'wrapping' });
    expect((await reservation(a).update({ reservationStatus: 'completed' })).reservationStatus).toBe('completed');
    expect(await task(a)).toMatchObject({ assignment_status: 'completed' });
    await expect(reservation(a).update({ reservationStatus: 'wrapping' })).rejects.toMatchObject({ status: 400 });
  });
});
