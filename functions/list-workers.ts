/**
 * GET a workspace's Worker list (TaskRouter's ListWorker): the workers the record knows, each read
 * from its own items, so that its activity, name and attributes are what a GET of it says. A
 * worker is known here from the callbacks that reserved it: it appears once the statistics
 * (STATISTICS=on, the default) have counted its first reservation (deployed, the table stream's
 * reader does so about a second after the callback), and it is kept while its reservations are
 * (RETENTION_DAYS).
 *
 * Each page reads the workspace's directory of workers by SID from where the page starts (a query
 * of short items, a window at a time), and reads those workers as a GET reads them (three reads
 * each: the first and latest reservation links and the worker's own item), sixteen at a time,
 * until the page is full: a window stops there, and the page reader leads on from the last worker
 * read. A page reads 200 workers at most (its size, if larger): a sparse filter answers a shorter
 * page that leads on.
 */
import { attributesMatch } from '#lib/domain/attribute-expression.ts';
import { InvalidParameterError, NotFoundError, NotServedError } from '#lib/domain/errors.ts';
import { readFilledPage, type WindowReader } from '#lib/domain/paging.ts';
import { workerJson } from '#lib/domain/representations.ts';
import type { KnownWorker } from '#lib/domain/statistics-realtime.ts';
import type { WorkerRecord } from '#lib/domain/worker.ts';
import { readWorkerListQuery, workerListQueryString } from '#lib/domain/worker-list-query.ts';
import { apiFunction } from '#lib/handlers/api-function.ts';
import { lambdaHandler } from '#lib/handlers/lambda-handler.ts';
import { listResponse } from '#lib/http/list-response.ts';
import { resourceOf, workspaceScope } from '#lib/http/targets.ts';

/** How many workers are read at once: three requests each, under the 50 sockets of the AWS SDK's HTTP agent. */
const READ_TOGETHER = 16;
/** How many workers a page reads at most, unless its size is larger. */
const READ_PER_PAGE = 200;

interface Listed {
  readonly known: KnownWorker;
  readonly worker: WorkerRecord | undefined;
  readonly available: boolean | null;
  /** Whether the query's filters keep it (judged once, as it is read). */
  readonly kept: boolean;
}

export const listWorkers = apiFunction('list-workers', async (request, { runtime, accountSid }) => {
  const scope = workspaceScope(request, accountSid);
  const query = readWorkerListQuery(request.query);
  if (!runtime.config.statistics) {
    throw new NotServedError('The Worker list is read from the workers the statistics keep, and STATISTICS=off turns them off');
  }
  if (query.available !== undefined && !runtime.judgesAvailability()) {
    throw new InvalidParameterError('Available', 'cannot be judged: the policy names no availableActivities, so no activity is known to be available or not');
  }
  const { stores, config } = runtime;
  // A workspace with no event counted is unknown here, as in the Statistics resources: Twilio's 404.
  if (!(await stores.statistics.knowsWorkspace(scope))) throw new NotFoundError(resourceOf(request));
  const window = stores.statistics.workersWindow(scope);
  const keep = (worker: WorkerRecord | undefined, available: boolean | null) =>
    worker !== undefined &&
    (query.activitySid === undefined || worker.activitySid === query.activitySid) &&
    (query.available === undefined || available === query.available) &&
    (query.friendlyName === undefined || worker.friendlyName === query.friendlyName) &&
    (query.conditions === undefined ||
      attributesMatch(worker.attributes, query.conditions, { sid: worker.sid, friendly_name: worker.friendlyName, activity_sid: worker.activitySid }));
  /** What the page still needs, and how many more workers it may read. */
  let wanted = query.pageSize;
  let allowed = Math.max(query.pageSize, READ_PER_PAGE);
  const read: WindowReader<Listed> = async (direction, from, limit) => {
    const { items, more } = await window(direction, from, Math.min(limit, allowed));
    // Met from `from` on: forward from the window's start, backward from its end.
    const met = direction === 'forward' ? items : [...items].reverse();
    const listed: Listed[] = [];
    for (let i = 0; i < met.length && wanted > 0; i += READ_TOGETHER) {
      const chunk = met.slice(i, i + READ_TOGETHER);
      const workers = await Promise.all(chunk.map((known) => stores.workers.getWorker({ ...scope, workerSid: known.workerSid })));
      for (const [j, worker] of workers.entries()) {
        const available = worker === undefined ? null : runtime.workerAvailability(worker.activitySid);
        const kept = keep(worker, available);
        listed.push({ known: chunk[j]!, worker, available, kept });
        if (kept) wanted--;
      }
    }
    allowed -= listed.length;
    // Ascending, as a window is; a window that stopped early has more beyond what it read.
    return { items: direction === 'forward' ? listed : listed.reverse(), more: more || listed.length < items.length };
  };
  const page = await readFilledPage(
    query.cursor,
    query.pageSize,
    (item) => item.known.workerSid,
    read,
    (item) => item.kept,
    { maxReads: 3 },
  );
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
