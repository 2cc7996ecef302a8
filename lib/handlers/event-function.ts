/**
 * The functions not behind the HTTP API (a timer's target, a schedule's, the readers of the
 * table's stream, of a queue and of Kinesis), wired the same way: what the function binds is
 * built first (runtime.prepare: a configuration it lacks stops it, naming the variable), then
 * middy with the Lambda context in the logs. A reader of records processes each alone and answers
 * with the failed ones (Powertools' partial batch response), so one bad record is retried alone.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, DynamoDBRecord, KinesisStreamRecord, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { bindsOf, type FunctionName } from '../functions.ts';
import { LOG_CONTEXT } from '../logging.ts';
import type { Runtime } from '../runtime.ts';
import { instrumentation } from './instrumentation.ts';
import type { LambdaFunction } from './lambda-handler.ts';

export function eventFunction<E, R>(name: FunctionName, implementation: (event: E, runtime: Runtime, context: Context) => Promise<R>): LambdaFunction<E, R> {
  return {
    name,
    createHandler(runtime) {
      runtime.prepare(bindsOf(name));
      return middy<E, R>()
        .use(injectLambdaContext(runtime.logger, LOG_CONTEXT))
        .use(instrumentation(runtime))
        .handler((event, context) => implementation(event, runtime, context));
    },
  };
}

const RECORD_TYPES = { sqs: EventType.SQS, 'dynamodb-stream': EventType.DynamoDBStreams, kinesis: EventType.KinesisDataStreams } as const;

interface RecordOf {
  readonly sqs: SQSRecord;
  readonly 'dynamodb-stream': DynamoDBRecord;
  readonly kinesis: KinesisStreamRecord;
}

export interface ProcessedBatch {
  readonly response: SQSBatchResponse;
  /** How many records (or the events in them) ended each way, as the processor named them. */
  readonly counts: Readonly<Record<string, number>>;
}

/**
 * Each record of a batch through `process`, in parallel or, `inOrder`, one at a time in the
 * stream's order. A record whose processing throws is reported failed; what `process` returns
 * (an outcome's name, or several) is counted.
 */
export async function processRecords<K extends keyof RecordOf>(
  kind: K,
  event: { readonly Records: readonly RecordOf[K][] },
  context: Context,
  process: (record: RecordOf[K]) => Promise<string | readonly string[] | undefined>,
  options: { readonly inOrder?: boolean } = {},
): Promise<ProcessedBatch> {
  const counts: Record<string, number> = {};
  const handle = async (record: RecordOf[K]) => {
    const outcome = await process(record);
    for (const name of outcome === undefined ? [] : typeof outcome === 'string' ? [outcome] : outcome) counts[name] = (counts[name] ?? 0) + 1;
  };
  const response = await processPartialResponse(event as never, handle as never, new BatchProcessor(RECORD_TYPES[kind]), {
    context,
    throwOnFullBatchFailure: false,
    ...(options.inOrder && { processInParallel: false }),
  });
  return { response, counts };
}
