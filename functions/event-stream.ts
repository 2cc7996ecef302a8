/**
 * The table's DynamoDB Stream (deployed): for each write to a task item, its TaskRouter events
 * are stored, their callbacks queued and they are put on the EventBridge bus (SPEC §11), the same
 * code that follows a write in-process locally (lib/taskrouter-events/event-recorder.ts). A record
 * that fails is reported alone (partial batch response) and retried; its events are the same
 * every time, so a retry stores nothing twice (receivers may see a callback twice).
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import middy from '@middy/core';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { lambdaHandler } from '#lib/http/api-function.ts';
import { LOG_CONTEXT } from '#lib/logging.ts';
import type { Runtime } from '#lib/runtime.ts';
import { TASK_PREFIX } from '#lib/store/table.ts';
import { decodeTask } from '#lib/store/task-item.ts';

export const eventStream = {
  name: 'event-stream' as const,
  createHandler(runtime: Runtime) {
    const { logger } = runtime;
    const processor = new BatchProcessor(EventType.DynamoDBStreams);
    const record = async (streamRecord: DynamoDBRecord): Promise<number> => {
      const image = streamRecord.dynamodb?.NewImage;
      // A removal (TTL) has no new image, and only task items have events (the event source filters the rest out too).
      if (!image) return 0;
      const item = unmarshall(image as Record<string, AttributeValue>);
      if (typeof item['pk'] !== 'string' || !item['pk'].startsWith(TASK_PREFIX)) return 0;
      return (await runtime.events.written(decodeTask(item))).length;
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

export const handler = await lambdaHandler(eventStream);
