/** GET a task's or a worker's reservations, filtered and paged (SPEC §4). */
import { encodePageToken, type Cursor } from '#lib/domain/paging.ts';
import { listQueryString, readListQuery } from '#lib/domain/list-query.ts';
import { listJson, reservationJson } from '#lib/domain/representations.ts';
import { apiFunction, lambdaHandler } from '#lib/http/api-function.ts';
import { jsonResponse } from '#lib/http/api-response.ts';
import { isWorkerScoped, resourceOf, taskScope, workerScope } from '#lib/http/targets.ts';

export const listReservations = apiFunction('list-reservations', async (request, { runtime, accountSid }) => {
  const scope = isWorkerScoped(request) ? 'worker' : 'task';
  const query = readListQuery(request.query, scope);
  const page =
    scope === 'worker'
      ? await runtime.service.listForWorker(workerScope(request, accountSid), query, resourceOf(request))
      : await runtime.service.listForTask(taskScope(request, accountSid), query, resourceOf(request));
  const now = runtime.clock.now();
  const base = `${runtime.config.publicBaseUrl}${request.path}`;
  const link = (cursor: Cursor | null) => cursor && `${base}?${listQueryString(query, cursor.page, encodePageToken(cursor))}`;
  const token = request.query.get('PageToken')?.[0];
  const body = listJson(
    'reservations',
    page.items.map(({ task, reservation }) => reservationJson(task, reservation, now, runtime.config.publicBaseUrl, scope)),
    {
      page: query.cursor.page,
      pageSize: query.pageSize,
      firstPageUrl: `${base}?${listQueryString(query, 0, undefined)}`,
      previousPageUrl: link(page.previous),
      url: `${base}?${listQueryString(query, query.cursor.page, token)}`,
      nextPageUrl: link(page.next),
    },
  );
  return jsonResponse(200, body);
});

export const handler = await lambdaHandler(listReservations);
