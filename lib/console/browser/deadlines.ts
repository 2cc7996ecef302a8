/**
 * Pending reservations' deadlines, for their countdowns. A reservation's JSON has no deadline
 * (exactly Twilio's keys); its `reservation.created` event carries `reservation_timeout`
 * (seconds, as Twilio's Worker SDK names it), so deadline = the event's time + the timeout. One
 * request per view finds them all (the longest timeout is 86,400 s: the last 1,440 minutes); on the
 * first load it goes out alongside the view's own reads.
 */
import { ApiError, type Api } from './api.ts';
import { h } from './dom.ts';
import type { TaskRouterEvent } from './types.ts';

/** Look again for missing deadlines no sooner than this (the created event may be on its way)… */
const RETRY_MS = 5_000;
/** …or this, when asking failed (the view refreshes anyway; a countdown can wait). */
const FAILED_RETRY_MS = 60_000;

export function deadlineOf(event: TaskRouterEvent): number | undefined {
  if (event.event_type !== 'reservation.created') return undefined;
  const timeout = Number(event.event_data?.['reservation_timeout']);
  const at = Number(event.event_date_ms);
  return Number.isFinite(timeout) && timeout > 0 && Number.isFinite(at) ? at + timeout * 1000 : undefined;
}

export class Deadlines {
  readonly #deadlines = new Map<string, number>();
  #lastAttempt = -Infinity;
  #failed = false;
  /** The first load's read, started by `begin`. */
  #reading: Promise<void> | undefined;

  constructor(
    private readonly api: Api,
    private readonly workspace: string,
    /** The view's filter: `WorkerSid=…`, `TaskSid=…`. */
    private readonly filter: Record<string, string>,
  ) {}

  get(reservationSid: string): number | undefined {
    return this.#deadlines.get(reservationSid);
  }

  /** Records the deadlines found in events the view read anyway. */
  learn(events: readonly TaskRouterEvent[]): void {
    for (const event of events) {
      const deadline = deadlineOf(event);
      const reservation = event.event_data?.['reservation_sid'];
      if (deadline !== undefined && reservation) this.#deadlines.set(reservation, deadline);
    }
  }

  /**
   * A view's first load: asks for the created events now, alongside the view's own reads, rather
   * than after them (a view is opened for its pending reservations, and nothing is known yet).
   * `ensure` then waits for this answer instead of asking again.
   */
  begin(signal: AbortSignal): void {
    if (this.#lastAttempt !== -Infinity) return;
    this.#lastAttempt = Date.now();
    const reading = this.#read(signal);
    // Awaited by `ensure`; when the view's own reads fail first, nobody does.
    reading.catch(() => undefined);
    this.#reading = reading;
  }

  /** Asks for the created events when a pending reservation has no known deadline (not on every refresh). */
  async ensure(pending: readonly string[], signal: AbortSignal): Promise<void> {
    const begun = this.#reading;
    this.#reading = undefined;
    if (begun) await begun;
    if (pending.every((sid) => this.#deadlines.has(sid))) return;
    const now = Date.now();
    if (now - this.#lastAttempt < (this.#failed ? FAILED_RETRY_MS : RETRY_MS)) return;
    this.#lastAttempt = now;
    await this.#read(signal);
  }

  async #read(signal: AbortSignal): Promise<void> {
    const query = new URLSearchParams({ EventType: 'reservation.created', ...this.filter, Minutes: '1440', PageSize: '1000' });
    try {
      this.learn(await this.api.list<TaskRouterEvent>(`/v1/Workspaces/${encodeURIComponent(this.workspace)}/Events?${query}`, 'events', signal, 5));
      this.#failed = false;
    } catch (error) {
      // Without deadlines the view still works: pending reservations show no countdown.
      if (signal.aborted || (error instanceof ApiError && error.status === 401)) throw error;
      this.#failed = true;
    }
  }
}

/** `1:05`, `1:02:03`. */
export function clock(ms: number): string {
  const total = Math.ceil(ms / 1000);
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const hours = Math.floor(total / 3600);
  const mm = hours > 0 ? String(m).padStart(2, '0') : String(m);
  return `${hours > 0 ? `${hours}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
}

function paint(element: HTMLElement, now: number): void {
  const left = Number(element.dataset['deadline']) - now;
  element.textContent = left > 0 ? `${clock(left)} left` : 'deadline passed';
  element.classList.toggle('late', left <= 0);
}

/**
 * A countdown to `deadline` (epoch ms), kept current by the ticker below without any request. As a
 * `timer` it is that ARIA role, whose live region is off: a screen reader reads it when asked, and
 * is not interrupted by it every second.
 */
export function countdown(deadline: number | undefined, role?: 'timer'): HTMLElement | string {
  if (deadline === undefined) return '';
  const element = h('span', {
    class: 'countdown',
    role: role ?? null,
    'aria-live': role ? 'off' : null,
    'data-deadline': deadline,
    title: `Deadline ${new Date(deadline).toISOString().slice(0, 19).replace('T', ' ')} UTC`,
  });
  paint(element, Date.now());
  return element;
}

function paintElapsed(element: HTMLElement, now: number): void {
  // Whole seconds held so far (a countdown rounds up, a time held rounds down).
  element.textContent = clock(Math.floor(Math.max(0, now - Number(element.dataset['since'])) / 1000) * 1000);
}

/** The time since `since` (epoch ms), `1:02:03`, kept current by the ticker below without any request. */
export function elapsed(since: number): HTMLElement {
  const element = h('span', { class: 'elapsed', 'data-since': since, title: `Since ${new Date(since).toISOString().slice(0, 19).replace('T', ' ')} UTC` });
  paintElapsed(element, Date.now());
  return element;
}

let _ticker: ReturnType<typeof setInterval> | undefined;

/** Once a second, every countdown and every time held on the page. */
export function startTicker(): void {
  _ticker ??= setInterval(() => {
    const now = Date.now();
    for (const element of document.querySelectorAll<HTMLElement>('.countdown[data-deadline]')) paint(element, now);
    for (const element of document.querySelectorAll<HTMLElement>('.elapsed[data-since]')) paintElapsed(element, now);
  }, 1000);
}
