/** How an event shows in a table: its time, type, description and the SIDs it is about; and where a list of events refreshes from. */
import { h, sid, time, type Child, type Column } from '../dom.ts';
import type { TaskRouterEvent } from '../types.ts';

/** Refreshes ask again from a little before the newest event seen, so one recorded late still shows… */
const OVERLAP_MS = 30_000;
/**
 * …or from the view's last read, by the page's clock, allowing for it to be this far off the
 * service's: with few or no events matching, the newest one seen may be days old (or none), and
 * asking from there at every refresh would read those days again and again.
 */
const SKEW_MS = 120_000;

/** Where a refresh of a list of events asks from (epoch ms): the later of the two bounds above. */
export function refreshFrom(newestMs: number | null, readAt: number): number {
  return Math.max(newestMs === null ? Number.NEGATIVE_INFINITY : newestMs - OVERLAP_MS, readAt - SKEW_MS);
}

/** An event's SID of a kind: from event_data, or the resource itself. */
export function sidOf(event: TaskRouterEvent, key: 'task_sid' | 'worker_sid' | 'reservation_sid'): string | undefined {
  const prefix = { task_sid: 'WT', worker_sid: 'WK', reservation_sid: 'WR' }[key];
  return event.event_data?.[key] ?? (event.resource_sid?.startsWith(prefix) ? event.resource_sid : undefined);
}

/**
 * Time, type and description; with `subjects`, one more column of the task, worker and
 * reservation the event is about, one per line (three SID columns would not fit a screen).
 */
export function eventColumns(workspace: string, subjects: boolean): Column<TaskRouterEvent>[] {
  const columns: Column<TaskRouterEvent>[] = [
    { label: 'Time', cell: (e) => time(e.event_date) },
    { label: 'Event', cell: (e) => h('code', null, e.event_type) },
    // Descriptions name SIDs in running text (`Task WT… assigned to Worker Ada with Reservation WR…`): they wrap anywhere.
    { label: 'Description', cell: (e) => (e.description ? h('span', { class: 'description' }, e.description) : '') },
  ];
  if (subjects) {
    columns.push({
      label: 'Task, worker, reservation',
      // At phone width each line is a row of the card, labelled Task, Worker or Reservation itself.
      className: 'subjects',
      cell: (e): Child => {
        const task = sidOf(e, 'task_sid');
        const worker = sidOf(e, 'worker_sid');
        const reservation = sidOf(e, 'reservation_sid');
        const name = e.event_data?.['worker_name'];
        const line = (what: string, ...parts: Child[]) => h('span', { class: 'subject' }, h('span', { class: 'what' }, what), ' ', h('span', null, parts));
        return [
          task ? line('Task', sid(workspace, task)) : null,
          worker ? line('Worker', name ? `${name} ` : null, sid(workspace, worker)) : null,
          reservation ? line('Reservation', sid(workspace, reservation, task)) : null,
        ];
      },
    });
  }
  return columns;
}

/** Newest first; events of one millisecond in the reverse of the API's (causal) order. */
export function byNewest(events: Iterable<{ readonly event: TaskRouterEvent; readonly seq: number }>): TaskRouterEvent[] {
  return [...events].sort((a, b) => Number(b.event.event_date_ms) - Number(a.event.event_date_ms) || b.seq - a.seq).map((e) => e.event);
}
