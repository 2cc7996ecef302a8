/**
 * Connected mode's sweep (SPEC §12), every minute (deployed: an EventBridge Scheduler schedule;
 * locally: in-process): every event callback taken in and not applied is applied, and every
 * forwarded update left unsettled is settled by reading its reservation upstream. Standalone, it
 * has nothing to do.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { lambdaHandler } from '#lib/http/api-function.ts';
import { LOG_CONTEXT } from '#lib/logging.ts';
import type { Runtime } from '#lib/runtime.ts';
import type { SweepOutcome } from '#lib/upstream/reconciler.ts';

export const upstreamSweep = {
  name: 'upstream-sweep' as const,
  createHandler(runtime: Runtime) {
    return middy<unknown, (SweepOutcome & { readonly eventsApplied: number; readonly eventsNotApplied: number }) | { readonly standalone: true }>()
      .use(injectLambdaContext(runtime.logger, LOG_CONTEXT))
      .handler(async () => {
        const upstream = runtime.upstream;
        if (!upstream) return { standalone: true };
        // Event callbacks taken in and not applied (an invocation that died between), then the forwards.
        const events = await upstream.inbox.sweep();
        return { ...(await upstream.reconciler.sweep()), eventsApplied: events.applied, eventsNotApplied: events.failed };
      });
  },
};

export const handler = await lambdaHandler(upstreamSweep);
