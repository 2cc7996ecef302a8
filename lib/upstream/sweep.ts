/**
 * Connected mode's sweep, every minute (deployed: the upstream-sweep function's schedule; locally:
 * in-process, and once at start-up): the event callbacks taken in and not applied (a process that
 * died between taking one in and applying it) first, then the forwarded updates left unsettled,
 * each settled by reading its reservation upstream.
 */
import type { MirrorInbox } from './mirror-inbox.ts';
import type { SweepOutcome, UpstreamReconciler } from './reconciler.ts';

export interface UpstreamSweep extends SweepOutcome {
  readonly eventsApplied: number;
  readonly eventsNotApplied: number;
}

export async function sweepUpstream(
  upstream: { readonly inbox: MirrorInbox; readonly reconciler: UpstreamReconciler },
  eventsBefore?: number,
): Promise<UpstreamSweep> {
  const events = await upstream.inbox.sweep(eventsBefore);
  return { ...(await upstream.reconciler.sweep()), eventsApplied: events.applied, eventsNotApplied: events.failed };
}
