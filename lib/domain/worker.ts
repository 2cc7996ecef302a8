import type { WorkerChange } from './events.ts';
import type { IfMatch } from './if-match.ts';

/**
 * Who last set a worker's activity: a Worker update (the agent, a supervisor, an integration), a
 * lifecycle rule, a reservation (a rejection that named an activity, a timeout), or (connected)
 * the upstream TaskRouter, whose worker.activity.update said so.
 */
export type ActivitySetBy = 'update' | 'lifecycle' | 'reservation' | 'upstream';

/** What the service knows of a worker: what assignment callbacks told it, Worker updates and activity changes. */
export interface WorkerRecord {
  readonly sid: string;
  readonly accountSid: string;
  readonly workspaceSid: string;
  readonly friendlyName: string | null;
  /** JSON string: a Worker update's, or the latest callback's WorkerAttributes, whichever came later. */
  readonly attributes: string;
  /** Unknown (null) until a Worker update, a rule, a rejection or a timeout moves the worker. */
  readonly activitySid: string | null;
  readonly activityChangedAt: number | null;
  readonly activitySetBy: ActivitySetBy | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Counts the changes Worker updates and rules made to its activity, attributes and name (its events' WorkerVersion); its ETag adds what callbacks changed (workerTag). */
  readonly version: number;
}

/**
 * A worker's entity tag, the value a Worker update's If-Match must name: its version, and a digest
 * of the attributes and name it shows. An assignment callback changes those (its WorkerAttributes
 * and WorkerName, kept on the reservation's link) without a version of its own, so an update whose
 * If-Match names a read from before such a callback is refused, not let overwrite attributes its
 * client never saw. The check is made on the worker as read just before the update's write, which
 * is conditioned on the version alone: a callback landing between the two is not seen by it. A
 * callback that repeats them changes nothing a client sees, nor the tag.
 */
export function workerTag(worker: Pick<WorkerRecord, 'version' | 'attributes' | 'friendlyName'>): string {
  // FNV-1a (32 bits) over the shown fields: a digest, not a secret.
  let hash = 0x811c9dc5;
  const text = `${worker.attributes}\u0000${worker.friendlyName ?? ''}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return `${worker.version}-${(hash >>> 0).toString(16).padStart(8, '0')}`;
}

/** The worker's entity tag as an HTTP header value. */
export const workerEntityTag = (worker: Pick<WorkerRecord, 'version' | 'attributes' | 'friendlyName'>): string => `"${workerTag(worker)}"`;

/** Whether an If-Match names the worker as it is (or is `*`). */
export function workerIfMatchSatisfied(ifMatch: IfMatch, worker: Pick<WorkerRecord, 'version' | 'attributes' | 'friendlyName'>): boolean {
  return ifMatch.any || ifMatch.tags.includes(workerTag(worker));
}

/** What the lifecycle keeps on a worker: its reservations being worked on, and the events it already acted on. */
export interface WorkerLifecycleState {
  /** `WT…/WR…` of the reservations seen accepted or wrapping and not seen finished (checked against the record before use). */
  readonly held: readonly string[];
  /** The SIDs of the last events whose rule moved this worker: a repeat of one does nothing. */
  readonly moves: readonly string[];
}

/** A worker and its lifecycle state, as read before a conditional write on its version. */
export interface WorkerState {
  readonly worker: WorkerRecord;
  readonly lifecycle: WorkerLifecycleState;
}

/** How many of the events that moved a worker it remembers (a repeat comes within minutes, never after dozens of others). */
export const REMEMBERED_MOVES = 32;

/**
 * One write to a worker, conditioned on the version it was decided from: a Worker update, or a
 * lifecycle rule's move. `change` is what its events are made of (none for a write that changes
 * nothing a client sees, such as the lifecycle's bookkeeping).
 */
export interface WorkerWrite {
  readonly scope: { readonly accountSid: string; readonly workspaceSid: string; readonly workerSid: string };
  readonly now: number;
  /** The version it was decided from (0: no change of this worker was ever written). */
  readonly expectedVersion: number;
  readonly activity?: { readonly sid: string; readonly by: ActivitySetBy };
  readonly attributes?: string;
  readonly friendlyName?: string;
  /** The events' facts: set whenever the write moves the worker or changes its attributes. */
  readonly change?: Omit<WorkerChange, 'accountSid' | 'workspaceSid' | 'workerSid'>;
  /** The lifecycle's bookkeeping, written with it. */
  readonly lifecycle?: WorkerLifecycleState;
}
