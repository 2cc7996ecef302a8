/**
 * EVENT_CALLBACK_URL, deployed: the stream reader queues each event for delivery (SQS), and
 * callback-delivery.ts POSTs it, with retries spaced out by the queue, then a dead-letter queue an
 * alarm watches. SendMessageBatch takes 10 messages a call and can fail per message:
 * only the failed ones are sent again.
 */
import { ChangeMessageVisibilityCommand, SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import type { EventType, TaskRouterEvent } from '../domain/events.ts';
import { sendsEvent } from './callback-request.ts';
import type { QueuedCallback, RetryLater } from './callback-delivery.ts';
import type { EventSink } from './ports.ts';

const MESSAGES_PER_CALL = 10;

/** Seconds a failed delivery waits before its next attempt, by how often it was received. */
export function retryDelaySeconds(receiveCount: number): number {
  return Math.min(10 * 2 ** Math.max(0, receiveCount - 1), 900);
}

/** Receives before the dead-letter queue: the retries (10 s, 20 s, … then 15 minutes) span over an hour. */
export const MAX_RECEIVES = 11;
const ATTEMPTS = 4;

/** What a delivery message carries: the event itself (the delivery function signs it with its account's token). */
export interface DeliveryMessage {
  readonly event: TaskRouterEvent;
}

export function parseDeliveryMessage(body: string): DeliveryMessage | undefined {
  try {
    const message = JSON.parse(body) as Partial<DeliveryMessage>;
    const event = message.event as TaskRouterEvent | undefined;
    return typeof event?.sid === 'string' && typeof event.accountSid === 'string' && typeof event.type === 'string' ? { event } : undefined;
  } catch {
    return undefined;
  }
}

export class SqsCallbackQueue implements EventSink {
  readonly name = 'event callbacks (queued)';

  constructor(
    private readonly client: Pick<SQSClient, 'send'>,
    private readonly queueUrl: string,
    private readonly filter: readonly EventType[] | undefined,
    private readonly wait: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  async deliver(events: readonly TaskRouterEvent[]): Promise<void> {
    const sent = events.filter((e) => sendsEvent(this.filter, e));
    for (let i = 0; i < sent.length; i += MESSAGES_PER_CALL) {
      let entries: SendMessageBatchRequestEntry[] = sent
        .slice(i, i + MESSAGES_PER_CALL)
        .map((event, k) => ({ Id: String(k), MessageBody: JSON.stringify({ event } satisfies DeliveryMessage) }));
      for (let attempt = 1; entries.length > 0; attempt++) {
        if (attempt > ATTEMPTS) throw new Error(`SQS refused ${entries.length} event callback(s) after ${ATTEMPTS} attempts`);
        if (attempt > 1) await this.wait(100 * 2 ** attempt);
        const { Failed = [] } = await this.client.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
        const failed = new Set(Failed.map((f) => f.Id));
        entries = entries.filter((entry) => failed.has(entry.Id));
      }
    }
  }
}

/** A failed delivery's message hidden for a while, so the queue hands it over again later (ChangeMessageVisibility). */
export class SqsRetryLater implements RetryLater {
  constructor(
    private readonly client: Pick<SQSClient, 'send'>,
    private readonly queueUrl: string,
  ) {}

  async later(message: QueuedCallback, seconds: number): Promise<void> {
    await this.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.queueUrl, ReceiptHandle: message.receipt, VisibilityTimeout: seconds }));
  }
}
