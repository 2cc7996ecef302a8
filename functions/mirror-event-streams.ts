/**
 * Connected mode, deployed with `-c eventStreams=true`: the Kinesis stream Twilio Event Streams
 * writes the upstream TaskRouter's events to, read in order, each record's CloudEvents applied by
 * the same mirror as POST /event-callback (lib/upstream/mirror-event-streams.ts). A record whose
 * apply failed in the store is reported alone and retried; what can never apply is logged and
 * skipped. Standalone, there is no upstream to mirror.
 */
import type { KinesisStreamEvent } from 'aws-lambda';
import { eventFunction, processRecords } from '#lib/handlers/event-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';

export const mirrorEventStreams = eventFunction('mirror-event-streams', async (event: KinesisStreamEvent, runtime, context) => {
  const upstream = runtime.upstream;
  if (!upstream) {
    runtime.logger.warn('event streams: not connected (TASKROUTER_UPSTREAM_URL unset), nothing applied', { records: event.Records.length });
    return { standalone: true } as const;
  }
  // One at a time, in the shard's order: a duplicate later in the batch finds the first one's marker.
  const { response, counts } = await processRecords(
    'kinesis',
    event,
    context,
    (record) => upstream.eventStreams.consume(record.kinesis.data, record.kinesis.sequenceNumber),
    { inOrder: true },
  );
  runtime.logger.info('cloud events read', { records: event.Records.length, failed: response.batchItemFailures.length, ...counts });
  return response;
});

export const handler = await lambdaHandler(mirrorEventStreams);
