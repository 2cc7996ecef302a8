/** GET /health: liveness, no authentication, no store call. */
import { apiFunction, lambdaHandler } from '#lib/http/api-function.ts';
import { jsonResponse } from '#lib/http/api-response.ts';

export const health = apiFunction('health', async () => jsonResponse(200, { status: 'ok' }));

export const handler = await lambdaHandler(health);
