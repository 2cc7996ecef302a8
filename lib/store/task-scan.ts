/**
 * Every task item (and every worker change still on its worker's item), page by page, with a Scan: for the local stack's start-up sweep over data it
 * finds (a DATA_DIR, or DYNAMODB_ENDPOINT), never for a deployed table (no function is granted
 * Scan, and nothing in functions/ imports this).
 */
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TaskRecord } from '../domain/task.ts';
import { Expression } from './expression.ts';
import { send } from './send.ts';
import { TABLE, TASK_PREFIX } from './table.ts';
import { decodeTask } from './task-codec.ts';
import type { WorkerChange } from '../domain/events.ts';
import { decodeWorkerChange } from './worker-items.ts';

export async function* scanTasks(client: DynamoDBDocumentClient, tableName: string): AsyncIterable<readonly TaskRecord[]> {
  for await (const items of scan(client, tableName, (e) => `begins_with(${e.name(TABLE.partitionKey)}, ${e.value(TASK_PREFIX)})`)) {
    yield items.map(decodeTask);
  }
}

/** The last change of every worker whose item still carries one (its events may not have been stored). */
export async function* scanWorkerChanges(client: DynamoDBDocumentClient, tableName: string): AsyncIterable<readonly WorkerChange[]> {
  for await (const items of scan(client, tableName, (e) => `attribute_exists(${e.name('change')})`)) {
    yield items.flatMap((item) => decodeWorkerChange(item) ?? []);
  }
}

async function* scan(client: DynamoDBDocumentClient, tableName: string, filter: (e: Expression) => string): AsyncIterable<Record<string, unknown>[]> {
  let start: Record<string, unknown> | undefined;
  do {
    const e = new Expression();
    const page: { Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> } = await send(
      client,
      new ScanCommand({
        TableName: tableName,
        FilterExpression: filter(e),
        ConsistentRead: true,
        ...(start && { ExclusiveStartKey: start }),
        ...e.params,
      }),
    );
    yield page.Items ?? [];
    start = page.LastEvaluatedKey;
  } while (start);
}
