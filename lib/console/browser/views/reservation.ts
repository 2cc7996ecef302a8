/**
 * One reservation: its status with a live countdown while pending, its worker and task, every
 * update the REST API takes (accept, reject, the instructions, wrap-up, completion) as a form, and
 * its history of events. Updates carry the ETag of what the view shows as If-Match: a view that was
 * stale is refused (412), said so, and refreshed. While it is wrapping under a lifecycle rule with
 * a time limit, the wrap-up's end (this service's WrapUp resource) with a countdown, and a form to
 * extend it.
 */
import type { ActionData } from '../../page-data.ts';
import { ApiError } from '../api.ts';
import { DATA } from '../data.ts';
import { countdown, deadlineOf } from '../deadlines.ts';
import { KeyedTable, badge, facts, h, prepareTimeFormats, replaceChildren, sid, time } from '../dom.ts';
import { actionForms, offerAllowed } from '../forms.ts';
import { WIDEST_MINUTES } from '../routes.ts';
import type { Reservation, TaskRouterEvent, WrapUp } from '../types.ts';
import { Notices, asked, updateForm } from '../updates.ts';
import { mountLive, type View, type ViewContext } from '../view.ts';
import { byNewest, eventColumns, refreshFrom } from './event-columns.ts';

/** After the history could not be read, the view asks for it again no sooner than this (or Retry-After). */
const HISTORY_RETRY_MS = 5_000;

/**
 * The wrap-up's time left at which the page says so (politely, once each): its countdown itself is
 * a timer that is not announced every second.
 */
const WRAP_UP_THRESHOLDS_S = [60, 10, 0];

function thresholdText(seconds: number): string {
  return seconds === 0
    ? 'Wrap-up time is up.'
    : seconds >= 60
      ? `Wrap-up: ${seconds / 60} minute${seconds === 60 ? '' : 's'} left.`
      : `Wrap-up: ${seconds} seconds left.`;
}

export const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function reservationView(ctx: ViewContext, workspace: string, taskSid: string, reservationSid: string): View {
  const path = `/v1/Workspaces/${encodeURIComponent(workspace)}/Tasks/${encodeURIComponent(taskSid)}/Reservations/${encodeURIComponent(reservationSid)}`;
  const wrapUpPath = `/lifecycle${path}/WrapUp`;
  let current: { reservation: Reservation; etag: string | null } | undefined;
  let deadline: number | undefined;
  /** The wrap-up's limit, read while the reservation is wrapping; null when not (or not known). */
  let wrapUp: WrapUp | null = null;
  /** The thresholds already passed for this wrap-up end (an extension is a new end). */
  let spoken: { end: number; passed: Set<number> } | undefined;
  const events = new Map<string, { event: TaskRouterEvent; seq: number }>();
  let seq = 0;
  let newestMs: number | null = null;
  /** When the last history read that succeeded started (the page's clock). */
  let historyReadAt: number | null = null;
  /**
   * The history's last read. One that failed (a 503, a 429) does not fail the view: the reservation
   * and its actions stay usable, the history says why it is missing and is asked for again later.
   */
  let history: 'loading' | 'ok' | ApiError = 'loading';
  let historyRetryAt = 0;

  const header = h('div');
  let headerShows = '';
  const notices = new Notices();
  const version = h('span');
  const historyNote = h('p', { class: 'empty' });
  const historyTable = new KeyedTable<TaskRouterEvent>(
    "The reservation's events, newest first",
    eventColumns(workspace, false),
    (e) => e.sid,
    (e) => e.sid,
  );
  ctx.title(`Reservation ${reservationSid}`);

  /** The wrap-up's end (epoch ms) while the reservation is wrapping under a time limit. */
  const wrapUpEnd = (): number | undefined =>
    current?.reservation.reservation_status === 'wrapping' && wrapUp?.wrap_up_deadline_ms != null ? wrapUp.wrap_up_deadline_ms : undefined;

  const wrapUpFact = (): [string, HTMLElement | string][] => {
    if (current?.reservation.reservation_status !== 'wrapping' || wrapUp === null) return [];
    const end = wrapUpEnd();
    if (end === undefined) return [['Wrap-up', 'no time limit']];
    // The end as a time (read once), and the time left as a visual countdown (a timer, not announced).
    return [
      [
        'Wrap-up',
        h(
          'span',
          { class: 'wrap-up-end' },
          'ends at ',
          time(wrapUp.wrap_up_deadline),
          ' (',
          countdown(end, 'timer'),
          `) · ${wrapUp.wrap_up_seconds} s limit, rule "${wrapUp.lifecycle_rule}"`,
        ),
      ],
    ];
  };

  /** Says the thresholds of the time left as they pass while the view is open (not those passed before it opened). */
  const speakWrapUp = () => {
    const end = wrapUpEnd();
    if (end === undefined) {
      // Completed at its end before a tick saw the end pass: that the time is up is still news, once.
      if (spoken && !spoken.passed.has(0) && Date.now() >= spoken.end) {
        spoken.passed.add(0);
        ctx.announce(thresholdText(0));
      }
      return;
    }
    const left = (end - Date.now()) / 1000;
    const passed = WRAP_UP_THRESHOLDS_S.filter((t) => left <= t);
    if (spoken?.end !== end) {
      spoken = { end, passed: new Set(passed) };
      return;
    }
    const fresh = passed.filter((t) => !spoken!.passed.has(t));
    for (const t of fresh) spoken.passed.add(t);
    // Several at once (a hidden tab's timers are slowed): only the latest is news.
    if (fresh.length > 0) ctx.announce(thresholdText(Math.min(...fresh)));
  };
  const speaker = setInterval(speakWrapUp, 1000);

  const showHeader = () => {
    if (!current) return;
    const r = current.reservation;
    extend.hidden = wrapUpEnd() === undefined;
    const shows = JSON.stringify([r, deadline, current.etag, wrapUp?.wrap_up_deadline_ms, wrapUp?.lifecycle_rule]);
    if (shows === headerShows) return;
    headerShows = shows;
    replaceChildren(
      header,
      h('h1', null, 'Reservation ', h('span', { class: 'sid' }, r.sid)),
      facts([
        ['Status', [badge(r.reservation_status), ' ', r.reservation_status === 'pending' ? countdown(deadline) : '']],
        ...wrapUpFact(),
        ['Task', sid(workspace, r.task_sid)],
        ['Worker', [r.worker_name, ' ', sid(workspace, r.worker_sid)]],
        ['Created', time(r.date_created)],
        ['Updated', time(r.date_updated)],
      ]),
    );
    version.textContent = current.etag ?? 'none';
    speakWrapUp();
  };

  const showHistory = (markNew: boolean) => {
    historyTable.update(byNewest(events.values()), markNew);
    historyTable.element.hidden = events.size === 0;
    historyNote.textContent =
      history instanceof ApiError
        ? `Could not ${events.size === 0 ? 'load' : 'refresh'} the history: ${history.status === 0 ? history.message : `${history.message} (HTTP ${history.status})`}. Retrying in ${Math.max(1, Math.round((historyRetryAt - Date.now()) / 1000))} s.`
        : history === 'ok' && events.size === 0
          ? 'No events of this reservation are kept.'
          : '';
  };

  const loadHistory = async (signal: AbortSignal) => {
    if (Date.now() < historyRetryAt) return;
    // First every event still kept (the Event resource's widest window; the reservation's index
    // serves it), then what is new since the later of the newest seen and the last read (by the
    // page's clock, allowing it to be off): an empty history is not read whole again each time.
    const started = Date.now();
    const window: Record<string, string> =
      historyReadAt === null ? { Minutes: String(WIDEST_MINUTES) } : { StartDate: isoSeconds(refreshFrom(newestMs, historyReadAt)) };
    const query = new URLSearchParams({ ReservationSid: reservationSid, ...window, PageSize: '1000' });
    try {
      const found = await ctx.api.list<TaskRouterEvent>(`/v1/Workspaces/${encodeURIComponent(workspace)}/Events?${query}`, 'events', signal, 5);
      historyReadAt = started;
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
    notices.clear();
    if (!current) return;
    const ifMatch = current.etag;
    await notices.send(
      'reservation',
      () => ctx.api.request<Reservation>(path, { method: 'POST', body, ...(ifMatch !== null && { ifMatch }) }),
      ({ body: updated, etag }) => {
        current = { reservation: updated, etag };
        showHeader();
        offer(updated.reservation_status);
        return `${action.parameter}=${action.value}: the reservation is now ${updated.reservation_status}.`;
      },
      () => live.poller.now(),
    );
  };

  /** Reads the wrap-up's limit; a failed read shows no countdown rather than failing the view. */
  const readWrapUp = async (signal: AbortSignal): Promise<WrapUp | null> => {
    try {
      return (await ctx.api.get<WrapUp>(wrapUpPath, signal)).body;
    } catch (error) {
      if (signal.aborted || (error instanceof ApiError && error.status === 401)) throw error;
      return null;
    }
  };

  // No If-Match: the WrapUp resource takes none, and refuses (400) a wrap-up with no limit or one already over.
  const extend = updateForm({
    id: 'wrap-up-extend',
    fields: [
      {
        name: 'ExtendSeconds',
        label: 'ExtendSeconds',
        numeric: true,
        hint: `seconds more for the wrap-up, 1 to ${DATA.maxWrapUpSeconds.toLocaleString('en-US')} (sent without If-Match: the WrapUp resource takes none)`,
      },
    ],
    button: 'Extend wrap-up',
    buttonClass: 'primary',
    submit: (body) =>
      notices.send(
        'reservation',
        () => ctx.api.request<WrapUp>(wrapUpPath, { method: 'POST', body }),
        ({ body: extended }) => {
          wrapUp = extended;
          showHeader();
          const end = extended.wrap_up_deadline_ms;
          return `${asked(body, 'ExtendSeconds')}: the wrap-up now ends ${end === null ? 'never' : `at ${prepareTimeFormats().sameDay.format(new Date(end))}`}.`;
        },
        () => live.poller.now(),
      ),
  });
  extend.hidden = true;
  const actions = actionForms(submit);
  /** Said when the reservation's status allows none of the actions (a final one). */
  const noAction = h('p', { class: 'hint' });
  const offer = (status: string) => {
    const any = offerAllowed(actions, status);
    noAction.textContent = any ? '' : `Nothing to do: its status, ${status}, allows no action.`;
    noAction.hidden = any;
  };

  const live = mountLive(ctx, {
    load: async (signal) => {
      const [reservation] = await Promise.all([ctx.api.get<Reservation>(path, signal), loadHistory(signal)]);
      // Only a wrapping reservation has a wrap-up to read (its limit and end).
      const wrapping = reservation.body.reservation_status === 'wrapping' ? await readWrapUp(signal) : null;
      return { reservation, wrapping };
    },
    render: ({ reservation: { body, etag }, wrapping }, first) => {
      current = { reservation: body, etag };
      wrapUp = wrapping;
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
            notices.outcome,
            notices.refusal,
            extend,
            noAction,
            actions,
          ),
          h('h2', null, 'History'),
          historyNote,
          historyTable.element,
        );
      }
      showHeader();
      offer(body.reservation_status);
      showHistory(!first);
    },
    notFound: (error) => [
      h('h1', null, 'Reservation ', h('span', { class: 'sid' }, reservationSid)),
      h('p', { class: 'notice' }, error.message),
      h('p', null, 'Check the SIDs, or open the task: ', sid(workspace, taskSid), '. This view keeps looking.'),
    ],
  });
  return {
    stop: () => {
      clearInterval(speaker);
      live.stop();
    },
  };
}
