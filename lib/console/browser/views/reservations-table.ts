/** A list of reservations (a task's or a worker's), newest first, each pending one with its countdown. */
import { countdown, type Deadlines } from '../deadlines.ts';
import { KeyedTable, badge, h, sid, time, type Column } from '../dom.ts';
import type { Reservation } from '../types.ts';

export function reservationsTable(workspace: string, deadlines: Deadlines, by: 'task' | 'worker'): KeyedTable<Reservation> {
  const columns: Column<Reservation>[] = [
    { label: 'Reservation', cell: (r) => sid(workspace, r.sid, r.task_sid) },
    by === 'worker'
      ? { label: 'Task', cell: (r) => sid(workspace, r.task_sid) }
      : { label: 'Worker', cell: (r) => [h('span', { class: 'who' }, r.worker_name), sid(workspace, r.worker_sid)] },
    { label: 'Status', cell: (r) => badge(r.reservation_status) },
    { label: 'Deadline', cell: (r) => (r.reservation_status === 'pending' ? countdown(deadlines.get(r.sid)) : '') },
    { label: 'Created', cell: (r) => time(r.date_created) },
    { label: 'Updated', cell: (r) => time(r.date_updated) },
  ];
  return new KeyedTable<Reservation>(
    by === 'worker' ? "The worker's reservations, newest first" : "The task's reservations, newest first",
    columns,
    (r) => r.sid,
    (r) => `${r.reservation_status}|${r.date_updated}|${r.worker_name}|${r.reservation_status === 'pending' ? (deadlines.get(r.sid) ?? '') : ''}`,
  );
}

/** Newest first: the API lists in creation order. */
export const newestFirst = (reservations: readonly Reservation[]): Reservation[] => [...reservations].reverse();
