/** GET a Worker: what callbacks and Worker updates said of it, and its activity. */
import { workerJson } from '#lib/domain/representations.ts';
import { workerEntityTag } from '#lib/domain/worker.ts';
import { apiFunction } from '#lib/handlers/api-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';
import { jsonResponse } from '#lib/http/api-response.ts';
import { resourceOf, workerScope } from '#lib/http/targets.ts';

export const getWorker = apiFunction('get-worker', async (request, { runtime, accountSid }) => {
  const worker = await runtime.service.getWorker(workerScope(request, accountSid), resourceOf(request));
  // The ETag a Worker update's If-Match names to change exactly the worker as read.
  return jsonResponse(200, workerJson(worker, runtime.config.publicBaseUrl, runtime.workerAvailability(worker.activitySid)), {
    ETag: workerEntityTag(worker),
  });
});

export const handler = await lambdaHandler(getWorker);
