/**
 * The table's DynamoDB Stream (deployed): for each write to a task item, its TaskRouter events are
 * stored, their callbacks queued and they are put on the EventBridge bus (lib/publishing/
 * event-recorder.ts, the same code that follows a write in-process locally). A record that fails
 * is reported alone and retried; its events are the same every time, so a retry stores nothing
 * twice (receivers may see a callback twice).
 */
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { eventFunction, processRecords } from '#lib/handlers/event-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';
import { decodeStreamImage } from '#lib/store/task-codec.ts';

export const publishEvents = eventFunction('publish-events', async (event: DynamoDBStreamEvent, runtime, context) => {
  const { response, counts } = await processRecords('dynamodb-stream', event, context, async (record) => {
    // Only task items have events (the event source filters the rest out too); a removal (TTL) has no new image.
    const task = decodeStreamImage(record.dynamodb?.NewImage);
    if (task) return (await runtime.recorder.written(task)).map(() => 'event');
    return undefined;
  });
  runtime.logger.info('task writes read', { records: event.Records.length, failed: response.batchItemFailures.length, events: counts['event'] ?? 0 });
  return response;
});

export const handler = await lambdaHandler(publishEvents);
