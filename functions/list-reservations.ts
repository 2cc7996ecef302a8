/** GET a task's or a worker's reservations, filtered and paged. */
import { listQueryString, readListQuery } from '#lib/domain/list-query.ts';
import { reservationJson } from '#lib/domain/representations.ts';
import { apiFunction } from '#lib/handlers/api-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';
import { listResponse } from '#lib/http/list-response.ts';
import { isWorkerScoped, resourceOf, taskScope, workerScope } from '#lib/http/targets.ts';

export const listReservations = apiFunction('list-reservations', async (request, { runtime, accountSid }) => {
  const scope = isWorkerScoped(request) ? 'worker' : 'task';
  const query = readListQuery(request.query, scope);
  const page =
    scope === 'worker'
      ? await runtime.service.listForWorker(workerScope(request, accountSid), query, resourceOf(request))
      : await runtime.service.listForTask(taskScope(request, accountSid), query, resourceOf(request));
  const now = runtime.clock.now();
  const { publicBaseUrl } = runtime.config;
  return listResponse(
    'reservations',
    page.items.map(({ task, reservation }) => reservationJson(task, reservation, now, publicBaseUrl, scope)),
    page,
    { request, publicBaseUrl, cursor: query.cursor, pageSize: query.pageSize, queryString: (n, token) => listQueryString(query, n, token) },
  );
});

export const handler = await lambdaHandler(listReservations);
