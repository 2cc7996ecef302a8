/**
 * Connected mode's intake of TaskRouter's event callbacks (SPEC §12): each one is taken in with a
 * single conditional put keyed by its `Sid` (so a repeat is known at once: idempotent on `Sid`),
 * then applied to the record by the mirror, then marked applied.
 *
 * Where the apply runs: deployed, in the same invocation, before the 204 (a Lambda does nothing
 * after its answer); in the local stack, after the answer, in this process, one event at a time,
 * so that TaskRouter's callbacks are answered at the rate a conditional write allows. Either way
 * an event taken in and not applied (a process that died in between, a store that failed) keeps
 * its place in the in-flight index and the sweep applies it; a repeat of it applies it again.
 * The mirror is idempotent on state, so an event applied twice changes nothing the second time.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../domain/clock.ts';
import { InvalidParameterError } from '../domain/errors.ts';
import type { Params } from '../domain/parameters.ts';
import { canonicalSid } from '../domain/sid.ts';
import { Expression } from '../store/expression.ts';
import { sendToStore } from '../store/store-errors.ts';
import { FORWARD_INDEX, TABLE, inFlightAt, inboxKey } from '../store/table.ts';
import type { UpstreamMirror } from './mirror.ts';

/** The in-flight index's partition of events taken in and not applied yet. */
export const INBOX_PARTITION = 'INBOX';
/** Taken in this long ago and still not applied: the sweep's to apply. */
export const UNAPPLIED_AFTER_MS = 30_000;
/** How long a taken event's `Sid` is remembered: longer than TaskRouter retries a callback. */
export const INBOX_RETENTION_SECONDS = 2 * 86_400;
const SWEEP_BATCH = 100;

interface InboxItem {
  readonly accountSid: string;
  readonly workspaceSid: string;
  readonly sid: string;
  /** The callback's form fields, as taken in; removed once applied. */
  readonly fields: Readonly<Record<string, readonly string[]>>;
  readonly receivedAt: number;
  readonly appliedAt?: number;
}

export type TakeOutcome = 'ignored' | 'taken' | 'repeat';

export class EventInbox {
  #background = false;
  readonly #queue: InboxItem[] = [];
  /** The keys of the events in the queue. */
  readonly #queued = new Set<string>();
  #draining: Promise<void> | undefined;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly mirror: UpstreamMirror,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** From now on, events are applied after the answer, in this process (the local stack). */
  applyInBackground(): void {
    this.#background = true;
  }

  /**
   * Takes in one event callback of `accountSid` (its form fields): checked, stored once per `Sid`,
   * and applied (now, or in the background). A repeat of an event not applied yet applies it.
   */
  async take(accountSid: string, params: Params): Promise<TakeOutcome> {
    if (this.mirror.check(accountSid, params) === 'ignored') return 'ignored';
    const sid = canonicalSid(params.get('Sid')?.[0], 'EV');
    if (sid === undefined) throw new InvalidParameterError('Sid', 'is required as an EV SID: TaskRouter names each event by it');
    const now = this.clock.now();
    const item: InboxItem = {
      accountSid,
      workspaceSid: canonicalSid(params.get('WorkspaceSid')?.[0], 'WS')!,
      sid,
      fields: Object.fromEntries(params),
      receivedAt: now,
    };
    const e = new Expression();
    try {
      await this.#send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...inboxKey(item),
            ...item,
            [FORWARD_INDEX.partitionKey]: INBOX_PARTITION,
            [FORWARD_INDEX.sortKey]: inFlightAt(now),
            [TABLE.ttlAttribute]: Math.floor(now / 1000) + INBOX_RETENTION_SECONDS,
          },
          ConditionExpression: `attribute_not_exists(${e.name(TABLE.partitionKey)})`,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ...e.params,
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // The stored item comes back with the failure (DynamoDB); an engine that ignores that is read.
      const Item = error.Item
        ? (unmarshall(error.Item) as InboxItem)
        : (await this.#send<{ Item?: InboxItem }>(new GetCommand({ TableName: this.tableName, Key: inboxKey(item), ConsistentRead: true }))).Item;
      // Applied already: nothing to do. Taken and not applied (its first delivery's process died): apply it now.
      if (!Item || Item.appliedAt !== undefined) return 'repeat';
      await this.#dispatch(Item);
      return 'repeat';
    }
    await this.#dispatch(item);
    return 'taken';
  }

  /** Resolves once every event taken in by this process has been applied (or has failed, left to the sweep). */
  async idle(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  /**
   * Applies every event taken in before `before` and not applied yet (a dead process's, a failed
   * apply's), oldest first, a page of the in-flight index at a time until none is left.
   */
  async sweep(before = this.clock.now() - UNAPPLIED_AFTER_MS): Promise<{ readonly applied: number; readonly failed: number }> {
    let applied = 0;
    let failed = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const e = new Expression();
      const page: { Items?: InboxItem[]; LastEvaluatedKey?: Record<string, unknown> } = await this.#send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: FORWARD_INDEX.name,
          KeyConditionExpression: `${e.name(FORWARD_INDEX.partitionKey)} = ${e.value(INBOX_PARTITION)} AND ${e.name(FORWARD_INDEX.sortKey)} < ${e.value(inFlightAt(before))}`,
          Limit: SWEEP_BATCH,
          ...(startKey && { ExclusiveStartKey: startKey }),
          ...e.params,
        }),
      );
      for (const item of page.Items ?? []) {
        if (await this.#applyLogged(item)) applied++;
        else failed++;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    if (applied + failed > 0) this.logger.info('event callbacks applied by the sweep', { applied, failed });
    return { applied, failed };
  }

  async #dispatch(item: InboxItem): Promise<void> {
    if (!this.#background) {
      // In the request (deployed): a refusal is the caller's 400.
      const refusal = await this.#apply(item);
      if (refusal) throw refusal;
      return;
    }
    // A repeat of an event this process holds to apply already: once is enough.
    const key = inboxKey(item).pk;
    if (this.#queued.has(key)) return;
    this.#queued.add(key);
    this.#queue.push(item);
    this.#draining ??= this.#drain();
  }

  async #drain(): Promise<void> {
    // After the answer that took it in: a macrotask later, so the 204 goes out first.
    await new Promise((resolve) => setImmediate(resolve));
    for (let item = this.#queue.shift(); item; item = this.#queue.shift()) {
      await this.#applyLogged(item);
      this.#queued.delete(inboxKey(item).pk);
    }
    this.#draining = undefined;
  }

  /** Applies one event; a failure is logged and leaves it to the sweep. */
  async #applyLogged(item: InboxItem): Promise<boolean> {
    try {
      await this.#apply(item);
      return true;
    } catch (error) {
      this.logger.error('event callback not applied yet: the sweep retries it', { eventSid: item.sid, error: (error as Error).name });
      return false;
    }
  }

  /**
   * Applies one event and marks it applied. An event only the record shows to be unusable (a
   * reservation first heard of, without its worker) is marked too, never retried, and returned.
   */
  async #apply(item: InboxItem): Promise<InvalidParameterError | undefined> {
    let refusal: InvalidParameterError | undefined;
    try {
      await this.mirror.apply(item.accountSid, new Map(Object.entries(item.fields)));
    } catch (error) {
      if (!(error instanceof InvalidParameterError)) throw error;
      this.logger.warn('event callback refused', { eventSid: item.sid, problem: error.message });
      refusal = error;
    }
    const e = new Expression();
    await this.#send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: inboxKey(item),
        // Applied, it keeps only its Sid (for repeats): the fields, attributes and all, are the record's now.
        UpdateExpression: `SET ${e.name('appliedAt')} = ${e.value(this.clock.now())} REMOVE ${e.name('fields')}, ${e.name(FORWARD_INDEX.partitionKey)}, ${e.name(FORWARD_INDEX.sortKey)}`,
        ...e.params,
      }),
    );
    return refusal;
  }

  #send<T = unknown>(command: object): Promise<T> {
    return sendToStore<T>(this.client, command);
  }
}
