/**
 * Connected mode's updates and their repairs (lib/upstream/forwarder.ts, reconciler.ts) on the
 * in-memory stores, in front of a fake TaskRouter (test/support/connected-memory.ts). An update is
 * forwarded exactly once and recorded only as Twilio confirms it, Twilio's refusals pass through,
 * an unknown outcome is settled by reading and never by POSTing again, and concurrent updates of
 * one task are serialized by its forward mark. The sweep settles each mark older than a forward
 * can take, and each reservation's deadline check reads it and, while Twilio still says pending,
 * checks again RECHECK_MS later. What test/upstream/connected.test.ts checks through two stacks
 * and a proxy, without either; the fake clock makes marks old.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AssignmentCallback } from '#lib/domain/assignment-callback.ts';
import { ConflictError, NotFoundError, ReservationStateError, UpstreamError, UpstreamUnsettledError } from '#lib/domain/errors.ts';
import { effectiveStatus, findReservation } from '#lib/domain/task.ts';
import type { ReservationTarget } from '#lib/reservations/service.ts';
import { MARK_WAIT_MS } from '#lib/upstream/forwarder.ts';
import { LONG_UNSETTLED_MS, RECHECK_MS, SWEEP_BATCH, UNSETTLED_AFTER_MS } from '#lib/upstream/reconciler.ts';
import { FORWARD_TIMEOUT_MS, READ_TIMEOUT_MS } from '#lib/upstream/taskrouter-client.ts';
import { connectedMemory, type ConnectedMemory } from '../support/connected-memory.ts';
import { UpstreamMirror } from '#lib/upstream/mirror.ts';
import { form, refusal, reservationJson, sid, taskScopeOf, unknownOutcome } from '../support/use-case-fixtures.ts';

afterEach(() => vi.restoreAllMocks());

const resourceOf = (a: AssignmentCallback, reservationSid = a.reservationSid) =>
  `/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}/Reservations/${reservationSid}`;
const target = (a: AssignmentCallback, reservationSid = a.reservationSid): ReservationTarget => ({
  kind: 'task',
  scope: taskScopeOf(a),
  reservationSid,
  resource: resourceOf(a, reservationSid),
});
const timerOf = (a: AssignmentCallback) => ({ accountSid: a.accountSid, workspaceSid: a.workspaceSid, taskSid: a.taskSid, reservationSid: a.reservationSid });
const accept = (c: ConnectedMemory, a: AssignmentCallback, reservationSid = a.reservationSid) =>
  c.service.update(target(a, reservationSid), form({ ReservationStatus: 'accepted' }), undefined);
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected the update to fail');
    },
    (error: unknown) => error,
  );
async function recorded(c: ConnectedMemory, a: AssignmentCallback, reservationSid = a.reservationSid) {
  const task = (await c.stores.tasks.getTask(taskScopeOf(a)))!;
  return { task, reservation: findReservation(task, reservationSid)! };
}
/** POSTs go to TaskRouter's answer as planned; reads get TaskRouter's truth unless `read` is given. */
function plan(
  c: ConnectedMemory,
  post: () => ReturnType<ConnectedMemory['upstream']['answer']>,
  read?: () => ReturnType<ConnectedMemory['upstream']['answer']>,
) {
  c.upstream.answer = (request) => (request.method === 'POST' ? post() : read ? read() : c.taskRouter.answer(request));
}

/** An accept Twilio did, whose answer and settling read were both lost: the mark is left for the sweep. */
async function unsettledAccept(c: ConnectedMemory, a: AssignmentCallback): Promise<void> {
  plan(
    c,
    () => {
      c.taskRouter.set(a.reservationSid, 'accepted');
      return unknownOutcome();
    },
    unknownOutcome,
  );
  // A second after the assignment, so that the mark is dated by the clock (not just after the write before it).
  c.clock.advance(1000);
  expect(await failureOf(accept(c, a))).toMatchObject({ status: 502 });
  expect((await recorded(c, a)).task.forward).toMatchObject({ at: c.clock.now() });
  c.upstream.answer = (request) => c.taskRouter.answer(request);
}

describe('an update forwarded', () => {
  it('is POSTed once, as the caller sent it, with the account’s scope and a bounded time; recorded as Twilio confirms, the mark cleared', async () => {
    const c = connectedMemory();
    const a = await c.reserve();
    c.clock.advance(1000);
    const { reservation } = await accept(c, a);
    expect(reservation).toMatchObject({ status: 'accepted', observedAt: c.clock.now() });
    expect(c.upstream.requests).toEqual([
      { accountSid: a.accountSid, path: `/v1${resourceOf(a)}`, method: 'POST', form: [['ReservationStatus', 'accepted']], timeoutMs: FORWARD_TIMEOUT_MS },
    ]);
    const { task } = await recorded(c, a);
    expect(task.forward).toBeUndefined();
    expect(task.acceptedReservationSid).toBe(a.reservationSid);
    expect(c.taskRouter.statusOf(a.reservationSid)).toBe('accepted');
    expect(c.telemetry.of('forwards')).toEqual(['confirmed']);
    expect(c.telemetry.of('updates')).toEqual(['accepted']);
  });

  it('keeps every value of a repeated parameter and the worker-scoped path; a confirmed reject records its activity and moves the worker', async () => {
    const c = connectedMemory();
    const a = await c.reserve();
    const activity = sid('WA');
    const workerResource = `/Workspaces/${a.workspaceSid}/Workers/${a.workerSid}/Reservations/${a.reservationSid}`;
    const { reservation } = await c.service.update(
      {
        kind: 'worker',
        scope: { accountSid: a.accountSid, workspaceSid: a.workspaceSid, workerSid: a.workerSid },
        reservationSid: a.reservationSid,
        resource: workerResource,
      },
      form({ ReservationStatus: 'rejected', WorkerActivitySid: activity }),
      undefined,
    );
    expect(reservation).toMatchObject({ status: 'rejected', activitySid: activity });
    expect(c.upstream.posts().map((p) => [p.path, p.form])).toEqual([
      [
        `/v1${workerResource}`,
        [
          ['ReservationStatus', 'rejected'],
          ['WorkerActivitySid', activity],
        ],
      ],
    ]);
    const worker = await c.stores.workers.getWorker({ accountSid: a.accountSid, workspaceSid: a.workspaceSid, workerSid: a.workerSid });
    expect(worker?.activitySid).toBe(activity);

    const b = await c.reserve();
    const conference = { Instruction: 'conference', From: '+15551234567', StatusCallbackEvent: ['answered', 'completed'] };
    await c.service.update(target(b), form(conference), undefined);
    expect(c.upstream.posts()[1]!.form).toEqual([
      ['Instruction', 'conference'],
      ['From', '+15551234567'],
      ['StatusCallbackEvent', 'answered'],
      ['StatusCallbackEvent', 'completed'],
    ]);
    // The confirmed instruction is recorded with the status Twilio reports.
    expect((await recorded(c, b)).reservation.instruction).toMatchObject({ name: 'conference', params: { From: '+15551234567' } });
  });

  it('is refused without an upstream call when the record knows the reservation has left pending, or has no such reservation', async () => {
    const c = connectedMemory();
    const a = await c.reserve();
    await accept(c, a);
    c.upstream.requests.length = 0;
    expect(await failureOf(accept(c, a))).toBeInstanceOf(ReservationStateError);
    // A reservation past its deadline reads timeout here: nothing to ask Twilio either.
    const late = await c.reserve({}, 10);
    c.clock.advance(10_000);
    expect(await failureOf(accept(c, late))).toBeInstanceOf(ReservationStateError);
    expect(await failureOf(accept(c, a, sid('WR')))).toBeInstanceOf(NotFoundError);
    expect(c.upstream.requests).toEqual([]);
  });
});

describe('Twilio’s refusals, passed through', () => {
  it('a not-pending 400: the same status, code, message and more_info; the record learns the status by a GET', async () => {
    const c = connectedMemory();
    const a = await c.reserve();
    // Rejected at TaskRouter, its event lost.
    c.taskRouter.set(a.reservationSid, 'rejected');
    const error = await failureOf(accept(c, a));
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({
      status: 400,
      code: 20001,
      message: `Reservation ${a.reservationSid} is not currently in a Pending state`,
      moreInfo: 'https://www.twilio.com/docs/errors/20001',
    });
    expect(c.upstream.requests.map((r) => [r.method, r.path, r.timeoutMs])).toEqual([
      ['POST', `/v1${resourceOf(a)}`, FORWARD_TIMEOUT_MS],
      ['GET', `/v1${resourceOf(a)}`, READ_TIMEOUT_MS],
    ]);
    const { task, reservation } = await recorded(c, a);
    expect(reservation.status).toBe('rejected');
    expect(task.forward).toBeUndefined();
  });

  it('another 4xx: passed through, no read, nothing recorded, the mark cleared for the next update', async () => {
    const c = connectedMemory();
    const a = await c.reserve();
    const before = await recorded(c, a);
    plan(c, () => refusal(412, 20412, 'Precondition Failed'));
    expect(await failureOf(accept(c, a))).toMatchObject({ status: 412, code: 20412, message: 'Precondition Failed' });
    expect(c.upstream.gets()).toEqual([]);
    const after = await recorded(c, a);
    expect(after.reservation).toEqual(before.reservation);
    expect(after.task.forward).toBeUndefined();
    c.upstream.answer = (request) => c.taskRouter.answer(request);
    expect((await accept(c, a)).reservation.status).toBe('accepted');
    expect(c.telemetry.of('forwards')).toEqual(['refused', 'confirmed']);
    expect(c.telemetry.of('updates')).toEqual(['refused', 'accepted']);
  });

  it('a 429: an UpstreamError with Twilio’s Retry-After (1 when it gave none), nothing recorded', async () => {
    const c = connectedMemory();
    const a = await c.reserve();
    plan(c, () => refusal(429, 20429, 'Too Many Requests', '3'));
    const error = await failureOf(accept(c, a));
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ status: 429, code: 20429, headers: { 'Retry-After': '3' } });
    plan(c, () => refusal(429, 20429, 'Too Many Requests'));
    expect(await failureOf(accept(c, a))).toMatchObject({ status: 429, headers: { 'Retry-After': '1' } });
    expect(c.upstream.gets()).toEqual([]);
    const { task, reservation } = await recorded(c, a);
    expect(reservation).toMatchObject({ status: 'pending', version: 1 });
    expect(task.forward).toBeUndefined();
  });
});

describe('unknown outcomes: settled by reading, never POSTed twice', () => {
  it('done upstream but no answer: the read says accepted, so it is recorded and answered', async () => {
    const c = connectedMemory();
    const a = await c.reserve();
    // Twilio processes the POST, then the connection drops.
    plan(c, () => {
      c.taskRouter.set(a.reservationSid, 'accepted');
      return unknownOutcome();
    });
    expect((await accept(c, a)).reservation.status).toBe('accepted');
    expect(c.upstream.posts()).toHaveLength(1);
    expect(c.upstream.gets()).toHaveLength(1);
    expect((await recorded(c, a)).task.forward).toBeUndefined();
    expect(c.telemetry.of('forwards')).toEqual(['unknown', 'settled']);
    expect(c.telemetry.of('upstreamReads')).toEqual(['answered']);
  });

  it('still pending upstream: 502 after a 5xx, 504 after a time-out, with Retry-After; nothing recorded, the mark cleared', async () => {
    const c = connectedMemory();
    const a = await c.reserve();
    const before = (await recorded(c, a)).reservation;
    for (const [timedOut, status] of [
      [false, 502],
      [true, 504],
    ] as const) {
      plan(c, () => unknownOutcome(timedOut));
      const error = await failureOf(accept(c, a));
      expect(error).toBeInstanceOf(UpstreamUnsettledError);
      expect(error).toMatchObject({ status, code: 20503, headers: { 'Retry-After': '1' }, message: expect.stringMatching(/still pending there/) });
      const { task, reservation } = await recorded(c, a);
      expect(reservation).toEqual(before);
      expect(task.forward).toBeUndefined();
    }
    expect(c.upstream.posts()).toHaveLength(2);
  });

  it('an outcome the read cannot confirm is never recorded: still wrapping after a completion, still accepted after a supervise; another outcome first is', async () => {
    const c = connectedMemory();
    const update = (a: AssignmentCallback, params: Record<string, string>) => c.service.update(target(a), form(params), undefined);
    // A completion TaskRouter never made (still wrapping there): 502, nothing recorded, the mark cleared.
    const wrapping = await c.reserve();
    await accept(c, wrapping);
    await update(wrapping, { ReservationStatus: 'wrapping' });
    plan(c, unknownOutcome);
    const notMade = await failureOf(update(wrapping, { ReservationStatus: 'completed' }));
    expect(notMade).toBeInstanceOf(UpstreamUnsettledError);
    expect(notMade).toMatchObject({ status: 502, message: expect.stringMatching(/still wrapping there and nothing was recorded: retry the request$/) });
    expect((await recorded(c, wrapping)).reservation.status).toBe('wrapping');
    expect((await recorded(c, wrapping)).task.forward).toBeUndefined();
    // A supervise leaves the reservation accepted whether TaskRouter carried it out or not: nothing claimed.
    c.upstream.answer = (request) => c.taskRouter.answer(request);
    const supervised = await c.reserve();
    await accept(c, supervised);
    plan(c, () => unknownOutcome(true));
    const unknown = await failureOf(update(supervised, { Instruction: 'supervise', Supervisor: sid('WK'), SupervisorMode: 'monitor' }));
    expect(unknown).toMatchObject({
      status: 504,
      message: expect.stringMatching(/cannot tell whether it was carried out: nothing was recorded; sending it again may repeat it$/),
    });
    expect((await recorded(c, supervised)).reservation.instruction).toBeUndefined();
    expect((await recorded(c, supervised)).task.forward).toBeUndefined();
    // Canceled there before the accept arrived: recorded as TaskRouter says, and TaskRouter's own 400.
    c.upstream.answer = (request) => c.taskRouter.answer(request);
    const canceled = await c.reserve();
    plan(c, () => {
      c.taskRouter.set(canceled.reservationSid, 'canceled');
      return unknownOutcome();
    });
    expect(await failureOf(accept(c, canceled))).toMatchObject({
      status: 400,
      message: `Reservation ${canceled.reservationSid} is not currently in a Pending state`,
    });
    expect(effectiveStatus((await recorded(c, canceled)).task, (await recorded(c, canceled)).reservation, c.clock.now()).status).toBe('canceled');
  });

  it('a rejection with WorkerActivitySid whose event TaskRouter delivered before its answer: 200, and the worker moved as Twilio confirmed', async () => {
    const c = connectedMemory();
    const away = sid('WA');
    const mirror = new UpstreamMirror({
      tasks: c.stores.tasks,
      workers: c.stores.workers,
      clock: c.clock,
      scheduler: c.scheduler,
      reservationTimeoutSeconds: 120,
      maxRejections: 10,
      telemetry: c.telemetry,
    });
    const a = await c.reserve();
    c.clock.advance(100);
    plan(c, async () => {
      c.taskRouter.set(a.reservationSid, 'rejected');
      // The event callback is taken in (another invocation) before this POST's answer is read: it names no activity.
      await mirror.apply({
        type: 'reservation.rejected',
        accountSid: a.accountSid,
        workspaceSid: a.workspaceSid,
        taskSid: a.taskSid,
        reservationSid: a.reservationSid,
        at: c.clock.now(),
      });
      c.clock.advance(5);
      return reservationJson('rejected');
    });
    const rejected = await c.service.update(target(a), form({ ReservationStatus: 'rejected', WorkerActivitySid: away }), undefined);
    expect(rejected.reservation.status).toBe('rejected');
    const worker = await c.stores.workers.getWorker({ accountSid: a.accountSid, workspaceSid: a.workspaceSid, workerSid: a.workerSid });
    expect(worker?.activitySid).toBe(away);
    expect(c.upstream.posts()).toHaveLength(1);
  });

  it('the read fails too: 502 claiming nothing, the mark left for the sweep; another update of the task waits for it, then 409, never POSTing', async () => {
    // The wait for a held mark is bounded (MARK_WAIT_MS) on the forwarder's clock: each wait moves it on.
    const c = connectedMemory();
    const first = await c.reserve();
    const second = await c.reserve({ WorkspaceSid: first.workspaceSid, TaskSid: first.taskSid });
    c.clock.advance(1000);
    plan(c, unknownOutcome, unknownOutcome);
    const error = await failureOf(accept(c, first));
    expect(error).toBeInstanceOf(UpstreamUnsettledError);
    expect(error).toMatchObject({ status: 502, message: expect.stringMatching(/nothing is recorded here until it is settled/) });
    const { task, reservation } = await recorded(c, first);
    expect(reservation.status).toBe('pending');
    expect(task.forward).toMatchObject({ reservationSid: first.reservationSid, transition: 'accept', at: c.clock.now() });
    expect(await c.stores.marks.forwardsBefore(c.clock.now() + UNSETTLED_AFTER_MS, 10)).toHaveLength(1);

    const started = c.clock.now();
    expect(await failureOf(accept(c, second))).toBeInstanceOf(ConflictError);
    expect(c.clock.now() - started).toBeGreaterThan(MARK_WAIT_MS);
    expect(c.upstream.posts()).toHaveLength(1);
    // The first left unsettled (a 502), the second refused (a 409) before any POST.
    expect(c.telemetry.of('forwards')).toEqual(['unknown']);
    expect(c.telemetry.of('upstreamReads')).toEqual(['failed']);
    expect(c.telemetry.of('updates')).toEqual(['failed', 'refused']);
  });

  it('the read says it went another way: that is recorded, and the update answered not pending', async () => {
    const c = connectedMemory();
    const a = await c.reserve();
    plan(c, () => {
      c.taskRouter.set(a.reservationSid, 'rejected');
      return unknownOutcome(true);
    });
    expect(await failureOf(accept(c, a))).toBeInstanceOf(ReservationStateError);
    const { task, reservation } = await recorded(c, a);
    expect(reservation.status).toBe('rejected');
    expect(task.rejections).toBe(1);
    expect(task.forward).toBeUndefined();
  });
});

describe('concurrent updates of one task', () => {
  it('of 16 concurrent accepts across its four reservations exactly one POST reaches Twilio; the rest wait for its mark, then get the not-pending 400', async () => {
    const c = connectedMemory();
    const first = await c.reserve();
    const all = [first];
    for (let i = 0; i < 3; i++) all.push(await c.reserve({ WorkspaceSid: first.workspaceSid, TaskSid: first.taskSid }));
    const results = await Promise.allSettled(Array.from({ length: 16 }, (_, i) => accept(c, first, all[i % 4]!.reservationSid)));
    expect(c.upstream.posts()).toHaveLength(1);
    const winners = results.filter((r) => r.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    const losers = results.filter((r) => r.status === 'rejected').map((r) => r.reason as Error);
    expect(losers).toHaveLength(15);
    for (const loser of losers) {
      expect(loser).toBeInstanceOf(ReservationStateError);
      expect(loser.message).toMatch(/is not currently in a Pending state/);
    }
    expect(c.waits.length).toBeGreaterThanOrEqual(15);
    const winner = c.upstream.posts()[0]!.path.split('/').at(-1)!;
    const { task } = await recorded(c, first);
    expect(task.forward).toBeUndefined();
    for (const r of all) {
      const expected = r.reservationSid === winner ? 'accepted' : 'rescinded';
      expect(effectiveStatus(task, findReservation(task, r.reservationSid)!, c.clock.now()).status, r.reservationSid).toBe(expected);
      expect(c.taskRouter.statusOf(r.reservationSid)).toBe(expected);
    }
  });
});

describe('the sweep of unsettled forwards', () => {
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
    // Put behind the others by the sweep that could not settle it: the next run a sweep's interval later takes it.
    expect(await c.reconciler.sweep()).toEqual({ settled: 0, unsettled: 0, longUnsettled: 0 });
    c.clock.advance(UNSETTLED_AFTER_MS + 1);
    expect(await c.reconciler.sweep()).toEqual({ settled: 1, unsettled: 0, longUnsettled: 0 });
    const { task, reservation } = await recorded(c, a);
    expect(reservation).toMatchObject({ status: 'pending', version: 1 });
    expect(task.forward).toBeUndefined();
    // Each sweep says how many were unsettled for five minutes, none included; the last settled it.
    expect(c.telemetry.measures.filter(([m]) => m === 'unsettledForwards').map(([, v]) => v)).toEqual([0, 1, 0, 0]);
    expect(c.telemetry.of('forwards')).toEqual(['unknown', 'settled']);
  });

  it('puts a mark it cannot settle behind the others: more marks than a run reads that cannot be read do not hold back a newer one', async () => {
    const c = connectedMemory();
    const stuck: AssignmentCallback[] = [];
    for (let i = 0; i <= SWEEP_BATCH; i++) {
      const a = await c.reserve();
      await unsettledAccept(c, a);
      stuck.push(a);
    }
    const newest = await c.reserve();
    await unsettledAccept(c, newest);
    // Twilio can be read for the newest only (the others' account lost its keys, say).
    c.upstream.answer = (request) => (request.path.endsWith(newest.reservationSid) ? c.taskRouter.answer(request) : unknownOutcome());
    c.clock.advance(UNSETTLED_AFTER_MS + 1);
    expect(await c.reconciler.sweep()).toEqual({ settled: 0, unsettled: SWEEP_BATCH, longUnsettled: 0 });
    c.clock.advance(UNSETTLED_AFTER_MS + 1);
    // The one the first run did not reach and the newest come first now, before the deferred.
    expect(await c.reconciler.sweep()).toEqual({ settled: 1, unsettled: SWEEP_BATCH - 1, longUnsettled: 0 });
    expect((await recorded(c, newest)).task.forward).toBeUndefined();
    expect((await recorded(c, stuck[0]!)).task.forward).toMatchObject({ at: expect.any(Number) });
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
    expect(c.telemetry.of('timeouts')).toEqual(['upstream-unknown']);
    expect(c.telemetry.of('upstreamReads')).toEqual(['failed', 'gone']);
  });

  it('a read Twilio refuses for another reason (throttled, a rotated token) says nothing of the reservation: read again later', async () => {
    const c = connectedMemory();
    const a = await c.reserve({}, 30);
    c.clock.advance(30_000);
    for (const refused of [refusal(429, 20429, 'Too Many Requests', '1'), refusal(401, 20003, 'Authenticate'), refusal(403, 20403, 'Forbidden')]) {
      c.upstream.answer = () => refused;
      const armed = c.scheduler.timers.length;
      expect(await c.reconciler.atDeadline(timerOf(a))).toBe('unknown');
      expect(c.scheduler.timers).toHaveLength(armed + 1);
    }
  });

  it('the sweep keeps an unsettled mark whose read Twilio throttles: the outcome is still unknown', async () => {
    const c = connectedMemory();
    const a = await c.reserve();
    await unsettledAccept(c, a);
    c.upstream.answer = () => refusal(429, 20429, 'Too Many Requests', '1');
    c.clock.advance(UNSETTLED_AFTER_MS + 1);
    expect(await c.reconciler.sweep()).toEqual({ settled: 0, unsettled: 1, longUnsettled: 0 });
    expect((await recorded(c, a)).task.forward).toBeDefined();
  });
});
