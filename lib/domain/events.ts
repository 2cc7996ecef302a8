/**
 * TaskRouter's events for what this service changes, declared once: each type's resource, the field
 * groups its data is built from, and its description. The Event resource, the event callbacks, the
 * EventBridge bus and the connected-mode mirror all read this table.
 *
 * Events are a pure function of a task record: `eventsOf(task, at)` lists every event the record
 * implies at time `at`, each with a deterministic SID (one per reservation, or task, and type), so
 * deriving them again never makes a second one. A derived status (rescinded, canceled, timeout:
 * see lib/domain/task.ts) is an event of the first write to the task item at or after the moment
 * it began; `eventsOfWrite` gives exactly the events of one write, from the written item alone.
 */
import { createHash } from 'node:crypto';
import { snakeCase, type FieldName } from './fields.ts';
import type { ReservationStatus } from './state-machine.ts';
import {
  canceledAt,
  canceledReason,
  completedReason,
  effectiveStatus,
  taskAssignment,
  type ReservationRecord,
  type TaskAssignment,
  type TaskRecord,
} from './task.ts';

export type ResourceType = 'reservation' | 'task' | 'worker';

/** The field groups from which TaskRouter's event reference builds each type's data. */
const GROUPS = {
  task: ['TaskSid', 'TaskAttributes', 'TaskAge', 'TaskPriority', 'TaskAssignmentStatus', 'TaskCanceledReason', 'TaskCompletedReason', 'TaskDateCreated'],
  worker: ['WorkerSid', 'WorkerName', 'WorkerAttributes', 'WorkerActivitySid'],
  /** What a worker's activity change adds (TaskRouter's worker.activity.update). */
  previousActivity: ['WorkerPreviousActivitySid', 'WorkerTimeInPreviousActivity', 'WorkerTimeInPreviousActivityMs'],
  routing: ['TaskQueueSid', 'WorkflowSid'],
  reservation: ['ReservationSid', 'ReservationTimeout'],
} as const satisfies Record<string, readonly FieldName[]>;

export type FieldGroup = keyof typeof GROUPS;

export interface EventTypeSpec {
  readonly resource: ResourceType;
  readonly groups: readonly FieldGroup[];
  /** Its place among the events of one moment: a reservation is created before it is accepted, … */
  readonly rank: number;
  readonly describe: (e: DescriptionFacts) => string;
}

interface DescriptionFacts {
  readonly task: string;
  readonly reservation: string;
  readonly worker: string;
  readonly activity: string;
  readonly reason: string;
}

const reservationType = (rank: number, describe: (e: DescriptionFacts) => string): EventTypeSpec => ({
  resource: 'reservation',
  groups: ['task', 'worker', 'routing', 'reservation'],
  rank,
  describe,
});
const taskType = (rank: number, describe: (e: DescriptionFacts) => string): EventTypeSpec => ({
  resource: 'task',
  groups: ['task', 'routing'],
  rank,
  describe,
});

/**
 * The types this service produces. Descriptions follow the two TaskRouter strings on record
 * (`reservation.created`, `worker.activity.update`); clients must not parse them.
 */
export const EVENT_TYPES = {
  'reservation.created': reservationType(10, (e) => `Task ${e.task} assigned to Worker ${e.worker} with Reservation ${e.reservation}`),
  'reservation.accepted': reservationType(20, (e) => `Reservation ${e.reservation} accepted by Worker ${e.worker}`),
  'reservation.rejected': reservationType(21, (e) => `Reservation ${e.reservation} rejected by Worker ${e.worker}`),
  'reservation.timeout': reservationType(22, (e) => `Reservation ${e.reservation} for Worker ${e.worker} timed out`),
  'reservation.rescinded': reservationType(
    30,
    (e) => `Reservation ${e.reservation} for Worker ${e.worker} rescinded: another reservation of Task ${e.task} was accepted`,
  ),
  'reservation.canceled': reservationType(31, (e) => `Reservation ${e.reservation} for Worker ${e.worker} canceled: Task ${e.task} was canceled`),
  'reservation.wrapup': reservationType(40, (e) => `Reservation ${e.reservation} wrapping up by Worker ${e.worker}`),
  'reservation.completed': reservationType(50, (e) => `Reservation ${e.reservation} completed by Worker ${e.worker}`),
  'task.canceled': taskType(60, (e) => `Task ${e.task} canceled: ${e.reason}`),
  'task.wrapup': taskType(61, (e) => `Task ${e.task} wrapping up`),
  'task.completed': taskType(62, (e) => `Task ${e.task} completed: ${e.reason}`),
  'task.updated': taskType(63, (e) => `Task ${e.task} updated`),
  'worker.activity.update': {
    resource: 'worker',
    groups: ['worker', 'previousActivity'],
    rank: 70,
    describe: (e) => `Worker ${e.worker} updated to ${e.activity} Activity`,
  },
  'worker.attributes.update': { resource: 'worker', groups: ['worker'], rank: 71, describe: (e) => `Worker ${e.worker} attributes updated` },
} as const satisfies Record<string, EventTypeSpec>;

export type EventType = keyof typeof EVENT_TYPES;
export const EVENT_TYPE_NAMES = Object.keys(EVENT_TYPES) as EventType[];

export function isEventType(name: string): name is EventType {
  return Object.hasOwn(EVENT_TYPES, name);
}

/** The event of each reservation status a reservation can reach (pending has none). */
export const STATUS_EVENTS: Readonly<Record<Exclude<ReservationStatus, 'pending'>, EventType>> = {
  accepted: 'reservation.accepted',
  rejected: 'reservation.rejected',
  timeout: 'reservation.timeout',
  rescinded: 'reservation.rescinded',
  canceled: 'reservation.canceled',
  wrapping: 'reservation.wrapup',
  completed: 'reservation.completed',
};

/** Who produced an event: the Event resource's `source` and the EventBridge bus's. */
export const EVENT_SOURCE = 'taskrouter-reservations';
/** The bus's source of this service's own news (a reservation needing attention), which is no TaskRouter event. */
export const LIFECYCLE_SOURCE = `${EVENT_SOURCE}.lifecycle`;

export interface TaskRouterEvent {
  readonly sid: string;
  readonly type: EventType;
  readonly accountSid: string;
  readonly workspaceSid: string;
  /** Epoch ms of the change. */
  readonly at: number;
  readonly resourceType: ResourceType;
  readonly resourceSid: string;
  readonly description: string;
  /** The event's fields, PascalCase as in the callback, values as strings (absent ones left out). */
  readonly data: Readonly<Partial<Record<FieldName, string>>>;
  /** What the Event resource filters on (a worker's own change has no task). */
  readonly taskSid?: string;
  readonly reservationSid?: string;
  readonly workerSid?: string;
  readonly taskQueueSid?: string;
  readonly workflowSid?: string;
}

/**
 * The SID of an event: one per subject (the reservation, or the task for task events) and type,
 * within its account and workspace. A repeat, a retry, a replay, a race or a second derivation of
 * the same change gets the same SID.
 */
export function eventSid(accountSid: string, workspaceSid: string, subjectSid: string, type: EventType): string {
  return `EV${createHash('sha256').update(`${accountSid}#${workspaceSid}#${subjectSid}#${type}`).digest('hex').slice(0, 32)}`;
}

interface Occurrence {
  readonly type: EventType;
  readonly at: number;
  readonly reservation?: ReservationRecord;
  readonly activitySid?: string;
}

/** What a task record says happened, as (type, time) pairs, with derived statuses evaluated at `at`. */
function occurrences(task: TaskRecord, at: number): Occurrence[] {
  const found: Occurrence[] = [];
  const claimed = task.acceptedReservationSid;
  for (const reservation of task.reservations) {
    found.push({ type: 'reservation.created', at: reservation.createdAt, reservation });
    for (const [status, time] of Object.entries(reservation.history ?? {}) as [Exclude<ReservationStatus, 'pending'>, number][]) {
      found.push({ type: STATUS_EVENTS[status], at: time, reservation });
      if (reservation.sid === claimed && status === 'wrapping') found.push({ type: 'task.wrapup', at: time, reservation });
      if (reservation.sid === claimed && status === 'completed') found.push({ type: 'task.completed', at: time, reservation });
    }
    const effective = effectiveStatus(task, reservation, at);
    if (effective.status !== reservation.status) {
      // Derived (a timeout, a rescission, a cancellation, a wrap-up run out): it began at `since`,
      // but never before the reservation itself existed.
      const since = Math.max(effective.since, reservation.createdAt);
      found.push({ type: STATUS_EVENTS[effective.status as Exclude<ReservationStatus, 'pending'>], at: since, reservation });
      if (reservation.sid === claimed && effective.status === 'completed') found.push({ type: 'task.completed', at: since, reservation });
    }
    if (reservation.activitySid !== undefined && reservation.activityAt !== undefined) {
      found.push({ type: 'worker.activity.update', at: reservation.activityAt, reservation, activitySid: reservation.activitySid });
    }
  }
  const canceled = canceledAt(task);
  if (canceled !== undefined) found.push({ type: 'task.canceled', at: canceled });
  if (task.lastUpdate !== undefined) found.push({ type: 'task.updated', at: task.lastUpdate.at });
  return found;
}

function eventOf(task: TaskRecord, o: Occurrence, assignment: TaskAssignment, workers: WorkerAttributesOf): TaskRouterEvent {
  const spec: EventTypeSpec = EVENT_TYPES[o.type];
  const r = o.reservation;
  const values: Partial<Record<FieldName, string>> = {
    TaskSid: task.sid,
    TaskAttributes: task.attributes,
    TaskAge: String(Math.max(0, Math.floor((o.at - task.createdAt) / 1000))),
    TaskPriority: String(task.priority),
    TaskAssignmentStatus: assignment.status,
    TaskDateCreated: String(Math.floor(task.createdAt / 1000)),
    ...(assignment.status === 'canceled' && { TaskCanceledReason: canceledReason(task) }),
    ...(assignment.status === 'completed' && { TaskCompletedReason: completedReason(task) }),
    TaskQueueSid: task.taskQueueSid,
    WorkflowSid: task.workflowSid,
    ...(r && {
      WorkerSid: r.workerSid,
      ...(r.workerName !== null && { WorkerName: r.workerName }),
      ...(workers(r) !== undefined && { WorkerAttributes: workers(r)! }),
      ...(r.activitySid !== undefined && { WorkerActivitySid: r.activitySid }),
      ReservationSid: r.sid,
      ReservationTimeout: String(Math.round((r.deadline - r.createdAt) / 1000)),
    }),
  };
  const fields = new Set<FieldName>(spec.groups.flatMap((g) => GROUPS[g]));
  const data = Object.fromEntries(Object.entries(values).filter(([name]) => fields.has(name as FieldName))) as Partial<Record<FieldName, string>>;
  // One task.updated event per change of the attributes or priority: the change's number is part of its subject.
  const subject = o.type === 'task.updated' ? `${task.sid}#${task.lastUpdate!.n}` : spec.resource === 'task' ? task.sid : r!.sid;
  const resourceSid = spec.resource === 'task' ? task.sid : spec.resource === 'worker' ? r!.workerSid : r!.sid;
  const reason = o.type === 'task.canceled' ? canceledReason(task) : completedReason(task);
  return {
    sid: eventSid(task.accountSid, task.workspaceSid, subject, o.type),
    type: o.type,
    accountSid: task.accountSid,
    workspaceSid: task.workspaceSid,
    at: o.at,
    resourceType: spec.resource,
    resourceSid,
    description: spec.describe({
      task: task.sid,
      reservation: r?.sid ?? '',
      worker: r?.workerName ?? r?.workerSid ?? '',
      activity: o.activitySid ?? '',
      reason,
    }),
    data,
    taskSid: task.sid,
    ...(r && { reservationSid: r.sid, workerSid: r.workerSid }),
    taskQueueSid: task.taskQueueSid,
    workflowSid: task.workflowSid,
  };
}

/** The order of events: by time, then by their place in the lifecycle, then by SID. */
export function compareEvents(a: TaskRouterEvent, b: TaskRouterEvent): number {
  return a.at - b.at || EVENT_TYPES[a.type].rank - EVENT_TYPES[b.type].rank || (a.sid < b.sid ? -1 : a.sid > b.sid ? 1 : 0);
}

/** An event's place in every list: time (ms, zero-padded), its rank in the lifecycle, SID; ordered as `compareEvents`. */
export function eventListKey(event: Pick<TaskRouterEvent, 'at' | 'type' | 'sid'>): string {
  return `${String(event.at).padStart(15, '0')}#${String(EVENT_TYPES[event.type].rank).padStart(2, '0')}#${event.sid}`;
}

/** What an event list key looks like (a PageToken carries one). */
export const EVENT_LIST_KEY = /^\d{15}#\d{2}#EV[0-9a-f]{32}$/;

/**
 * A reservation's WorkerAttributes: the attributes its worker was assigned with. They are not on
 * the task item (a task may hold a thousand reservations; each worker's attributes would fill
 * DynamoDB's 400 KB item), but on the worker's link to the reservation, so whoever derives events
 * looks them up (lib/publishing/event-recorder.ts); unknown ones leave the field out.
 */
export type WorkerAttributesOf = (reservation: ReservationRecord) => string | undefined;

const UNKNOWN_ATTRIBUTES: WorkerAttributesOf = () => undefined;

/** Every event the task record implies at time `at`, in order. */
export function eventsOf(task: TaskRecord, at: number, workers: WorkerAttributesOf = UNKNOWN_ATTRIBUTES): TaskRouterEvent[] {
  return eventsBetween(task, -Infinity, at, workers);
}

/** The events of the task record that happened after `after` and no later than `at`, in order. */
function eventsBetween(task: TaskRecord, after: number, at: number, workers: WorkerAttributesOf): TaskRouterEvent[] {
  // Each event reports the task as it is at `at`: derived once, not once per event (a task may hold 1,000 reservations).
  const assignment = taskAssignment(task, at);
  return occurrences(task, at)
    .filter((o) => o.at > after && o.at <= at)
    .map((o) => eventOf(task, o, assignment, workers))
    .sort(compareEvents);
}

/**
 * The events of the write that left the task item as it is: those that happened after the
 * previous write to it and no later than this one (TaskRecord.writtenAt, previousWrittenAt).
 * Writes to one task item have strictly increasing times (the store sees to it), so every event
 * belongs to exactly one write.
 */
export function eventsOfWrite(task: TaskRecord, workers: WorkerAttributesOf = UNKNOWN_ATTRIBUTES): TaskRouterEvent[] {
  return eventsBetween(task, task.previousWrittenAt ?? -Infinity, task.writtenAt, workers);
}

/**
 * A change a Worker update made (or a lifecycle rule, through one): the worker as it is after it,
 * and what changed. Its events are a function of it, their SIDs of the worker's version, so
 * deriving them again (a repeat, a stream retry, recovery) makes no second one.
 */
export interface WorkerChange {
  readonly accountSid: string;
  readonly workspaceSid: string;
  readonly workerSid: string;
  readonly workerName: string | null;
  readonly attributes: string;
  readonly activitySid: string | null;
  /** The worker's version this change made. */
  readonly version: number;
  readonly at: number;
  /** The activity before, and since when, when this change moved the worker. */
  readonly previousActivity?: { readonly sid: string | null; readonly since: number | null };
  readonly attributesChanged: boolean;
}

/** The events of one worker change: worker.activity.update when it moved the worker, worker.attributes.update when it changed them. */
export function workerEventsOf(change: WorkerChange): TaskRouterEvent[] {
  const types: EventType[] = [];
  if (change.previousActivity !== undefined) types.push('worker.activity.update');
  if (change.attributesChanged) types.push('worker.attributes.update');
  const previous = change.previousActivity;
  const inPrevious = previous?.since == null ? undefined : Math.max(0, change.at - previous.since);
  const values: Partial<Record<FieldName, string>> = {
    WorkerSid: change.workerSid,
    ...(change.workerName !== null && { WorkerName: change.workerName }),
    WorkerAttributes: change.attributes,
    ...(change.activitySid !== null && { WorkerActivitySid: change.activitySid }),
    ...(previous?.sid != null && { WorkerPreviousActivitySid: previous.sid }),
    ...(inPrevious !== undefined && {
      WorkerTimeInPreviousActivity: String(Math.floor(inPrevious / 1000)),
      WorkerTimeInPreviousActivityMs: String(inPrevious),
    }),
  };
  return types.map((type) => {
    const spec: EventTypeSpec = EVENT_TYPES[type];
    const fields = new Set<FieldName>(spec.groups.flatMap((g) => GROUPS[g]));
    return {
      sid: eventSid(change.accountSid, change.workspaceSid, `${change.workerSid}#${change.version}`, type),
      type,
      accountSid: change.accountSid,
      workspaceSid: change.workspaceSid,
      at: change.at,
      resourceType: 'worker',
      resourceSid: change.workerSid,
      description: spec.describe({ task: '', reservation: '', worker: change.workerName ?? change.workerSid, activity: change.activitySid ?? '', reason: '' }),
      data: Object.fromEntries(Object.entries(values).filter(([name]) => fields.has(name as FieldName))) as Partial<Record<FieldName, string>>,
      workerSid: change.workerSid,
    };
  });
}

/** The Event resource's `event_data`: the same fields in snake_case. */
export function eventData(event: TaskRouterEvent): Record<string, string> {
  return Object.fromEntries(Object.entries(event.data).map(([name, value]) => [snakeCase(name), value]));
}
