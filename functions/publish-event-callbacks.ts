/**
 * The event callbacks' queue (deployed): each message is one event, POSTed to EVENT_CALLBACK_URL
 * in TaskRouter's form format and signed with its account's auth token (SPEC §11). A delivery that
 * fails is hidden for longer each time (10 s, doubling, up to 15 minutes) and tried again; after
 * over an hour of that the queue's redrive policy parks it in the dead-letter queue, where an
 * alarm sees it. A slow or failing receiver never touches a reservation request.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { ConfigError } from '#lib/config.ts';
import { lambdaHandler } from '#lib/http/api-function.ts';
import { LOG_CONTEXT } from '#lib/logging.ts';
import type { Runtime } from '#lib/runtime.ts';
import { callbackForm, postCallback, signedCallback, type DeliveryResult, type SignedCallback } from '#lib/publishing/callback-request.ts';
import { MAX_RECEIVES, parseDeliveryMessage, retryDelaySeconds } from '#lib/publishing/sqs-callback-queue.ts';

export interface EventDeliveryParts {
  readonly sqs?: Pick<SQSClient, 'send'>;
  readonly post?: (request: SignedCallback) => Promise<DeliveryResult>;
}

export const publishEventCallbacks = {
  name: 'publish-event-callbacks' as const,
  createHandler(runtime: Runtime, parts: EventDeliveryParts = {}) {
    const { logger, config } = runtime;
    const url = config.eventCallbackUrl;
    const queueUrl = config.eventDeliveryQueueUrl;
    if (queueUrl === undefined && parts.sqs === undefined)
      throw new ConfigError('EVENT_DELIVERY_QUEUE_URL', 'is required by the publish-event-callbacks function (the stack sets it)');
    const sqs = parts.sqs ?? new SQSClient({});
    const post = parts.post ?? ((request: SignedCallback) => postCallback(request));
    const processor = new BatchProcessor(EventType.SQS);
    const record = async (message: SQSRecord): Promise<void> => {
      const parsed = parseDeliveryMessage(message.body);
      if (!parsed) {
        // Retrying would not mend it: dropped, and said so.
        logger.error('delivery message names no event', { messageId: message.messageId });
        return;
      }
      const { event } = parsed;
      // Without EVENT_CALLBACK_URL nothing is queued; a message left from before it was unset has nowhere to go.
      if (url === undefined) {
        logger.warn('event callback dropped: EVENT_CALLBACK_URL is not set', { eventSid: event.sid, eventType: event.type });
        return;
      }
      const token = await runtime.credentials.authToken(event.accountSid);
      if (token === undefined) throw new Error(`no auth token for account ${event.accountSid}: the message waits for the secret to name it`);
      const result = await post(signedCallback(url, token, callbackForm(event)));
      if (result.ok) return;
      const receives = Number(message.attributes.ApproximateReceiveCount ?? '1');
      logger.warn('event callback failed', {
        eventSid: event.sid,
        eventType: event.type,
        reason: result.reason,
        receives,
        lastAttempt: receives >= MAX_RECEIVES,
      });
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl ?? message.eventSourceARN,
          ReceiptHandle: message.receiptHandle,
          VisibilityTimeout: retryDelaySeconds(receives),
        }),
      );
      throw new Error(`event callback ${event.sid} failed: ${result.reason}`);
    };
    return middy<SQSEvent, unknown>()
      .use(injectLambdaContext(logger, LOG_CONTEXT))
      .handler((event, context) => processPartialResponse(event, record, processor, { context, throwOnFullBatchFailure: false }));
  },
};

export const handler = await lambdaHandler(publishEventCallbacks);
