/**
 * GET a workspace's Worker list (TaskRouter's ListWorker): the workers the record knows, each read
 * from its own items, so that its activity, name and attributes are what a GET of it says. A
 * worker is known here from the callbacks that reserved it: it appears once the statistics
 * (STATISTICS=on, the default) have counted its first reservation (deployed, the table stream's
 * reader does so about a second after the callback), and it is kept while its reservations are
 * (RETENTION_DAYS).
 *
 * Each page reads the workspace's directory of workers (one query: a short item each), then the
 * workers a window at a time (the page's size, then at least 100) until the page is full, three
 * windows at most: a sparse filter answers a shorter page that leads on. A worker is three reads
 * (its first and latest reservation links and its own item), made a few dozen at a time.
 */
import { attributesMatch } from '#lib/domain/attribute-expression.ts';
import { NotServedError } from '#lib/domain/errors.ts';
import { memoryWindow, readFilledPage, type WindowReader } from '#lib/domain/paging.ts';
import { workerJson } from '#lib/domain/representations.ts';
import type { KnownWorker } from '#lib/domain/statistics-realtime.ts';
import type { WorkerRecord } from '#lib/domain/worker.ts';
import { readWorkerListQuery, workerListQueryString } from '#lib/domain/worker-list-query.ts';
import { apiFunction } from '#lib/handlers/api-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';
import { listResponse } from '#lib/http/list-response.ts';
import { workspaceScope } from '#lib/http/targets.ts';

/** How many workers a window reads at once: three requests each, under the SDK's 50 sockets. */
const READ_TOGETHER = 16;

interface Listed {
  readonly known: KnownWorker;
  readonly worker: WorkerRecord | undefined;
  readonly available: boolean | null;
}

export const listWorkers = apiFunction('list-workers', async (request, { runtime, accountSid }) => {
  const scope = workspaceScope(request, accountSid);
  const query = readWorkerListQuery(request.query);
  if (!runtime.config.statistics) {
    throw new NotServedError('The Worker list is read from the workers the statistics keep, and STATISTICS=off turns them off');
  }
  const { stores, config } = runtime;
  const keyOf = (known: KnownWorker) => known.workerSid;
  const window = memoryWindow(
    (await stores.statistics.workers(scope)).sort((a, b) => (a.workerSid < b.workerSid ? -1 : 1)),
    keyOf,
  );
  const read: WindowReader<Listed> = async (direction, from, limit) => {
    const { items, more } = await window(direction, from, limit);
    const listed: Listed[] = [];
    for (let i = 0; i < items.length; i += READ_TOGETHER) {
      const workers = await Promise.all(items.slice(i, i + READ_TOGETHER).map((known) => stores.workers.getWorker({ ...scope, workerSid: known.workerSid })));
      for (const [j, worker] of workers.entries()) {
        listed.push({ known: items[i + j]!, worker, available: worker === undefined ? null : runtime.workerAvailability(worker.activitySid) });
      }
    }
    return { items: listed, more };
  };
  const keep = ({ worker, available }: Listed) =>
    worker !== undefined &&
    (query.activitySid === undefined || worker.activitySid === query.activitySid) &&
    // A worker whose availability is not known (no activity known, or the policy names none) is neither.
    (query.available === undefined || available === query.available) &&
    (query.friendlyName === undefined || worker.friendlyName === query.friendlyName) &&
    (query.conditions === undefined ||
      attributesMatch(worker.attributes, query.conditions, { sid: worker.sid, friendly_name: worker.friendlyName, activity_sid: worker.activitySid }));
  const page = await readFilledPage(query.cursor, query.pageSize, (item) => keyOf(item.known), read, keep, { maxReads: 3 });
  return listResponse(
    'workers',
    page.items.map((item) => workerJson(item.worker!, config.publicBaseUrl, item.available)),
    page,
    {
      request,
      publicBaseUrl: config.publicBaseUrl,
      cursor: query.cursor,
      pageSize: query.pageSize,
      queryString: (n, token) => workerListQueryString(query, n, token),
    },
  );
});

export const handler = await lambdaHandler(listWorkers);
