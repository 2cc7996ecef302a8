/**
 * Refreshes a view while it is shown: about every 1.25 s while the tab is visible, so a change
 * shows within 2 s; every 30 s while it is hidden; at once when it is shown again. The next
 * refresh is timed from the end of the last one, so a slow API is never asked twice at a time;
 * failures back off (and a Retry-After is honoured).
 */
import { ApiError } from './api.ts';

export const VISIBLE_MS = 1250;
export const HIDDEN_MS = 30_000;
const MAX_BACKOFF_MS = 30_000;

const hidden = () => document.visibilityState === 'hidden';

export class Poller {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #controller = new AbortController();
  #running = false;
  #again = false;
  #failures = 0;
  #stopped = false;

  constructor(
    /** One refresh; the signal aborts it when the view goes. */
    private readonly refresh: (signal: AbortSignal) => Promise<void>,
    /** A refresh failed (not aborted): the view shows why. */
    private readonly failed: (error: unknown, retryInMs: number) => void,
  ) {
    document.addEventListener('visibilitychange', this.#visibility);
  }

  start(): void {
    void this.#run();
  }

  /** Refresh now (after an action, or when the tab is shown again). */
  now(): void {
    if (this.#running) this.#again = true;
    else void this.#run();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#controller.abort();
    document.removeEventListener('visibilitychange', this.#visibility);
  }

  readonly #visibility = () => {
    if (this.#stopped) return;
    if (!hidden()) this.now();
    else if (!this.#running) this.#schedule(HIDDEN_MS);
  };

  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    if (!this.#stopped) this.#timer = setTimeout(() => void this.#run(), ms);
  }

  async #run(): Promise<void> {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#running = true;
    let delay = hidden() ? HIDDEN_MS : VISIBLE_MS;
    try {
      await this.refresh(this.#controller.signal);
      this.#failures = 0;
    } catch (error) {
      if (this.#stopped) return;
      this.#failures++;
      const backoff = Math.min(MAX_BACKOFF_MS, VISIBLE_MS * 2 ** this.#failures);
      const retryAfter = error instanceof ApiError && error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : 0;
      delay = Math.max(delay, backoff, retryAfter);
      if (!(error instanceof ApiError && error.status === 401)) this.failed(error, delay);
    } finally {
      this.#running = false;
    }
    if (this.#stopped) return;
    if (this.#again) {
      this.#again = false;
      return this.#run();
    }
    this.#schedule(delay);
  }
}
