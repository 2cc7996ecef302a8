/** GET /health: liveness, no authentication, no store call. */
import { apiFunction } from '#lib/handlers/api-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';
import { jsonResponse } from '#lib/http/api-response.ts';

export const health = apiFunction('health', async () => jsonResponse(200, { status: 'ok' }));

export const handler = await lambdaHandler(health);
