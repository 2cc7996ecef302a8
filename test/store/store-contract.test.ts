/**
 * The store contract, run against the in-memory stores, dynalite and Amazon's DynamoDB Local:
 * every port the stores implement (tasks and what upstream observed of them, forward marks,
 * workers, events, the inbox, the CloudEvent marks), with every rule of the state machine that the
 * DynamoDB adapters compile into a condition (and the memory ones evaluate with the domain's
 * functions) and the outcome of concurrent calls, checked on each by the same tests, so the fast
 * tests' stores and the real ones cannot drift apart. Which engines a run takes is its vitest
 * project's.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidParameterError, PreconditionFailedError, ReservationStateError, TaskStateError, WrapUpLimitError } from '#lib/domain/errors.ts';
import { taskEntityTag } from '#lib/domain/task-change.ts';
import { WRAP_UP_ELAPSED } from '#lib/domain/task.ts';
import type { ActivitySetBy, WorkerWrite } from '#lib/domain/worker.ts';
import type { EventFilter } from '#lib/domain/event-query.ts';
import { EVENT_TYPES, eventListKey, eventsOf, eventsOfWrite, type EventType, type TaskRouterEvent } from '#lib/domain/events.ts';
import { parseIfMatch } from '#lib/domain/if-match.ts';
import type { ReservationAction } from '#lib/domain/instructions.ts';
import { listKey, readPage, type Cursor, type Page, type WindowReader } from '#lib/domain/paging.ts';
import { effectiveStatus, findReservation, taskAssignment, type TaskRecord } from '#lib/domain/task.ts';
import type { TaskScope, WorkerScope, WorkspaceScope } from '#lib/domain/scope.ts';
import { linkOf, type ApplyAction, type NewReservation } from '#lib/reservations/ports.ts';
import type { InboxItem, Observation, ObservedOutcome } from '#lib/upstream/ports.ts';
import type { TaskEvent } from '#lib/upstream/upstream-event.ts';
import type { Stores } from '#lib/store/stores.ts';
import type { Period } from '#lib/domain/statistics-periods.ts';
import type { LiveTask } from '#lib/domain/statistics-realtime.ts';
import type { Contribution } from '#lib/domain/statistics-tally.ts';
import { TABLE, statisticsPartition, taskKey } from '#lib/store/table.ts';
import { STORE_ENGINES, type RunningStores } from '../support/store-engines.ts';
import { ACCOUNT_SID, sid } from '../support/fixtures.ts';

const T0 = Date.UTC(2026, 10, 24, 9, 0, 0);
const TIMEOUT = 120_000;
/**
 * Long before every other test's times. The sweep's lists (forward marks, the inbox) span the
 * whole table, not a scope: a test of their order takes its items from here, where no other
 * test's items are.
 */
const EARLY = T0 - 30 * 86_400_000;

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
const WRAP: ReservationAction = { transition: 'wrap' };

const scopeOf = (task: NewReservation['task']): TaskScope => ({ accountSid: task.accountSid, workspaceSid: task.workspaceSid, taskSid: task.taskSid });
const newWorkspace = (accountSid = ACCOUNT_SID): WorkspaceScope => ({ accountSid, workspaceSid: sid('WS') });

/** The task an observation wrote: the outcome must be `recorded`. */
function recordedTask(outcome: ObservedOutcome): TaskRecord {
  expect(outcome.kind).toBe('recorded');
  return (outcome as Extract<ObservedOutcome, { kind: 'recorded' }>).task;
}

/** What an event is about: its task, and the reservation and worker of a reservation event. */
interface Subject {
  readonly taskSid: string;
  readonly reservationSid?: string;
  readonly workerSid?: string;
}

const newSubject = (taskSid = sid('WT'), workerSid = sid('WK')): Required<Subject> => ({ taskSid, reservationSid: sid('WR'), workerSid });

/** An event built by hand: its time, type and subject are the test's, whatever a record would imply. */
function handEvent(scope: WorkspaceScope, at: number, subject: Subject, type: EventType = 'reservation.created'): TaskRouterEvent {
  const { resource } = EVENT_TYPES[type];
  return {
    sid: sid('EV'),
    type,
    accountSid: scope.accountSid,
    workspaceSid: scope.workspaceSid,
    at,
    resourceType: resource,
    resourceSid: resource === 'task' ? subject.taskSid : resource === 'worker' ? subject.workerSid! : subject.reservationSid!,
    description: `${type} at ${at}`,
    data: { TaskSid: subject.taskSid, ...(subject.reservationSid !== undefined && { ReservationSid: subject.reservationSid }) },
    taskSid: subject.taskSid,
    ...(subject.reservationSid !== undefined && { reservationSid: subject.reservationSid }),
    ...(subject.workerSid !== undefined && { workerSid: subject.workerSid }),
    taskQueueSid: `WQ${'1'.repeat(32)}`,
    workflowSid: `WW${'1'.repeat(32)}`,
  };
}

const inListOrder = (events: readonly TaskRouterEvent[]) => [...events].sort((a, b) => (eventListKey(a) < eventListKey(b) ? -1 : 1));

/** An upstream event callback as the mirror takes it in, received at `receivedAt`. */
function inboxItem(receivedAt: number, scope: WorkspaceScope = newWorkspace()): InboxItem {
  return {
    ...scope,
    sid: sid('EV'),
    event: { type: 'reservation.accepted', ...scope, taskSid: sid('WT'), reservationSid: sid('WR'), workerSid: sid('WK'), at: receivedAt - 100 },
    receivedAt,
  };
}

/** A move of worker Al (never moved before) to `activitySid`, decided from `expectedVersion`, with its event's facts. */
function moveOf(scope: WorkerScope, expectedVersion: number, activitySid: string, now: number, by: ActivitySetBy): WorkerWrite {
  return {
    scope,
    now,
    expectedVersion,
    activity: { sid: activitySid, by },
    change: {
      workerName: 'Al',
      attributes: '{}',
      activitySid,
      version: expectedVersion + 1,
      at: now,
      previousActivity: { sid: null, since: null },
      attributesChanged: false,
    },
  };
}

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
      /** The task item's TTL as stored, in epoch seconds. */
      const expiresAt = async (scope: TaskScope) => {
        const { client, tableName } = raw()!;
        return (await client.send(new GetCommand({ TableName: tableName, Key: taskKey(scope) }))).Item?.[TABLE.ttlAttribute] as number | undefined;
      };
      /** The TTL a change at `ms` sets: RETENTION_DAYS (7 here) after it. */
      const seconds = (ms: number) => Math.floor(ms / 1000) + 7 * 86_400;

      it('keeps no TTL on a task being worked on, and one RETENTION_DAYS after the last change otherwise', async () => {
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

      it('keeps no TTL while the task is worked on, whatever TaskRouter says later of a sibling; sets it once the claim is done', async () => {
        const { scope, sids } = await created(4);
        const record = (sid: string, status: Observation['status'], at: number) =>
          stores.tasks.recordObserved({ scope, reservationSid: sid, status, observedAt: at, now: at });
        expect((await record(sids[0]!, 'accepted', T0 + 1000)).kind).toBe('recorded');
        expect(await expiresAt(scope)).toBeUndefined();
        // A sibling's events, late: recorded, and the task keeps no TTL.
        expect((await record(sids[1]!, 'rescinded', T0 + 2000)).kind).toBe('recorded');
        expect((await record(sids[2]!, 'timeout', T0 + 3000)).kind).toBe('recorded');
        expect(await expiresAt(scope)).toBeUndefined();
        expect((await record(sids[0]!, 'wrapping', T0 + 4000)).kind).toBe('recorded');
        expect((await record(sids[0]!, 'completed', T0 + 5000)).kind).toBe('recorded');
        expect(await expiresAt(scope)).toBe(seconds(T0 + 5000));
        // After the claim is done, a sibling's event is a change like any other.
        expect((await record(sids[3]!, 'rejected', T0 + 6000)).kind).toBe('recorded');
        expect(await expiresAt(scope)).toBe(seconds(T0 + 6000));
        const task = (await stores.tasks.getTask(scope))!;
        expect(task.reservations.map((r) => r.status)).toEqual(['completed', 'rescinded', 'timeout', 'rejected']);
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
      const activitySid = sid('WA');
      const timedOut = (await apply(scope, sids[0]!, { transition: 'timeout', activitySid }, deadline + 30_000))!;
      // It ended at the deadline, and the worker moved then: writing it down later changes no date.
      expect(findReservation(timedOut, sids[0]!)).toMatchObject({ status: 'timeout', updatedAt: deadline, version: 2, activitySid, activityAt: deadline });
      await expect(apply(scope, sids[0]!, { transition: 'timeout' }, deadline + 60_000)).rejects.toBeInstanceOf(ReservationStateError);
    });

    it('dates a late timeout’s worker move just after a write of its task made since the deadline', async () => {
      const { scope, sids } = await created();
      const deadline = T0 + TIMEOUT;
      const changed = (await stores.tasks.changeTask({ scope, now: deadline + 10_000, priority: 3 }))!;
      expect(changed.writtenAt).toBeGreaterThanOrEqual(deadline + 10_000);
      const activitySid = sid('WA');
      const timedOut = (await apply(scope, sids[0]!, { transition: 'timeout', activitySid }, deadline + 30_000))!;
      expect(findReservation(timedOut, sids[0]!)).toMatchObject({ status: 'timeout', updatedAt: deadline, activitySid, activityAt: changed.writtenAt + 1 });
      expect(timedOut.previousWrittenAt).toBe(changed.writtenAt);
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

  describe('lifecycle: wrap-up deadlines, Task updates, worker writes, attention flags', () => {
    const WRAP_UP_MS = 30_000;
    const withRule = { lifecycle: { name: 'voice', wrapUpMs: WRAP_UP_MS } };

    it('a wrap-up under a rule has a deadline: completed from it on, written down once, never twice', async () => {
      const { scope, sids } = await created(1, withRule);
      await apply(scope, sids[0]!, ACCEPT, T0 + 1000);
      const wrapping = (await apply(scope, sids[0]!, WRAP, T0 + 2000))!;
      expect(findReservation(wrapping, sids[0]!)).toMatchObject({ status: 'wrapping', wrapUpDeadline: T0 + 2000 + WRAP_UP_MS });
      const end = T0 + 2000 + WRAP_UP_MS;
      expect(effectiveStatus(wrapping, findReservation(wrapping, sids[0]!)!, end - 1).status).toBe('wrapping');
      expect(effectiveStatus(wrapping, findReservation(wrapping, sids[0]!)!, end)).toEqual({ status: 'completed', since: end });
      expect(taskAssignment(wrapping, end)).toMatchObject({ status: 'completed', reason: WRAP_UP_ELAPSED });
      const expire = { transition: 'expireWrapUp', completedReason: WRAP_UP_ELAPSED } as const;
      await expect(apply(scope, sids[0]!, expire, end - 1)).rejects.toBeInstanceOf(ReservationStateError);
      // Once the deadline passed, the agent's own completion is too late: the timer's write is the one.
      await expect(apply(scope, sids[0]!, { transition: 'complete' }, end + 5)).rejects.toBeInstanceOf(ReservationStateError);
      const results = await Promise.allSettled([apply(scope, sids[0]!, expire, end + 10), apply(scope, sids[0]!, expire, end + 20)]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const done = (await stores.tasks.getTask(scope))!;
      expect(findReservation(done, sids[0]!)).toMatchObject({ status: 'completed', updatedAt: end, version: 4 });
      expect(taskAssignment(done, end + 30)).toMatchObject({ status: 'completed', reason: WRAP_UP_ELAPSED });
    });

    it('the agent completing before the deadline wins over the timer; exactly one of them writes', async () => {
      const { scope, sids } = await created(1, withRule);
      await apply(scope, sids[0]!, ACCEPT, T0 + 1000);
      await apply(scope, sids[0]!, WRAP, T0 + 2000);
      const end = T0 + 2000 + WRAP_UP_MS;
      const results = await Promise.allSettled([
        apply(scope, sids[0]!, { transition: 'complete' }, end - 1),
        apply(scope, sids[0]!, { transition: 'complete' }, end - 1),
        apply(scope, sids[0]!, { transition: 'expireWrapUp', completedReason: WRAP_UP_ELAPSED }, end + 1),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof ReservationStateError)).toBe(true);
      expect(findReservation((await stores.tasks.getTask(scope))!, sids[0]!)!.version).toBe(4);
    });

    it('extends a wrap-up with a deadline, and refuses one without or after its end', async () => {
      const { scope, sids } = await created(1, withRule);
      await apply(scope, sids[0]!, ACCEPT, T0 + 1000);
      await apply(scope, sids[0]!, WRAP, T0 + 2000);
      const extended = (await apply(scope, sids[0]!, { transition: 'extendWrapUp', extendWrapUpMs: 60_000 }, T0 + 3000))!;
      expect(findReservation(extended, sids[0]!)!.wrapUpDeadline).toBe(T0 + 2000 + WRAP_UP_MS + 60_000);
      await expect(apply(scope, sids[0]!, { transition: 'extendWrapUp', extendWrapUpMs: 1000 }, T0 + 2000 + WRAP_UP_MS + 60_000)).rejects.toBeInstanceOf(
        ReservationStateError,
      );
      const plain = await created();
      await apply(plain.scope, plain.sids[0]!, ACCEPT, T0 + 1000);
      const noLimit = (await apply(plain.scope, plain.sids[0]!, WRAP, T0 + 2000))!;
      expect(findReservation(noLimit, plain.sids[0]!)!.wrapUpDeadline).toBeUndefined();
      await expect(apply(plain.scope, plain.sids[0]!, { transition: 'extendWrapUp', extendWrapUpMs: 1000 }, T0 + 3000)).rejects.toBeInstanceOf(
        WrapUpLimitError,
      );
    });

    it('a Task update changes attributes and priority once per ETag, and cancels only a pending or reserved task', async () => {
      const { scope, sids } = await created(2);
      const before = (await stores.tasks.getTask(scope))!;
      const changed = (await stores.tasks.changeTask({
        scope,
        now: T0 + 5000,
        attributes: '{"x":1}',
        priority: 7,
        ifMatch: parseIfMatch(taskEntityTag(before))!,
      }))!;
      expect(changed).toMatchObject({ attributes: '{"x":1}', priority: 7, lastUpdate: { n: 1, at: T0 + 5000 } });
      await expect(stores.tasks.changeTask({ scope, now: T0 + 6000, priority: 9, ifMatch: parseIfMatch(taskEntityTag(before))! })).rejects.toBeInstanceOf(
        PreconditionFailedError,
      );
      const canceled = (await stores.tasks.changeTask({ scope, now: T0 + 7000, cancel: { reason: 'caller hung up' } }))!;
      expect(taskAssignment(canceled, T0 + 7000)).toMatchObject({ status: 'canceled', reason: 'caller hung up' });
      expect(canceled.reservations.map((r) => effectiveStatus(canceled, r, T0 + 7000).status)).toEqual(['canceled', 'canceled']);
      await expect(stores.tasks.changeTask({ scope, now: T0 + 8000, cancel: { reason: 'again' } })).rejects.toBeInstanceOf(TaskStateError);
      await expect(apply(scope, sids[0]!, ACCEPT, T0 + 8000)).rejects.toBeInstanceOf(ReservationStateError);
      const assigned = await created();
      await apply(assigned.scope, assigned.sids[0]!, ACCEPT);
      await expect(stores.tasks.changeTask({ scope: assigned.scope, now: T0 + 9000, cancel: { reason: 'late' } })).rejects.toBeInstanceOf(TaskStateError);
      expect(await stores.tasks.changeTask({ scope: { ...scope, accountSid: sid('AC') }, now: T0 + 9000, priority: 1 })).toBeUndefined();
      // A cancellation with attributes and priority: one write makes all three.
      const both = await created();
      const all = (await stores.tasks.changeTask({ scope: both.scope, now: T0 + 9000, cancel: { reason: 'voicemail' }, attributes: '{"vm":1}', priority: 3 }))!;
      expect(all).toMatchObject({ attributes: '{"vm":1}', priority: 3, lastUpdate: { n: 1, at: T0 + 9000 }, canceled: { at: T0 + 9000, reason: 'voicemail' } });
      expect(await stores.tasks.getTask(both.scope)).toEqual(all);
      // Completing with attributes and priority: the transition's write sets them, counted as a change.
      const done = await created();
      await apply(done.scope, done.sids[0]!, ACCEPT, T0 + 1000);
      const completed = (await apply(
        done.scope,
        done.sids[0]!,
        { transition: 'complete', completedReason: 'sold', taskChange: { attributes: '{"sale":1}', priority: 2 } },
        T0 + 2000,
      ))!;
      expect(completed).toMatchObject({ attributes: '{"sale":1}', priority: 2, completedReason: 'sold', lastUpdate: { n: 1, at: T0 + 2000 } });
      expect(findReservation(completed, done.sids[0]!)!.status).toBe('completed');
      expect(await stores.tasks.getTask(done.scope)).toEqual(completed);
      // A wrap-up with a reason records it beside the completion's.
      const wrapped = await created();
      await apply(wrapped.scope, wrapped.sids[0]!, ACCEPT, T0 + 1000);
      const wrapping = (await apply(wrapped.scope, wrapped.sids[0]!, { transition: 'wrap', wrapUpReason: 'conference ended' }, T0 + 2000))!;
      expect(wrapping).toMatchObject({ wrapUpReason: 'conference ended' });
      expect(wrapping.completedReason).toBeUndefined();
      expect(await stores.tasks.getTask(wrapped.scope)).toEqual(wrapping);
    });

    it('concurrent cancellations and accepts of one task: exactly one of them happens', async () => {
      const { scope, sids } = await created(3);
      const results = await Promise.allSettled([
        ...sids.map((s) => apply(scope, s, ACCEPT, T0 + 2000)),
        stores.tasks.changeTask({ scope, now: T0 + 2000, cancel: { reason: 'gone' } }),
        stores.tasks.changeTask({ scope, now: T0 + 2000, cancel: { reason: 'gone' } }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const status = taskAssignment((await stores.tasks.getTask(scope))!, T0 + 3000).status;
      expect(['assigned', 'canceled']).toContain(status);
    });

    it('writes a worker on the version it was decided from: one of two concurrent writes wins', async () => {
      const scope = { accountSid: ACCOUNT_SID, workspaceSid: sid('WS'), workerSid: sid('WK') };
      expect(await stores.workers.workerState(scope)).toBeUndefined();
      // A worker is known from the callbacks that reserved it.
      const input = newReservation(newTask(scope.workspaceSid), { workerSid: scope.workerSid, workerName: 'Al' });
      await stores.workers.linkReservation(linkOf(input, T0 - 10));
      expect((await stores.workers.workerState(scope))!.worker).toMatchObject({ version: 0, friendlyName: 'Al', activitySid: null });
      const write = (activitySid: string, expectedVersion: number, now: number): WorkerWrite => ({
        scope,
        now,
        expectedVersion,
        activity: { sid: activitySid, by: 'update' },
        friendlyName: 'Alice',
        attributes: '{"skills":["en"]}',
        change: {
          workerName: 'Alice',
          attributes: '{"skills":["en"]}',
          activitySid,
          version: expectedVersion + 1,
          at: now,
          previousActivity: { sid: null, since: null },
          attributesChanged: true,
        },
        lifecycle: { held: ['WTa/WRa'], moves: ['EVa'] },
      });
      expect(await stores.workers.writeWorker(write(sid('WA'), 0, T0))).toBe(true);
      const state = (await stores.workers.workerState(scope))!;
      expect(state.worker).toMatchObject({
        version: 1,
        friendlyName: 'Alice',
        attributes: '{"skills":["en"]}',
        activitySetBy: 'update',
        activityChangedAt: T0,
      });
      expect(state.lifecycle).toEqual({ held: ['WTa/WRa'], moves: ['EVa'] });
      const racing = await Promise.all([stores.workers.writeWorker(write(sid('WA'), 1, T0 + 1)), stores.workers.writeWorker(write(sid('WA'), 1, T0 + 2))]);
      expect(racing.filter(Boolean)).toHaveLength(1);
      expect(await stores.workers.writeWorker(write(sid('WA'), 1, T0 + 3))).toBe(false);
      expect((await stores.workers.workerState(scope))!.worker.version).toBe(2);
      // A reservation's move (a rejection's activity) counts as a change of the worker too.
      await stores.workers.setActivity(scope, sid('WA'), T0 + 10);
      expect((await stores.workers.workerState(scope))!.worker).toMatchObject({ version: 3, activitySetBy: 'reservation' });
      expect(await stores.workers.workerState({ ...scope, accountSid: sid('AC') })).toBeUndefined();
    });

    it('flags a reservation for attention once, lists it by workspace, and dismisses it', async () => {
      const scope = newWorkspace();
      const item = { ...scope, taskSid: sid('WT'), reservationSid: sid('WR'), workerSid: sid('WK'), rule: 'voice', since: T0, flaggedAt: T0 + 60_000 };
      expect(await stores.attention.flag(item)).toEqual({ notified: false });
      expect(await stores.attention.flag({ ...item, flaggedAt: T0 + 70_000 })).toEqual({ notified: false });
      await stores.attention.markNotified(scope, item.reservationSid);
      expect(await stores.attention.flag(item)).toEqual({ notified: true });
      const older = { ...item, reservationSid: sid('WR'), since: T0 - 1000, flaggedAt: T0 + 50_000 };
      await stores.attention.flag(older);
      expect((await stores.attention.list(scope)).map((i) => i.reservationSid)).toEqual([older.reservationSid, item.reservationSid]);
      expect((await stores.attention.list(scope))[1]).toMatchObject({ flaggedAt: T0 + 60_000, rule: 'voice' });
      expect(await stores.attention.list(newWorkspace())).toEqual([]);
      expect(await stores.attention.list({ ...scope, accountSid: sid('AC') })).toEqual([]);
      // Whether there was a flag: a second dismissal finds it (dismissed); one never flagged, or another account's, does not.
      expect(await stores.attention.dismiss(scope, item.reservationSid)).toBe(true);
      expect(await stores.attention.dismiss(scope, item.reservationSid)).toBe(true);
      expect(await stores.attention.dismiss(scope, sid('WR'))).toBe(false);
      expect(await stores.attention.dismiss({ ...scope, accountSid: sid('AC') }, older.reservationSid)).toBe(false);
      expect((await stores.attention.list(scope)).map((i) => i.reservationSid)).toEqual([older.reservationSid]);
      // A timer delivered again after the dismissal does not bring the flag back.
      await stores.attention.flag(item);
      expect((await stores.attention.list(scope)).map((i) => i.reservationSid)).toEqual([older.reservationSid]);
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

    it('reads a worker’s links as they are when a window is read, and leads on after a full window even at the end', async () => {
      const worker = { ...newWorkspace(), workerSid: sid('WK') };
      // Made before any link is written: it reads what is there when it reads.
      const read = stores.workers.reservationLinks(worker);
      const expected: string[] = [];
      for (let i = 0; i < 4; i++) {
        const input = newReservation({ ...newTask(worker.workspaceSid), accountSid: worker.accountSid }, { workerSid: worker.workerSid });
        await stores.workers.linkReservation(linkOf(input, T0 + i * 10));
        expected.push(input.reservationSid);
      }
      const key = (n: number) => listKey(T0 + n * 10, expected[n]!);
      const sids = (window: { items: readonly { reservationSid: string }[]; more: boolean }) => [window.items.map((l) => l.reservationSid), window.more];
      // As a DynamoDB query with a Limit: a full window says more may follow, the next one is empty.
      expect(sids(await read('forward', key(1), 2))).toEqual([expected.slice(2), true]);
      expect(sids(await read('forward', key(3), 2))).toEqual([[], false]);
      expect(sids(await read('backward', key(2), 2))).toEqual([expected.slice(0, 2), true]);
      expect(sids(await read('backward', key(0), 2))).toEqual([[], false]);
      expect(sids(await read('forward', undefined, 5))).toEqual([expected, false]);
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

  const markForward = (scope: TaskScope, reservationSid: string, markId: string, now = T0 + 1000, more: Partial<ApplyAction> = {}) =>
    stores.marks.markForward({ scope, reservationSid, action: ACCEPT, now, ...more }, markId);

  /** What upstream observed, at `observedAt`, recorded then too unless `more.now` says otherwise. */
  const observe = (scope: TaskScope, reservationSid: string, status: Observation['status'], observedAt: number, more: Partial<Observation> = {}) =>
    stores.tasks.recordObserved({ scope, reservationSid, status, observedAt, now: observedAt, ...more });

  describe('forward marks', () => {
    it('takes a task’s mark when the action is allowed, and shows a second update of the task the mark held, writing nothing', async () => {
      const { scope, sids } = await created(2);
      const id = randomUUID();
      const taken = (await markForward(scope, sids[0]!, id))!;
      expect(taken.taken).toBe(true);
      expect(taken.task.forward).toEqual({ id, reservationSid: sids[0], transition: 'accept', at: T0 + 1000 });
      // The mark changes no reservation: the update is made when upstream has answered.
      expect(findReservation(taken.task, sids[0]!)).toMatchObject({ status: 'pending', version: 1 });
      const marked = (await stores.tasks.getTask(scope))!;
      expect(marked).toEqual(taken.task);
      for (const [reservationSid, action] of [
        [sids[0]!, ACCEPT],
        [sids[1]!, REJECT],
      ] as const) {
        expect(await markForward(scope, reservationSid, randomUUID(), T0 + 2000, { action })).toEqual({ taken: false, task: marked, mark: marked.forward });
      }
      expect(await stores.tasks.getTask(scope)).toEqual(marked);
    });

    it('refuses the mark with the error the action itself would get, before looking at a mark held, writing nothing', async () => {
      const { scope, sids } = await created(2);
      await apply(scope, sids[0]!, ACCEPT, T0 + 1000);
      const accepted = await stores.tasks.getTask(scope);
      // Left pending: one accepted, its sibling rescinded by that.
      await expect(markForward(scope, sids[0]!, randomUUID(), T0 + 2000)).rejects.toBeInstanceOf(ReservationStateError);
      await expect(markForward(scope, sids[1]!, randomUUID(), T0 + 2000, { action: REJECT })).rejects.toBeInstanceOf(ReservationStateError);
      await expect(markForward(scope, sids[0]!, randomUUID(), T0 + 2000, { action: WRAP, ifMatch: parseIfMatch('"1"')! })).rejects.toBeInstanceOf(
        PreconditionFailedError,
      );
      expect(await stores.tasks.getTask(scope)).toEqual(accepted);
      const taken = await markForward(scope, sids[0]!, randomUUID(), T0 + 2000, { action: WRAP, ifMatch: parseIfMatch('"2"')! });
      expect(taken?.taken).toBe(true);
      // A mark is held now, yet a refused action hears why it is refused, not who holds the mark.
      await expect(markForward(scope, sids[1]!, randomUUID(), T0 + 3000)).rejects.toBeInstanceOf(ReservationStateError);
      await expect(markForward(scope, sids[0]!, randomUUID(), T0 + 3000, { action: WRAP, ifMatch: parseIfMatch('"1"')! })).rejects.toBeInstanceOf(
        PreconditionFailedError,
      );
      expect(await stores.tasks.getTask(scope)).toEqual(taken!.task);
      const late = await created();
      await expect(markForward(late.scope, late.sids[0]!, randomUUID(), T0 + TIMEOUT)).rejects.toBeInstanceOf(ReservationStateError);
      expect((await stores.tasks.getTask(late.scope))!.forward).toBeUndefined();
    });

    it('finds nothing to mark outside the scope: unknown task or reservation, another workspace, account or worker', async () => {
      const { scope, sids, reservations } = await created();
      const id = randomUUID();
      expect(await markForward({ ...scope, taskSid: sid('WT') }, sids[0]!, id)).toBeUndefined();
      expect(await markForward(scope, sid('WR'), id)).toBeUndefined();
      expect(await markForward({ ...scope, workspaceSid: sid('WS') }, sids[0]!, id)).toBeUndefined();
      expect(await markForward({ ...scope, accountSid: sid('AC') }, sids[0]!, id)).toBeUndefined();
      expect(await markForward(scope, sids[0]!, id, T0 + 1000, { workerSid: sid('WK') })).toBeUndefined();
      expect((await stores.tasks.getTask(scope))!.forward).toBeUndefined();
      expect(await stores.tasks.getTask({ ...scope, taskSid: sid('WT') })).toBeUndefined();
      expect((await markForward(scope, sids[0]!, id, T0 + 1000, { workerSid: reservations[0]!.workerSid }))?.taken).toBe(true);
    });

    it('records what a confirmed forward set beside its status when TaskRouter’s event recorded the status first', async () => {
      const { scope, sids } = await created();
      await apply(scope, sids[0]!, ACCEPT, T0 + 1000);
      const action = { transition: 'complete' as const, completedReason: 'sold', taskChange: { attributes: '{"sale":1}', priority: 4 } };
      const id = randomUUID();
      expect((await markForward(scope, sids[0]!, id, T0 + 2000, { action }))!.taken).toBe(true);
      // The mirror applies reservation.completed before the forward's answer is recorded.
      expect((await observe(scope, sids[0]!, 'completed', T0 + 2500)).kind).toBe('recorded');
      const settled = await observe(scope, sids[0]!, 'completed', T0 + 3000, { action, markId: id });
      expect(settled).toMatchObject({ kind: 'already-recorded', markCleared: true });
      const task = (await stores.tasks.getTask(scope))!;
      expect(task).toMatchObject({ attributes: '{"sale":1}', priority: 4, completedReason: 'sold', lastUpdate: { n: 1, at: T0 + 3000 } });
      expect(task.forward).toBeUndefined();
      // Settled again (the sweep, a retry): the mark is gone, nothing more is written.
      await observe(scope, sids[0]!, 'completed', T0 + 4000, { action, markId: id });
      expect(await stores.tasks.getTask(scope)).toEqual(task);
      // A forwarded wrap-up's reason, the same way.
      const other = await created();
      await apply(other.scope, other.sids[0]!, ACCEPT, T0 + 1000);
      const wrap = { transition: 'wrap' as const, wrapUpReason: 'conference ended' };
      const wrapId = randomUUID();
      expect((await markForward(other.scope, other.sids[0]!, wrapId, T0 + 2000, { action: wrap }))!.taken).toBe(true);
      expect((await observe(other.scope, other.sids[0]!, 'wrapping', T0 + 2500)).kind).toBe('recorded');
      await observe(other.scope, other.sids[0]!, 'wrapping', T0 + 3000, { action: wrap, markId: wrapId });
      expect(await stores.tasks.getTask(other.scope)).toMatchObject({ wrapUpReason: 'conference ended' });
    });

    it('clears the mark only while it is the same one: another id, or the same one again, writes nothing', async () => {
      const { scope, sids } = await created();
      const id = randomUUID();
      const { task: marked } = (await markForward(scope, sids[0]!, id))!;
      expect(await stores.marks.clearForward(scope, randomUUID(), T0 + 2000)).toBeUndefined();
      expect(await stores.marks.clearForward({ ...scope, workspaceSid: sid('WS') }, id, T0 + 2000)).toBeUndefined();
      expect(await stores.marks.clearForward({ ...scope, taskSid: sid('WT') }, id, T0 + 2000)).toBeUndefined();
      expect(await stores.tasks.getTask(scope)).toEqual(marked);
      const cleared = await stores.marks.clearForward(scope, id, T0 + 3000);
      const { forward: _forward, ...unmarked } = marked;
      // A write of its own (stamped), that changes nothing else.
      expect(cleared).toEqual({ ...unmarked, writtenAt: T0 + 3000, previousWrittenAt: T0 + 1000 });
      expect(await stores.tasks.getTask(scope)).toEqual(cleared);
      expect(await stores.marks.clearForward(scope, id, T0 + 4000)).toBeUndefined();
      expect(await stores.tasks.getTask(scope)).toEqual(cleared);
      // Cleared, the task takes the next update's mark.
      expect((await markForward(scope, sids[0]!, randomUUID(), T0 + 5000))?.taken).toBe(true);
    });

    it('lists the tasks marked before a time, oldest mark first, up to a limit; a cleared mark leaves the list', async () => {
      const marked: { scope: TaskScope; reservationSid: string; id: string }[] = [];
      // Marked in the reverse order of their creation: the list goes by the mark's time.
      for (let i = 0; i < 4; i++) {
        const input = newReservation(newTask());
        await stores.tasks.recordReservation(input, EARLY);
        const id = randomUUID();
        expect((await markForward(scopeOf(input.task), input.reservationSid, id, EARLY + 100 - i * 10))?.taken).toBe(true);
        marked.push({ scope: scopeOf(input.task), reservationSid: input.reservationSid, id });
      }
      const listed = async (before: number, limit: number) => (await stores.marks.forwardsBefore(before, limit)).map((t) => t.sid);
      const [a, b, c, d] = marked.map((m) => m.scope.taskSid);
      expect(await listed(EARLY + 100, 10)).toEqual([d, c, b]);
      expect(await listed(EARLY + 101, 2)).toEqual([d, c]);
      expect(await listed(EARLY + 70, 10)).toEqual([]);
      const [oldest] = await stores.marks.forwardsBefore(EARLY + 71, 10);
      expect(oldest).toEqual(await stores.tasks.getTask(marked[3]!.scope));
      expect(oldest!.forward).toEqual({ id: marked[3]!.id, reservationSid: marked[3]!.reservationSid, transition: 'accept', at: EARLY + 70 });
      await stores.marks.clearForward(marked[2]!.scope, marked[2]!.id, EARLY + 200);
      expect(await listed(EARLY + 101, 10)).toEqual([d, b, a]);
      // Deferred by a sweep that could not settle it: behind the others, its own time kept. Another mark's id changes nothing.
      expect(await stores.marks.deferForward(marked[3]!.scope, randomUUID(), EARLY + 150)).toBeUndefined();
      expect(await listed(EARLY + 101, 10)).toEqual([d, b, a]);
      await stores.marks.deferForward(marked[3]!.scope, marked[3]!.id, EARLY + 150);
      expect(await listed(EARLY + 101, 10)).toEqual([b, a]);
      expect(await listed(EARLY + 151, 10)).toEqual([b, a, d]);
      expect((await stores.tasks.getTask(marked[3]!.scope))!.forward).toMatchObject({ id: marked[3]!.id, at: EARLY + 70 });
    });

    it('lists the workers marked before a time, oldest first; a deferred mark goes behind the others', async () => {
      const marked = await Promise.all(
        [1, 2].map(async (i) => {
          const scope = { accountSid: ACCOUNT_SID, workspaceSid: sid('WS'), workerSid: sid('WK') };
          await stores.workers.linkReservation(
            linkOf(newReservation(newTask(scope.workspaceSid), { workerSid: scope.workerSid, workerName: 'Al' }), EARLY - 10),
          );
          const id = randomUUID();
          expect(await stores.workers.markWorkerForward(moveOf(scope, 0, sid('WA'), EARLY + i, 'update'), id)).toBe('taken');
          return { scope, id };
        }),
      );
      const mine = new Set(marked.map((m) => m.scope.workerSid));
      const listed = async (before: number) =>
        (await stores.workers.workerForwardsBefore(before, 1000)).map((m) => m.scope.workerSid).filter((w) => mine.has(w));
      const [first, second] = marked.map((m) => m.scope.workerSid);
      expect(await listed(EARLY + 3)).toEqual([first, second]);
      await stores.workers.deferWorkerForward(marked[0]!.scope, randomUUID(), EARLY + 3);
      expect(await listed(EARLY + 3)).toEqual([first, second]);
      await stores.workers.deferWorkerForward(marked[0]!.scope, marked[0]!.id, EARLY + 3);
      expect(await listed(EARLY + 3)).toEqual([second]);
      expect(await listed(EARLY + 4)).toEqual([second, first]);
      const [again] = (await stores.workers.workerForwardsBefore(EARLY + 4, 1000)).filter((m) => m.scope.workerSid === first);
      expect(again!.mark).toMatchObject({ id: marked[0]!.id, at: EARLY + 1 });
    });

    it('gives the mark to exactly one of many concurrent forwards of a task, tells the others which one holds it, and clears it once', async () => {
      const { scope, sids } = await created(3);
      const ids = Array.from({ length: 12 }, () => randomUUID());
      const outcomes = await Promise.all(ids.map((id, i) => markForward(scope, sids[i % 3]!, id)));
      expect(outcomes.filter((o) => o?.taken === true)).toHaveLength(1);
      const held = (await stores.tasks.getTask(scope))!.forward!;
      expect(ids).toContain(held.id);
      expect(outcomes.flatMap((o) => (o?.taken === false ? [o.mark.id] : []))).toEqual(Array(11).fill(held.id));
      const clears = await Promise.all(Array.from({ length: 6 }, () => stores.marks.clearForward(scope, held.id, T0 + 2000)));
      expect(clears.filter((t) => t !== undefined)).toHaveLength(1);
      expect((await stores.tasks.getTask(scope))!.forward).toBeUndefined();
    });
  });

  describe('forward marks of Task and Worker updates', () => {
    it('takes a task’s mark for a change allowed now, keeping what it asks for; refuses one not allowed before looking at a mark held', async () => {
      const { scope, sids } = await created(2);
      const change = { scope, now: T0 + 1000, attributes: '{"type":"chat"}', priority: 4 };
      const id = randomUUID();
      const taken = (await stores.marks.markTaskChange(change, id))!;
      expect(taken.taken).toBe(true);
      expect(taken.task.forward).toEqual({ id, change: { attributes: '{"type":"chat"}', priority: 4 }, at: T0 + 1000 });
      // The mark changes nothing else: the change is recorded when upstream has confirmed it.
      expect(taken.task).toMatchObject({ attributes: '{"type":"voice"}', priority: 1 });
      expect(await stores.tasks.getTask(scope)).toEqual(taken.task);
      // Another change, or a reservation's update, of the task waits for it.
      expect(await stores.marks.markTaskChange({ scope, now: T0 + 2000, cancel: { reason: 'gone' } }, randomUUID())).toEqual({
        taken: false,
        task: taken.task,
        mark: taken.task.forward,
      });
      expect(await markForward(scope, sids[0]!, randomUUID(), T0 + 2000)).toMatchObject({ taken: false, mark: { id } });
      await expect(stores.marks.markTaskChange({ scope, now: T0 + 2000, priority: 2, ifMatch: parseIfMatch('"1"')! }, randomUUID())).rejects.toBeInstanceOf(
        PreconditionFailedError,
      );
      expect(await stores.marks.markTaskChange({ scope: { ...scope, accountSid: sid('AC') }, now: T0 + 2000, priority: 2 }, randomUUID())).toBeUndefined();
      expect(await stores.marks.markTaskChange({ scope: { ...scope, taskSid: sid('WT') }, now: T0 + 2000, priority: 2 }, randomUUID())).toBeUndefined();
      expect(await stores.marks.clearForward(scope, id, T0 + 3000)).toBeDefined();
      // A cancellation needs a pending or reserved task: an accepted one is refused, whatever a mark.
      await apply(scope, sids[0]!, ACCEPT, T0 + 4000);
      await expect(stores.marks.markTaskChange({ scope, now: T0 + 5000, cancel: { reason: 'gone' } }, randomUUID())).rejects.toBeInstanceOf(TaskStateError);
      expect((await stores.tasks.getTask(scope))!.forward).toBeUndefined();
    });

    it('records a confirmed change once, clearing its mark in the same write; with the mark gone it writes nothing', async () => {
      const { scope } = await created();
      const id = randomUUID();
      expect((await stores.marks.markTaskChange({ scope, now: T0 + 1000, priority: 7 }, id))?.taken).toBe(true);
      const recorded = (await stores.tasks.changeTask({ scope, now: T0 + 2000, priority: 7, markId: id }))!;
      expect(recorded).toMatchObject({ priority: 7, lastUpdate: { n: 1, at: T0 + 2000 }, writtenAt: T0 + 2000 });
      expect(recorded.forward).toBeUndefined();
      // The settlement again (a sweep after a crash): recorded already, nothing written.
      expect(await stores.tasks.changeTask({ scope, now: T0 + 3000, priority: 7, markId: id })).toEqual(recorded);
      expect(await stores.tasks.getTask(scope)).toEqual(recorded);
    });

    it('gives a task’s change mark to exactly one of many concurrent changes', async () => {
      const { scope } = await created();
      const outcomes = await Promise.all(
        Array.from({ length: 12 }, (_, i) => stores.marks.markTaskChange({ scope, now: T0 + 1000, priority: i }, randomUUID())),
      );
      expect(outcomes.filter((o) => o?.taken === true)).toHaveLength(1);
      const held = (await stores.tasks.getTask(scope))!.forward!;
      expect(outcomes.flatMap((o) => (o?.taken === false ? [o.mark.id] : []))).toEqual(Array(11).fill(held.id));
    });

    it('takes a worker’s mark on the version a write was decided from; records the write once, clearing it; lists marks oldest first', async () => {
      const scope = { accountSid: ACCOUNT_SID, workspaceSid: sid('WS'), workerSid: sid('WK') };
      await stores.workers.linkReservation(linkOf(newReservation(newTask(scope.workspaceSid), { workerSid: scope.workerSid, workerName: 'Al' }), EARLY - 10));
      const activitySid = sid('WA');
      const write = (expectedVersion: number, now: number): WorkerWrite => ({
        ...moveOf(scope, expectedVersion, activitySid, now, 'lifecycle'),
        lifecycle: { held: [], moves: ['EVa'] },
      });
      expect(await stores.workers.markWorkerForward(write(1, EARLY), randomUUID())).toBe('moved');
      const id = randomUUID();
      const racing = await Promise.all(Array.from({ length: 8 }, (_, i) => stores.workers.markWorkerForward(write(0, EARLY), i === 0 ? id : randomUUID())));
      expect(racing.filter((o) => o === 'taken')).toHaveLength(1);
      expect(racing.filter((o) => o === 'held')).toHaveLength(7);
      const [held] = await stores.workers.workerForwardsBefore(EARLY + 1, 100);
      expect(held).toEqual({ scope, mark: expect.objectContaining({ at: EARLY, write: write(0, EARLY) }) });
      // The mark changes nothing a client sees.
      expect((await stores.workers.workerState(scope))!.worker).toMatchObject({ version: 0, activitySid: null });
      const mark = held!.mark;
      expect(await stores.workers.recordWorkerForward(write(0, EARLY), randomUUID())).toBe(false);
      expect(await stores.workers.recordWorkerForward(mark.write, mark.id)).toBe(true);
      expect(await stores.workers.recordWorkerForward(mark.write, mark.id)).toBe(false);
      const state = (await stores.workers.workerState(scope))!;
      expect(state.worker).toMatchObject({ version: 1, activitySid, activitySetBy: 'lifecycle' });
      expect(state.lifecycle.moves).toEqual(['EVa']);
      expect((await stores.workers.workerForwardsBefore(EARLY + 1, 100)).map((m) => m.scope)).not.toContainEqual(scope);
      // Cleared (a refusal) only while it is the same mark: the worker takes the next one.
      const next = randomUUID();
      expect(await stores.workers.markWorkerForward(write(1, EARLY + 5), next)).toBe('taken');
      await stores.workers.clearWorkerForward(scope, randomUUID(), EARLY + 6);
      expect(await stores.workers.markWorkerForward(write(1, EARLY + 7), randomUUID())).toBe('held');
      await stores.workers.clearWorkerForward(scope, next, EARLY + 8);
      expect(await stores.workers.markWorkerForward(write(1, EARLY + 9), randomUUID())).toBe('taken');
      expect((await stores.workers.workerState(scope))!.worker).toMatchObject({ version: 1, activitySid });
    });
    it('records a move TaskRouter made on the version it was decided from, unless a forward holds the worker', async () => {
      const scope = { accountSid: ACCOUNT_SID, workspaceSid: sid('WS'), workerSid: sid('WK') };
      await stores.workers.linkReservation(linkOf(newReservation(newTask(scope.workspaceSid), { workerSid: scope.workerSid, workerName: 'Al' }), EARLY - 10));
      const [away, busy] = [sid('WA'), sid('WA')];
      const write = (expectedVersion: number, activitySid: string, now: number, by: ActivitySetBy = 'upstream') =>
        moveOf(scope, expectedVersion, activitySid, now, by);
      expect(await stores.workers.writeUnlessMarked(write(1, away, EARLY))).toBe('moved');
      expect(await stores.workers.writeUnlessMarked(write(0, away, EARLY))).toBe('written');
      expect((await stores.workers.workerState(scope))!.worker).toMatchObject({
        version: 1,
        activitySid: away,
        activityChangedAt: EARLY,
        activitySetBy: 'upstream',
      });
      const mark = randomUUID();
      expect(await stores.workers.markWorkerForward(write(1, busy, EARLY + 5, 'update'), mark)).toBe('taken');
      expect(await stores.workers.writeUnlessMarked(write(1, busy, EARLY + 6))).toBe('held');
      expect(await stores.workers.recordWorkerForward(write(1, busy, EARLY + 5, 'update'), mark)).toBe(true);
      expect(await stores.workers.writeUnlessMarked(write(1, away, EARLY + 7))).toBe('moved');
      expect(await stores.workers.writeUnlessMarked(write(2, away, EARLY + 7))).toBe('written');
      expect((await stores.workers.workerState(scope))!.worker).toMatchObject({
        version: 3,
        activitySid: away,
        activityChangedAt: EARLY + 7,
        activitySetBy: 'upstream',
      });
    });
  });

  describe('recording what upstream observed', () => {
    it('records a status that ranks higher, step by step, and never goes back', async () => {
      const { scope, sids } = await created();
      const s = sids[0]!;
      const accepted = recordedTask(await observe(scope, s, 'accepted', T0 + 1000));
      expect(accepted).toMatchObject({ acceptedReservationSid: s, acceptedAt: T0 + 1000, updatedAt: T0 + 1000 });
      expect(findReservation(accepted, s)).toMatchObject({
        status: 'accepted',
        version: 2,
        updatedAt: T0 + 1000,
        observedAt: T0 + 1000,
        history: { accepted: T0 + 1000 },
      });
      recordedTask(await observe(scope, s, 'wrapping', T0 + 2000));
      const completed = recordedTask(await observe(scope, s, 'completed', T0 + 3000));
      expect(findReservation(completed, s)).toMatchObject({
        status: 'completed',
        version: 4,
        observedAt: T0 + 3000,
        history: { accepted: T0 + 1000, wrapping: T0 + 2000, completed: T0 + 3000 },
      });
      expect(taskAssignment(completed, T0 + 3000).status).toBe('completed');
      expect(await stores.tasks.getTask(scope)).toEqual(completed);
      // Nothing goes back from completed: a late delivery of an earlier status is already recorded, whatever its time.
      for (const [status, at] of [
        ['accepted', T0 + 4000],
        ['wrapping', T0 + 5000],
        ['rejected', T0 + 6000],
        ['completed', T0 + 7000],
      ] as const) {
        expect(await observe(scope, s, status, at)).toEqual({ kind: 'already-recorded', task: completed, markCleared: false });
      }
      expect(await stores.tasks.getTask(scope)).toEqual(completed);
    });

    it('claims the task with a completed whose acceptance was never observed, and keeps an acceptance already recorded', async () => {
      const lost = await created(2);
      const completed = recordedTask(await observe(lost.scope, lost.sids[0]!, 'completed', T0 + 2000));
      expect(completed).toMatchObject({ acceptedReservationSid: lost.sids[0], acceptedAt: T0 + 2000 });
      expect(findReservation(completed, lost.sids[0]!)).toMatchObject({
        status: 'completed',
        version: 2,
        history: { accepted: T0 + 2000, completed: T0 + 2000 },
      });
      expect(effectiveStatus(completed, findReservation(completed, lost.sids[1]!)!, T0 + 2000).status).toBe('rescinded');

      const seen = await created();
      recordedTask(await observe(seen.scope, seen.sids[0]!, 'accepted', T0 + 1000));
      const wrapping = recordedTask(await observe(seen.scope, seen.sids[0]!, 'wrapping', T0 + 3000));
      expect(wrapping).toMatchObject({ acceptedReservationSid: seen.sids[0], acceptedAt: T0 + 1000 });
      expect(findReservation(wrapping, seen.sids[0]!)!.history).toEqual({ accepted: T0 + 1000, wrapping: T0 + 3000 });
    });

    it('orders two statuses of one rank by TaskRouter’s time: a later observation wins, an earlier or simultaneous one does not', async () => {
      const { scope, sids } = await created();
      const s = sids[0]!;
      recordedTask(await observe(scope, s, 'rescinded', T0 + 1000));
      const timedOut = recordedTask(await observe(scope, s, 'timeout', T0 + 1500, { now: T0 + 2000 }));
      expect(findReservation(timedOut, s)).toMatchObject({
        status: 'timeout',
        version: 3,
        observedAt: T0 + 1500,
        history: { rescinded: T0 + 1000, timeout: T0 + 2000 },
      });
      for (const [status, observedAt] of [
        ['canceled', T0 + 1400],
        ['rescinded', T0 + 1500],
        ['timeout', T0 + 5000],
      ] as const) {
        expect(await observe(scope, s, status, observedAt, { now: T0 + 3000 })).toEqual({ kind: 'already-recorded', task: timedOut, markCleared: false });
      }
      expect(await stores.tasks.getTask(scope)).toEqual(timedOut);
      // A final word of the rank (an accept) replaces it whatever its time, with its effect.
      const accepted = recordedTask(await observe(scope, s, 'accepted', T0 + 1200));
      expect(findReservation(accepted, s)).toMatchObject({ status: 'accepted', version: 4, observedAt: T0 + 1200 });
      expect(accepted).toMatchObject({ acceptedReservationSid: s, rejections: 0 });
    });

    it('keeps a status that claimed the task or counted a rejection: no later word of its rank replaces it', async () => {
      const { scope, sids } = await created(2);
      const accepted = recordedTask(await observe(scope, sids[0]!, 'accepted', T0 + 1000));
      const rejected = recordedTask(await observe(scope, sids[1]!, 'rejected', T0 + 1100));
      for (const status of ['canceled', 'rescinded', 'timeout', 'rejected'] as const) {
        expect((await observe(scope, sids[0]!, status, T0 + 9000)).kind).toBe('already-recorded');
      }
      for (const status of ['canceled', 'rescinded', 'timeout', 'accepted'] as const) {
        expect((await observe(scope, sids[1]!, status, T0 + 9000)).kind).toBe('already-recorded');
      }
      const task = (await stores.tasks.getTask(scope))!;
      expect(task).toEqual(rejected);
      expect(findReservation(accepted, sids[0]!)!.status).toBe('accepted');
      // Still a coherent record: the task reads assigned, one rejection counted, its events derive.
      expect(taskAssignment(task, T0 + 9000).status).toBe('assigned');
      expect(task.rejections).toBe(1);
      expect(eventsOf(task, T0 + 9000).length).toBeGreaterThan(0);
    });

    it('counts an observed rejection, and claims the task with an observed acceptance whatever the deadline says', async () => {
      const { scope, sids } = await created(2);
      const rejected = recordedTask(await observe(scope, sids[0]!, 'rejected', T0 + 1000));
      expect(rejected).toMatchObject({ rejections: 1, lastRejectedAt: T0 + 1000 });
      expect(rejected.acceptedReservationSid).toBeUndefined();
      // Past the deadline, where an accept here is refused: upstream accepted it all the same.
      const late = T0 + TIMEOUT + 5000;
      await expect(apply(scope, sids[1]!, ACCEPT, late)).rejects.toBeInstanceOf(ReservationStateError);
      const accepted = recordedTask(await observe(scope, sids[1]!, 'accepted', late));
      expect(accepted).toMatchObject({ rejections: 1, acceptedReservationSid: sids[1], acceptedAt: late });
      expect(taskAssignment(accepted, late).status).toBe('assigned');
    });

    it('clears the forward mark it settles in the same write', async () => {
      const { scope, sids } = await created();
      const id = randomUUID();
      await markForward(scope, sids[0]!, id, T0 + 1000);
      const recorded = recordedTask(await observe(scope, sids[0]!, 'accepted', T0 + 2000, { markId: id, action: ACCEPT }));
      expect(recorded.forward).toBeUndefined();
      expect(recorded).toMatchObject({ acceptedReservationSid: sids[0], writtenAt: T0 + 2000, previousWrittenAt: T0 + 1000 });
      expect(await stores.tasks.getTask(scope)).toEqual(recorded);
      expect((await stores.marks.forwardsBefore(T0 + TIMEOUT, 1000)).map((t) => t.sid)).not.toContain(scope.taskSid);
    });

    it('records the observation alone when the mark it names is no longer the task’s, and then clears no mark', async () => {
      const { scope, sids } = await created(2);
      const settled = randomUUID();
      const next = randomUUID();
      await markForward(scope, sids[0]!, settled, T0 + 1000, { action: REJECT });
      await stores.marks.clearForward(scope, settled, T0 + 2000);
      await markForward(scope, sids[1]!, next, T0 + 3000);
      const recorded = recordedTask(await observe(scope, sids[0]!, 'rejected', T0 + 4000, { markId: settled }));
      expect(findReservation(recorded, sids[0]!)!.status).toBe('rejected');
      expect(recorded.forward).toMatchObject({ id: next, reservationSid: sids[1] });
      expect(await observe(scope, sids[0]!, 'rejected', T0 + 5000, { markId: settled })).toEqual({
        kind: 'already-recorded',
        task: recorded,
        markCleared: false,
      });
      expect(await stores.tasks.getTask(scope)).toEqual(recorded);
    });

    it('clears the mark on its own when there is nothing to record, and says so', async () => {
      const { scope, sids } = await created();
      await apply(scope, sids[0]!, ACCEPT, T0 + 1000);
      const id = randomUUID();
      const { task: marked } = (await markForward(scope, sids[0]!, id, T0 + 2000, { action: WRAP }))!;
      // Upstream's acceptance, recorded here already: nothing to record but the mark to clear.
      const outcome = await observe(scope, sids[0]!, 'accepted', T0 + 1000, { now: T0 + 3000, markId: id });
      const { forward: _forward, ...unmarked } = marked;
      const cleared = { ...unmarked, writtenAt: T0 + 3000, previousWrittenAt: T0 + 2000 };
      expect(outcome).toEqual({ kind: 'already-recorded', task: cleared, markCleared: true });
      expect(await stores.tasks.getTask(scope)).toEqual(cleared);
    });

    it('knows no reservation it was never told of, even on a task it knows, and writes nothing', async () => {
      const { scope, sids } = await created();
      const id = randomUUID();
      await markForward(scope, sids[0]!, id, T0 + 1000);
      const before = await stores.tasks.getTask(scope);
      const unknown: Pick<Observation, 'scope' | 'reservationSid' | 'markId'>[] = [
        { scope, reservationSid: sid('WR') },
        { scope, reservationSid: sid('WR'), markId: id },
        { scope: { ...scope, taskSid: sid('WT') }, reservationSid: sids[0]! },
        { scope: { ...scope, workspaceSid: sid('WS') }, reservationSid: sids[0]! },
        { scope: { ...scope, accountSid: sid('AC') }, reservationSid: sids[0]!, markId: id },
      ];
      for (const o of unknown) {
        for (const status of ['accepted', 'completed', 'rejected'] as const) {
          expect(await stores.tasks.recordObserved({ ...o, status, observedAt: T0 + 2000, now: T0 + 2000 })).toEqual({ kind: 'unknown' });
        }
      }
      expect(await stores.tasks.getTask(scope)).toEqual(before);
      expect(await stores.tasks.getTask({ ...scope, taskSid: sid('WT') })).toBeUndefined();
    });

    it('records the instruction and activity of the forwarded update it confirms, and none of one it does not', async () => {
      const { scope, sids } = await created(3, { contactUri: 'client:alice' });
      const instruction = { name: 'conference', params: { To: 'client:alice', EndConferenceOnExit: true } };
      const accept: ReservationAction = { transition: 'accept', instruction };
      const activitySid = `WA${'5'.repeat(32)}`;
      const rejected = recordedTask(await observe(scope, sids[0]!, 'rejected', T0 + 1000, { action: { ...REJECT, activitySid } }));
      expect(findReservation(rejected, sids[0]!)).toMatchObject({ status: 'rejected', activitySid, activityAt: T0 + 1000 });
      // Upstream says otherwise than the update forwarded: only what it says is recorded.
      const otherwise = recordedTask(await observe(scope, sids[1]!, 'rejected', T0 + 2000, { action: accept }));
      expect(findReservation(otherwise, sids[1]!)!.instruction).toBeUndefined();
      const accepted = recordedTask(await observe(scope, sids[2]!, 'accepted', T0 + 3000, { action: accept }));
      expect(findReservation(accepted, sids[2]!)).toMatchObject({ status: 'accepted', instruction });
      expect(findReservation(accepted, sids[2]!)!.activitySid).toBeUndefined();
    });

    it('records one of many concurrent deliveries of an observation, and keeps TaskRouter’s latest of one rank', async () => {
      const same = await created();
      const repeats = await Promise.all(Array.from({ length: 8 }, () => observe(same.scope, same.sids[0]!, 'accepted', T0 + 1000)));
      expect(repeats.filter((o) => o.kind === 'recorded')).toHaveLength(1);
      expect(repeats.filter((o) => o.kind === 'already-recorded')).toHaveLength(7);
      expect(findReservation((await stores.tasks.getTask(same.scope))!, same.sids[0]!)!.version).toBe(2);

      const rank = await created();
      const words = [
        ['rejected', T0 + 1000],
        ['timeout', T0 + 2000],
        ['canceled', T0 + 2500],
        ['rescinded', T0 + 1500],
      ] as const;
      await Promise.all(words.map(([status, observedAt]) => observe(rank.scope, rank.sids[0]!, status, observedAt, { now: T0 + 5000 })));
      const task = (await stores.tasks.getTask(rank.scope))!;
      expect(findReservation(task, rank.sids[0]!)).toMatchObject({ status: 'rejected', observedAt: T0 + 1000 });
      expect(task.rejections).toBe(1);
    });
  });

  describe('recording a task upstream canceled', () => {
    it('cancels the task with its reason and every reservation still pending as stored; again, it is already recorded', async () => {
      const { scope, sids } = await created(3);
      await apply(scope, sids[0]!, REJECT, T0 + 1000);
      const reason = 'Task canceled on the console';
      const task = recordedTask(await stores.tasks.recordTaskCanceled(scope, reason, T0 + 2000));
      expect(task).toMatchObject({ canceled: { at: T0 + 2000, reason }, updatedAt: T0 + 2000, rejections: 1 });
      expect(taskAssignment(task, T0 + 2000)).toMatchObject({ status: 'canceled', reason });
      expect(findReservation(task, sids[0]!)).toMatchObject({ status: 'rejected', version: 2, updatedAt: T0 + 1000 });
      for (const s of sids.slice(1)) {
        expect(findReservation(task, s)).toMatchObject({ status: 'canceled', version: 2, updatedAt: T0 + 2000, history: { canceled: T0 + 2000 } });
      }
      expect(await stores.tasks.getTask(scope)).toEqual(task);
      expect(await stores.tasks.recordTaskCanceled(scope, 'again', T0 + 3000)).toEqual({ kind: 'already-recorded', task, markCleared: false });
      expect(await stores.tasks.getTask(scope)).toEqual(task);
      await expect(apply(scope, sids[1]!, ACCEPT, T0 + 3000)).rejects.toBeInstanceOf(ReservationStateError);
    });

    it('leaves an accepted reservation as it is, and cancels the sibling still pending as stored', async () => {
      const { scope, sids } = await created(2);
      await apply(scope, sids[0]!, ACCEPT, T0 + 1000);
      const task = recordedTask(await stores.tasks.recordTaskCanceled(scope, 'canceled upstream', T0 + 2000));
      expect(findReservation(task, sids[0]!)).toMatchObject({ status: 'accepted', version: 2 });
      expect(findReservation(task, sids[1]!)).toMatchObject({ status: 'canceled', version: 2, history: { canceled: T0 + 2000 } });
    });

    it('knows no task it was never told of, nor one of another workspace or account', async () => {
      const { scope } = await created();
      for (const other of [
        { ...scope, taskSid: sid('WT') },
        { ...scope, workspaceSid: sid('WS') },
        { ...scope, accountSid: sid('AC') },
      ]) {
        expect(await stores.tasks.recordTaskCanceled(other, 'canceled', T0 + 2000)).toEqual({ kind: 'unknown' });
        expect(await stores.tasks.getTask(other)).toBeUndefined();
      }
      expect((await stores.tasks.getTask(scope))!.canceled).toBeUndefined();
    });

    it('records one of many concurrent deliveries of a cancellation', async () => {
      const { scope } = await created(2);
      const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => stores.tasks.recordTaskCanceled(scope, `delivery ${i}`, T0 + 2000)));
      expect(outcomes.filter((o) => o.kind === 'recorded')).toHaveLength(1);
      expect(outcomes.filter((o) => o.kind === 'already-recorded')).toHaveLength(5);
      const task = (await stores.tasks.getTask(scope))!;
      expect(task.reservations.map((r) => [r.status, r.version])).toEqual([
        ['canceled', 2],
        ['canceled', 2],
      ]);
    });
  });

  describe('the event store', () => {
    /** A task's events as its record implies them: two reservations created, one accepted, the other rescinded by it. */
    async function taskEvents() {
      const { task: input, scope, sids } = await created(2);
      const task = (await apply(scope, sids[0]!, ACCEPT, T0 + 1000))!;
      const workspace: WorkspaceScope = { accountSid: input.accountSid, workspaceSid: input.workspaceSid };
      return { workspace, sids, task, events: eventsOf(task, T0 + 1000) };
    }

    it('stores the events of a write once however often they are stored, and gives each back by its SID in its own scope', async () => {
      const { workspace, task, events } = await taskEvents();
      expect(events.map((e) => e.type)).toEqual(['reservation.created', 'reservation.created', 'reservation.accepted', 'reservation.rescinded']);
      // The accept's write: what it changed, the acceptance and the rescission it implies.
      expect(eventsOfWrite(task)).toEqual(events.slice(2));
      await stores.events.putAll(events);
      await stores.events.putAll(events);
      await stores.events.putAll(eventsOfWrite(task));
      for (const e of events) expect(await stores.events.get(workspace, e.sid)).toEqual(e);
      expect(await stores.events.get(workspace, sid('EV'))).toBeUndefined();
      expect(await stores.events.get({ ...workspace, workspaceSid: sid('WS') }, events[0]!.sid)).toBeUndefined();
      expect(await stores.events.get({ ...workspace, accountSid: sid('AC') }, events[0]!.sid)).toBeUndefined();
      expect(await stores.events.list(workspace, { from: 0 })('forward', undefined, 100)).toEqual({ items: events, more: false });
    });

    it('tells which events are not stored yet, nor being stored by this process, and stores only those when told to store the new', async () => {
      const { events } = await taskEvents();
      await stores.events.putAll(events.slice(0, 1));
      // Being stored right now (not awaited yet): not missing either.
      const storing = stores.events.putAll(events.slice(1, 2));
      expect(await stores.events.missing(events)).toEqual(events.slice(2));
      await storing;
      expect(await stores.events.putNew(events)).toEqual(events.slice(2));
      expect(await stores.events.missing(events)).toEqual([]);
      expect(await stores.events.putNew(events)).toEqual([]);
      expect(await stores.events.missing([])).toEqual([]);
      expect(await stores.events.putNew([])).toEqual([]);
    });

    it('keeps the first derivation of an event: a later one stores nothing, even in the same call', async () => {
      const { workspace, events } = await taskEvents();
      const [first, second] = events as [TaskRouterEvent, TaskRouterEvent];
      const again = (e: TaskRouterEvent) => ({ ...e, description: `${e.description}, derived again` });
      expect(await stores.events.putNew([first, again(first)])).toEqual([first]);
      expect(await stores.events.get(workspace, first.sid)).toEqual(first);
      expect(await stores.events.putNew([again(first), again(second), second])).toEqual([again(second)]);
      expect(await stores.events.get(workspace, second.sid)).toEqual(again(second));
      expect(await stores.events.get(workspace, first.sid)).toEqual(first);
    });

    it('stores each event once when concurrent writers store the new ones of the same write', async () => {
      const { events } = await taskEvents();
      const stored = await Promise.all(Array.from({ length: 4 }, () => stores.events.putNew(events)));
      expect(
        stored
          .flat()
          .map((e) => e.sid)
          .sort(),
      ).toEqual(events.map((e) => e.sid).sort());
      expect(await stores.events.missing(events)).toEqual([]);
    });

    it('pages a workspace’s events in list order, forwards and backwards, each window after or before its key', async () => {
      const workspace = newWorkspace();
      const task = sid('WT');
      // Two of them at one time: the lifecycle's order (created before accepted) decides, then the SID.
      const events = inListOrder(
        [0, 10, 20, 20, 20, 30, 40].map((dt, i) => handEvent(workspace, T0 + dt, newSubject(task), i === 2 ? 'reservation.accepted' : 'reservation.created')),
      );
      expect(events.slice(2, 5).map((e) => e.type)).toEqual(['reservation.created', 'reservation.created', 'reservation.accepted']);
      // A reader reads the events as they are when it reads a window, not when it was made.
      const read = stores.events.list(workspace, { from: T0 - 60_000 });
      await stores.events.putAll([...events].reverse());
      const key = (i: number) => eventListKey(events[i]!);
      expect(await read('forward', undefined, 3)).toEqual({ items: events.slice(0, 3), more: true });
      expect(await read('forward', key(2), 3)).toEqual({ items: events.slice(3, 6), more: true });
      expect(await read('forward', key(4), 3)).toEqual({ items: events.slice(5), more: false });
      expect(await read('forward', key(6), 3)).toEqual({ items: [], more: false });
      expect(await read('backward', undefined, 3)).toEqual({ items: events.slice(4), more: true });
      expect(await read('backward', key(4), 3)).toEqual({ items: events.slice(1, 4), more: true });
      expect(await read('backward', key(2), 3)).toEqual({ items: events.slice(0, 2), more: false });
      expect(await read('backward', key(0), 3)).toEqual({ items: [], more: false });
      // A full window says more may follow, even at the end of the list: DynamoDB's Limit, which stops
      // at the last item without looking past it. The next window is empty and says no more.
      expect(await read('forward', key(3), 3)).toEqual({ items: events.slice(4), more: true });
      expect(await read('backward', key(3), 3)).toEqual({ items: events.slice(0, 3), more: true });
      expect(await read('forward', undefined, 7)).toEqual({ items: events, more: true });
      // From a key between two stored ones (an event since gone), as from any other.
      const between = `${key(3).slice(0, -1)}${key(3).endsWith('f') ? 'e' : 'f'}`;
      const after = events.findIndex((e) => eventListKey(e) > between);
      expect(await read('forward', between, 100)).toEqual({ items: events.slice(after), more: false });
      expect(await read('backward', between, 100)).toEqual({ items: events.slice(0, after), more: false });
    });

    it('serves readPage: every event once, page by page, forwards and back again', async () => {
      const workspace = newWorkspace();
      const task = sid('WT');
      const events = inListOrder(Array.from({ length: 7 }, (_, i) => handEvent(workspace, T0 + i * 100, newSubject(task))));
      await stores.events.putAll(events);
      const filter: EventFilter = { taskSid: task, from: T0 - 60_000 };
      const read: WindowReader<TaskRouterEvent> = stores.events.list(workspace, filter);
      const forwards: string[][] = [];
      let last: Cursor = { page: 0 };
      for (let cursor: Cursor | null = { page: 0 }; cursor !== null; ) {
        const page: Page<TaskRouterEvent> = await readPage(cursor, 3, eventListKey, read);
        forwards.push(page.items.map((e) => e.sid));
        last = cursor;
        cursor = page.next;
      }
      const sids = events.map((e) => e.sid);
      expect(forwards).toEqual([sids.slice(0, 3), sids.slice(3, 6), sids.slice(6)]);
      const backwards: string[][] = [];
      for (let cursor: Cursor | null = last; cursor !== null; ) {
        const page: Page<TaskRouterEvent> = await readPage(cursor, 3, eventListKey, read);
        backwards.push(page.items.map((e) => e.sid));
        cursor = page.previous;
      }
      // The first page is full, so it links to one before it (empty: see the full window above).
      expect(backwards).toEqual([sids.slice(6), sids.slice(3, 6), sids.slice(0, 3), []]);
    });

    it('keeps a window within the time bounds, both inclusive', async () => {
      const workspace = newWorkspace();
      const task = sid('WT');
      // At each bound, events first and last of that millisecond (the lowest and the highest rank).
      const events = inListOrder([
        handEvent(workspace, T0 + 9, newSubject(task), 'reservation.completed'),
        handEvent(workspace, T0 + 10, newSubject(task), 'reservation.created'),
        handEvent(workspace, T0 + 10, { taskSid: task }, 'task.completed'),
        handEvent(workspace, T0 + 20, newSubject(task)),
        handEvent(workspace, T0 + 30, newSubject(task), 'reservation.created'),
        handEvent(workspace, T0 + 30, { taskSid: task }, 'task.completed'),
        handEvent(workspace, T0 + 31, newSubject(task), 'reservation.created'),
      ]);
      await stores.events.putAll(events);
      const within = stores.events.list(workspace, { from: T0 + 10, to: T0 + 30 });
      expect(await within('forward', undefined, 100)).toEqual({ items: events.slice(1, 6), more: false });
      expect(await within('backward', undefined, 100)).toEqual({ items: events.slice(1, 6), more: false });
      expect(await within('forward', undefined, 1)).toEqual({ items: events.slice(1, 2), more: true });
      expect(await within('backward', undefined, 1)).toEqual({ items: events.slice(5, 6), more: true });
      expect(await within('forward', eventListKey(events[3]!), 100)).toEqual({ items: events.slice(4, 6), more: false });
      expect(await within('backward', eventListKey(events[3]!), 100)).toEqual({ items: events.slice(1, 3), more: false });
      expect((await stores.events.list(workspace, { from: T0 + 30 })('forward', undefined, 100)).items).toEqual(events.slice(4));
      expect((await stores.events.list(workspace, { from: 0, to: T0 + 9 })('backward', undefined, 100)).items).toEqual(events.slice(0, 1));
      expect((await stores.events.list(workspace, { from: T0 + 32 })('forward', undefined, 100)).items).toEqual([]);
      expect((await stores.events.list(workspace, { from: T0 + 11, to: T0 + 19 })('backward', undefined, 100)).items).toEqual([]);
      // A cursor from outside the window (a page token made when the default window was earlier) never widens it.
      const narrowed = stores.events.list(workspace, { from: T0 + 15, to: T0 + 25 });
      expect((await narrowed('forward', eventListKey(events[0]!), 100)).items).toEqual(events.slice(3, 4));
      expect((await narrowed('backward', eventListKey(events[6]!), 100)).items).toEqual(events.slice(3, 4));
    });

    it('tells which events are missing even when the same event is asked for twice', async () => {
      const workspace = newWorkspace();
      const [stored, absent] = [handEvent(workspace, T0, newSubject(sid('WT'))), handEvent(workspace, T0 + 1, newSubject(sid('WT')))];
      await stores.events.putAll([stored]);
      expect(await stores.events.missing([stored, absent, stored, absent])).toEqual([absent, absent]);
    });

    it('reads the narrowest subject a filter names, a reservation, else a task, else a worker, leaving the rest of the filter to its caller', async () => {
      const workspace = newWorkspace();
      const [taskA, taskB, w1, w2] = [sid('WT'), sid('WT'), sid('WK'), sid('WK')];
      const r1 = newSubject(taskA, w1);
      const r2 = newSubject(taskA, w2);
      const r3 = newSubject(taskB, w1);
      const events = inListOrder([
        handEvent(workspace, T0, r1),
        handEvent(workspace, T0 + 1, r2),
        handEvent(workspace, T0 + 2, r3),
        handEvent(workspace, T0 + 10, r1, 'reservation.accepted'),
        handEvent(workspace, T0 + 10, r2, 'reservation.rescinded'),
        handEvent(workspace, T0 + 20, r1, 'reservation.wrapup'),
        handEvent(workspace, T0 + 20, { taskSid: taskA }, 'task.wrapup'),
        handEvent(workspace, T0 + 30, r3, 'reservation.timeout'),
      ]);
      await stores.events.putAll(events);
      const listed = async (filter: Omit<EventFilter, 'from'>) =>
        (await stores.events.list(workspace, { from: T0 - 1000, ...filter })('forward', undefined, 100)).items.map((e) => e.sid);
      const where = (keep: (e: TaskRouterEvent) => boolean) => events.filter(keep).map((e) => e.sid);
      expect(await listed({})).toEqual(where(() => true));
      expect(await listed({ reservationSid: r1.reservationSid })).toEqual(where((e) => e.reservationSid === r1.reservationSid));
      expect(await listed({ taskSid: taskA })).toEqual(where((e) => e.taskSid === taskA));
      expect(await listed({ workerSid: w1 })).toEqual(where((e) => e.workerSid === w1));
      expect(await listed({ reservationSid: r1.reservationSid, taskSid: taskB, workerSid: w2 })).toEqual(where((e) => e.reservationSid === r1.reservationSid));
      expect(await listed({ taskSid: taskA, workerSid: w2 })).toEqual(where((e) => e.taskSid === taskA));
      expect(await listed({ workerSid: sid('WK') })).toEqual([]);
      expect(await listed({ taskSid: sid('WT') })).toEqual([]);
      expect(await listed({ reservationSid: sid('WR') })).toEqual([]);
    });

    it('keeps each account’s and workspace’s events apart, even under the same SIDs', async () => {
      const workspace = newWorkspace();
      const subject = newSubject();
      const mine = handEvent(workspace, T0, subject);
      const theirs = [
        { ...mine, workspaceSid: sid('WS'), description: 'another workspace' },
        { ...mine, accountSid: sid('AC'), description: 'another account' },
      ];
      await stores.events.putAll([mine]);
      expect(await stores.events.missing(theirs)).toEqual(theirs);
      expect(await stores.events.putNew(theirs)).toEqual(theirs);
      for (const e of [mine, ...theirs]) {
        const scope: WorkspaceScope = { accountSid: e.accountSid, workspaceSid: e.workspaceSid };
        expect(await stores.events.get(scope, e.sid)).toEqual(e);
        for (const filter of [{}, { taskSid: subject.taskSid }, { reservationSid: subject.reservationSid }, { workerSid: subject.workerSid }]) {
          expect((await stores.events.list(scope, { from: 0, ...filter })('forward', undefined, 10)).items).toEqual([e]);
        }
      }
    });
  });

  describe('the inbox', () => {
    it('takes an event in once: a repeat of its Sid gets the item as stored', async () => {
      const item = inboxItem(T0);
      expect(await stores.inbox.take(item)).toEqual({ taken: true });
      const repeat: InboxItem = { ...item, receivedAt: T0 + 5000, event: { ...(item.event as TaskEvent), type: 'reservation.rejected' } };
      expect(await stores.inbox.take(repeat)).toEqual({ taken: false, stored: item });
    });

    it('keeps only the Sid of an applied event, which a repeat then finds applied', async () => {
      const item = inboxItem(T0);
      await stores.inbox.take(item);
      // Applied as a later delivery of it read it: what is kept is the item as stored, received first.
      await stores.inbox.markApplied({ ...item, receivedAt: T0 + 50 }, T0 + 100);
      const { event: _event, ...sidOnly } = item;
      expect(await stores.inbox.take(item)).toEqual({ taken: false, stored: { ...sidOnly, appliedAt: T0 + 100 } });
      // An earlier version kept the callback's form fields instead of the event: applied, they go too.
      const legacy: InboxItem = { ...newWorkspace(), sid: sid('EV'), fields: { EventType: ['reservation.accepted'], TaskSid: [sid('WT')] }, receivedAt: T0 };
      expect(await stores.inbox.take(legacy)).toEqual({ taken: true });
      expect(await stores.inbox.take(legacy)).toEqual({ taken: false, stored: legacy });
      await stores.inbox.markApplied(legacy, T0 + 200);
      const { fields: _fields, ...legacySid } = legacy;
      expect(await stores.inbox.take(legacy)).toEqual({ taken: false, stored: { ...legacySid, appliedAt: T0 + 200 } });
    });

    it('does not make an item again by marking it applied once it is gone (TTL removed it)', async () => {
      const gone = inboxItem(T0);
      await stores.inbox.markApplied(gone, T0 + 100);
      expect(await stores.inbox.take(gone)).toEqual({ taken: true });
    });

    it('lists the events taken in before a time and not applied yet, oldest first, whatever their scope', async () => {
      const items = [
        inboxItem(EARLY + 30),
        inboxItem(EARLY + 10),
        inboxItem(EARLY + 20),
        inboxItem(EARLY + 40),
        inboxItem(EARLY + 15, newWorkspace(sid('AC'))),
        inboxItem(EARLY + 5),
      ];
      for (const item of items) await stores.inbox.take(item);
      await stores.inbox.markApplied(items[2]!, EARLY + 50);
      await stores.inbox.markApplied(items[5]!, EARLY + 50);
      const unapplied = async (before: number) => {
        const found: InboxItem[] = [];
        for await (const page of stores.inbox.unapplied(before)) found.push(...page);
        return found;
      };
      expect(await unapplied(EARLY + 40)).toEqual([items[1], items[4], items[0]]);
      expect(await unapplied(EARLY + 41)).toEqual([items[1], items[4], items[0], items[3]]);
      expect(await unapplied(EARLY + 10)).toEqual([]);
    });

    it('keeps another account’s or workspace’s event of the same Sid apart', async () => {
      const item = inboxItem(T0);
      const others: InboxItem[] = [
        { ...item, workspaceSid: sid('WS') },
        { ...item, accountSid: sid('AC') },
      ];
      await stores.inbox.take(item);
      for (const other of others) expect(await stores.inbox.take(other)).toEqual({ taken: true });
      await stores.inbox.markApplied(item, T0 + 100);
      for (const other of others) expect(await stores.inbox.take(other)).toEqual({ taken: false, stored: other });
    });

    it('takes an event in exactly once under concurrent deliveries', async () => {
      const item = inboxItem(T0);
      const outcomes = await Promise.all(Array.from({ length: 8 }, (_, i) => stores.inbox.take({ ...item, receivedAt: T0 + i })));
      const taken = outcomes.findIndex((o) => o.taken);
      expect(outcomes.filter((o) => o.taken)).toHaveLength(1);
      const stored = { ...item, receivedAt: T0 + taken };
      expect(outcomes.filter((o) => !o.taken)).toEqual(Array(7).fill({ taken: false, stored }));
    });
  });

  describe('CloudEvent marks', () => {
    it('marks a CloudEvent applied, once or again, within its own account and workspace', async () => {
      const mark = { ...newWorkspace(), id: randomUUID() };
      expect(await stores.cloudEvents.applied(mark)).toBe(false);
      await stores.cloudEvents.markApplied(mark, T0);
      expect(await stores.cloudEvents.applied(mark)).toBe(true);
      // A racing delivery's marker, written again: left as it is.
      await stores.cloudEvents.markApplied(mark, T0 + 1000);
      expect(await stores.cloudEvents.applied(mark)).toBe(true);
      for (const other of [
        { ...mark, workspaceSid: sid('WS') },
        { ...mark, accountSid: sid('AC') },
        { ...mark, id: randomUUID() },
      ]) {
        expect(await stores.cloudEvents.applied(other)).toBe(false);
      }
    });

    it('takes concurrent marks of one CloudEvent', async () => {
      const mark = { ...newWorkspace(), id: randomUUID() };
      await Promise.all(Array.from({ length: 6 }, (_, i) => stores.cloudEvents.markApplied(mark, T0 + i)));
      expect(await stores.cloudEvents.applied(mark)).toBe(true);
    });
  });
  describe('the statistics', () => {
    const SECOND = Math.floor(T0 / 1000);
    // Entries as lib/domain/statistics-tally.ts writes them: kind|queue|workflow|worker|wait, or a|worker|ms|activity.
    /** Tenths of a second since the epoch: SECOND's first. */
    const SLOT = SECOND * 10;
    const contribution = (entry: string, slot = SLOT): Contribution => ({ id: sid('EV').slice(2), slot, entry });

    it('counts each event once in its slot’s tally, its first entry whatever repeats, a second’s slots read together, in its own workspace', async () => {
      const scope = newWorkspace();
      const worker = sid('WK');
      const created = contribution('rc|WQ1|WW1|WK1|');
      // The same event derived again, naming another queue: the first entry stays.
      const again = { ...created, entry: 'rc|WQ2|WW1|WK1|' };
      // Another tenth of the same second.
      const accepted = contribution('ra|WQ1|WW1|WK1|15', SLOT + 7);
      const activity = contribution(`a|${worker}|${T0 + 250}|WA1`);
      await stores.statistics.tally(scope, SLOT, [created, created]);
      await stores.statistics.tally(scope, SLOT, [again, activity]);
      await stores.statistics.tally(scope, SLOT + 7, [accepted]);
      await stores.statistics.tally(scope, SLOT + 7, [accepted]);
      await stores.statistics.tally(scope, SLOT + 29, [contribution('rc||||', SLOT + 29)]);
      // Two derivations of one event in one call: the first stays.
      const rejected = contribution('rr|WQ1|||', SLOT + 3);
      await stores.statistics.tally(scope, SLOT + 3, [rejected, { ...rejected, entry: 'rr|WQ9|||' }]);
      // The seconds around the window, at the slots nearest its bounds: outside it.
      await stores.statistics.tally(scope, SLOT - 1, [contribution('tc||', SLOT - 1)]);
      await stores.statistics.tally(scope, SLOT + 60 * 10, [contribution('tc||', SLOT + 60 * 10)]);
      expect(await stores.statistics.tallies(scope, SECOND, SECOND + 59)).toEqual([
        {
          second: SECOND,
          counts: {
            'w||rc': 1,
            'q|WQ1|rc': 1,
            'f|WW1|rc': 1,
            'k|WK1|rc': 1,
            'p|WQ1:WK1|rc': 1,
            'w||ra': 1,
            'q|WQ1|ra': 1,
            'f|WW1|ra': 1,
            'k|WK1|ra': 1,
            'p|WQ1:WK1|ra': 1,
            'w||wa.15': 1,
            'q|WQ1|wa.15': 1,
            'f|WW1|wa.15': 1,
            'w||rr': 1,
            'q|WQ1|rr': 1,
          },
          activities: [{ workerSid: worker, at: T0 + 250, activitySid: 'WA1' }],
        },
        { second: SECOND + 2, counts: { 'w||rc': 1 }, activities: [] },
      ]);
      expect(await stores.statistics.tallies(scope, SECOND - 1, SECOND - 1)).toEqual([{ second: SECOND - 1, counts: { 'w||tc': 1 }, activities: [] }]);
      expect(await stores.statistics.tallies(scope, SECOND + 60, SECOND + 60)).toEqual([{ second: SECOND + 60, counts: { 'w||tc': 1 }, activities: [] }]);
      expect(await stores.statistics.tallies(scope, SECOND + 1, SECOND + 1)).toEqual([]);
      expect(await stores.statistics.tallies(newWorkspace(), SECOND, SECOND + 59)).toEqual([]);
      expect(await stores.statistics.tallies({ ...scope, accountSid: sid('AC') }, SECOND, SECOND + 59)).toEqual([]);
    });

    it('counts every one of many concurrent contributions once, some of them repeats, more than one update holds', async () => {
      const scope = newWorkspace();
      const all = Array.from({ length: 120 }, () => contribution('rc|||WK1|'));
      await Promise.all([
        ...all.map((c) => stores.statistics.tally(scope, SLOT, [c])),
        stores.statistics.tally(scope, SLOT, all.slice(0, 80)),
        stores.statistics.tally(scope, SLOT, all.slice(40)),
      ]);
      await stores.statistics.tally(scope, SLOT, all);
      expect(await stores.statistics.tallies(scope, SECOND, SECOND)).toEqual([{ second: SECOND, counts: { 'w||rc': 120, 'k|WK1|rc': 120 }, activities: [] }]);
    });

    it('versions the minute, hour and day of a late write, and keeps a roll-up unless a newer one is kept', async () => {
      const scope = newWorkspace();
      const minute: Period = { level: 'minute', start: SECOND - (SECOND % 60) };
      const hour: Period = { level: 'hour', start: SECOND - (SECOND % 3600) };
      const day: Period = { level: 'day', start: SECOND - (SECOND % 86_400) };
      await stores.statistics.markHour(scope, SECOND);
      expect(await stores.statistics.periods(scope, [minute, hour, day], 'w')).toEqual([{ version: 0 }, { version: 0 }, { version: 0 }]);
      await stores.statistics.keep(scope, hour, 'w', { version: 0, payload: '{"a":1}' });
      await stores.statistics.touch(scope, SECOND);
      await stores.statistics.touch(scope, SECOND + 1);
      expect(await stores.statistics.periods(scope, [minute, hour, day], 'w')).toEqual([
        { version: 2 },
        { version: 2, rollUp: { version: 0, payload: '{"a":1}' } },
        { version: 2 },
      ]);
      // The next minute, another family: untouched.
      expect(await stores.statistics.periods(scope, [{ level: 'minute', start: minute.start + 60 }], 'w')).toEqual([{ version: 0 }]);
      expect(await stores.statistics.periods(scope, [hour], 'q')).toEqual([{ version: 2 }]);
      await stores.statistics.keep(scope, hour, 'w', { version: 2, payload: '{"a":2}' });
      await stores.statistics.keep(scope, hour, 'w', { version: 1, payload: '{"a":3}' });
      expect(await stores.statistics.periods(scope, [hour], 'w')).toEqual([{ version: 2, rollUp: { version: 2, payload: '{"a":2}' } }]);
    });

    it('tells the periods no tally was marked in: the hours and days never marked, in their own workspace', async () => {
      const scope = newWorkspace();
      const dayStart = SECOND - (SECOND % 86_400);
      const hourStart = SECOND - (SECOND % 3600);
      const periods: Period[] = [
        { level: 'day', start: dayStart },
        { level: 'hour', start: hourStart },
        { level: 'minute', start: hourStart + 120 },
        { level: 'hour', start: hourStart + 3600 },
        { level: 'minute', start: hourStart + 3600 },
        { level: 'day', start: dayStart + 86_400 },
      ];
      expect(await stores.statistics.periods(scope, periods, 'w')).toEqual(periods.map(() => ({ version: 0, empty: true })));
      await stores.statistics.markHour(scope, SECOND);
      await stores.statistics.markHour(scope, SECOND + 5);
      expect(await stores.statistics.periods(scope, periods, 'w')).toEqual([
        { version: 0 },
        { version: 0 },
        { version: 0 },
        { version: 0, empty: true },
        { version: 0, empty: true },
        { version: 0, empty: true },
      ]);
      expect(await stores.statistics.periods(newWorkspace(), periods.slice(0, 1), 'w')).toEqual([{ version: 0, empty: true }]);
    });

    it('keeps each task as its latest event left it, and lists the tasks not finished', async () => {
      const scope = newWorkspace();
      const task = { taskSid: sid('WT'), status: 'reserved', priority: 2, taskQueueSid: sid('WQ'), workflowSid: sid('WW'), createdAt: T0 - 5000, at: T0 };
      const other = { ...task, taskSid: sid('WT'), status: 'pending' };
      await stores.statistics.setTask(scope, { ...task, status: 'assigned', at: T0 + 2000 }, false);
      await stores.statistics.setTask(scope, task, false);
      await stores.statistics.setTask(scope, other, false);
      const sorted = (tasks: LiveTask[]) => [...tasks].sort((x, y) => (x.taskSid < y.taskSid ? -1 : 1));
      expect(sorted(await stores.statistics.liveTasks(scope))).toEqual(sorted([{ ...task, status: 'assigned', at: T0 + 2000 }, other]));
      await stores.statistics.setTask(scope, { ...task, status: 'completed', at: T0 + 3000 }, true);
      await stores.statistics.setTask(scope, { ...task, status: 'wrapping', at: T0 + 2500 }, false);
      expect(await stores.statistics.liveTasks(scope)).toEqual([other]);
      expect(await stores.statistics.liveTasks(newWorkspace())).toEqual([]);
    });

    it("keeps a task's pending reservations as its events mark them, whatever order they are counted in", async () => {
      const scope = newWorkspace();
      const queue = sid('WQ');
      const base = { priority: 0, taskQueueSid: queue, workflowSid: sid('WW'), createdAt: T0 - 5000 };
      const task = sid('WT');
      const [r1, r2, r3, r4] = [sid('WR'), sid('WR'), sid('WR'), sid('WR')];
      const pending = (deadline: number, name: string | null = 'Ada') => ({ workerSid: sid('WK'), workerName: name, deadline });
      const [p1, p2, p3, p4] = [pending(T0 + 60_000), pending(T0 + 30_000, null), pending(T0 + 90_000), pending(T0 + 45_000)];
      const set = (at: number, status: string, marks: [string, typeof p1 | null][]) =>
        stores.statistics.setTask(scope, { ...base, taskSid: task, status, at }, false, new Map(marks));
      const liveState = async () => (await stores.statistics.liveTasks(scope)).find((t) => t.taskSid === task);
      // Two callbacks, one pending reservation each (a multi-reservation task): both pending.
      await set(T0, 'reserved', [[r1, p1]]);
      expect(await liveState()).toMatchObject({ status: 'reserved', at: T0, priority: 0, taskQueueSid: queue, createdAt: T0 - 5000 });
      await set(T0 + 1000, 'reserved', [[r2, p2]]);
      const pendingNow = async () =>
        new Map(
          (await stores.statistics.pendingMarks(scope))
            .filter((m) => m.taskSid === task)
            .map(({ reservationSid, workerSid, workerName, deadline }) => [reservationSid, { workerSid, workerName, deadline }]),
        );
      expect(await pendingNow()).toEqual(
        new Map([
          [r1, p1],
          [r2, p2],
        ]),
      );
      // R1 rejected: left, R2 still pending.
      await set(T0 + 2000, 'reserved', [[r1, null]]);
      expect(await pendingNow()).toEqual(new Map([[r2, p2]]));
      // Counted out of order: R3 created and left (T0 + 4000) before its creation (T0 + 3000) is counted; R4's creation, older than the
      // task's latest state, still counts as pending; the older state's status does not replace the newer one's.
      await set(T0 + 4000, 'reserved', [[r3, null]]);
      await set(T0 + 3000, 'pending', [
        [r3, p3],
        [r4, p4],
      ]);
      expect(await pendingNow()).toEqual(
        new Map([
          [r2, p2],
          [r4, p4],
        ]),
      );
      expect(await liveState()).toMatchObject({ status: 'reserved', at: T0 + 4000 });
      // Accepted: none is pending.
      await set(T0 + 5000, 'assigned', [
        [r2, null],
        [r4, null],
      ]);
      expect(await pendingNow()).toEqual(new Map());
      expect(await liveState()).toMatchObject({ status: 'assigned', at: T0 + 5000 });
      // More marks than one write takes, all kept.
      const many = Array.from({ length: 90 }, () => sid('WR'));
      await set(
        T0 + 6000,
        'reserved',
        many.map((r, i) => [r, pending(T0 + i * 1000)]),
      );
      await set(
        T0 + 6000,
        'reserved',
        many.slice(0, 45).map((r) => [r, null]),
      );
      expect([...(await pendingNow()).keys()].sort()).toEqual(many.slice(45).sort());
      expect(await liveState()).toMatchObject({ status: 'reserved', at: T0 + 6000 });
      // Finished later than any mark's state: not live, whatever marks are left.
      await stores.statistics.setTask(scope, { ...base, taskSid: task, status: 'canceled', at: T0 + 7000 }, true);
      expect(await liveState()).toBeUndefined();
      // A task's state written without marks, and another workspace: no marks.
      await stores.statistics.setTask(scope, { ...base, taskSid: sid('WT'), status: 'reserved', at: T0 }, false);
      expect((await stores.statistics.pendingMarks(scope)).filter((m) => m.taskSid !== task)).toEqual([]);
      expect(await stores.statistics.pendingMarks(newWorkspace())).toEqual([]);
    });

    // The marks are DynamoDB items (the memory stores keep them on the task).
    if (engine.name !== 'memory') {
      it("keeps a reservation's mark only while it is pending: a left one's is deleted, and an older pending one after it is not put back", async () => {
        const { client, tableName } = raw()!;
        const scope = newWorkspace();
        const base = { priority: 0, taskQueueSid: sid('WQ'), workflowSid: sid('WW'), createdAt: T0 - 5000 };
        const task = sid('WT');
        const [r1, r2] = [sid('WR'), sid('WR')];
        const pending = { workerSid: sid('WK'), workerName: 'Ada', deadline: T0 + 60_000 };
        const set = (at: number, status: string, marks: [string, typeof pending | null][]) =>
          stores.statistics.setTask(scope, { ...base, taskSid: task, status, at }, false, new Map(marks));
        const stored = async () =>
          (
            (
              await client.send(
                new QueryCommand({
                  TableName: tableName,
                  KeyConditionExpression: 'pk = :pk',
                  ExpressionAttributeValues: { ':pk': statisticsPartition(scope, 'marks') },
                }),
              )
            ).Items ?? []
          ).map((item) => item['reservationSid']);
        await set(T0, 'reserved', [
          [r1, pending],
          [r2, pending],
        ]);
        expect((await stored()).sort()).toEqual([r1, r2].sort());
        await set(T0 + 2000, 'reserved', [[r1, null]]);
        expect(await stored()).toEqual([r2]);
        // Counted late: R1's creation, then R2's leaving and its creation again, in one turn.
        await Promise.all([set(T0 + 1000, 'reserved', [[r1, pending]]), set(T0 + 3000, 'pending', [[r2, null]]), set(T0 + 1000, 'reserved', [[r2, pending]])]);
        expect(await stored()).toEqual([]);
      });
    }

    it('keeps each worker’s newest name and newest activity, whatever order they arrive in', async () => {
      const scope = newWorkspace();
      const [w1, w2] = [sid('WK'), sid('WK')].sort();
      await stores.statistics.setWorker(scope, w1!, { activitySid: 'WA2', at: T0 + 2000 });
      await stores.statistics.setWorker(scope, w1!, { activitySid: 'WA1', at: T0 + 1000 });
      await stores.statistics.setWorker(scope, w1!, { friendlyName: 'Alice', at: T0 });
      await stores.statistics.setWorker(scope, w2!, { at: T0 });
      const byWorker = async () => [...(await stores.statistics.workers(scope))].sort((x, y) => (x.workerSid < y.workerSid ? -1 : 1));
      expect(await byWorker()).toEqual([
        { workerSid: w1, friendlyName: 'Alice', activitySid: 'WA2' },
        { workerSid: w2, friendlyName: null, activitySid: null },
      ]);
      expect(await stores.statistics.workers(newWorkspace())).toEqual([]);
    });

    it('reads the workers’ directory by SID a window at a time, forward and backward from a key', async () => {
      const scope = newWorkspace();
      const sids = Array.from({ length: 5 }, () => sid('WK')).sort();
      for (const workerSid of sids) await stores.statistics.setWorker(scope, workerSid, { friendlyName: workerSid.slice(-4), at: T0 });
      const window = stores.statistics.workersWindow(scope);
      const read = async (direction: 'forward' | 'backward', from: string | undefined, limit: number) => {
        const { items, more } = await window(direction, from, limit);
        return { sids: items.map((w) => w.workerSid), more };
      };
      expect(await read('forward', undefined, 2)).toEqual({ sids: sids.slice(0, 2), more: true });
      expect(await read('forward', sids[1], 10)).toEqual({ sids: sids.slice(2), more: false });
      expect(await read('backward', sids[3], 2)).toEqual({ sids: sids.slice(1, 3), more: true });
      expect(await read('backward', sids[1], 10)).toEqual({ sids: sids.slice(0, 1), more: false });
      expect((await window('forward', undefined, 1)).items).toEqual([{ workerSid: sids[0], friendlyName: sids[0]!.slice(-4), activitySid: null }]);
      expect(await read('forward', undefined, 10)).toEqual({ sids, more: false });
      expect(await stores.statistics.workersWindow(newWorkspace())('forward', undefined, 10)).toEqual({ items: [], more: false });
    });

    it('claims each event for the slot first named, within its subject and workspace, whatever repeats or races', async () => {
      const scope = newWorkspace();
      const task = sid('WT');
      const [a, b, c] = [sid('EV').slice(2), sid('EV').slice(2), sid('EV').slice(2)];
      expect(await stores.statistics.claim(scope, task, [{ id: a, slot: SLOT }])).toEqual(new Map([[a, SLOT]]));
      expect(
        await stores.statistics.claim(scope, task, [
          { id: a, slot: SLOT + 9 },
          { id: b, slot: SLOT + 2 },
        ]),
      ).toEqual(
        new Map([
          [a, SLOT],
          [b, SLOT + 2],
        ]),
      );
      expect(await stores.statistics.claim(newWorkspace(), task, [{ id: a, slot: SLOT + 9 }])).toEqual(new Map([[a, SLOT + 9]]));
      const raced = await Promise.all(Array.from({ length: 6 }, (_, i) => stores.statistics.claim(scope, task, [{ id: c, slot: SLOT + i }])));
      const winner = raced[0]!.get(c)!;
      expect(raced.map((m) => m.get(c))).toEqual(Array(6).fill(winner));
      const twice = sid('EV').slice(2);
      expect(
        await stores.statistics.claim(scope, task, [
          { id: twice, slot: SLOT + 3 },
          { id: twice, slot: SLOT + 7 },
        ]),
      ).toEqual(new Map([[twice, SLOT + 3]]));
      expect(await stores.statistics.claim(scope, task, [{ id: twice, slot: SLOT + 9 }])).toEqual(new Map([[twice, SLOT + 3]]));
      const many = Array.from({ length: 90 }, (_, i) => ({ id: sid('EV').slice(2), slot: SLOT + i }));
      expect(await stores.statistics.claim(scope, task, [...many, { id: a, slot: 1 }])).toEqual(
        new Map([...many.map((m) => [m.id, m.slot] as const), [a, SLOT]]),
      );
    });

    it('holds a claim two days behind its subject’s latest, however many claims came after it', async () => {
      const scope = newWorkspace();
      const worker = sid('WK');
      const DAY = 864_000; // slots
      // Three days of a busy worker's activity changes, claimed in order, forty at a time.
      const claims = Array.from({ length: 400 }, (_, i) => ({ id: sid('EV').slice(2), slot: SLOT + Math.round((i * 3 * DAY) / 400) }));
      for (let i = 0; i < claims.length; i += 40) await stores.statistics.claim(scope, worker, claims.slice(i, i + 40));
      const recent = claims.filter((c) => c.slot >= claims.at(-1)!.slot - 2 * DAY);
      expect(recent.length).toBeGreaterThan(250);
      expect(
        await stores.statistics.claim(
          scope,
          worker,
          recent.map((c) => ({ id: c.id, slot: c.slot + 5 })),
        ),
      ).toEqual(new Map(recent.map((c) => [c.id, c.slot])));
    });

    it('knows the workspaces with a record and the queues seen, each in its own account', async () => {
      const scope = newWorkspace();
      expect(await stores.statistics.knowsWorkspace(scope)).toBe(false);
      await stores.statistics.markWorkspace(scope);
      await stores.statistics.markWorkspace(scope);
      expect(await stores.statistics.knowsWorkspace(scope)).toBe(true);
      expect(await stores.statistics.knowsWorkspace({ ...scope, accountSid: sid('AC') })).toBe(false);
      const queues = [sid('WQ'), sid('WQ')];
      for (const q of [...queues, queues[0]!]) await stores.statistics.rememberQueue(scope, q);
      expect(await stores.statistics.queues(scope)).toEqual([...queues].sort());
      expect(await stores.statistics.queues({ ...scope, accountSid: sid('AC') })).toEqual([]);
    });
  });
});
