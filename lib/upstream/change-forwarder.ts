/**
 * Connected mode's Task and Worker updates (a cancellation, attributes, priority; an activity,
 * attributes, a friendly name, and a lifecycle rule's move of a worker), forwarded to the
 * upstream TaskRouter exactly once and recorded only as it confirms them: the protocol of a
 * reservation's update (forwarder.ts), with the mark on the task item or on the worker's own item.
 *
 * 1. The mark is taken with a conditional write that also checks the change locally (If-Match, a
 *    cancellation's status; for a worker, the version the change was decided from). Of
 *    concurrent changes, one holds the mark; the others wait for it to clear and are judged again.
 * 2. The POST goes upstream once, as the caller sent it.
 * 3. A 2xx is recorded (the mark cleared with it); a 4xx is passed through unchanged and nothing is
 *    recorded; a 5xx, a time-out or a lost connection is settled by reading the task or the worker
 *    upstream, never by a second POST: if the read shows the change, it is recorded; if it does
 *    not, nothing is and the caller is told to retry; if even the read fails, the mark (which keeps
 *    what the change asked for) stays for the sweep, which settles it the same way.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../domain/clock.ts';
import { UpstreamUnsettledError } from '../domain/errors.ts';
import { sameJson } from '../domain/policy-match.ts';
import type { TaskScope, WorkerScope } from '../domain/scope.ts';
import { taskChangeIntent, type TaskChangeForwardMark, type TaskChangeIntent, type TaskRecord } from '../domain/task.ts';
import type { WorkerWrite } from '../domain/worker.ts';
import type { TaskChange, TaskStore, UpdateRequest } from '../reservations/ports.ts';
import type { TaskChanger, WorkerWriter } from '../lifecycle/ports.ts';
import { passedThrough, postUpstream, readUpstream, takeMarkWaiting, type ForwardContext } from './forwarder.ts';
import type { ForwardMarks, ObservedRecords, WorkerForwardMark, WorkerForwardMarks } from './ports.ts';
import type { UpstreamAnswer } from './taskrouter-client.ts';

export interface ChangeForwardingOptions extends ForwardContext {
  readonly clock: Clock;
  readonly wait?: (ms: number) => Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Whether a JSON text TaskRouter answered says what `sent` says (it may re-serialize attributes). */
function sameJsonText(answered: unknown, sent: string): boolean {
  if (typeof answered !== 'string') return false;
  if (answered === sent) return true;
  try {
    return sameJson(JSON.parse(answered), JSON.parse(sent));
  } catch {
    return false;
  }
}

/** A settling read's verdict: what upstream says shows the change, does not, or could not be read. */
type Verdict = 'applied' | 'not-applied' | 'unread';

function unsettled(answer: Extract<UpstreamAnswer, { kind: 'unknown' }>, verdict: Exclude<Verdict, 'applied'>, what: string): UpstreamUnsettledError {
  const status = answer.timedOut ? 504 : 502;
  return verdict === 'unread'
    ? new UpstreamUnsettledError(
        status,
        `TaskRouter did not answer the ${what} update (${answer.reason}) and its outcome could not be read yet: nothing is recorded here until it is settled; read it again shortly`,
      )
    : new UpstreamUnsettledError(
        status,
        `TaskRouter did not answer the ${what} update (${answer.reason}) and did not make it: nothing was recorded; retry the request`,
      );
}

/** Whether a Task JSON TaskRouter answered shows the change. */
function taskShows(json: Record<string, unknown>, intent: TaskChangeIntent): boolean {
  return (
    (intent.cancel === undefined || json['assignment_status'] === 'canceled') &&
    (intent.attributes === undefined || sameJsonText(json['attributes'], intent.attributes)) &&
    (intent.priority === undefined || json['priority'] === intent.priority)
  );
}

/** Whether a Worker JSON TaskRouter answered shows the write. */
function workerShows(json: Record<string, unknown>, write: WorkerWrite): boolean {
  return (
    (write.activity === undefined || json['activity_sid'] === write.activity.sid) &&
    (write.attributes === undefined || sameJsonText(json['attributes'], write.attributes)) &&
    (write.friendlyName === undefined || json['friendly_name'] === write.friendlyName)
  );
}

const taskPath = (scope: TaskScope) => `/v1/Workspaces/${scope.workspaceSid}/Tasks/${scope.taskSid}`;
const workerPath = (scope: WorkerScope) => `/v1/Workspaces/${scope.workspaceSid}/Workers/${scope.workerSid}`;

/** Connected: a Task update's cancellation, attributes or priority. */
export class ForwardingTaskChanger implements TaskChanger {
  readonly #wait: (ms: number) => Promise<void>;

  constructor(
    private readonly tasks: Pick<TaskStore, 'getTask' | 'changeTask'> & Pick<ObservedRecords, 'recordTaskCanceled'>,
    private readonly marks: Pick<ForwardMarks, 'markTaskChange' | 'clearForward'>,
    private readonly options: ChangeForwardingOptions,
  ) {
    this.#wait = options.wait ?? sleep;
  }

  async change(change: TaskChange, request: UpdateRequest): Promise<TaskRecord | undefined> {
    const { clock } = this.options;
    const { scope } = change;
    const markId = randomUUID();
    const marked = await takeMarkWaiting(clock, this.#wait, `task ${scope.taskSid}`, async () => {
      const outcome = await this.marks.markTaskChange({ ...change, now: clock.now() }, markId);
      return outcome && !outcome.taken ? 'held' : outcome;
    });
    if (!marked) return undefined;
    const intent = taskChangeIntent(change);
    const answer = await postUpstream(this.options, scope.accountSid, request.path, request.params);
    if (answer.kind === 'ok') return this.#record(scope, intent, markId);
    if (answer.kind === 'refused') {
      await this.marks.clearForward(scope, markId, clock.now());
      throw passedThrough(answer);
    }
    this.options.logger.warn('upstream outcome unknown; settling by reading', { taskSid: scope.taskSid, reason: answer.reason });
    const verdict = await this.settle(scope, { id: markId, change: intent, at: change.now });
    if (verdict === 'applied') return this.tasks.getTask(scope);
    throw unsettled(answer, verdict, 'Task');
  }

  /** Reads the task upstream and settles the mark by what it shows (the sweep's way too). */
  async settle(scope: TaskScope, mark: TaskChangeForwardMark): Promise<Verdict> {
    const read = await readUpstream(this.options, scope.accountSid, taskPath(scope), { taskSid: scope.taskSid });
    if (read.kind === 'unknown' || (read.kind === 'refused' && read.status !== 404)) return 'unread';
    this.options.telemetry.count('forwards', 'settled');
    if (read.kind === 'ok' && taskShows(read.json, mark.change)) {
      await this.#record(scope, mark.change, mark.id);
      return 'applied';
    }
    await this.marks.clearForward(scope, mark.id, this.options.clock.now());
    return 'not-applied';
  }

  /**
   * Records a change TaskRouter made, once however often its settlement runs. Attributes and
   * priority: one write conditioned on the mark, clearing it. A cancellation: recorded as
   * TaskRouter's task.canceled is (a repeat finds it recorded), then the mark cleared, by that
   * write when the update also set attributes or priority (a crash between the two leaves the
   * mark, and the sweep's read finds the cancellation recorded and records the rest).
   */
  async #record(scope: TaskScope, intent: TaskChangeIntent, markId: string): Promise<TaskRecord | undefined> {
    const { clock } = this.options;
    if (intent.cancel !== undefined) {
      await this.tasks.recordTaskCanceled(scope, intent.cancel.reason, clock.now());
      if (intent.attributes === undefined && intent.priority === undefined) {
        return (await this.marks.clearForward(scope, markId, clock.now())) ?? this.tasks.getTask(scope);
      }
    }
    return this.tasks.changeTask({
      scope,
      now: clock.now(),
      markId,
      ...(intent.attributes !== undefined && { attributes: intent.attributes }),
      ...(intent.priority !== undefined && { priority: intent.priority }),
    });
  }
}

/** Connected: a Worker update, or a lifecycle rule's move of a worker. */
export class ForwardingWorkerWriter implements WorkerWriter {
  /** TaskRouter rejects the worker's pending reservations itself; its events then update the record. */
  readonly rejectsPendingUpstream = true;
  readonly #wait: (ms: number) => Promise<void>;

  constructor(
    private readonly workers: WorkerForwardMarks,
    private readonly options: ChangeForwardingOptions,
  ) {
    this.#wait = options.wait ?? sleep;
  }

  async write(write: WorkerWrite, request: UpdateRequest): Promise<boolean> {
    const { clock } = this.options;
    const { scope } = write;
    // The lifecycle's bookkeeping alone changes nothing TaskRouter holds: it is this service's own,
    // written once no forward holds the worker. A forward's record, decided before it, would
    // otherwise put back the held reservations it was decided from.
    if (write.activity === undefined && write.attributes === undefined && write.friendlyName === undefined) {
      return (await takeMarkWaiting(clock, this.#wait, `worker ${scope.workerSid}`, () => this.workers.writeUnlessMarked(write))) === 'written';
    }
    const markId = randomUUID();
    // Changed since the write was decided: the caller decides again, from the worker as it is now.
    if ((await takeMarkWaiting(clock, this.#wait, `worker ${scope.workerSid}`, () => this.workers.markWorkerForward(write, markId))) === 'moved') return false;
    const answer = await postUpstream(this.options, scope.accountSid, request.path, request.params);
    if (answer.kind === 'ok') {
      await this.workers.recordWorkerForward(write, markId);
      return true;
    }
    if (answer.kind === 'refused') {
      await this.workers.clearWorkerForward(scope, markId, clock.now());
      throw passedThrough(answer);
    }
    this.options.logger.warn('upstream outcome unknown; settling by reading', { workerSid: scope.workerSid, reason: answer.reason });
    const verdict = await this.settle(scope, { id: markId, at: write.now, write });
    if (verdict === 'applied') return true;
    throw unsettled(answer, verdict, 'Worker');
  }

  /** Reads the worker upstream and settles the mark by what it shows (the sweep's way too). */
  async settle(scope: WorkerScope, mark: WorkerForwardMark): Promise<Verdict> {
    const read = await readUpstream(this.options, scope.accountSid, workerPath(scope), { workerSid: scope.workerSid });
    if (read.kind === 'unknown' || (read.kind === 'refused' && read.status !== 404)) return 'unread';
    this.options.telemetry.count('forwards', 'settled');
    if (read.kind === 'ok' && workerShows(read.json, mark.write)) {
      await this.workers.recordWorkerForward(mark.write, mark.id);
      return 'applied';
    }
    await this.workers.clearWorkerForward(scope, mark.id, this.options.clock.now());
    return 'not-applied';
  }
}
