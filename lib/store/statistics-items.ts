/**
 * The statistics items' adapter. Per workspace (`STATS#<AC>#<WS>`):
 *
 *   tally       pk …#h<hour>   sk T#<second>.<tenth>  a tenth of a second's events: `e|<event id>` = the event's entry
 *                                                      (what it counts: lib/domain/statistics-tally.ts)
 *   versions    pk …#h<hour>   sk V                   m<minute>: late writes to each minute of the hour
 *               pk …#d<day>    sk V                   d: to the day; h<hour>: to each hour of the day;
 *                                                      hs: the hours of the day that have tallies
 *   roll-ups    pk …#h<hour>   sk C#m<start>#<family> a minute of one family, with the version it was made at
 *               pk …#d<day>    sk C#h<start>#<family>, C#d<start>#<family>   an hour, the day
 *   claims      pk …#c#<WT|WK>  sk CLAIMS             c<event>: the slot (tenths of a second) each event of the task (or worker) is counted in
 *   workspace   pk …           sk WORKSPACE           the workspace has a record (404s for others)
 *   tasks       pk …#live      sk <WT>                a task's state after its latest event (a finished one kept a day)
 *   marks       pk …#marks     sk <WT>#<WR>           a reservation pending (its worker, name, deadline); deleted when it leaves
 *   workers     pk …#workers   sk <WK>                a worker's name and latest activity
 *   queues      pk …#queues    sk <WQ>                a task queue the record has seen
 *
 * (`<hour>` and `<day>` count hours and days since the epoch; `<second>`, `<start>` are epoch seconds.)
 *
 * An event is counted by setting its entry in its slot's tally under its id, unless an entry is
 * there already (`if_not_exists`): counted once, whatever repeats, in an update no condition can
 * refuse. The entries of one turn of the event loop for one tally share an update, and so do those
 * that arrive while it is in flight (like the table's group commit), so a busy slot costs one
 * write per round trip, not one per event. Reads turn a tally's entries into counts.
 */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { WorkspaceScope } from '../domain/scope.ts';
import type { WindowReader } from '../domain/paging.ts';
import { type CacheFamily, ROLL_UP_NAME } from '../domain/statistics-aggregate.ts';
import { periodOf, type Period } from '../domain/statistics-periods.ts';
import { statisticsDaysOf } from '../domain/statistics-query.ts';
import type { KnownWorker, LiveReservation, LiveTask, PendingMark } from '../domain/statistics-realtime.ts';
import { SLOT_MS, secondOfSlot, talliesBySecond, type Contribution, type Tally } from '../domain/statistics-tally.ts';
import type { PeriodState, RollUp, StatisticsStore } from '../statistics/ports.ts';
import { batchGet, type TableWrite } from './batch.ts';
import { conditionalWrite, type Item } from './conditional-write.ts';
import { Expression } from './expression.ts';
import { itemKey, tableBatches, type TableBatches } from './group-commit.ts';
import { send } from './send.ts';
import { TABLE, statisticsPartition } from './table.ts';

/** A tally's attribute for each event it counted: `e|<event id>` = the event's entry. */
const ENTRY_PREFIX = 'e|';
/** Events per UpdateItem: DynamoDB's expressions are at most 4 KB, and an event's clause takes about 40 characters. */
const PER_UPDATE = 50;
/** Claims per UpdateItem (each names one attribute and one value in the 4 KB expression). */
const PER_CLAIM = 40;
/**
 * How long a claim is kept behind its subject's latest one: longer than any two derivations of one
 * event can be apart (the gateway's own write when TaskRouter confirms it, the mirror's from its
 * callback or from Event Streams, which keeps a day of records). A worker's claims item gains one
 * claim per activity change, for as long as the worker works: without this it would reach the item
 * size limit after about 10,000 changes.
 */
const CLAIM_KEPT_SLOTS = (2 * 86_400 * 1000) / SLOT_MS;
/** Claims past CLAIM_KEPT_SLOTS removed together, once there are this many: one write for many. */
const PRUNE_AT = 100;
/** A finished task's state stays a day (the reads pass over it), then TTL removes it. */
const FINISHED_SECONDS = 86_400;
/** How many tasks' and reservations' latest live-state times a process remembers (see `setTask`). */
const LIVE_TIMES_KEPT = 10_000;

const hourOf = (second: number) => Math.floor(second / 3600);
const dayOf = (second: number) => Math.floor(second / 86_400);
const pad = (second: number) => String(second).padStart(10, '0');
/** A slot's tally: its second's, then the tenth (`T#<second>.<tenth>`, in order between `T#<second>` and the next second's). */
const tallyKey = (scope: WorkspaceScope, slot: number) => {
  const second = secondOfSlot(slot);
  return { pk: statisticsPartition(scope, `h${hourOf(second)}`), sk: `T#${pad(second)}.${slot - second * (1000 / SLOT_MS)}` };
};

/** Where a period's version is kept: the item, and its attribute there. */
function versionOf(scope: WorkspaceScope, period: Period): { key: Item; attribute: string } {
  if (period.level === 'minute') {
    return { key: { pk: statisticsPartition(scope, `h${hourOf(period.start)}`), sk: 'V' }, attribute: `m${(period.start % 3600) / 60}` };
  }
  const key = { pk: statisticsPartition(scope, `d${dayOf(period.start)}`), sk: 'V' };
  return { key, attribute: period.level === 'day' ? 'd' : `h${(period.start % 86_400) / 3600}` };
}

function rollUpKey(scope: WorkspaceScope, period: Period, family: CacheFamily): Item {
  const partition = period.level === 'minute' ? `h${hourOf(period.start)}` : `d${dayOf(period.start)}`;
  return { pk: statisticsPartition(scope, partition), sk: `C#${period.level[0]}${period.start}#${ROLL_UP_NAME[family]}` };
}

/** The day's version item, which also holds `hs`: the hours of the day marked as having tallies. */
const dayVersionKey = (scope: WorkspaceScope, second: number): Item => ({ pk: statisticsPartition(scope, `d${dayOf(second)}`), sk: 'V' });
const hourOfDay = (second: number) => Math.floor((second % 86_400) / 3600);
const HOURS = 'hs';

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

interface Queue {
  readonly scope: WorkspaceScope;
  readonly slot: number;
  contributions: Contribution[];
  waiters: Waiter[];
  inFlight: boolean;
  /** A pump is due at the end of this turn of the event loop. */
  due: boolean;
}

export interface StatisticsItemsSettings {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly retentionDays: number;
  /** The table's shared batch writer (see group-commit.ts); one of its own if none. */
  readonly batches?: TableBatches;
}

/**
 * A slot's tally reached DynamoDB's 400 KB item size limit: about 2,800 counted events in one
 * tenth of a second for one workspace. The events that would go on counting there cannot be
 * counted, and the writes that made them fail (not the caller's doing: no 400).
 */
export class TallyFullError extends Error {
  constructor(scope: WorkspaceScope, slot: number) {
    super(
      `the statistics tally of workspace ${scope.workspaceSid} for ${new Date(slot * SLOT_MS).toISOString()} (a tenth of a second) is full: ` +
        'DynamoDB holds an item to 400 KB, about 2,800 counted events, so this event cannot be counted',
    );
    this.name = 'TallyFullError';
  }
}

/** The first of each id, in order: of two entries or claims of one event, the first decides. */
function firstOfEach<T extends { readonly id: string }>(items: readonly T[]): T[] {
  const first = new Map<string, T>();
  for (const item of items) if (!first.has(item.id)) first.set(item.id, item);
  return [...first.values()];
}

/** A directory item of the workers' partition as the worker it names. */
function knownWorker(item: Item): KnownWorker {
  return {
    workerSid: String(item['sk']),
    friendlyName: typeof item['friendlyName'] === 'string' ? item['friendlyName'] : null,
    activitySid: typeof item['activitySid'] === 'string' ? item['activitySid'] : null,
  };
}

export class StatisticsItems implements StatisticsStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #keepSeconds: number;
  readonly #retentionSeconds: number;
  readonly #queues = new Map<string, Queue>();
  readonly #batches: TableBatches;
  /** The time of the latest live state this process has put, by item key, the most recent tasks' (see `setTask`). */
  readonly #liveTimes = new Map<string, number>();

  constructor(settings: StatisticsItemsSettings) {
    this.#batches = settings.batches ?? tableBatches(settings.client, settings.tableName);
    this.#client = settings.client;
    this.#table = settings.tableName;
    // Counts outlive the events: the statistics reach back at least 30 days, whatever RETENTION_DAYS says.
    this.#keepSeconds = (statisticsDaysOf(settings.retentionDays) + 1) * 86_400;
    this.#retentionSeconds = settings.retentionDays * 86_400;
  }

  tally(scope: WorkspaceScope, slot: number, contributions: readonly Contribution[]): Promise<void> {
    if (contributions.length === 0) return Promise.resolve();
    const key = itemKey(tallyKey(scope, slot));
    let queue = this.#queues.get(key);
    if (queue === undefined) {
      queue = { scope, slot, contributions: [], waiters: [], inFlight: false, due: false };
      this.#queues.set(key, queue);
    }
    const q = queue;
    return new Promise<void>((resolve, reject) => {
      q.contributions.push(...contributions);
      q.waiters.push({ resolve, reject });
      // What the other writes of this turn of the event loop add to the slot goes in the same update.
      if (q.due) return;
      q.due = true;
      setImmediate(() => {
        q.due = false;
        this.#pump(key, q);
      });
    });
  }

  /** Sends what is queued for one tally, unless an update of it is in flight (then when it returns). */
  #pump(key: string, queue: Queue): void {
    if (queue.inFlight || queue.due) return;
    if (queue.contributions.length === 0) {
      if (this.#queues.get(key) === queue) this.#queues.delete(key);
      return;
    }
    const { contributions, waiters } = queue;
    queue.contributions = [];
    queue.waiters = [];
    queue.inFlight = true;
    this.#count(queue.scope, queue.slot, contributions)
      .then(
        () => {
          for (const w of waiters) w.resolve();
        },
        (error: unknown) => {
          for (const w of waiters) w.reject(error);
        },
      )
      .finally(() => {
        // The next round leaves once this one settled, whatever its outcome.
        queue.inFlight = false;
        this.#pump(key, queue);
      });
  }

  /**
   * Counts contributions in their tally: each entry set under its event's id unless one is there
   * (`if_not_exists`: the first derivation of an event stays, a repeat changes nothing), so no
   * condition can refuse the update and no retry is needed; as many a call as fit.
   */
  async #count(scope: WorkspaceScope, slot: number, contributions: readonly Contribution[]): Promise<void> {
    // One entry an event, the first queued: as the stored one, the first derivation stays.
    const unique = firstOfEach(contributions);
    for (let i = 0; i < unique.length; i += PER_UPDATE) {
      const e = new Expression();
      const sets = [
        `${e.name(TABLE.ttlAttribute)} = ${e.value(secondOfSlot(slot) + this.#keepSeconds)}`,
        ...unique.slice(i, i + PER_UPDATE).map((c) => {
          const name = e.name(`${ENTRY_PREFIX}${c.id}`);
          return `${name} = if_not_exists(${name}, ${e.value(c.entry)})`;
        }),
      ];
      await send(
        this.#client,
        new UpdateCommand({ TableName: this.#table, Key: tallyKey(scope, slot), UpdateExpression: `SET ${sets.join(', ')}`, ...e.params }),
        () => new TallyFullError(scope, slot),
      );
    }
  }

  async tallies(scope: WorkspaceScope, from: number, to: number): Promise<Tally[]> {
    // `T#<second>` sorts before its slots' `T#<second>.<tenth>`, which sort before `T#<second>~`.
    const items = await this.#query(statisticsPartition(scope, `h${hourOf(from)}`), `T#${pad(from)}`, `T#${pad(to)}~`);
    return talliesBySecond(
      items.map((item) => [
        Number(String(item['sk']).slice(2, 12)),
        Object.entries(item).flatMap(([attribute, value]) => (attribute.startsWith(ENTRY_PREFIX) && typeof value === 'string' ? [value] : [])),
      ]),
    );
  }

  /** The items of `pk` from sort key `from` to `to`; with `only`, those its filter selects (with only the attributes it names, if it names any). */
  async #query(
    pk: string,
    from: string,
    to: string,
    only?: { readonly filter: (e: Expression) => string; readonly attributes?: readonly string[] },
  ): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const e = new Expression();
      const page: { Items?: Item[]; LastEvaluatedKey?: Item } = await send(
        this.#client,
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: `${e.name(TABLE.partitionKey)} = ${e.value(pk)} AND ${e.name(TABLE.sortKey)} BETWEEN ${e.value(from)} AND ${e.value(to)}`,
          ...(only && { FilterExpression: only.filter(e) }),
          ...(only?.attributes && { ProjectionExpression: only.attributes.map((a) => e.name(a)).join(', ') }),
          ConsistentRead: true,
          ...(start && { ExclusiveStartKey: start }),
          ...e.params,
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return items;
  }

  async touch(scope: WorkspaceScope, second: number): Promise<void> {
    const bump = async (period: Period, ...more: Period[]) => {
      const { key } = versionOf(scope, period);
      const e = new Expression();
      const adds = [period, ...more].map((p) => `${e.name(versionOf(scope, p).attribute)} ${e.value(1)}`);
      await send(
        this.#client,
        new UpdateCommand({
          TableName: this.#table,
          Key: key,
          UpdateExpression: `SET ${e.name(TABLE.ttlAttribute)} = ${e.value(second + this.#keepSeconds)} ADD ${adds.join(', ')}`,
          ...e.params,
        }),
      );
    };
    await Promise.all([bump(periodOf('minute', second)), bump(periodOf('day', second), periodOf('hour', second))]);
  }

  async claim(scope: WorkspaceScope, subject: string, claims: readonly { readonly id: string; readonly slot: number }[]): Promise<Map<string, number>> {
    const claimed = new Map<string, number>();
    // The first of one event's claims in a call is its first claim, as a claim stored before it would be.
    const unique = firstOfEach(claims);
    for (let i = 0; i < unique.length; i += PER_CLAIM) {
      let todo = unique.slice(i, i + PER_CLAIM);
      // Each attempt claims them all or learns (from the item as stored) which are claimed already, and for when.
      for (let attempt = 0; todo.length > 0; attempt++) {
        if (attempt >= 10) throw new Error(`the claims of ${subject} kept refusing their update`);
        const e = new Expression();
        const oldest = secondOfSlot(Math.min(...todo.map((c) => c.slot)));
        const outcome = await conditionalWrite(
          this.#client,
          new UpdateCommand({
            TableName: this.#table,
            Key: { pk: statisticsPartition(scope, `c#${subject}`), sk: 'CLAIMS' },
            UpdateExpression: `SET ${[`${e.name(TABLE.ttlAttribute)} = ${e.value(oldest + this.#keepSeconds)}`, ...todo.map((c) => `${e.name(`c${c.id}`)} = ${e.value(c.slot)}`)].join(', ')}`,
            ConditionExpression: todo.map((c) => `attribute_not_exists(${e.name(`c${c.id}`)})`).join(' AND '),
            // The item as it now is, to see what claims it has outlived (no capacity of its own).
            ReturnValues: 'ALL_NEW',
            ...e.params,
          }),
          { stored: true },
        );
        if (outcome.written) {
          for (const c of todo) claimed.set(c.id, c.slot);
          await this.#pruneClaims(scope, subject, outcome.item);
          break;
        }
        const stored = outcome.stored ?? {};
        for (const c of todo) if (typeof stored[`c${c.id}`] === 'number') claimed.set(c.id, stored[`c${c.id}`] as number);
        todo = todo.filter((c) => !claimed.has(c.id));
      }
    }
    return claimed;
  }

  /** Removes the claims CLAIM_KEPT_SLOTS behind the subject's latest, once PRUNE_AT of them are there. */
  async #pruneClaims(scope: WorkspaceScope, subject: string, item: Item): Promise<void> {
    const claims = Object.entries(item).filter((entry): entry is [string, number] => entry[0].startsWith('c') && typeof entry[1] === 'number');
    const latest = Math.max(...claims.map(([, slot]) => slot));
    const old = claims.filter(([, slot]) => slot < latest - CLAIM_KEPT_SLOTS).map(([name]) => name);
    if (old.length < PRUNE_AT) return;
    // Names of about 35 characters: 100 of them keep an expression well under its 4 KB.
    for (let i = 0; i < old.length; i += PRUNE_AT) {
      const e = new Expression();
      await send(
        this.#client,
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: statisticsPartition(scope, `c#${subject}`), sk: 'CLAIMS' },
          UpdateExpression: `REMOVE ${old
            .slice(i, i + PRUNE_AT)
            .map((name) => e.name(name))
            .join(', ')}`,
          ...e.params,
        }),
      );
    }
  }

  async markHour(scope: WorkspaceScope, second: number): Promise<void> {
    const e = new Expression();
    await send(
      this.#client,
      new UpdateCommand({
        TableName: this.#table,
        Key: dayVersionKey(scope, second),
        UpdateExpression: `SET ${e.name(TABLE.ttlAttribute)} = ${e.value(second + this.#keepSeconds)} ADD ${e.name(HOURS)} ${e.value(new Set([hourOfDay(second)]))}`,
        ...e.params,
      }),
    );
  }

  async periods(scope: WorkspaceScope, periods: readonly Period[], family: CacheFamily): Promise<PeriodState[]> {
    const keys = new Map<string, Item>();
    for (const period of periods) {
      for (const key of [versionOf(scope, period).key, rollUpKey(scope, period, family), dayVersionKey(scope, period.start)]) keys.set(itemKey(key), key);
    }
    const found = new Map((await batchGet(this.#client, this.#table, [...keys.values()])).map((item) => [itemKey(item), item]));
    return periods.map((period) => {
      const { key, attribute } = versionOf(scope, period);
      const version = Number(found.get(itemKey(key))?.[attribute] ?? 0);
      const kept = found.get(itemKey(rollUpKey(scope, period, family)));
      const marked = (found.get(itemKey(dayVersionKey(scope, period.start)))?.[HOURS] as Set<number> | undefined) ?? new Set<number>();
      const empty = period.level === 'day' ? marked.size === 0 : !marked.has(hourOfDay(period.start));
      return {
        version,
        ...(kept && { rollUp: { version: Number(kept['version']), payload: String(kept['payload']) } }),
        ...(empty && { empty: true as const }),
      };
    });
  }

  /**
   * A roll-up past DynamoDB's item size limit (about 1,500 workers active in one hour or day, for
   * the workers' family) is not kept: the read that made it answers from it, and the next read
   * makes it again from the periods below. A cache that cannot hold it is no reason to fail a read.
   */
  async keep(scope: WorkspaceScope, period: Period, family: CacheFamily, rollUp: RollUp): Promise<void> {
    const e = new Expression();
    const tooLarge = new Error('too large to keep');
    try {
      await conditionalWrite(
        this.#client,
        new PutCommand({
          TableName: this.#table,
          Item: {
            ...rollUpKey(scope, period, family),
            version: rollUp.version,
            payload: rollUp.payload,
            [TABLE.ttlAttribute]: period.start + this.#keepSeconds,
          },
          // A roll-up of a later version kept meanwhile stays.
          ConditionExpression: `attribute_not_exists(${e.name('version')}) OR ${e.name('version')} <= ${e.value(rollUp.version)}`,
          ...e.params,
        }),
        { stored: false, tooLarge: () => tooLarge },
      );
    } catch (error) {
      if (error !== tooLarge) throw error;
    }
  }

  async markWorkspace(scope: WorkspaceScope): Promise<void> {
    const e = new Expression();
    await conditionalWrite(
      this.#client,
      new PutCommand({
        TableName: this.#table,
        Item: { pk: statisticsPartition(scope), sk: 'WORKSPACE' },
        ConditionExpression: `attribute_not_exists(${e.name(TABLE.partitionKey)})`,
        ...e.params,
      }),
      { stored: false },
    );
  }

  async knowsWorkspace(scope: WorkspaceScope): Promise<boolean> {
    const { Item } = await send<{ Item?: Item }>(
      this.#client,
      new GetCommand({ TableName: this.#table, Key: { pk: statisticsPartition(scope), sk: 'WORKSPACE' }, ConsistentRead: true }),
    );
    return Item !== undefined;
  }

  /**
   * A task's state after its latest event, and what the events say of its reservations (pending:
   * a mark put; left, `null`: its mark deleted, so that the marks hold the pending ones only),
   * each written without a condition through the table's batches (one call shared with the events
   * and the other tasks being written, not one conditional write each). The latest state must win
   * whatever order they are counted in, and a left reservation must never read pending again
   * (a pending mark written after its deletion would); who could write them out of order:
   * - Deployed, one stream shard carries a task's writes, in order; a retried batch replays them in
   *   order too, so the last write is the latest state (a reservation's creation and its leaving
   *   replayed: put, then deleted).
   * - In one process, two counts of one task can race (an accept and a timeout, a repeat and its
   *   original): the process remembers the time of each task's and reservation's latest written or
   *   queued state, a deletion's too, and drops an older one (of a pending and a left mark at the
   *   same time, the left one wins). A race lasts a request; the last 10,000 tasks' and
   *   reservations' are kept.
   * - The sweep and a repeat derive the state from the task as last written: the latest.
   */
  async setTask(scope: WorkspaceScope, task: LiveTask, final: boolean, reservations?: ReadonlyMap<string, LiveReservation | null>): Promise<void> {
    const atSecond = Math.floor(task.at / 1000);
    const writes: TableWrite[] = [];
    const state = {
      pk: statisticsPartition(scope, 'live'),
      sk: task.taskSid,
      ...task,
      final,
      [TABLE.ttlAttribute]: atSecond + (final ? FINISHED_SECONDS : this.#retentionSeconds),
    };
    if (this.#newest(state, task.at * 2)) writes.push({ put: state });
    for (const [reservationSid, mark] of reservations ?? []) {
      const key = { pk: statisticsPartition(scope, 'marks'), sk: `${task.taskSid}#${reservationSid}` };
      if (!this.#newest(key, task.at * 2 + (mark === null ? 1 : 0))) continue;
      writes.push(
        mark === null
          ? { delete: key }
          : {
              put: {
                ...key,
                taskSid: task.taskSid,
                reservationSid,
                w: mark.workerSid,
                n: mark.workerName,
                d: mark.deadline,
                [TABLE.ttlAttribute]: atSecond + this.#retentionSeconds,
              },
            },
      );
    }
    await this.#batches.write(writes);
  }

  /** Whether `item` is the newest this process has written of its key (`rank`: its time, doubled, +1 if it must win a tie); if so, remembered as such. */
  #newest(item: Item, rank: number): boolean {
    const key = itemKey(item);
    const latest = this.#liveTimes.get(key);
    if (latest !== undefined && latest > rank) return false;
    // Most recent last: the first key is the one written longest ago, forgotten first.
    this.#liveTimes.delete(key);
    this.#liveTimes.set(key, rank);
    if (this.#liveTimes.size > LIVE_TIMES_KEPT) this.#liveTimes.delete(this.#liveTimes.keys().next().value!);
    return true;
  }

  async liveTasks(scope: WorkspaceScope): Promise<LiveTask[]> {
    const items = await this.#query(statisticsPartition(scope, 'live'), ' ', '~');
    return items
      .filter((item) => item['final'] !== true)
      .map((item) => ({
        taskSid: String(item['taskSid']),
        status: String(item['status']),
        priority: Number(item['priority']),
        taskQueueSid: String(item['taskQueueSid']),
        workflowSid: String(item['workflowSid']),
        createdAt: Number(item['createdAt']),
        at: Number(item['at']),
      }));
  }

  async pendingMarks(scope: WorkspaceScope): Promise<PendingMark[]> {
    // A left reservation's mark is deleted; the filter passes over those written as `left` before
    // marks were deleted (TTL removes them a day after).
    const marks = await this.#query(statisticsPartition(scope, 'marks'), ' ', '~', {
      filter: (e) => `attribute_not_exists(${e.name('left')})`,
      attributes: ['taskSid', 'reservationSid', 'w', 'n', 'd'],
    });
    return marks.map((mark) => ({
      taskSid: String(mark['taskSid']),
      reservationSid: String(mark['reservationSid']),
      workerSid: String(mark['w']),
      workerName: typeof mark['n'] === 'string' ? mark['n'] : null,
      deadline: Number(mark['d']),
    }));
  }

  async setWorker(scope: WorkspaceScope, workerSid: string, update: { readonly friendlyName?: string; readonly activitySid?: string; readonly at: number }) {
    const key = { pk: statisticsPartition(scope, 'workers'), sk: workerSid };
    const expires = Math.floor(update.at / 1000) + this.#retentionSeconds;
    // The name and the activity each keep their newest value; one update per kind, each conditioned on its own time.
    const write = async (value: string | undefined, attribute: string, time: string) => {
      const e = new Expression();
      const ttl = e.name(TABLE.ttlAttribute);
      const sets = [`${ttl} = ${e.value(expires)}`];
      if (value !== undefined) sets.push(`${e.name(attribute)} = ${e.value(value)}`, `${e.name(time)} = ${e.value(update.at)}`);
      // A value keeps its newest; an expiry alone (a reservation seen again) only moves later.
      const condition =
        value !== undefined
          ? `attribute_not_exists(${e.name(time)}) OR ${e.name(time)} <= ${e.value(update.at)}`
          : `attribute_not_exists(${ttl}) OR ${ttl} < ${e.value(expires)}`;
      await conditionalWrite(
        this.#client,
        new UpdateCommand({
          TableName: this.#table,
          Key: key,
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: condition,
          ...e.params,
        }),
        { stored: false },
      );
    };
    await Promise.all([
      ...(update.activitySid !== undefined ? [write(update.activitySid, 'activitySid', 'activityAt')] : []),
      ...(update.activitySid === undefined || update.friendlyName !== undefined ? [write(update.friendlyName, 'friendlyName', 'nameAt')] : []),
    ]);
  }

  async workers(scope: WorkspaceScope): Promise<KnownWorker[]> {
    return (await this.#query(statisticsPartition(scope, 'workers'), ' ', '~')).map(knownWorker);
  }

  workersWindow(scope: WorkspaceScope): WindowReader<KnownWorker> {
    return async (direction, from, limit) => {
      // A Limit of 0 is no query DynamoDB takes: nothing read, and more may lie beyond.
      if (limit === 0) return { items: [], more: true };
      const e = new Expression();
      let keyCondition = `${e.name(TABLE.partitionKey)} = ${e.value(statisticsPartition(scope, 'workers'))}`;
      if (from !== undefined) keyCondition += ` AND ${e.name(TABLE.sortKey)} ${direction === 'forward' ? '>' : '<'} ${e.value(from)}`;
      const { Items = [], LastEvaluatedKey } = await send<{ Items?: Item[]; LastEvaluatedKey?: object }>(
        this.#client,
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: keyCondition,
          ScanIndexForward: direction === 'forward',
          Limit: limit,
          ConsistentRead: true,
          ...e.params,
        }),
      );
      const workers = Items.map(knownWorker);
      if (direction === 'backward') workers.reverse();
      return { items: workers, more: LastEvaluatedKey !== undefined };
    };
  }

  async rememberQueue(scope: WorkspaceScope, taskQueueSid: string): Promise<void> {
    await send(this.#client, new PutCommand({ TableName: this.#table, Item: { pk: statisticsPartition(scope, 'queues'), sk: taskQueueSid } }));
  }

  async queues(scope: WorkspaceScope): Promise<string[]> {
    return (await this.#query(statisticsPartition(scope, 'queues'), ' ', '~')).map((item) => String(item['sk']));
  }
}
