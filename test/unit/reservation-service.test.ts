/**
 * The reservation use cases (lib/reservations/service.ts) on the in-memory stores, wired by the
 * runtime as the local stack wires them (standalone: one conditional write per update), with a
 * fake clock, a scheduler that records the timers armed and a sink that records each write's
 * events. The same rules the HTTP and timeout tests check on the engines, in milliseconds.
 */
import { describe, expect, it, vi } from 'vitest';
import type { AssignmentCallback } from '#lib/domain/assignment-callback.ts';
import { NotFoundError, PreconditionFailedError, ReservationStateError } from '#lib/domain/errors.ts';
import { parseIfMatch } from '#lib/domain/if-match.ts';
import { readListQuery } from '#lib/domain/list-query.ts';
import { encodePageToken, listKey, type Cursor } from '#lib/domain/paging.ts';
import { parsePolicy } from '#lib/domain/rule-policy.ts';
import { effectiveStatus, findReservation, taskAssignment, type TaskRecord } from '#lib/domain/task.ts';
import type { ReservationTarget } from '#lib/reservations/service.ts';
import { memoryRuntime, type MemoryRuntime } from '../support/memory-runtime.ts';
import { assignment, form, sid, taskScopeOf } from '../support/use-case-fixtures.ts';

const TIMEOUT_ACTIVITY = `WA${'7'.repeat(32)}`;
const ENV = { MAX_REJECTIONS: '3', TIMEOUT_ACTIVITY_SID: TIMEOUT_ACTIVITY };

/** Voice tasks join a conference at the caller's number: an instruction that accepts. */
const CONFERENCE_POLICY = parsePolicy({
  rules: [{ name: 'voice conference', match: { task: { type: 'voice' } }, instruction: { instruction: 'conference', from: '{{task.from}}', timeout: 20 } }],
});

const taskTarget = (a: AssignmentCallback, reservationSid = a.reservationSid): ReservationTarget => ({
  kind: 'task',
  scope: taskScopeOf(a),
  reservationSid,
  resource: `/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}/Reservations/${reservationSid}`,
});
const workerTarget = (a: AssignmentCallback, workerSid: string, reservationSid = a.reservationSid): ReservationTarget => ({
  kind: 'worker',
  scope: { accountSid: a.accountSid, workspaceSid: a.workspaceSid, workerSid },
  reservationSid,
  resource: `/Workspaces/${a.workspaceSid}/Workers/${workerSid}/Reservations/${reservationSid}`,
});
const workerScope = (a: AssignmentCallback) => ({ accountSid: a.accountSid, workspaceSid: a.workspaceSid, workerSid: a.workerSid });
const timerOf = (a: AssignmentCallback) => ({ accountSid: a.accountSid, workspaceSid: a.workspaceSid, taskSid: a.taskSid, reservationSid: a.reservationSid });

async function storedTask(m: MemoryRuntime, a: AssignmentCallback): Promise<TaskRecord> {
  const task = await m.stores.tasks.getTask(taskScopeOf(a));
  if (!task) throw new Error(`no task ${a.taskSid}`);
  return task;
}
async function stored(m: MemoryRuntime, a: AssignmentCallback) {
  const task = await storedTask(m, a);
  return { task, reservation: findReservation(task, a.reservationSid)! };
}
async function statusNow(m: MemoryRuntime, a: AssignmentCallback) {
  const { task, reservation } = await stored(m, a);
  return effectiveStatus(task, reservation, m.clock.now()).status;
}

/** Assigns one reservation per callback, a second apart (list order is assignment order). */
async function assignAll(m: MemoryRuntime, callbacks: readonly AssignmentCallback[], timeoutSeconds = 120): Promise<AssignmentCallback[]> {
  for (const c of callbacks) {
    await m.runtime.service.assign(c, timeoutSeconds);
    m.clock.advance(1000);
  }
  return [...callbacks];
}
const siblingsOf = (first: AssignmentCallback, count: number, overrides: Record<string, string> = {}) =>
  Array.from({ length: count }, () => assignment({ WorkspaceSid: first.workspaceSid, TaskSid: first.taskSid, ...overrides }));

describe('assign: an assignment callback', () => {
  it('records a pending reservation and arms its timer at the deadline', async () => {
    const m = memoryRuntime(ENV);
    const a = assignment();
    const now = m.clock.now();
    expect(await m.runtime.service.assign(a, 60)).toBe('{}');
    const { task, reservation } = await stored(m, a);
    expect(reservation).toMatchObject({ status: 'pending', version: 1, workerSid: a.workerSid, workerName: 'Doug', createdAt: now, deadline: now + 60_000 });
    expect(reservation.contactUri).toBe('client:doug');
    // TaskRouter's TaskAge (3 s) dates the task before the callback.
    expect(task).toMatchObject({ attributes: a.taskAttributes, createdAt: now - 3000, maxRejections: 3, rejections: 0 });
    expect(m.scheduler.timers).toEqual([{ ...timerOf(a), deadline: now + 60_000 }]);
  });

  it('links the worker before recording the reservation: its attributes come back from getWorker and in reservation.created', async () => {
    const m = memoryRuntime(ENV);
    const link = vi.spyOn(m.stores.workers, 'linkReservation');
    const record = vi.spyOn(m.stores.tasks, 'recordReservation');
    const a = assignment();
    await m.runtime.service.assign(a, 60);
    expect(link.mock.invocationCallOrder[0]!).toBeLessThan(record.mock.invocationCallOrder[0]!);
    const worker = await m.runtime.service.getWorker(workerScope(a), 'worker');
    expect(worker).toMatchObject({ sid: a.workerSid, friendlyName: 'Doug', attributes: a.workerAttributes, activitySid: null, createdAt: m.clock.now() });
    expect(m.sink.types()).toEqual(['reservation.created']);
    expect(m.sink.events[0]!.data).toMatchObject({ WorkerSid: a.workerSid, WorkerAttributes: a.workerAttributes, ReservationSid: a.reservationSid });
  });

  it('answers a repeated callback (a retry, the fallback URL) the same and writes nothing new; a pending one’s timer is armed again, unchanged', async () => {
    const m = memoryRuntime(ENV);
    const a = assignment();
    await m.runtime.service.assign(a, 60);
    const before = await storedTask(m, a);
    const events = m.sink.events.length;
    m.clock.advance(5000);
    expect(await m.runtime.service.assign(a, 90)).toBe('{}');
    expect(await storedTask(m, a)).toBe(before);
    expect(m.sink.events).toHaveLength(events);
    expect(m.scheduler.timers).toHaveLength(2);
    expect(m.scheduler.timers[1]).toEqual(m.scheduler.timers[0]);
  });

  it('applies the policy’s instruction before answering it, and answers a repeat with the stored answer', async () => {
    const m = memoryRuntime(ENV, { policy: CONFERENCE_POLICY });
    const a = assignment();
    const answer = await m.runtime.service.assign(a, 60);
    expect(JSON.parse(answer)).toEqual({ instruction: 'conference', from: '+15551234567', timeout: 20 });
    const { task, reservation } = await stored(m, a);
    expect(reservation.status).toBe('accepted');
    expect(reservation.instruction).toMatchObject({ name: 'conference', params: { From: '+15551234567', Timeout: 20 } });
    expect(task.acceptedReservationSid).toBe(a.reservationSid);
    // Accepted already: no timer to arm.
    expect(m.scheduler.timers).toEqual([]);
    expect(m.sink.types()).toEqual(['reservation.created', 'reservation.accepted']);
    const written = task.writtenAt;
    expect(await m.runtime.service.assign(a, 60)).toBe(answer);
    expect((await storedTask(m, a)).writtenAt).toBe(written);
    expect(m.sink.events).toHaveLength(2);
  });

  it('applies a policy’s reject, moving the worker to its activity_sid', async () => {
    const activity = sid('WA');
    const policy = parsePolicy({ rules: [{ instruction: { instruction: 'reject', activity_sid: activity } }] });
    const m = memoryRuntime(ENV, { policy });
    const a = assignment();
    expect(JSON.parse(await m.runtime.service.assign(a, 60))).toEqual({ instruction: 'reject', activity_sid: activity });
    expect((await stored(m, a)).reservation).toMatchObject({ status: 'rejected', activitySid: activity });
    expect(await m.runtime.service.getWorker(workerScope(a), 'worker')).toMatchObject({ activitySid: activity, activityChangedAt: m.clock.now() });
  });

  it('records a callback on a task already accepted without an instruction: answer {}, it reads rescinded, no timer', async () => {
    const m = memoryRuntime(ENV, { policy: CONFERENCE_POLICY });
    const first = assignment();
    await m.runtime.service.assign(first, 60);
    m.clock.advance(1000);
    const [late] = siblingsOf(first, 1);
    expect(await m.runtime.service.assign(late!, 60)).toBe('{}');
    const { task, reservation } = await stored(m, late!);
    expect(reservation).toMatchObject({ status: 'pending', answer: '{}' });
    expect(reservation.instruction).toBeUndefined();
    expect(effectiveStatus(task, reservation, m.clock.now()).status).toBe('rescinded');
    expect(task.acceptedReservationSid).toBe(first.reservationSid);
    expect(m.scheduler.timers).toEqual([]);
  });
});

describe('update', () => {
  it('accept: the reservation is accepted, the task assigned, its pending siblings rescinded in the same write', async () => {
    const m = memoryRuntime(ENV);
    const first = assignment();
    const [a, b, c] = await assignAll(m, [first, ...siblingsOf(first, 2)]);
    const { task, reservation } = await m.runtime.service.update(taskTarget(a!), form({ ReservationStatus: 'accepted' }), undefined);
    expect(reservation).toMatchObject({ sid: a!.reservationSid, status: 'accepted', version: 2 });
    const now = m.clock.now();
    expect(taskAssignment(task, now).status).toBe('assigned');
    expect([await statusNow(m, b!), await statusNow(m, c!)]).toEqual(['rescinded', 'rescinded']);
    // The accept's write: its own event first, then the rescissions it implies (ordered by event SID).
    const ofWrite = m.sink.events.filter((e) => e.at === task.writtenAt).map((e) => `${e.type} ${e.reservationSid}`);
    expect(ofWrite[0]).toBe(`reservation.accepted ${a!.reservationSid}`);
    expect(ofWrite.slice(1).sort()).toEqual([b!, c!].map((r) => `reservation.rescinded ${r.reservationSid}`).sort());
  });

  it('reject with WorkerActivitySid moves the worker; without one the worker keeps its activity', async () => {
    const m = memoryRuntime(ENV);
    const [a] = await assignAll(m, [assignment()]);
    const activity = sid('WA');
    const { task } = await m.runtime.service.update(taskTarget(a!), form({ ReservationStatus: 'rejected', WorkerActivitySid: activity }), undefined);
    expect(taskAssignment(task, m.clock.now()).status).toBe('pending');
    expect(await m.runtime.service.getWorker(workerScope(a!), 'worker')).toMatchObject({ activitySid: activity, activityChangedAt: m.clock.now() });
    expect(m.sink.types()).toContain('worker.activity.update');
    const [again] = await assignAll(m, [assignment({ WorkspaceSid: a!.workspaceSid, TaskSid: a!.taskSid, WorkerSid: a!.workerSid })]);
    await m.runtime.service.update(taskTarget(again!), form({ ReservationStatus: 'rejected' }), undefined);
    expect((await m.runtime.service.getWorker(workerScope(a!), 'worker')).activitySid).toBe(activity);
  });

  it('MAX_REJECTIONS rejections cancel the task: its pending reservation reads canceled and can no longer be accepted', async () => {
    const m = memoryRuntime(ENV);
    const first = assignment();
    const all = await assignAll(m, [first, ...siblingsOf(first, 3)]);
    for (const r of all.slice(0, 3)) await m.runtime.service.update(taskTarget(r), form({ ReservationStatus: 'rejected' }), undefined);
    const task = await storedTask(m, first);
    expect(taskAssignment(task, m.clock.now())).toMatchObject({ status: 'canceled', reason: 'Task canceled after 3 rejected reservations (maximum 3)' });
    expect(await statusNow(m, all[3]!)).toBe('canceled');
    expect(m.sink.types()).toEqual(expect.arrayContaining(['task.canceled', 'reservation.canceled']));
    await expect(m.runtime.service.update(taskTarget(all[3]!), form({ ReservationStatus: 'accepted' }), undefined)).rejects.toThrow(ReservationStateError);
  });

  it('If-Match: a version that does not match is a 412 and changes nothing; the current one (any spelling) goes through', async () => {
    const m = memoryRuntime(ENV);
    const [a] = await assignAll(m, [assignment()]);
    const update = (ifMatch: string) => m.runtime.service.update(taskTarget(a!), form({ ReservationStatus: 'accepted' }), parseIfMatch(ifMatch));
    const refused = await update('"7", "8"').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PreconditionFailedError);
    expect(refused).toMatchObject({ status: 412, code: 20412, message: 'Precondition Failed: If-Match "7", "8" does not match the current ETag "1"' });
    expect((await stored(m, a!)).reservation).toMatchObject({ status: 'pending', version: 1 });
    expect((await update('W/"1"')).reservation).toMatchObject({ status: 'accepted', version: 2 });
  });

  it('through a worker: its own reservation is updated; another worker’s is not found (and not touched)', async () => {
    const m = memoryRuntime(ENV);
    const first = assignment();
    const [a, b] = await assignAll(m, [first, ...siblingsOf(first, 1)]);
    await expect(m.runtime.service.update(workerTarget(a!, b!.workerSid), form({ ReservationStatus: 'accepted' }), undefined)).rejects.toThrow(NotFoundError);
    await expect(m.runtime.service.get(workerTarget(a!, b!.workerSid))).rejects.toThrow(NotFoundError);
    expect((await stored(m, a!)).reservation.status).toBe('pending');
    const { reservation } = await m.runtime.service.update(workerTarget(a!, a!.workerSid), form({ ReservationStatus: 'rejected' }), undefined);
    expect(reservation).toMatchObject({ sid: a!.reservationSid, status: 'rejected' });
  });

  it('an update the status does not allow is a ReservationStateError naming the state it needs', async () => {
    const m = memoryRuntime(ENV);
    const [a] = await assignAll(m, [assignment()]);
    await expect(m.runtime.service.update(taskTarget(a!), form({ ReservationStatus: 'completed' }), undefined)).rejects.toThrow(
      `Reservation ${a!.reservationSid} is not currently in an Accepted or Wrapping state`,
    );
    await m.runtime.service.update(taskTarget(a!), form({ ReservationStatus: 'accepted' }), undefined);
    const again = await m.runtime.service.update(taskTarget(a!), form({ ReservationStatus: 'rejected' }), undefined).catch((error: unknown) => error);
    expect(again).toBeInstanceOf(ReservationStateError);
    expect(again).toMatchObject({ status: 400, code: 20001, message: `Reservation ${a!.reservationSid} is not currently in a Pending state` });
  });

  it('a repeated reject finishes the worker move a first attempt left undone, and is refused', async () => {
    const m = memoryRuntime(ENV);
    const [a] = await assignAll(m, [assignment()]);
    const activity = sid('WA');
    const reject = () => m.runtime.service.update(taskTarget(a!), form({ ReservationStatus: 'rejected', WorkerActivitySid: activity }), undefined);
    vi.spyOn(m.stores.workers, 'setActivity').mockRejectedValueOnce(new Error('store unavailable'));
    await expect(reject()).rejects.toThrow('store unavailable');
    expect((await stored(m, a!)).reservation.status).toBe('rejected');
    expect((await m.runtime.service.getWorker(workerScope(a!), 'worker')).activitySid).toBeNull();
    await expect(reject()).rejects.toThrow(ReservationStateError);
    expect((await m.runtime.service.getWorker(workerScope(a!), 'worker')).activitySid).toBe(activity);
  });

  it('an unknown reservation or task is not found', async () => {
    const m = memoryRuntime(ENV);
    const [a] = await assignAll(m, [assignment()]);
    await expect(m.runtime.service.update(taskTarget(a!, sid('WR')), form({ ReservationStatus: 'accepted' }), undefined)).rejects.toThrow(NotFoundError);
    await expect(m.runtime.service.get(taskTarget(assignment()))).rejects.toThrow(NotFoundError);
    await expect(m.runtime.service.getTask(taskScopeOf(assignment()), 'task')).rejects.toThrow(NotFoundError);
    await expect(m.runtime.service.getWorker({ ...workerScope(a!), workerSid: sid('WK') }, 'worker')).rejects.toThrow(NotFoundError);
  });
});

describe('expire: a reservation timer fires', () => {
  it('early: nothing to do, nothing written', async () => {
    const m = memoryRuntime(ENV);
    const [a] = await assignAll(m, [assignment()], 30);
    const before = await storedTask(m, a!);
    expect(await m.runtime.service.expire(timerOf(a!))).toBe('nothing-to-do');
    expect(await storedTask(m, a!)).toBe(before);
  });

  it('after the deadline: the timeout is written, dated at the deadline, and the worker moves to TIMEOUT_ACTIVITY_SID', async () => {
    const m = memoryRuntime(ENV);
    const [a] = await assignAll(m, [assignment()], 30);
    const deadline = m.scheduler.timers[0]!.deadline;
    m.clock.advance(3_600_000);
    expect(await m.runtime.service.expire(timerOf(a!))).toBe('expired');
    expect((await stored(m, a!)).reservation).toMatchObject({ status: 'timeout', version: 2, updatedAt: deadline, activitySid: TIMEOUT_ACTIVITY });
    expect(await m.runtime.service.getWorker(workerScope(a!), 'worker')).toMatchObject({ activitySid: TIMEOUT_ACTIVITY, activityChangedAt: deadline });
    expect(m.sink.types()).toEqual(['reservation.created', 'reservation.timeout', 'worker.activity.update']);
    expect(await m.runtime.service.expire(timerOf(a!))).toBe('nothing-to-do');
    expect((await stored(m, a!)).reservation.version).toBe(2);
  });

  it('repeated after a first delivery died before the worker’s move: nothing to do, but the move is finished', async () => {
    const m = memoryRuntime(ENV);
    const [a] = await assignAll(m, [assignment()], 30);
    m.clock.advance(30_000);
    vi.spyOn(m.stores.workers, 'setActivity').mockRejectedValueOnce(new Error('store unavailable'));
    await expect(m.runtime.service.expire(timerOf(a!))).rejects.toThrow('store unavailable');
    expect((await stored(m, a!)).reservation.status).toBe('timeout');
    expect((await m.runtime.service.getWorker(workerScope(a!), 'worker')).activitySid).toBeNull();
    expect(await m.runtime.service.expire(timerOf(a!))).toBe('nothing-to-do');
    expect((await m.runtime.service.getWorker(workerScope(a!), 'worker')).activitySid).toBe(TIMEOUT_ACTIVITY);
  });

  it('a reservation answered before its deadline: nothing to do, the answer stands', async () => {
    const m = memoryRuntime(ENV);
    const [a] = await assignAll(m, [assignment()], 30);
    await m.runtime.service.update(taskTarget(a!), form({ ReservationStatus: 'accepted' }), undefined);
    m.clock.advance(60_000);
    expect(await m.runtime.service.expire(timerOf(a!))).toBe('nothing-to-do');
    expect((await stored(m, a!)).reservation.status).toBe('accepted');
    expect((await m.runtime.service.getWorker(workerScope(a!), 'worker')).activitySid).toBeNull();
  });

  it('an unknown reservation: not found', async () => {
    const m = memoryRuntime(ENV);
    expect(await m.runtime.service.expire(timerOf(assignment()))).toBe('not-found');
  });
});

describe('lists', () => {
  const sids = (page: { items: readonly { reservation: { sid: string } }[] }) => page.items.map((i) => i.reservation.sid);
  const key = (a: AssignmentCallback, m: MemoryRuntime) => stored(m, a).then(({ reservation }) => listKey(reservation.createdAt, reservation.sid));
  const withToken = (pageSize: number, cursor: Cursor) => readListQuery(form({ PageSize: String(pageSize), PageToken: encodePageToken(cursor) }), 'task');

  it('a task’s reservations, filtered by status and worker, in creation order, paged by keyset cursors both ways', async () => {
    const m = memoryRuntime(ENV);
    const first = assignment();
    const x = first.workerSid;
    const y = sid('WK');
    // Workers x and y take turns.
    const all = await assignAll(m, [first, ...[y, x, y, x].map((workerSid) => siblingsOf(first, 1, { WorkerSid: workerSid })[0]!)]);
    await m.runtime.service.update(taskTarget(all[1]!), form({ ReservationStatus: 'rejected' }), undefined);
    const scope = taskScopeOf(first);
    const list = (query: Record<string, string>) => m.runtime.service.listForTask(scope, readListQuery(form(query), 'task'), 'list');
    const expected = all.map((r) => r.reservationSid);
    expect(sids(await list({}))).toEqual(expected);
    expect(sids(await list({ ReservationStatus: 'rejected' }))).toEqual([expected[1]]);
    expect(sids(await list({ ReservationStatus: 'pending' }))).toEqual([expected[0], expected[2], expected[3], expected[4]]);
    expect(sids(await list({ WorkerSid: y }))).toEqual([expected[1], expected[3]]);
    expect(sids(await list({ WorkerSid: x, ReservationStatus: 'pending' }))).toEqual([expected[0], expected[2], expected[4]]);

    const page0 = await list({ PageSize: '2' });
    expect(sids(page0)).toEqual(expected.slice(0, 2));
    expect(page0.previous).toBeNull();
    expect(page0.next).toEqual({ page: 1, after: await key(all[1]!, m) });
    const page1 = await m.runtime.service.listForTask(scope, withToken(2, page0.next!), 'list');
    expect(sids(page1)).toEqual(expected.slice(2, 4));
    expect(page1.previous).toEqual({ page: 0, before: await key(all[2]!, m) });
    const page2 = await m.runtime.service.listForTask(scope, withToken(2, page1.next!), 'list');
    expect(sids(page2)).toEqual(expected.slice(4));
    expect(page2.next).toBeNull();
    const back = await m.runtime.service.listForTask(scope, withToken(2, page1.previous!), 'list');
    expect(sids(back)).toEqual(expected.slice(0, 2));
    expect(back.previous).toBeNull();
  });

  it('a worker’s reservations across tasks in the order they were assigned; a status filter keeps the page’s edges', async () => {
    const m = memoryRuntime(ENV);
    const first = assignment();
    const worker = { WorkspaceSid: first.workspaceSid, WorkerSid: first.workerSid };
    // Three tasks; the second task's reservation is assigned first, whatever the SIDs' order.
    const [onSecond, onFirst, onThird] = await assignAll(m, [assignment(worker), first, assignment(worker)]);
    // Another worker's reservation of the same task is not in this worker's list.
    await assignAll(m, siblingsOf(first, 1));
    await m.runtime.service.update(taskTarget(onFirst!), form({ ReservationStatus: 'accepted' }), undefined);
    const scope = workerScope(first);
    const list = (query: Record<string, string>) => m.runtime.service.listForWorker(scope, readListQuery(form(query), 'worker'), 'list');
    expect(sids(await list({}))).toEqual([onSecond!, onFirst!, onThird!].map((r) => r.reservationSid));
    const page0 = await list({ PageSize: '2' });
    expect(sids(page0)).toEqual([onSecond!.reservationSid, onFirst!.reservationSid]);
    const page1 = await m.runtime.service.listForWorker(
      scope,
      readListQuery(form({ PageSize: '2', PageToken: encodePageToken(page0.next!) }), 'worker'),
      'list',
    );
    expect(sids(page1)).toEqual([onThird!.reservationSid]);
    expect(page1.next).toBeNull();
    const accepted = await list({ PageSize: '2', ReservationStatus: 'accepted' });
    expect(sids(accepted)).toEqual([onFirst!.reservationSid]);
    // Fewer items than the page size, and still a next page: the filter does not move the edges.
    expect(accepted.next).toEqual(page0.next);
    // A worker this service has never seen has no list at all.
    await expect(m.runtime.service.listForWorker({ ...scope, workerSid: sid('WK') }, readListQuery(form({}), 'worker'), 'list')).rejects.toThrow(NotFoundError);
  });

  it('a link whose task is gone (expired first, or its write failed) is passed over, and still leads the pages on', async () => {
    const m = memoryRuntime(ENV);
    const first = assignment();
    const scope = workerScope(first);
    // The oldest link names a task that is not there, then two reservations, then another such link.
    const orphan = () =>
      m.stores.workers.linkReservation({
        scope,
        reservationSid: sid('WR'),
        taskSid: sid('WT'),
        workerName: 'Alice',
        workerAttributes: '{}',
        createdAt: m.clock.now(),
        deadline: m.clock.now() + 120_000,
      });
    await orphan();
    m.clock.advance(1000);
    await m.runtime.service.assign(first, 120);
    m.clock.advance(1000);
    await orphan();
    m.clock.advance(1000);
    const second = assignment({ WorkspaceSid: first.workspaceSid, WorkerSid: first.workerSid });
    await m.runtime.service.assign(second, 120);
    const seen: string[] = [];
    let query = readListQuery(form({ PageSize: '1' }), 'worker');
    for (let pages = 0; pages < 10; pages++) {
      const page = await m.runtime.service.listForWorker(scope, query, 'list');
      seen.push(...sids(page));
      if (!page.next) break;
      query = readListQuery(form({ PageSize: '1', PageToken: encodePageToken(page.next) }), 'worker');
    }
    expect(seen).toEqual([first.reservationSid, second.reservationSid]);
  });
});
