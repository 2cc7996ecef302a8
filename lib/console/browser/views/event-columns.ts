/** How an event shows in a table: its time, type, description and the SIDs it is about. */
import { h, sid, time, type Child, type Column } from '../dom.ts';
import type { TaskRouterEvent } from '../types.ts';

/** An event's SID of a kind: from event_data, or the resource itself. */
export function sidOf(event: TaskRouterEvent, key: 'task_sid' | 'worker_sid' | 'reservation_sid'): string | undefined {
  const prefix = { task_sid: 'WT', worker_sid: 'WK', reservation_sid: 'WR' }[key];
  return event.event_data?.[key] ?? (event.resource_sid?.startsWith(prefix) ? event.resource_sid : undefined);
}

export function eventColumns(workspace: string, which: { task: boolean; worker: boolean; reservation: boolean }): Column<TaskRouterEvent>[] {
  const columns: Column<TaskRouterEvent>[] = [
    { label: 'Time', cell: (e) => time(e.event_date) },
    { label: 'Event', cell: (e) => h('code', null, e.event_type) },
    { label: 'Description', cell: (e) => e.description ?? '' },
  ];
  if (which.task) columns.push({ label: 'Task', cell: (e) => sid(workspace, sidOf(e, 'task_sid')) });
  if (which.worker) {
    columns.push({
      label: 'Worker',
      cell: (e): Child => {
        const worker = sidOf(e, 'worker_sid');
        const name = e.event_data?.['worker_name'];
        return worker ? [name ? h('span', { class: 'who' }, name) : null, sid(workspace, worker)] : '—';
      },
    });
  }
  if (which.reservation) columns.push({ label: 'Reservation', cell: (e) => sid(workspace, sidOf(e, 'reservation_sid'), sidOf(e, 'task_sid')) });
  return columns;
}

/** Newest first; events of one millisecond in the reverse of the API's (causal) order. */
export function byNewest(events: Iterable<{ readonly event: TaskRouterEvent; readonly seq: number }>): TaskRouterEvent[] {
  return [...events].sort((a, b) => Number(b.event.event_date_ms) - Number(a.event.event_date_ms) || b.seq - a.seq).map((e) => e.event);
}
