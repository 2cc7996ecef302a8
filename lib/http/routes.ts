/**
 * The HTTP surface of SPEC §4, declared once: the local server routes with it and the CDK stack
 * creates one API Gateway route per entry, each to the function of that name in functions/.
 */
export interface FunctionSpec {
  readonly description: string;
  /** What the function does to the table: least privilege in the stack. */
  readonly table: 'read' | 'write' | 'none';
  /**
   * The Lambda timeout. The callback's is under Twilio's 5 s, so that a stalled store still
   * gets an answer (503) back to TaskRouter in time for its fallback URL.
   */
  readonly timeoutSeconds: number;
}

export const FUNCTIONS = {
  'assignment-callback': { description: 'TaskRouter assignment callback', table: 'write', timeoutSeconds: 4 },
  'list-reservations': { description: "List a task's or a worker's reservations", table: 'read', timeoutSeconds: 10 },
  'get-reservation': { description: 'Fetch a reservation', table: 'read', timeoutSeconds: 10 },
  'update-reservation': { description: 'Update a reservation', table: 'write', timeoutSeconds: 10 },
  'get-task': { description: 'Read-only Task view', table: 'read', timeoutSeconds: 10 },
  'get-worker': { description: 'Read-only Worker view', table: 'read', timeoutSeconds: 10 },
  health: { description: 'Liveness', table: 'none', timeoutSeconds: 3 },
  'not-found': { description: "Twilio's 404 for unmatched routes", table: 'none', timeoutSeconds: 3 },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionName = keyof typeof FUNCTIONS;

export interface Route {
  readonly method: 'GET' | 'POST';
  /** API Gateway route syntax: `{Name}` is one path segment. */
  readonly path: string;
  readonly fn: FunctionName;
}

const TASK = '/v1/Workspaces/{WorkspaceSid}/Tasks/{TaskSid}';
const WORKER = '/v1/Workspaces/{WorkspaceSid}/Workers/{WorkerSid}';

export const ROUTES: readonly Route[] = [
  { method: 'POST', path: '/assignment-callback', fn: 'assignment-callback' },
  { method: 'GET', path: `${TASK}/Reservations`, fn: 'list-reservations' },
  { method: 'GET', path: `${TASK}/Reservations/{ReservationSid}`, fn: 'get-reservation' },
  { method: 'POST', path: `${TASK}/Reservations/{ReservationSid}`, fn: 'update-reservation' },
  { method: 'GET', path: `${WORKER}/Reservations`, fn: 'list-reservations' },
  { method: 'GET', path: `${WORKER}/Reservations/{ReservationSid}`, fn: 'get-reservation' },
  { method: 'POST', path: `${WORKER}/Reservations/{ReservationSid}`, fn: 'update-reservation' },
  { method: 'GET', path: TASK, fn: 'get-task' },
  { method: 'GET', path: WORKER, fn: 'get-worker' },
  { method: 'GET', path: '/health', fn: 'health' },
];

/** Every request no route matches (API Gateway's `$default` route): Twilio's 404. */
export const DEFAULT_ROUTE: FunctionName = 'not-found';
