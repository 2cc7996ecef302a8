/** Standalone: this service decides, one conditional write per update (lib/store/task-items.ts). */
import { ReservationStateError } from '../domain/errors.ts';
import type { TaskRecord } from '../domain/task.ts';
import type { ApplyAction, Expiry, ReservationUpdater, TaskStore } from './ports.ts';

export class LocalUpdater implements ReservationUpdater {
  constructor(private readonly tasks: Pick<TaskStore, 'applyAction'>) {}

  update(input: ApplyAction): Promise<TaskRecord | undefined> {
    return this.tasks.applyAction(input);
  }

  async expire(_timer: unknown, input: ApplyAction): Promise<Expiry> {
    try {
      const task = await this.tasks.applyAction(input);
      return task ? { kind: 'expired', task } : { kind: 'not-found' };
    } catch (error) {
      // Not pending, or not past its deadline yet (an early timer): every read already says what is true.
      if (error instanceof ReservationStateError) return { kind: 'nothing-to-do' };
      throw error;
    }
  }
}
