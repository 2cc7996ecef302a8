/**
 * Connected mode's sweep, every minute (an EventBridge schedule): the event callbacks taken in and
 * not applied, then the forwarded updates left unsettled (lib/upstream/sweep.ts). Standalone, it
 * has nothing to do.
 */
import { eventFunction } from '#lib/handlers/event-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';
import { sweepUpstream, type UpstreamSweep } from '#lib/upstream/sweep.ts';

export const upstreamSweep = eventFunction(
  'upstream-sweep',
  async (_event: unknown, runtime): Promise<UpstreamSweep | { readonly standalone: true }> =>
    runtime.upstream ? sweepUpstream(runtime.upstream) : { standalone: true },
);

export const handler = await lambdaHandler(upstreamSweep);
