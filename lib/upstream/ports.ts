/**
 * What connected mode needs from storage: the forward marks on task items (one forwarded update
 * at a time per task), the writes that record what TaskRouter observed, the inbox of its event
 * callbacks and the markers of the Event Streams CloudEvents already applied. The DynamoDB
 * adapters are in lib/store (forward-marks.ts, task-items.ts, inbox-items.ts,
 * cloud-event-items.ts), the in-memory ones in lib/store/memory/.
 */
import type { ReservationAction } from '../domain/instructions.ts';
import type { TaskScope, WorkerScope, WorkspaceScope } from '../domain/scope.ts';
import type { ReservationStatus } from '../domain/state-machine.ts';
import type { ForwardMark, TaskRecord } from '../domain/task.ts';
import type { WorkerWrite } from '../domain/worker.ts';
import type { ApplyAction, TaskChange } from '../reservations/ports.ts';
import type { UpstreamEvent } from './upstream-event.ts';

/** Taking a task's forward mark: taken, or held by another update being forwarded. */
export type MarkOutcome =
  | { readonly taken: true; readonly task: TaskRecord }
  | { readonly taken: false; readonly task: TaskRecord; readonly mark: ForwardMark };

export interface ForwardMarks {
  /** Takes the task's forward mark if the action is allowed locally now; undefined when not found; throws why not allowed. */
  markForward(input: ApplyAction, markId: string): Promise<MarkOutcome | undefined>;
  /**
   * The same for a change of the task itself (a cancellation, attributes, priority): taken if the
   * change is allowed locally now (If-Match, a cancellation's status), keeping what it asks for.
   */
  markTaskChange(change: TaskChange, markId: string): Promise<MarkOutcome | undefined>;
  /** Clears the mark, if it is still this one: the task as written, or undefined when nothing was. */
  clearForward(scope: TaskScope, markId: string, now: number): Promise<TaskRecord | undefined>;
  /** Tasks whose forward mark was taken (or last deferred) before `before`, oldest first: the unsettled. */
  forwardsBefore(before: number, limit: number): Promise<TaskRecord[]>;
  /**
   * Puts the mark, if it is still this one, behind the others in the sweep's order, as if taken
   * `now` (its own time stays): a mark that cannot be settled yet does not hold the others back.
   */
  deferForward(scope: TaskScope, markId: string, now: number): Promise<TaskRecord | undefined>;
}

/** A worker's forward mark, on its own item: one forwarded Worker update (or rule's move) at a time per worker. */
export interface WorkerForwardMark {
  readonly id: string;
  readonly at: number;
  /** The write it forwards: what is recorded once TaskRouter confirms it (its values as TaskRouter answered). */
  readonly write: WorkerWrite;
}

/** Taking a worker's forward mark: taken; the worker changed since the write was decided (decide again); or another forward holds it. */
export type WorkerMarkOutcome = 'taken' | 'moved' | 'held';

/** A write that waits for no forward: written; the worker changed since it was decided (decide again); or a forward holds it. */
export type UnmarkedWriteOutcome = 'written' | 'moved' | 'held';

export interface WorkerForwardMarks {
  /** Takes the mark if the worker is still at `write.expectedVersion` and no other forward holds it. */
  markWorkerForward(write: WorkerWrite, markId: string): Promise<WorkerMarkOutcome>;
  /**
   * Writes `write` (its events' facts with it) if the worker is still at `write.expectedVersion`
   * and no forward holds it: what is written beside a forward in flight (a move TaskRouter made,
   * the lifecycle's bookkeeping) would be put back by the forward's record, which was decided
   * before it and lands after it.
   */
  writeUnlessMarked(write: WorkerWrite): Promise<UnmarkedWriteOutcome>;
  /**
   * Records a confirmed write (its version counted from the stored one), clearing the mark in the
   * same write: false when the mark is no longer this one (the sweep settled it).
   */
  recordWorkerForward(write: WorkerWrite, markId: string): Promise<boolean>;
  /** Clears the mark if it is still this one. */
  clearWorkerForward(scope: WorkerScope, markId: string, now: number): Promise<void>;
  /** Workers whose forward mark was taken (or last deferred) before `before`, oldest first: the unsettled. */
  workerForwardsBefore(before: number, limit: number): Promise<{ readonly scope: WorkerScope; readonly mark: WorkerForwardMark }[]>;
  /** As deferForward, for a worker's mark. */
  deferWorkerForward(scope: WorkerScope, markId: string, now: number): Promise<void>;
}

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

export type ObservedOutcome =
  /** Written: the record now says what upstream observed (and the mark, if given and still this one, is cleared). */
  | { readonly kind: 'recorded'; readonly task: TaskRecord }
  /**
   * The record already said as much or more (a later event got here first). The mark, if given
   * and still this one, is cleared on its own: a write all the same (`markCleared`).
   */
  | { readonly kind: 'already-recorded'; readonly task: TaskRecord; readonly markCleared: boolean }
  /** No such reservation here. */
  | { readonly kind: 'unknown' };

/**
 * What upstream observed, recorded in the order of the state machine (lib/domain/state-machine.ts
 * STATUS_RANK): never back to pending, and within one rank TaskRouter's later observation wins,
 * whatever the local rules or the deadline say.
 */
export interface ObservedRecords {
  recordObserved(observation: Observation): Promise<ObservedOutcome>;
  /**
   * Upstream canceled the task (with its reason): every reservation still pending as stored is
   * canceled. `already-recorded` when the record shows it canceled; `unknown` when there is no such task.
   */
  recordTaskCanceled(scope: TaskScope, reason: string, now: number): Promise<ObservedOutcome>;
}

/** An upstream event callback taken in: stored once per Sid until applied. */
export interface InboxItem extends WorkspaceScope {
  readonly sid: string;
  /** The event, as read when it was taken in; none once applied (the record holds it then). */
  readonly event?: UpstreamEvent;
  /** What an earlier version kept instead: the callback's form fields. */
  readonly fields?: Readonly<Record<string, readonly string[]>>;
  readonly receivedAt: number;
  readonly appliedAt?: number;
}

export interface InboxStore {
  /** Takes the event in unless its Sid was taken before: then the item as stored. */
  take(item: InboxItem): Promise<{ readonly taken: true } | { readonly taken: false; readonly stored: InboxItem | undefined }>;
  /** It is applied: only its Sid is kept (for repeats), and it leaves the in-flight index. */
  markApplied(item: InboxItem, at: number): Promise<void>;
  /** Pages over the events taken in before `before` and not applied yet, oldest first. */
  unapplied(before: number): AsyncIterable<readonly InboxItem[]>;
}

/** The dedupe key of an Event Streams CloudEvent: its `id` within its account and workspace. */
export interface CloudEventMark extends WorkspaceScope {
  readonly id: string;
}

export interface CloudEventMarks {
  applied(mark: CloudEventMark): Promise<boolean>;
  /** Writes the marker; one already there (a racing delivery wrote it) is left as it is. */
  markApplied(mark: CloudEventMark, now: number): Promise<void>;
}
