/**
 * The attention flags' adapter: one item per reservation flagged as needing attention, under its
 * workspace's partition, so the console's "needs attention" view is one query (flags are few: a
 * reservation held for longer than its rule allows is the exception). Kept RETENTION_DAYS by TTL.
 *
 *   attention   pk ATTENTION#<AC>#<WS>   sk RESERVATION#<WR>
 */
import { PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { WorkspaceScope } from '../domain/scope.ts';
import type { AttentionItem, AttentionStore } from '../lifecycle/ports.ts';
import { conditionalWrite } from './conditional-write.ts';
import { Expression } from './expression.ts';
import { send } from './send.ts';
import { TABLE, attentionKey, attentionPartition } from './table.ts';

interface StoredFlag extends AttentionItem {
  notified?: boolean;
  /** A supervisor took the flag away: kept (so a timer delivered again does not raise it again) until its TTL. */
  dismissed?: boolean;
}

export interface AttentionItemsSettings {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly retentionDays: number;
}

export class AttentionItems implements AttentionStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #retentionSeconds: number;

  constructor(settings: AttentionItemsSettings) {
    this.#client = settings.client;
    this.#table = settings.tableName;
    this.#retentionSeconds = settings.retentionDays * 86_400;
  }

  async flag(item: AttentionItem): Promise<{ readonly notified: boolean }> {
    const e = new Expression();
    const outcome = await conditionalWrite(
      this.#client,
      new PutCommand({
        TableName: this.#table,
        Item: {
          ...attentionKey(item, item.reservationSid),
          ...item,
          notified: false,
          [TABLE.ttlAttribute]: Math.floor(item.flaggedAt / 1000) + this.#retentionSeconds,
        },
        // A flag already there stays as it is (its time, whether its news went out).
        ConditionExpression: `attribute_not_exists(${e.name(TABLE.partitionKey)})`,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        ...e.params,
      }),
      { stored: true },
    );
    if (outcome.written) return { notified: false };
    return { notified: (outcome.stored as StoredFlag | undefined)?.notified === true };
  }

  async markNotified(scope: WorkspaceScope, reservationSid: string): Promise<void> {
    await this.#setOnFlag(scope, reservationSid, 'notified');
  }

  async list(scope: WorkspaceScope): Promise<AttentionItem[]> {
    const items: AttentionItem[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const e = new Expression();
      const page = await send<{ Items?: StoredFlag[]; LastEvaluatedKey?: Record<string, unknown> }>(
        this.#client,
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: `${e.name(TABLE.partitionKey)} = ${e.value(attentionPartition(scope))}`,
          ConsistentRead: true,
          ...(start && { ExclusiveStartKey: start }),
          ...e.params,
        }),
      );
      for (const f of page.Items ?? []) {
        if (f.dismissed === true) continue;
        items.push({
          accountSid: f.accountSid,
          workspaceSid: f.workspaceSid,
          taskSid: f.taskSid,
          reservationSid: f.reservationSid,
          workerSid: f.workerSid,
          rule: f.rule,
          since: f.since,
          flaggedAt: f.flaggedAt,
        });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return items.sort((a, b) => a.since - b.since || (a.reservationSid < b.reservationSid ? -1 : 1));
  }

  dismiss(scope: WorkspaceScope, reservationSid: string): Promise<boolean> {
    return this.#setOnFlag(scope, reservationSid, 'dismissed');
  }

  /**
   * Sets `notified` or `dismissed` on a flag that is there, and says whether one was: a flag
   * dismissed (or never made) is not made by it.
   */
  async #setOnFlag(scope: WorkspaceScope, reservationSid: string, field: 'notified' | 'dismissed'): Promise<boolean> {
    const e = new Expression();
    const outcome = await conditionalWrite(
      this.#client,
      new UpdateCommand({
        TableName: this.#table,
        Key: attentionKey(scope, reservationSid),
        UpdateExpression: `SET ${e.name(field)} = ${e.value(true)}`,
        ConditionExpression: `attribute_exists(${e.name(TABLE.partitionKey)})`,
        ...e.params,
      }),
      { stored: false },
    );
    return outcome.written;
  }
}
