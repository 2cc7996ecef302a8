/**
 * What the lifecycle on the server needs: how Task and Worker updates are made (standalone, one
 * conditional write here; connected, forwarded to TaskRouter exactly once and recorded as it
 * confirms), where reservations that need attention are kept, and where that news goes.
 */
import type { WorkspaceScope } from '../domain/scope.ts';
import type { TaskRecord } from '../domain/task.ts';
import type { WorkerWrite } from '../domain/worker.ts';
import type { TaskChange, UpdateRequest } from '../reservations/ports.ts';

/** A Task update's cancellation, attributes or priority (completion and wrap-up go through the claimed reservation). */
export interface TaskChanger {
  /** The task after the change; undefined when it is not found; throws why it is not allowed. */
  change(change: TaskChange, request: UpdateRequest): Promise<TaskRecord | undefined>;
}

/** A Worker update, or a lifecycle rule's move of a worker (a Worker update too). */
export interface WorkerWriter {
  /**
   * Writes it if the worker is still at the version it was decided from: false when another
   * change came first (the caller decides again from the worker as it is now).
   */
  write(write: WorkerWrite, request: UpdateRequest): Promise<boolean>;
  /** Whether TaskRouter itself rejects the pending reservations of a RejectPendingReservations update (connected). */
  readonly rejectsPendingUpstream: boolean;
}

/** A reservation accepted or wrapping for longer than its rule's attentionAfterSeconds. */
export interface AttentionItem extends WorkspaceScope {
  readonly taskSid: string;
  readonly reservationSid: string;
  readonly workerSid: string;
  /** The lifecycle rule that flagged it. */
  readonly rule: string;
  /** When it was accepted (the attention clock's start), and when it was flagged. */
  readonly since: number;
  readonly flaggedAt: number;
}

export interface AttentionStore {
  /**
   * Flags it (a flag already there is kept as it is) and says whether its news went out: a timer
   * delivered twice sends it once, and one that died between the flag and the news sends it again.
   */
  flag(item: AttentionItem): Promise<{ readonly notified: boolean }>;
  /** Its news went out. */
  markNotified(scope: WorkspaceScope, reservationSid: string): Promise<void>;
  /** The flags of a workspace, oldest first (including those whose reservation has finished since). */
  list(scope: WorkspaceScope): Promise<AttentionItem[]>;
  /**
   * Takes a flag away (a supervisor dismissed it) for good: flagging it again does not bring it
   * back. Whether there was one (dismissed already counts); nothing is written when there is none.
   */
  dismiss(scope: WorkspaceScope, reservationSid: string): Promise<boolean>;
}

/** Where the news of a reservation needing attention goes: the EventBridge bus deployed, the log locally. */
export interface AttentionNotices {
  notify(item: AttentionItem, reservationStatus: 'accepted' | 'wrapping'): Promise<void>;
}
