/** POST a Worker update: its activity, attributes or friendly name, and RejectPendingReservations (TaskRouter's rules). */
import { parseIfMatch } from '#lib/domain/if-match.ts';
import { workerJson } from '#lib/domain/representations.ts';
import { workerEntityTag } from '#lib/domain/worker.ts';
import { apiFunction } from '#lib/handlers/api-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';
import { jsonResponse } from '#lib/http/api-response.ts';
import { resourceOf, workerScope } from '#lib/http/targets.ts';

export const updateWorker = apiFunction('update-worker', async (request, { runtime, accountSid }) => {
  const worker = await runtime.workerUpdates.update(
    workerScope(request, accountSid),
    request.body,
    parseIfMatch(request.headers['if-match']),
    resourceOf(request),
  );
  return jsonResponse(200, workerJson(worker, runtime.config.publicBaseUrl, runtime.workerAvailability(worker.activitySid)), {
    ETag: workerEntityTag(worker),
  });
});

export const handler = await lambdaHandler(updateWorker);
