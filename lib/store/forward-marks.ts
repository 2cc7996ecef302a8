/**
 * Connected mode's forward marks, on the task items: the mark a forwarded update takes so that one
 * update of a task at a time reaches TaskRouter, and the sparse in-flight index (table.ts
 * FORWARD_INDEX) the sweep finds the unsettled ones by, oldest first, without a scan.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { TaskScope } from '../domain/scope.ts';
import { checkTaskChange, checkTaskIfMatch } from '../domain/task-change.ts';
import { checkAction, findReservation, presentOf, taskChangeIntent, type ForwardMark, type TaskRecord } from '../domain/task.ts';
import type { ApplyAction, TaskChange } from '../reservations/ports.ts';
import type { ForwardMarks as ForwardMarksPort, MarkOutcome } from '../upstream/ports.ts';
import { Expression } from './expression.ts';
import { send } from './send.ts';
import { FORWARD_INDEX, inFlightAt } from './table.ts';
import { decodeTask } from './task-codec.ts';
import { actionConditions, clearMark, taskChangeConditions } from './task-items.ts';
import { type Judgement, TaskUpdate, type TaskWriteSettings, TaskWriter, after, inScope, lostToLaterStamp } from './task-write.ts';

export class ForwardMarks implements ForwardMarksPort {
  readonly #writer: TaskWriter;

  constructor(settings: TaskWriteSettings) {
    this.#writer = new TaskWriter(settings);
  }

  markForward(input: ApplyAction, markId: string): Promise<MarkOutcome | undefined> {
    const { scope, reservationSid, action, workerSid, ifMatch } = input;
    return this.#writer.write(
      scope,
      input.now,
      (now) => {
        const u = new TaskUpdate(scope, now);
        actionConditions(u, input);
        takeMark(u, { id: markId, reservationSid, transition: action.transition, at: now });
        return u;
      },
      (task): MarkOutcome | undefined => ({ taken: true, task }),
      (stored, now): Judgement<MarkOutcome | undefined> => {
        const later = lostToLaterStamp(stored, now);
        if (later) return later;
        const reservation = stored && inScope(stored, scope) ? findReservation(stored, reservationSid) : undefined;
        if (!stored || !reservation || (workerSid !== undefined && reservation.workerSid !== workerSid)) return { done: undefined };
        // Why not: the action itself (not pending, If-Match, contact_uri), else another forward.
        checkTaskIfMatch(stored, input.taskIfMatch);
        checkAction(stored, reservation, action, presentOf(stored, now), ifMatch);
        if (stored.forward) return { done: { taken: false, task: stored, mark: stored.forward } };
        // Allowed, and no mark: the item changed between the write and its read. Again.
        return { retryAt: now };
      },
    );
  }

  markTaskChange(change: TaskChange, markId: string): Promise<MarkOutcome | undefined> {
    const { scope } = change;
    return this.#writer.write(
      scope,
      change.now,
      (now) => {
        const u = new TaskUpdate(scope, now);
        taskChangeConditions(u, change);
        takeMark(u, { id: markId, change: taskChangeIntent(change), at: now });
        return u;
      },
      (task): MarkOutcome | undefined => ({ taken: true, task }),
      (stored, now): Judgement<MarkOutcome | undefined> => {
        const later = lostToLaterStamp(stored, now);
        if (later) return later;
        if (!stored || !inScope(stored, scope)) return { done: undefined };
        // Why not: the change itself (If-Match, a cancellation's status), else another forward.
        const retryAt = after(stored.writtenAt, presentOf(stored, now));
        checkTaskChange(stored, change, retryAt);
        if (stored.forward) return { done: { taken: false, task: stored, mark: stored.forward } };
        return { retryAt };
      },
    );
  }

  clearForward(scope: TaskScope, markId: string, now: number): Promise<TaskRecord | undefined> {
    return clearMark(this.#writer, scope, markId, now);
  }

  deferForward(scope: TaskScope, markId: string, at: number): Promise<TaskRecord | undefined> {
    // A write of the task like any other (stamped, its stream record read for events): only the index key moves.
    return this.#writer.write(
      scope,
      at,
      (now) => {
        const u = new TaskUpdate(scope, now);
        u.conditions.push(`${u.e.name('forward')}.${u.e.name('id')} = ${u.e.value(markId)}`);
        u.set.push(`${u.e.name(FORWARD_INDEX.sortKey)} = ${u.e.value(inFlightAt(now))}`);
        return u;
      },
      (task): TaskRecord | undefined => task,
      (stored, now) => lostToLaterStamp(stored, now) ?? { done: undefined },
    );
  }

  async forwardsBefore(before: number, limit: number): Promise<TaskRecord[]> {
    const e = new Expression();
    const { Items = [] } = await send<{ Items?: Record<string, unknown>[] }>(
      this.#writer.client,
      new QueryCommand({
        TableName: this.#writer.tableName,
        IndexName: FORWARD_INDEX.name,
        KeyConditionExpression: `${e.name(FORWARD_INDEX.partitionKey)} = ${e.value(FORWARD_INDEX.partition)} AND ${e.name(FORWARD_INDEX.sortKey)} < ${e.value(inFlightAt(before))}`,
        Limit: limit,
        ...e.params,
      }),
    );
    return Items.map(decodeTask);
  }
}

/** Takes the task's forward mark (none may be held) and enters it in the in-flight index. */
function takeMark(u: TaskUpdate, mark: ForwardMark): void {
  const { e, now } = u;
  const forward = e.name('forward');
  u.conditions.push(`attribute_not_exists(${forward})`);
  u.set.push(
    `${forward} = ${e.value(mark)}`,
    `${e.name(FORWARD_INDEX.partitionKey)} = ${e.value(FORWARD_INDEX.partition)}`,
    `${e.name(FORWARD_INDEX.sortKey)} = ${e.value(inFlightAt(now))}`,
  );
}
