/**
 * The table's DynamoDB Stream (deployed): for each write to a task item, and each change of a
 * worker (a Worker update, a lifecycle rule's move), its TaskRouter events are
 * stored, their callbacks queued and they are put on the EventBridge bus (lib/publishing/
 * event-recorder.ts, the same code that follows a write in-process locally). A record that fails
 * is reported alone and retried; its events are the same every time, so a retry stores nothing
 * twice (receivers may see a callback twice).
 */
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { eventFunction, processRecords } from '#lib/handlers/event-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';
import { decodeStreamImage } from '#lib/store/task-codec.ts';
import { decodeWorkerStreamImage } from '#lib/store/worker-items.ts';

export const publishEvents = eventFunction('publish-events', async (event: DynamoDBStreamEvent, runtime, context) => {
  const { response, counts } = await processRecords('dynamodb-stream', event, context, async (record) => {
    // Only task items and workers' own items have events (the event source filters the rest out
    // too); a removal (TTL) has no new image, and a worker write without a change none either.
    const image = record.dynamodb?.NewImage as Record<string, unknown> | undefined;
    const task = decodeStreamImage(image);
    if (task) return (await runtime.recorder.written(task)).map(() => 'event');
    const change = decodeWorkerStreamImage(image);
    if (change) return (await runtime.recorder.workerChanged(change)).map(() => 'event');
    return undefined;
  });
  runtime.logger.info('task and worker writes read', {
    records: event.Records.length,
    failed: response.batchItemFailures.length,
    events: counts['event'] ?? 0,
  });
  return response;
});

export const handler = await lambdaHandler(publishEvents);
