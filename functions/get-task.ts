/** GET the read-only Task view: its assignment status as the reservations make it. */
import { taskJson } from '#lib/domain/representations.ts';
import { apiFunction } from '#lib/handlers/api-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';
import { jsonResponse } from '#lib/http/api-response.ts';
import { resourceOf, taskScope } from '#lib/http/targets.ts';

export const getTask = apiFunction('get-task', async (request, { runtime, accountSid }) => {
  const task = await runtime.service.getTask(taskScope(request, accountSid), resourceOf(request));
  return jsonResponse(200, taskJson(task, runtime.clock.now(), runtime.config.publicBaseUrl));
});

export const handler = await lambdaHandler(getTask);
