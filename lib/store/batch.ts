/**
 * Batch reads and writes with DynamoDB's limits kept in one place: at most 100 keys a
 * BatchGetItem and 25 items a BatchWriteItem, and what a call left unprocessed (the store sheds
 * load item by item) sent again with backoff, a few times, before the request is a 503.
 */
import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ServiceUnavailableError } from '../domain/errors.ts';
import type { Item } from './conditional-write.ts';
import { send } from './send.ts';

export const BATCH_GET_LIMIT = 100;
export const BATCH_WRITE_LIMIT = 25;
/** Calls of one batch before it is given up: 20 ms, 40 ms, … 640 ms between them. */
const ATTEMPTS = 6;

const backoff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));

export interface BatchGetOptions {
  /** Only these attributes (names, not placeholders: the helper makes them). */
  readonly attributes?: readonly string[];
}

/** The items of these keys that exist, strongly consistent, in no particular order. */
export async function batchGet(client: DynamoDBDocumentClient, tableName: string, keys: readonly Item[], options: BatchGetOptions = {}): Promise<Item[]> {
  const found: Item[] = [];
  const projection =
    options.attributes && options.attributes.length > 0
      ? {
          ProjectionExpression: options.attributes.map((_, i) => `#p${i}`).join(', '),
          ExpressionAttributeNames: Object.fromEntries(options.attributes.map((name, i) => [`#p${i}`, name])),
        }
      : {};
  for (let i = 0; i < keys.length; i += BATCH_GET_LIMIT) {
    let pending: Item[] | undefined = keys.slice(i, i + BATCH_GET_LIMIT);
    for (let attempt = 0; pending && pending.length > 0; attempt++) {
      if (attempt >= ATTEMPTS) throw new ServiceUnavailableError(1);
      if (attempt > 0) await backoff(attempt);
      const result: { Responses?: Record<string, Item[]>; UnprocessedKeys?: Record<string, { Keys?: Item[] }> } = await send(
        client,
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true, ...projection } } }),
      );
      found.push(...(result.Responses?.[tableName] ?? []));
      pending = result.UnprocessedKeys?.[tableName]?.Keys;
    }
  }
  return found;
}

/**
 * One request of a BatchWriteItem: an item put whole, or the item of a key (`pk`, `sk` only)
 * deleted. Neither takes a condition (BatchWriteItem has none), and one call may not hold two
 * requests of one key.
 */
export type TableWrite = { readonly put: Item } | { readonly delete: Item };

/** Makes every write (puts and deletes of distinct keys), 25 a call. */
export async function batchWrite(client: DynamoDBDocumentClient, tableName: string, writes: readonly TableWrite[]): Promise<void> {
  for (let i = 0; i < writes.length; i += BATCH_WRITE_LIMIT) {
    let pending: Item[] | undefined = writes
      .slice(i, i + BATCH_WRITE_LIMIT)
      .map((w) => ('put' in w ? { PutRequest: { Item: w.put } } : { DeleteRequest: { Key: w.delete } }));
    for (let attempt = 0; pending && pending.length > 0; attempt++) {
      if (attempt >= ATTEMPTS) throw new ServiceUnavailableError(1);
      if (attempt > 0) await backoff(attempt);
      const result: { UnprocessedItems?: Record<string, Item[]> } = await send(client, new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
      pending = result.UnprocessedItems?.[tableName];
    }
  }
}
