/**
 * A list of reservations (a task's or a worker's), newest first: each pending one with the
 * countdown to its deadline, each wrapping one under a time limit with the countdown to its
 * wrap-up's end.
 */
import { countdown, type Deadlines } from '../deadlines.ts';
import { KeyedTable, badge, h, sid, time, type Child, type Column } from '../dom.ts';
import type { Reservation } from '../types.ts';
import type { WrapUpEnds } from '../wrap-ups.ts';

export function reservationsTable(workspace: string, deadlines: Deadlines, wrapUps: WrapUpEnds, by: 'task' | 'worker'): KeyedTable<Reservation> {
  const deadline = (r: Reservation): number | undefined =>
    r.reservation_status === 'pending' ? deadlines.get(r.sid) : r.reservation_status === 'wrapping' ? wrapUps.get(r.sid) : undefined;
  const deadlineCell = (r: Reservation): Child => {
    const at = deadline(r);
    if (at === undefined) return '';
    return r.reservation_status === 'wrapping' ? h('span', { class: 'wrap-up-end' }, 'wrap-up ', countdown(at)) : countdown(at);
  };
  const columns: Column<Reservation>[] = [
    { label: 'Reservation', cell: (r) => sid(workspace, r.sid, r.task_sid) },
    by === 'worker'
      ? { label: 'Task', cell: (r) => sid(workspace, r.task_sid) }
      : { label: 'Worker', cell: (r) => [h('span', { class: 'who' }, r.worker_name), sid(workspace, r.worker_sid)] },
    { label: 'Status', cell: (r) => badge(r.reservation_status) },
    { label: 'Deadline', cell: deadlineCell },
    { label: 'Created', cell: (r) => time(r.date_created) },
    { label: 'Updated', cell: (r) => time(r.date_updated) },
  ];
  return new KeyedTable<Reservation>(
    by === 'worker' ? "The worker's reservations, newest first" : "The task's reservations, newest first",
    columns,
    (r) => r.sid,
    (r) => `${r.reservation_status}|${r.date_updated}|${r.worker_name}|${deadline(r) ?? ''}`,
  );
}

/** Newest first: the API lists in creation order. */
export const newestFirst = (reservations: readonly Reservation[]): Reservation[] => [...reservations].reverse();
