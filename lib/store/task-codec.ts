/**
 * The task item's codec: how a TaskRecord and its reservations are laid out in one DynamoDB item,
 * for every reader of task items: the adapters, and the reader of the table's stream.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { RecordedInstruction } from '../domain/instructions.ts';
import { NO_WRAP_UP_LIMIT_MS, type ForwardMark, type ReservationRecord, type TaskRecord } from '../domain/task.ts';
import { RESERVATION_PREFIX, TABLE, TASK_PREFIX, taskSidOf } from './table.ts';

/** A reservation, as the value of its task item's `R_<WR>` attribute. */
export interface StoredReservation {
  workerSid: string;
  workerName?: string;
  status: ReservationRecord['status'];
  version: number;
  createdAt: number;
  updatedAt: number;
  deadline: number;
  contactUri?: string;
  instruction?: RecordedInstruction;
  history?: ReservationRecord['history'];
  observedAt?: number;
  activitySid?: string;
  activityAt?: number;
  answer?: string;
  lifecycle?: string;
  wrapUpMs?: number;
  /** At or after NO_WRAP_UP_LIMIT_MS: a wrap-up without a time limit. */
  wrapUpDeadline?: number;
}

/** The task item's own attributes (its reservations are the `R_<WR>` ones). */
export interface StoredTask {
  pk: string;
  accountSid: string;
  workspaceSid: string;
  workflowSid: string;
  taskQueueSid: string;
  attributes: string;
  priority: number;
  createdAt: number;
  updatedAt: number;
  rejections: number;
  maxRejections: number;
  acceptedSid?: string;
  acceptedAt?: number;
  lastRejectedAt?: number;
  writtenAt: number;
  previousWrittenAt?: number;
  forward?: ForwardMark;
  canceled?: { at: number; reason: string };
  completedReason?: string;
  wrapUpReason?: string;
  /** How many Task updates changed its attributes or priority, and when the last one did. */
  updates?: number;
  lastUpdateAt?: number;
}

export function encodeReservation(r: Omit<ReservationRecord, 'sid'>): StoredReservation {
  return {
    workerSid: r.workerSid,
    ...(r.workerName !== null && { workerName: r.workerName }),
    status: r.status,
    version: r.version,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    deadline: r.deadline,
    ...(r.contactUri !== undefined && { contactUri: r.contactUri }),
    ...(r.instruction !== undefined && { instruction: r.instruction }),
    history: r.history,
    ...(r.observedAt !== undefined && { observedAt: r.observedAt }),
    ...(r.activitySid !== undefined && { activitySid: r.activitySid }),
    ...(r.activityAt !== undefined && { activityAt: r.activityAt }),
    ...(r.answer !== undefined && { answer: r.answer }),
    ...(r.lifecycle !== undefined && { lifecycle: r.lifecycle }),
    ...(r.wrapUpMs !== undefined && { wrapUpMs: r.wrapUpMs }),
    ...(r.wrapUpDeadline !== undefined && { wrapUpDeadline: r.wrapUpDeadline }),
  };
}

function decodeReservation(sid: string, r: StoredReservation): ReservationRecord {
  return {
    sid,
    workerSid: r.workerSid,
    workerName: r.workerName ?? null,
    status: r.status,
    version: r.version,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    deadline: r.deadline,
    ...(r.contactUri !== undefined && { contactUri: r.contactUri }),
    ...(r.instruction !== undefined && { instruction: r.instruction }),
    history: r.history ?? {},
    ...(r.observedAt !== undefined && { observedAt: r.observedAt }),
    ...(r.activitySid !== undefined && { activitySid: r.activitySid }),
    ...(r.activityAt !== undefined && { activityAt: r.activityAt }),
    ...(r.answer !== undefined && { answer: r.answer }),
    ...(r.lifecycle !== undefined && { lifecycle: r.lifecycle }),
    ...(r.wrapUpMs !== undefined && { wrapUpMs: r.wrapUpMs }),
    ...(r.wrapUpDeadline !== undefined && r.wrapUpDeadline < NO_WRAP_UP_LIMIT_MS && { wrapUpDeadline: r.wrapUpDeadline }),
  };
}

/** A task item (unmarshalled) as the domain's TaskRecord, its reservations in creation order. */
export function decodeTask(item: Record<string, unknown>): TaskRecord {
  const reservations: ReservationRecord[] = [];
  for (const [attribute, value] of Object.entries(item)) {
    if (attribute.startsWith(RESERVATION_PREFIX)) reservations.push(decodeReservation(attribute.slice(RESERVATION_PREFIX.length), value as StoredReservation));
  }
  reservations.sort((a, b) => a.createdAt - b.createdAt || (a.sid < b.sid ? -1 : 1));
  const t = item as unknown as StoredTask;
  return {
    sid: taskSidOf(t.pk),
    accountSid: t.accountSid,
    workspaceSid: t.workspaceSid,
    workflowSid: t.workflowSid,
    taskQueueSid: t.taskQueueSid,
    attributes: t.attributes,
    priority: t.priority,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    reservations,
    rejections: t.rejections,
    maxRejections: t.maxRejections,
    ...(t.acceptedSid !== undefined && { acceptedReservationSid: t.acceptedSid, acceptedAt: t.acceptedAt! }),
    ...(t.lastRejectedAt !== undefined && { lastRejectedAt: t.lastRejectedAt }),
    writtenAt: t.writtenAt,
    ...(t.previousWrittenAt !== undefined && t.previousWrittenAt > 0 && { previousWrittenAt: t.previousWrittenAt }),
    ...(t.forward !== undefined && { forward: t.forward }),
    ...(t.canceled !== undefined && { canceled: t.canceled }),
    ...(t.completedReason !== undefined && { completedReason: t.completedReason }),
    ...(t.wrapUpReason !== undefined && { wrapUpReason: t.wrapUpReason }),
    ...(t.updates !== undefined && t.lastUpdateAt !== undefined && { lastUpdate: { n: t.updates, at: t.lastUpdateAt } }),
  };
}

/**
 * A record of the table's DynamoDB Stream (its new image, in DynamoDB's JSON), as the task it
 * shows; undefined for any other item, and for a removal (TTL), which has no new image.
 */
export function decodeStreamImage(image: Record<string, unknown> | undefined): TaskRecord | undefined {
  if (!image) return undefined;
  const item = unmarshall(image as Record<string, AttributeValue>);
  const key = item[TABLE.partitionKey];
  return typeof key === 'string' && key.startsWith(TASK_PREFIX) ? decodeTask(item) : undefined;
}
