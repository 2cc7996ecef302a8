/** GET the read-only Worker view: what callbacks said of the worker, and its activity. */
import { workerJson } from '#lib/domain/representations.ts';
import { apiFunction } from '#lib/handlers/api-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';
import { jsonResponse } from '#lib/http/api-response.ts';
import { resourceOf, workerScope } from '#lib/http/targets.ts';

export const getWorker = apiFunction('get-worker', async (request, { runtime, accountSid }) => {
  const worker = await runtime.service.getWorker(workerScope(request, accountSid), resourceOf(request));
  return jsonResponse(200, workerJson(worker, runtime.config.publicBaseUrl));
});

export const handler = await lambdaHandler(getWorker);
