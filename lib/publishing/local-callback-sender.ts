/**
 * EVENT_CALLBACK_URL for the local stack: each event is POSTed from this process, off the
 * request path, and retried with exponential backoff for over an hour; then it is parked, with a
 * log line an operator can find (`event callback parked`). Deployed, an SQS queue does this
 * (functions/publish-event-callbacks.ts). Deliveries are independent: no order is promised, and a receiver
 * may see an event twice (at-least-once); `Sid` identifies it.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { EventType, TaskRouterEvent } from '../domain/events.ts';
import type { Telemetry } from '../telemetry/telemetry.ts';
import { callbackForm, postCallback, sendsEvent, signedCallback, type DeliveryResult, type SignedCallback } from './callback-request.ts';
import type { EventSink } from './ports.ts';

/** 1 s, 2 s, 4 s … doubling up to 5 minutes: 21 retries, 63 minutes in all, before an event is parked. */
export const RETRY_DELAYS_MS: readonly number[] = (() => {
  const delays: number[] = [];
  for (let delay = 1000, total = 0; total < 3_600_000; delay = Math.min(delay * 2, 300_000)) {
    delays.push(delay);
    total += delay;
  }
  return delays;
})();

/** Deliveries in flight at once: a burst of events does not open hundreds of connections. */
const CONCURRENCY = 8;

export interface LocalCallbackSenderOptions {
  readonly url: string;
  readonly filter: readonly EventType[] | undefined;
  /** The auth token of the event's account, which signs its callbacks. */
  readonly tokenOf: (accountSid: string) => Promise<string | undefined>;
  readonly logger: Logger;
  /** Deliveries counted by outcome: delivered, retried (a failed attempt tried again), parked. */
  readonly telemetry: Telemetry;
  /** Waits between attempts; tests pass one that moves a fake clock instead of sleeping. */
  readonly wait?: (ms: number) => Promise<void>;
  readonly post?: (request: SignedCallback) => Promise<DeliveryResult>;
}

export interface ParkedEvent {
  readonly sid: string;
  readonly type: EventType;
  readonly attempts: number;
  readonly reason: string;
}

export class LocalCallbackSender implements EventSink {
  readonly name = 'event callbacks';
  /** Events given up on after every retry, for the operator (and the tests). */
  readonly parked: ParkedEvent[] = [];
  readonly #options: LocalCallbackSenderOptions;
  readonly #wait: (ms: number) => Promise<void>;
  readonly #post: (request: SignedCallback) => Promise<DeliveryResult>;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #waiting: (() => void)[] = [];
  #running = 0;
  #closed = false;

  constructor(options: LocalCallbackSenderOptions) {
    this.#options = options;
    this.#wait = options.wait ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()));
    this.#post = options.post ?? ((request) => postCallback(request));
  }

  /** Queues the events for delivery and returns at once: a slow receiver never slows a request. */
  async deliver(events: readonly TaskRouterEvent[]): Promise<void> {
    for (const event of events) {
      if (this.#closed || !sendsEvent(this.#options.filter, event)) continue;
      const delivery = this.#deliver(event).finally(() => this.#inFlight.delete(delivery));
      this.#inFlight.add(delivery);
    }
  }

  /** Resolves when every delivery under way has succeeded or been parked. */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  /** Stops: no new attempt starts (pending events are not delivered). */
  close(): void {
    this.#closed = true;
    for (const wake of this.#waiting.splice(0)) wake();
  }

  async #slot<T>(work: () => Promise<T>): Promise<T> {
    while (this.#running >= CONCURRENCY) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#running++;
    try {
      return await work();
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }

  async #deliver(event: TaskRouterEvent): Promise<void> {
    const { logger, telemetry } = this.#options;
    let reason = '';
    for (let attempt = 1; attempt <= RETRY_DELAYS_MS.length + 1; attempt++) {
      if (this.#closed) return;
      const token = await this.#options.tokenOf(event.accountSid);
      if (token === undefined) {
        logger.error('event callback parked', { eventSid: event.sid, eventType: event.type, attempts: 0, reason: 'no auth token for the event’s account' });
        telemetry.count('eventDeliveries', 'parked');
        this.parked.push({ sid: event.sid, type: event.type, attempts: 0, reason: 'no auth token' });
        return;
      }
      const result = await this.#slot(() => this.#post(signedCallback(this.#options.url, token, callbackForm(event))));
      if (result.ok) {
        telemetry.count('eventDeliveries', 'delivered');
        if (attempt > 1) logger.info('event callback delivered after retries', { eventSid: event.sid, eventType: event.type, attempts: attempt });
        return;
      }
      reason = result.reason;
      if (attempt === 1) logger.warn('event callback failed; retrying with backoff', { eventSid: event.sid, eventType: event.type, reason });
      if (attempt <= RETRY_DELAYS_MS.length) {
        telemetry.count('eventDeliveries', 'retried');
        await this.#wait(RETRY_DELAYS_MS[attempt - 1]!);
      }
    }
    const attempts = RETRY_DELAYS_MS.length + 1;
    logger.error('event callback parked', { eventSid: event.sid, eventType: event.type, attempts, reason });
    telemetry.count('eventDeliveries', 'parked');
    this.parked.push({ sid: event.sid, type: event.type, attempts, reason });
  }
}
