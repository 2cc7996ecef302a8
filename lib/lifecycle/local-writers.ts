/**
 * Standalone: Task and Worker updates are this service's own, one conditional write each.
 * (Connected, they are forwarded to TaskRouter: lib/upstream/change-forwarder.ts.)
 */
import type { TaskRecord } from '../domain/task.ts';
import type { WorkerWrite } from '../domain/worker.ts';
import type { TaskChange, TaskStore, WorkerStore } from '../reservations/ports.ts';
import type { TaskChanger, WorkerWriter } from './ports.ts';

export class LocalTaskChanger implements TaskChanger {
  constructor(private readonly tasks: Pick<TaskStore, 'changeTask'>) {}

  change(change: TaskChange): Promise<TaskRecord | undefined> {
    return this.tasks.changeTask(change);
  }
}

export class LocalWorkerWriter implements WorkerWriter {
  readonly rejectsPendingUpstream = false;

  constructor(private readonly workers: Pick<WorkerStore, 'writeWorker'>) {}

  write(write: WorkerWrite): Promise<boolean> {
    return this.workers.writeWorker(write);
  }
}
