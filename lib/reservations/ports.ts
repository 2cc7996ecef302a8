/**
 * What the reservation service needs from storage, as it uses it. The DynamoDB adapters
 * (lib/store/task-items.ts, worker-items.ts) serve DynamoDB, dynalite and DynamoDB Local alike;
 * the in-memory ones (lib/store/memory/) serve the fast tests. All of them pass the same contract
 * suite (test/store/store-contract.test.ts).
 */
import type { IfMatch } from '../domain/if-match.ts';
import type { ReservationAction } from '../domain/instructions.ts';
import type { WindowReader } from '../domain/paging.ts';
import type { Params } from '../domain/parameters.ts';
import type { TaskScope, WorkerScope, WorkspaceScope } from '../domain/scope.ts';
import type { ReservationRecord, TaskRecord } from '../domain/task.ts';
import type { WorkerRecord, WorkerState, WorkerWrite } from '../domain/worker.ts';
import type { TimeoutEvent } from '../timeouts/scheduler.ts';

/** A reservation as an assignment callback (or a mirrored event) announces it, with what the policy decided. */
export interface NewReservation {
  readonly task: TaskScope & {
    readonly workflowSid: string;
    readonly taskQueueSid: string;
    readonly attributes: string;
    readonly priority: number;
    readonly createdAt: number;
  };
  readonly reservationSid: string;
  readonly workerSid: string;
  readonly workerName: string | null;
  /** WorkerAttributes as the callback gave them (JSON): kept on the worker's link, not on the task. */
  readonly workerAttributes: string;
  readonly contactUri?: string;
  readonly deadline: number;
  readonly maxRejections: number;
  /** The policy's instruction, applied in the same write; none leaves the reservation pending. */
  readonly action?: ReservationAction;
  /** The callback's answer, stored so that a repeat gets the same one. */
  readonly answer: string;
  /**
   * Record it even on a task already accepted or canceled (it then reads rescinded or
   * canceled), leaving the task's TTL as it is. Without it such a task refuses the write.
   */
  readonly evenIfClosed?: true;
  /** The lifecycle rule that matched (lib/domain/lifecycle-policy.ts): fixed on the reservation for its life. */
  readonly lifecycle?: { readonly name: string; readonly wrapUpMs?: number };
}

export type RecordOutcome =
  /** Written now. */
  | 'created'
  /** Already there (a retry or the fallback URL): nothing written. */
  | 'repeated'
  /** The task is already accepted or canceled: nothing written. */
  | 'refused';

export interface WorkerReservation {
  readonly task: TaskRecord;
  readonly reservation: ReservationRecord;
}

export interface ApplyAction {
  readonly scope: TaskScope;
  readonly reservationSid: string;
  readonly action: ReservationAction;
  readonly now: number;
  readonly ifMatch?: IfMatch;
  /** Worker-scoped requests: the reservation must be this worker's. */
  readonly workerSid?: string;
  /** A Task update's If-Match: against the task's ETag (lib/domain/task-change.ts `taskEntityTag`). */
  readonly taskIfMatch?: IfMatch;
}

/** What a Task update changes beyond its claimed reservation: a cancellation, the attributes, the priority. */
export interface TaskChange {
  readonly scope: TaskScope;
  readonly now: number;
  readonly ifMatch?: IfMatch;
  /** Cancel the task (pending or reserved only): its pending reservations read canceled. */
  readonly cancel?: { readonly reason: string };
  /** JSON object text. */
  readonly attributes?: string;
  readonly priority?: number;
  /**
   * Connected: the forward mark of the change TaskRouter confirmed, cleared in the same write. The
   * write is conditioned on it (and on nothing else: TaskRouter has decided), so a change is
   * recorded once however often its settlement runs; with the mark gone, nothing is written.
   */
  readonly markId?: string;
}

/** Tasks and their reservations: one item per task, so one conditional write keeps its invariants. */
export interface TaskStore {
  /** One conditional write; idempotent on the ReservationSid. */
  recordReservation(input: NewReservation, now: number): Promise<{ outcome: RecordOutcome; task: TaskRecord }>;
  getTask(scope: TaskScope): Promise<TaskRecord | undefined>;
  /** The tasks of one workspace by SID (those that exist). */
  getTasks(scope: WorkspaceScope, taskSids: readonly string[]): Promise<Map<string, TaskRecord>>;
  /**
   * One conditional write that applies the action if the state machine allows it now. Returns
   * the task after the write, undefined when the task or reservation is not there (or not in
   * scope), and throws the domain error that says why it is not allowed.
   */
  applyAction(input: ApplyAction): Promise<TaskRecord | undefined>;
  /**
   * One conditional write of a Task update's change; undefined when the task is not there (or
   * not in scope); throws the domain error that says why it is not allowed.
   */
  changeTask(change: TaskChange): Promise<TaskRecord | undefined>;
}

/**
 * A worker's link to a reservation: how a worker's reservations are listed, and where the worker's
 * attributes at assignment are kept (never on the task item, which holds up to 1,000
 * reservations). Written before the reservation, so whatever derives its events finds them.
 */
export interface NewReservationLink {
  readonly scope: WorkerScope;
  readonly reservationSid: string;
  readonly taskSid: string;
  readonly workerName: string | null;
  /** WorkerAttributes as TaskRouter sent them (JSON). */
  readonly workerAttributes: string;
  /** Its place in the worker's list: when it was assigned. */
  readonly createdAt: number;
  /** After it the reservation is answered or timed out; the link outlives that by RETENTION_DAYS. */
  readonly deadline: number;
}

/** A worker's link to one of its reservations, in list order. */
export interface ReservationLink {
  readonly taskSid: string;
  readonly reservationSid: string;
  readonly createdAt: number;
}

/** What the service knows of workers: a link per reservation (a worker's list), and activity changes. */
export interface WorkerStore {
  /** Makes the reservation findable from its worker; the first link of a ReservationSid is kept (a repeat writes nothing). */
  linkReservation(link: NewReservationLink): Promise<void>;
  /** The task that holds a worker's reservation, by the worker's link. */
  taskOfReservation(scope: WorkerScope, reservationSid: string): Promise<string | undefined>;
  /** Pages over a worker's links in list order (one query a window). */
  reservationLinks(scope: WorkerScope): WindowReader<ReservationLink>;
  /** Moves a worker to an activity (a rejection's, a timeout's) unless a later change is already stored. */
  setActivity(scope: WorkerScope, activitySid: string, at: number): Promise<void>;
  getWorker(scope: WorkerScope): Promise<WorkerRecord | undefined>;
  /** The worker and its lifecycle state, for a write decided from them. */
  workerState(scope: WorkerScope): Promise<WorkerState | undefined>;
  /** One conditional write on the version the write was decided from: false when another came first (decide again). */
  writeWorker(write: WorkerWrite): Promise<boolean>;
}

/** An update as its caller sent it: what a forward repeats upstream, path and parameters. */
export interface UpdateRequest {
  /** `/v1/Workspaces/WS…/Tasks/WT…/Reservations/WR…`, or the worker-scoped twin. */
  readonly path: string;
  readonly params: Params;
}

/** What a reservation's timer did. */
export type Expiry =
  /** The timeout was written down now. */
  | { readonly kind: 'expired'; readonly task: TaskRecord }
  /** An early, late or repeated delivery: nothing to write. */
  | { readonly kind: 'nothing-to-do' }
  | { readonly kind: 'not-found' }
  /** Connected: TaskRouter times reservations out, so it was asked, and its answer recorded. */
  | { readonly kind: 'upstream'; readonly outcome: 'recorded' | 'still-pending' | 'unknown' | 'gone' };

/**
 * How a reservation changes: standalone, by one conditional write here (local-updater.ts);
 * connected, by TaskRouter, the record following what it confirms (lib/upstream/forwarding-updater.ts).
 * The service never asks which.
 */
export interface ReservationUpdater {
  /** Applies an update; undefined when the reservation is not found (or not in scope); throws why it is not allowed. */
  update(input: ApplyAction, request: UpdateRequest): Promise<TaskRecord | undefined>;
  /** A reservation's timer fired (`input` is the timeout). */
  expire(timer: TimeoutEvent, input: ApplyAction): Promise<Expiry>;
}

/** The worker's link to a reservation about to be recorded. */
export function linkOf(reservation: NewReservation, createdAt: number): NewReservationLink {
  const { accountSid, workspaceSid, taskSid } = reservation.task;
  return {
    scope: { accountSid, workspaceSid, workerSid: reservation.workerSid },
    reservationSid: reservation.reservationSid,
    taskSid,
    workerName: reservation.workerName,
    workerAttributes: reservation.workerAttributes,
    createdAt,
    deadline: reservation.deadline,
  };
}
