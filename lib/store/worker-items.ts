/**
 * The worker items' adapter: one link item per reservation under the worker's partition (a
 * worker's list, through the local secondary index in creation order, strongly consistent), and
 * the worker's last activity change.
 *
 *   worker link   pk WORKER#<AC>#<WS>#<WK>  sk RESERVATION#<WR>   listKey <created>#<WR>
 *   worker        pk WORKER#<AC>#<WS>#<WK>  sk ACTIVITY   its activity, Worker updates, version, lifecycle state,
 *                                                         (connected) a forward in flight, in the in-flight index
 */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { WorkerChange } from '../domain/events.ts';
import { listKey, type WindowReader } from '../domain/paging.ts';
import type { WorkerScope, WorkspaceScope } from '../domain/scope.ts';
import type { ActivitySetBy, WorkerRecord, WorkerState, WorkerWrite } from '../domain/worker.ts';
import type { NewReservationLink, ReservationLink, WorkerStore } from '../reservations/ports.ts';
import type { ReservationWorkers } from '../publishing/ports.ts';
import { batchGet } from './batch.ts';
import { conditionalWrite } from './conditional-write.ts';
import { Expression, updateExpression } from './expression.ts';
import { send } from './send.ts';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { UnmarkedWriteOutcome, WorkerForwardMark, WorkerForwardMarks, WorkerMarkOutcome } from '../upstream/ports.ts';
import { ACTIVITY_SORT_KEY, FORWARD_INDEX, TABLE, WORKER_FORWARD_PARTITION, activityKey, inFlightAt, workerLinkKey, workerPartition } from './table.ts';

const LINK_PREFIX = 'RESERVATION#';
/** How many links' attributes a process remembers (about 0.5 KB each: a few MB at most). */
const REMEMBERED_LINKS = 10_000;

const cacheKey = (scope: WorkerScope, reservationSid: string) => `${scope.accountSid}#${scope.workspaceSid}#${scope.workerSid}#${reservationSid}`;

/** A worker's link to one of its reservations (the worker index). */
interface StoredWorkerLink {
  sk: string;
  accountSid: string;
  workspaceSid: string;
  taskSid: string;
  workerName?: string;
  workerAttributes: string;
  createdAt: number;
}

/**
 * The worker's own item: its activity (and who set it), what Worker updates set, its version,
 * the last change's facts for its events (only on the write that made it), the lifecycle's
 * bookkeeping, and (connected) a forward in flight.
 */
interface StoredProfile {
  accountSid: string;
  workspaceSid?: string;
  activitySid?: string;
  changedAt?: number;
  activitySetBy?: ActivitySetBy;
  attributes?: string;
  attributesAt?: number;
  friendlyName?: string;
  friendlyNameAt?: number;
  version?: number;
  change?: StoredChange;
  held?: string[];
  moves?: string[];
  /** Connected: a Worker update being forwarded to TaskRouter. */
  forward?: WorkerForwardMark;
}

type StoredChange = Omit<WorkerChange, 'accountSid' | 'workspaceSid' | 'workerSid'>;

export interface WorkerItemsSettings {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly retentionDays: number;
}

export class WorkerItems implements WorkerStore, ReservationWorkers, WorkerForwardMarks {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #retentionSeconds: number;
  /** Links' attributes by cacheKey, in the order they were learnt. */
  readonly #recent = new Map<string, string>();

  constructor(settings: WorkerItemsSettings) {
    this.#client = settings.client;
    this.#table = settings.tableName;
    this.#retentionSeconds = settings.retentionDays * 86_400;
  }

  #expiresAt(at: number): number {
    return Math.floor(at / 1000) + this.#retentionSeconds;
  }

  async linkReservation(link: NewReservationLink): Promise<void> {
    const e = new Expression();
    const { scope, reservationSid } = link;
    const outcome = await conditionalWrite(
      this.#client,
      new PutCommand({
        TableName: this.#table,
        Item: {
          ...workerLinkKey(scope, reservationSid),
          [TABLE.workerIndex.sortKey]: listKey(link.createdAt, reservationSid),
          accountSid: scope.accountSid,
          workspaceSid: scope.workspaceSid,
          taskSid: link.taskSid,
          ...(link.workerName !== null && { workerName: link.workerName }),
          workerAttributes: link.workerAttributes,
          createdAt: link.createdAt,
          // After the deadline a reservation is answered or timed out; its link outlives that by
          // RETENTION_DAYS (a task still being worked on outlives its links).
          [TABLE.ttlAttribute]: this.#expiresAt(link.deadline),
        },
        // The first link of a ReservationSid for this worker is kept: a repeat (or another task
        // naming the same ReservationSid) writes nothing, so a link never changes once written.
        ConditionExpression: `attribute_not_exists(${e.name(TABLE.partitionKey)})`,
        ...e.params,
      }),
      { stored: false },
    );
    if (outcome.written) this.#remember(cacheKey(scope, reservationSid), link.workerAttributes);
  }

  /**
   * The attributes of each reservation's link. Links never change once written, so those this
   * process wrote are remembered (a bounded number, the oldest forgotten first) and the rest are
   * read in one batch: locally, the events of a write find their reservations' links here without
   * a store call; a stream reader (deployed) reads them.
   */
  async attributesOf(
    scope: WorkspaceScope,
    reservations: readonly { readonly workerSid: string; readonly reservationSid: string }[],
  ): Promise<ReadonlyMap<string, string>> {
    const found = new Map<string, string>();
    const unknown: { readonly workerSid: string; readonly reservationSid: string }[] = [];
    for (const r of reservations) {
      const remembered = this.#recent.get(cacheKey({ ...scope, workerSid: r.workerSid }, r.reservationSid));
      if (remembered !== undefined) found.set(r.reservationSid, remembered);
      else unknown.push(r);
    }
    if (unknown.length === 0) return found;
    const items = await batchGet(
      this.#client,
      this.#table,
      unknown.map((r) => workerLinkKey({ ...scope, workerSid: r.workerSid }, r.reservationSid)),
      { attributes: [TABLE.partitionKey, TABLE.sortKey, 'workerAttributes'] },
    );
    for (const item of items) {
      const link = item as unknown as StoredWorkerLink & { pk: string };
      const workerSid = link.pk.slice(link.pk.lastIndexOf('#') + 1);
      const reservationSid = link.sk.slice(LINK_PREFIX.length);
      found.set(reservationSid, link.workerAttributes);
      this.#remember(cacheKey({ ...scope, workerSid }, reservationSid), link.workerAttributes);
    }
    return found;
  }

  #remember(key: string, attributes: string): void {
    if (this.#recent.size >= REMEMBERED_LINKS) this.#recent.delete(this.#recent.keys().next().value!);
    this.#recent.set(key, attributes);
  }

  async taskOfReservation(scope: WorkerScope, reservationSid: string): Promise<string | undefined> {
    const { Item } = await send<{ Item?: StoredWorkerLink }>(
      this.#client,
      new GetCommand({ TableName: this.#table, Key: workerLinkKey(scope, reservationSid), ConsistentRead: true }),
    );
    return Item && Item.accountSid === scope.accountSid && Item.workspaceSid === scope.workspaceSid ? Item.taskSid : undefined;
  }

  reservationLinks(scope: WorkerScope): WindowReader<ReservationLink> {
    return async (direction, from, limit) => {
      const e = new Expression();
      let keyCondition = `${e.name(TABLE.partitionKey)} = ${e.value(workerPartition(scope))}`;
      if (from !== undefined) keyCondition += ` AND ${e.name(TABLE.workerIndex.sortKey)} ${direction === 'forward' ? '>' : '<'} ${e.value(from)}`;
      const { Items = [], LastEvaluatedKey } = await send<{ Items?: StoredWorkerLink[]; LastEvaluatedKey?: object }>(
        this.#client,
        new QueryCommand({
          TableName: this.#table,
          IndexName: TABLE.workerIndex.name,
          KeyConditionExpression: keyCondition,
          ScanIndexForward: direction === 'forward',
          Limit: limit,
          ConsistentRead: true,
          ...e.params,
        }),
      );
      const links = Items.filter((i) => i.accountSid === scope.accountSid && i.workspaceSid === scope.workspaceSid).map((i) => ({
        taskSid: i.taskSid,
        reservationSid: i.sk.slice(LINK_PREFIX.length),
        createdAt: i.createdAt,
      }));
      if (direction === 'backward') links.reverse();
      return { items: links, more: LastEvaluatedKey !== undefined };
    };
  }

  async setActivity(scope: WorkerScope, activitySid: string, at: number): Promise<void> {
    const e = new Expression();
    const changedAt = e.name('changedAt');
    const version = e.name('version');
    // A later activity change already stored wins: a failed condition is no error. Its event is
    // its reservation's (the task item's), so the item keeps no change of its own.
    await conditionalWrite(
      this.#client,
      new UpdateCommand({
        TableName: this.#table,
        Key: activityKey(scope),
        UpdateExpression: updateExpression(
          [
            `${e.name('accountSid')} = ${e.value(scope.accountSid)}`,
            `${e.name('workspaceSid')} = ${e.value(scope.workspaceSid)}`,
            `${e.name('activitySid')} = ${e.value(activitySid)}`,
            `${changedAt} = ${e.value(at)}`,
            `${e.name('activitySetBy')} = ${e.value('reservation')}`,
            `${version} = if_not_exists(${version}, ${e.value(0)}) + ${e.value(1)}`,
            `${e.name(TABLE.ttlAttribute)} = ${e.value(this.#expiresAt(at))}`,
          ],
          [e.name('change')],
        ),
        ConditionExpression: `attribute_not_exists(${changedAt}) OR ${changedAt} <= ${e.value(at)}`,
        ...e.params,
      }),
      { stored: false },
    );
  }

  async writeWorker(write: WorkerWrite): Promise<boolean> {
    const e = new Expression();
    const { set, remove } = this.#writeOf(e, write);
    const version = e.name('version');
    set.push(`${version} = ${e.value(write.expectedVersion + 1)}`);
    // Decided from this version: a write in between makes the writer decide again.
    return (await this.#update(write.scope, e, updateExpression(set, remove), versionIs(e, write.expectedVersion))).written;
  }

  async writeUnlessMarked(write: WorkerWrite): Promise<UnmarkedWriteOutcome> {
    const e = new Expression();
    const { set, remove } = this.#writeOf(e, write);
    const forward = e.name('forward');
    set.push(`${e.name('version')} = ${e.value(write.expectedVersion + 1)}`);
    const condition = `${versionIs(e, write.expectedVersion)} AND attribute_not_exists(${forward})`;
    const outcome = await this.#update(write.scope, e, updateExpression(set, remove), condition, true);
    if (outcome.written) return 'written';
    const stored = outcome.stored as StoredProfile | undefined;
    return (stored?.version ?? 0) === write.expectedVersion && stored?.forward !== undefined ? 'held' : 'moved';
  }

  /** One conditional update of the worker's own item (the item as stored when asked for). */
  #update(scope: WorkerScope, e: Expression, update: string, condition: string, stored = false) {
    return conditionalWrite(
      this.#client,
      new UpdateCommand({ TableName: this.#table, Key: activityKey(scope), UpdateExpression: update, ConditionExpression: condition, ...e.params }),
      { stored },
    );
  }

  /** What a write sets on the worker's own item (its version aside), and what it removes. */
  #writeOf(e: Expression, write: WorkerWrite): { set: string[]; remove: string[] } {
    const { scope, now } = write;
    const set = [
      `${e.name('accountSid')} = ${e.value(scope.accountSid)}`,
      `${e.name('workspaceSid')} = ${e.value(scope.workspaceSid)}`,
      `${e.name(TABLE.ttlAttribute)} = ${e.value(this.#expiresAt(now))}`,
    ];
    const remove: string[] = [];
    if (write.activity) {
      set.push(
        `${e.name('activitySid')} = ${e.value(write.activity.sid)}`,
        `${e.name('changedAt')} = ${e.value(now)}`,
        `${e.name('activitySetBy')} = ${e.value(write.activity.by)}`,
      );
    }
    if (write.attributes !== undefined) set.push(`${e.name('attributes')} = ${e.value(write.attributes)}`, `${e.name('attributesAt')} = ${e.value(now)}`);
    if (write.friendlyName !== undefined)
      set.push(`${e.name('friendlyName')} = ${e.value(write.friendlyName)}`, `${e.name('friendlyNameAt')} = ${e.value(now)}`);
    // The change's facts stay only on the write that made it: the stream reader derives its events from them.
    if (write.change) set.push(`${e.name('change')} = ${e.value(write.change)}`);
    else remove.push(e.name('change'));
    if (write.lifecycle) set.push(`${e.name('held')} = ${e.value(write.lifecycle.held)}`, `${e.name('moves')} = ${e.value(write.lifecycle.moves)}`);
    return { set, remove };
  }

  async markWorkerForward(write: WorkerWrite, markId: string): Promise<WorkerMarkOutcome> {
    const e = new Expression();
    const { scope, now } = write;
    const forward = e.name('forward');
    const mark: WorkerForwardMark = { id: markId, at: now, write };
    const ttl = e.name(TABLE.ttlAttribute);
    const set = [
      `${e.name('accountSid')} = ${e.value(scope.accountSid)}`,
      `${e.name('workspaceSid')} = ${e.value(scope.workspaceSid)}`,
      `${forward} = ${e.value(mark)}`,
      `${e.name(FORWARD_INDEX.partitionKey)} = ${e.value(WORKER_FORWARD_PARTITION)}`,
      `${e.name(FORWARD_INDEX.sortKey)} = ${e.value(inFlightAt(now))}`,
      `${ttl} = if_not_exists(${ttl}, ${e.value(this.#expiresAt(now))})`,
    ];
    // A mark changes nothing a client sees: no events of its own. Taken only on the version the
    // write was decided from, and with no other forward in flight.
    const condition = `${versionIs(e, write.expectedVersion)} AND attribute_not_exists(${forward})`;
    const outcome = await this.#update(scope, e, updateExpression(set, [e.name('change')]), condition, true);
    if (outcome.written) return 'taken';
    const stored = outcome.stored as StoredProfile | undefined;
    if ((stored?.version ?? 0) !== write.expectedVersion) return 'moved';
    return stored?.forward !== undefined ? 'held' : 'moved';
  }

  async recordWorkerForward(write: WorkerWrite, markId: string): Promise<boolean> {
    const e = new Expression();
    const { set, remove } = this.#writeOf(e, write);
    const version = e.name('version');
    const forward = e.name('forward');
    set.push(`${version} = if_not_exists(${version}, ${e.value(0)}) + ${e.value(1)}`);
    remove.push(forward, e.name(FORWARD_INDEX.partitionKey), e.name(FORWARD_INDEX.sortKey));
    return (await this.#update(write.scope, e, updateExpression(set, remove), `${forward}.${e.name('id')} = ${e.value(markId)}`)).written;
  }

  async clearWorkerForward(scope: WorkerScope, markId: string): Promise<void> {
    const e = new Expression();
    const forward = e.name('forward');
    const removed = [forward, e.name(FORWARD_INDEX.partitionKey), e.name(FORWARD_INDEX.sortKey), e.name('change')];
    await this.#update(scope, e, `REMOVE ${removed.join(', ')}`, `${forward}.${e.name('id')} = ${e.value(markId)}`);
  }

  async deferWorkerForward(scope: WorkerScope, markId: string, now: number): Promise<void> {
    const e = new Expression();
    const forward = e.name('forward');
    // Only the index key moves: the last change's facts go (a stream reader would read them as a new change).
    const update = updateExpression([`${e.name(FORWARD_INDEX.sortKey)} = ${e.value(inFlightAt(now))}`], [e.name('change')]);
    await this.#update(scope, e, update, `${forward}.${e.name('id')} = ${e.value(markId)}`);
  }

  async workerForwardsBefore(before: number, limit: number): Promise<{ readonly scope: WorkerScope; readonly mark: WorkerForwardMark }[]> {
    const e = new Expression();
    const { Items = [] } = await send<{ Items?: (StoredProfile & Record<string, unknown>)[] }>(
      this.#client,
      new QueryCommand({
        TableName: this.#table,
        IndexName: FORWARD_INDEX.name,
        KeyConditionExpression: `${e.name(FORWARD_INDEX.partitionKey)} = ${e.value(WORKER_FORWARD_PARTITION)} AND ${e.name(FORWARD_INDEX.sortKey)} < ${e.value(inFlightAt(before))}`,
        Limit: limit,
        ...e.params,
      }),
    );
    return Items.flatMap((item) => {
      const key = item[TABLE.partitionKey];
      if (item.forward === undefined || item.workspaceSid === undefined || typeof key !== 'string') return [];
      const scope = { accountSid: item.accountSid, workspaceSid: item.workspaceSid, workerSid: key.slice(key.lastIndexOf('#') + 1) };
      return [{ scope, mark: item.forward }];
    });
  }

  async workerState(scope: WorkerScope): Promise<WorkerState | undefined> {
    const read = await this.#read(scope);
    if (!read) return undefined;
    return { worker: read.worker, lifecycle: { held: read.profile?.held ?? [], moves: read.profile?.moves ?? [] } };
  }

  async getWorker(scope: WorkerScope): Promise<WorkerRecord | undefined> {
    return (await this.#read(scope))?.worker;
  }

  /** The worker from its oldest and newest links and its own item: three reads at once. */
  async #read(scope: WorkerScope): Promise<{ worker: WorkerRecord; profile: StoredProfile | undefined } | undefined> {
    const edge = (forward: boolean) => {
      const e = new Expression();
      return send<{ Items?: StoredWorkerLink[] }>(
        this.#client,
        new QueryCommand({
          TableName: this.#table,
          IndexName: TABLE.workerIndex.name,
          KeyConditionExpression: `${e.name(TABLE.partitionKey)} = ${e.value(workerPartition(scope))}`,
          ScanIndexForward: forward,
          Limit: 1,
          ConsistentRead: true,
          ...e.params,
        }),
      );
    };
    const [first, latest, activity] = await Promise.all([
      edge(true),
      edge(false),
      send<{ Item?: StoredProfile }>(this.#client, new GetCommand({ TableName: this.#table, Key: activityKey(scope), ConsistentRead: true })),
    ]);
    const oldest = first.Items?.[0];
    const newest = latest.Items?.[0];
    if (!oldest || !newest || newest.accountSid !== scope.accountSid || newest.workspaceSid !== scope.workspaceSid) return undefined;
    const profile = activity.Item?.accountSid === scope.accountSid ? activity.Item : undefined;
    return { worker: workerOf(scope, { oldest, newest }, profile), profile };
  }
}

/** A worker as its links and its own item say: of the attributes and the name, the later of a callback's and a Worker update's. */
function workerOf(scope: WorkerScope, links: { oldest: StoredWorkerLink; newest: StoredWorkerLink }, profile: StoredProfile | undefined): WorkerRecord {
  const { oldest, newest } = links;
  const updatedAttributes = profile?.attributes !== undefined && (profile.attributesAt ?? 0) >= newest.createdAt;
  const updatedName = profile?.friendlyName !== undefined && (profile.friendlyNameAt ?? 0) >= newest.createdAt;
  return {
    sid: scope.workerSid,
    accountSid: scope.accountSid,
    workspaceSid: scope.workspaceSid,
    friendlyName: updatedName ? profile!.friendlyName! : (newest.workerName ?? null),
    attributes: updatedAttributes ? profile!.attributes! : newest.workerAttributes,
    activitySid: profile?.activitySid ?? null,
    activityChangedAt: profile?.changedAt ?? null,
    activitySetBy: profile?.activitySetBy ?? null,
    createdAt: oldest.createdAt,
    updatedAt: Math.max(newest.createdAt, profile?.changedAt ?? 0, profile?.attributesAt ?? 0, profile?.friendlyNameAt ?? 0),
    version: profile?.version ?? 0,
  };
}

/**
 * A record of the table's stream (its new image, unmarshalled) as the worker change it made, if
 * it is a worker's own item written by a change with events (a Worker update, a rule's move, a
 * move TaskRouter made that connected mode's mirror recorded).
 */
export function decodeWorkerChange(item: Record<string, unknown>): WorkerChange | undefined {
  const key = item[TABLE.partitionKey];
  if (item[TABLE.sortKey] !== ACTIVITY_SORT_KEY || typeof key !== 'string') return undefined;
  const profile = item as unknown as StoredProfile;
  if (profile.change === undefined || profile.workspaceSid === undefined) return undefined;
  return { accountSid: profile.accountSid, workspaceSid: profile.workspaceSid, workerSid: key.slice(key.lastIndexOf('#') + 1), ...profile.change };
}

/** A stream record's new image (marshalled), as the worker change its write made, if any. */
export function decodeWorkerStreamImage(image: Record<string, unknown> | undefined): WorkerChange | undefined {
  return image === undefined ? undefined : decodeWorkerChange(unmarshall(image as Record<string, AttributeValue>));
}

/** The condition that a worker's own item is still at `version` (0: never written by a change). */
function versionIs(e: Expression, version: number): string {
  const name = e.name('version');
  return version === 0 ? `attribute_not_exists(${name})` : `${name} = ${e.value(version)}`;
}
