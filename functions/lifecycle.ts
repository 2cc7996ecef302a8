/**
 * The lifecycle on the server, deployed: each of this service's reservation events, as the
 * EventBridge bus delivers it (a rule on the bus matches their source and detail-types), is handed
 * to the lifecycle engine (lib/lifecycle/engine.ts): timers armed, the worker moved by the
 * reservation's lifecycle rule, exactly once. A store failure throws, so the delivery is retried
 * (EventBridge invokes asynchronously, at least once); an event that is no reservation's is logged
 * and dropped.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import { isEventType } from '#lib/domain/events.ts';
import { canonicalSid } from '#lib/domain/sid.ts';
import { eventFunction } from '#lib/handlers/event-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';
import type { HandleOutcome, LifecycleTrigger } from '#lib/lifecycle/engine.ts';

/** The Event resource JSON the bus carries (lib/publishing/eventbridge-publisher.ts), as the engine's trigger. */
export function triggerOf(event: EventBridgeEvent<string, unknown>): LifecycleTrigger | undefined {
  const detail = (event.detail ?? {}) as Record<string, unknown>;
  const data = (detail['event_data'] ?? {}) as Record<string, unknown>;
  const type = detail['event_type'];
  const sid = canonicalSid(detail['sid'], 'EV');
  const accountSid = canonicalSid(detail['account_sid'], 'AC');
  const workspaceSid = canonicalSid(detail['workspace_sid'], 'WS');
  const taskSid = canonicalSid(data['task_sid'], 'WT');
  const reservationSid = canonicalSid(data['reservation_sid'], 'WR');
  if (typeof type !== 'string' || !isEventType(type) || !sid || !accountSid || !workspaceSid) return undefined;
  return { sid, type, accountSid, workspaceSid, ...(taskSid && { taskSid }), ...(reservationSid && { reservationSid }) };
}

export const lifecycle = eventFunction(
  'lifecycle',
  async (event: EventBridgeEvent<string, unknown>, runtime): Promise<{ readonly outcome: HandleOutcome | 'invalid-event' }> => {
    const trigger = triggerOf(event);
    if (!trigger) {
      runtime.logger.error('bus event names no reservation event', { detailType: event['detail-type'] });
      return { outcome: 'invalid-event' };
    }
    if (trigger.reservationSid !== undefined) runtime.logger.appendKeys({ reservationSid: trigger.reservationSid });
    const outcome = await runtime.lifecycle.handle(trigger);
    runtime.logger.info('lifecycle', { eventType: trigger.type, outcome });
    return { outcome };
  },
);

export const handler = await lambdaHandler(lifecycle);
