/**
 * Standalone: Task and Worker updates are this service's own, one conditional write each.
 * Connected: the ones this gateway does not forward to TaskRouter are refused (NotForwarded*), so
 * that the record never says what TaskRouter does not.
 */
import { NotForwardedError } from '../domain/errors.ts';
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

const TASK_UPDATE_DOCS = 'https://www.twilio.com/docs/taskrouter/api/task#update-a-task-resource';
const WORKER_UPDATE_DOCS = 'https://www.twilio.com/docs/taskrouter/api/worker#update-a-worker-resource';

/** Connected: a cancellation, new attributes or a new priority of a task. */
export class NotForwardedTaskChanger implements TaskChanger {
  async change(): Promise<TaskRecord | undefined> {
    throw new NotForwardedError('A Task update other than AssignmentStatus=completed or wrapping', TASK_UPDATE_DOCS);
  }
}

/** Connected: a Worker update. */
export class NotForwardedWorkerWriter implements WorkerWriter {
  readonly rejectsPendingUpstream = true;

  async write(): Promise<boolean> {
    throw new NotForwardedError('A Worker update', WORKER_UPDATE_DOCS);
  }
}
