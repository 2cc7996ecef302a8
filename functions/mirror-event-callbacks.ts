/**
 * POST /event-callback: the upstream TaskRouter's signed event callbacks (connected mode; set the
 * Workspace's EventCallbackUrl to it). Each event is taken in once per Sid and applied to the
 * record (lib/upstream/mirror-inbox.ts: deployed before the answer, locally after it), and answered
 * 204, as TaskRouter asks; unknown types are acknowledged and ignored; a bad signature is a 403
 * that changes nothing. Standalone, there is no upstream to mirror: 404.
 */
import { NotFoundError } from '#lib/domain/errors.ts';
import { apiFunction } from '#lib/handlers/api-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';

export const mirrorEventCallbacks = apiFunction('mirror-event-callbacks', async (request, { runtime, accountSid }) => {
  const upstream = runtime.upstream;
  if (!upstream) throw new NotFoundError('/event-callback: this service is not connected to a TaskRouter (set TASKROUTER_UPSTREAM_URL)');
  const outcome = await upstream.inbox.take(accountSid, request.body);
  // On the request's own log line (middleware.ts accessLog), not a second one per event.
  // An event type is logged only in TaskRouter's shape: the field is the caller's text.
  const eventType = request.body.get('EventType')?.[0] ?? '';
  runtime.logger.appendKeys({ eventType: /^[a-z]+(\.[a-z]+){1,3}$/.test(eventType) ? eventType : 'other', outcome });
  return { statusCode: 204, headers: { 'Content-Type': 'application/json' }, body: '' };
});

export const handler = await lambdaHandler(mirrorEventCallbacks);
