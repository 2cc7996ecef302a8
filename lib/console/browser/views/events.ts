/**
 * A workspace's recent events, newest first: what arrived, who was reserved, who accepted, rejected
 * or timed out, and when. Filters are the Event resource's own (EventType, TaskSid, WorkerSid,
 * ReservationSid), the types offered those lib/domain/events.ts declares; refreshes ask only for
 * what is new (StartDate).
 */
import { API_BASE } from '../api.ts';
import { DATA } from '../data.ts';
import { KeyedTable, h, replaceChildren, type Child } from '../dom.ts';
import { href } from '../routes.ts';
import type { TaskRouterEvent } from '../types.ts';
import { mountLive, type View, type ViewContext } from '../view.ts';
import { byNewest, eventColumns } from './event-columns.ts';
import { isoSeconds } from './reservation.ts';

export const FILTERS = [
  ['EventType', 'Event type'],
  ['TaskSid', 'Task SID'],
  ['WorkerSid', 'Worker SID'],
  ['ReservationSid', 'Reservation SID'],
] as const;

/** The Event resource's default window (Twilio's): what the first load shows. */
const WINDOW_MINUTES = 15;
/** Refreshes ask again from a little before the newest event seen, so one recorded late still shows. */
const OVERLAP_MS = 30_000;
/** Rows shown at most: a busy workspace's 15 minutes can be long; filters narrow it. */
const MAX_ROWS = 500;

export function eventsView(ctx: ViewContext, workspace: string, filters: URLSearchParams): View {
  const active = new URLSearchParams();
  for (const [name] of FILTERS) {
    const value = filters.get(name)?.trim();
    if (value) active.set(name, value);
  }
  const filtered = [...active.keys()].length > 0;
  const events = new Map<string, { event: TaskRouterEvent; seq: number }>();
  let seq = 0;
  let newestMs: number | null = null;

  const table = new KeyedTable<TaskRouterEvent>(
    'Events, newest first',
    eventColumns(workspace, true),
    (e) => e.sid,
    (e) => e.sid,
  );
  // The declared types, and the one asked for if it is another (TaskRouter's task.created matches nothing here).
  const asked = active.get('EventType');
  const typeList = h(
    'datalist',
    { id: 'event-types' },
    [...DATA.eventTypes, ...(asked && !DATA.eventTypes.includes(asked) ? [asked] : [])].map((t) => h('option', { value: t })),
  );
  const empty = h('p', { class: 'empty' });
  ctx.title('Events');

  const filterForm = h(
    'form',
    { class: 'filters', novalidate: true, 'aria-label': 'Filter events' },
    FILTERS.map(([name, label]) =>
      h(
        'div',
        { class: 'field' },
        h('label', { for: `filter-${name}` }, label),
        h('input', {
          id: `filter-${name}`,
          name,
          value: active.get(name) ?? '',
          list: name === 'EventType' ? 'event-types' : null,
          placeholder: name === 'EventType' ? 'any type' : `${{ TaskSid: 'WT', WorkerSid: 'WK', ReservationSid: 'WR' }[name]}…`,
          autocomplete: 'off',
          spellcheck: 'false',
          autocapitalize: 'off',
        }),
      ),
    ),
    h(
      'div',
      { class: 'buttons' },
      h('button', { type: 'submit', class: 'primary' }, 'Filter'),
      filtered ? h('a', { href: href.events(workspace) }, 'Clear filters') : null,
    ),
    typeList,
  );
  filterForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = new URLSearchParams();
    for (const [name, value] of new FormData(filterForm)) if (typeof value === 'string' && value.trim()) chosen.set(name, value.trim());
    location.hash = href.events(workspace, chosen);
  });

  const emptyText = (): Child[] => {
    if (filtered)
      return [
        `No events match these filters in the last ${WINDOW_MINUTES} minutes. Widen them, or `,
        h('a', { href: href.events(workspace) }, 'clear them'),
        '.',
      ];
    return ctx.local
      ? [`No events in the last ${WINDOW_MINUTES} minutes — send one with `, h('code', null, 'npm run callback'), '. It appears here within 2 seconds.']
      : [
          `No events in the last ${WINDOW_MINUTES} minutes. They appear as soon as TaskRouter calls `,
          h('code', null, `${location.origin}${API_BASE}/assignment-callback`),
          " (a Workflow's AssignmentCallbackUrl) and reservations change.",
        ];
  };

  const live = mountLive(ctx, {
    load: async (signal) => {
      const window: Record<string, string> = newestMs === null ? { Minutes: String(WINDOW_MINUTES) } : { StartDate: isoSeconds(newestMs - OVERLAP_MS) };
      const query = new URLSearchParams({ ...Object.fromEntries(active), ...window, PageSize: '1000' });
      const found = await ctx.api.list<TaskRouterEvent>(`/v1/Workspaces/${encodeURIComponent(workspace)}/Events?${query}`, 'events', signal, 10);
      let fresh = 0;
      for (const event of found) {
        if (events.has(event.sid)) continue;
        events.set(event.sid, { event, seq: seq++ });
        newestMs = Math.max(newestMs ?? 0, Number(event.event_date_ms));
        fresh++;
      }
      return fresh;
    },
    render: (fresh, first) => {
      if (first) {
        replaceChildren(
          live.content,
          h('h1', null, 'Events'),
          h(
            'p',
            { class: 'sub' },
            'Workspace ',
            h('code', { class: 'sid' }, workspace),
            ` · the last ${WINDOW_MINUTES} minutes and everything since, newest first · refreshed live`,
          ),
          filterForm,
          empty,
          table.element,
        );
      }
      if (!first && fresh === 0) return;
      const ordered = byNewest(events.values()).slice(0, MAX_ROWS);
      table.update(ordered, !first);
      table.caption =
        events.size > MAX_ROWS
          ? `The newest ${MAX_ROWS} of ${events.size} events: filter to see others`
          : `${events.size} event${events.size === 1 ? '' : 's'}, newest first`;
      table.element.hidden = events.size === 0;
      replaceChildren(empty, events.size === 0 ? emptyText() : null);
    },
    notFound: (error) => [
      h('h1', null, 'Events'),
      h('p', { class: 'notice' }, error.message),
      h('p', null, `Check the workspace SID (${workspace}): WS followed by 32 hexadecimal digits.`),
    ],
  });
  return { stop: live.stop };
}
