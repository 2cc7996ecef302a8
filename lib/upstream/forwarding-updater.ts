/**
 * Connected: TaskRouter decides. An update is forwarded to it exactly once and recorded as it
 * confirms (forwarder.ts); a reservation's timer asks it what became of the reservation
 * (reconciler.ts), since TaskRouter times reservations out.
 */
import type { TaskRecord } from '../domain/task.ts';
import type { ApplyAction, Expiry, ReservationUpdater, UpdateRequest } from '../reservations/ports.ts';
import type { TimeoutEvent } from '../timeouts/scheduler.ts';
import type { UpstreamForwarder } from './forwarder.ts';
import type { UpstreamReconciler } from './reconciler.ts';

export class ForwardingUpdater implements ReservationUpdater {
  constructor(
    private readonly forwarder: UpstreamForwarder,
    private readonly reconciler: UpstreamReconciler,
  ) {}

  update(input: ApplyAction, request: UpdateRequest): Promise<TaskRecord | undefined> {
    return this.forwarder.forward(input, request.path, request.params);
  }

  async expire(timer: TimeoutEvent): Promise<Expiry> {
    return { kind: 'upstream', outcome: await this.reconciler.atDeadline(timer) };
  }
}
