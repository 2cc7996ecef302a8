/**
 * The rules of a Task update (`POST /v1/Workspaces/{WS}/Tasks/{WT}`), TaskRouter's: completing
 * needs an assigned or wrapping task, wrapping an assigned one, canceling a pending or reserved
 * one; If-Match names the task's ETag. The stores compile the same rules into the condition of
 * their write (lib/store/task-items.ts) and call these on the stored task to say why one failed.
 */
import { InvalidParameterError, PreconditionFailedError, TaskStateError } from './errors.ts';
import type { Params } from './parameters.ts';
import { entityTag, ifMatchSatisfied, type IfMatch } from './if-match.ts';
import { taskAssignment, type TaskRecord } from './task.ts';
import type { TaskScope } from './scope.ts';
import type { TaskStatus } from './state-machine.ts';

type TaskNames = { readonly accountSid: string; readonly workspaceSid: string; readonly taskSid: string };
const named = (t: TaskNames) => `${t.taskSid} in workspace ${t.workspaceSid} for account ${t.accountSid}`;

/**
 * The AssignmentStatus values a Task update may set, the statuses each needs, and TaskRouter's
 * words when the task has another: as seen from TaskRouter for a cancel ("Cannot cancel task WT…
 * in workspace WS… for account AC… because it is not pending or reserved.") and a wrap-up
 * ("Cannot wrap up a task WT… … because it's not currently assigned"); a completion's in the
 * wrap-up's form.
 */
export const TASK_STATUS_UPDATES = {
  completed: {
    from: ['assigned', 'wrapping'],
    refusal: (t: TaskNames) => `Cannot complete a task ${named(t)} because it's not currently assigned or wrapping`,
  },
  wrapping: { from: ['assigned'], refusal: (t: TaskNames) => `Cannot wrap up a task ${named(t)} because it's not currently assigned` },
  canceled: { from: ['pending', 'reserved'], refusal: (t: TaskNames) => `Cannot cancel task ${named(t)} because it is not pending or reserved.` },
} as const satisfies Record<string, { readonly from: readonly TaskStatus[]; readonly refusal: (task: TaskNames) => string }>;

export type TaskStatusUpdate = keyof typeof TASK_STATUS_UPDATES;

/** A task's version, as the ETag its GET carries and a Task update's If-Match names: the time of its last write. */
export function taskVersion(task: TaskRecord): number {
  return task.writtenAt;
}

export function taskEntityTag(task: TaskRecord): string {
  return entityTag(taskVersion(task));
}

export function checkTaskIfMatch(task: TaskRecord, ifMatch: IfMatch | undefined): void {
  if (ifMatch !== undefined && !ifMatchSatisfied(ifMatch, taskVersion(task))) throw new PreconditionFailedError(ifMatch.raw, taskEntityTag(task));
}

/** Throws TaskRouter's refusal when the task's status (as read at `now`) does not allow `update`. */
export function checkTaskStatus(task: TaskRecord, update: TaskStatusUpdate, now: number): void {
  const rule = TASK_STATUS_UPDATES[update];
  const status = taskAssignment(task, now).status;
  if (!(rule.from as readonly TaskStatus[]).includes(status)) throw taskStateError(task, update);
}

export function taskStateError(scope: TaskScope | TaskRecord, update: TaskStatusUpdate): TaskStateError {
  const task = 'sid' in scope ? { accountSid: scope.accountSid, workspaceSid: scope.workspaceSid, taskSid: scope.sid } : scope;
  return new TaskStateError(TASK_STATUS_UPDATES[update].refusal(task));
}

/** Throws why a cancellation, attributes or priority change is refused now; returns when it is allowed. */
export function checkTaskChange(task: TaskRecord, change: { readonly ifMatch?: IfMatch; readonly cancel?: unknown }, now: number): void {
  checkTaskIfMatch(task, change.ifMatch);
  if (change.cancel !== undefined) checkTaskStatus(task, 'canceled', now);
}

/** The longest Reason this service records (TaskRouter publishes no limit; a reason is a line of text, not a document). */
export const MAX_REASON_LENGTH = 1024;
/** The longest Attributes a Task update may set: a task and up to a thousand reservations share one 400 KB item. */
export const MAX_TASK_ATTRIBUTES_LENGTH = 16_384;
/** TaskRouter's priority range: 0 to 2^31 - 1. */
export const MAX_PRIORITY = 2_147_483_647;

/** A Task update's parameters, validated. */
export interface TaskUpdate {
  readonly assignmentStatus?: TaskStatusUpdate;
  readonly reason?: string;
  readonly attributes?: string;
  readonly priority?: number;
}

/** Parameters of TaskRouter's Task update this service does not model: refused rather than ignored. */
const UNSUPPORTED = ['TaskChannel', 'VirtualStartTime'];

function single(params: Params, name: string): string | undefined {
  const values = params.get(name);
  if (values === undefined) return undefined;
  if (values.length !== 1) throw new InvalidParameterError(name, 'must be given once');
  return values[0]!;
}

/** A JSON object's text, or a 400 naming the parameter (its value is not echoed: attributes are personal data). */
export function readAttributes(params: Params, limit: number): string | undefined {
  const raw = single(params, 'Attributes');
  if (raw === undefined) return undefined;
  if (raw.length > limit) throw new InvalidParameterError('Attributes', `must be at most ${limit} characters of JSON`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InvalidParameterError('Attributes', 'must be a JSON object');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidParameterError('Attributes', 'must be a JSON object');
  return raw;
}

/** A Task update's parameters (form or JSON), with TaskRouter's rules; unknown names are ignored, as TaskRouter ignores them. */
export function readTaskUpdate(params: Params): TaskUpdate {
  for (const name of UNSUPPORTED) if (params.has(name)) throw new InvalidParameterError(name, 'is not supported by this service');
  const status = single(params, 'AssignmentStatus');
  if (status !== undefined && !Object.hasOwn(TASK_STATUS_UPDATES, status)) {
    throw new InvalidParameterError('AssignmentStatus', `cannot be set to ${status}: use ${Object.keys(TASK_STATUS_UPDATES).join(', ')}`);
  }
  const reason = single(params, 'Reason');
  if (reason !== undefined && reason.length > MAX_REASON_LENGTH) throw new InvalidParameterError('Reason', `must be at most ${MAX_REASON_LENGTH} characters`);
  const attributes = readAttributes(params, MAX_TASK_ATTRIBUTES_LENGTH);
  const rawPriority = single(params, 'Priority');
  let priority: number | undefined;
  if (rawPriority !== undefined) {
    if (!/^\d{1,10}$/.test(rawPriority) || Number(rawPriority) > MAX_PRIORITY) {
      throw new InvalidParameterError('Priority', `must be an integer from 0 to ${MAX_PRIORITY}`);
    }
    priority = Number(rawPriority);
  }
  if ((status === 'completed' || status === 'canceled') && (reason === undefined || reason.trim() === '')) {
    throw new InvalidParameterError('Reason', `is required when AssignmentStatus is ${status}`);
  }
  // A wrap-up may say why too: Twilio's Worker SDK sends wrapUp({ reason }) as AssignmentStatus=wrapping with a Reason.
  if (reason !== undefined && status === undefined) {
    throw new InvalidParameterError('Reason', 'is only taken with an AssignmentStatus (completed, canceled or wrapping)');
  }
  return {
    ...(status !== undefined && { assignmentStatus: status as TaskStatusUpdate }),
    // A blank one with a wrap-up says nothing: the task has no reason then (completed and canceled refuse it above).
    ...(reason !== undefined && reason.trim() !== '' && { reason }),
    ...(attributes !== undefined && { attributes }),
    ...(priority !== undefined && { priority }),
  };
}
