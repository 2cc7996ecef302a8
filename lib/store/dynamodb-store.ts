/**
 * The DynamoDB adapter of the store port. A task and all its reservations are one item, so every
 * reservation change is one conditional UpdateItem whose condition is the state machine's `from`
 * (compiled below), and the invariants of SPEC §8 (one accepted reservation per task, an exact
 * rejection count, leaving `pending` once) are each a clause of that condition. No transactions:
 * the embedded engine has none, and single-item writes never conflict with each other's locks.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ConflictError, ServiceUnavailableError } from '../domain/errors.ts';
import { listKey } from '../domain/paging.ts';
import { RESERVATION_STATUSES, STATUS_RANK, TRANSITIONS, WORKED_STATUSES, observedEffects, type Transition } from '../domain/state-machine.ts';
import { checkAction, findReservation, isCanceled, presentOf, type ReservationRecord, type TaskRecord } from '../domain/task.ts';
import type { WorkerRecord } from '../domain/worker.ts';
import { Expression, updateExpression } from './expression.ts';
import { sendToStore } from './store-errors.ts';
import type {
  ApplyAction,
  MarkOutcome,
  NewReservation,
  Observation,
  RecordOutcome,
  ReservationStore,
  TaskScope,
  UpstreamRecords,
  WorkerReservation,
  WorkerScope,
} from './store.ts';
import { FORWARD_INDEX, TABLE, activityKey, inFlightAt, reservationAttribute, taskKey, workerLinkKey, workerPartition } from './table.ts';
import { decodeTask, encodeReservation } from './task-item.ts';

const BATCH_GET_LIMIT = 100;
/**
 * Attempts of one change before a 409. Writes to one task item are stamped in strictly increasing
 * time (#stampWrite), so concurrent compatible changes (rejections of different reservations, say)
 * meet each other's stamps: each retry goes just past the stamp it lost to, spread a little so that
 * several losers do not all collide again, and about half of them succeed every round.
 */
const MAX_WRITE_ATTEMPTS = 10;

/** The time of a retried write: after the write it lost to. */
function after(writtenAt: number, now: number): number {
  return Math.max(now, writtenAt + 1 + Math.floor(Math.random() * 8));
}

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

interface StoredActivity {
  accountSid: string;
  activitySid: string;
  changedAt: number;
}

const taskSidOfScope = (scope: TaskScope) => scope.taskSid;

function inScope(task: TaskRecord, scope: { accountSid: string; workspaceSid: string }): boolean {
  return task.accountSid === scope.accountSid && task.workspaceSid === scope.workspaceSid;
}

export interface DynamoDbStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly retentionDays: number;
}

export class DynamoDbStore implements ReservationStore, UpstreamRecords {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #retentionSeconds: number;

  constructor(options: DynamoDbStoreOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#retentionSeconds = options.retentionDays * 86_400;
  }

  #send<T>(command: object): Promise<T> {
    return sendToStore<T>(this.#client, command);
  }

  #expiresAt(now: number): number {
    return Math.floor(now / 1000) + this.#retentionSeconds;
  }

  /** The task's TTL after a change that leaves a reservation in `status` (see WORKED_STATUSES). */
  #retention(e: Expression, status: ReservationRecord['status'], now: number, set: string[], remove: string[]): void {
    if (WORKED_STATUSES.includes(status)) remove.push(e.name(TABLE.ttlAttribute));
    else set.push(`${e.name(TABLE.ttlAttribute)} = ${e.value(this.#expiresAt(now))}`);
  }

  async #getTaskItem(scope: TaskScope): Promise<TaskRecord | undefined> {
    const { Item } = await this.#send<{ Item?: Record<string, unknown> }>(
      new GetCommand({ TableName: this.#table, Key: taskKey(scope), ConsistentRead: true }),
    );
    return Item ? decodeTask(Item) : undefined;
  }

  /** The item a failed condition saw: returned by DynamoDB, re-read where the engine does not. */
  async #itemAfterFailure(error: ConditionalCheckFailedException, scope: TaskScope): Promise<TaskRecord | undefined> {
    return error.Item ? decodeTask(unmarshall(error.Item)) : this.#getTaskItem(scope);
  }

  /**
   * Stamps a write to a task item with its time (`writtenAt`, and the previous write's as
   * `previousWrittenAt`) and conditions it on being later than the previous one: writes to one
   * task item are totally ordered in time, whatever the clocks of concurrent writers, which is what
   * gives each event exactly one write (lib/domain/taskrouter-events.ts).
   */
  #stampWrite(e: Expression, now: number, set: string[], conditions: string[]): void {
    const written = e.name('writtenAt');
    set.push(`${e.name('previousWrittenAt')} = if_not_exists(${written}, ${e.value(0)})`, `${written} = ${e.value(now)}`);
    conditions.push(`(attribute_not_exists(${written}) OR ${written} < ${e.value(now)})`);
  }

  async recordReservation(input: NewReservation, at: number): Promise<{ outcome: RecordOutcome; task: TaskRecord }> {
    let now = at;
    for (let attempt = 1; ; attempt++) {
      try {
        const { Attributes } = await this.#send<{ Attributes: Record<string, unknown> }>(new UpdateCommand(this.#recordCommand(input, now)));
        return { outcome: 'created', task: decodeTask(Attributes) };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const existing = await this.#itemAfterFailure(error, input.task);
        if (!existing) throw error;
        if (findReservation(existing, input.reservationSid)) return { outcome: 'repeated', task: existing };
        if (!input.evenIfClosed && (existing.acceptedReservationSid !== undefined || isCanceled(existing))) return { outcome: 'refused', task: existing };
        // Open, and not this reservation's: the task item was written at or after our `now` (a
        // writer whose clock is ahead). Record it just after that write.
        if (attempt === MAX_WRITE_ATTEMPTS) throw new ConflictError(`Task ${input.task.taskSid} changed concurrently; retry the request`);
        now = after(existing.writtenAt, now);
      }
    }
  }

  /** The conditional UpdateItem that records a reservation, with its instruction applied. */
  #recordCommand(input: NewReservation, now: number) {
    const e = new Expression();
    const transition: Transition | undefined = input.action && TRANSITIONS[input.action.transition];
    const status = transition?.to ?? 'pending';
    const stored = encodeReservation({
      workerSid: input.workerSid,
      workerName: input.workerName,
      workerAttributes: input.workerAttributes,
      status,
      version: 1,
      createdAt: now,
      updatedAt: now,
      deadline: input.deadline,
      ...(input.contactUri !== undefined && { contactUri: input.contactUri }),
      ...(input.action?.instruction && { instruction: input.action.instruction }),
      history: status === 'pending' ? {} : { [status]: now },
      ...(input.action?.activitySid && { activitySid: input.action.activitySid, activityAt: now }),
      answer: input.answer,
    });
    const r = e.name(reservationAttribute(input.reservationSid));
    // The key holds the account and the workspace: the item, if any, is this scope's.
    const [account, workspace, rejections, max] = ['accountSid', 'workspaceSid', 'rejections', 'maxRejections'].map((n) => e.name(n)) as [
      string,
      string,
      string,
      string,
    ];
    const accepted = () => e.name('acceptedSid');
    const { task } = input;
    const set = [
      `${r} = ${e.value(stored)}`,
      `${account} = if_not_exists(${account}, ${e.value(task.accountSid)})`,
      `${workspace} = if_not_exists(${workspace}, ${e.value(task.workspaceSid)})`,
      `${e.name('workflowSid')} = ${e.value(task.workflowSid)}`,
      `${e.name('taskQueueSid')} = ${e.value(task.taskQueueSid)}`,
      `${e.name('attributes')} = ${e.value(task.attributes)}`,
      `${e.name('priority')} = ${e.value(task.priority)}`,
      `${e.name('createdAt')} = if_not_exists(${e.name('createdAt')}, ${e.value(task.createdAt)})`,
      `${e.name('updatedAt')} = ${e.value(now)}`,
      `${max} = if_not_exists(${max}, ${e.value(input.maxRejections)})`,
      `${rejections} = if_not_exists(${rejections}, ${e.value(0)})${transition?.countsRejection ? ` + ${e.value(1)}` : ''}`,
    ];
    const remove: string[] = [];
    if (!input.evenIfClosed) this.#retention(e, status, now, set, remove);
    const conditions = [`attribute_not_exists(${r})`];
    if (!input.evenIfClosed) {
      // The task must still be open: not claimed by another reservation, not canceled.
      conditions.push(
        `attribute_not_exists(${accepted()})`,
        `(attribute_not_exists(${rejections}) OR ${rejections} < ${max})`,
        `attribute_not_exists(${e.name('canceled')})`,
      );
    }
    if (transition?.claimsTask) set.push(`${accepted()} = ${e.value(input.reservationSid)}`, `${e.name('acceptedAt')} = ${e.value(now)}`);
    if (transition?.countsRejection) set.push(`${e.name('lastRejectedAt')} = ${e.value(now)}`);
    this.#stampWrite(e, now, set, conditions);
    return {
      TableName: this.#table,
      Key: taskKey(task),
      UpdateExpression: updateExpression(set, remove),
      ConditionExpression: conditions.join(' AND '),
      ReturnValues: 'ALL_NEW' as const,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      ...e.params,
    };
  }

  async indexWorkerReservation(task: TaskRecord, reservation: ReservationRecord): Promise<void> {
    const e = new Expression();
    const worker = { accountSid: task.accountSid, workspaceSid: task.workspaceSid, workerSid: reservation.workerSid };
    try {
      await this.#send(
        new PutCommand({
          TableName: this.#table,
          Item: {
            ...workerLinkKey(worker, reservation.sid),
            [TABLE.workerIndex.sortKey]: listKey(reservation.createdAt, reservation.sid),
            accountSid: task.accountSid,
            workspaceSid: task.workspaceSid,
            taskSid: task.sid,
            ...(reservation.workerName !== null && { workerName: reservation.workerName }),
            workerAttributes: reservation.workerAttributes,
            createdAt: reservation.createdAt,
            // After the deadline a reservation is answered or timed out; its link outlives that by
            // RETENTION_DAYS (a task still being worked on outlives its links).
            [TABLE.ttlAttribute]: this.#expiresAt(reservation.deadline),
          },
          // The first task to name this ReservationSid for this worker keeps the link.
          ConditionExpression: `attribute_not_exists(${e.name(TABLE.partitionKey)}) OR ${e.name('taskSid')} = ${e.value(task.sid)}`,
          ...e.params,
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async getTask(scope: TaskScope): Promise<TaskRecord | undefined> {
    const task = await this.#getTaskItem(scope);
    return task && inScope(task, scope) ? task : undefined;
  }

  async findWorkerReservation(scope: WorkerScope, reservationSid: string): Promise<TaskRecord | undefined> {
    const { Item } = await this.#send<{ Item?: StoredWorkerLink }>(
      new GetCommand({ TableName: this.#table, Key: workerLinkKey(scope, reservationSid), ConsistentRead: true }),
    );
    if (!Item || Item.accountSid !== scope.accountSid || Item.workspaceSid !== scope.workspaceSid) return undefined;
    const task = await this.getTask({ ...scope, taskSid: Item.taskSid });
    return task && findReservation(task, reservationSid)?.workerSid === scope.workerSid ? task : undefined;
  }

  workerReservations(scope: WorkerScope) {
    return async (direction: 'forward' | 'backward', from: string | undefined, limit: number) => {
      const e = new Expression();
      let keyCondition = `${e.name(TABLE.partitionKey)} = ${e.value(workerPartition(scope))}`;
      if (from !== undefined) keyCondition += ` AND ${e.name(TABLE.workerIndex.sortKey)} ${direction === 'forward' ? '>' : '<'} ${e.value(from)}`;
      const { Items = [], LastEvaluatedKey } = await this.#send<{ Items?: StoredWorkerLink[]; LastEvaluatedKey?: object }>(
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
      const links = Items.filter((i) => i.accountSid === scope.accountSid && i.workspaceSid === scope.workspaceSid);
      if (direction === 'backward') links.reverse();
      const tasks = await this.#batchGetTasks(scope, [...new Set(links.map((l) => l.taskSid))]);
      const items: WorkerReservation[] = [];
      for (const link of links) {
        const task = tasks.get(link.taskSid);
        const reservation = task && inScope(task, scope) ? findReservation(task, link.sk.slice('RESERVATION#'.length)) : undefined;
        if (task && reservation) items.push({ task, reservation });
      }
      return { items, more: LastEvaluatedKey !== undefined };
    };
  }

  async #batchGetTasks(scope: WorkerScope, taskSids: readonly string[]): Promise<Map<string, TaskRecord>> {
    const tasks = new Map<string, TaskRecord>();
    for (let i = 0; i < taskSids.length; i += BATCH_GET_LIMIT) {
      let keys: Record<string, unknown>[] | undefined = taskSids.slice(i, i + BATCH_GET_LIMIT).map((taskSid) => taskKey({ ...scope, taskSid }));
      for (let attempt = 0; keys && keys.length > 0; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
        if (attempt > 5) throw new ServiceUnavailableError(1);
        const result: {
          Responses?: Record<string, Record<string, unknown>[]>;
          UnprocessedKeys?: Record<string, { Keys?: Record<string, unknown>[] }>;
        } = await this.#send(new BatchGetCommand({ RequestItems: { [this.#table]: { Keys: keys, ConsistentRead: true } } }));
        for (const item of result.Responses?.[this.#table] ?? []) {
          const task = decodeTask(item);
          tasks.set(task.sid, task);
        }
        keys = result.UnprocessedKeys?.[this.#table]?.Keys;
      }
    }
    return tasks;
  }

  async applyAction(input: ApplyAction): Promise<TaskRecord | undefined> {
    const { scope, reservationSid, action, ifMatch, workerSid } = input;
    let now = input.now;
    for (let attempt = 1; ; attempt++) {
      try {
        const { Attributes } = await this.#send<{ Attributes: Record<string, unknown> }>(new UpdateCommand(this.#actionCommand(input, now)));
        return decodeTask(Attributes);
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const task = await this.#itemAfterFailure(error, scope);
        const reservation = task && inScope(task, scope) ? findReservation(task, reservationSid) : undefined;
        if (!task || !reservation || (workerSid !== undefined && reservation.workerSid !== workerSid)) return undefined;
        // Judged at the task's own present (see presentOf), and after its last write: this throws why the action is refused.
        now = after(task.writtenAt, presentOf(task, now));
        checkAction(task, reservation, action, now, ifMatch);
        // Allowed even so: the item changed between our write and our read. Write again, at its present.
        if (attempt === MAX_WRITE_ATTEMPTS) throw new ConflictError(`Reservation ${reservationSid} changed concurrently; retry the request`);
      }
    }
  }

  /**
   * The condition of an action, from the state machine's `from` (its effective statuses compiled
   * into stored ones), the scope, If-Match, the worker of a worker-scoped request and the
   * contact_uri an instruction may need.
   */
  #actionConditions(e: Expression, input: ApplyAction, now: number): string[] {
    const { scope, reservationSid, action, ifMatch, workerSid } = input;
    const transition: Transition = TRANSITIONS[action.transition];
    const r = e.name(reservationAttribute(reservationSid));
    const field = (name: string) => `${r}.${e.name(name)}`;
    const rejections = () => e.name('rejections');
    const max = () => e.name('maxRejections');
    const accepted = () => e.name('acceptedSid');
    const acceptedAt = () => e.name('acceptedAt');
    const lastRejectedAt = () => e.name('lastRejectedAt');
    const canceled = () => e.name('canceled');
    const conditions = [`${e.name('accountSid')} = ${e.value(scope.accountSid)}`, `${e.name('workspaceSid')} = ${e.value(scope.workspaceSid)}`];
    const pending = () => e.value('pending');
    if (transition.afterDeadline) {
      // Pending as stored, but its deadline came first of the three ends in effectiveStatus().
      conditions.push(
        `${field('status')} = ${pending()}`,
        `${field('deadline')} <= ${e.value(now)}`,
        `(attribute_not_exists(${acceptedAt()}) OR ${acceptedAt()} >= ${field('deadline')})`,
        `(${rejections()} < ${max()} OR ${lastRejectedAt()} >= ${field('deadline')})`,
        `(attribute_not_exists(${canceled()}) OR ${canceled()}.${e.name('at')} >= ${field('deadline')})`,
      );
    } else {
      const stored = transition.from.filter((s) => s !== 'pending');
      const allowed: string[] = stored.length > 0 ? [`${field('status')} IN (${stored.map((s) => e.value(s)).join(', ')})`] : [];
      if (transition.from.includes('pending')) {
        // Effectively pending: not expired, the task not claimed by anyone, not canceled.
        allowed.push(
          `(${field('status')} = ${pending()} AND ${field('deadline')} > ${e.value(now)} AND attribute_not_exists(${accepted()}) AND ${rejections()} < ${max()} AND attribute_not_exists(${canceled()}))`,
        );
      }
      conditions.push(allowed.length === 1 ? allowed[0]! : `(${allowed.join(' OR ')})`);
    }
    if (ifMatch !== undefined && !ifMatch.any) {
      conditions.push(`${field('version')} IN (${(ifMatch.versions.length > 0 ? ifMatch.versions : [-1]).map((v) => e.value(v)).join(', ')})`);
    }
    if (workerSid !== undefined) conditions.push(`${field('workerSid')} = ${e.value(workerSid)}`);
    if (action.needsContactUri !== undefined) conditions.push(`attribute_exists(${field('contactUri')})`);
    return conditions;
  }

  /** The conditional UpdateItem of an action: the state machine's `from`, compiled. */
  #actionCommand(input: ApplyAction, now: number) {
    const { scope, reservationSid, action } = input;
    const transition: Transition = TRANSITIONS[action.transition];
    const e = new Expression();
    const r = e.name(reservationAttribute(reservationSid));
    const field = (name: string) => `${r}.${e.name(name)}`;
    // Placeholders are made where they are used: DynamoDB refuses unused ones.
    const rejections = () => e.name('rejections');
    const accepted = () => e.name('acceptedSid');
    const one = e.value(1);
    const set = [`${field('status')} = ${e.value(transition.to)}`, `${field('version')} = ${field('version')} + ${one}`];
    const remove: string[] = [];
    // Writing a timeout down is no change of the task: its TTL stays as the last change set it.
    if (!transition.afterDeadline) this.#retention(e, transition.to, now, set, remove);
    if (transition.afterDeadline) {
      // The reservation ended at its deadline; writing it down later changes no date.
      set.push(`${field('updatedAt')} = ${field('deadline')}`);
    } else {
      set.push(`${field('updatedAt')} = ${e.value(now)}`, `${e.name('updatedAt')} = ${e.value(now)}`);
    }
    if (action.instruction) set.push(`${field('instruction')} = ${e.value(action.instruction)}`);
    // A transition that keeps the status (an instruction left pending, supervise) is no new status.
    if (!(transition.from as readonly string[]).includes(transition.to)) {
      set.push(`${field('history')}.${e.name(transition.to)} = ${transition.afterDeadline ? field('deadline') : e.value(now)}`);
    }
    if (action.activitySid) set.push(`${field('activitySid')} = ${e.value(action.activitySid)}`, `${field('activityAt')} = ${e.value(now)}`);
    if (transition.claimsTask) set.push(`${accepted()} = ${e.value(reservationSid)}`, `${e.name('acceptedAt')} = ${e.value(now)}`);
    if (transition.countsRejection) set.push(`${rejections()} = ${rejections()} + ${one}`, `${e.name('lastRejectedAt')} = ${e.value(now)}`);

    const conditions = this.#actionConditions(e, input, now);
    this.#stampWrite(e, now, set, conditions);

    return {
      TableName: this.#table,
      Key: taskKey(scope),
      UpdateExpression: updateExpression(set, remove),
      ConditionExpression: conditions.join(' AND '),
      ReturnValues: 'ALL_NEW' as const,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      ...e.params,
    };
  }

  /** One write to a task item, retried past a writer whose clock is ahead (see #stampWrite). */
  async #writeTask(
    scope: TaskScope,
    build: (now: number) => object,
    at: number,
    onFailure: (task: TaskRecord | undefined, now: number) => 'retry' | 'done',
  ): Promise<TaskRecord | undefined> {
    let now = at;
    for (let attempt = 1; ; attempt++) {
      try {
        const { Attributes } = await this.#send<{ Attributes: Record<string, unknown> }>(new UpdateCommand(build(now) as never));
        return decodeTask(Attributes);
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const task = await this.#itemAfterFailure(error, scope);
        if (task && task.writtenAt >= now && attempt < MAX_WRITE_ATTEMPTS) {
          now = after(task.writtenAt, now);
          continue;
        }
        if (onFailure(task, now) === 'done') return task && inScope(task, scope) ? task : undefined;
        if (attempt === MAX_WRITE_ATTEMPTS) throw new ConflictError(`Task ${taskSidOfScope(scope)} changed concurrently; retry the request`);
      }
    }
  }

  #command(scope: TaskScope, e: Expression, set: string[], remove: string[], conditions: string[], now: number) {
    this.#stampWrite(e, now, set, conditions);
    return {
      TableName: this.#table,
      Key: taskKey(scope),
      UpdateExpression: updateExpression(set, remove),
      ConditionExpression: conditions.join(' AND '),
      ReturnValues: 'ALL_NEW' as const,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      ...e.params,
    };
  }

  async markForward(input: ApplyAction, markId: string): Promise<MarkOutcome | undefined> {
    const { scope, reservationSid, action, workerSid, ifMatch } = input;
    let outcome: MarkOutcome | undefined;
    const task = await this.#writeTask(
      scope,
      (now) => {
        const e = new Expression();
        const forward = e.name('forward');
        const conditions = [...this.#actionConditions(e, { ...input, now }, now), `attribute_not_exists(${forward})`];
        const set = [
          `${forward} = ${e.value({ id: markId, reservationSid, transition: action.transition, at: now })}`,
          `${e.name(FORWARD_INDEX.partitionKey)} = ${e.value(FORWARD_INDEX.partition)}`,
          `${e.name(FORWARD_INDEX.sortKey)} = ${e.value(inFlightAt(now))}`,
        ];
        return this.#command(scope, e, set, [], conditions, now);
      },
      input.now,
      (found, now) => {
        const reservation = found && inScope(found, scope) ? findReservation(found, reservationSid) : undefined;
        if (!found || !reservation || (workerSid !== undefined && reservation.workerSid !== workerSid)) return 'done';
        // Why not: the action itself (not pending, If-Match, contact_uri), else another forward.
        checkAction(found, reservation, action, presentOf(found, now), ifMatch);
        if (found.forward) {
          outcome = { taken: false, task: found, mark: found.forward };
          return 'done';
        }
        return 'retry';
      },
    );
    if (outcome) return outcome;
    return task && findReservation(task, reservationSid) && task.forward?.id === markId ? { taken: true, task } : undefined;
  }

  async recordObserved(o: Observation): Promise<{ readonly task: TaskRecord; readonly written: boolean } | undefined> {
    const { scope, reservationSid, status } = o;
    const rank = STATUS_RANK[status];
    let markId = o.markId;
    // Replacing a status of the same rank (upstream's later word on it) is rare: asked for only once the record shows one.
    let sameRank = false;
    let result: TaskRecord | undefined;
    const task = await this.#writeTask(
      scope,
      (now) => {
        const e = new Expression();
        const r = e.name(reservationAttribute(reservationSid));
        const field = (name: string) => `${r}.${e.name(name)}`;
        const lower = RESERVATION_STATUSES.filter((s) => STATUS_RANK[s] < rank);
        const same = RESERVATION_STATUSES.filter((s) => STATUS_RANK[s] === rank && s !== status);
        const allowed = [`${field('status')} IN (${lower.map((s) => e.value(s)).join(', ')})`];
        if (sameRank && same.length > 0) {
          allowed.push(
            `(${field('status')} IN (${same.map((s) => e.value(s)).join(', ')}) AND (attribute_not_exists(${field('observedAt')}) OR ${field('observedAt')} < ${e.value(o.observedAt)}))`,
          );
        }
        const conditions = [
          `${e.name('accountSid')} = ${e.value(scope.accountSid)}`,
          `${e.name('workspaceSid')} = ${e.value(scope.workspaceSid)}`,
          `attribute_exists(${r})`,
          `(${allowed.join(' OR ')})`,
        ];
        const set = [
          `${field('status')} = ${e.value(status)}`,
          `${field('version')} = ${field('version')} + ${e.value(1)}`,
          `${field('updatedAt')} = ${e.value(now)}`,
          `${e.name('updatedAt')} = ${e.value(now)}`,
          `${field('history')}.${e.name(status)} = ${e.value(now)}`,
          `${field('observedAt')} = ${e.value(o.observedAt)}`,
        ];
        const remove: string[] = [];
        this.#retention(e, status, now, set, remove);
        const effects = observedEffects(status);
        if (effects.claimsTask) set.push(`${e.name('acceptedSid')} = ${e.value(reservationSid)}`, `${e.name('acceptedAt')} = ${e.value(now)}`);
        if (effects.impliesClaim) {
          // Its acceptance went unobserved (an event lost): it was accepted, now at the latest.
          const acceptedSid = e.name('acceptedSid');
          const acceptedAt = e.name('acceptedAt');
          const acceptedEntry = `${field('history')}.${e.name('accepted')}`;
          set.push(
            `${acceptedSid} = if_not_exists(${acceptedSid}, ${e.value(reservationSid)})`,
            `${acceptedAt} = if_not_exists(${acceptedAt}, ${e.value(now)})`,
            `${acceptedEntry} = if_not_exists(${acceptedEntry}, ${e.value(now)})`,
          );
        }
        if (effects.countsRejection) {
          const rejections = e.name('rejections');
          set.push(`${rejections} = ${rejections} + ${e.value(1)}`, `${e.name('lastRejectedAt')} = ${e.value(now)}`);
        }
        const confirms = o.action !== undefined && TRANSITIONS[o.action.transition].to === status;
        if (confirms && o.action!.instruction) set.push(`${field('instruction')} = ${e.value(o.action!.instruction)}`);
        if (confirms && o.action!.activitySid)
          set.push(`${field('activitySid')} = ${e.value(o.action!.activitySid)}`, `${field('activityAt')} = ${e.value(now)}`);
        if (markId !== undefined) {
          conditions.push(`${e.name('forward')}.${e.name('id')} = ${e.value(markId)}`);
          remove.push(e.name('forward'), e.name(FORWARD_INDEX.partitionKey), e.name(FORWARD_INDEX.sortKey));
        }
        return this.#command(scope, e, set, remove, conditions, now);
      },
      o.now,
      (found) => {
        const reservation = found && inScope(found, scope) ? findReservation(found, reservationSid) : undefined;
        if (!found || !reservation) return 'done';
        // The mark is no longer this one (the sweep settled it): record the observation alone.
        if (markId !== undefined && found.forward?.id !== markId) {
          markId = undefined;
          return 'retry';
        }
        const stored = reservation.status;
        if (!sameRank && STATUS_RANK[stored] === rank && stored !== status && (reservation.observedAt === undefined || reservation.observedAt < o.observedAt)) {
          sameRank = true;
          return 'retry';
        }
        // The record already says as much, or more (an event got here first): nothing to record.
        result = found;
        return 'done';
      },
    );
    if (result) {
      // Nothing to record: the mark, if still this one, is cleared on its own.
      const cleared = markId !== undefined ? await this.clearForward(scope, markId, o.now) : undefined;
      return { task: cleared ?? result, written: cleared !== undefined };
    }
    return task ? { task, written: true } : undefined;
  }

  async clearForward(scope: TaskScope, markId: string, at: number): Promise<TaskRecord | undefined> {
    let cleared = true;
    const task = await this.#writeTask(
      scope,
      (now) => {
        const e = new Expression();
        const forward = e.name('forward');
        return this.#command(
          scope,
          e,
          [],
          [forward, e.name(FORWARD_INDEX.partitionKey), e.name(FORWARD_INDEX.sortKey)],
          [`${forward}.${e.name('id')} = ${e.value(markId)}`],
          now,
        );
      },
      at,
      () => {
        cleared = false;
        return 'done';
      },
    );
    return cleared ? task : undefined;
  }

  async recordTaskCanceled(scope: TaskScope, reason: string, at: number): Promise<TaskRecord | undefined> {
    let seen = await this.getTask(scope);
    if (!seen || seen.canceled) return seen;
    return this.#writeTask(
      scope,
      (now) => {
        const e = new Expression();
        const canceled = e.name('canceled');
        const set: string[] = [`${canceled} = ${e.value({ at: now, reason })}`, `${e.name('updatedAt')} = ${e.value(now)}`];
        const conditions = [`attribute_not_exists(${canceled})`];
        // The reservations still pending as last read: the condition says they still are.
        for (const reservation of seen!.reservations.filter((r) => r.status === 'pending')) {
          const field = (name: string) => `${e.name(reservationAttribute(reservation.sid))}.${e.name(name)}`;
          conditions.push(`${field('status')} = ${e.value('pending')}`);
          set.push(
            `${field('status')} = ${e.value('canceled')}`,
            `${field('version')} = ${field('version')} + ${e.value(1)}`,
            `${field('updatedAt')} = ${e.value(now)}`,
            `${field('history')}.${e.name('canceled')} = ${e.value(now)}`,
          );
        }
        const remove: string[] = [];
        this.#retention(e, 'canceled', now, set, remove);
        return this.#command(scope, e, set, remove, conditions, now);
      },
      at,
      (found) => {
        if (!found || found.canceled) return 'done';
        seen = found;
        return 'retry';
      },
    );
  }

  async forwardsBefore(before: number, limit: number): Promise<TaskRecord[]> {
    const e = new Expression();
    const { Items = [] } = await this.#send<{ Items?: Record<string, unknown>[] }>(
      new QueryCommand({
        TableName: this.#table,
        IndexName: FORWARD_INDEX.name,
        KeyConditionExpression: `${e.name(FORWARD_INDEX.partitionKey)} = ${e.value(FORWARD_INDEX.partition)} AND ${e.name(FORWARD_INDEX.sortKey)} < ${e.value(inFlightAt(before))}`,
        Limit: limit,
        ...e.params,
      }),
    );
    return Items.map(decodeTask);
  }

  async setWorkerActivity(scope: WorkerScope, activitySid: string, at: number): Promise<void> {
    const e = new Expression();
    const changedAt = e.name('changedAt');
    try {
      await this.#send(
        new PutCommand({
          TableName: this.#table,
          Item: {
            ...activityKey(scope),
            accountSid: scope.accountSid,
            workspaceSid: scope.workspaceSid,
            activitySid,
            changedAt: at,
            [TABLE.ttlAttribute]: this.#expiresAt(at),
          },
          ConditionExpression: `attribute_not_exists(${changedAt}) OR ${changedAt} <= ${e.value(at)}`,
          ...e.params,
        }),
      );
    } catch (error) {
      // A later activity change is already stored: it wins.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async getWorker(scope: WorkerScope): Promise<WorkerRecord | undefined> {
    const edge = (forward: boolean) => {
      const e = new Expression();
      return this.#send<{ Items?: StoredWorkerLink[] }>(
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
      this.#send<{ Item?: StoredActivity }>(new GetCommand({ TableName: this.#table, Key: activityKey(scope), ConsistentRead: true })),
    ]);
    const oldest = first.Items?.[0];
    const newest = latest.Items?.[0];
    if (!oldest || !newest || newest.accountSid !== scope.accountSid || newest.workspaceSid !== scope.workspaceSid) return undefined;
    const changed = activity.Item?.accountSid === scope.accountSid ? activity.Item : undefined;
    return {
      sid: scope.workerSid,
      accountSid: scope.accountSid,
      workspaceSid: scope.workspaceSid,
      friendlyName: newest.workerName ?? null,
      attributes: newest.workerAttributes,
      activitySid: changed?.activitySid ?? null,
      activityChangedAt: changed?.changedAt ?? null,
      createdAt: oldest.createdAt,
      updatedAt: Math.max(newest.createdAt, changed?.changedAt ?? 0),
    };
  }
}
