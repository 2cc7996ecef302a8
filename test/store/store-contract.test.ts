/**
 * The store contract, run against the in-memory stores, dynalite and Amazon's DynamoDB Local:
 * every rule of the state machine that the DynamoDB adapters compile into a condition (and the
 * memory ones evaluate with the domain's functions), checked on each, so the fast tests' stores
 * and the real ones cannot drift apart. Which engines a run takes is its vitest project's.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidParameterError, PreconditionFailedError, ReservationStateError } from '#lib/domain/errors.ts';
import { parseIfMatch } from '#lib/domain/if-match.ts';
import type { ReservationAction } from '#lib/domain/instructions.ts';
import { effectiveStatus, findReservation, taskAssignment, type TaskRecord } from '#lib/domain/task.ts';
import type { TaskScope } from '#lib/domain/scope.ts';
import { linkOf, type NewReservation } from '#lib/reservations/ports.ts';
import type { Stores } from '#lib/store/stores.ts';
import { TABLE, taskKey } from '#lib/store/table.ts';
import { STORE_ENGINES, type RunningStores } from '../support/store-engines.ts';
import { ACCOUNT_SID, sid } from '../support/fixtures.ts';

const T0 = Date.UTC(2026, 10, 24, 9, 0, 0);
const TIMEOUT = 120_000;

function newTask(workspaceSid = sid('WS')) {
  return {
    accountSid: ACCOUNT_SID,
    workspaceSid,
    taskSid: sid('WT'),
    workflowSid: sid('WW'),
    taskQueueSid: sid('WQ'),
    attributes: '{"type":"voice"}',
    priority: 1,
    createdAt: T0 - 3000,
  };
}

function newReservation(task: NewReservation['task'], overrides: Partial<NewReservation> = {}): NewReservation {
  return {
    task,
    reservationSid: sid('WR'),
    workerSid: sid('WK'),
    workerName: 'Alice',
    workerAttributes: '{"skill":"a"}',
    deadline: T0 + TIMEOUT,
    maxRejections: 3,
    answer: '{}',
    ...overrides,
  };
}

const ACCEPT: ReservationAction = { transition: 'accept' };
const REJECT: ReservationAction = { transition: 'reject' };

describe.each(STORE_ENGINES)('store contract on $name', (engine) => {
  let running: RunningStores;
  let stores: Stores;

  beforeAll(async () => {
    running = await engine.start();
    stores = running.stores;
  });
  afterAll(() => running.stop());

  /** The DynamoDB engines' client and table: some rules are about the items themselves (TTL). */
  const raw = () => running.raw;

  async function created(count = 1, overrides: Partial<NewReservation> = {}) {
    const task = newTask();
    const reservations = [];
    for (let i = 0; i < count; i++) {
      const input = newReservation(task, overrides);
      const { outcome } = await stores.tasks.recordReservation(input, T0 + i);
      expect(outcome).toBe('created');
      reservations.push(input);
    }
    const scope: TaskScope = { accountSid: task.accountSid, workspaceSid: task.workspaceSid, taskSid: task.taskSid };
    return { task, scope, reservations, sids: reservations.map((r) => r.reservationSid) };
  }

  const apply = (scope: TaskScope, reservationSid: string, action: ReservationAction, now = T0 + 1000, ifMatch?: string) =>
    stores.tasks.applyAction({ scope, reservationSid, action, now, ...(ifMatch !== undefined && { ifMatch: parseIfMatch(ifMatch)! }) });

  describe('recording an assignment', () => {
    it('stores the task and a pending reservation with its deadline and version 1', async () => {
      const { scope, sids } = await created();
      const task = (await stores.tasks.getTask(scope))!;
      expect(task).toMatchObject({ accountSid: ACCOUNT_SID, attributes: '{"type":"voice"}', priority: 1, rejections: 0, maxRejections: 3 });
      expect(task.reservations).toHaveLength(1);
      expect(task.reservations[0]).toMatchObject({ sid: sids[0], status: 'pending', version: 1, createdAt: T0, deadline: T0 + TIMEOUT, workerName: 'Alice' });
    });

    it('is idempotent on the ReservationSid: a repeat returns what is stored and writes nothing', async () => {
      const { task, reservations, scope } = await created();
      const before = await stores.tasks.getTask(scope);
      const repeat = await stores.tasks.recordReservation({ ...reservations[0]!, answer: '{"instruction":"accept"}', action: ACCEPT }, T0 + 50_000);
      expect(repeat.outcome).toBe('repeated');
      expect(repeat.task).toEqual(before);
      expect(await stores.tasks.getTask(scope)).toEqual(before);
      expect(task.taskSid).toBe(before!.sid);
    });

    it('adds more reservations of the same task beside the first, in creation order', async () => {
      const { scope, sids } = await created(3);
      expect((await stores.tasks.getTask(scope))!.reservations.map((r) => r.sid)).toEqual(sids);
    });

    it('keeps a task SID named in another workspace or account apart: each scope has its own record', async () => {
      const { task, scope, reservations } = await created();
      const before = await stores.tasks.getTask(scope);
      for (const other of [
        { ...task, workspaceSid: sid('WS') },
        { ...task, accountSid: sid('AC') },
      ]) {
        // The same task and reservation SIDs, even an accepting instruction: a new record of that scope.
        const recorded = await stores.tasks.recordReservation(
          { ...newReservation(other), reservationSid: reservations[0]!.reservationSid, action: ACCEPT },
          T0 + 5,
        );
        expect(recorded.outcome).toBe('created');
        expect(recorded.task).toMatchObject({ accountSid: other.accountSid, workspaceSid: other.workspaceSid, sid: task.taskSid });
      }
      expect(await stores.tasks.getTask(scope)).toEqual(before);
    });

    it('applies an accepting instruction in the same write, and refuses any reservation (writing nothing) on a claimed task', async () => {
      const task = newTask();
      const first = await stores.tasks.recordReservation(newReservation(task, { action: ACCEPT, answer: '{"instruction":"accept"}' }), T0);
      expect(first.outcome).toBe('created');
      expect(taskAssignment(first.task, T0).status).toBe('assigned');
      for (const second of [newReservation(task, { action: ACCEPT }), newReservation(task)]) {
        const refused = await stores.tasks.recordReservation(second, T0 + 1);
        expect(refused.outcome).toBe('refused');
        expect(findReservation(refused.task, second.reservationSid)).toBeUndefined();
      }
      const late = newReservation(task);
      const recorded = await stores.tasks.recordReservation({ ...late, evenIfClosed: true }, T0 + 2);
      expect(recorded.outcome).toBe('created');
      expect(effectiveStatus(recorded.task, findReservation(recorded.task, late.reservationSid)!, T0 + 2).status).toBe('rescinded');
    });

    // The TTL is an attribute of the DynamoDB item (the memory stores keep what TTL would remove).
    if (engine.name !== 'memory') {
      it('keeps no TTL on a task being worked on, and one RETENTION_DAYS after the last change otherwise', async () => {
        const { client, tableName } = raw()!;
        const expiresAt = async (scope: TaskScope) =>
          (await client.send(new GetCommand({ TableName: tableName, Key: taskKey(scope) }))).Item?.[TABLE.ttlAttribute] as number | undefined;
        const seconds = (ms: number) => Math.floor(ms / 1000) + 7 * 86_400;
        const { scope, sids } = await created(2);
        expect(await expiresAt(scope)).toBe(seconds(T0 + 1));
        await apply(scope, sids[0]!, REJECT, T0 + 5000);
        expect(await expiresAt(scope)).toBe(seconds(T0 + 5000));
        await apply(scope, sids[1]!, ACCEPT, T0 + 6000);
        expect(await expiresAt(scope)).toBeUndefined();
        await apply(scope, sids[1]!, { transition: 'wrap' }, T0 + 7000);
        expect(await expiresAt(scope)).toBeUndefined();
        await apply(scope, sids[1]!, { transition: 'complete' }, T0 + 8000);
        expect(await expiresAt(scope)).toBe(seconds(T0 + 8000));
      });

      it('leaves the TTL alone when a late timer writes down a timeout on a task accepted since', async () => {
        const { client, tableName } = raw()!;
        const task = newTask();
        const scope: TaskScope = { accountSid: task.accountSid, workspaceSid: task.workspaceSid, taskSid: task.taskSid };
        const early = newReservation(task, { deadline: T0 + 10_000 });
        const later = newReservation(task, { deadline: T0 + 100_000 });
        await stores.tasks.recordReservation(early, T0);
        await stores.tasks.recordReservation(later, T0 + 1);
        await stores.tasks.applyAction({ scope, reservationSid: later.reservationSid, action: ACCEPT, now: T0 + 20_000 });
        const timedOut = await stores.tasks.applyAction({ scope, reservationSid: early.reservationSid, action: { transition: 'timeout' }, now: T0 + 30_000 });
        expect(findReservation(timedOut!, early.reservationSid)!.status).toBe('timeout');
        const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: taskKey(task) }));
        expect(Item?.[TABLE.ttlAttribute]).toBeUndefined();
      });
    }
  });

  describe('applying actions', () => {
    it('accepts a pending reservation once; a second accept is refused and changes nothing', async () => {
      const { scope, sids } = await created();
      const accepted = (await apply(scope, sids[0]!, ACCEPT))!;
      expect(findReservation(accepted, sids[0]!)).toMatchObject({ status: 'accepted', version: 2, updatedAt: T0 + 1000 });
      expect(accepted.acceptedReservationSid).toBe(sids[0]);
      await expect(apply(scope, sids[0]!, ACCEPT, T0 + 2000)).rejects.toThrow(/not currently in a Pending state/);
      await expect(apply(scope, sids[0]!, REJECT, T0 + 2000)).rejects.toBeInstanceOf(ReservationStateError);
      expect(await stores.tasks.getTask(scope)).toEqual(accepted);
    });

    it('lets exactly one of many concurrent accepts of one reservation win', async () => {
      const { scope, sids } = await created();
      const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => apply(scope, sids[0]!, i % 2 ? ACCEPT : REJECT)));
      const winners = results.filter((r) => r.status === 'fulfilled');
      expect(winners).toHaveLength(1);
      expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof ReservationStateError)).toBe(true);
      const stored = findReservation((await stores.tasks.getTask(scope))!, sids[0]!)!;
      expect(stored.version).toBe(2);
      expect(stored.status).toBe(findReservation((winners[0] as PromiseFulfilledResult<TaskRecord>).value, sids[0]!)!.status);
    });

    it('accepts exactly one of a task’s reservations under concurrent accepts; the others read rescinded', async () => {
      const { scope, sids } = await created(5);
      const results = await Promise.allSettled(sids.map((s) => apply(scope, s, ACCEPT)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const task = (await stores.tasks.getTask(scope))!;
      const statuses = task.reservations.map((r) => effectiveStatus(task, r, T0 + 2000).status).sort();
      expect(statuses).toEqual(['accepted', 'rescinded', 'rescinded', 'rescinded', 'rescinded']);
      await expect(apply(scope, sids.find((s) => s !== task.acceptedReservationSid)!, REJECT, T0 + 3000)).rejects.toBeInstanceOf(ReservationStateError);
    });

    it('counts rejections exactly and cancels the task at maxRejections, with its pending reservations', async () => {
      const { scope, sids } = await created(4);
      for (const s of sids.slice(0, 3)) await apply(scope, s, REJECT);
      const task = (await stores.tasks.getTask(scope))!;
      expect(task.rejections).toBe(3);
      expect(taskAssignment(task, T0 + 2000)).toMatchObject({ status: 'canceled', reason: expect.stringMatching(/3 rejected/) });
      expect(effectiveStatus(task, findReservation(task, sids[3]!)!, T0 + 2000).status).toBe('canceled');
      await expect(apply(scope, sids[3]!, REJECT)).rejects.toBeInstanceOf(ReservationStateError);
      await expect(apply(scope, sids[3]!, ACCEPT)).rejects.toBeInstanceOf(ReservationStateError);
      expect((await stores.tasks.getTask(scope))!.rejections).toBe(3);
    });

    it('checks If-Match against the version: 412 and no change on a mismatch', async () => {
      const { scope, sids } = await created();
      await expect(apply(scope, sids[0]!, ACCEPT, T0 + 1000, '"2"')).rejects.toBeInstanceOf(PreconditionFailedError);
      await expect(apply(scope, sids[0]!, ACCEPT, T0 + 1000, 'junk')).rejects.toBeInstanceOf(PreconditionFailedError);
      expect(findReservation((await stores.tasks.getTask(scope))!, sids[0]!)!.version).toBe(1);
      expect(await apply(scope, sids[0]!, ACCEPT, T0 + 1000, '"1"')).toBeDefined();
      expect(await apply(scope, sids[0]!, { transition: 'wrap' }, T0 + 2000, '*')).toBeDefined();
    });

    it('never accepts at or after the deadline, and writes the timeout down only after it', async () => {
      const { scope, sids } = await created();
      const deadline = T0 + TIMEOUT;
      await expect(apply(scope, sids[0]!, ACCEPT, deadline)).rejects.toBeInstanceOf(ReservationStateError);
      await expect(apply(scope, sids[0]!, { transition: 'timeout' }, deadline - 1)).rejects.toBeInstanceOf(ReservationStateError);
      const timedOut = (await apply(scope, sids[0]!, { transition: 'timeout' }, deadline + 30_000))!;
      expect(findReservation(timedOut, sids[0]!)).toMatchObject({ status: 'timeout', updatedAt: deadline, version: 2 });
      await expect(apply(scope, sids[0]!, { transition: 'timeout' }, deadline + 60_000)).rejects.toBeInstanceOf(ReservationStateError);
    });

    it('does not write a timeout down for a reservation rescinded before its deadline', async () => {
      const { scope, sids } = await created(2);
      await apply(scope, sids[1]!, ACCEPT);
      await expect(apply(scope, sids[0]!, { transition: 'timeout' }, T0 + TIMEOUT + 1)).rejects.toBeInstanceOf(ReservationStateError);
    });

    it('follows accepted → wrapping → completed with the task', async () => {
      const { scope, sids } = await created();
      await apply(scope, sids[0]!, ACCEPT);
      const wrapping = (await apply(scope, sids[0]!, { transition: 'wrap' }, T0 + 2000))!;
      expect(taskAssignment(wrapping, T0 + 2000).status).toBe('wrapping');
      const completed = (await apply(scope, sids[0]!, { transition: 'complete' }, T0 + 3000))!;
      expect(taskAssignment(completed, T0 + 3000).status).toBe('completed');
      await expect(apply(scope, sids[0]!, { transition: 'wrap' }, T0 + 4000)).rejects.toThrow('not currently in an Accepted state');
    });

    it('finds nothing outside the scope: unknown task, reservation, workspace, account or worker', async () => {
      const { scope, sids } = await created();
      expect(await apply({ ...scope, taskSid: sid('WT') }, sids[0]!, ACCEPT)).toBeUndefined();
      expect(await apply(scope, sid('WR'), ACCEPT)).toBeUndefined();
      expect(await apply({ ...scope, workspaceSid: sid('WS') }, sids[0]!, ACCEPT)).toBeUndefined();
      expect(await apply({ ...scope, accountSid: sid('AC') }, sids[0]!, ACCEPT)).toBeUndefined();
      expect(await stores.tasks.applyAction({ scope, reservationSid: sids[0]!, action: ACCEPT, now: T0 + 1, workerSid: sid('WK') })).toBeUndefined();
      expect(await stores.tasks.getTask({ ...scope, workspaceSid: sid('WS') })).toBeUndefined();
      expect(findReservation((await stores.tasks.getTask(scope))!, sids[0]!)!.status).toBe('pending');
    });

    it('requires the worker’s contact_uri when an instruction leaves its address out', async () => {
      const without = await created();
      const instruction = { name: 'conference', params: {} };
      await expect(apply(without.scope, without.sids[0]!, { transition: 'accept', instruction, needsContactUri: 'To' })).rejects.toBeInstanceOf(
        InvalidParameterError,
      );
      const withContact = await created(1, { contactUri: 'client:alice' });
      const task = (await apply(withContact.scope, withContact.sids[0]!, { transition: 'accept', instruction, needsContactUri: 'To' }))!;
      expect(findReservation(task, withContact.sids[0]!)!.instruction).toEqual(instruction);
    });
  });

  describe('the worker index', () => {
    it('finds a worker’s reservation without its task, only in its own workspace and account', async () => {
      const { task, reservations } = await created();
      const input = reservations[0]!;
      await stores.workers.linkReservation(linkOf(input, T0));
      const workerScope = { accountSid: ACCOUNT_SID, workspaceSid: task.workspaceSid, workerSid: input.workerSid };
      expect(await stores.workers.taskOfReservation(workerScope, input.reservationSid)).toBe(task.taskSid);
      expect(await stores.workers.taskOfReservation({ ...workerScope, workspaceSid: sid('WS') }, input.reservationSid)).toBeUndefined();
      expect(await stores.workers.taskOfReservation({ ...workerScope, workerSid: sid('WK') }, input.reservationSid)).toBeUndefined();
      expect(await stores.workers.taskOfReservation(workerScope, sid('WR'))).toBeUndefined();
    });

    it('lists a worker’s reservations across tasks in creation order, forwards and backwards', async () => {
      const workspaceSid = sid('WS');
      const workerSid = sid('WK');
      const expected: string[] = [];
      for (let i = 0; i < 5; i++) {
        const input = newReservation(newTask(workspaceSid), { workerSid });
        await stores.workers.linkReservation(linkOf(input, T0 + i * 10));
        await stores.tasks.recordReservation(input, T0 + i * 10);
        expected.push(input.reservationSid);
      }
      const read = stores.workers.reservationLinks({ accountSid: ACCOUNT_SID, workspaceSid, workerSid });
      const first = await read('forward', undefined, 3);
      expect(first.items.map((i) => i.reservationSid)).toEqual(expected.slice(0, 3));
      expect(first.more).toBe(true);
      const key = (n: number) => `${String(T0 + n * 10).padStart(15, '0')}#${expected[n]}`;
      const rest = await read('forward', key(2), 3);
      expect(rest.items.map((i) => i.reservationSid)).toEqual(expected.slice(3));
      const back = await read('backward', key(3), 2);
      expect(back.items.map((i) => i.reservationSid)).toEqual(expected.slice(1, 3));
      const other = stores.workers.reservationLinks({ accountSid: ACCOUNT_SID, workspaceSid: sid('WS'), workerSid });
      expect((await other('forward', undefined, 10)).items).toEqual([]);
    });

    it('keeps the worker’s latest activity, whatever order the changes arrive in', async () => {
      const { task, reservations } = await created();
      await stores.workers.linkReservation(linkOf(reservations[0]!, T0));
      const workerScope = { accountSid: ACCOUNT_SID, workspaceSid: task.workspaceSid, workerSid: reservations[0]!.workerSid };
      await stores.workers.setActivity(workerScope, `WA${'2'.repeat(32)}`, T0 + 2000);
      await stores.workers.setActivity(workerScope, `WA${'1'.repeat(32)}`, T0 + 1000);
      expect(await stores.workers.getWorker(workerScope)).toMatchObject({
        friendlyName: 'Alice',
        attributes: '{"skill":"a"}',
        activitySid: `WA${'2'.repeat(32)}`,
        activityChangedAt: T0 + 2000,
        createdAt: T0,
      });
      expect(await stores.workers.getWorker({ ...workerScope, workspaceSid: sid('WS') })).toBeUndefined();
    });

    it('keeps another account’s links and activity apart, even under the same worker and reservation SIDs', async () => {
      const { task, reservations } = await created();
      await stores.workers.linkReservation(linkOf(reservations[0]!, T0));
      const workerScope = { accountSid: ACCOUNT_SID, workspaceSid: task.workspaceSid, workerSid: reservations[0]!.workerSid };
      await stores.workers.setActivity(workerScope, `WA${'3'.repeat(32)}`, T0 + 1000);
      const before = await stores.workers.getWorker(workerScope);

      // Another account records the same worker, reservation and workspace SIDs, later, and moves "its" worker.
      const other = { ...newTask(task.workspaceSid), accountSid: sid('AC') };
      const theirs: NewReservation = {
        ...newReservation(other),
        workerSid: workerScope.workerSid,
        reservationSid: reservations[0]!.reservationSid,
        workerName: 'Mallory',
        workerAttributes: '{"contact_uri":"client:mallory"}',
      };
      await stores.workers.linkReservation(linkOf(theirs, T0 + 5000));
      await stores.tasks.recordReservation(theirs, T0 + 5000);
      await stores.workers.setActivity({ ...workerScope, accountSid: other.accountSid }, `WA${'4'.repeat(32)}`, T0 + 6000);

      expect(await stores.workers.getWorker(workerScope)).toEqual(before);
      expect(await stores.workers.taskOfReservation(workerScope, reservations[0]!.reservationSid)).toBe(task.taskSid);
      const mineListed = await stores.workers.reservationLinks(workerScope)('forward', undefined, 10);
      expect(mineListed.items.map((i) => [i.taskSid, i.reservationSid])).toEqual([[task.taskSid, reservations[0]!.reservationSid]]);
      expect((await stores.workers.getWorker({ ...workerScope, accountSid: other.accountSid }))?.friendlyName).toBe('Mallory');
    });

    it('keeps the first link of a reservation: a repeat, or a second task naming it, changes nothing', async () => {
      const { task, reservations } = await created();
      const reservation = reservations[0]!;
      await stores.workers.linkReservation(linkOf(reservation, T0));
      const workerScope = { accountSid: ACCOUNT_SID, workspaceSid: task.workspaceSid, workerSid: reservation.workerSid };
      // A repeat with other attributes, then a second task of the same workspace naming the same reservation and worker.
      await stores.workers.linkReservation(linkOf({ ...reservation, workerAttributes: '{"repeat":1}' }, T0 + 5));
      const second = {
        ...newReservation(newTask(task.workspaceSid)),
        workerSid: reservation.workerSid,
        reservationSid: reservation.reservationSid,
        workerAttributes: '{"x":1}',
      };
      await stores.workers.linkReservation(linkOf(second, T0 + 9));
      await stores.tasks.recordReservation(second, T0 + 9);
      expect(await stores.workers.taskOfReservation(workerScope, reservation.reservationSid)).toBe(task.taskSid);
      expect((await stores.workers.getWorker(workerScope))?.attributes).toBe('{"skill":"a"}');
      const attributes = await stores.workers.attributesOf(task, [{ workerSid: reservation.workerSid, reservationSid: reservation.reservationSid }]);
      expect(attributes.get(reservation.reservationSid)).toBe('{"skill":"a"}');
    });

    it('gives the worker attributes of reservations by their links, in one read, and none for a reservation without one', async () => {
      const { task, reservations } = await created(3);
      for (const [i, r] of reservations.entries()) await stores.workers.linkReservation(linkOf({ ...r, workerAttributes: `{"n":${i}}` }, T0 + i));
      // Another process: nothing remembered, everything read.
      const fresh = running.again();
      const wanted = [
        ...reservations.map((r) => ({ workerSid: r.workerSid, reservationSid: r.reservationSid })),
        { workerSid: sid('WK'), reservationSid: sid('WR') },
      ];
      const attributes = await fresh.workers.attributesOf(task, wanted);
      expect(Object.fromEntries(attributes)).toEqual(Object.fromEntries(reservations.map((r, i) => [r.reservationSid, `{"n":${i}}`])));
      expect((await fresh.workers.attributesOf({ ...task, accountSid: sid('AC') }, wanted)).size).toBe(0);
    });
  });
});
