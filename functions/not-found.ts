/** Any request no route matches: Twilio's 404 instead of API Gateway's own body. */
import { NotFoundError } from '#lib/domain/errors.ts';
import { apiFunction } from '#lib/handlers/api-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';

export const notFound = apiFunction('not-found', async (request) => {
  throw new NotFoundError(request.path.replace(/^\/v1(?=\/)/, ''));
});

export const handler = await lambdaHandler(notFound);
