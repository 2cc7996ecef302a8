/**
 * Every task item, page by page, with a Scan: for the local stack's start-up sweep over data it
 * finds (a DATA_DIR, or DYNAMODB_ENDPOINT), never for a deployed table (no function is granted
 * Scan, and nothing in functions/ imports this).
 */
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TaskRecord } from '../domain/task.ts';
import { Expression } from './expression.ts';
import { send } from './send.ts';
import { TABLE, TASK_PREFIX } from './table.ts';
import { decodeTask } from './task-codec.ts';

export async function* scanTasks(client: DynamoDBDocumentClient, tableName: string): AsyncIterable<readonly TaskRecord[]> {
  let start: Record<string, unknown> | undefined;
  do {
    const e = new Expression();
    const page: { Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> } = await send(
      client,
      new ScanCommand({
        TableName: tableName,
        FilterExpression: `begins_with(${e.name(TABLE.partitionKey)}, ${e.value(TASK_PREFIX)})`,
        ConsistentRead: true,
        ...(start && { ExclusiveStartKey: start }),
        ...e.params,
      }),
    );
    yield (page.Items ?? []).map(decodeTask);
    start = page.LastEvaluatedKey;
  } while (start);
}
