/**
 * A TaskRouter event the mirror applies, as it reaches this service from the upstream TaskRouter:
 * by event callback (a form: PascalCase names, every value text) or by Twilio Event Streams (a
 * CloudEvent: a snake_case, typed payload). Each way in has its parser here, and both give the
 * same typed event; the mirror (mirror.ts) reads nothing else. Pure: nothing here reads the store.
 */
import { InvalidParameterError } from '../domain/errors.ts';
import type { Params } from '../domain/parameters.ts';
import { canonicalSid, type SidPrefix } from '../domain/sid.ts';
import type { ReservationStatus } from '../domain/state-machine.ts';

/** The reservation events mirrored, and the status each says the reservation is in (`created`: it exists, pending). */
export const OBSERVED_STATUS = {
  'reservation.created': 'created',
  'reservation.accepted': 'accepted',
  'reservation.rejected': 'rejected',
  'reservation.timeout': 'timeout',
  'reservation.canceled': 'canceled',
  'reservation.rescinded': 'rescinded',
  'reservation.wrapup': 'wrapping',
  'reservation.completed': 'completed',
} as const satisfies Record<string, Exclude<ReservationStatus, 'pending'> | 'created'>;

export type ReservationEventType = keyof typeof OBSERVED_STATUS;
export type TaskEventType = ReservationEventType | 'task.canceled';
/** TaskRouter moved a worker: Flex or another client's Worker update, its timeout activity, a rejection's. */
export const WORKER_ACTIVITY_UPDATE = 'worker.activity.update';
export type MirroredEventType = TaskEventType | typeof WORKER_ACTIVITY_UPDATE;

/** Every event type the mirror applies; the rest are acknowledged and ignored. */
export const MIRRORED_EVENT_TYPES: ReadonlySet<MirroredEventType> = new Set([
  ...(Object.keys(OBSERVED_STATUS) as ReservationEventType[]),
  'task.canceled',
  WORKER_ACTIVITY_UPDATE,
]);

const isMirrored = (type: string): type is MirroredEventType => MIRRORED_EVENT_TYPES.has(type as MirroredEventType);

/** A TaskRouter event the mirror applies: one about a task and its reservations, or a worker's move. */
export type UpstreamEvent = TaskEvent | WorkerActivityEvent;

/** A worker's move at TaskRouter: the activity it is in now. */
export interface WorkerActivityEvent {
  readonly type: typeof WORKER_ACTIVITY_UPDATE;
  readonly accountSid: string;
  readonly workspaceSid: string;
  readonly workerSid: string;
  readonly activitySid: string;
  /** When it happened at TaskRouter (epoch ms), if the event says. */
  readonly at?: number;
}

export interface TaskEvent {
  readonly type: TaskEventType;
  readonly accountSid: string;
  readonly workspaceSid: string;
  readonly taskSid: string;
  /** Every `reservation.*` event names its reservation; `task.canceled` none. */
  readonly reservationSid?: string;
  /** When it happened at TaskRouter (epoch ms), if the event says. */
  readonly at?: number;
  /** What a reservation first heard of is recorded from, as TaskRouter sent it (checked when used). */
  readonly workerSid?: string;
  readonly workerName?: string;
  /** JSON, as TaskRouter sends attributes. */
  readonly workerAttributes?: string;
  readonly taskAttributes?: string;
  readonly taskQueueSid?: string;
  readonly workflowSid?: string;
  /** Seconds. */
  readonly taskAge?: number;
  readonly taskPriority?: number;
  /** `task.canceled`: TaskRouter's reason. */
  readonly canceledReason?: string;
}

/** A non-negative integer field, or undefined when absent; a value that is no number reads 0. */
function count(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return Math.max(0, Number.parseInt(String(value), 10) || 0);
}

/** Drops the keys whose value is undefined (the event is stored as JSON by the inbox). */
function defined<T extends object>(event: T): T {
  return Object.fromEntries(Object.entries(event).filter(([, v]) => v !== undefined)) as T;
}

export type CallbackRead = { readonly kind: 'mirror'; readonly sid: string; readonly event: UpstreamEvent } | { readonly kind: 'ignored' };

/**
 * An event callback of `accountSid` (its form fields, as TaskRouter POSTs them to a Workspace's
 * EventCallbackUrl). A field the mirror needs that is missing or malformed throws
 * InvalidParameterError naming it; a type the mirror does not apply is `ignored`, its account
 * checked all the same.
 */
export function readEventCallback(accountSid: string, params: Params): CallbackRead {
  const field = (name: string) => params.get(name)?.[0];
  const type = field('EventType') ?? '';
  const sid = (name: string, prefix: SidPrefix) => {
    const value = canonicalSid(field(name), prefix);
    if (value === undefined) throw new InvalidParameterError(name, `is required as a ${prefix} SID for ${type}`);
    return value;
  };
  if (sid('AccountSid', 'AC') !== accountSid) throw new InvalidParameterError('AccountSid', 'must be the account the callback is signed for');
  if (!isMirrored(type)) return { kind: 'ignored' };
  const workspaceSid = sid('WorkspaceSid', 'WS');
  const eventSid = canonicalSid(field('Sid'), 'EV');
  if (eventSid === undefined) throw new InvalidParameterError('Sid', 'is required as an EV SID: TaskRouter names each event by it');
  const ms = Number(field('TimestampMs') ?? Number(field('Timestamp') ?? Number.NaN) * 1000);
  const at = Number.isFinite(ms) && ms > 0 ? ms : undefined;
  if (type === WORKER_ACTIVITY_UPDATE) {
    const event = { type, accountSid, workspaceSid, workerSid: sid('WorkerSid', 'WK'), activitySid: sid('WorkerActivitySid', 'WA'), at };
    return { kind: 'mirror', sid: eventSid, event: defined(event) };
  }
  const taskSid = sid('TaskSid', 'WT');
  const reservationSid = type === 'task.canceled' ? undefined : sid('ReservationSid', 'WR');
  return {
    kind: 'mirror',
    sid: eventSid,
    event: defined({
      type,
      accountSid,
      workspaceSid,
      taskSid,
      reservationSid,
      at,
      workerSid: canonicalSid(field('WorkerSid'), 'WK'),
      workerName: field('WorkerName') || undefined,
      workerAttributes: field('WorkerAttributes'),
      taskAttributes: field('TaskAttributes'),
      taskQueueSid: canonicalSid(field('TaskQueueSid'), 'WQ'),
      workflowSid: canonicalSid(field('WorkflowSid'), 'WW'),
      taskAge: count(field('TaskAge')),
      taskPriority: count(field('TaskPriority')),
      canceledReason: field('TaskCanceledReason'),
    }),
  };
}

export const TASKROUTER_TYPE_PREFIX = 'com.twilio.taskrouter.';

/** The longest CloudEvent id kept as a key (Twilio's are SIDs); longer is refused as malformed. */
const MAX_ID_LENGTH = 128;

export type CloudEventRead =
  /** A TaskRouter event the mirror applies, with its dedupe key (the CloudEvent `id`: duplicates share it). */
  | { readonly kind: 'mirror'; readonly id: string; readonly event: UpstreamEvent }
  /** Not a TaskRouter event, or one the mirror does not apply (task.created, worker.attributes.update…): skipped. */
  | { readonly kind: 'ignored'; readonly type: string }
  /** Not a CloudEvent of the expected shape: `problem` names what is wrong, never a value (it may be PII). */
  | { readonly kind: 'malformed'; readonly problem: string };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A payload's text value: strings as they are, numbers as written; anything else is not one. */
function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** Attributes: Event Streams gives an object (or, for some types, the JSON text). */
function attributes(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return isObject(value) ? JSON.stringify(value) : undefined;
}

/**
 * One CloudEvent (an element of a Kinesis record's JSON), as Twilio Event Streams delivers
 * TaskRouter's events: `type` `com.twilio.taskrouter.<event type>`, `data.payload` the event's
 * fields in snake_case with their JSON types, `timestamp` in ISO 8601 with milliseconds.
 */
export function readCloudEvent(cloudEvent: unknown): CloudEventRead {
  if (!isObject(cloudEvent)) return { kind: 'malformed', problem: 'not a JSON object' };
  const { type, id, data } = cloudEvent;
  if (typeof type !== 'string' || type === '') return { kind: 'malformed', problem: 'no CloudEvent type' };
  if (!type.startsWith(TASKROUTER_TYPE_PREFIX)) return { kind: 'ignored', type };
  const eventType = type.slice(TASKROUTER_TYPE_PREFIX.length);
  if (!isMirrored(eventType)) return { kind: 'ignored', type };
  if (typeof id !== 'string' || id === '' || id.length > MAX_ID_LENGTH) return { kind: 'malformed', problem: 'no CloudEvent id' };
  if (!isObject(data) || !isObject(data['payload'])) return { kind: 'malformed', problem: 'no data.payload' };
  const payload = data['payload'];
  // The payload says `eventtype`; the CloudEvent's type is the one Twilio routes by, and they agree.
  if (payload['eventtype'] !== undefined && payload['eventtype'] !== eventType)
    return { kind: 'malformed', problem: 'data.payload.eventtype differs from the CloudEvent type' };
  // The payload's account; a wrapper-only account (subaccount events) is taken from data.
  const accountSid = canonicalSid(text(payload['account_sid']) ?? text(data['account_sid']), 'AC');
  if (accountSid === undefined) return { kind: 'malformed', problem: 'no account_sid' };
  const workspaceSid = canonicalSid(text(payload['workspace_sid']), 'WS');
  if (workspaceSid === undefined) return { kind: 'malformed', problem: 'no workspace_sid' };
  const ms = Date.parse(text(payload['timestamp']) ?? text(data['timestamp']) ?? text(cloudEvent['time']) ?? '');
  const at = Number.isFinite(ms) ? ms : undefined;
  if (eventType === WORKER_ACTIVITY_UPDATE) {
    const workerSid = canonicalSid(text(payload['worker_sid']), 'WK');
    if (workerSid === undefined) return { kind: 'malformed', problem: 'no worker_sid' };
    const activitySid = canonicalSid(text(payload['worker_activity_sid']), 'WA');
    if (activitySid === undefined) return { kind: 'malformed', problem: 'no worker_activity_sid' };
    return { kind: 'mirror', id, event: defined({ type: eventType, accountSid, workspaceSid, workerSid, activitySid, at }) };
  }
  const taskSid = canonicalSid(text(payload['task_sid']), 'WT');
  if (taskSid === undefined) return { kind: 'malformed', problem: 'no task_sid' };
  const reservationSid = eventType === 'task.canceled' ? undefined : canonicalSid(text(payload['reservation_sid']), 'WR');
  if (eventType !== 'task.canceled' && reservationSid === undefined) return { kind: 'malformed', problem: 'no reservation_sid' };
  return {
    kind: 'mirror',
    id,
    event: defined({
      type: eventType,
      accountSid,
      workspaceSid,
      taskSid,
      reservationSid,
      at,
      workerSid: canonicalSid(text(payload['worker_sid']), 'WK'),
      workerName: text(payload['worker_name']) || undefined,
      workerAttributes: attributes(payload['worker_attributes']),
      taskAttributes: attributes(payload['task_attributes']),
      taskQueueSid: canonicalSid(text(payload['task_queue_sid']), 'WQ'),
      workflowSid: canonicalSid(text(payload['workflow_sid']), 'WW'),
      taskAge: count(payload['task_age']),
      taskPriority: count(payload['task_priority']),
      canceledReason: text(payload['task_canceled_reason']),
    }),
  };
}

/**
 * A Kinesis record's data → the CloudEvents in it: one CloudEvent, or a JSON array of them (the
 * framing of Twilio's Kinesis sink is unverified; its webhook sink batches as an array).
 */
export function readKinesisData(data: string): { readonly events: readonly unknown[] } | { readonly problem: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
  } catch {
    return { problem: 'the record is not JSON' };
  }
  return { events: Array.isArray(parsed) ? parsed : [parsed] };
}
