/**
 * The local stack's start-up sweep over data it finds (DATA_DIR, or DYNAMODB_ENDPOINT): a process
 * that died, or was stopped, left reservation timers that no longer exist and perhaps a write whose
 * events it never stored. Every task is read once (local data only, never a deployed table) to
 * store the events it implies and has not got, and to arm the timer of every reservation still
 * pending as stored, so that one whose deadline passed while the stack was down is written down
 * as timed out now, its worker moved and its event produced. With lifecycle rules, the wrap-up and
 * attention timers of every reservation are armed again, and the latest changes (the last ten
 * minutes) are handled again by their rules (a change already handled is a no-op). Worker changes
 * whose events a dying process did not store are completed too.
 */
import type { WorkerChange } from '../domain/events.ts';
import type { LifecyclePolicy } from '../domain/lifecycle-policy.ts';
import type { TaskRecord } from '../domain/task.ts';
import { effectiveStatus } from '../domain/task.ts';
import type { LifecycleEngine } from '../lifecycle/engine.ts';
import type { EventRecorder } from '../publishing/event-recorder.ts';
import type { TimeoutScheduler } from '../timeouts/scheduler.ts';

export interface SweepResult {
  readonly tasks: number;
  readonly eventsRecovered: number;
  readonly timersArmed: number;
  readonly lifecycleResumed: number;
}

export interface SweepParts {
  readonly tasks: AsyncIterable<readonly TaskRecord[]>;
  readonly workerChanges: AsyncIterable<readonly WorkerChange[]>;
  readonly events: EventRecorder;
  readonly scheduler: TimeoutScheduler;
  readonly lifecycle: Pick<LifecycleEngine, 'resume'>;
  readonly policy: LifecyclePolicy;
  readonly now: number;
}

export async function sweep({ tasks: pages, workerChanges, events, scheduler, lifecycle, policy, now }: SweepParts): Promise<SweepResult> {
  let tasks = 0;
  let eventsRecovered = 0;
  let timersArmed = 0;
  let lifecycleResumed = 0;
  for await (const changes of workerChanges) eventsRecovered += (await events.recoverWorkers(changes)).length;
  for await (const found of pages) {
    tasks += found.length;
    eventsRecovered += (await events.recover(found)).length;
    for (const task of found) {
      for (const reservation of task.reservations) {
        // Stored pending and not ended by a sibling or a cancellation: its timer has work to do.
        if (reservation.status !== 'pending' || !['pending', 'timeout'].includes(effectiveStatus(task, reservation, now).status)) continue;
        // Where a timeout moves the worker: its lifecycle rule's choice, as when the timer was first armed.
        const activitySid = policy.rule(reservation.lifecycle)?.activities.timeout;
        await scheduler.schedule({
          accountSid: task.accountSid,
          workspaceSid: task.workspaceSid,
          taskSid: task.sid,
          reservationSid: reservation.sid,
          deadline: reservation.deadline,
          ...(activitySid !== undefined && { activitySid }),
        });
        timersArmed++;
      }
      lifecycleResumed += await lifecycle.resume(task, now);
    }
  }
  return { tasks, eventsRecovered, timersArmed, lifecycleResumed };
}
