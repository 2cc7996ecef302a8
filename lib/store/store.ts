/**
 * The store port: what the reservation service needs from storage. One adapter
 * (dynamodb-store.ts) serves DynamoDB, dynalite and DynamoDB Local alike.
 */
import type { IfMatch } from '../domain/if-match.ts';
import type { ReservationAction } from '../domain/instructions.ts';
import type { WindowReader } from '../domain/paging.ts';
import type { ReservationStatus } from '../domain/state-machine.ts';
import type { ForwardMark, ReservationRecord, TaskRecord } from '../domain/task.ts';
import type { WorkerRecord } from '../domain/worker.ts';

export interface TaskScope {
  readonly accountSid: string;
  readonly workspaceSid: string;
  readonly taskSid: string;
}

export interface WorkerScope {
  readonly accountSid: string;
  readonly workspaceSid: string;
  readonly workerSid: string;
}

/** A reservation as an assignment callback announces it, with what the policy decided. */
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
  /** WorkerAttributes as the callback gave them (JSON): the Worker view and the events read them. */
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
}

export interface ReservationStore {
  /** One conditional write; idempotent on the ReservationSid. */
  recordReservation(input: NewReservation, now: number): Promise<{ outcome: RecordOutcome; task: TaskRecord }>;
  /**
   * Makes the reservation findable from its worker, from the stored record alone (idempotent: a
   * repeat writes the same item; a link to another task with the same ReservationSid is kept).
   */
  indexWorkerReservation(task: TaskRecord, reservation: ReservationRecord): Promise<void>;
  getTask(scope: TaskScope): Promise<TaskRecord | undefined>;
  /** The task that holds a worker's reservation, if the reservation is this worker's. */
  findWorkerReservation(scope: WorkerScope, reservationSid: string): Promise<TaskRecord | undefined>;
  /** Pages over a worker's reservations in list order (a query, then one batch read of their tasks). */
  workerReservations(scope: WorkerScope): WindowReader<WorkerReservation>;
  /**
   * One conditional write that applies the action if the state machine allows it now. Returns
   * the task after the write, undefined when the task or reservation is not there (or not in
   * scope), and throws the domain error that says why it is not allowed.
   */
  applyAction(input: ApplyAction): Promise<TaskRecord | undefined>;
  /** Moves a worker to an activity unless a later change is already stored. */
  setWorkerActivity(scope: WorkerScope, activitySid: string, at: number): Promise<void>;
  getWorker(scope: WorkerScope): Promise<WorkerRecord | undefined>;
}

/** Taking a task's forward mark: taken, or held by another update being forwarded. */
export type MarkOutcome =
  | { readonly taken: true; readonly task: TaskRecord }
  | { readonly taken: false; readonly task: TaskRecord; readonly mark: ForwardMark };

/** What upstream says a reservation is, to be recorded even where the local rules would refuse it. */
export interface Observation {
  readonly scope: TaskScope;
  readonly reservationSid: string;
  readonly status: Exclude<ReservationStatus, 'pending'>;
  /** Upstream's time of it (its event's TimestampMs, or when it was read): orders observations of one rank. */
  readonly observedAt: number;
  readonly now: number;
  /** The forwarded update this confirms: its instruction and activity are recorded with it. */
  readonly action?: ReservationAction;
  /** The forward mark this settles, cleared in the same write. */
  readonly markId?: string;
}

/**
 * Connected mode's writes (SPEC §12): the in-flight mark that lets one forwarded update at a time
 * reach upstream, and the write that records what upstream observed (HOUSE-NOTES item 2):
 * ordered by state rank, never back to pending, whatever the local guard or deadline says.
 */
export interface UpstreamRecords {
  /** Takes the task's forward mark if the action is allowed locally now; undefined when not found; throws why not allowed. */
  markForward(input: ApplyAction, markId: string): Promise<MarkOutcome | undefined>;
  /**
   * Records the observation; `written` is false when the record already said as much or more.
   * Undefined when the reservation is unknown.
   */
  recordObserved(observation: Observation): Promise<{ readonly task: TaskRecord; readonly written: boolean } | undefined>;
  /** Clears the mark, if it is still this one: the task as written, or undefined when nothing was. */
  clearForward(scope: TaskScope, markId: string, now: number): Promise<TaskRecord | undefined>;
  /** Upstream canceled the task (with its reason): every reservation still pending as stored is canceled. */
  recordTaskCanceled(scope: TaskScope, reason: string, now: number): Promise<TaskRecord | undefined>;
  /** Tasks whose forward mark was taken before `before`, oldest first: the unsettled. */
  forwardsBefore(before: number, limit: number): Promise<TaskRecord[]>;
}
