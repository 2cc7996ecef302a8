/**
 * The event items' adapter: TaskRouter events in the single table, one item per event, keyed by its SID within
 * its account and workspace, so that storing an event twice stores it once; four global
 * secondary indexes serve the Event resource's lists by workspace, task, worker and reservation,
 * in time order, without a scan.
 *
 *   event   pk EVENT#<AC>#<WS>#<EV>   sk EVENT   eventAt <ms>#<rank>#<EV> (sort key of every index)
 */
import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { EventFilter } from '../domain/event-query.ts';
import type { FieldName } from '../domain/fields.ts';
import type { WindowReader } from '../domain/paging.ts';
import type { WorkspaceScope } from '../domain/scope.ts';
import { eventListKey, type EventType, type ResourceType, type TaskRouterEvent } from '../domain/events.ts';
import type { EventStore } from '../publishing/ports.ts';
import { batchGet } from './batch.ts';
import { conditionalWrite } from './conditional-write.ts';
import { Expression } from './expression.ts';
import { itemKey, tableBatches, type TableBatches } from './group-commit.ts';
import { send } from './send.ts';
import { EVENT_INDEXES, TABLE, eventKey, type EventIndex } from './table.ts';

interface StoredEvent {
  pk: string;
  sk: string;
  accountSid: string;
  workspaceSid: string;
  sid: string;
  eventType: EventType;
  at: number;
  resourceType: ResourceType;
  resourceSid: string;
  description: string;
  data: Partial<Record<FieldName, string>>;
  taskSid?: string;
  reservationSid?: string;
  workerSid?: string;
  taskQueueSid?: string;
  workflowSid?: string;
  [attribute: string]: unknown;
}

function encodeEvent(event: TaskRouterEvent, expiresAt: number): StoredEvent {
  const scope = `${event.accountSid}#${event.workspaceSid}`;
  return {
    ...eventKey(event),
    [TABLE.eventIndexSortKey]: eventListKey(event),
    [EVENT_INDEXES.workspace.partitionKey]: scope,
    ...(event.taskSid !== undefined && { [EVENT_INDEXES.task.partitionKey]: `${scope}#${event.taskSid}` }),
    ...(event.workerSid !== undefined && { [EVENT_INDEXES.worker.partitionKey]: `${scope}#${event.workerSid}` }),
    ...(event.reservationSid !== undefined && { [EVENT_INDEXES.reservation.partitionKey]: `${scope}#${event.reservationSid}` }),
    accountSid: event.accountSid,
    workspaceSid: event.workspaceSid,
    sid: event.sid,
    eventType: event.type,
    at: event.at,
    resourceType: event.resourceType,
    resourceSid: event.resourceSid,
    description: event.description,
    data: event.data,
    ...(event.taskSid !== undefined && { taskSid: event.taskSid }),
    ...(event.reservationSid !== undefined && { reservationSid: event.reservationSid }),
    ...(event.workerSid !== undefined && { workerSid: event.workerSid }),
    ...(event.taskQueueSid !== undefined && { taskQueueSid: event.taskQueueSid }),
    ...(event.workflowSid !== undefined && { workflowSid: event.workflowSid }),
    [TABLE.ttlAttribute]: expiresAt,
  };
}

export function decodeEvent(item: Record<string, unknown>): TaskRouterEvent {
  const e = item as StoredEvent;
  return {
    sid: e.sid,
    type: e.eventType,
    accountSid: e.accountSid,
    workspaceSid: e.workspaceSid,
    at: e.at,
    resourceType: e.resourceType,
    resourceSid: e.resourceSid,
    description: e.description,
    data: e.data,
    ...(e.taskSid !== undefined && { taskSid: e.taskSid }),
    ...(e.reservationSid !== undefined && { reservationSid: e.reservationSid }),
    ...(e.workerSid !== undefined && { workerSid: e.workerSid }),
    ...(e.taskQueueSid !== undefined && { taskQueueSid: e.taskQueueSid }),
    ...(e.workflowSid !== undefined && { workflowSid: e.workflowSid }),
  };
}

/** The index that serves a filter best: the narrowest subject it names. */
function indexFor(filter: EventFilter): { index: EventIndex; subject: string | undefined } {
  if (filter.reservationSid !== undefined) return { index: 'reservation', subject: filter.reservationSid };
  if (filter.taskSid !== undefined) return { index: 'task', subject: filter.taskSid };
  if (filter.workerSid !== undefined) return { index: 'worker', subject: filter.workerSid };
  return { index: 'workspace', subject: undefined };
}

export interface EventItemsSettings {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly retentionDays: number;
  /** The table's shared batch writer (see group-commit.ts); one of its own if none. */
  readonly batches?: TableBatches;
}

export class EventItems implements EventStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #retentionSeconds: number;

  readonly #batches: TableBatches;

  constructor(options: EventItemsSettings) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#retentionSeconds = options.retentionDays * 86_400;
    this.#batches = options.batches ?? tableBatches(options.client, options.tableName);
  }

  #item(event: TaskRouterEvent): StoredEvent {
    return encodeEvent(event, Math.floor(event.at / 1000) + this.#retentionSeconds);
  }

  /**
   * Stores the events of one write (BatchWriteItem, 25 a call, shared with concurrent writes: see
   * group-commit.ts). An event written again by a replay of the same write is the same item: the
   * content is a function of that write.
   */
  putAll(events: readonly TaskRouterEvent[]): Promise<void> {
    return this.#batches.write(events.map((e) => ({ put: this.#item(e) })));
  }

  /** Which of these events are stored already. */
  async #stored(events: readonly TaskRouterEvent[]): Promise<Set<string>> {
    // BatchGetItem refuses a list that names a key twice.
    const keys = new Map(events.map((e) => [eventKey(e).pk, eventKey(e)]));
    const items = await batchGet(this.#client, this.#table, [...keys.values()], { attributes: ['sid'] });
    return new Set(items.map((item) => item['sid'] as string));
  }

  async missing(events: readonly TaskRouterEvent[]): Promise<TaskRouterEvent[]> {
    if (events.length === 0) return [];
    // What this process is writing right now (the original of a repeat, under way) is not missing.
    await this.#batches.whenWritten(events.map((e) => itemKey(eventKey(e))));
    const stored = await this.#stored(events);
    return events.filter((e) => !stored.has(e.sid));
  }

  async putNew(events: readonly TaskRouterEvent[]): Promise<TaskRouterEvent[]> {
    const added: TaskRouterEvent[] = [];
    for (const event of events) {
      const e = new Expression();
      const outcome = await conditionalWrite(
        this.#client,
        new PutCommand({
          TableName: this.#table,
          Item: this.#item(event),
          ConditionExpression: `attribute_not_exists(${e.name(TABLE.partitionKey)})`,
          ...e.params,
        }),
        { stored: false },
      );
      if (outcome.written) added.push(event);
    }
    return added;
  }

  async get(scope: WorkspaceScope, sid: string): Promise<TaskRouterEvent | undefined> {
    const { Item } = await send<{ Item?: Record<string, unknown> }>(
      this.#client,
      new GetCommand({ TableName: this.#table, Key: eventKey({ ...scope, sid }), ConsistentRead: true }),
    );
    return Item ? decodeEvent(Item) : undefined;
  }

  /**
   * Keyset windows, in list order, over the events of the index that serves `filter` best, within
   * its time bounds (one query a window). The rest of the filter is `eventMatches`
   * (lib/domain/event-query.ts), applied by the pager (lib/domain/paging.ts `keep`), so a window's edge is always an item it read.
   */
  list(scope: WorkspaceScope, filter: EventFilter): WindowReader<TaskRouterEvent> {
    const { index, subject } = indexFor(filter);
    const spec = EVENT_INDEXES[index];
    const partition = `${scope.accountSid}#${scope.workspaceSid}${subject === undefined ? '' : `#${subject}`}`;
    // Time bounds as sort-key strings (every key is `<15 digits>#…`): `<ms>` sorts before every key of that ms, `<ms>#~` after.
    const lower = String(filter.from).padStart(15, '0');
    const upper = filter.to === undefined ? '~' : `${String(filter.to).padStart(15, '0')}#~`;
    return async (direction, from, limit) => {
      const e = new Expression();
      // Keys have one length, so `from!` is the first string after `from`, and `from` with its last
      // character lowered and `~` appended the last one before it: BETWEEN with exclusive ends. A
      // cursor never widens the window: a page token made under an earlier window (the default
      // one moves with the clock) may point outside this one.
      const after = direction === 'forward' && from !== undefined ? `${from}!` : lower;
      const before =
        direction === 'backward' && from !== undefined ? `${from.slice(0, -1)}${String.fromCharCode(from.charCodeAt(from.length - 1) - 1)}~` : upper;
      // biome-ignore lint/complexity/useMathMinMax: sort keys are strings; Math.max would make them NaN.
      const low = after > lower ? after : lower;
      // biome-ignore lint/complexity/useMathMinMax: as above.
      const high = before < upper ? before : upper;
      if (low > high) return { items: [], more: false };
      const { Items = [], LastEvaluatedKey } = await send<{ Items?: Record<string, unknown>[]; LastEvaluatedKey?: object }>(
        this.#client,
        new QueryCommand({
          TableName: this.#table,
          IndexName: spec.name,
          KeyConditionExpression: `${e.name(spec.partitionKey)} = ${e.value(partition)} AND ${e.name(TABLE.eventIndexSortKey)} BETWEEN ${e.value(low)} AND ${e.value(high)}`,
          ScanIndexForward: direction === 'forward',
          Limit: limit,
          ...e.params,
        }),
      );
      const items = Items.map(decodeEvent);
      if (direction === 'backward') items.reverse();
      return { items, more: LastEvaluatedKey !== undefined };
    };
  }
}
