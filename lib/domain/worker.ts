import type { WorkerChange } from './events.ts';

/**
 * Who last set a worker's activity: a Worker update (the agent, a supervisor, an integration), a
 * lifecycle rule, or a reservation (a rejection that named an activity, a timeout).
 */
export type ActivitySetBy = 'update' | 'lifecycle' | 'reservation';

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
  /** Counts the changes of its activity, attributes and name: its ETag, which a Worker update's If-Match names. */
  readonly version: number;
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
