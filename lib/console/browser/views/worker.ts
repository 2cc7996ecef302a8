/**
 * A worker's reservations: who this worker is, how many reservations in each status, and each one
 * with its task, status and deadline. The status filter is applied in the page, so the counts stay
 * whole and switching costs no request. Its activity is set by a form (with
 * RejectPendingReservations), sent with the ETag of the worker the view shows as If-Match.
 */
import { ApiError } from '../api.ts';
import { DATA } from '../data.ts';
import { Deadlines } from '../deadlines.ts';
import { attributesBlock, facts, h, replaceChildren, sid, time } from '../dom.ts';
import { href } from '../routes.ts';
import type { Reservation, Worker } from '../types.ts';
import { Notices, updateForm } from '../updates.ts';
import { mountLive, type View, type ViewContext } from '../view.ts';
import { WrapUpEnds } from '../wrap-ups.ts';
import { newestFirst, reservationsTable } from './reservations-table.ts';

export function workerView(ctx: ViewContext, workspace: string, workerSid: string, initialStatus: string | null): View {
  const ws = encodeURIComponent(workspace);
  const wk = encodeURIComponent(workerSid);
  const deadlines = new Deadlines(ctx.api, workspace, { WorkerSid: workerSid });
  const wrapUps = new WrapUpEnds(ctx.api, workspace);
  const table = reservationsTable(workspace, deadlines, wrapUps, 'worker');
  let status = initialStatus;
  let last: { worker: Worker; etag: string | null; reservations: Reservation[] } | undefined;
  const header = h('div');
  const counts = h('ul', { class: 'counts', 'aria-label': 'Filter by status' });
  const empty = h('p', { class: 'empty' });
  // What each part last showed: a part is rebuilt only when it changed (so focus and open state stay).
  let headerShows = '';
  let countsShow = '';
  ctx.title(`Worker ${workerSid}`);

  const notices = new Notices();
  const version = h('span');
  const activityForm = updateForm({
    id: 'worker-activity',
    fields: [
      { name: 'ActivitySid', label: 'ActivitySid', placeholder: 'WA…', hint: 'required; a WA… SID' },
      {
        name: 'RejectPendingReservations',
        kind: 'checkbox',
        label: 'RejectPendingReservations',
        hint: 'only with an activity that takes no work',
      },
    ],
    button: 'Set activity',
    buttonClass: 'primary',
    submit: (body) =>
      notices.send(
        'worker',
        () =>
          ctx.api.request<Worker>(`/v1/Workspaces/${ws}/Workers/${wk}`, {
            method: 'POST',
            body,
            ...(last?.etag !== null && last?.etag !== undefined && { ifMatch: last.etag }),
          }),
        ({ body: worker, etag }) => {
          if (last) last = { ...last, worker, etag };
          show(false);
          const rejected = body.get('RejectPendingReservations') === 'true' ? ' Its pending reservations are rejected.' : '';
          return `ActivitySid=${body.get('ActivitySid') ?? ''}: the worker's activity is now ${worker.activity_sid ?? 'none'}.${rejected}`;
        },
        () => live.poller.now(),
      ),
  });
  const actions = h(
    'section',
    { class: 'actions', 'aria-labelledby': 'worker-activity-heading' },
    h('h2', { id: 'worker-activity-heading' }, 'Activity'),
    h(
      'p',
      { class: 'hint' },
      'Sent with If-Match: ',
      version,
      ' (the version of the worker this view shows): if the worker changed since, the API refuses it and the view refreshes.',
    ),
    notices.outcome,
    notices.refusal,
    activityForm,
  );

  const show = (first: boolean) => {
    if (!last) return;
    const { worker, etag, reservations } = last;
    version.textContent = etag ?? 'none';
    const workerJson = JSON.stringify(worker);
    if (workerJson !== headerShows) {
      headerShows = workerJson;
      const attributesOpen = header.querySelector('details')?.open ?? false;
      replaceChildren(
        header,
        h('h1', null, `Worker ${worker.friendly_name}`),
        facts([
          ['SID', h('code', { class: 'sid' }, worker.sid)],
          ['Activity', worker.activity_sid ? h('code', { class: 'sid' }, worker.activity_sid) : 'none recorded'],
          ['Updated', time(worker.date_updated)],
        ]),
        attributesBlock(worker.attributes, attributesOpen),
      );
    }
    const byStatus = new Map<string, number>();
    for (const r of reservations) byStatus.set(r.reservation_status, (byStatus.get(r.reservation_status) ?? 0) + 1);
    const chip = (label: string, value: string | null, count: number) =>
      h('li', null, h('a', { href: href.worker(workspace, workerSid, value), 'aria-current': status === value ? 'true' : null }, `${label} (${count})`));
    const countsJson = JSON.stringify([status, reservations.length, [...byStatus]]);
    if (countsJson !== countsShow) {
      countsShow = countsJson;
      replaceChildren(
        counts,
        chip('all', null, reservations.length),
        DATA.reservationStatuses.filter((s) => byStatus.has(s)).map((s) => chip(s, s, byStatus.get(s)!)),
      );
    }
    const shown = newestFirst(status === null ? reservations : reservations.filter((r) => r.reservation_status === status));
    table.update(shown, !first);
    table.caption = `${shown.length} of the worker's ${reservations.length} reservations${status ? ` (${status})` : ''}, newest first`;
    table.element.hidden = shown.length === 0;
    empty.textContent =
      reservations.length === 0
        ? 'No reservations for this worker yet: they appear when an assignment callback reserves it.'
        : shown.length === 0
          ? `No ${status} reservations. Choose "all" to see the others.`
          : '';
  };

  const live = mountLive(ctx, {
    load: async (signal) => {
      const reads = Promise.allSettled([
        ctx.api.get<Worker>(`/v1/Workspaces/${ws}/Workers/${wk}`, signal),
        ctx.api.list<Reservation>(`/v1/Workspaces/${ws}/Workers/${wk}/Reservations?PageSize=1000`, 'reservations', signal, 5),
      ]);
      deadlines.begin(signal);
      const [worker, list] = await reads;
      if (worker.status === 'rejected') throw worker.reason;
      // A worker with no reservation listed reads 404 there: an empty list, since the worker exists.
      if (list.status === 'rejected' && !(list.reason instanceof ApiError && list.reason.status === 404)) throw list.reason;
      const reservations = list.status === 'fulfilled' ? list.value : [];
      await Promise.all([
        deadlines.ensure(
          reservations.filter((r) => r.reservation_status === 'pending').map((r) => r.sid),
          signal,
        ),
        wrapUps.ensure(reservations, signal),
      ]);
      return { worker: worker.value.body, etag: worker.value.etag, reservations };
    },
    render: (data, first) => {
      last = data;
      if (first) {
        replaceChildren(live.content, header, actions, h('h2', { id: 'reservations' }, 'Reservations'), counts, empty, table.element);
      }
      show(first);
    },
    notFound: (error) => [
      h('h1', null, `Worker ${workerSid}`),
      h('p', { class: 'notice' }, error.message),
      h(
        'p',
        null,
        'A worker is known here once an assignment callback has reserved it. Check the SID and the workspace (',
        sid(workspace, workspace),
        '); this view keeps looking.',
      ),
    ],
  });

  return {
    stop: live.stop,
    update(route) {
      if (route.view !== 'worker' || route.workspace !== workspace || route.worker !== workerSid) return false;
      status = route.status;
      show(false);
      // The chips were rebuilt: keep the keyboard on the one just chosen.
      counts.querySelector<HTMLElement>('[aria-current="true"]')?.focus();
      return true;
    },
  };
}
