/**
 * The target of a reservation's timer (EventBridge Scheduler deployed, an in-process timer
 * locally): writes down the timeout, moves the worker to TIMEOUT_ACTIVITY_SID (SPEC §6). A store
 * failure throws, so Scheduler retries it; an event that is no reservation's is logged and dropped.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { lambdaHandler } from '#lib/http/api-function.ts';
import { LOG_CONTEXT } from '#lib/logging.ts';
import type { ExpireOutcome } from '#lib/reservations/service.ts';
import type { Runtime } from '#lib/runtime.ts';
import { parseTimeoutEvent } from '#lib/timeouts/scheduler.ts';

export interface TimeoutResult {
  readonly outcome: ExpireOutcome | 'invalid-event';
  readonly reservationSid?: string;
}

export const reservationTimeout = {
  name: 'reservation-timeout' as const,
  createHandler(runtime: Runtime) {
    const { logger } = runtime;
    return middy<unknown, TimeoutResult>()
      .use(injectLambdaContext(logger, LOG_CONTEXT))
      .handler(async (event): Promise<TimeoutResult> => {
        const timer = parseTimeoutEvent(event);
        if (!timer) {
          logger.error('timer event names no reservation', { keys: Object.keys(event ?? {}) });
          return { outcome: 'invalid-event' };
        }
        logger.appendKeys({ reservationSid: timer.reservationSid });
        const outcome = await runtime.service.expire(timer);
        logger.info('reservation timer', { outcome });
        return { outcome, reservationSid: timer.reservationSid };
      });
  },
};

export const handler = await lambdaHandler(reservationTimeout);
