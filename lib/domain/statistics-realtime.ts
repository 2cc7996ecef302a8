/**
 * TaskRouter's real-time statistics from what the record knows now: the tasks not finished (each as
 * its latest event left it) and the workers it has seen (with their latest activity). Figures about
 * TaskRouter's configuration the record never sees (which workers a queue's expression makes
 * eligible, which are available, when a task entered a queue) are 0, or null where the schema allows.
 */
import type { TaskRouterEvent } from './events.ts';
import { effectiveStatus, type TaskRecord } from './task.ts';

export interface LiveTask {
  readonly taskSid: string;
  /** TaskRouter's assignment status after the task's latest event. */
  readonly status: string;
  readonly priority: number;
  readonly taskQueueSid: string;
  readonly workflowSid: string;
  /** Epoch ms of the task's creation (to the second, as its events carry it). */
  readonly createdAt: number;
  /** Epoch ms of the latest event applied: an older one never overwrites it. */
  readonly at: number;
}

export interface KnownWorker {
  readonly workerSid: string;
  readonly friendlyName: string | null;
  readonly activitySid: string | null;
}

/** The statuses TaskRouter's `tasks_by_status` reports for tasks not finished. */
export const LIVE_STATUSES = ['pending', 'reserved', 'assigned', 'wrapping'] as const;
/** Statuses in which a task is waiting for a worker. */
const WAITING = new Set(['pending', 'reserved']);

export function taskFigures(tasks: readonly LiveTask[], now: number) {
  const byStatus: Record<string, number> = Object.fromEntries(LIVE_STATUSES.map((s) => [s, 0]));
  const byPriority: Record<string, number> = {};
  let longest: LiveTask | undefined;
  for (const task of tasks) {
    if (!(task.status in byStatus)) continue;
    byStatus[task.status]! += 1;
    byPriority[String(task.priority)] = (byPriority[String(task.priority)] ?? 0) + 1;
    if (WAITING.has(task.status) && (longest === undefined || task.createdAt < longest.createdAt)) longest = task;
  }
  return {
    longest_task_waiting_age: longest === undefined ? 0 : Math.max(0, Math.floor((now - longest.createdAt) / 1000)),
    longest_task_waiting_sid: longest?.taskSid ?? null,
    tasks_by_priority: byPriority,
    tasks_by_status: byStatus,
    total_tasks: Object.values(byStatus).reduce((a, b) => a + b, 0),
  };
}

/** Workers by their latest activity (workers whose activity the record never saw are in no group). */
export function workerFigures(workers: readonly KnownWorker[]) {
  const byActivity = new Map<string, number>();
  for (const w of workers) if (w.activitySid !== null) byActivity.set(w.activitySid, (byActivity.get(w.activitySid) ?? 0) + 1);
  return {
    activity_statistics: [...byActivity.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([sid, workers]) => ({ friendly_name: null, sid, workers })),
    total_workers: workers.length,
  };
}

/** A reservation still waiting for its worker's answer, and when it times out. */
export interface PendingReservation {
  readonly reservationSid: string;
  readonly taskSid: string;
  readonly workerSid: string;
  readonly workerName: string | null;
  readonly taskQueueSid: string;
  /** Epoch ms: its deadline. */
  readonly deadline: number;
}

/**
 * The reservations of these tasks that read `pending` at `now` (a stored pending one whose deadline
 * passed, whose sibling was accepted or whose task was canceled reads otherwise, timer fired or
 * not), soonest deadline first (then by SID, so that equal deadlines keep one order).
 */
export function pendingReservations(tasks: Iterable<TaskRecord>, now: number): PendingReservation[] {
  const pending: PendingReservation[] = [];
  for (const task of tasks) {
    for (const reservation of task.reservations) {
      if (effectiveStatus(task, reservation, now).status !== 'pending') continue;
      pending.push({
        reservationSid: reservation.sid,
        taskSid: task.sid,
        workerSid: reservation.workerSid,
        workerName: reservation.workerName,
        taskQueueSid: task.taskQueueSid,
        deadline: reservation.deadline,
      });
    }
  }
  return pending.sort(byDeadline);
}

/** Soonest deadline first; of two at the same deadline, the lower reservation SID (a stable order for pages). */
export function byDeadline(
  a: { readonly deadline: number; readonly reservationSid: string },
  b: { readonly deadline: number; readonly reservationSid: string },
): number {
  return a.deadline - b.deadline || (a.reservationSid < b.reservationSid ? -1 : 1);
}

/**
 * A reservation the live-task directory holds as pending, from its `reservation.created` event:
 * enough for the pending tile without reading the task's record. Its deadline is the event's time
 * plus its `ReservationTimeout` (whole seconds): the stored deadline rounded to the second from the
 * reservation's creation, so at most half a second from it.
 */
export interface LiveReservation {
  readonly workerSid: string;
  readonly workerName: string | null;
  readonly deadline: number;
}

/** How far a live reservation's deadline may be from its record's (ReservationTimeout is rounded to whole seconds). */
export const LIVE_DEADLINE_ERROR_MS = 500;

/**
 * What these events say of each task's reservations, by task and reservation: pending since its
 * `reservation.created` event, or `null` once any later event of it came (accepted, rejected,
 * timed out, rescinded, canceled, …: a reservation never returns to pending). Worker events, and
 * reservations none of the events mentions, are left out.
 */
export function reservationMarks(events: readonly TaskRouterEvent[]): Map<string, Map<string, LiveReservation | null>> {
  const marks = new Map<string, Map<string, LiveReservation | null>>();
  for (const e of events) {
    const taskSid: string | undefined = e.taskSid;
    const reservationSid: string | undefined = e.reservationSid;
    if (taskSid === undefined || reservationSid === undefined || e.workerSid === undefined || !e.type.startsWith('reservation.')) continue;
    const task = marks.get(taskSid) ?? new Map<string, LiveReservation | null>();
    marks.set(taskSid, task);
    if (e.type !== 'reservation.created') task.set(reservationSid, null);
    else if (!task.has(reservationSid)) {
      task.set(reservationSid, {
        workerSid: e.workerSid,
        workerName: e.data.WorkerName ?? null,
        deadline: e.at + Number(e.data.ReservationTimeout ?? 0) * 1000,
      });
    }
  }
  return marks;
}

/**
 * A reservation its task's counted events leave pending: its `reservation.created` counted, and no
 * later event of it (a reservation never returns to pending, and a task holding a pending
 * reservation is reserved, so these marks alone say which reservations are pending as far as the
 * events counted tell).
 */
export interface PendingMark extends LiveReservation {
  readonly taskSid: string;
  readonly reservationSid: string;
}
