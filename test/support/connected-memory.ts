/**
 * Connected mode's application layer on the in-memory stores: the forwarder, the reconciler and
 * the reservation service wired as the runtime wires them, in front of a fake TaskRouter that
 * keeps each reservation's status and answers as Twilio does. Tests replace its answers
 * (`upstream.answer`) to play Twilio's failures, and the forwarder's wait for a held mark never
 * sleeps: it yields one turn of the event loop.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { ANSWER_LATER } from '#lib/domain/assignment-policy.ts';
import type { AssignmentCallback } from '#lib/domain/assignment-callback.ts';
import { createLogger } from '#lib/logging.ts';
import { ReservationService } from '#lib/reservations/service.ts';
import { memoryStores } from '#lib/store/memory/memory-stores.ts';
import type { Stores } from '#lib/store/stores.ts';
import { ForwardingTaskChanger, ForwardingWorkerWriter } from '#lib/upstream/change-forwarder.ts';
import { UpstreamForwarder } from '#lib/upstream/forwarder.ts';
import { ForwardingUpdater } from '#lib/upstream/forwarding-updater.ts';
import { UpstreamReconciler } from '#lib/upstream/reconciler.ts';
import type { UpstreamAnswer, UpstreamRequest } from '#lib/upstream/taskrouter-client.ts';
import { FakeClock } from './clock.ts';
import { FakeUpstream, RecordingScheduler, RecordingTelemetry, assignment, notPendingRefusal, refusal, reservationJson } from './use-case-fixtures.ts';

const WANTED: Readonly<Record<string, string>> = { accepted: 'accepted', rejected: 'rejected', wrapping: 'wrapping', completed: 'completed' };
const FROM: Readonly<Record<string, readonly string[]>> = {
  accepted: ['pending'],
  rejected: ['pending'],
  wrapping: ['accepted'],
  completed: ['accepted', 'wrapping'],
};

/** TaskRouter as far as these tests need it: reservations by SID, their status, the accept that rescinds the rest. */
export class FakeTaskRouter {
  readonly reservations = new Map<string, { taskSid: string; status: string }>();

  reserve(taskSid: string, reservationSid: string): void {
    this.reservations.set(reservationSid, { taskSid, status: 'pending' });
  }

  statusOf(reservationSid: string): string | undefined {
    return this.reservations.get(reservationSid)?.status;
  }

  /** Changes a reservation behind the gateway's back (an agent in Flex), its event lost. */
  set(reservationSid: string, status: string): void {
    const reservation = this.reservations.get(reservationSid)!;
    this.reservations.set(reservationSid, { ...reservation, status });
  }

  answer(request: UpstreamRequest): UpstreamAnswer {
    const reservationSid = request.path.split('/').at(-1)!;
    const reservation = this.reservations.get(reservationSid);
    if (!reservation) return refusal(404, 20404, `The requested resource /Reservations/${reservationSid} was not found`);
    if (request.method === 'GET') return reservationJson(reservation.status);
    const fields = new Map(request.form ?? []);
    const instruction = fields.get('Instruction')?.toLowerCase();
    const wanted = instruction === 'conference' || instruction === 'dequeue' ? 'accepted' : WANTED[fields.get('ReservationStatus') ?? ''];
    if (wanted === undefined) return refusal(400, 20001, 'Invalid parameter');
    if (!FROM[wanted]!.includes(reservation.status)) {
      return wanted === 'accepted' || wanted === 'rejected'
        ? notPendingRefusal(reservationSid)
        : refusal(400, 20001, `Reservation ${reservationSid} is not in an Accepted state`);
    }
    this.reservations.set(reservationSid, { ...reservation, status: wanted });
    if (wanted === 'accepted') {
      for (const [sid, other] of this.reservations)
        if (other.taskSid === reservation.taskSid && other.status === 'pending') this.reservations.set(sid, { ...other, status: 'rescinded' });
    }
    return reservationJson(wanted);
  }
}

export interface ConnectedMemory {
  readonly clock: FakeClock;
  readonly stores: Stores;
  readonly taskRouter: FakeTaskRouter;
  readonly upstream: FakeUpstream;
  readonly scheduler: RecordingScheduler;
  readonly logger: Logger;
  /** What the forwarder, the reconciler and the service counted. */
  readonly telemetry: RecordingTelemetry;
  /** Every wait of an update for another one's mark, in ms asked. */
  readonly waits: number[];
  readonly forwarder: UpstreamForwarder;
  /** Task and Worker updates' forwards (their upstream answers are the test's: see FakeUpstream). */
  readonly taskChanger: ForwardingTaskChanger;
  readonly workerWriter: ForwardingWorkerWriter;
  readonly reconciler: UpstreamReconciler;
  readonly service: ReservationService;
  /** TaskRouter reserves a worker: at TaskRouter, and the gateway answers the assignment callback. */
  reserve(overrides?: Partial<Record<string, string>>, timeoutSeconds?: number): Promise<AssignmentCallback>;
}

export function connectedMemory(options: { readonly timeoutActivitySid?: string; readonly wait?: (ms: number) => Promise<void> } = {}): ConnectedMemory {
  const clock = new FakeClock();
  const stores = memoryStores();
  const taskRouter = new FakeTaskRouter();
  const upstream = new FakeUpstream((request) => taskRouter.answer(request));
  const scheduler = new RecordingScheduler();
  const logger = createLogger();
  const waits: number[] = [];
  const wait =
    options.wait ??
    (async (ms: number) => {
      waits.push(ms);
      // The forwarder's wait for another update's mark is measured on this clock: time passes.
      clock.advance(ms);
      await new Promise((resolve) => setImmediate(resolve));
    });
  const telemetry = new RecordingTelemetry();
  const forwarder = new UpstreamForwarder(stores.tasks, stores.marks, upstream, clock, logger, telemetry, wait);
  const context = { upstream, clock, logger, telemetry, wait };
  const taskChanger = new ForwardingTaskChanger(stores.tasks, stores.marks, context);
  const workerWriter = new ForwardingWorkerWriter(stores.workers, context);
  const reconciler = new UpstreamReconciler(
    stores.marks,
    forwarder,
    { tasks: taskChanger, workers: workerWriter, workerMarks: stores.workers },
    scheduler,
    clock,
    logger,
    telemetry,
  );
  const service = new ReservationService({
    tasks: stores.tasks,
    workers: stores.workers,
    updater: new ForwardingUpdater(forwarder, reconciler),
    clock,
    logger,
    policy: ANSWER_LATER,
    maxRejections: 10,
    scheduler,
    timeoutActivitySid: options.timeoutActivitySid,
    telemetry,
  });
  return {
    clock,
    stores,
    taskRouter,
    upstream,
    scheduler,
    logger,
    telemetry,
    waits,
    forwarder,
    taskChanger,
    workerWriter,
    reconciler,
    service,
    async reserve(overrides = {}, timeoutSeconds = 120) {
      const callback = assignment(overrides);
      taskRouter.reserve(callback.taskSid, callback.reservationSid);
      await service.assign(callback, timeoutSeconds);
      return callback;
    },
  };
}
