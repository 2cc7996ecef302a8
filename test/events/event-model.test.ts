/**
 * The event model (lib/domain/events.ts) on task records built by hand: which events a
 * record implies, which write each belongs to, their SIDs, fields and order.
 */
import { describe, expect, it } from 'vitest';
import { snakeCase } from '#lib/domain/fields.ts';
import type { ReservationRecord, TaskRecord } from '#lib/domain/task.ts';
import {
  EVENT_TYPES,
  eventData,
  eventSid,
  eventsOf as eventsWithout,
  eventsOfWrite as writeEventsWithout,
  type TaskRouterEvent,
  type WorkerAttributesOf,
} from '#lib/domain/events.ts';

const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);
const AC = `AC${'a'.repeat(32)}`;
const WS = `WS${'b'.repeat(32)}`;
const sidOf = (prefix: string, n: number) => `${prefix}${String(n).padStart(32, '0')}`;

function reservation(n: number, overrides: Partial<ReservationRecord> = {}): ReservationRecord {
  return {
    sid: sidOf('WR', n),
    workerSid: sidOf('WK', n),
    workerName: `Worker ${n}`,
    status: 'pending',
    version: 1,
    createdAt: T0,
    updatedAt: T0,
    deadline: T0 + 60_000,
    history: {},
    ...overrides,
  };
}

/** Reservation n's worker was assigned with the attributes {"n":n} (kept on its link, not on the task). */
const workers: WorkerAttributesOf = (r) => `{"n":${Number(r.sid.slice(2))}}`;
const eventsOf = (record: TaskRecord, at: number) => eventsWithout(record, at, workers);
const eventsOfWrite = (record: TaskRecord) => writeEventsWithout(record, workers);

function task(reservations: ReservationRecord[], overrides: Partial<TaskRecord> = {}): TaskRecord {
  return {
    sid: sidOf('WT', 1),
    accountSid: AC,
    workspaceSid: WS,
    workflowSid: sidOf('WW', 1),
    taskQueueSid: sidOf('WQ', 1),
    attributes: '{"type":"voice"}',
    priority: 2,
    createdAt: T0 - 5000,
    updatedAt: T0,
    reservations,
    rejections: 0,
    maxRejections: 3,
    writtenAt: T0,
    ...overrides,
  };
}

const types = (events: readonly TaskRouterEvent[]) => events.map((e) => [e.type, e.resourceType === 'worker' ? e.reservationSid : e.resourceSid]);

describe('event SIDs', () => {
  it('are one per subject and type, the same however often derived, and differ between accounts and workspaces', () => {
    const sid = eventSid(AC, WS, sidOf('WR', 1), 'reservation.accepted');
    expect(sid).toMatch(/^EV[0-9a-f]{32}$/);
    expect(eventSid(AC, WS, sidOf('WR', 1), 'reservation.accepted')).toBe(sid);
    const others = [
      eventSid(AC, WS, sidOf('WR', 1), 'reservation.rejected'),
      eventSid(AC, WS, sidOf('WR', 2), 'reservation.accepted'),
      eventSid(`AC${'c'.repeat(32)}`, WS, sidOf('WR', 1), 'reservation.accepted'),
      eventSid(AC, `WS${'d'.repeat(32)}`, sidOf('WR', 1), 'reservation.accepted'),
    ];
    expect(new Set([sid, ...others]).size).toBe(5);
  });
});

describe('the events a task record implies', () => {
  it('a reservation created pending: reservation.created only, with the task, worker, routing and reservation fields', () => {
    const [created] = eventsOf(task([reservation(1)]), T0);
    expect(eventsOf(task([reservation(1)]), T0)).toHaveLength(1);
    expect(created).toMatchObject({ type: 'reservation.created', at: T0, resourceType: 'reservation', resourceSid: sidOf('WR', 1), workerSid: sidOf('WK', 1) });
    expect(created!.description).toBe(`Task ${sidOf('WT', 1)} assigned to Worker Worker 1 with Reservation ${sidOf('WR', 1)}`);
    expect(created!.data).toEqual({
      TaskSid: sidOf('WT', 1),
      TaskAttributes: '{"type":"voice"}',
      TaskAge: '5',
      TaskPriority: '2',
      TaskAssignmentStatus: 'reserved',
      TaskDateCreated: String(Math.floor((T0 - 5000) / 1000)),
      TaskQueueSid: sidOf('WQ', 1),
      WorkflowSid: sidOf('WW', 1),
      WorkerSid: sidOf('WK', 1),
      WorkerName: 'Worker 1',
      WorkerAttributes: '{"n":1}',
      ReservationSid: sidOf('WR', 1),
      ReservationTimeout: '60',
    });
    expect(eventData(created!)).toMatchObject({
      task_sid: sidOf('WT', 1),
      task_assignment_status: 'reserved',
      worker_name: 'Worker 1',
      reservation_timeout: '60',
    });
    expect(Object.values(eventData(created!)).every((v) => typeof v === 'string')).toBe(true);
  });

  it('takes WorkerAttributes from the lookup it is given (the workers’ links), and leaves them out when unknown', () => {
    const [known] = eventsOf(task([reservation(1)]), T0);
    expect(known!.data.WorkerAttributes).toBe('{"n":1}');
    const [unknown] = eventsWithout(task([reservation(1)]), T0);
    expect(unknown!.data.WorkerAttributes).toBeUndefined();
    expect({ ...unknown!.data, WorkerAttributes: '{"n":1}' }).toEqual(known!.data);
  });

  it('an accept that rescinds three pending reservations: one accepted, three rescinded, at the accept', () => {
    const at = T0 + 5000;
    const accepted = reservation(1, { status: 'accepted', version: 2, updatedAt: at, history: { accepted: at } });
    const record = task([accepted, reservation(2), reservation(3), reservation(4)], {
      acceptedReservationSid: accepted.sid,
      acceptedAt: at,
      updatedAt: at,
      writtenAt: at,
      previousWrittenAt: T0,
    });
    const written = eventsOfWrite(record);
    // Events of one moment and kind are in SID order.
    expect(types(written)[0]).toEqual(['reservation.accepted', sidOf('WR', 1)]);
    expect(types(written.slice(1)).sort()).toEqual([
      ['reservation.rescinded', sidOf('WR', 2)],
      ['reservation.rescinded', sidOf('WR', 3)],
      ['reservation.rescinded', sidOf('WR', 4)],
    ]);
    expect(written.every((e) => e.at === at && e.data.TaskAssignmentStatus === 'assigned')).toBe(true);
  });

  it('the rejection that reaches the maximum: rejected, the pending one canceled, and task.canceled with its reason', () => {
    const at = T0 + 9000;
    const rejected = (n: number, when: number) => reservation(n, { status: 'rejected', version: 2, updatedAt: when, history: { rejected: when } });
    const record = task([rejected(1, T0 + 1000), rejected(2, T0 + 2000), rejected(3, at), reservation(4)], {
      rejections: 3,
      lastRejectedAt: at,
      updatedAt: at,
      writtenAt: at,
      previousWrittenAt: T0 + 2000,
    });
    const written = eventsOfWrite(record);
    expect(types(written)).toEqual([
      ['reservation.rejected', sidOf('WR', 3)],
      ['reservation.canceled', sidOf('WR', 4)],
      ['task.canceled', sidOf('WT', 1)],
    ]);
    const canceled = written.at(-1)!;
    expect(canceled).toMatchObject({
      resourceType: 'task',
      resourceSid: sidOf('WT', 1),
      description: `Task ${sidOf('WT', 1)} canceled: Task canceled after 3 rejected reservations (maximum 3)`,
    });
    expect(canceled.data).toMatchObject({ TaskAssignmentStatus: 'canceled', TaskCanceledReason: 'Task canceled after 3 rejected reservations (maximum 3)' });
    expect(canceled.data.WorkerSid).toBeUndefined();
    expect(eventsOf(record, at).filter((e) => e.type === 'reservation.rejected')).toHaveLength(3);
  });

  it('a rejection that moves the worker: worker.activity.update with the activity, about the worker', () => {
    const at = T0 + 3000;
    const activity = `WA${'e'.repeat(32)}`;
    const record = task([reservation(1, { status: 'rejected', version: 2, updatedAt: at, history: { rejected: at }, activitySid: activity, activityAt: at })], {
      rejections: 1,
      lastRejectedAt: at,
      writtenAt: at,
      previousWrittenAt: T0,
    });
    const moved = eventsOfWrite(record).find((e) => e.type === 'worker.activity.update')!;
    expect(moved).toMatchObject({ resourceType: 'worker', resourceSid: sidOf('WK', 1), description: `Worker Worker 1 updated to ${activity} Activity` });
    expect(moved.data).toEqual({ WorkerSid: sidOf('WK', 1), WorkerName: 'Worker 1', WorkerAttributes: '{"n":1}', WorkerActivitySid: activity });
  });

  it('wrap-up and completion: the reservation’s and the task’s events, each at its own write', () => {
    const accepted = T0 + 1000;
    const wrapped = T0 + 2000;
    const completed = T0 + 3000;
    const record = (history: ReservationRecord['history'], writtenAt: number, previousWrittenAt: number) =>
      task([reservation(1, { status: history.completed ? 'completed' : 'wrapping', history })], {
        acceptedReservationSid: sidOf('WR', 1),
        acceptedAt: accepted,
        writtenAt,
        previousWrittenAt,
      });
    expect(types(eventsOfWrite(record({ accepted, wrapping: wrapped }, wrapped, accepted)))).toEqual([
      ['reservation.wrapup', sidOf('WR', 1)],
      ['task.wrapup', sidOf('WT', 1)],
    ]);
    const done = eventsOfWrite(record({ accepted, wrapping: wrapped, completed }, completed, wrapped));
    expect(types(done)).toEqual([
      ['reservation.completed', sidOf('WR', 1)],
      ['task.completed', sidOf('WT', 1)],
    ]);
    expect(done[1]!.data).toMatchObject({ TaskAssignmentStatus: 'completed', TaskCompletedReason: 'All reservations were completed' });
  });

  it('a timeout belongs to the first write at or after the deadline: a timer’s, or any other that reveals it', () => {
    const deadline = T0 + 60_000;
    // An unrelated write before the deadline: nothing of the timeout yet.
    const before = task([reservation(1), reservation(2, { createdAt: T0 + 10_000, deadline: T0 + 600_000 })], {
      writtenAt: T0 + 10_000,
      previousWrittenAt: T0,
    });
    expect(types(eventsOfWrite(before))).toEqual([['reservation.created', sidOf('WR', 2)]]);
    // The first write after it (here a third reservation's callback) reveals the timeout, at the deadline.
    const revealing = task([...before.reservations, reservation(3, { createdAt: T0 + 70_000, deadline: T0 + 600_000 })], {
      writtenAt: T0 + 70_000,
      previousWrittenAt: T0 + 10_000,
    });
    const revealed = eventsOfWrite(revealing);
    expect(types(revealed)).toEqual([
      ['reservation.timeout', sidOf('WR', 1)],
      ['reservation.created', sidOf('WR', 3)],
    ]);
    expect(revealed[0]!.at).toBe(deadline);
    // The timer's write that follows has the same timeout in its record, and none in its window.
    const materialized = task(
      [reservation(1, { status: 'timeout', version: 2, updatedAt: deadline, history: { timeout: deadline } }), ...revealing.reservations.slice(1)],
      { writtenAt: T0 + 80_000, previousWrittenAt: T0 + 70_000 },
    );
    expect(eventsOfWrite(materialized)).toEqual([]);
    expect(eventsOf(materialized, T0 + 80_000).find((e) => e.type === 'reservation.timeout')).toEqual({
      ...revealed[0],
      data: { ...revealed[0]!.data, TaskAssignmentStatus: 'reserved' },
    });
  });

  it('a reservation recorded on a task already accepted is created and rescinded at its creation', () => {
    const late = T0 + 9000;
    const record = task([reservation(1, { status: 'accepted', history: { accepted: T0 + 1000 } }), reservation(2, { createdAt: late })], {
      acceptedReservationSid: sidOf('WR', 1),
      acceptedAt: T0 + 1000,
      writtenAt: late,
      previousWrittenAt: T0 + 1000,
    });
    expect(types(eventsOfWrite(record))).toEqual([
      ['reservation.created', sidOf('WR', 2)],
      ['reservation.rescinded', sidOf('WR', 2)],
    ]);
  });
});

describe('the event table', () => {
  it('declares every type this service produces, each with the field groups TaskRouter uses', () => {
    expect(Object.keys(EVENT_TYPES).sort()).toEqual(
      [
        'reservation.created',
        'reservation.accepted',
        'reservation.rejected',
        'reservation.timeout',
        'reservation.canceled',
        'reservation.rescinded',
        'reservation.wrapup',
        'reservation.completed',
        'task.canceled',
        'task.wrapup',
        'task.completed',
        'task.updated',
        'worker.activity.update',
        'worker.attributes.update',
      ].sort(),
    );
    for (const [type, spec] of Object.entries(EVENT_TYPES)) {
      const expected = type.startsWith('reservation.')
        ? ['task', 'worker', 'routing', 'reservation']
        : type.startsWith('task.')
          ? ['task', 'routing']
          : type === 'worker.activity.update'
            ? ['worker', 'previousActivity'] // where the worker was, and for how long
            : ['worker'];
      expect(spec.groups, type).toEqual(expected);
    }
    expect(snakeCase('WorkerTimeInPreviousActivityMs')).toBe('worker_time_in_previous_activity_ms');
  });
});
