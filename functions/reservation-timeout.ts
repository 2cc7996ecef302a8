/**
 * The target of a reservation's timer (EventBridge Scheduler deployed, an in-process timer
 * locally): writes down the timeout and moves the worker to TIMEOUT_ACTIVITY_SID; connected, asks
 * TaskRouter. A store failure throws, so Scheduler retries it; an event that is no reservation's
 * is logged and dropped (a retry would not mend it).
 */
import { eventFunction } from '#lib/handlers/event-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';
import type { ExpireOutcome } from '#lib/reservations/service.ts';
import { parseTimeoutEvent } from '#lib/timeouts/scheduler.ts';

export interface TimeoutResult {
  readonly outcome: ExpireOutcome | 'invalid-event';
  readonly reservationSid?: string;
}

export const reservationTimeout = eventFunction('reservation-timeout', async (event: unknown, runtime): Promise<TimeoutResult> => {
  const timer = parseTimeoutEvent(event);
  if (!timer) {
    runtime.logger.error('timer event names no reservation', { keys: Object.keys(event ?? {}) });
    return { outcome: 'invalid-event' };
  }
  runtime.logger.appendKeys({ reservationSid: timer.reservationSid });
  const outcome = await runtime.service.expire(timer);
  runtime.logger.info('reservation timer', { outcome });
  return { outcome, reservationSid: timer.reservationSid };
});

export const handler = await lambdaHandler(reservationTimeout);
