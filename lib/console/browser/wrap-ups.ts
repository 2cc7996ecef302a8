/**
 * Wrapping reservations' wrap-up ends, for the Deadline column of the task and worker views: this
 * service's WrapUp resource, one read per wrapping reservation, read again no sooner than every
 * REREAD_MS (an extension made elsewhere moves the end; the column catches up within that). A
 * reservation whose rule sets no limit has no end; a read that fails shows none and is tried again
 * at the same pace, the view working on without it.
 */
import { ApiError, type Api } from './api.ts';
import type { Reservation, WrapUp } from './types.ts';

const REREAD_MS = 15_000;
/** Reads in one refresh at most: a worker with more wrapping reservations gets the rest at the next ones. */
const MAX_READS = 10;

export class WrapUpEnds {
  readonly #ends = new Map<string, { readonly end: number | null; readonly readAt: number }>();

  constructor(
    private readonly api: Api,
    private readonly workspace: string,
  ) {}

  /** The wrap-up's end (epoch ms), when the reservation's rule limits it and it was read. */
  get(reservationSid: string): number | undefined {
    return this.#ends.get(reservationSid)?.end ?? undefined;
  }

  /** Reads the ends of the wrapping reservations not read lately. */
  async ensure(reservations: readonly Reservation[], signal: AbortSignal): Promise<void> {
    const now = Date.now();
    const due = reservations
      .filter((r) => r.reservation_status === 'wrapping')
      .filter((r) => now - (this.#ends.get(r.sid)?.readAt ?? -Infinity) >= REREAD_MS)
      .slice(0, MAX_READS);
    await Promise.all(
      due.map(async (r) => {
        const path = `/lifecycle/v1/Workspaces/${encodeURIComponent(this.workspace)}/Tasks/${encodeURIComponent(r.task_sid)}/Reservations/${encodeURIComponent(r.sid)}/WrapUp`;
        let end = this.#ends.get(r.sid)?.end ?? null;
        try {
          const { body } = await this.api.get<WrapUp>(path, signal);
          end = body.reservation_status === 'wrapping' ? body.wrap_up_deadline_ms : null;
        } catch (error) {
          if (signal.aborted || (error instanceof ApiError && error.status === 401)) throw error;
        }
        this.#ends.set(r.sid, { end, readAt: now });
      }),
    );
  }
}
