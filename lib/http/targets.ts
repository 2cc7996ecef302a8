/** The resources a request's path names, with malformed SIDs answered as Twilio does: 404. */
import { NotFoundError } from '../domain/errors.ts';
import { canonicalSid, type SidPrefix } from '../domain/sid.ts';
import type { ReservationTarget } from '../reservations/service.ts';
import type { TaskScope, WorkerScope, WorkspaceScope } from '../domain/scope.ts';
import type { ApiRequest } from './api-request.ts';

/** The path as Twilio's messages name it: `/Workspaces/WS…/Tasks/WT…`. */
export function resourceOf(request: ApiRequest): string {
  return request.path.replace(/^\/v1(?=\/)/, '');
}

function sidParam(request: ApiRequest, name: string, prefix: SidPrefix): string {
  const sid = canonicalSid(request.pathParameters[name], prefix);
  if (sid === undefined) throw new NotFoundError(resourceOf(request));
  return sid;
}

export function taskScope(request: ApiRequest, accountSid: string): TaskScope {
  return { accountSid, workspaceSid: sidParam(request, 'WorkspaceSid', 'WS'), taskSid: sidParam(request, 'TaskSid', 'WT') };
}

export function workerScope(request: ApiRequest, accountSid: string): WorkerScope {
  return { accountSid, workspaceSid: sidParam(request, 'WorkspaceSid', 'WS'), workerSid: sidParam(request, 'WorkerSid', 'WK') };
}

export function workspaceScope(request: ApiRequest, accountSid: string): WorkspaceScope {
  return { accountSid, workspaceSid: sidParam(request, 'WorkspaceSid', 'WS') };
}

export function eventTarget(request: ApiRequest, accountSid: string) {
  return { scope: workspaceScope(request, accountSid), sid: sidParam(request, 'EventSid', 'EV') };
}

export function isWorkerScoped(request: ApiRequest): boolean {
  return request.pathParameters['WorkerSid'] !== undefined;
}

export function reservationTarget(request: ApiRequest, accountSid: string): ReservationTarget {
  const reservationSid = sidParam(request, 'ReservationSid', 'WR');
  const resource = resourceOf(request);
  return isWorkerScoped(request)
    ? { kind: 'worker', scope: workerScope(request, accountSid), reservationSid, resource }
    : { kind: 'task', scope: taskScope(request, accountSid), reservationSid, resource };
}
