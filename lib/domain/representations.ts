/**
 * Twilio's JSON shapes: keys in Twilio's (alphabetical) order, dates without milliseconds, and
 * every URL absolute under PUBLIC_BASE_URL so that the twilio SDK can follow `next_page_url` and
 * `links` back to this service.
 */
import { twilioDate } from './clock.ts';
import type { TwilioError } from './errors.ts';
import { effectiveStatus, taskAssignment, type ReservationRecord, type TaskRecord } from './task.ts';
import { EVENT_SOURCE, eventData, type TaskRouterEvent } from './events.ts';
import type { WorkerRecord } from './worker.ts';

export type ReservationScope = 'task' | 'worker';

export function workspaceUrl(baseUrl: string, workspaceSid: string): string {
  return `${baseUrl}/v1/Workspaces/${workspaceSid}`;
}

export function reservationJson(task: TaskRecord, reservation: ReservationRecord, now: number, baseUrl: string, scope: ReservationScope) {
  const workspace = workspaceUrl(baseUrl, task.workspaceSid);
  const taskUrl = `${workspace}/Tasks/${task.sid}`;
  const workerUrl = `${workspace}/Workers/${reservation.workerSid}`;
  const effective = effectiveStatus(task, reservation, now);
  return {
    account_sid: task.accountSid,
    date_created: twilioDate(reservation.createdAt),
    date_updated: twilioDate(effective.since),
    links: { task: taskUrl, worker: workerUrl, workspace },
    reservation_status: effective.status,
    sid: reservation.sid,
    task_sid: task.sid,
    url: `${scope === 'task' ? taskUrl : workerUrl}/Reservations/${reservation.sid}`,
    worker_name: reservation.workerName,
    worker_sid: reservation.workerSid,
    workspace_sid: task.workspaceSid,
  };
}

/** TaskRouter's Timeout of a task created without one: 24 hours. */
export const DEFAULT_TASK_TIMEOUT_SECONDS = 86_400;

/**
 * Twilio's Task resource: every field of its OpenAPI schema. What TaskRouter's assignment callback
 * does not tell (the queue's and workflow's names, the channel, when the task entered its queue,
 * its virtual start time, add-ons, routing target) is `null`, never a guess: the twilio SDK reads
 * a missing date as the moment it parses the answer, a null one as null. `timeout`, which the
 * schema says is never null, is TaskRouter's default for a task created without one.
 */
export function taskJson(task: TaskRecord, now: number, baseUrl: string) {
  const workspace = workspaceUrl(baseUrl, task.workspaceSid);
  const url = `${workspace}/Tasks/${task.sid}`;
  const assignment = taskAssignment(task, now);
  return {
    account_sid: task.accountSid,
    addons: null,
    age: Math.max(0, Math.floor((now - task.createdAt) / 1000)),
    assignment_status: assignment.status,
    attributes: task.attributes,
    date_created: twilioDate(task.createdAt),
    // The later of its last status change and its last Task update (attributes, priority).
    date_updated: twilioDate(Math.max(assignment.updatedAt, task.lastUpdate?.at ?? 0)),
    ignore_capacity: null,
    links: { reservations: `${url}/Reservations`, workspace },
    priority: task.priority,
    reason: assignment.reason,
    routing_target: null,
    sid: task.sid,
    task_channel_sid: null,
    task_channel_unique_name: null,
    task_queue_entered_date: null,
    task_queue_friendly_name: null,
    task_queue_sid: task.taskQueueSid,
    timeout: DEFAULT_TASK_TIMEOUT_SECONDS,
    url,
    virtual_start_time: null,
    workflow_friendly_name: null,
    workflow_sid: task.workflowSid,
    workspace_sid: task.workspaceSid,
  };
}

/**
 * Twilio's Worker resource: every field of its OpenAPI schema. `available` is what the policy's
 * availableActivities say of its activity (null where they name none, or no activity is known);
 * `activity_name` is null: neither callbacks nor Worker updates carry an activity's name.
 */
export function workerJson(worker: WorkerRecord, baseUrl: string, available: boolean | null) {
  const workspace = workspaceUrl(baseUrl, worker.workspaceSid);
  const url = `${workspace}/Workers/${worker.sid}`;
  return {
    account_sid: worker.accountSid,
    activity_name: null,
    activity_sid: worker.activitySid,
    attributes: worker.attributes,
    available,
    date_created: twilioDate(worker.createdAt),
    date_status_changed: worker.activityChangedAt === null ? null : twilioDate(worker.activityChangedAt),
    date_updated: twilioDate(worker.updatedAt),
    friendly_name: worker.friendlyName,
    // Twilio's links that lead to resources this service serves (not the activity's or channels').
    links: {
      cumulative_statistics: `${workspace}/Workers/CumulativeStatistics`,
      real_time_statistics: `${workspace}/Workers/RealTimeStatistics`,
      reservations: `${url}/Reservations`,
      statistics: `${workspace}/Workers/Statistics`,
      worker_statistics: `${url}/Statistics`,
      workspace,
    },
    sid: worker.sid,
    url,
    workspace_sid: worker.workspaceSid,
  };
}

/** The Event resource (OpenAPI `taskrouter.v1.workspace.event`: its 17 fields). */
export function eventJson(event: TaskRouterEvent, baseUrl: string) {
  const workspace = workspaceUrl(baseUrl, event.workspaceSid);
  const resourceUrl =
    event.resourceType === 'task'
      ? `${workspace}/Tasks/${event.taskSid}`
      : event.resourceType === 'worker'
        ? `${workspace}/Workers/${event.resourceSid}`
        : `${workspace}/Tasks/${event.taskSid}/Reservations/${event.resourceSid}`;
  return {
    account_sid: event.accountSid,
    // The workspace acts, as in TaskRouter's own records of reservation changes.
    actor_sid: event.workspaceSid,
    actor_type: 'workspace',
    actor_url: workspace,
    description: event.description,
    event_data: eventData(event),
    event_date: twilioDate(event.at),
    event_date_ms: event.at,
    event_type: event.type,
    resource_sid: event.resourceSid,
    resource_type: event.resourceType,
    resource_url: resourceUrl,
    sid: event.sid,
    source: EVENT_SOURCE,
    // Never the caller's address: it is personal data, and an event is often no one request's.
    source_ip_address: null,
    url: `${workspace}/Events/${event.sid}`,
    workspace_sid: event.workspaceSid,
  };
}

export interface PageLinks {
  readonly page: number;
  readonly pageSize: number;
  readonly firstPageUrl: string;
  readonly previousPageUrl: string | null;
  readonly url: string;
  readonly nextPageUrl: string | null;
}

export function listJson<K extends string, T>(key: K, items: readonly T[], links: PageLinks) {
  return {
    meta: {
      first_page_url: links.firstPageUrl,
      key,
      next_page_url: links.nextPageUrl,
      page: links.page,
      page_size: links.pageSize,
      previous_page_url: links.previousPageUrl,
      url: links.url,
    },
    [key]: items,
  } as { meta: Record<string, unknown> } & Record<K, readonly T[]>;
}

/** The legacy four-key error body: twilio-node turns it into a RestException. */
export function errorJson(error: TwilioError) {
  return {
    code: error.code,
    message: error.message,
    more_info: error.moreInfo,
    status: error.status,
  };
}
