/** `npm start`'s timers: in-process, calling the same timeout handler at the deadline. */
import { Underway } from '../domain/in-flight.ts';
import { timerName, type ReservationTimer, type TimeoutEvent, type TimeoutScheduler } from './scheduler.ts';

/**
 * The longest delay Node's setTimeout takes (2^31 - 1 ms, about 24.8 days): a longer one fires at
 * once, with a warning. A timer further out (a wrap-up extended many times) waits this long, then
 * is armed again for the rest.
 */
export const LONGEST_TIMEOUT_MS = 2 ** 31 - 1;

export class LocalTimeoutScheduler implements TimeoutScheduler {
  readonly #timers = new Map<string, NodeJS.Timeout>();
  /** Handlers that fired and have not finished: the stack waits for them before its engine goes. */
  readonly #running = new Underway();
  #fire: ((event: TimeoutEvent) => Promise<unknown>) | undefined;
  #onError: ((error: Error, event: TimeoutEvent) => void) | undefined;
  /** Closed with the stack: nothing is armed any more (the start-up sweep re-arms what is due). */
  #closed = false;

  constructor(private readonly now: () => number = Date.now) {}

  /** The timeout handler; timers armed before it is set fire once it is. */
  onTimeout(fire: (event: TimeoutEvent) => Promise<unknown>): void {
    this.#fire = fire;
  }

  async schedule(timer: ReservationTimer): Promise<void> {
    const name = timerName(timer);
    if (this.#closed || this.#timers.has(name)) return;
    const { deadline, ...event } = timer;
    const handle = setTimeout(
      () => {
        this.#timers.delete(name);
        // Node's timers may fire a millisecond before the wall clock reaches the deadline, and a
        // delivery before it finds nothing to do: such a one waits out the rest (as does a timer
        // further out than the longest delay).
        if (this.now() < deadline) return void this.schedule(timer);
        const running = Promise.resolve(this.#fire?.(event)).catch((error: Error) => {
          // Deployed, Scheduler would deliver it again; here the start-up sweep re-arms what is still due.
          this.#onError?.(error, event);
        });
        void this.#running.add(running);
      },
      Math.min(LONGEST_TIMEOUT_MS, Math.max(0, deadline - this.now())),
    );
    handle.unref();
    this.#timers.set(name, handle);
  }

  close(): void {
    this.#closed = true;
    for (const handle of this.#timers.values()) clearTimeout(handle);
    this.#timers.clear();
  }

  /** Where a handler's failure is told (the stack's logger). */
  onError(report: (error: Error, event: TimeoutEvent) => void): void {
    this.#onError = report;
  }

  /** Waits for the handlers that fired to finish. */
  async idle(): Promise<void> {
    await this.#running.idle();
  }
}
