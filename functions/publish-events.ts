/**
 * The table's DynamoDB Stream (deployed): for each write to a task item, its TaskRouter events
 * are stored, their callbacks queued and they are put on the EventBridge bus (SPEC §11), the same
 * code that follows a write in-process locally (lib/publishing/event-recorder.ts). A record
 * that fails is reported alone (partial batch response) and retried; its events are the same
 * every time, so a retry stores nothing twice (receivers may see a callback twice).
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { lambdaHandler } from '#lib/http/api-function.ts';
import { LOG_CONTEXT } from '#lib/logging.ts';
import type { Runtime } from '#lib/runtime.ts';
import { decodeStreamImage } from '#lib/store/task-codec.ts';

export const publishEvents = {
  name: 'publish-events' as const,
  createHandler(runtime: Runtime) {
    const { logger } = runtime;
    const processor = new BatchProcessor(EventType.DynamoDBStreams);
    const record = async (streamRecord: DynamoDBRecord): Promise<number> => {
      // Only task items have events (the event source filters the rest out too); a removal (TTL) has no new image.
      const task = decodeStreamImage(streamRecord.dynamodb?.NewImage);
      return task ? (await runtime.recorder.written(task)).length : 0;
    };
    return middy<DynamoDBStreamEvent, unknown>()
      .use(injectLambdaContext(logger, LOG_CONTEXT))
      .handler(async (event, context) => {
        const response = await processPartialResponse(event, record, processor, { context, throwOnFullBatchFailure: false });
        logger.info('task writes read', { records: event.Records.length, failed: response.batchItemFailures.length });
        return response;
      });
  },
};

export const handler = await lambdaHandler(publishEvents);
