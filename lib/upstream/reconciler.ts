/**
 * Connected mode's repairs: events arrive late, twice, out of order or never, and a forwarded
 * update's outcome may be left unknown. So:
 * - every reservation's timer, at its deadline, reads it upstream and records what Twilio says
 *   (Twilio times reservations out, and may pause the clock while an accept is set up: still
 *   pending there, it is read again a minute later, until it has left pending);
 * - the sweep (deployed: a function every minute; locally: in-process) settles each forward mark
 *   older than a forward can take, by reading upstream its reservation (or, for a Task or Worker
 *   update, the task or the worker).
 * Costs: one GET per reservation at its deadline (and one a minute while still pending there);
 * one GET per unsettled update. Nothing else reads upstream: reads are served from the record.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Clock } from '../domain/clock.ts';
import type { Telemetry } from '../telemetry/telemetry.ts';
import { isTaskChangeMark } from '../domain/task.ts';
import type { ForwardingTaskChanger, ForwardingWorkerWriter } from './change-forwarder.ts';
import type { ForwardMarks, WorkerForwardMarks } from './ports.ts';
import type { TimeoutEvent, TimeoutScheduler } from '../timeouts/scheduler.ts';
import type { UpstreamForwarder } from './forwarder.ts';
import { FORWARD_TIMEOUT_MS, READ_TIMEOUT_MS } from './taskrouter-client.ts';

/**
 * A mark this old has outlived its forward and its settling read (each answered within its
 * time-out, a re-send after a 401 included: taskrouter-client.ts), with 5 s for the store's
 * writes around them: it is the sweep's.
 */
export const UNSETTLED_AFTER_MS = FORWARD_TIMEOUT_MS + READ_TIMEOUT_MS + 5_000;
/** Marks older than this are what the alarm counts: an update unsettled for five minutes. */
export const LONG_UNSETTLED_MS = 5 * 60_000;
/** A reservation still pending upstream past its deadline is read again this much later. */
export const RECHECK_MS = 60_000;
/** Marks of each kind (the tasks', the workers') one sweep reads, at most. */
export const SWEEP_BATCH = 100;

export interface SweepOutcome {
  readonly settled: number;
  readonly unsettled: number;
  /** Of those left unsettled, the ones marked over five minutes ago. */
  readonly longUnsettled: number;
}

export class UpstreamReconciler {
  constructor(
    private readonly marks: Pick<ForwardMarks, 'forwardsBefore' | 'deferForward'>,
    private readonly forwarder: UpstreamForwarder,
    /** The Task and Worker updates' forwards, and where the workers' marks are found. */
    private readonly changes: {
      readonly tasks: Pick<ForwardingTaskChanger, 'settle'>;
      readonly workers: Pick<ForwardingWorkerWriter, 'settle'>;
      readonly workerMarks: Pick<WorkerForwardMarks, 'workerForwardsBefore' | 'deferWorkerForward'>;
    },
    private readonly scheduler: TimeoutScheduler | undefined,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly telemetry: Telemetry,
  ) {}

  /** A reservation timer in connected mode: read it upstream; still pending there, check again later. */
  async atDeadline(timer: TimeoutEvent): Promise<'recorded' | 'still-pending' | 'unknown' | 'gone'> {
    const { reservationSid, ...scope } = timer;
    const status = await this.forwarder.refresh(scope, reservationSid);
    if (status === 'gone') return 'gone';
    if (status !== undefined && status !== 'pending') return 'recorded';
    await this.scheduler?.schedule({ ...timer, deadline: this.clock.now() + RECHECK_MS });
    return status === 'pending' ? 'still-pending' : 'unknown';
  }

  /**
   * Settles every forward mark older than a forward can take, up to SWEEP_BATCH of the tasks' and
   * as many of the workers' a run, oldest first. One it cannot settle yet (TaskRouter not read: an
   * outage, an account whose keys were removed) is put behind the others, so that a run always
   * reaches the ones after it, however many cannot be read.
   */
  async sweep(): Promise<SweepOutcome> {
    const now = this.clock.now();
    let settled = 0;
    let unsettled = 0;
    let longUnsettled = 0;
    const count = async (done: boolean, at: number, defer: () => Promise<unknown>) => {
      if (done) {
        settled++;
      } else {
        unsettled++;
        if (now - at > LONG_UNSETTLED_MS) longUnsettled++;
        await defer();
      }
    };
    for (const task of await this.marks.forwardsBefore(now - UNSETTLED_AFTER_MS, SWEEP_BATCH)) {
      const mark = task.forward!;
      const scope = { accountSid: task.accountSid, workspaceSid: task.workspaceSid, taskSid: task.sid };
      const done = isTaskChangeMark(mark)
        ? (await this.changes.tasks.settle(scope, mark)) !== 'unread'
        : (await this.forwarder.refresh(scope, mark.reservationSid, mark.id)) !== undefined;
      await count(done, mark.at, () => this.marks.deferForward(scope, mark.id, this.clock.now()));
    }
    for (const { scope, mark } of await this.changes.workerMarks.workerForwardsBefore(now - UNSETTLED_AFTER_MS, SWEEP_BATCH)) {
      const done = (await this.changes.workers.settle(scope, mark)) !== 'unread';
      await count(done, mark.at, () => this.changes.workerMarks.deferWorkerForward(scope, mark.id, this.clock.now()));
    }
    this.logger.info('upstream sweep', { settled, unsettled, longUnsettled });
    // Every sweep, zero included: the alarm reads the maximum, and a missing value is not a zero.
    this.telemetry.measure('unsettledForwards', longUnsettled);
    return { settled, unsettled, longUnsettled };
  }
}
