/**
 * Connected mode's repairs (lib/upstream/reconciler.ts) on the in-memory stores, in front of a
 * fake TaskRouter: the sweep settles each forward mark older than a forward can take by reading
 * its reservation upstream, and each reservation's deadline check reads it and, while Twilio
 * still says pending, checks again RECHECK_MS later. The fake clock makes marks old.
 */
import { describe, expect, it } from 'vitest';
import type { AssignmentCallback } from '#lib/domain/assignment-callback.ts';
import { findReservation } from '#lib/domain/task.ts';
import { LONG_UNSETTLED_MS, RECHECK_MS, UNSETTLED_AFTER_MS } from '#lib/upstream/reconciler.ts';
import { connectedMemory, type ConnectedMemory } from '../support/connected-memory.ts';
import { form, taskScopeOf, unknownOutcome } from '../support/use-case-fixtures.ts';

const timerOf = (a: AssignmentCallback) => ({ accountSid: a.accountSid, workspaceSid: a.workspaceSid, taskSid: a.taskSid, reservationSid: a.reservationSid });

async function recorded(c: ConnectedMemory, a: AssignmentCallback) {
  const task = (await c.stores.tasks.getTask(taskScopeOf(a)))!;
  return { task, reservation: findReservation(task, a.reservationSid)! };
}

/** An accept Twilio did, whose answer and settling read were both lost: the mark is left for the sweep. */
async function unsettledAccept(c: ConnectedMemory, a: AssignmentCallback): Promise<void> {
  c.upstream.answer = (request) => {
    if (request.method === 'POST') c.taskRouter.set(a.reservationSid, 'accepted');
    return unknownOutcome();
  };
  // A second after the assignment, so that the mark is dated by the clock (not just after the write before it).
  c.clock.advance(1000);
  const resource = `/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}/Reservations/${a.reservationSid}`;
  await expect(
    c.service.update({ kind: 'task', scope: taskScopeOf(a), reservationSid: a.reservationSid, resource }, form({ ReservationStatus: 'accepted' }), undefined),
  ).rejects.toMatchObject({ status: 502 });
  expect((await recorded(c, a)).task.forward).toMatchObject({ at: c.clock.now() });
  c.upstream.answer = (request) => c.taskRouter.answer(request);
}

describe('the sweep', () => {
  it('leaves a mark younger than UNSETTLED_AFTER_MS alone, then settles it by reading: recorded as Twilio says, the mark cleared, no second POST', async () => {
    const c = connectedMemory();
    const a = await c.reserve();
    await unsettledAccept(c, a);
    const reads = c.upstream.gets().length;
    c.clock.advance(UNSETTLED_AFTER_MS - 1);
    expect(await c.reconciler.sweep()).toEqual({ settled: 0, unsettled: 0, longUnsettled: 0 });
    expect(c.upstream.gets()).toHaveLength(reads);
    c.clock.advance(2);
    expect(await c.reconciler.sweep()).toEqual({ settled: 1, unsettled: 0, longUnsettled: 0 });
    const { task, reservation } = await recorded(c, a);
    expect(reservation.status).toBe('accepted');
    expect(task.acceptedReservationSid).toBe(a.reservationSid);
    expect(task.forward).toBeUndefined();
    expect(c.upstream.posts()).toHaveLength(1);
    expect(c.upstream.gets()).toHaveLength(reads + 1);
    // Settled: the next sweep has nothing to do.
    expect(await c.reconciler.sweep()).toEqual({ settled: 0, unsettled: 0, longUnsettled: 0 });
  });

  it('counts a mark it cannot settle, as long-unsettled after five minutes; a read that says pending clears it and records nothing', async () => {
    const c = connectedMemory();
    const a = await c.reserve();
    await unsettledAccept(c, a);
    // It was not done after all, and Twilio cannot be read for a while.
    c.taskRouter.set(a.reservationSid, 'pending');
    c.upstream.answer = () => unknownOutcome(true);
    c.clock.advance(UNSETTLED_AFTER_MS + 1);
    expect(await c.reconciler.sweep()).toEqual({ settled: 0, unsettled: 1, longUnsettled: 0 });
    c.clock.advance(LONG_UNSETTLED_MS);
    expect(await c.reconciler.sweep()).toEqual({ settled: 0, unsettled: 1, longUnsettled: 1 });
    expect((await recorded(c, a)).task.forward).toBeDefined();
    c.upstream.answer = (request) => c.taskRouter.answer(request);
    expect(await c.reconciler.sweep()).toEqual({ settled: 1, unsettled: 0, longUnsettled: 0 });
    const { task, reservation } = await recorded(c, a);
    expect(reservation).toMatchObject({ status: 'pending', version: 1 });
    expect(task.forward).toBeUndefined();
  });

  it('clears the mark of a reservation Twilio no longer has', async () => {
    const c = connectedMemory();
    const a = await c.reserve();
    await unsettledAccept(c, a);
    c.taskRouter.reservations.delete(a.reservationSid);
    c.clock.advance(UNSETTLED_AFTER_MS + 1);
    expect(await c.reconciler.sweep()).toEqual({ settled: 1, unsettled: 0, longUnsettled: 0 });
    const { task, reservation } = await recorded(c, a);
    expect(task.forward).toBeUndefined();
    expect(reservation.status).toBe('pending');
  });
});

describe('at a reservation’s deadline', () => {
  it('still pending upstream (Twilio may pause its clock): read again RECHECK_MS later; then the timeout Twilio reports is recorded', async () => {
    const c = connectedMemory();
    const a = await c.reserve({}, 30);
    expect(c.scheduler.timers).toHaveLength(1);
    c.clock.advance(30_000);
    expect(await c.reconciler.atDeadline(timerOf(a))).toBe('still-pending');
    expect(c.scheduler.timers.slice(1)).toEqual([{ ...timerOf(a), deadline: c.clock.now() + RECHECK_MS }]);
    expect((await recorded(c, a)).reservation).toMatchObject({ status: 'pending', version: 1 });

    c.clock.advance(RECHECK_MS);
    c.taskRouter.set(a.reservationSid, 'timeout');
    // Through the service, as the reservation-timeout function delivers it.
    expect(await c.service.expire(timerOf(a))).toBe('upstream recorded');
    expect((await recorded(c, a)).reservation).toMatchObject({ status: 'timeout', observedAt: c.clock.now() });
    expect(c.scheduler.timers).toHaveLength(2);
    expect(c.upstream.posts()).toEqual([]);
  });

  it('records what Twilio says happened instead (an accept whose event was lost)', async () => {
    const c = connectedMemory();
    const a = await c.reserve({}, 30);
    c.taskRouter.set(a.reservationSid, 'accepted');
    c.clock.advance(30_000);
    expect(await c.reconciler.atDeadline(timerOf(a))).toBe('recorded');
    const { task, reservation } = await recorded(c, a);
    expect(reservation.status).toBe('accepted');
    expect(task.acceptedReservationSid).toBe(a.reservationSid);
    expect(c.scheduler.timers).toHaveLength(1);
  });

  it('Twilio cannot be read: unknown, checked again later; Twilio has no such reservation: gone, not checked again', async () => {
    const c = connectedMemory();
    const a = await c.reserve({}, 30);
    c.clock.advance(30_000);
    c.upstream.answer = () => unknownOutcome(true);
    expect(await c.service.expire(timerOf(a))).toBe('upstream unknown');
    expect(c.scheduler.timers.at(-1)).toEqual({ ...timerOf(a), deadline: c.clock.now() + RECHECK_MS });
    c.upstream.answer = (request) => c.taskRouter.answer(request);
    c.taskRouter.reservations.delete(a.reservationSid);
    const armed = c.scheduler.timers.length;
    expect(await c.reconciler.atDeadline(timerOf(a))).toBe('gone');
    expect(c.scheduler.timers).toHaveLength(armed);
    expect((await recorded(c, a)).reservation.status).toBe('pending');
  });
});
