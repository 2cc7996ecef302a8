/**
 * Connected mode's mirror (SPEC §12): TaskRouter's events, as its event callbacks (or Event
 * Streams) carry them, applied to the record. What upstream observed is recorded even where the
 * local rules would refuse it, ordered by state rank (a reservation never returns to pending)
 * and, within a rank, by upstream's TimestampMs: so duplicates, any order and missing events
 * (left to the sweep and the deadline checks) all end in the same record. A reservation this
 * service never saw is created from the event's own fields. Each change recorded is an event of
 * this service's (SPEC §11) like any other, with the SID it would have had anyway.
 */
import type { Clock } from '../domain/clock.ts';
import { InvalidParameterError } from '../domain/errors.ts';
import type { Params } from '../domain/parameters.ts';
import { canonicalSid, type SidPrefix } from '../domain/sid.ts';
import type { ReservationStatus } from '../domain/state-machine.ts';
import { findReservation } from '../domain/task.ts';
import type { TaskScope } from '../domain/scope.ts';
import { linkOf, type NewReservation, type TaskStore, type WorkerStore } from '../reservations/ports.ts';
import type { ObservedRecords } from './ports.ts';
import type { TimeoutScheduler } from '../timeouts/scheduler.ts';

/** The reservation events mirrored, and the status each says the reservation is in. */
const RESERVATION_EVENTS: Readonly<Record<string, Exclude<ReservationStatus, 'pending'> | 'created'>> = {
  'reservation.created': 'created',
  'reservation.accepted': 'accepted',
  'reservation.rejected': 'rejected',
  'reservation.timeout': 'timeout',
  'reservation.canceled': 'canceled',
  'reservation.rescinded': 'rescinded',
  'reservation.wrapup': 'wrapping',
  'reservation.completed': 'completed',
};

/** Every event type the mirror applies; the rest are acknowledged and ignored. */
export const MIRRORED_EVENT_TYPES: ReadonlySet<string> = new Set([...Object.keys(RESERVATION_EVENTS), 'task.canceled']);

export type MirrorOutcome = 'applied' | 'already-recorded' | 'ignored';

export interface MirrorOptions {
  readonly tasks: TaskStore & ObservedRecords;
  readonly workers: Pick<WorkerStore, 'linkReservation'>;
  readonly clock: Clock;
  /** Arms the deadline check of a reservation learnt from upstream (reconciler.ts). */
  readonly scheduler: TimeoutScheduler | undefined;
  /** A reservation learnt from an event has its deadline this long after it (TaskRouter's is the Workflow's). */
  readonly reservationTimeoutSeconds: number;
  readonly maxRejections: number;
}

/** The scope of a mirrored event, its fields checked; undefined for a type the mirror does not apply. */
function read(accountSid: string, event: Params): { type: string; scope: TaskScope; reservationSid: string } | undefined {
  const field = (name: string) => event.get(name)?.[0];
  const type = field('EventType') ?? '';
  const sid = (name: string, prefix: SidPrefix) => {
    const value = canonicalSid(field(name), prefix);
    if (value === undefined) throw new InvalidParameterError(name, `is required as a ${prefix} SID for ${type}`);
    return value;
  };
  if (sid('AccountSid', 'AC') !== accountSid) throw new InvalidParameterError('AccountSid', 'must be the account the callback is signed for');
  if (!MIRRORED_EVENT_TYPES.has(type)) return undefined;
  const scope: TaskScope = { accountSid, workspaceSid: sid('WorkspaceSid', 'WS'), taskSid: sid('TaskSid', 'WT') };
  // task.canceled names no reservation.
  return { type, scope, reservationSid: type === 'task.canceled' ? '' : sid('ReservationSid', 'WR') };
}

export class UpstreamMirror {
  constructor(private readonly options: MirrorOptions) {}

  /**
   * Whether an event of `accountSid` (its callback's form fields) is one the mirror applies, with
   * the fields that needs checked: a bad one throws InvalidParameterError, naming it. Nothing read.
   */
  check(accountSid: string, event: Params): 'mirrored' | 'ignored' {
    return read(accountSid, event) === undefined ? 'ignored' : 'mirrored';
  }

  /** Applies one TaskRouter event of `accountSid` (its callback's form fields). */
  async apply(accountSid: string, event: Params): Promise<MirrorOutcome> {
    const checked = read(accountSid, event);
    if (checked === undefined) return 'ignored';
    const { type, scope, reservationSid } = checked;
    const field = (name: string) => event.get(name)?.[0];
    const observed = RESERVATION_EVENTS[type];
    const { tasks, clock } = this.options;
    const now = clock.now();
    const at = Number(field('TimestampMs') ?? Number(field('Timestamp') ?? 0) * 1000) || now;

    if (type === 'task.canceled') {
      const canceled = await tasks.recordTaskCanceled(scope, field('TaskCanceledReason') ?? 'Canceled in TaskRouter', now);
      return canceled.kind === 'recorded' ? 'applied' : canceled.kind === 'already-recorded' ? 'already-recorded' : 'ignored';
    }

    // One write in the common case: the reservation is known, and the observation is recorded or already was.
    if (observed === 'created') return (await this.#learn(scope, reservationSid, event, at, now)) ? 'applied' : 'already-recorded';
    let recorded = await tasks.recordObserved({ scope, reservationSid, status: observed!, observedAt: at, now });
    if (recorded.kind === 'unknown') {
      await this.#learn(scope, reservationSid, event, at, now);
      recorded = await tasks.recordObserved({ scope, reservationSid, status: observed!, observedAt: at, now });
    }
    return recorded.kind === 'recorded' ? 'applied' : 'already-recorded';
  }

  /** Records a reservation first heard of in an event (created, or a later one arriving first); false when it was known. */
  async #learn(scope: TaskScope, reservationSid: string, event: Params, at: number, now: number): Promise<boolean> {
    const field = (name: string) => event.get(name)?.[0];
    const { tasks, workers, scheduler, reservationTimeoutSeconds, maxRejections } = this.options;
    const workerSid = canonicalSid(field('WorkerSid'), 'WK');
    if (workerSid === undefined) throw new InvalidParameterError('WorkerSid', 'is required to record a reservation first heard of in an event');
    const attributes = (name: string) => {
      const raw = field(name) ?? '{}';
      try {
        const parsed: unknown = JSON.parse(raw);
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return { raw, values: parsed as Record<string, unknown> };
      } catch {
        // refused below
      }
      throw new InvalidParameterError(name, 'must be a JSON object');
    };
    const workerAttributes = attributes('WorkerAttributes');
    const taskAttributes = attributes('TaskAttributes');
    const integer = (name: string) => Math.max(0, Number.parseInt(field(name) ?? '0', 10) || 0);
    const contactUri = workerAttributes.values['contact_uri'];
    const learnt: NewReservation = {
      task: {
        ...scope,
        workflowSid: canonicalSid(field('WorkflowSid'), 'WW') ?? '',
        taskQueueSid: canonicalSid(field('TaskQueueSid'), 'WQ') ?? '',
        attributes: taskAttributes.raw,
        priority: integer('TaskPriority'),
        createdAt: at - integer('TaskAge') * 1000,
      },
      reservationSid,
      workerSid,
      workerName: field('WorkerName') || null,
      workerAttributes: workerAttributes.raw,
      ...(typeof contactUri === 'string' && contactUri !== '' && { contactUri }),
      deadline: at + reservationTimeoutSeconds * 1000,
      maxRejections,
      answer: '{}',
      // Upstream decides: record it whatever this task's record says.
      evenIfClosed: true,
    };
    // The worker's link first (its attributes are the reservation's events'); a repeat also
    // finishes what a first delivery that died may have left: the link, the deadline check.
    await workers.linkReservation(linkOf(learnt, at));
    const { outcome, task } = await tasks.recordReservation(learnt, now);
    const reservation = findReservation(task, reservationSid)!;
    await scheduler?.schedule({ ...scope, reservationSid, deadline: reservation.deadline });
    return outcome !== 'repeated';
  }
}
