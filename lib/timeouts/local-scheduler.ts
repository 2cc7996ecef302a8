/** `npm start`'s timers: in-process, calling the same timeout handler at the deadline. */
import { timerName, type ReservationTimer, type TimeoutEvent, type TimeoutScheduler } from './scheduler.ts';

export class LocalTimeoutScheduler implements TimeoutScheduler {
  readonly #timers = new Map<string, NodeJS.Timeout>();
  #fire: ((event: TimeoutEvent) => Promise<unknown>) | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  /** The timeout handler; timers armed before it is set fire once it is. */
  onTimeout(fire: (event: TimeoutEvent) => Promise<unknown>): void {
    this.#fire = fire;
  }

  async schedule(timer: ReservationTimer): Promise<void> {
    const name = timerName(timer);
    if (this.#timers.has(name)) return;
    const { deadline, ...event } = timer;
    const handle = setTimeout(
      () => {
        this.#timers.delete(name);
        void this.#fire?.(event);
      },
      Math.max(0, deadline - this.now()),
    );
    handle.unref();
    this.#timers.set(name, handle);
  }

  close(): void {
    for (const handle of this.#timers.values()) clearTimeout(handle);
    this.#timers.clear();
  }
}
