/**
 * The single table: keys, the worker index and TTL, declared once for the local engines (which
 * create it from `createTableInput`) and for the CDK stack (infra/).
 *
 *   task          pk TASK#<WT>    sk TASK                 the task and all its reservations (R_<WR>)
 *   worker link   pk WORKER#<WK>  sk RESERVATION#<WR>     listKey <created>#<WR>: a worker's reservations
 *   activity      pk WORKER#<WK>  sk ACTIVITY             the worker's last activity change
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Local secondary index: a worker's reservations in list order, strongly consistent. */
  workerIndex: { name: 'workerReservations', sortKey: 'listKey' },
  /** Epoch seconds; DynamoDB TTL deletes the item some time after (cleanup, never correctness). */
  ttlAttribute: 'expiresAt',
} as const;

export const taskKey = (taskSid: string) => ({ pk: `TASK#${taskSid}`, sk: 'TASK' });
export const workerLinkKey = (workerSid: string, reservationSid: string) => ({ pk: `WORKER#${workerSid}`, sk: `RESERVATION#${reservationSid}` });
export const activityKey = (workerSid: string) => ({ pk: `WORKER#${workerSid}`, sk: 'ACTIVITY' });
export const workerPartition = (workerSid: string) => `WORKER#${workerSid}`;

/** Attribute of the task item that holds one reservation. */
export const reservationAttribute = (reservationSid: string) => `R_${reservationSid}`;

export function createTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: TABLE.partitionKey, AttributeType: 'S' },
      { AttributeName: TABLE.sortKey, AttributeType: 'S' },
      { AttributeName: TABLE.workerIndex.sortKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
    ],
    LocalSecondaryIndexes: [
      {
        IndexName: TABLE.workerIndex.name,
        KeySchema: [
          { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE.workerIndex.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}
