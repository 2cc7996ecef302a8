/** GET one TaskRouter event by its SID. */
import { NotFoundError } from '#lib/domain/errors.ts';
import { eventJson } from '#lib/domain/representations.ts';
import { apiFunction } from '#lib/handlers/api-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';
import { jsonResponse } from '#lib/http/api-response.ts';
import { eventTarget, resourceOf } from '#lib/http/targets.ts';

export const getEvent = apiFunction('get-event', async (request, { runtime, accountSid }) => {
  const { scope, sid } = eventTarget(request, accountSid);
  const event = await runtime.stores.events.get(scope, sid);
  if (!event) throw new NotFoundError(resourceOf(request));
  return jsonResponse(200, eventJson(event, runtime.config.publicBaseUrl));
});

export const handler = await lambdaHandler(getEvent);
