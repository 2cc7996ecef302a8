/** POST a Task update: complete, cancel or wrap up a task, or change its attributes or priority (TaskRouter's rules). */
import { parseIfMatch } from '#lib/domain/if-match.ts';
import { taskJson } from '#lib/domain/representations.ts';
import { taskEntityTag } from '#lib/domain/task-change.ts';
import { apiFunction } from '#lib/handlers/api-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';
import { jsonResponse } from '#lib/http/api-response.ts';
import { resourceOf, taskScope } from '#lib/http/targets.ts';

export const updateTask = apiFunction('update-task', async (request, { runtime, accountSid }) => {
  const task = await runtime.taskUpdates.update(taskScope(request, accountSid), request.body, parseIfMatch(request.headers['if-match']), resourceOf(request));
  return jsonResponse(200, taskJson(task, runtime.clock.now(), runtime.config.publicBaseUrl), { ETag: taskEntityTag(task) });
});

export const handler = await lambdaHandler(updateTask);
