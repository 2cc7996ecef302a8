/**
 * The HTTP surface, declared once: the local server routes with it and the CDK stack creates one
 * API Gateway route per entry whose function it creates (which `hasRoute` says for the local
 * routing), each to the function of that name in functions/.
 */
import { type ApiFunctionName, FUNCTIONS, type FunctionSpec } from '../functions.ts';

export interface Route {
  readonly method: 'GET' | 'POST';
  /** API Gateway route syntax: `{Name}` is one path segment. */
  readonly path: string;
  readonly fn: ApiFunctionName;
}

const TASK = '/v1/Workspaces/{WorkspaceSid}/Tasks/{TaskSid}';
const WORKER = '/v1/Workspaces/{WorkspaceSid}/Workers/{WorkerSid}';
/** This service's own resources, beside Twilio's. */
const LIFECYCLE = '/lifecycle/v1/Workspaces/{WorkspaceSid}';

const WORKSPACE = '/v1/Workspaces/{WorkspaceSid}';

/** TaskRouter's Statistics resources and this service's own, all answered by one function (functions/statistics.ts). */
function statisticsRoutes(): Route[] {
  const kinds = ['Statistics', 'CumulativeStatistics', 'RealTimeStatistics'];
  const subjects = [WORKSPACE, `${WORKSPACE}/TaskQueues/{TaskQueueSid}`, `${WORKSPACE}/Workflows/{WorkflowSid}`, `${WORKSPACE}/Workers`];
  return [
    ...subjects.flatMap((subject) => kinds.map((kind): Route => ({ method: 'GET', path: `${subject}/${kind}`, fn: 'statistics' }))),
    { method: 'GET', path: `${WORKSPACE}/TaskQueues/Statistics`, fn: 'statistics' },
    { method: 'GET', path: `${WORKER}/Statistics`, fn: 'statistics' },
    // This service's own reads beside them (Twilio has none): each worker's and each task queue's
    // counts, the outcomes per minute or hour, the reservations pending now.
    ...['Workers', 'Queues', 'Outcomes', 'PendingReservations'].map(
      (name): Route => ({ method: 'GET', path: `${LIFECYCLE}/Statistics/${name}`, fn: 'statistics' }),
    ),
  ];
}

export const ROUTES: readonly Route[] = [
  { method: 'POST', path: '/assignment-callback', fn: 'assignment-callback' },
  { method: 'POST', path: '/event-callback', fn: 'mirror-event-callbacks' },
  { method: 'GET', path: `${TASK}/Reservations`, fn: 'list-reservations' },
  { method: 'GET', path: `${TASK}/Reservations/{ReservationSid}`, fn: 'get-reservation' },
  { method: 'POST', path: `${TASK}/Reservations/{ReservationSid}`, fn: 'update-reservation' },
  { method: 'GET', path: `${WORKER}/Reservations`, fn: 'list-reservations' },
  { method: 'GET', path: `${WORKER}/Reservations/{ReservationSid}`, fn: 'get-reservation' },
  { method: 'POST', path: `${WORKER}/Reservations/{ReservationSid}`, fn: 'update-reservation' },
  { method: 'GET', path: `${WORKSPACE}/Tasks`, fn: 'list-tasks' },
  { method: 'GET', path: TASK, fn: 'get-task' },
  { method: 'POST', path: TASK, fn: 'update-task' },
  { method: 'GET', path: `${WORKSPACE}/Workers`, fn: 'list-workers' },
  { method: 'GET', path: WORKER, fn: 'get-worker' },
  { method: 'POST', path: WORKER, fn: 'update-worker' },
  { method: 'GET', path: `${LIFECYCLE}/Tasks/{TaskSid}/Reservations/{ReservationSid}/WrapUp`, fn: 'wrap-up' },
  { method: 'POST', path: `${LIFECYCLE}/Tasks/{TaskSid}/Reservations/{ReservationSid}/WrapUp`, fn: 'wrap-up' },
  { method: 'GET', path: `${LIFECYCLE}/Attention`, fn: 'attention' },
  { method: 'POST', path: `${LIFECYCLE}/Attention/{ReservationSid}`, fn: 'attention' },
  { method: 'GET', path: '/v1/Workspaces/{WorkspaceSid}/Events', fn: 'list-events' },
  { method: 'GET', path: '/v1/Workspaces/{WorkspaceSid}/Events/{EventSid}', fn: 'get-event' },
  { method: 'GET', path: '/console', fn: 'console' },
  { method: 'GET', path: '/health', fn: 'health' },
  ...statisticsRoutes(),
];

/**
 * Every request no route matches (API Gateway's `$default` route): Twilio's 404, or its 405 where
 * routes take that path with other methods.
 */
export const DEFAULT_ROUTE = 'not-found' satisfies ApiFunctionName;

interface CompiledRoute {
  readonly route: Route;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

const COMPILED: readonly CompiledRoute[] = ROUTES.map((route) => {
  const names: string[] = [];
  const source = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{(\w+)\\?\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { route, pattern: new RegExp(`^${source}$`), names };
}).sort((a, b) => a.names.length - b.names.length); // as API Gateway: a literal segment wins over a {parameter} (Workers/Statistics)

/**
 * Whether a stack has the route: one whose function only a connected stack creates (lib/functions.ts
 * `deployedWith`) is not there standalone, and its path falls to `$default` as any unknown one.
 * Only standalone and connected functions have routes (test/infra/stack.test.ts holds it): the
 * routing knows whether the stack is connected, not whether Event Streams are on.
 */
export function hasRoute(route: Route, connected: boolean): boolean {
  const mode = (FUNCTIONS[route.fn] as FunctionSpec).deployedWith;
  return mode === undefined || (mode === 'connected' && connected);
}

/**
 * The route API Gateway gives a request in a stack connected or not, with its path parameters
 * (each segment decoded); undefined: the default route's.
 */
export function routeFor(
  method: string,
  path: string,
  connected: boolean,
): { readonly route: Route; readonly pathParameters: Record<string, string> } | undefined {
  for (const { route, pattern, names } of COMPILED) {
    if (!hasRoute(route, connected)) continue;
    const match = route.method === method ? pattern.exec(path) : null;
    if (match) return { route, pathParameters: Object.fromEntries(names.map((name, i) => [name, safeDecode(match[i + 1]!)])) };
  }
  return undefined;
}

/**
 * The methods the routes take at `path`: a request with another one is refused as not allowed, not
 * as not found. Those of the most literal routes only, as API Gateway would route them
 * (`Workers/Statistics` is not a worker named Statistics).
 */
export function methodsAt(path: string, connected: boolean): Route['method'][] {
  const matching = COMPILED.filter(({ route, pattern }) => hasRoute(route, connected) && pattern.test(path));
  const fewest = Math.min(...matching.map(({ names }) => names.length));
  return [...new Set(matching.filter(({ names }) => names.length === fewest).map(({ route }) => route.method))];
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
