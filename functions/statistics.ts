/**
 * GET TaskRouter's Statistics resources (the workspace's, a task queue's, the task queues' list, a
 * workflow's, the workers' and one worker's), counted from the event record: lib/statistics. And
 * this service's own beside them, under `/lifecycle/v1/…/Statistics/`: each worker's and each task
 * queue's counts, the outcomes per minute or hour, the reservations pending now (the console's
 * overview reads them).
 */
import { DEFAULT_PAGE_SIZE, pagedQueryString } from '#lib/domain/list-query.ts';
import { decodePageToken, memoryWindow, readPage, type Cursor } from '#lib/domain/paging.ts';
import { parseParameter, type ParameterSpec } from '#lib/domain/parameters.ts';
import {
  readFriendlyName,
  readOutcomesQuery,
  readPendingShown,
  readRealTimeQuery,
  readStatisticsQuery,
  readWorkersQuery,
} from '#lib/domain/statistics-query.ts';
import { canonicalSid } from '#lib/domain/sid.ts';
import { NotFoundError } from '#lib/domain/errors.ts';
import { apiFunction } from '#lib/handlers/api-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';
import { jsonResponse } from '#lib/http/api-response.ts';
import { listResponse } from '#lib/http/list-response.ts';
import { resourceOf, workspaceScope } from '#lib/http/targets.ts';
import type { Subject } from '#lib/statistics/statistics-service.ts';

/** Which one a path asks for: `Statistics` (both), `CumulativeStatistics` or `RealTimeStatistics`; ours, by name. */
type Kind = 'Statistics' | 'CumulativeStatistics' | 'RealTimeStatistics' | 'Workers' | 'Queues' | 'Outcomes' | 'PendingReservations';

const QUEUE_PAGE_KEY = /^WQ[0-9a-f]{32}$/;
const PAGE_SIZE = { name: 'PageSize', type: { kind: 'integer', min: 1, max: 1000 }, pii: false } as const satisfies ParameterSpec;

export const statistics = apiFunction('statistics', async (request, { runtime, accountSid }) => {
  const scope = workspaceScope(request, accountSid);
  const resource = resourceOf(request);
  const service = runtime.statistics;
  const now = service.now();
  const ids = { ...scope, url: `${runtime.config.publicBaseUrl}${request.path}` };
  const kind = request.path.slice(request.path.lastIndexOf('/') + 1) as Kind;
  const sidOf = (name: string, prefix: 'WQ' | 'WW' | 'WK') => {
    const sid = canonicalSid(request.pathParameters[name], prefix);
    if (sid === undefined) throw new NotFoundError(resource);
    return sid;
  };
  const params = request.pathParameters;

  if (request.path.startsWith('/lifecycle/')) {
    if (kind === 'Workers')
      return jsonResponse(200, await service.workerRows(ids, readStatisticsQuery(request.query, now, service.days, { splits: false }), resource));
    if (kind === 'Queues')
      return jsonResponse(200, await service.queueRows(ids, readStatisticsQuery(request.query, now, service.days, { splits: false }), resource));
    if (kind === 'Outcomes') {
      const { window, interval } = readOutcomesQuery(request.query, now, service.days);
      return jsonResponse(200, await service.outcomes(ids, window, interval, resource));
    }
    return jsonResponse(200, await service.pending(ids, readPendingShown(request.query), resource));
  }
  if (params['WorkerSid'] !== undefined) {
    const workerSid = sidOf('WorkerSid', 'WK');
    return jsonResponse(200, await service.worker(ids, workerSid, readStatisticsQuery(request.query, now, service.days, { splits: false }), resource));
  }
  if (/\/Workers\/[A-Za-z]+$/.test(request.path)) {
    if (kind === 'RealTimeStatistics') return jsonResponse(200, await service.workersRealTime(ids, readRealTimeQuery(request.query).taskChannel, resource));
    const query = readWorkersQuery(request.query, now, service.days);
    if (kind === 'CumulativeStatistics') return jsonResponse(200, await service.workersCumulative(ids, query, resource));
    return jsonResponse(200, await service.workers(ids, query, resource));
  }
  if (/\/TaskQueues\/Statistics$/.test(request.path)) {
    const query = readStatisticsQuery(request.query, now, service.days);
    const friendlyName = readFriendlyName(request.query);
    const rawSize = request.query.get('PageSize');
    const pageSize = rawSize === undefined ? DEFAULT_PAGE_SIZE : (parseParameter(PAGE_SIZE, rawSize) as number);
    const token = request.query.get('PageToken')?.[0];
    const cursor: Cursor = token === undefined ? { page: 0 } : decodePageToken(token, QUEUE_PAGE_KEY);
    // Queue names are not in the record (TaskRouter's callbacks name queues by SID): a name selects none.
    const all = friendlyName !== undefined ? [] : await service.taskQueues(ids, query, resource);
    const page = await readPage<(typeof all)[number]>(
      cursor,
      pageSize,
      (q) => q.task_queue_sid,
      memoryWindow(all, (q) => q.task_queue_sid),
    );
    const passOn = new URLSearchParams(
      [...request.query].flatMap(([name, values]) => (name === 'PageSize' || name === 'Page' || name === 'PageToken' ? [] : values.map((v) => [name, v]))),
    );
    return listResponse('task_queues_statistics', page.items, page, {
      request,
      publicBaseUrl: runtime.config.publicBaseUrl,
      cursor,
      pageSize,
      queryString: (n, pageToken) => pagedQueryString(new URLSearchParams(passOn), pageSize, n, pageToken),
    });
  }
  const subject: Subject =
    params['TaskQueueSid'] !== undefined
      ? { kind: 'queue', sid: sidOf('TaskQueueSid', 'WQ') }
      : params['WorkflowSid'] !== undefined
        ? { kind: 'workflow', sid: sidOf('WorkflowSid', 'WW') }
        : { kind: 'workspace' };
  if (kind === 'RealTimeStatistics') return jsonResponse(200, await service.realTime(ids, subject, readRealTimeQuery(request.query).taskChannel, resource));
  const query = readStatisticsQuery(request.query, now, service.days);
  if (kind === 'CumulativeStatistics') return jsonResponse(200, await service.cumulative(ids, subject, query, resource));
  return jsonResponse(200, await service.combined(ids, subject, query, resource));
});

export const handler = await lambdaHandler(statistics);
