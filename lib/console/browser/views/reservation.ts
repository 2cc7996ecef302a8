/**
 * One reservation: its status with a live countdown while pending, its worker and task, every
 * update the REST API takes (accept, reject, the instructions, wrap-up, completion) as a form, and
 * its history of events. Updates carry the ETag of what the view shows as If-Match: a view that was
 * stale is refused (412), said so, and refreshed.
 */
import type { ActionData } from '../../page-data.ts';
import { ApiError } from '../api.ts';
import { countdown, deadlineOf } from '../deadlines.ts';
import { KeyedTable, badge, facts, h, replaceChildren, sid, time } from '../dom.ts';
import { actionForms } from '../forms.ts';
import type { Reservation, TaskRouterEvent } from '../types.ts';
import { mountLive, type View, type ViewContext } from '../view.ts';
import { byNewest, eventColumns } from './event-columns.ts';

/** Events are asked for again from a little before the newest one seen: one recorded late still shows. */
const OVERLAP_MS = 30_000;
/** After the history could not be read, the view asks for it again no sooner than this (or Retry-After). */
const HISTORY_RETRY_MS = 5_000;

export const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function reservationView(ctx: ViewContext, workspace: string, taskSid: string, reservationSid: string): View {
  const path = `/v1/Workspaces/${encodeURIComponent(workspace)}/Tasks/${encodeURIComponent(taskSid)}/Reservations/${encodeURIComponent(reservationSid)}`;
  let current: { reservation: Reservation; etag: string | null } | undefined;
  let deadline: number | undefined;
  const events = new Map<string, { event: TaskRouterEvent; seq: number }>();
  let seq = 0;
  let newestMs: number | null = null;
  /**
   * The history's last read. One that failed (a 503, a 429) does not fail the view: the reservation
   * and its actions stay usable, the history says why it is missing and is asked for again later.
   */
  let history: 'loading' | 'ok' | ApiError = 'loading';
  let historyRetryAt = 0;

  const header = h('div');
  let headerShows = '';
  const outcome = h('p', { class: 'notice ok', role: 'status' });
  const refusal = h('p', { class: 'notice error', role: 'alert' });
  const version = h('span');
  const historyNote = h('p', { class: 'empty' });
  const historyTable = new KeyedTable<TaskRouterEvent>(
    "The reservation's events, newest first",
    eventColumns(workspace, false),
    (e) => e.sid,
    (e) => e.sid,
  );
  ctx.title(`Reservation ${reservationSid}`);

  const showHeader = () => {
    if (!current) return;
    const r = current.reservation;
    const shows = JSON.stringify([r, deadline, current.etag]);
    if (shows === headerShows) return;
    headerShows = shows;
    replaceChildren(
      header,
      h('h1', null, 'Reservation ', h('span', { class: 'sid' }, r.sid)),
      facts([
        ['Status', [badge(r.reservation_status), ' ', r.reservation_status === 'pending' ? countdown(deadline) : '']],
        ['Task', sid(workspace, r.task_sid)],
        ['Worker', [r.worker_name, ' ', sid(workspace, r.worker_sid)]],
        ['Created', time(r.date_created)],
        ['Updated', time(r.date_updated)],
      ]),
    );
    version.textContent = current.etag ?? 'none';
  };

  const showHistory = (markNew: boolean) => {
    historyTable.update(byNewest(events.values()), markNew);
    historyTable.element.hidden = events.size === 0;
    historyNote.textContent =
      history instanceof ApiError
        ? `Could not ${events.size === 0 ? 'load' : 'refresh'} the history: ${history.status === 0 ? history.message : `${history.message} (HTTP ${history.status})`}. Retrying in ${Math.max(1, Math.round((historyRetryAt - Date.now()) / 1000))} s.`
        : history === 'ok' && events.size === 0
          ? 'No events recorded for this reservation in the last 24 hours.'
          : '';
  };

  const loadHistory = async (signal: AbortSignal) => {
    if (Date.now() < historyRetryAt) return;
    const window: Record<string, string> = newestMs === null ? { Minutes: '1440' } : { StartDate: isoSeconds(newestMs - OVERLAP_MS) };
    const query = new URLSearchParams({ ReservationSid: reservationSid, ...window, PageSize: '1000' });
    try {
      const found = await ctx.api.list<TaskRouterEvent>(`/v1/Workspaces/${encodeURIComponent(workspace)}/Events?${query}`, 'events', signal, 5);
      for (const event of found) {
        if (events.has(event.sid)) continue;
        events.set(event.sid, { event, seq: seq++ });
        newestMs = Math.max(newestMs ?? 0, Number(event.event_date_ms));
        deadline = deadlineOf(event) ?? deadline;
      }
      history = 'ok';
    } catch (error) {
      if (signal.aborted || !(error instanceof ApiError) || error.status === 401) throw error;
      history = error;
      historyRetryAt = Date.now() + Math.max(HISTORY_RETRY_MS, (error.retryAfterSeconds ?? 0) * 1000);
    }
  };

  const submit = async (action: ActionData, body: URLSearchParams) => {
    outcome.textContent = '';
    refusal.textContent = '';
    if (!current) return;
    const label = `${action.parameter}=${action.value}`;
    try {
      const { body: updated, etag } = await ctx.api.request<Reservation>(path, {
        method: 'POST',
        body,
        ...(current.etag !== null && { ifMatch: current.etag }),
      });
      current = { reservation: updated, etag };
      showHeader();
      outcome.textContent = `${label}: the reservation is now ${updated.reservation_status}.`;
      live.poller.now();
    } catch (error) {
      // A 401 has signed the console out already.
      if (error instanceof ApiError && error.status === 401) return;
      if (!(error instanceof ApiError)) {
        refusal.textContent = `Not sent: ${(error as Error).message}`;
      } else if (error.status === 412) {
        refusal.textContent = `Refused: this view was stale. The reservation changed since it was shown (${error.message}). The view has been refreshed: check it and try again.`;
        live.poller.now();
      } else {
        refusal.textContent = `Refused (HTTP ${error.status}): ${error.message}`;
      }
    }
  };

  const live = mountLive(ctx, {
    load: async (signal) => {
      const [reservation] = await Promise.all([ctx.api.get<Reservation>(path, signal), loadHistory(signal)]);
      return reservation;
    },
    render: ({ body, etag }, first) => {
      current = { reservation: body, etag };
      if (first) {
        replaceChildren(
          live.content,
          header,
          h(
            'section',
            { class: 'actions', 'aria-labelledby': 'actions-heading' },
            h('h2', { id: 'actions-heading' }, 'Actions'),
            h(
              'p',
              { class: 'hint' },
              'Each action is sent with If-Match: ',
              version,
              ' (the version this view shows): if the reservation changed since, the API refuses it and the view refreshes.',
            ),
            outcome,
            refusal,
            actionForms(submit),
          ),
          h('h2', null, 'History'),
          historyNote,
          historyTable.element,
        );
      }
      showHeader();
      showHistory(!first);
    },
    notFound: (error) => [
      h('h1', null, 'Reservation ', h('span', { class: 'sid' }, reservationSid)),
      h('p', { class: 'notice' }, error.message),
      h('p', null, 'Check the SIDs, or open the task: ', sid(workspace, taskSid), '. This view keeps looking.'),
    ],
  });
  return { stop: live.stop };
}
