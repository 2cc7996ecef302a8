/**
 * The target of a reservation's timers (EventBridge Scheduler deployed, in-process timers
 * locally): a timeout is written down and the worker moved (connected: TaskRouter is asked); a
 * wrap-up's end completes the reservation; an attention timer flags it (lib/lifecycle/engine.ts).
 * A store failure throws: Lambda retries the event twice, then parks it in the timers' failure
 * queue (infra/timers.ts), which an alarm watches. An event that is no reservation's is logged and
 * dropped (a retry would not mend it).
 */
import { eventFunction } from '#lib/handlers/event-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';
import type { ExpireOutcome } from '#lib/reservations/service.ts';
import { parseTimeoutEvent } from '#lib/timeouts/scheduler.ts';

export interface TimeoutResult {
  readonly outcome: ExpireOutcome | string;
  readonly reservationSid?: string;
}

export const reservationTimeout = eventFunction('reservation-timeout', async (event: unknown, runtime): Promise<TimeoutResult> => {
  const timer = parseTimeoutEvent(event);
  if (!timer) {
    runtime.logger.error('timer event names no reservation', { keys: Object.keys(event ?? {}) });
    return { outcome: 'invalid-event' };
  }
  runtime.logger.appendKeys({ reservationSid: timer.reservationSid });
  // A lifecycle timer (a wrap-up's end, attention), or the reservation's own timeout.
  const outcome = timer.kind === undefined ? await runtime.service.expire(timer) : await runtime.lifecycle.timer(timer);
  runtime.logger.info('reservation timer', { kind: timer.kind ?? 'timeout', outcome });
  return { outcome, reservationSid: timer.reservationSid };
});

export const handler = await lambdaHandler(reservationTimeout);
