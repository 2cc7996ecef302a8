/** GET a Task: its assignment status as the reservations and Task updates make it. */
import { taskJson } from '#lib/domain/representations.ts';
import { taskEntityTag } from '#lib/domain/task-change.ts';
import { apiFunction } from '#lib/handlers/api-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';
import { jsonResponse } from '#lib/http/api-response.ts';
import { resourceOf, taskScope } from '#lib/http/targets.ts';

export const getTask = apiFunction('get-task', async (request, { runtime, accountSid }) => {
  const task = await runtime.service.getTask(taskScope(request, accountSid), resourceOf(request));
  // The ETag a Task update's If-Match names to change exactly this version.
  return jsonResponse(200, taskJson(task, runtime.clock.now(), runtime.config.publicBaseUrl), { ETag: taskEntityTag(task) });
});

export const handler = await lambdaHandler(getTask);
