/**
 * The Worker update (`POST /v1/Workspaces/{WS}/Workers/{WK}`), TaskRouter's way: an activity, new
 * attributes, a new friendly name, If-Match against the worker's version, and
 * RejectPendingReservations (the worker's pending reservations rejected, once it has moved to an
 * activity that takes no work). Each change is one conditional write on the version it was decided
 * from, with the facts of its events (worker.activity.update, worker.attributes.update).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Clock } from '../domain/clock.ts';
import { ConflictError, NotFoundError, PreconditionFailedError, ReservationStateError } from '../domain/errors.ts';
import type { IfMatch } from '../domain/if-match.ts';
import type { Params } from '../domain/parameters.ts';
import { listKey } from '../domain/paging.ts';
import type { WorkerScope } from '../domain/scope.ts';
import { effectiveStatus, findReservation } from '../domain/task.ts';
import { readWorkerUpdate } from '../domain/worker-change.ts';
import { type WorkerRecord, type WorkerWrite, workerEntityTag, workerIfMatchSatisfied } from '../domain/worker.ts';
import type { ReservationUpdater, TaskStore, WorkerStore } from '../reservations/ports.ts';
import type { WorkerWriter } from './ports.ts';

/** Attempts of a write decided from a version another write keeps moving (409 after them). */
const MAX_ATTEMPTS = 8;
/** TaskRouter's longest reservation timeout: a link older than that is no pending reservation's. */
const LONGEST_PENDING_MS = 86_400_000;

export interface WorkerUpdatesOptions {
  readonly tasks: Pick<TaskStore, 'getTasks'>;
  readonly workers: Pick<WorkerStore, 'workerState' | 'getWorker' | 'reservationLinks'>;
  readonly writer: WorkerWriter;
  /** How the pending reservations of RejectPendingReservations are rejected (standalone). */
  readonly updater: ReservationUpdater;
  /** Whether an activity takes work (the policy's availableActivities). */
  readonly isAvailable: (activitySid: string) => boolean;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** The write of a change to `worker`, with its events' facts; undefined when it changes nothing. */
export function workerWriteOf(
  worker: WorkerRecord,
  change: { readonly activitySid?: string; readonly attributes?: string; readonly friendlyName?: string },
  by: 'update' | 'lifecycle' | 'upstream',
  now: number,
): Omit<WorkerWrite, 'lifecycle'> | undefined {
  const moves = change.activitySid !== undefined && change.activitySid !== worker.activitySid;
  const attributesChanged = change.attributes !== undefined && change.attributes !== worker.attributes;
  const renamed = change.friendlyName !== undefined && change.friendlyName !== worker.friendlyName;
  if (!moves && !attributesChanged && !renamed) return undefined;
  const version = worker.version + 1;
  return {
    scope: { accountSid: worker.accountSid, workspaceSid: worker.workspaceSid, workerSid: worker.sid },
    now,
    expectedVersion: worker.version,
    ...(moves && { activity: { sid: change.activitySid!, by } }),
    ...(attributesChanged && { attributes: change.attributes! }),
    ...(renamed && { friendlyName: change.friendlyName! }),
    ...((moves || attributesChanged) && {
      change: {
        workerName: renamed ? change.friendlyName! : worker.friendlyName,
        attributes: attributesChanged ? change.attributes! : worker.attributes,
        activitySid: moves ? change.activitySid! : worker.activitySid,
        version,
        at: now,
        ...(moves && { previousActivity: { sid: worker.activitySid, since: worker.activityChangedAt } }),
        attributesChanged,
      },
    }),
  };
}

export class WorkerUpdates {
  constructor(private readonly options: WorkerUpdatesOptions) {}

  /** Applies a Worker update; returns the worker after it. `resource` is the worker's path, for a 404. */
  async update(scope: WorkerScope, params: Params, ifMatch: IfMatch | undefined, resource: string): Promise<WorkerRecord> {
    const { workers, writer, clock } = this.options;
    const update = readWorkerUpdate(params, this.options.isAvailable);
    for (let attempt = 1; ; attempt++) {
      const state = await workers.workerState(scope);
      if (!state) throw new NotFoundError(resource);
      const { worker } = state;
      if (ifMatch !== undefined && !workerIfMatchSatisfied(ifMatch, worker)) throw new PreconditionFailedError(ifMatch.raw, workerEntityTag(worker));
      const write = workerWriteOf(worker, update, 'update', clock.now());
      if (write === undefined || (await writer.write(write, { path: `/v1${resource}`, params }))) break;
      if (attempt === MAX_ATTEMPTS) throw new ConflictError(`Worker ${scope.workerSid} changed concurrently; retry the request`);
    }
    if (update.rejectPendingReservations && !writer.rejectsPendingUpstream) await this.#rejectPending(scope);
    const worker = await workers.getWorker(scope);
    if (!worker) throw new NotFoundError(resource);
    return worker;
  }

  /** Rejects the worker's reservations still pending: its links of the last day, newest first, and their tasks in batches. */
  async #rejectPending(scope: WorkerScope): Promise<void> {
    const { workers, tasks, updater, clock, logger } = this.options;
    const oldest = clock.now() - LONGEST_PENDING_MS;
    const read = workers.reservationLinks(scope);
    let from: string | undefined;
    let rejected = 0;
    for (;;) {
      const window = await read('backward', from, 100);
      const recent = window.items.filter((link) => link.createdAt >= oldest);
      const found = await tasks.getTasks(scope, [...new Set(recent.map((link) => link.taskSid))]);
      for (const link of recent.reverse()) {
        const task = found.get(link.taskSid);
        const reservation = task && findReservation(task, link.reservationSid);
        const now = clock.now();
        if (!task || reservation?.workerSid !== scope.workerSid || effectiveStatus(task, reservation, now).status !== 'pending') continue;
        const taskScope = { accountSid: scope.accountSid, workspaceSid: scope.workspaceSid, taskSid: task.sid };
        try {
          await updater.update(
            { scope: taskScope, reservationSid: reservation.sid, action: { transition: 'reject' }, now, workerSid: scope.workerSid },
            {
              path: `/v1/Workspaces/${scope.workspaceSid}/Workers/${scope.workerSid}/Reservations/${reservation.sid}`,
              params: new Map([['ReservationStatus', ['rejected']]]),
            },
          );
          rejected++;
        } catch (error) {
          // Answered meanwhile (accepted, timed out): nothing to reject.
          if (!(error instanceof ReservationStateError)) throw error;
        }
      }
      if (!window.more || recent.length < window.items.length || window.items.length === 0) break;
      const first = window.items[0]!;
      from = listKey(first.createdAt, first.reservationSid);
    }
    if (rejected > 0) logger.info('pending reservations rejected', { workerSid: scope.workerSid, rejected });
  }
}
