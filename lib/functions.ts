/**
 * Every Lambda function of the product, declared once: functions/<name>.ts is its entry, the
 * CDK stack creates it with these settings and grants it exactly what it binds, the local stack
 * runs the same handler, and its runtime builds only the ports it binds.
 */
export interface Binds {
  /** The single table: `read` (gets, queries) or `write` (and puts, updates). */
  readonly table?: 'read' | 'write';
  /** The accounts' credentials (Secrets Manager when deployed): Basic auth, webhook signatures, signing. */
  readonly credentials?: true;
  /** It creates reservation timers (EventBridge Scheduler when deployed). */
  readonly timers?: true;
  /** The event callbacks' delivery queue (deployed): `send` queues events, `consume` delivers them. */
  readonly eventDelivery?: 'send' | 'consume';
  /** It puts events on the EventBridge bus (deployed). */
  readonly eventBus?: true;
  /** It serves the console page (lib/console): the stack builds the page into its bundle (CONSOLE_PAGE). */
  readonly consolePage?: true;
  /**
   * It decides by the policy file (assignment rules, lifecycle rules, available activities): the
   * stack bundles the file (ASSIGNMENT_POLICY), and a bad one stops its cold start.
   */
  readonly policy?: true;
}

/**
 * The runtime's getters beyond the reservation path that a function's handler calls: deployed, a
 * function loads the code behind them only if it declares them here (lib/runtime/subsystems.ts),
 * and builds them at init.
 */
export type RuntimeUse = 'lifecycle' | 'taskUpdates' | 'workerUpdates' | 'statistics';

export interface FunctionSpec {
  readonly description: string;
  /**
   * `http`: behind an API Gateway route (lib/http/routes.ts); `schedule`: fired on a schedule
   * (a reservation's timer by EventBridge Scheduler, the sweep by a rule every minute); `table-stream`: reads the table's DynamoDB Stream; `queue`: reads an SQS queue;
   * `kinesis`: reads the Kinesis stream Twilio Event Streams writes to; `bus`: a rule on this
   * service's EventBridge bus (its own reservation events).
   */
  readonly trigger: 'http' | 'schedule' | 'table-stream' | 'queue' | 'kinesis' | 'bus';
  /** How HTTP callers prove who they are: `basic`, REST credentials; `webhook`, X-Twilio-Signature; `none`, public. */
  readonly auth: 'basic' | 'webhook' | 'none';
  readonly binds: Binds;
  /** The runtime's getters beyond the reservation path it calls (RuntimeUse). */
  readonly uses?: readonly RuntimeUse[];
  /**
   * The Lambda timeout. The callback's is under Twilio's 5 s, so that a stalled store still
   * gets an answer (503) back to TaskRouter in time for its fallback URL.
   */
  readonly timeoutSeconds: number;
  /**
   * Created only in a stack of that mode: `connected` (with `taskrouterUpstreamUrl`), `eventStreams`
   * (with `eventStreams=true`, itself connected only). A standalone stack has no upstream to mirror
   * or settle with, so it leaves out these functions, their roles and their log groups; their
   * routes fall to the API's 404.
   */
  readonly deployedWith?: DeployMode;
}

/** What a stack turns on beyond standalone (infra/settings.ts). */
export type DeployMode = 'connected' | 'eventStreams';

export const FUNCTIONS = {
  'assignment-callback': {
    description: 'TaskRouter assignment callback',
    trigger: 'http',
    auth: 'webhook',
    binds: { policy: true, table: 'write', credentials: true, timers: true },
    timeoutSeconds: 4,
  },
  'list-reservations': {
    description: "List a task's or a worker's reservations",
    trigger: 'http',
    auth: 'basic',
    binds: { table: 'read', credentials: true },
    timeoutSeconds: 10,
  },
  'get-reservation': { description: 'Fetch a reservation', trigger: 'http', auth: 'basic', binds: { table: 'read', credentials: true }, timeoutSeconds: 10 },
  'update-reservation': {
    description: 'Update a reservation',
    trigger: 'http',
    auth: 'basic',
    binds: { table: 'write', credentials: true },
    timeoutSeconds: 10,
  },
  'get-task': { description: 'Fetch a task', trigger: 'http', auth: 'basic', binds: { table: 'read', credentials: true }, timeoutSeconds: 10 },
  // Read from the statistics' live tasks (a query of the workspace's), each task from its own item.
  'list-tasks': {
    description: "List a workspace's tasks not finished",
    trigger: 'http',
    auth: 'basic',
    binds: { table: 'read', credentials: true },
    timeoutSeconds: 10,
  },
  'update-task': {
    description: 'Update a task: complete, cancel, wrap up, attributes, priority',
    trigger: 'http',
    auth: 'basic',
    binds: { table: 'write', credentials: true },
    uses: ['taskUpdates'],
    timeoutSeconds: 10,
  },
  'get-worker': {
    description: 'Fetch a worker',
    trigger: 'http',
    auth: 'basic',
    binds: { policy: true, table: 'read', credentials: true },
    timeoutSeconds: 10,
  },
  // Read from the statistics' directory of workers (a query of the workspace's), each worker from its own items.
  'list-workers': {
    description: "List a workspace's workers",
    trigger: 'http',
    auth: 'basic',
    binds: { policy: true, table: 'read', credentials: true },
    timeoutSeconds: 10,
  },
  'update-worker': {
    description: 'Update a worker: activity, attributes, friendly name, RejectPendingReservations',
    trigger: 'http',
    auth: 'basic',
    binds: { policy: true, table: 'write', credentials: true },
    uses: ['workerUpdates'],
    timeoutSeconds: 20,
  },
  // Extending a wrap-up arms the timer of its new end.
  'wrap-up': {
    description: "Read or extend a reservation's wrap-up (this service's own resource)",
    trigger: 'http',
    auth: 'basic',
    binds: { table: 'write', credentials: true, timers: true },
    uses: ['lifecycle'],
    timeoutSeconds: 10,
  },
  attention: {
    description: "List or dismiss the reservations that need attention (this service's own resource)",
    trigger: 'http',
    auth: 'basic',
    binds: { table: 'write', credentials: true },
    uses: ['lifecycle'],
    timeoutSeconds: 10,
  },
  'list-events': {
    description: "List a workspace's TaskRouter events",
    trigger: 'http',
    auth: 'basic',
    binds: { table: 'read', credentials: true },
    timeoutSeconds: 10,
  },
  'get-event': { description: 'Fetch a TaskRouter event', trigger: 'http', auth: 'basic', binds: { table: 'read', credentials: true }, timeoutSeconds: 10 },
  // A first read of a long window rolls its days up and keeps them (lib/statistics): a table write.
  statistics: {
    description: "TaskRouter's Statistics resources, counted from the event record",
    trigger: 'http',
    auth: 'basic',
    binds: { table: 'write', credentials: true },
    uses: ['statistics'],
    timeoutSeconds: 29,
  },
  console: { description: 'The reservation console web page', trigger: 'http', auth: 'none', binds: { consolePage: true }, timeoutSeconds: 3 },
  health: { description: 'Liveness', trigger: 'http', auth: 'none', binds: {}, timeoutSeconds: 3 },
  'not-found': { description: "Twilio's 404 for unmatched routes", trigger: 'http', auth: 'none', binds: {}, timeoutSeconds: 3 },
  // Connected, a timer reads the reservation upstream (credentials) and may check again later
  // (timers); an attention timer puts its news on the bus.
  'reservation-timeout': {
    description: "Writes down a reservation whose deadline passed (connected: reads it upstream), a wrap-up's end, a reservation needing attention",
    trigger: 'schedule',
    auth: 'none',
    binds: { policy: true, table: 'write', credentials: true, timers: true, eventBus: true },
    uses: ['lifecycle'],
    timeoutSeconds: 30,
  },
  // Connected, a rule's move of a worker is forwarded upstream (credentials).
  lifecycle: {
    description: "Acts on each reservation event by its lifecycle rule: the worker's activity, the wrap-up and attention timers",
    trigger: 'bus',
    auth: 'none',
    binds: { policy: true, table: 'write', credentials: true, timers: true },
    uses: ['lifecycle'],
    timeoutSeconds: 30,
  },
  'mirror-event-callbacks': {
    description: "Connected mode: applies the upstream TaskRouter's signed event callbacks to the record",
    trigger: 'http',
    auth: 'webhook',
    binds: { policy: true, table: 'write', credentials: true, timers: true },
    timeoutSeconds: 10,
    deployedWith: 'connected',
  },
  // Its Kinesis stream comes with it (infra/mirror-event-streams.ts).
  'mirror-event-streams': {
    description: "Connected mode: applies the upstream TaskRouter's events from Twilio Event Streams (Kinesis) to the record",
    trigger: 'kinesis',
    auth: 'none',
    binds: { policy: true, table: 'write', credentials: true, timers: true },
    timeoutSeconds: 60,
    deployedWith: 'eventStreams',
  },
  'upstream-sweep': {
    description: 'Connected mode: settles forwarded updates left unsettled, every minute',
    trigger: 'schedule',
    auth: 'none',
    binds: { table: 'write', credentials: true, timers: true },
    timeoutSeconds: 60,
    deployedWith: 'connected',
  },
  'publish-events': {
    description: 'Stores the TaskRouter events of each task write from the table stream, queues their callbacks, puts them on the bus',
    trigger: 'table-stream',
    auth: 'none',
    binds: { table: 'write', eventDelivery: 'send', eventBus: true },
    timeoutSeconds: 60,
  },
  'publish-event-callbacks': {
    description: 'POSTs queued events to EVENT_CALLBACK_URL, signed',
    trigger: 'queue',
    auth: 'none',
    binds: { credentials: true, eventDelivery: 'consume' },
    timeoutSeconds: 30,
  },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionName = keyof typeof FUNCTIONS;

/** What a function binds. */
export const bindsOf = (name: FunctionName): Binds => (FUNCTIONS[name] as FunctionSpec).binds;
/** The modes a stack turns on. */
export type DeployModes = Readonly<Record<DeployMode, boolean>>;

/** Whether a stack of these modes creates the function: every one without `deployedWith`, and those of a mode it turns on. */
function isDeployed(name: FunctionName, modes: DeployModes): boolean {
  const mode = (FUNCTIONS[name] as FunctionSpec).deployedWith;
  return mode === undefined || modes[mode];
}

/** The functions a stack of these modes creates. */
export const deployedFunctions = (modes: DeployModes): FunctionName[] => (Object.keys(FUNCTIONS) as FunctionName[]).filter((name) => isDeployed(name, modes));

/** The functions created only in a stack of some mode: a stack's record of them may lack them. */
export type ModeFunctionName = { [K in FunctionName]: (typeof FUNCTIONS)[K] extends { deployedWith: DeployMode } ? K : never }[FunctionName];

export type ApiFunctionName = { [K in FunctionName]: (typeof FUNCTIONS)[K]['trigger'] extends 'http' ? K : never }[FunctionName];
