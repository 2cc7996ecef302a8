/**
 * Store calls as the SDK sends them, recorded by a middleware on the DynamoDB client (after the
 * document client has marshalled them): counted per operation against its budget (bench/run.ts),
 * and replayed bare for the in-process floor.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface StoreCall {
  /** e.g. UpdateItemCommand. */
  readonly command: string;
  /** The low-level (marshalled) input. */
  readonly input: Record<string, unknown>;
}

/**
 * Sends each call to `sink` while `recording()` says so. When it does not, the middleware copies
 * nothing: the handler being timed pays only for the check.
 */
export function recordStoreCalls(client: DynamoDBDocumentClient, recording: () => boolean, sink: (call: StoreCall) => void): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (recording()) sink({ command: context.commandName ?? 'unknown', input: structuredClone(args.input) as Record<string, unknown> });
      return next(args);
    },
    { step: 'serialize', priority: 'low', name: 'benchStoreCallRecorder' },
  );
}

/** The rows of the local stack's store calls (events stored in the request) end in this. */
export const LOCAL_SUFFIX = ', local (events in the request)';

const WRITES = new Set(['UpdateItemCommand', 'PutItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand']);
const QUERIES = new Set(['QueryCommand']);
const BATCH_READS = new Set(['BatchGetItemCommand']);

export interface CallCount {
  readonly writes: number;
  readonly reads: number;
  readonly queries: number;
  readonly batchReads: number;
}

export function countCalls(calls: readonly StoreCall[]): CallCount {
  let writes = 0;
  let reads = 0;
  let queries = 0;
  let batchReads = 0;
  for (const { command } of calls) {
    if (WRITES.has(command)) writes++;
    else if (QUERIES.has(command)) queries++;
    else if (BATCH_READS.has(command)) batchReads++;
    else reads++;
  }
  return { writes, reads, queries, batchReads };
}

/** The SIDs a recorded operation names: swapped for another reservation's to replay it. */
export interface OperationSids {
  readonly workspace: string;
  readonly task: string;
  readonly worker: string;
  readonly reservation: string;
}

/** A call recorded for the reservation `from`, made again for the reservation `to`. */
export function withSids(call: StoreCall, from: OperationSids, to: OperationSids): StoreCall {
  let json = JSON.stringify(call.input);
  for (const key of ['workspace', 'task', 'worker', 'reservation'] as const) json = json.replaceAll(from[key], to[key]);
  return { command: call.command, input: JSON.parse(json) as Record<string, unknown> };
}
