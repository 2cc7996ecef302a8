/**
 * The CloudEvent marks' adapter (connected mode, Event Streams): one marker item per CloudEvent
 * `id` already applied, keyed by account and workspace, kept two days by TTL.
 *
 *   cloud event   pk CLOUDEVENT#<AC>#<WS>#<id>   sk CLOUDEVENT
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CloudEventMark, CloudEventMarks } from '../upstream/ports.ts';
import { conditionalWrite } from './conditional-write.ts';
import { Expression } from './expression.ts';
import { send } from './send.ts';
import { TABLE, cloudEventKey } from './table.ts';

/**
 * Longer than any redelivery: Twilio retries for up to 4 hours, the stream keeps records 24 hours,
 * and the event source gives up on a record an hour old. TTL only tidies; a marker is honoured
 * until it is gone.
 */
export const MARK_RETENTION_SECONDS = 2 * 86_400;

export interface CloudEventItemsSettings {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

export class CloudEventItems implements CloudEventMarks {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(settings: CloudEventItemsSettings) {
    this.#client = settings.client;
    this.#table = settings.tableName;
  }

  async applied(mark: CloudEventMark): Promise<boolean> {
    const { Item } = await send<{ Item?: Record<string, unknown> }>(
      this.#client,
      new GetCommand({ TableName: this.#table, Key: cloudEventKey(mark), ConsistentRead: true, ProjectionExpression: TABLE.partitionKey }),
    );
    return Item !== undefined;
  }

  async markApplied(mark: CloudEventMark, now: number): Promise<void> {
    const e = new Expression();
    await conditionalWrite(
      this.#client,
      new PutCommand({
        TableName: this.#table,
        Item: { ...cloudEventKey(mark), appliedAt: now, [TABLE.ttlAttribute]: Math.floor(now / 1000) + MARK_RETENTION_SECONDS },
        ConditionExpression: `attribute_not_exists(${e.name(TABLE.partitionKey)})`,
        ...e.params,
      }),
      { stored: false },
    );
  }
}
