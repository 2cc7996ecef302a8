/**
 * Connected mode's updates: validated here, then forwarded to the upstream TaskRouter exactly once,
 * and recorded only as Twilio confirms them.
 *
 * 1. The task's forward mark is taken with a conditional write that also checks the update
 *    locally (a reservation this service knows has left pending is answered without Twilio).
 *    Of concurrent updates of one task, one holds the mark; the others wait for it to clear and
 *    are then judged again, so after a confirmed winner they get the not-pending 400.
 * 2. The POST goes upstream once, with a bounded time and the account's own credentials.
 * 3. Its answer is settled: a 2xx is recorded (with the mark cleared, one write); a 4xx is passed
 *    through unchanged (a not-pending one refreshes the record from upstream); a 429 keeps its
 *    Retry-After; a 5xx, a time-out or a lost connection is an unknown outcome, settled by reading
 *    the reservation upstream, never by repeating the POST. If even that read fails, the mark
 *    stays for the sweep (reconciler.ts) and the caller gets a 502/504 that claims nothing.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { randomUUID } from 'node:crypto';
import type { Clock } from '../domain/clock.ts';
import { ConflictError, ReservationStateError, UpstreamError, UpstreamUnsettledError } from '../domain/errors.ts';
import type { Params } from '../domain/parameters.ts';
import { RESERVATION_STATUSES, TRANSITIONS, requiredStateLabel, type ReservationStatus } from '../domain/state-machine.ts';
import type { TaskRecord } from '../domain/task.ts';
import type { TaskScope } from '../domain/scope.ts';
import type { ApplyAction, TaskStore } from '../reservations/ports.ts';
import type { DimensionValue } from '../telemetry/metrics.ts';
import type { Telemetry } from '../telemetry/telemetry.ts';
import type { ForwardMarks, ObservedRecords } from './ports.ts';
import { FORWARD_TIMEOUT_MS, READ_TIMEOUT_MS, isNotPending, type TaskRouterUpstream, type UpstreamAnswer } from './taskrouter-client.ts';

/** A forward's metric, by what TaskRouter answered it. */
const FORWARD_OUTCOME: Readonly<Record<UpstreamAnswer['kind'], DimensionValue<'forwards'>>> = { ok: 'confirmed', refused: 'refused', unknown: 'unknown' };

/** How long an update waits for another one's forward to settle before it answers 409. */
export const MARK_WAIT_MS = 3_000;
const MARK_POLL_MS = 25;

/** The upstream path of a reservation, task-scoped: what a settling read asks for. */
export function reservationPath(scope: TaskScope, reservationSid: string): string {
  return `/v1/Workspaces/${scope.workspaceSid}/Tasks/${scope.taskSid}/Reservations/${reservationSid}`;
}

/** The status in a Reservation JSON Twilio answered, if it is one. */
export function statusOf(json: Record<string, unknown>): ReservationStatus | undefined {
  const status = json['reservation_status'];
  return typeof status === 'string' && (RESERVATION_STATUSES as readonly string[]).includes(status) ? (status as ReservationStatus) : undefined;
}

export class UpstreamForwarder implements ForwardContext {
  constructor(
    private readonly tasks: Pick<TaskStore, 'getTask'> & ObservedRecords,
    private readonly marks: ForwardMarks,
    readonly upstream: TaskRouterUpstream,
    private readonly clock: Clock,
    readonly logger: Logger,
    readonly telemetry: Telemetry,
    private readonly wait: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /** Forwards one update of a reservation (its path and form as the caller sent them); undefined when it is not found. */
  async forward(input: ApplyAction, path: string, params: Params): Promise<TaskRecord | undefined> {
    const markId = randomUUID();
    const marked = await takeMarkWaiting(this.clock, this.wait, `task ${input.scope.taskSid}`, async () => {
      const outcome = await this.marks.markForward({ ...input, now: this.clock.now() }, markId);
      return outcome && !outcome.taken ? 'held' : outcome;
    });
    if (!marked) return undefined;
    const answer = await postUpstream(this, input.scope.accountSid, path, params);
    return this.#settle(input, markId, answer);
  }

  async #settle(input: ApplyAction, markId: string, answer: UpstreamAnswer): Promise<TaskRecord | undefined> {
    const { scope, reservationSid, action } = input;
    const intended = TRANSITIONS[action.transition].to;
    if (answer.kind === 'ok') return this.#record(input, markId, statusOf(answer.json) ?? intended);
    if (answer.kind === 'refused') {
      await this.marks.clearForward(scope, markId, this.clock.now());
      // Twilio says it has left pending: our record learns what it is now.
      if (isNotPending(answer)) await this.refresh(scope, reservationSid);
      throw passedThrough(answer);
    }
    this.logger.warn('upstream outcome unknown; settling by reading', { reservationSid, reason: answer.reason });
    const read = await this.#read(scope, reservationSid);
    const status = read.kind === 'ok' ? statusOf(read.json) : undefined;
    if (status === undefined) {
      // Not even a read: the mark stays, for the sweep to settle; nothing is claimed.
      this.logger.warn('upstream outcome left unsettled for the sweep', { reservationSid });
      throw new UpstreamUnsettledError(
        answer.timedOut ? 504 : 502,
        `TaskRouter did not answer the update (${answer.reason}) and its outcome could not be read yet: nothing is recorded here until it is settled; read the reservation again shortly`,
      );
    }
    const from: readonly ReservationStatus[] = TRANSITIONS[action.transition].from;
    if (from.includes(status)) {
      // Still in a state the update starts from. Either it was not made, and may be sent again;
      // or it leaves the status as it was (supervise, a call or redirect without accept), and the
      // read cannot tell whether TaskRouter carried it out. Nothing is recorded either way.
      await this.marks.clearForward(scope, markId, this.clock.now());
      this.telemetry.count('forwards', 'settled');
      throw new UpstreamUnsettledError(
        answer.timedOut ? 504 : 502,
        status === intended
          ? `TaskRouter did not answer the update (${answer.reason}), and the reservation, still ${status} there, cannot tell whether it was carried out: nothing was recorded; sending it again may repeat it`
          : `TaskRouter did not answer the update (${answer.reason}); the reservation is still ${status} there and nothing was recorded: retry the request`,
      );
    }
    const task = await this.#record(input, markId, status);
    this.telemetry.count('forwards', 'settled');
    // Made, or no longer possible (another outcome came first: recorded, as TaskRouter says it).
    if (status !== intended) throw new ReservationStateError(reservationSid, requiredStateLabel(from));
    return task;
  }

  /** Records what Twilio says the reservation is now, clearing the mark in the same write. */
  async #record(input: ApplyAction, markId: string, status: ReservationStatus): Promise<TaskRecord | undefined> {
    const now = this.clock.now();
    if (status === 'pending') {
      // An instruction that leaves it pending (a call or redirect without accept): nothing to record but the mark.
      return (await this.marks.clearForward(input.scope, markId, now)) ?? this.tasks.getTask(input.scope);
    }
    const outcome = await this.tasks.recordObserved({
      scope: input.scope,
      reservationSid: input.reservationSid,
      status,
      observedAt: now,
      now,
      action: input.action,
      markId,
    });
    return outcome.kind === 'unknown' ? undefined : outcome.task;
  }

  /**
   * Reads a reservation upstream and records what it says (nothing while it is pending there),
   * clearing `markId` once the read settles it. Returns the status read, `gone` when upstream has
   * no such reservation (any more), undefined when it did not answer.
   */
  async refresh(scope: TaskScope, reservationSid: string, markId?: string): Promise<ReservationStatus | 'gone' | undefined> {
    const read = await this.#read(scope, reservationSid);
    const status = read.kind === 'ok' ? statusOf(read.json) : undefined;
    const gone = read.kind === 'refused' && read.status === 404;
    const now = this.clock.now();
    if (status !== undefined && status !== 'pending') {
      await this.tasks.recordObserved({ scope, reservationSid, status, observedAt: now, now, ...(markId !== undefined && { markId }) });
    } else if (markId !== undefined && (status === 'pending' || gone)) {
      await this.marks.clearForward(scope, markId, now);
    }
    if (markId !== undefined && (status !== undefined || gone)) this.telemetry.count('forwards', 'settled');
    return gone ? 'gone' : status;
  }

  /** One GET of the reservation upstream, counted by how it went. */
  #read(scope: TaskScope, reservationSid: string): Promise<UpstreamAnswer> {
    return readUpstream(this, scope.accountSid, reservationPath(scope, reservationSid), { reservationSid });
  }
}

/** What a forward needs of its surroundings: the upstream, the time, a log and counters. */
export interface ForwardContext {
  readonly upstream: TaskRouterUpstream;
  readonly logger: Logger;
  readonly telemetry: Telemetry;
}

/**
 * One GET of a resource upstream (what settles a forward whose answer was lost), counted by how
 * it went. Only a 404 says the resource is gone; any other refusal of a read (a 429, a 401 after
 * a rotated token) says nothing of it, and it is read again later.
 */
export async function readUpstream(context: ForwardContext, accountSid: string, path: string, subject: Record<string, string>): Promise<UpstreamAnswer> {
  const read = await context.upstream.send({ accountSid, path, method: 'GET', timeoutMs: READ_TIMEOUT_MS });
  const gone = read.kind === 'refused' && read.status === 404;
  if (read.kind === 'unknown') context.logger.warn('upstream read failed', { ...subject, reason: read.reason });
  if (read.kind === 'refused' && !gone) context.logger.warn('upstream read refused', { ...subject, status: read.status, code: read.code });
  context.telemetry.count('upstreamReads', read.kind === 'ok' ? 'answered' : gone ? 'gone' : 'failed');
  return read;
}

/**
 * Takes a forward mark by `take`, which answers 'held' while another forward holds it: polled
 * until it is taken (or `take` answers anything else), else a 409 once MARK_WAIT_MS have passed.
 */
export async function takeMarkWaiting<R>(clock: Clock, wait: (ms: number) => Promise<void>, subject: string, take: () => Promise<R | 'held'>): Promise<R> {
  const giveUp = clock.now() + MARK_WAIT_MS;
  for (;;) {
    const outcome = await take();
    if (outcome !== 'held') return outcome;
    if (clock.now() > giveUp) throw new ConflictError(`An update of ${subject} is being forwarded to TaskRouter; retry the request`);
    await wait(MARK_POLL_MS);
  }
}

/** One POST of an update upstream, as its caller sent it, counted by what TaskRouter answered. */
export async function postUpstream(context: ForwardContext, accountSid: string, path: string, params: Params): Promise<UpstreamAnswer> {
  const form = [...params].flatMap(([name, values]) => values.map((v) => [name, v] as const));
  const answer = await context.upstream.send({ accountSid, path, method: 'POST', form, timeoutMs: FORWARD_TIMEOUT_MS });
  context.telemetry.count('forwards', FORWARD_OUTCOME[answer.kind]);
  return answer;
}

/** Twilio's refusal of a forward, passed through to the caller unchanged (a 429 with its Retry-After). */
export function passedThrough(answer: Extract<UpstreamAnswer, { kind: 'refused' }>): UpstreamError {
  return new UpstreamError(
    answer.status,
    answer.code,
    answer.message,
    answer.moreInfo,
    answer.status === 429 ? { 'Retry-After': answer.retryAfter ?? '1' } : {},
  );
}
