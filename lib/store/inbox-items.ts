/**
 * The inbox items' adapter (connected mode): each upstream event callback taken in is one item,
 * keyed by its EV SID within its account and workspace, put once (a repeat finds it), kept two
 * days by TTL. Until applied it sits in the in-flight index (table.ts FORWARD_INDEX, partition
 * `INBOX`), where the sweep finds what a dead process or a failed apply left, oldest first.
 *
 *   inbox   pk INBOX#<AC>#<WS>#<EV>   sk INBOX
 */
import { PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { InboxItem, InboxStore } from '../upstream/ports.ts';
import { conditionalWrite } from './conditional-write.ts';
import { Expression } from './expression.ts';
import { send } from './send.ts';
import { FORWARD_INDEX, TABLE, inFlightAt, inboxKey } from './table.ts';

/** The in-flight index's partition of events taken in and not applied yet. */
export const INBOX_PARTITION = 'INBOX';
/** How long a taken event's `Sid` is remembered: longer than TaskRouter retries a callback. */
export const INBOX_RETENTION_SECONDS = 2 * 86_400;
const PAGE = 100;

export interface InboxItemsSettings {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

function decodeInbox(item: Record<string, unknown>): InboxItem {
  const i = item as unknown as InboxItem;
  return {
    accountSid: i.accountSid,
    workspaceSid: i.workspaceSid,
    sid: i.sid,
    ...(i.event !== undefined && { event: i.event }),
    ...(i.fields !== undefined && { fields: i.fields }),
    receivedAt: i.receivedAt,
    ...(i.appliedAt !== undefined && { appliedAt: i.appliedAt }),
  };
}

export class InboxItems implements InboxStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(settings: InboxItemsSettings) {
    this.#client = settings.client;
    this.#table = settings.tableName;
  }

  async take(item: InboxItem): Promise<{ readonly taken: true } | { readonly taken: false; readonly stored: InboxItem | undefined }> {
    const e = new Expression();
    const outcome = await conditionalWrite(
      this.#client,
      new PutCommand({
        TableName: this.#table,
        Item: {
          ...inboxKey(item),
          ...item,
          [FORWARD_INDEX.partitionKey]: INBOX_PARTITION,
          [FORWARD_INDEX.sortKey]: inFlightAt(item.receivedAt),
          [TABLE.ttlAttribute]: Math.floor(item.receivedAt / 1000) + INBOX_RETENTION_SECONDS,
        },
        ConditionExpression: `attribute_not_exists(${e.name(TABLE.partitionKey)})`,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        ...e.params,
      }),
      { stored: true },
    );
    return outcome.written ? { taken: true } : { taken: false, stored: outcome.stored && decodeInbox(outcome.stored) };
  }

  async markApplied(item: InboxItem, at: number): Promise<void> {
    const e = new Expression();
    await conditionalWrite(
      this.#client,
      new UpdateCommand({
        TableName: this.#table,
        Key: inboxKey(item),
        // Applied, it keeps only its Sid (for repeats): the event, attributes and all, is the record's now.
        // Only an item that is there: one TTL removed meanwhile is not made again as a stub.
        ConditionExpression: `attribute_exists(${e.name(TABLE.partitionKey)})`,
        UpdateExpression: `SET ${e.name('appliedAt')} = ${e.value(at)} REMOVE ${e.name('event')}, ${e.name('fields')}, ${e.name(FORWARD_INDEX.partitionKey)}, ${e.name(FORWARD_INDEX.sortKey)}`,
        ...e.params,
      }),
      { stored: false },
    );
  }

  async *unapplied(before: number): AsyncIterable<readonly InboxItem[]> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const e = new Expression();
      const page: { Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> } = await send(
        this.#client,
        new QueryCommand({
          TableName: this.#table,
          IndexName: FORWARD_INDEX.name,
          KeyConditionExpression: `${e.name(FORWARD_INDEX.partitionKey)} = ${e.value(INBOX_PARTITION)} AND ${e.name(FORWARD_INDEX.sortKey)} < ${e.value(inFlightAt(before))}`,
          Limit: PAGE,
          ...(startKey && { ExclusiveStartKey: startKey }),
          ...e.params,
        }),
      );
      yield (page.Items ?? []).map(decodeInbox);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
}
