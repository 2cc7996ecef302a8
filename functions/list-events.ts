/**
 * GET a workspace's TaskRouter events: filtered, in time order, the last 15 minutes by default, as
 * Twilio's Event list.
 */
import { eventListQueryString, readEventListQuery } from '#lib/domain/event-query.ts';
import { readFilledPage } from '#lib/domain/paging.ts';
import { eventJson } from '#lib/domain/representations.ts';
import { apiFunction } from '#lib/handlers/api-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';
import { listResponse } from '#lib/http/list-response.ts';
import { resourceOf, workspaceScope } from '#lib/http/targets.ts';
import { NotFoundError } from '#lib/domain/errors.ts';
import { eventMatches } from '#lib/domain/event-query.ts';
import { eventListKey } from '#lib/domain/events.ts';

export const listEvents = apiFunction('list-events', async (request, { runtime, accountSid }) => {
  const scope = workspaceScope(request, accountSid);
  const query = readEventListQuery(request.query, runtime.clock.now());
  // The store's indexes serve the reservation, task and worker filters; the others (type, queue,
  // workflow) are applied to what it reads, each page read on until it is full.
  const page = await readFilledPage(query.cursor, query.pageSize, eventListKey, runtime.stores.events.list(scope, query), eventMatches(query));
  // An empty page of a workspace with no event counted here is Twilio's 404, as the other lists
  // and the Statistics answer it: a mistyped workspace SID does not read as a quiet workspace.
  // Events found are always answered (a workspace's first event is counted just after it is
  // stored, deployed); with STATISTICS=off no workspace is counted, and an empty list is an
  // empty page.
  if (page.items.length === 0 && runtime.config.statistics && !(await runtime.stores.statistics.knowsWorkspace(scope))) {
    throw new NotFoundError(resourceOf(request));
  }
  const { publicBaseUrl } = runtime.config;
  return listResponse(
    'events',
    page.items.map((event) => eventJson(event, publicBaseUrl)),
    page,
    { request, publicBaseUrl, cursor: query.cursor, pageSize: query.pageSize, queryString: (n, token) => eventListQueryString(query, n, token) },
  );
});

export const handler = await lambdaHandler(listEvents);
