/**
 * Which Event Streams CloudEvents were applied already: one marker item per CloudEvent `id` in the
 * single table, keyed by account and workspace (lib/store/table.ts), kept two days by TTL.
 *
 * The marker is written after the event is applied, never before: a marker put first and an apply
 * that then failed would make the retry skip an event never applied. So two deliveries racing each
 * other may both apply it, which the mirror tolerates (it is idempotent on state, SPEC §12); what
 * the marker saves is the repeat's writes and events for every redelivery after the first.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Expression } from '../store/expression.ts';
import { sendToStore } from '../store/store-errors.ts';
import { TABLE, cloudEventKey } from '../store/table.ts';

/**
 * Longer than any redelivery: Twilio retries for up to 4 hours, the stream keeps records 24 hours,
 * and the event source gives up on a record an hour old. TTL only tidies; a marker is honoured
 * until it is gone.
 */
export const MARK_RETENTION_SECONDS = 2 * 86_400;

export interface CloudEventMark {
  readonly accountSid: string;
  readonly workspaceSid: string;
  readonly id: string;
}

export class CloudEventMarks {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async applied(mark: CloudEventMark): Promise<boolean> {
    const { Item } = await this.#send(
      new GetCommand({ TableName: this.tableName, Key: cloudEventKey(mark), ConsistentRead: true, ProjectionExpression: TABLE.partitionKey }),
    );
    return Item !== undefined;
  }

  /** Writes the marker; one already there (a racing delivery wrote it) is left as it is. */
  async markApplied(mark: CloudEventMark, now: number): Promise<void> {
    const e = new Expression();
    try {
      await this.#send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...cloudEventKey(mark), appliedAt: now, [TABLE.ttlAttribute]: Math.floor(now / 1000) + MARK_RETENTION_SECONDS },
          ConditionExpression: `attribute_not_exists(${e.name(TABLE.partitionKey)})`,
          ...e.params,
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  #send(command: GetCommand | PutCommand): Promise<{ Item?: Record<string, unknown> }> {
    return sendToStore(this.client, command);
  }
}
