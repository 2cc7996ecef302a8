/**
 * A workspace's recent events, newest first: what arrived, who was reserved, who accepted, rejected
 * or timed out, and when. Filters are the Event resource's own (EventType, TaskSid, WorkerSid,
 * ReservationSid, and Minutes, the window: 15 minutes up to Twilio's widest, 30 days), the
 * types offered those lib/domain/events.ts declares; a filter the API would refuse is said at its
 * field and never sent. Refreshes ask only for what is new (StartDate).
 */
import { API_BASE, ApiError } from '../api.ts';
import { DATA } from '../data.ts';
import { KeyedTable, h, replaceChildren, type Child } from '../dom.ts';
import { WIDEST_MINUTES, href, sidPattern } from '../routes.ts';
import type { TaskRouterEvent } from '../types.ts';
import { mountLive, type View, type ViewContext } from '../view.ts';
import { byNewest, eventColumns, refreshFrom } from './event-columns.ts';
import { isoSeconds } from './reservation.ts';

export const FILTERS = [
  ['EventType', 'Event type'],
  ['TaskSid', 'Task SID'],
  ['WorkerSid', 'Worker SID'],
  ['ReservationSid', 'Reservation SID'],
] as const;
type FilterName = (typeof FILTERS)[number][0];

const SID_PREFIX: Readonly<Record<Exclude<FilterName, 'EventType'>, string>> = { TaskSid: 'WT', WorkerSid: 'WK', ReservationSid: 'WR' };

/** What the API would refuse in a filter, before it is asked: a 400 is never cured by asking again. */
function filterProblem(name: FilterName, value: string): string | null {
  if (name === 'EventType') return /^[a-z-]+(\.[a-z-]+)+$/.test(value) ? null : 'An event type is words joined by dots, such as reservation.accepted.';
  const prefix = SID_PREFIX[name];
  return sidPattern(prefix).test(value)
    ? null
    : `A ${name === 'TaskSid' ? 'task' : name === 'WorkerSid' ? 'worker' : 'reservation'} SID is ${prefix} followed by 32 hexadecimal digits.`;
}

/**
 * The windows offered, in minutes: the Event resource's default (Twilio's, 15 minutes) up to its
 * widest, 30 days (this service keeps events RETENTION_DAYS, 7 unless set: a wider window shows
 * what is kept). The first load reads them in turn from the newest, and stops once it
 * has a screenful: the API pages a window oldest first, so a wide window read whole would show
 * its oldest events.
 */
const WINDOWS = [
  [15, '15 minutes'],
  [60, '1 hour'],
  [1440, '24 hours'],
  [10_080, '7 days'],
  [WIDEST_MINUTES, '30 days'],
] as const;
const DEFAULT_MINUTES = 15;
/** Rows shown at most: a busy workspace's window can be long; filters narrow it. */
const MAX_ROWS = 500;
/** Pages of 1,000 one step of the first load reads at most: a step holding more is narrowed by a filter. */
const MAX_PAGES = 10;

export function eventsView(ctx: ViewContext, workspace: string, filters: URLSearchParams): View {
  const active = new URLSearchParams();
  const problems = new Map<FilterName, string>();
  for (const [name] of FILTERS) {
    const value = filters.get(name)?.trim();
    if (!value) continue;
    active.set(name, value);
    const problem = filterProblem(name, value);
    if (problem) problems.set(name, problem);
  }
  const filtered = [...active.keys()].length > 0;
  const minutes = WINDOWS.find(([m]) => String(m) === filters.get('Minutes'))?.[0] ?? DEFAULT_MINUTES;
  const windowText = WINDOWS.find(([m]) => m === minutes)![1];
  // Read more than a window holds: more events than the first load reads, so the oldest are not shown.
  let overflowed = false;
  /** When the last read that succeeded started (the page's clock); null until the first load is whole. */
  let readAt: number | null = null;
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

  const errorId = (name: string) => `filter-${name}-error`;
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
          placeholder: name === 'EventType' ? 'any type' : `${SID_PREFIX[name]}…`,
          autocomplete: 'off',
          spellcheck: 'false',
          autocapitalize: 'off',
          'aria-invalid': problems.has(name) ? 'true' : null,
          'aria-describedby': problems.has(name) ? errorId(name) : null,
        }),
        problems.has(name) ? h('p', { class: 'error-text', id: errorId(name) }, problems.get(name)!) : null,
      ),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'filter-Minutes' }, 'Window'),
      h(
        'select',
        { id: 'filter-Minutes', name: 'Minutes' },
        WINDOWS.map(([m, text]) => h('option', { value: String(m), selected: m === minutes ? true : null }, text)),
      ),
    ),
    h(
      'div',
      { class: 'buttons' },
      h('button', { type: 'submit', class: 'primary' }, 'Filter'),
      filtered || minutes !== DEFAULT_MINUTES ? h('a', { href: href.events(workspace) }, 'Clear filters') : null,
    ),
    typeList,
  );
  filterForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = new URLSearchParams();
    for (const [name, value] of new FormData(filterForm)) {
      if (typeof value !== 'string' || !value.trim()) continue;
      // The default window stays out of the address, as the API's own default.
      if (name === 'Minutes' && value === String(DEFAULT_MINUTES)) continue;
      chosen.set(name, value.trim());
    }
    // A bad value is said at its field by the view the address opens, and never sent.
    location.hash = href.events(workspace, chosen);
  });

  const emptyText = (): Child[] => {
    if (filtered)
      return [`No events match these filters in the last ${windowText}. Widen them, or `, h('a', { href: href.events(workspace) }, 'clear them'), '.'];
    return ctx.local
      ? [`No events in the last ${windowText} — send one with `, h('code', null, 'npm run callback'), '. It appears here within 2 seconds.']
      : [
          `No events in the last ${windowText}. They appear as soon as TaskRouter calls `,
          h('code', null, `${location.origin}${API_BASE}/assignment-callback`),
          " (a Workflow's AssignmentCallbackUrl) and reservations change.",
        ];
  };

  const heading = () => [
    h('h1', null, 'Events'),
    h(
      'p',
      { class: 'sub' },
      'Workspace ',
      h('code', { class: 'sid' }, workspace),
      ` · the last ${windowText} and everything since, newest first · refreshed live`,
    ),
  ];

  if (problems.size > 0) {
    // Nothing is asked: the form, with what to correct at each field.
    replaceChildren(ctx.main, ...heading(), h('p', { class: 'notice error', role: 'alert' }, 'Correct the filters marked below.'), filterForm);
    const first = filterForm.querySelector<HTMLInputElement>('[aria-invalid="true"]');
    if (ctx.focus) first?.focus();
    return { stop: () => {} };
  }

  const eventsPath = (query: Record<string, string>) =>
    `/v1/Workspaces/${encodeURIComponent(workspace)}/Events?${new URLSearchParams({ ...Object.fromEntries(active), ...query, PageSize: '1000' })}`;
  /**
   * The Event list answers 404 for a workspace with no event counted yet (npm start's own before
   * its first callback, a new one of yours): to this view, one whose events have not begun, shown
   * as empty until they do. A SID that cannot be a workspace's stays a 404 (notFound below).
   */
  const wellFormed = sidPattern('WS').test(workspace);
  const orNone = async (read: Promise<{ items: TaskRouterEvent[]; complete: boolean }>) => {
    try {
      return await read;
    } catch (error) {
      if (wellFormed && error instanceof ApiError && error.status === 404) return { items: [], complete: true };
      throw error;
    }
  };
  const take = (found: readonly TaskRouterEvent[]) => {
    let fresh = 0;
    for (const event of found) {
      if (events.has(event.sid)) continue;
      events.set(event.sid, { event, seq: seq++ });
      newestMs = Math.max(newestMs ?? 0, Number(event.event_date_ms));
      fresh++;
    }
    return fresh;
  };
  /**
   * The first load: the windows up to the one chosen, newest first, until a screenful is read.
   * Whole or not at all: a span that fails is asked again with the others, never skipped.
   */
  const firstLoad = async (signal: AbortSignal) => {
    const now = Date.now();
    const gathered: TaskRouterEvent[] = [];
    const seen = new Set<string>();
    let cut = false;
    let end: string | null = null;
    for (const [m] of WINDOWS) {
      if (m > minutes) break;
      const start = isoSeconds(now - m * 60_000);
      // Both bounds are inclusive: an event on the shared second comes twice and is kept once.
      const { items, complete } = await orNone(
        ctx.api.listUpTo<TaskRouterEvent>(eventsPath({ StartDate: start, ...(end !== null && { EndDate: end }) }), 'events', signal, MAX_PAGES),
      );
      for (const event of items) seen.add(event.sid);
      gathered.push(...items);
      cut = !complete;
      if (seen.size >= MAX_ROWS || cut) break;
      end = start;
    }
    overflowed = cut;
    readAt = now;
    return take(gathered);
  };

  const live = mountLive(ctx, {
    load: async (signal) => {
      if (readAt === null) return firstLoad(signal);
      const started = Date.now();
      const fresh = take(
        (await orNone(ctx.api.listUpTo<TaskRouterEvent>(eventsPath({ StartDate: isoSeconds(refreshFrom(newestMs, readAt)) }), 'events', signal, MAX_PAGES)))
          .items,
      );
      readAt = started;
      return fresh;
    },
    render: (fresh, first) => {
      if (first) replaceChildren(live.content, ...heading(), filterForm, empty, table.element);
      if (!first && fresh === 0) return;
      const ordered = byNewest(events.values()).slice(0, MAX_ROWS);
      table.update(ordered, !first);
      table.caption = overflowed
        ? `More events than this view reads at once: the ${ordered.length} shown may not be the newest. Filter them, or choose a shorter window.`
        : events.size > MAX_ROWS
          ? `The newest ${MAX_ROWS} of ${events.size} events read: filter to see others`
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
