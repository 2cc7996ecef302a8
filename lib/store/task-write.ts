/**
 * Writes to a task item, for the adapters that change one (task-items.ts, forward-marks.ts).
 *
 * A task and all its reservations are one item, so every change is one conditional UpdateItem
 * whose condition holds the rule it depends on; the invariants (one accepted reservation per task,
 * an exact rejection count, leaving `pending` once) are clauses of those conditions. No
 * transactions: the embedded engine has none, and single-item writes never conflict with each
 * other's locks.
 *
 * Every write is stamped with its time (`writtenAt`, and the previous write's as
 * `previousWrittenAt`) and conditioned on being later than the write before: writes to one task
 * item are totally ordered in time whatever the clocks of concurrent writers, which is what gives
 * each event exactly one write (lib/domain/events.ts `eventsOfWrite`). A write that
 * loses to a writer whose clock is ahead is sent again just after that write.
 *
 * Every write also carries an identifier of its own (`writeId`, random), so that a write whose
 * answer was lost is known when the SDK sends it again (a 500, a time-out): the repeat is refused
 * by its own stamp, and the item it meets holds its identifier. It is answered as the write made,
 * not judged as a second attempt (an accept would read as "not pending"); two requests that make
 * the same change at the same millisecond stay two attempts, one of them refused.
 */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import { ConflictError } from '../domain/errors.ts';
import type { TaskScope } from '../domain/scope.ts';
import { WORKED_STATUSES, type ReservationStatus } from '../domain/state-machine.ts';
import type { TaskRecord } from '../domain/task.ts';
import { conditionalWrite } from './conditional-write.ts';
import { Expression, updateExpression } from './expression.ts';
import { send } from './send.ts';
import { TABLE, reservationAttribute, taskKey } from './table.ts';
import { decodeTask } from './task-codec.ts';

/**
 * Attempts of one change before a 409. Concurrent compatible changes (rejections of different
 * reservations, say) meet each other's stamps: each retry goes just past the stamp it lost to,
 * spread a little so that several losers do not all collide again, and about half of them succeed
 * every round.
 */
export const MAX_WRITE_ATTEMPTS = 10;

/** The attribute of a task item that names the write that made it as it is. */
const WRITE_ID = 'writeId';

/** The time of a retried write: after the write it lost to. */
export function after(writtenAt: number, now: number): number {
  return Math.max(now, writtenAt + 1 + Math.floor(Math.random() * 8));
}

/** What a failed write means: the result to return, or a time to write again at. */
export type Judgement<R> = { readonly done: R } | { readonly retryAt: number };

export interface TaskWriteSettings {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly retentionDays: number;
}

export function inScope(task: TaskRecord, scope: { accountSid: string; workspaceSid: string }): boolean {
  return task.accountSid === scope.accountSid && task.workspaceSid === scope.workspaceSid;
}

/** One UpdateItem on a task item, being put together: its expression, SET and REMOVE clauses, and conditions. */
export class TaskUpdate {
  readonly e = new Expression();
  readonly set: string[] = [];
  readonly remove: string[] = [];
  readonly conditions: string[] = [];

  constructor(
    readonly scope: TaskScope,
    readonly now: number,
  ) {}

  /** `R_<WR>.<field>`: a field of one reservation. */
  field(reservationSid: string, name: string): string {
    return `${this.e.name(reservationAttribute(reservationSid))}.${this.e.name(name)}`;
  }
}

export class TaskWriter {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly #retentionSeconds: number;

  constructor(settings: TaskWriteSettings) {
    this.client = settings.client;
    this.tableName = settings.tableName;
    this.#retentionSeconds = settings.retentionDays * 86_400;
  }

  expiresAt(now: number): number {
    return Math.floor(now / 1000) + this.#retentionSeconds;
  }

  /**
   * The task's TTL after a change that leaves a reservation in `status`: a task whose accepted
   * reservation is being worked on keeps none; any other change sets it RETENTION_DAYS ahead.
   */
  retention(u: TaskUpdate, status: ReservationStatus): void {
    if (WORKED_STATUSES.includes(status)) u.remove.push(u.e.name(TABLE.ttlAttribute));
    else u.set.push(`${u.e.name(TABLE.ttlAttribute)} = ${u.e.value(this.expiresAt(u.now))}`);
  }

  /** The command of an update, stamped with its time and identifier, and conditioned on the write before being earlier. */
  command(u: TaskUpdate, writeId: string): UpdateCommand {
    const { e } = u;
    const written = e.name('writtenAt');
    const set = [
      ...u.set,
      `${e.name('previousWrittenAt')} = if_not_exists(${written}, ${e.value(0)})`,
      `${written} = ${e.value(u.now)}`,
      `${e.name(WRITE_ID)} = ${e.value(writeId)}`,
    ];
    const conditions = [...u.conditions, `(attribute_not_exists(${written}) OR ${written} < ${e.value(u.now)})`];
    return new UpdateCommand({
      TableName: this.tableName,
      Key: taskKey(u.scope),
      UpdateExpression: updateExpression(set, u.remove),
      ConditionExpression: conditions.join(' AND '),
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      ...e.params,
    });
  }

  async get(scope: TaskScope): Promise<TaskRecord | undefined> {
    const { Item } = await send<{ Item?: Record<string, unknown> }>(
      this.client,
      new GetCommand({ TableName: this.tableName, Key: taskKey(scope), ConsistentRead: true }),
    );
    return Item ? decodeTask(Item) : undefined;
  }

  /**
   * Writes `build(now)`. When its condition fails, `judge` reads the task as stored (undefined
   * when there is none) and says what that means; a write that lost only to a later stamp is sent
   * again just after it (`lostToLaterStamp`), at most MAX_WRITE_ATTEMPTS times in all.
   */
  async write<R>(
    scope: TaskScope,
    at: number,
    build: (now: number) => TaskUpdate,
    written: (task: TaskRecord) => R,
    judge: (stored: TaskRecord | undefined, now: number) => Judgement<R>,
    conflict = `Task ${scope.taskSid} changed concurrently; retry the request`,
  ): Promise<R> {
    let now = at;
    for (let attempt = 1; ; attempt++) {
      const writeId = randomBytes(9).toString('base64url');
      const outcome = await conditionalWrite(this.client, this.command(build(now), writeId), { stored: true });
      if (outcome.written) return written(decodeTask(outcome.item));
      // This very write, made: its answer was lost and the SDK's repeat met it.
      if (outcome.stored?.[WRITE_ID] === writeId) return written(decodeTask(outcome.stored));
      const judgement = judge(outcome.stored && decodeTask(outcome.stored), now);
      if ('done' in judgement) return judgement.done;
      if (attempt === MAX_WRITE_ATTEMPTS) throw new ConflictError(conflict);
      now = judgement.retryAt;
    }
  }
}

/** The judgement every task write shares: an item stamped at or after `now` was written by a clock ahead of ours. */
export function lostToLaterStamp(stored: TaskRecord | undefined, now: number): { readonly retryAt: number } | undefined {
  return stored !== undefined && stored.writtenAt >= now ? { retryAt: after(stored.writtenAt, now) } : undefined;
}
