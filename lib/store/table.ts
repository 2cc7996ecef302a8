/**
 * The single table: keys, the worker index and TTL, declared once for the local engines (which
 * create it from `createTableInput`) and for the CDK stack (infra/).
 *
 *   task          pk TASK#<AC>#<WS>#<WT>    sk TASK                 the task and all its reservations (R_<WR>)
 *   worker link   pk WORKER#<AC>#<WS>#<WK>  sk RESERVATION#<WR>     listKey <created>#<WR>: a worker's reservations
 *   worker        pk WORKER#<AC>#<WS>#<WK>  sk ACTIVITY             its activity, Worker updates, version, lifecycle state
 *   event         pk EVENT#<AC>#<WS>#<EV>   sk EVENT                a TaskRouter event (lib/publishing/)
 *   cloud event   pk CLOUDEVENT#<AC>#<WS>#<id>  sk CLOUDEVENT       an Event Streams event already applied (lib/upstream/)
 *   inbox         pk INBOX#<AC>#<WS>#<EV>   sk INBOX                an upstream event callback taken in (lib/upstream/)
 *   attention     pk ATTENTION#<AC>#<WS>    sk RESERVATION#<WR>     a reservation held too long (lib/lifecycle/)
 *   statistics    pk STATS#<AC>#<WS>[#<part>]  sk …                 tallies, roll-ups and directories (lib/store/statistics-items.ts)
 *
 * Events are listed through four global secondary indexes, one per thing a list is about (the
 * workspace, a task, a worker, a reservation), each sorted by `eventAt` (`<ms>#<rank>#<EV>`).
 *
 * Every key starts with the account and the workspace, so accounts are isolated in storage, not
 * only in the API: a request, a signed callback included, can only ever name items of its own
 * account, so no SID another account knows reaches a record that is not its own. SIDs are
 * identifiers, not secrets.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/** The layout of the keys above; a local DATA_DIR written with another one is refused (lib/local). */
export const STORAGE_FORMAT = 2;

export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Local secondary index: a worker's reservations in list order, strongly consistent. */
  workerIndex: { name: 'workerReservations', sortKey: 'listKey' },
  /** Epoch seconds; DynamoDB TTL deletes the item some time after (cleanup, never correctness). */
  ttlAttribute: 'expiresAt',
  /** Sort key of every event index. */
  eventIndexSortKey: 'eventAt',
} as const;

/** The event indexes: name and partition key of each (the key's value is `<AC>#<WS>[#<SID>]`). */
export const EVENT_INDEXES = {
  workspace: { name: 'eventsByWorkspace', partitionKey: 'eventWorkspace' },
  task: { name: 'eventsByTask', partitionKey: 'eventTask' },
  worker: { name: 'eventsByWorker', partitionKey: 'eventWorker' },
  reservation: { name: 'eventsByReservation', partitionKey: 'eventReservation' },
} as const;

export type EventIndex = keyof typeof EVENT_INDEXES;

/**
 * Connected mode's sparse index of work in flight, which the sweep finds (the oldest first)
 * without a scan: task items with an update being forwarded upstream (partition `FORWARD`), workers'
 * own items likewise (`WORKER_FORWARD`), and
 * upstream event callbacks taken in and not applied yet (partition `INBOX`, lib/store/inbox-items.ts). Only
 * they carry its keys.
 */
export const FORWARD_INDEX = { name: 'forwardsInFlight', partitionKey: 'forwarding', sortKey: 'forwardAt', partition: 'FORWARD' } as const;

/** The in-flight index's partition of workers' own items with a Worker update being forwarded (lib/store/worker-items.ts). */
export const WORKER_FORWARD_PARTITION = 'WORKER_FORWARD';

/** The in-flight index's sort key for a time (epoch ms, zero-padded so that text order is time order). */
export const inFlightAt = (at: number) => String(at).padStart(15, '0');

interface Scope {
  readonly accountSid: string;
  readonly workspaceSid: string;
}

export const TASK_PREFIX = 'TASK#';
export const taskPartition = (scope: Scope & { readonly taskSid: string }) => `${TASK_PREFIX}${scope.accountSid}#${scope.workspaceSid}#${scope.taskSid}`;
export const taskKey = (scope: Scope & { readonly taskSid: string }) => ({ pk: taskPartition(scope), sk: 'TASK' });
export const WORKER_PREFIX = 'WORKER#';
export const workerPartition = (scope: Scope & { readonly workerSid: string }) =>
  `${WORKER_PREFIX}${scope.accountSid}#${scope.workspaceSid}#${scope.workerSid}`;
export const workerLinkKey = (scope: Scope & { readonly workerSid: string }, reservationSid: string) => ({
  pk: workerPartition(scope),
  sk: `RESERVATION#${reservationSid}`,
});
/** A worker's own item: its activity, its updates, its lifecycle bookkeeping. */
export const ACTIVITY_SORT_KEY = 'ACTIVITY';
export const activityKey = (scope: Scope & { readonly workerSid: string }) => ({ pk: workerPartition(scope), sk: ACTIVITY_SORT_KEY });

/** The reservations of a workspace flagged as needing attention (lib/lifecycle/). */
export const attentionPartition = (scope: Scope) => `ATTENTION#${scope.accountSid}#${scope.workspaceSid}`;
export const attentionKey = (scope: Scope, reservationSid: string) => ({ pk: attentionPartition(scope), sk: `RESERVATION#${reservationSid}` });

/** An upstream event callback taken in (lib/upstream/mirror-inbox.ts), by its EV SID. */
export const inboxKey = (event: Scope & { readonly sid: string }) => ({ pk: `INBOX#${event.accountSid}#${event.workspaceSid}#${event.sid}`, sk: 'INBOX' });

export const eventKey = (event: Scope & { readonly sid: string }) => ({ pk: `EVENT#${event.accountSid}#${event.workspaceSid}#${event.sid}`, sk: 'EVENT' });

/** The dedupe marker of an Event Streams CloudEvent, by its `id` within its account and workspace. */
export const cloudEventKey = (event: Scope & { readonly id: string }) => ({
  pk: `CLOUDEVENT#${event.accountSid}#${event.workspaceSid}#${event.id}`,
  sk: 'CLOUDEVENT',
});

/** A statistics partition of a workspace (lib/store/statistics-items.ts lays out what is in each). */
export const statisticsPartition = (scope: Scope, part?: string) => `STATS#${scope.accountSid}#${scope.workspaceSid}${part === undefined ? '' : `#${part}`}`;

/** The task SID at the end of a task item's partition key. */
export function taskSidOf(partitionKey: string): string {
  return partitionKey.slice(partitionKey.lastIndexOf('#') + 1);
}

/** Attribute of the task item that holds one reservation. */
export const RESERVATION_PREFIX = 'R_';
export const reservationAttribute = (reservationSid: string) => `${RESERVATION_PREFIX}${reservationSid}`;

export function createTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: TABLE.partitionKey, AttributeType: 'S' },
      { AttributeName: TABLE.sortKey, AttributeType: 'S' },
      { AttributeName: TABLE.workerIndex.sortKey, AttributeType: 'S' },
      { AttributeName: TABLE.eventIndexSortKey, AttributeType: 'S' },
      ...Object.values(EVENT_INDEXES).map((index) => ({ AttributeName: index.partitionKey, AttributeType: 'S' as const })),
      { AttributeName: FORWARD_INDEX.partitionKey, AttributeType: 'S' },
      { AttributeName: FORWARD_INDEX.sortKey, AttributeType: 'S' },
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
    GlobalSecondaryIndexes: [
      ...Object.values(EVENT_INDEXES).map((index) => ({
        name: index.name,
        partitionKey: index.partitionKey as string,
        sortKey: TABLE.eventIndexSortKey as string,
      })),
      { name: FORWARD_INDEX.name, partitionKey: FORWARD_INDEX.partitionKey, sortKey: FORWARD_INDEX.sortKey },
    ].map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
        { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'ALL' as const },
    })),
  };
}
