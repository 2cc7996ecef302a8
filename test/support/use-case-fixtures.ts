/**
 * What the use-case tests (test/unit) build their cases from, without a server, an engine or the
 * twilio package: test/support/fixtures.ts loads both the twilio package and the local stack, about
 * 2 s of imports in every file that uses it, which the fast tier cannot afford. Here: SIDs,
 * assignment callbacks parsed as the handler parses them, reservations as the store takes them, a
 * scheduler, an event sink and a telemetry that record, and a scriptable upstream TaskRouter.
 */
import { randomBytes } from 'node:crypto';
import { LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN } from '#lib/config.ts';
import { parseAssignmentCallback, type AssignmentCallback } from '#lib/domain/assignment-callback.ts';
import type { TaskRouterEvent } from '#lib/domain/events.ts';
import type { Params } from '#lib/domain/parameters.ts';
import type { TaskScope } from '#lib/domain/scope.ts';
import type { EventSink } from '#lib/publishing/ports.ts';
import type { NewReservation } from '#lib/reservations/ports.ts';
import type { CountedMetric, DimensionValue, MeasuredMetric } from '#lib/telemetry/metrics.ts';
import type { Telemetry } from '#lib/telemetry/telemetry.ts';
import type { ReservationTimer, TimeoutScheduler } from '#lib/timeouts/scheduler.ts';
import type { TaskRouterUpstream, UpstreamAnswer, UpstreamRequest } from '#lib/upstream/taskrouter-client.ts';

export const ACCOUNT_SID = LOCAL_ACCOUNT_SID;
export const AUTH_TOKEN = LOCAL_AUTH_TOKEN;

export function sid(prefix: string): string {
  return prefix + randomBytes(16).toString('hex');
}

/** Form fields as a handler hands them over: each name with its values. */
export function form(fields: Readonly<Record<string, string | readonly string[]>>): Params {
  return new Map(Object.entries(fields).map(([name, value]) => [name, typeof value === 'string' ? [value] : value]));
}

/** An assignment callback's fields, fresh SIDs unless given (undefined drops a field). */
export function callbackFields(overrides: Partial<Record<string, string>> = {}): Record<string, string> {
  const fields: Record<string, string> = {
    AccountSid: ACCOUNT_SID,
    WorkspaceSid: sid('WS'),
    WorkflowSid: sid('WW'),
    TaskQueueSid: sid('WQ'),
    WorkerSid: sid('WK'),
    WorkerName: 'Doug',
    WorkerAttributes: JSON.stringify({ contact_uri: 'client:doug', skills: ['support'] }),
    TaskSid: sid('WT'),
    TaskAttributes: JSON.stringify({ type: 'voice', from: '+15551234567' }),
    TaskAge: '3',
    TaskPriority: '1',
    ReservationSid: sid('WR'),
  };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete fields[name];
    else fields[name] = value;
  }
  return fields;
}

/** An assignment callback as the handler parses it. */
export function assignment(overrides: Partial<Record<string, string>> = {}): AssignmentCallback {
  return parseAssignmentCallback(form(callbackFields(overrides)));
}

export const taskScopeOf = (a: { accountSid: string; workspaceSid: string; taskSid: string }): TaskScope => ({
  accountSid: a.accountSid,
  workspaceSid: a.workspaceSid,
  taskSid: a.taskSid,
});

/** A task as a reservation names it, fresh SIDs unless given. */
export function newTask(at: number, overrides: Partial<NewReservation['task']> = {}): NewReservation['task'] {
  return {
    accountSid: ACCOUNT_SID,
    workspaceSid: sid('WS'),
    taskSid: sid('WT'),
    workflowSid: sid('WW'),
    taskQueueSid: sid('WQ'),
    attributes: '{"type":"voice"}',
    priority: 1,
    createdAt: at - 3000,
    ...overrides,
  };
}

/** A reservation as the store records it, pending for two minutes from `at` unless told otherwise. */
export function newReservation(task: NewReservation['task'], at: number, overrides: Partial<NewReservation> = {}): NewReservation {
  return {
    task,
    reservationSid: sid('WR'),
    workerSid: sid('WK'),
    workerName: 'Alice',
    workerAttributes: '{"skill":"a"}',
    deadline: at + 120_000,
    maxRejections: 3,
    answer: '{}',
    ...overrides,
  };
}

/** A timeout scheduler that only remembers what it was asked to arm. */
export class RecordingScheduler implements TimeoutScheduler {
  readonly timers: ReservationTimer[] = [];
  async schedule(timer: ReservationTimer): Promise<void> {
    this.timers.push(timer);
  }
}

/** An event sink that keeps what each write delivered. */
export class RecordingSink implements EventSink {
  readonly name = 'recording sink';
  readonly events: TaskRouterEvent[] = [];
  async deliver(events: readonly TaskRouterEvent[]): Promise<void> {
    this.events.push(...events);
  }
  types(): string[] {
    return this.events.map((e) => e.type);
  }
}

/** TaskRouter's answer with a Reservation JSON in `status`. */
export const reservationJson = (status: string): UpstreamAnswer => ({ kind: 'ok', status: 200, json: { reservation_status: status } });

export function refusal(status: number, code: number, message: string, retryAfter?: string): UpstreamAnswer {
  return { kind: 'refused', status, code, message, moreInfo: `https://www.twilio.com/docs/errors/${code}`, retryAfter };
}

/** TaskRouter's own answer to an update of a reservation that has left pending. */
export const notPendingRefusal = (reservationSid: string) => refusal(400, 20001, `Reservation ${reservationSid} is not currently in a Pending state`);

/** A 5xx, a lost connection (`timedOut` false) or a time-out: the outcome is not known. */
export const unknownOutcome = (timedOut = false): UpstreamAnswer => ({ kind: 'unknown', timedOut, reason: timedOut ? 'no answer within 5000 ms' : 'HTTP 503' });

/** The upstream TaskRouter as a script: each request recorded, each answered by `answer`. */
export class FakeUpstream implements TaskRouterUpstream {
  readonly baseUrl = 'https://taskrouter.example.test';
  readonly requests: UpstreamRequest[] = [];

  constructor(public answer: (request: UpstreamRequest) => UpstreamAnswer | Promise<UpstreamAnswer> = () => unknownOutcome()) {}

  async send(request: UpstreamRequest): Promise<UpstreamAnswer> {
    this.requests.push(request);
    return this.answer(request);
  }

  posts(): UpstreamRequest[] {
    return this.requests.filter((r) => r.method === 'POST');
  }

  gets(): UpstreamRequest[] {
    return this.requests.filter((r) => r.method === 'GET');
  }
}

/** Telemetry that keeps what the use cases counted and measured. */
export class RecordingTelemetry implements Telemetry {
  readonly counts: (readonly [CountedMetric, string])[] = [];
  readonly measures: (readonly [MeasuredMetric, number])[] = [];

  count<M extends CountedMetric>(metric: M, value: DimensionValue<M>): void {
    this.counts.push([metric, value]);
  }

  measure(metric: MeasuredMetric, value: number): void {
    this.measures.push([metric, value]);
  }

  /** The values `metric` was counted with, in order. */
  of(metric: CountedMetric): string[] {
    return this.counts.filter(([m]) => m === metric).map(([, value]) => value);
  }
}
