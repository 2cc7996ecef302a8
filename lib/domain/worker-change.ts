/**
 * A Worker update's parameters (`POST /v1/Workspaces/{WS}/Workers/{WK}`), with TaskRouter's
 * rules: ActivitySid, Attributes (a JSON object), FriendlyName (up to 64 characters), and
 * RejectPendingReservations, valid only with an activity that is not available (the policy's
 * availableActivities say which are).
 */
import { InvalidParameterError } from './errors.ts';
import type { Params } from './parameters.ts';
import { canonicalSid } from './sid.ts';
import { readAttributes } from './task-change.ts';

/** TaskRouter's limit on a worker's friendly name. */
export const MAX_FRIENDLY_NAME_LENGTH = 64;
/** The longest Attributes a Worker update may set: every reservation's worker link keeps a copy. */
export const MAX_WORKER_ATTRIBUTES_LENGTH = 4_096;

export interface WorkerUpdate {
  readonly activitySid?: string;
  readonly attributes?: string;
  readonly friendlyName?: string;
  readonly rejectPendingReservations: boolean;
}

function single(params: Params, name: string): string | undefined {
  const values = params.get(name);
  if (values === undefined) return undefined;
  if (values.length !== 1) throw new InvalidParameterError(name, 'must be given once');
  return values[0]!;
}

/** A Worker update's parameters; `isAvailable` says whether an activity takes work (the policy's availableActivities). */
export function readWorkerUpdate(params: Params, isAvailable: (activitySid: string) => boolean): WorkerUpdate {
  const rawActivity = single(params, 'ActivitySid');
  const activitySid = rawActivity === undefined ? undefined : canonicalSid(rawActivity, 'WA');
  if (rawActivity !== undefined && activitySid === undefined) {
    throw new InvalidParameterError('ActivitySid', 'must be a SID starting with WA followed by 32 hex digits');
  }
  const attributes = readAttributes(params, MAX_WORKER_ATTRIBUTES_LENGTH);
  const friendlyName = single(params, 'FriendlyName');
  if (friendlyName !== undefined && (friendlyName.trim() === '' || friendlyName.length > MAX_FRIENDLY_NAME_LENGTH)) {
    throw new InvalidParameterError('FriendlyName', `must be 1 to ${MAX_FRIENDLY_NAME_LENGTH} characters`);
  }
  const rawReject = single(params, 'RejectPendingReservations');
  if (rawReject !== undefined && !/^(true|false)$/i.test(rawReject)) throw new InvalidParameterError('RejectPendingReservations', 'must be true or false');
  const rejectPendingReservations = rawReject !== undefined && /^true$/i.test(rawReject);
  if (rejectPendingReservations && (activitySid === undefined || isAvailable(activitySid))) {
    throw new InvalidParameterError('RejectPendingReservations', 'is only valid with an ActivitySid whose activity is not available');
  }
  return {
    ...(activitySid !== undefined && { activitySid }),
    ...(attributes !== undefined && { attributes }),
    ...(friendlyName !== undefined && { friendlyName }),
    rejectPendingReservations,
  };
}
