/**
 * Connected mode's mirror: TaskRouter's events applied to the record, whichever way they came in
 * (upstream-event.ts reads event callbacks and Event Streams' CloudEvents into one typed event).
 * What upstream observed is recorded even where the local rules would refuse it, ordered by state
 * rank (a reservation never returns to pending) and, within a rank, by upstream's time: so
 * duplicates, any order and missing events (left to the sweep and the deadline checks) all end in
 * the same record. A reservation this service never saw is created from the event's own fields.
 * Each change recorded is one of this service's events like any other, with the SID it would have
 * had anyway.
 *
 * A worker's move at TaskRouter (worker.activity.update: Flex, another client's Worker update, its
 * own timeout activity) is recorded too, unless the record already shows that activity or a
 * change made later than the event. Otherwise a worker moved there would keep its old activity
 * here, and a Worker update back to it would look like no change and never be forwarded. A
 * worker is known here from its first reservation: a move of a worker never reserved through this
 * service is acknowledged and not recorded.
 */
import type { Clock } from '../domain/clock.ts';
import type { LifecyclePolicy } from '../domain/lifecycle-policy.ts';
import { ConflictError, InvalidParameterError } from '../domain/errors.ts';
import type { TaskScope } from '../domain/scope.ts';
import { findReservation } from '../domain/task.ts';
import { workerWriteOf } from '../lifecycle/worker-updates.ts';
import { newReservationFrom } from '../reservations/new-reservation.ts';
import { linkOf, type TaskStore, type WorkerStore } from '../reservations/ports.ts';
import type { Telemetry } from '../telemetry/telemetry.ts';
import type { TimeoutScheduler } from '../timeouts/scheduler.ts';
import { takeMarkWaiting } from './forwarder.ts';
import type { ObservedRecords, WorkerForwardMarks } from './ports.ts';
import { OBSERVED_STATUS, type TaskEvent, type UpstreamEvent, type WorkerActivityEvent } from './upstream-event.ts';

export type MirrorOutcome = 'applied' | 'already-recorded' | 'ignored';

export interface MirrorOptions {
  readonly tasks: TaskStore & ObservedRecords;
  readonly workers: Pick<WorkerStore, 'linkReservation' | 'workerState' | 'writeWorker'> & Pick<WorkerForwardMarks, 'writeUnlessMarked'>;
  readonly clock: Clock;
  /** How a worker's move waits for a forward of this service's own to be recorded: a timer (tests pass their own). */
  readonly wait?: (ms: number) => Promise<void>;
  /** Arms the deadline check of a reservation learnt from upstream (reconciler.ts). */
  readonly scheduler: TimeoutScheduler | undefined;
  /** A reservation learnt from an event has its deadline this long after it (TaskRouter's is the Workflow's). */
  readonly reservationTimeoutSeconds: number;
  readonly maxRejections: number;
  /** The policy's lifecycle rules, fixed on each reservation learnt. */
  readonly lifecycle?: LifecyclePolicy;
  /** How far behind TaskRouter the record is: each event's lag is measured. */
  readonly telemetry: Telemetry;
}

/** Attributes TaskRouter sent (JSON text): an object, or the event cannot record a reservation. */
function jsonObject(name: string, raw: string | undefined): { raw: string; values: Record<string, unknown> } {
  const text = raw ?? '{}';
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return { raw: text, values: parsed as Record<string, unknown> };
  } catch {
    // refused below
  }
  throw new InvalidParameterError(name, 'must be a JSON object');
}

/** Attempts of a worker's move decided from a version other writes keep moving. */
const MAX_WORKER_ATTEMPTS = 8;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class UpstreamMirror {
  constructor(private readonly options: MirrorOptions) {}

  /** Applies one TaskRouter event. A field it needs that is missing or malformed throws InvalidParameterError, naming it. */
  async apply(event: UpstreamEvent): Promise<MirrorOutcome> {
    const now = this.options.clock.now();
    // TaskRouter's clock and ours differ a little: an event is never measured as arriving early.
    if (event.at !== undefined) this.options.telemetry.measure('mirrorLag', Math.max(0, now - event.at));
    return event.type === 'worker.activity.update' ? this.#moveWorker(event, event.at ?? now) : this.#applyToTask(event, now);
  }

  async #applyToTask(event: TaskEvent, now: number): Promise<MirrorOutcome> {
    const { tasks } = this.options;
    const at = event.at ?? now;
    const scope: TaskScope = { accountSid: event.accountSid, workspaceSid: event.workspaceSid, taskSid: event.taskSid };
    if (event.type === 'task.canceled') {
      const canceled = await tasks.recordTaskCanceled(scope, event.canceledReason ?? 'Canceled in TaskRouter', now);
      return canceled.kind === 'recorded' ? 'applied' : canceled.kind === 'already-recorded' ? 'already-recorded' : 'ignored';
    }
    const reservationSid = event.reservationSid!;
    const observed = OBSERVED_STATUS[event.type];
    if (observed === 'created') return (await this.#learn(event, scope, reservationSid, at, now)) ? 'applied' : 'already-recorded';
    // One write in the common case: the reservation is known, and the observation is recorded or already was.
    let recorded = await tasks.recordObserved({ scope, reservationSid, status: observed, observedAt: at, now });
    if (recorded.kind === 'unknown') {
      await this.#learn(event, scope, reservationSid, at, now);
      recorded = await tasks.recordObserved({ scope, reservationSid, status: observed, observedAt: at, now });
    }
    return recorded.kind === 'recorded' ? 'applied' : 'already-recorded';
  }

  /**
   * Records the activity TaskRouter moved a worker to, at TaskRouter's time `at`: one write on the
   * version it was decided from, with the facts of its worker.activity.update, as a Worker
   * update's. A forward of this service's own in flight is waited for (its record, decided before
   * this event, would otherwise put its activity back), as concurrent updates wait, 3 s at most.
   * A mark held longer is one whose answer was lost or is slow: the move is written all the same,
   * since the sweep settles such a mark by reading the worker at TaskRouter, and throwing here
   * would hold up the events behind this one (Event Streams retries a shard's records in order).
   */
  async #moveWorker(event: WorkerActivityEvent, at: number): Promise<MirrorOutcome> {
    const { workers, clock } = this.options;
    const scope = { accountSid: event.accountSid, workspaceSid: event.workspaceSid, workerSid: event.workerSid };
    let waited = false;
    for (let attempt = 1; attempt <= MAX_WORKER_ATTEMPTS; attempt++) {
      const state = await workers.workerState(scope);
      if (!state) return 'ignored';
      const { worker } = state;
      // There already, or moved since (TaskRouter's later event, or a change made here after it).
      if (worker.activitySid === event.activitySid || (worker.activityChangedAt ?? -Infinity) >= at) return 'already-recorded';
      const write = workerWriteOf(worker, { activitySid: event.activitySid }, 'upstream', at)!;
      if (waited) {
        if (await workers.writeWorker(write)) return 'applied';
        continue;
      }
      try {
        const outcome = await takeMarkWaiting(clock, this.options.wait ?? sleep, `worker ${scope.workerSid}`, () => workers.writeUnlessMarked(write));
        if (outcome === 'written') return 'applied';
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        waited = true;
      }
    }
    throw new ConflictError(`Worker ${scope.workerSid} changed concurrently; its move at TaskRouter is applied again later`);
  }

  /** Records a reservation first heard of in an event (created, or a later one arriving first); false when it was known. */
  async #learn(event: TaskEvent, scope: TaskScope, reservationSid: string, at: number, now: number): Promise<boolean> {
    const { tasks, workers, scheduler, reservationTimeoutSeconds, maxRejections } = this.options;
    if (event.workerSid === undefined) throw new InvalidParameterError('WorkerSid', 'is required to record a reservation first heard of in an event');
    const workerAttributes = jsonObject('WorkerAttributes', event.workerAttributes);
    const taskAttributes = jsonObject('TaskAttributes', event.taskAttributes);
    const learnt = newReservationFrom(
      {
        task: {
          ...scope,
          workflowSid: event.workflowSid ?? '',
          taskQueueSid: event.taskQueueSid ?? '',
          attributes: taskAttributes.raw,
          priority: event.taskPriority ?? 0,
          age: event.taskAge ?? 0,
        },
        reservationSid,
        workerSid: event.workerSid,
        workerName: event.workerName ?? null,
        workerAttributes: workerAttributes.raw,
        workerAttributeValues: workerAttributes.values,
        taskAttributeValues: taskAttributes.values,
      },
      // Upstream decides: record it whatever this task's record says.
      {
        at,
        timeoutSeconds: reservationTimeoutSeconds,
        maxRejections,
        answer: '{}',
        evenIfClosed: true,
        ...(this.options.lifecycle && { lifecycle: this.options.lifecycle }),
      },
    );
    // The worker's link first (its attributes are the reservation's events'); a repeat also
    // finishes what a first delivery that died may have left: the link, the deadline check.
    await workers.linkReservation(linkOf(learnt, at));
    const { outcome, task } = await tasks.recordReservation(learnt, now);
    const reservation = findReservation(task, reservationSid)!;
    await scheduler?.schedule({ ...scope, reservationSid, deadline: reservation.deadline });
    return outcome !== 'repeated';
  }
}
