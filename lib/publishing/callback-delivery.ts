/**
 * EVENT_CALLBACK_URL, deployed: one queued event POSTed, signed with its account's auth token, as
 * TaskRouter POSTs to a Workspace's EventCallbackUrl. A delivery that fails is hidden for longer
 * each time (10 s, doubling, up to 15 minutes) and tried again; after over an hour of that the
 * queue's redrive policy parks it in the dead-letter queue, where an alarm sees it. A slow or
 * failing receiver never touches a reservation request.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Telemetry } from '../telemetry/telemetry.ts';
import { callbackForm, signedCallback, type DeliveryResult, type SignedCallback } from './callback-request.ts';
import { MAX_RECEIVES, parseDeliveryMessage, retryDelaySeconds } from './sqs-callback-queue.ts';

/** A delivery message as the queue hands it over. */
export interface QueuedCallback {
  readonly messageId: string;
  readonly body: string;
  /** How often the queue has handed it over, this time included. */
  readonly receiveCount: number;
  /** What the queue needs to hide it again. */
  readonly receipt: string;
}

/** The queue's side of a retry: hide the message this long before it is handed over again. */
export interface RetryLater {
  later(message: QueuedCallback, seconds: number): Promise<void>;
}

export interface CallbackDeliveryOptions {
  /** Unset: nothing is queued any more; a message left from before has nowhere to go. */
  readonly url: string | undefined;
  readonly tokenOf: (accountSid: string) => Promise<string | undefined>;
  readonly post: (request: SignedCallback) => Promise<DeliveryResult>;
  readonly retry: RetryLater;
  readonly logger: Logger;
  /** Deliveries counted by outcome: delivered, retried, parked (the queue's last receive failed), dropped. */
  readonly telemetry: Telemetry;
}

export class CallbackDelivery {
  constructor(private readonly options: CallbackDeliveryOptions) {}

  /** Delivers one message; throws when it must be handed over again (the queue retries it). */
  async deliver(message: QueuedCallback): Promise<'delivered' | 'dropped'> {
    const { url, tokenOf, post, retry, logger, telemetry } = this.options;
    const parsed = parseDeliveryMessage(message.body);
    if (!parsed) {
      // Retrying would not mend it: dropped, and said so.
      logger.error('delivery message names no event', { messageId: message.messageId });
      telemetry.count('eventDeliveries', 'dropped');
      return 'dropped';
    }
    const { event } = parsed;
    if (url === undefined) {
      logger.warn('event callback dropped: EVENT_CALLBACK_URL is not set', { eventSid: event.sid, eventType: event.type });
      telemetry.count('eventDeliveries', 'dropped');
      return 'dropped';
    }
    const receives = message.receiveCount;
    // Thrown, the message is handed over again; after the last receive the queue parks it.
    const failed = () => telemetry.count('eventDeliveries', receives >= MAX_RECEIVES ? 'parked' : 'retried');
    const token = await tokenOf(event.accountSid);
    if (token === undefined) {
      failed();
      throw new Error(`no auth token for account ${event.accountSid}: the message waits for the secret to name it`);
    }
    const result = await post(signedCallback(url, token, callbackForm(event)));
    if (result.ok) {
      telemetry.count('eventDeliveries', 'delivered');
      return 'delivered';
    }
    logger.warn('event callback failed', {
      eventSid: event.sid,
      eventType: event.type,
      reason: result.reason,
      receives,
      lastAttempt: receives >= MAX_RECEIVES,
    });
    failed();
    await retry.later(message, retryDelaySeconds(receives));
    throw new Error(`event callback ${event.sid} failed: ${result.reason}`);
  }
}
