/**
 * The local stack's start-up sweep over data it finds (DATA_DIR, or DYNAMODB_ENDPOINT): a process
 * that died, or was stopped, left reservation timers that no longer exist and perhaps a write whose
 * events it never stored. Every task is read once (local data only, never a deployed table) to
 * store the events it implies and has not got, and to arm the timer of every reservation still
 * pending as stored, so that one whose deadline passed while the stack was down is written down
 * as timed out now, its worker moved and its event produced.
 */
import type { TaskRecord } from '../domain/task.ts';
import { effectiveStatus } from '../domain/task.ts';
import type { EventRecorder } from '../publishing/event-recorder.ts';
import type { TimeoutScheduler } from '../timeouts/scheduler.ts';

export interface SweepResult {
  readonly tasks: number;
  readonly eventsRecovered: number;
  readonly timersArmed: number;
}

export async function sweep(
  pages: AsyncIterable<readonly TaskRecord[]>,
  events: EventRecorder,
  scheduler: TimeoutScheduler,
  now: number,
): Promise<SweepResult> {
  let tasks = 0;
  let eventsRecovered = 0;
  let timersArmed = 0;
  for await (const found of pages) {
    tasks += found.length;
    eventsRecovered += (await events.recover(found)).length;
    for (const task of found) {
      for (const reservation of task.reservations) {
        // Stored pending and not ended by a sibling or a cancellation: its timer has work to do.
        if (reservation.status !== 'pending' || !['pending', 'timeout'].includes(effectiveStatus(task, reservation, now).status)) continue;
        await scheduler.schedule({
          accountSid: task.accountSid,
          workspaceSid: task.workspaceSid,
          taskSid: task.sid,
          reservationSid: reservation.sid,
          deadline: reservation.deadline,
        });
        timersArmed++;
      }
    }
  }
  return { tasks, eventsRecovered, timersArmed };
}
