/**
 * GET a workspace's Task list (TaskRouter's ListTask): the tasks not finished, as the statistics'
 * record of live tasks knows them (STATISTICS=on, the default), each read from its own item, so
 * that its status, priority, queue and attributes are what a GET of it says. Completed and
 * canceled tasks are not listed (TaskRouter deletes them soon after); a task appears once its
 * first event has been counted (deployed: the table stream's reader, about a second later).
 */
import { NotServedError } from '#lib/domain/errors.ts';
import { memoryWindow, readFilledPage, type WindowReader } from '#lib/domain/paging.ts';
import { taskJson } from '#lib/domain/representations.ts';
import type { LiveTask } from '#lib/domain/statistics-realtime.ts';
import { attributesMatch, readTaskListQuery, taskListKey, taskListQueryString } from '#lib/domain/task-list-query.ts';
import { taskAssignment, type TaskRecord } from '#lib/domain/task.ts';
import { apiFunction } from '#lib/handlers/api-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';
import { listResponse } from '#lib/http/list-response.ts';
import { workspaceScope } from '#lib/http/targets.ts';

interface Listed {
  readonly live: LiveTask;
  readonly task: TaskRecord | undefined;
}

export const listTasks = apiFunction('list-tasks', async (request, { runtime, accountSid }) => {
  const scope = workspaceScope(request, accountSid);
  const query = readTaskListQuery(request.query);
  if (!runtime.config.statistics) {
    throw new NotServedError('The Task list is read from the live tasks the statistics keep, and STATISTICS=off turns them off');
  }
  const { stores, clock, config } = runtime;
  const keyOf = (live: LiveTask) => taskListKey(query.ordering, live);
  const sorted = (await stores.statistics.liveTasks(scope)).map((live) => ({ live, key: keyOf(live) })).sort((a, b) => (a.key < b.key ? -1 : 1));
  const window = memoryWindow(
    sorted.map(({ live }) => live),
    keyOf,
  );
  // Each window's tasks read in one batch: the filters judge the tasks as they are, not as their last counted event left them.
  const read: WindowReader<Listed> = async (direction, from, limit) => {
    const { items, more } = await window(direction, from, limit);
    const found =
      items.length === 0
        ? new Map<string, TaskRecord>()
        : await stores.tasks.getTasks(
            scope,
            items.map((live) => live.taskSid),
          );
    return { items: items.map((live) => ({ live, task: found.get(live.taskSid) })), more };
  };
  const now = clock.now();
  const keep = ({ task }: Listed) =>
    task !== undefined &&
    (query.statuses === undefined || query.statuses.has(taskAssignment(task, now).status)) &&
    (query.priority === undefined || task.priority === query.priority) &&
    (query.taskQueueSid === undefined || task.taskQueueSid === query.taskQueueSid) &&
    (query.workflowSid === undefined || task.workflowSid === query.workflowSid) &&
    (query.attributes === undefined || attributesMatch(task.attributes, query.attributes));
  const page = await readFilledPage(query.cursor, query.pageSize, (listed) => keyOf(listed.live), read, keep);
  return listResponse(
    'tasks',
    page.items.map((listed) => taskJson(listed.task!, now, config.publicBaseUrl)),
    page,
    {
      request,
      publicBaseUrl: config.publicBaseUrl,
      cursor: query.cursor,
      pageSize: query.pageSize,
      queryString: (n, token) => taskListQueryString(query, n, token),
    },
  );
});

export const handler = await lambdaHandler(listTasks);
