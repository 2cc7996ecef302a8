/**
 * The JSON of this service's own lifecycle resources (not Twilio's, so not in Twilio's shapes,
 * but in its style: snake_case keys, Twilio's dates, absolute URLs under PUBLIC_BASE_URL).
 */
import { twilioDate } from '../domain/clock.ts';
import { workspaceUrl } from '../domain/representations.ts';
import { effectiveStatus, type ReservationRecord, type TaskRecord } from '../domain/task.ts';
import type { AttentionItem } from './ports.ts';

export function lifecycleUrl(baseUrl: string, workspaceSid: string): string {
  return `${baseUrl}/lifecycle/v1/Workspaces/${workspaceSid}`;
}

/** A reservation's wrap-up: its rule, its limit, when it ends and how long is left (at `now`). */
export function wrapUpJson(task: TaskRecord, reservation: ReservationRecord, now: number, baseUrl: string) {
  const deadline = reservation.wrapUpDeadline;
  const reservationUrl = `${workspaceUrl(baseUrl, task.workspaceSid)}/Tasks/${task.sid}/Reservations/${reservation.sid}`;
  return {
    account_sid: task.accountSid,
    workspace_sid: task.workspaceSid,
    task_sid: task.sid,
    reservation_sid: reservation.sid,
    reservation_status: effectiveStatus(task, reservation, now).status,
    lifecycle_rule: reservation.lifecycle ?? null,
    wrap_up_seconds: reservation.wrapUpMs === undefined ? null : reservation.wrapUpMs / 1000,
    wrap_up_deadline: deadline === undefined ? null : twilioDate(deadline),
    wrap_up_deadline_ms: deadline ?? null,
    remaining_seconds: deadline === undefined ? null : Math.max(0, Math.ceil((deadline - now) / 1000)),
    url: `${lifecycleUrl(baseUrl, task.workspaceSid)}/Tasks/${task.sid}/Reservations/${reservation.sid}/WrapUp`,
    links: { reservation: reservationUrl },
  };
}

/**
 * What every view of a reservation needing attention says of it (the list's JSON, the bus's
 * news): its keys, its status, its rule, and how long it had been held at `heldUntil`.
 */
export function attentionFacts(item: AttentionItem, reservationStatus: string, heldUntil: number) {
  return {
    account_sid: item.accountSid,
    workspace_sid: item.workspaceSid,
    task_sid: item.taskSid,
    reservation_sid: item.reservationSid,
    worker_sid: item.workerSid,
    reservation_status: reservationStatus,
    lifecycle_rule: item.rule,
    since: twilioDate(item.since),
    flagged: twilioDate(item.flaggedAt),
    held_seconds: Math.max(0, Math.floor((heldUntil - item.since) / 1000)),
  };
}

/** A reservation that needs attention, as the "needs attention" list shows it. */
export function attentionJson(item: AttentionItem, task: TaskRecord, reservation: ReservationRecord, now: number, baseUrl: string) {
  const workspace = workspaceUrl(baseUrl, task.workspaceSid);
  return {
    ...attentionFacts(item, effectiveStatus(task, reservation, now).status, now),
    worker_name: reservation.workerName,
    url: `${lifecycleUrl(baseUrl, item.workspaceSid)}/Attention/${item.reservationSid}`,
    links: { task: `${workspace}/Tasks/${item.taskSid}`, reservation: `${workspace}/Tasks/${item.taskSid}/Reservations/${item.reservationSid}` },
  };
}
