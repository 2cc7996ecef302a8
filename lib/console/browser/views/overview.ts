/**
 * The workspace's overview, what the console opens on: tiles (the reservations pending now with the
 * soonest deadlines; accepted, rejected, timed out and canceled in the window; the average time to
 * acceptance), the outcomes per minute over the last hour and per hour over the last day, and a
 * sortable table per worker and per task queue. Everything is read from the Statistics resources
 * (TaskRouter's) and this service's own beside them (`/lifecycle/v1/…/Statistics/…`), which answer
 * from rolled-up counts: a refresh costs the same however many reservations the window holds. The
 * queues' table reads this service's `Queues` (counts only) rather than TaskRouter's
 * `TaskQueues/Statistics`, whose real-time half reads every task not finished.
 */
import { countdown } from '../deadlines.ts';
import { h, replaceChildren, sid, type Child } from '../dom.ts';
import { OutcomeChart } from '../chart.ts';
import { acceptanceRate, durationText, rateText } from '../overview-figures.ts';
import { href } from '../routes.ts';
import { SortableTable, type SortColumn } from '../sortable.ts';
import type { OutcomeBucket, PendingNow, QueueRow, ReservationCounts, WorkerRow, WorkspaceCumulative } from '../types.ts';
import { mountLive, type View, type ViewContext } from '../view.ts';
import { isoSeconds } from './reservation.ts';

/** The windows the tiles and tables offer, in minutes; the last 24 hours unless the route says. */
const WINDOWS = [
  [15, '15 minutes'],
  [60, '1 hour'],
  [1440, '24 hours'],
] as const;
const DEFAULT_MINUTES = 1440;
/** How many of the pending reservations the tile lists (soonest deadline first). */
const SOONEST = 5;

interface Overview {
  readonly cumulative: WorkspaceCumulative;
  readonly pending: PendingNow;
  readonly workers: readonly WorkerRow[];
  readonly queues: readonly QueueRow[];
  readonly perMinute: readonly OutcomeBucket[];
  readonly perHour: readonly OutcomeBucket[];
}

/**
 * A series' query: from the start of the minute 59 minutes ago (the hour 23 hours ago) to now, so
 * that its buckets are whole minutes (hours) but the last, the one going on.
 */
function seriesQuery(interval: 'minute' | 'hour', now = Date.now()): string {
  const length = interval === 'minute' ? 60_000 : 3_600_000;
  const start = Math.floor(now / length) * length - (interval === 'minute' ? 59 : 23) * length;
  return new URLSearchParams({ Interval: interval, StartDate: isoSeconds(start) }).toString();
}

/** The counting columns both tables share, from a row's counters. */
function countColumns<T>(counts: (row: T) => ReservationCounts): SortColumn<T>[] {
  const count = (label: string, key: keyof ReservationCounts): SortColumn<T> => ({
    label,
    cell: (row) => counts(row)[key],
    sort: (row) => counts(row)[key],
    first: 'descending',
    className: 'number',
  });
  return [
    count('Created', 'reservations_created'),
    count('Accepted', 'reservations_accepted'),
    count('Rejected', 'reservations_rejected'),
    count('Timed out', 'reservations_timed_out'),
    {
      label: 'Acceptance rate',
      cell: (row) => rateText(acceptanceRate(counts(row))),
      sort: (row) => acceptanceRate(counts(row)),
      first: 'descending',
      className: 'number',
    },
  ];
}

const countsSignature = (c: ReservationCounts) =>
  `${c.reservations_created}|${c.reservations_accepted}|${c.reservations_rejected}|${c.reservations_timed_out}|${c.reservations_canceled}`;

export function overviewView(ctx: ViewContext, workspace: string, minutesParam: string | null): View {
  const ws = encodeURIComponent(workspace);
  const minutes = WINDOWS.find(([m]) => String(m) === minutesParam)?.[0] ?? DEFAULT_MINUTES;
  const windowText = WINDOWS.find(([m]) => m === minutes)![1];
  // Built once the first reads are on their way (below): a new tab's first formatter costs tens of milliseconds.
  let formats: { readonly minute: Intl.DateTimeFormat; readonly hour: Intl.DateTimeFormat } | undefined;
  const format = () =>
    (formats ??= {
      minute: new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' }),
      hour: new Intl.DateTimeFormat(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' }),
    });
  ctx.title('Overview');

  const tiles = h('ul', { class: 'tiles', 'aria-label': `Reservations, the last ${windowText}` });
  const byMinute = new OutcomeChart('per-minute', 'Outcomes per minute, the last hour', 'Minute', (iso) => format().minute.format(new Date(iso)));
  const byHour = new OutcomeChart('per-hour', 'Outcomes per hour, the last 24 hours', 'Hour', (iso) => format().hour.format(new Date(iso)));

  const sortedAnnounce = (message: string) => ctx.announce(message);
  const workers = new SortableTable<WorkerRow>(
    'Workers',
    [
      {
        label: 'Worker',
        cell: (w) => [w.friendly_name ? h('span', { class: 'who' }, w.friendly_name) : null, sid(workspace, w.worker_sid)],
        sort: (w) => w.friendly_name ?? w.worker_sid,
        first: 'ascending',
      },
      ...countColumns<WorkerRow>((w) => w),
    ],
    (w) => w.worker_sid,
    (w) => `${w.friendly_name}|${countsSignature(w)}`,
    { column: 1, direction: 'descending' },
    sortedAnnounce,
  );
  const queues = new SortableTable<QueueRow>(
    'Task queues',
    [
      { label: 'Task queue', cell: (q) => h('code', { class: 'sid' }, q.task_queue_sid), sort: (q) => q.task_queue_sid, first: 'ascending' },
      ...countColumns<QueueRow>((q) => q),
    ],
    (q) => q.task_queue_sid,
    (q) => countsSignature(q),
    { column: 1, direction: 'descending' },
    sortedAnnounce,
  );
  const workersEmpty = h('p', { class: 'empty' });
  const queuesEmpty = h('p', { class: 'empty' });
  let tilesShow = '';

  const windows = h(
    'ul',
    { class: 'counts', 'aria-label': 'Window' },
    WINDOWS.map(([m, text]) => h('li', null, h('a', { href: href.overview(workspace, m), 'aria-current': m === minutes ? 'true' : null }, `the last ${text}`))),
  );

  const tile = (label: string, value: Child, extra?: Child) =>
    h('li', { class: 'tile' }, h('span', { class: 'label' }, label), h('span', { class: 'value' }, value), extra);

  const renderTiles = (data: Overview) => {
    const { cumulative: c, pending } = data;
    const signature = JSON.stringify([c, pending]);
    if (signature === tilesShow) return;
    tilesShow = signature;
    const shown = pending.reservations.length;
    const soonest =
      shown === 0
        ? null
        : [
            h(
              'ol',
              { class: 'soonest', 'aria-label': 'Soonest deadlines' },
              pending.reservations.map((r) =>
                h('li', null, countdown(r.deadline_ms), ' ', r.worker_name ? `${r.worker_name} ` : null, sid(workspace, r.reservation_sid, r.task_sid)),
              ),
            ),
            // The tile lists the soonest few: it says so when there are more.
            shown < pending.total ? h('p', { class: 'hint more' }, `the ${shown} soonest of ${pending.total}`) : null,
          ];
    replaceChildren(
      tiles,
      tile('Pending now', pending.total, soonest),
      tile('Accepted', c.reservations_accepted),
      tile('Rejected', c.reservations_rejected),
      tile('Timed out', c.reservations_timed_out),
      tile('Canceled', c.reservations_canceled),
      tile('Average acceptance time', c.reservations_accepted === 0 ? '—' : durationText(c.avg_task_acceptance_time)),
    );
  };

  const live = mountLive<Overview>(ctx, {
    load: async (signal) => {
      const window = `Minutes=${minutes}`;
      const [cumulative, pending, workerRows, queueRows, perMinute, perHour] = await Promise.all([
        ctx.api.get<WorkspaceCumulative>(`/v1/Workspaces/${ws}/CumulativeStatistics?${window}`, signal),
        ctx.api.get<PendingNow>(`/lifecycle/v1/Workspaces/${ws}/Statistics/PendingReservations?PageSize=${SOONEST}`, signal),
        ctx.api.get<{ workers: WorkerRow[] }>(`/lifecycle/v1/Workspaces/${ws}/Statistics/Workers?${window}`, signal),
        ctx.api.get<{ task_queues: QueueRow[] }>(`/lifecycle/v1/Workspaces/${ws}/Statistics/Queues?${window}`, signal),
        ctx.api.get<{ outcomes: OutcomeBucket[] }>(`/lifecycle/v1/Workspaces/${ws}/Statistics/Outcomes?${seriesQuery('minute')}`, signal),
        ctx.api.get<{ outcomes: OutcomeBucket[] }>(`/lifecycle/v1/Workspaces/${ws}/Statistics/Outcomes?${seriesQuery('hour')}`, signal),
      ]);
      return {
        cumulative: cumulative.body,
        pending: pending.body,
        workers: workerRows.body.workers,
        queues: queueRows.body.task_queues,
        perMinute: perMinute.body.outcomes,
        perHour: perHour.body.outcomes,
      };
    },
    render: (data, first) => {
      if (first) {
        replaceChildren(
          live.content,
          h('h1', null, 'Overview'),
          h('p', { class: 'sub' }, 'Workspace ', h('code', { class: 'sid' }, workspace), ` · reservations in the last ${windowText} · refreshed live`),
          windows,
          tiles,
          h('h2', null, 'Outcomes'),
          h('div', { class: 'charts' }, byMinute.element, byHour.element),
          h('h2', null, 'Workers'),
          workersEmpty,
          workers.element,
          h('h2', null, 'Task queues'),
          queuesEmpty,
          queues.element,
        );
      }
      renderTiles(data);
      byMinute.update(data.perMinute);
      byHour.update(data.perHour);
      workers.update(data.workers, !first);
      workers.caption = `${data.workers.length} worker${data.workers.length === 1 ? '' : 's'}, reservations in the last ${windowText}`;
      workers.element.hidden = data.workers.length === 0;
      workersEmpty.textContent = data.workers.length === 0 ? 'No worker yet: one is listed once a reservation names it.' : '';
      queues.update(data.queues, !first);
      queues.caption = `${data.queues.length} task queue${data.queues.length === 1 ? '' : 's'}, reservations in the last ${windowText}`;
      queues.element.hidden = data.queues.length === 0;
      queuesEmpty.textContent = data.queues.length === 0 ? 'No task queue yet: one is listed once a reservation names it.' : '';
    },
    notFound: () => [
      h('h1', null, 'Overview'),
      h('p', { class: 'notice' }, `Nothing is recorded for workspace ${workspace} yet.`),
      h(
        'p',
        null,
        'Its overview fills in once an assignment callback reserves a worker in it (this view keeps looking). Check the workspace SID, or see its ',
        h('a', { href: href.events(workspace) }, 'events'),
        '.',
      ),
    ],
  });
  setTimeout(format, 0);
  return { stop: live.stop };
}
