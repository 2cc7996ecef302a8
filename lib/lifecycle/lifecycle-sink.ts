/**
 * The local stack's way from events to the lifecycle: every stored event is handed to the engine
 * after the write it follows, in this process, off the request's path (a request never waits for a
 * rule, nor fails because one did): one at a time and in order for each worker (its moves and its
 * reservations' timers), the workers side by side, so one busy worker does not hold up the others. Deployed, the lifecycle function
 * takes the same events from the EventBridge bus. A restart resumes what was in flight (engine.ts
 * `resume`).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { TaskRouterEvent } from '../domain/events.ts';
import type { EventSink } from '../publishing/ports.ts';
import type { LifecycleEngine } from './engine.ts';

/**
 * The waits before each new attempt of an event whose handling failed: a store that throttled, a
 * write that kept losing, or (connected) a worker held by a forward whose outcome is unknown, which
 * the sweep settles once it is 13 s old, and it runs every minute. So about a minute and a half
 * in all (as the deployed lifecycle's event source keeps retrying); then the failure is logged.
 */
export const RETRY_WAITS_MS: readonly number[] = [100, 500, 2_000, 5_000, 10_000, 20_000, 30_000, 30_000];

export class LifecycleSink implements EventSink {
  readonly name = 'lifecycle';
  /** Per worker, the events handed over and not yet handled, as a chain. */
  readonly #queues = new Map<string, Promise<void>>();
  /** The waits under way, each ended at once by `close`. */
  readonly #waiting = new Set<() => void>();
  #closing = false;
  readonly #wait: (ms: number) => Promise<void>;

  constructor(
    private readonly engine: () => LifecycleEngine,
    private readonly logger: Logger,
    wait?: (ms: number) => Promise<void>,
  ) {
    this.#wait =
      wait ??
      ((ms) =>
        new Promise<void>((resolve) => {
          const end = () => {
            clearTimeout(timer);
            this.#waiting.delete(end);
            resolve();
          };
          const timer = setTimeout(end, ms);
          this.#waiting.add(end);
        }));
  }

  /** The stack is closing: events still failing are not tried again (the sweep their retries wait for runs no more). */
  close(): void {
    this.#closing = true;
    for (const end of [...this.#waiting]) end();
  }

  async deliver(events: readonly TaskRouterEvent[]): Promise<void> {
    if (!this.engine().hasRules) return;
    const relevant = events.filter((e) => e.resourceType === 'reservation');
    for (const event of relevant) {
      const key = `${event.accountSid}#${event.workspaceSid}#${event.workerSid ?? ''}`;
      const queue = (this.#queues.get(key) ?? Promise.resolve()).then(() => this.#handle(event));
      this.#queues.set(key, queue);
      // The last of a worker's chain, once handled, leaves the map (the map holds only the busy).
      void queue.then(() => this.#queues.get(key) === queue && this.#queues.delete(key));
    }
  }

  async #handle(event: TaskRouterEvent): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.engine().handle(event);
        return;
      } catch (error) {
        const wait = RETRY_WAITS_MS[attempt];
        if (wait === undefined || this.#closing) {
          this.logger.error('lifecycle failed an event', { eventSid: event.sid, eventType: event.type, error: (error as Error).message });
          return;
        }
        await this.#wait(wait);
        if (this.#closing) {
          this.logger.error('lifecycle failed an event; the stack closed before it was tried again', { eventSid: event.sid, eventType: event.type });
          return;
        }
      }
    }
  }

  /** Resolves once every event handed over is handled, those its handling led to included. */
  async idle(): Promise<void> {
    while (this.#queues.size > 0) await Promise.all([...this.#queues.values()]);
  }
}
