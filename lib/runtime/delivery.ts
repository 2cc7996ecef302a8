/**
 * The runtime's delivery of events beyond the store: the event callbacks (queued and delivered
 * deployed, sent from the process locally) and the EventBridge bus. Loaded only where the
 * configuration or the function's binds say events leave that way (subsystems.ts).
 */
export { EventBridgeClient } from '@aws-sdk/client-eventbridge';
export { SQSClient } from '@aws-sdk/client-sqs';
export { CallbackDelivery } from '../publishing/callback-delivery.ts';
export { postCallback } from '../publishing/callback-request.ts';
export { EventBridgePublisher } from '../publishing/eventbridge-publisher.ts';
export { LocalCallbackSender } from '../publishing/local-callback-sender.ts';
export { SqsCallbackQueue, SqsRetryLater } from '../publishing/sqs-callback-queue.ts';
