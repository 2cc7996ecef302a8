/**
 * Any request no route matches: Twilio's 404 instead of API Gateway's own body, or its 405
 * (20004, with `Allow`) where routes take the path with other methods: a DELETE of a reservation
 * is a method the resource does not take, not a resource that is not there.
 */
import { MethodNotAllowedError, NotFoundError } from '#lib/domain/errors.ts';
import { apiFunction } from '#lib/handlers/api-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';
import { methodsAt } from '#lib/http/routes.ts';

export const notFound = apiFunction('not-found', async (request, { runtime }) => {
  // Standalone, connected mode's routes are not there: POST /event-callback is not found, not a 405.
  const allowed = methodsAt(request.path, runtime.config.upstreamUrl !== undefined);
  if (allowed.length > 0) throw new MethodNotAllowedError(request.method, allowed);
  throw new NotFoundError(request.path.replace(/^\/v1(?=\/)/, ''));
});

export const handler = await lambdaHandler(notFound);
