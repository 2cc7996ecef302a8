/**
 * Connected mode, deployed with `-c eventStreams=true`: the Kinesis stream Twilio Event Streams
 * writes the upstream TaskRouter's events to, read in order, each record's CloudEvents applied
 * by the same mirror as POST /event-callback (lib/upstream/mirror-event-streams.ts). A record
 * whose apply failed in the store is reported alone (partial batch response) and retried; what
 * can never apply is logged and skipped. Standalone, there is no upstream to mirror.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { lambdaHandler } from '#lib/http/api-function.ts';
import { LOG_CONTEXT } from '#lib/logging.ts';
import type { Runtime } from '#lib/runtime.ts';
import type { StreamedOutcome } from '#lib/upstream/mirror-event-streams.ts';

export const mirrorEventStreams = {
  name: 'mirror-event-streams' as const,
  createHandler(runtime: Runtime) {
    const { logger } = runtime;
    const processor = new BatchProcessor(EventType.KinesisDataStreams);
    return middy<KinesisStreamEvent, KinesisStreamBatchResponse | { readonly standalone: true }>()
      .use(injectLambdaContext(logger, LOG_CONTEXT))
      .handler(async (event, context) => {
        const upstream = runtime.upstream;
        if (!upstream) {
          logger.warn('event streams: not connected (TASKROUTER_UPSTREAM_URL unset), nothing applied', { records: event.Records.length });
          return { standalone: true };
        }
        const consumer = upstream.eventStreams;
        const counts: Partial<Record<StreamedOutcome, number>> = {};
        const record = async (streamRecord: KinesisStreamRecord) => {
          for (const outcome of await consumer.consume(streamRecord.kinesis.data, streamRecord.kinesis.sequenceNumber))
            counts[outcome] = (counts[outcome] ?? 0) + 1;
        };
        // One at a time, in the shard's order: a duplicate later in the batch finds the first one's marker.
        const response = await processPartialResponse(event, record, processor, { context, throwOnFullBatchFailure: false, processInParallel: false });
        logger.info('cloud events read', { records: event.Records.length, failed: response.batchItemFailures.length, ...counts });
        return response;
      });
  },
};

export const handler = await lambdaHandler(mirrorEventStreams);
