/**
 * The event callbacks' queue (deployed): each message is one event, POSTed to EVENT_CALLBACK_URL
 * in TaskRouter's form and signed (lib/publishing/callback-delivery.ts); a failed one is handed
 * over again later by the queue, and parked in its dead-letter queue after over an hour.
 */
import type { SQSEvent } from 'aws-lambda';
import { eventFunction, processRecords } from '#lib/handlers/event-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';

export const publishEventCallbacks = eventFunction('publish-event-callbacks', async (event: SQSEvent, runtime, context) => {
  const { response } = await processRecords('sqs', event, context, (message) =>
    runtime.callbackDelivery.deliver({
      messageId: message.messageId,
      body: message.body,
      receiveCount: Number(message.attributes.ApproximateReceiveCount ?? '1'),
      receipt: message.receiptHandle,
    }),
  );
  return response;
});

export const handler = await lambdaHandler(publishEventCallbacks);
