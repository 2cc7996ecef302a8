/** `npm start`'s timers: in-process, calling the same timeout handler at the deadline. */
import { Underway } from '../domain/in-flight.ts';
import { timerName, type ReservationTimer, type TimeoutEvent, type TimeoutScheduler } from './scheduler.ts';

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
        // delivery before it finds nothing to do: such a one waits out the rest.
        if (this.now() < deadline) return void this.schedule(timer);
        const running = Promise.resolve(this.#fire?.(event)).catch((error: Error) => {
          // Deployed, Scheduler would deliver it again; here the start-up sweep re-arms what is still due.
          this.#onError?.(error, event);
        });
        void this.#running.add(running);
      },
      Math.max(0, deadline - this.now()),
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
