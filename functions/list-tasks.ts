/**
 * GET a workspace's Task list (TaskRouter's ListTask): the tasks not finished, as the statistics'
 * record of live tasks knows them (STATISTICS=on, the default), each read from its own item, so
 * that its status, priority, queue and attributes are what a GET of it says. A task is listed
 * while it is pending, reserved, assigned or wrapping as read now: completed and canceled ones are
 * not (TaskRouter deletes them soon after), even before the record hears of it (deployed, the
 * table stream's reader counts an event about a second after its write; a wrap-up past its
 * deadline is completed before its timer writes it down). A task appears once its first event is
 * counted. The order is the record's: a priority changed a moment ago may still sort by its old
 * value.
 *
 * Each page reads the workspace's live tasks (one query), then their items a window at a time (the
 * page's size, then at least 100) until the page is full, three windows at most: a sparse filter
 * answers a shorter page that leads on.
 */
import { NotFoundError, NotServedError } from '#lib/domain/errors.ts';
import { memoryWindow, readFilledPage, type WindowReader } from '#lib/domain/paging.ts';
import { taskJson } from '#lib/domain/representations.ts';
import { LIVE_STATUSES, type LiveTask } from '#lib/domain/statistics-realtime.ts';
import { attributesMatch } from '#lib/domain/attribute-expression.ts';
import { readTaskListQuery, taskListKey, taskListQueryString } from '#lib/domain/task-list-query.ts';
import { taskAssignment, type TaskRecord } from '#lib/domain/task.ts';
import { apiFunction } from '#lib/handlers/api-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';
import { listResponse } from '#lib/http/list-response.ts';
import { resourceOf, workspaceScope } from '#lib/http/targets.ts';

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
  const [known, live] = await Promise.all([stores.statistics.knowsWorkspace(scope), stores.statistics.liveTasks(scope)]);
  // A workspace with no event counted is unknown here, as in the Statistics resources: Twilio's 404.
  if (!known) throw new NotFoundError(resourceOf(request));
  const sorted = live.map((task) => ({ live: task, key: keyOf(task) })).sort((a, b) => (a.key < b.key ? -1 : 1));
  const window = memoryWindow(
    sorted.map(({ live }) => live),
    keyOf,
  );
  // Each window's tasks read together (BatchGetItem, 100 keys a call): the filters judge the tasks as they are, not as their last counted event left them.
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
  const listed: ReadonlySet<string> = new Set(LIVE_STATUSES);
  const keep = ({ task }: Listed) => {
    if (task === undefined) return false;
    const status = taskAssignment(task, now).status;
    return (
      listed.has(status) &&
      (query.statuses === undefined || query.statuses.has(status)) &&
      (query.priority === undefined || task.priority === query.priority) &&
      (query.taskQueueSid === undefined || task.taskQueueSid === query.taskQueueSid) &&
      (query.workflowSid === undefined || task.workflowSid === query.workflowSid) &&
      (query.attributes === undefined || attributesMatch(task.attributes, query.attributes))
    );
  };
  const page = await readFilledPage(query.cursor, query.pageSize, (item) => keyOf(item.live), read, keep, { maxReads: 3 });
  return listResponse(
    'tasks',
    page.items.map((item) => taskJson(item.task!, now, config.publicBaseUrl)),
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
