/**
 * The local stack's way from events to the lifecycle: every stored event is handed to the engine
 * after the write it follows, in this process, one at a time and in order, off the request's path
 * (a request never waits for a rule, nor fails because one did). Deployed, the lifecycle function
 * takes the same events from the EventBridge bus. A restart resumes what was in flight (engine.ts
 * `resume`).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { TaskRouterEvent } from '../domain/events.ts';
import type { EventSink } from '../publishing/ports.ts';
import type { LifecycleEngine } from './engine.ts';

/** Attempts of one event whose handling failed (a store that throttled, a write that kept losing). */
const ATTEMPTS = 3;

export class LifecycleSink implements EventSink {
  readonly name = 'lifecycle';
  #queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly engine: () => LifecycleEngine,
    private readonly logger: Logger,
    private readonly wait: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  async deliver(events: readonly TaskRouterEvent[]): Promise<void> {
    if (!this.engine().hasRules) return;
    const relevant = events.filter((e) => e.resourceType === 'reservation');
    for (const event of relevant) this.#queue = this.#queue.then(() => this.#handle(event));
  }

  async #handle(event: TaskRouterEvent): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.engine().handle(event);
        return;
      } catch (error) {
        if (attempt === ATTEMPTS) {
          this.logger.error('lifecycle failed an event', { eventSid: event.sid, eventType: event.type, error: (error as Error).message });
          return;
        }
        await this.wait(50 * 2 ** attempt);
      }
    }
  }

  /** Resolves once every event handed over is handled, those its handling led to included. */
  async idle(): Promise<void> {
    let queue: Promise<void>;
    do {
      queue = this.#queue;
      await queue;
    } while (queue !== this.#queue);
  }
}
