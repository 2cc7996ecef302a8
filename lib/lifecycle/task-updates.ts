/**
 * The Task update (`POST /v1/Workspaces/{WS}/Tasks/{WT}`), TaskRouter's way. Completing and
 * wrapping up act on the task's claimed reservation (the same transition as a Reservation update,
 * so the same events, and the same race with a wrap-up timer or a second click: one wins); a
 * cancellation, new attributes or a new priority are a change of the task itself. Standalone each
 * is one conditional write; connected, it is forwarded to TaskRouter exactly once (the updaters').
 */
import type { Clock } from '../domain/clock.ts';
import { NotFoundError, ReservationStateError } from '../domain/errors.ts';
import type { IfMatch } from '../domain/if-match.ts';
import type { Params } from '../domain/parameters.ts';
import type { TaskScope } from '../domain/scope.ts';
import { checkTaskIfMatch, readTaskUpdate, taskStateError } from '../domain/task-change.ts';
import type { TaskRecord } from '../domain/task.ts';
import type { ReservationUpdater, TaskStore } from '../reservations/ports.ts';
import type { TaskChanger } from './ports.ts';

export interface TaskUpdatesOptions {
  readonly tasks: Pick<TaskStore, 'getTask'>;
  readonly updater: ReservationUpdater;
  readonly changer: TaskChanger;
  readonly clock: Clock;
}

export class TaskUpdates {
  constructor(private readonly options: TaskUpdatesOptions) {}

  /** Applies a Task update; returns the task after it. `resource` is the task's path, for a 404. */
  async update(scope: TaskScope, params: Params, ifMatch: IfMatch | undefined, resource: string): Promise<TaskRecord> {
    const { tasks, updater, changer, clock } = this.options;
    const update = readTaskUpdate(params);
    const request = { path: `/v1${resource}`, params };
    const status = update.assignmentStatus;
    if (status === 'completed' || status === 'wrapping') {
      const task = await tasks.getTask(scope);
      if (!task) throw new NotFoundError(resource);
      checkTaskIfMatch(task, ifMatch);
      const now = clock.now();
      // No claimed reservation: nothing to complete or wrap up. With one, its transition judges (not
      // a read here): a repeat of a completion that died before its events is refused by the write,
      // which first completes those events.
      const claimed = task.acceptedReservationSid;
      if (claimed === undefined) throw taskStateError(scope, status);
      // Attributes or priority with it: set by the transition's own write.
      const taskChange =
        update.attributes !== undefined || update.priority !== undefined
          ? { ...(update.attributes !== undefined && { attributes: update.attributes }), ...(update.priority !== undefined && { priority: update.priority }) }
          : undefined;
      const action = {
        ...(status === 'completed'
          ? { transition: 'complete' as const, completedReason: update.reason! }
          : { transition: 'wrap' as const, ...(update.reason !== undefined && { wrapUpReason: update.reason }) }),
        ...(taskChange && { taskChange }),
      };
      try {
        const updated = await updater.update({ scope, reservationSid: claimed, action, now, ...(ifMatch !== undefined && { taskIfMatch: ifMatch }) }, request);
        if (!updated) throw new NotFoundError(resource);
        return updated;
      } catch (error) {
        // Its reservation left that status between the read and the write (a timer, another click): TaskRouter's words for the task.
        if (error instanceof ReservationStateError) throw taskStateError(scope, status);
        throw error;
      }
    }
    if (status === 'canceled' || update.attributes !== undefined || update.priority !== undefined) {
      const changed = await changer.change(
        {
          scope,
          now: clock.now(),
          ...(ifMatch !== undefined && { ifMatch }),
          ...(status === 'canceled' && { cancel: { reason: update.reason! } }),
          ...(update.attributes !== undefined && { attributes: update.attributes }),
          ...(update.priority !== undefined && { priority: update.priority }),
        },
        request,
      );
      if (!changed) throw new NotFoundError(resource);
      return changed;
    }
    // Nothing to change: the task as it is (If-Match still holds it to its version).
    const task = await tasks.getTask(scope);
    if (!task) throw new NotFoundError(resource);
    checkTaskIfMatch(task, ifMatch);
    return task;
  }
}
