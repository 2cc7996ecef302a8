/**
 * Every Lambda function of the product, declared once: functions/<name>.ts is its entry, the
 * CDK stack creates it with these settings, and the local stack runs the same handler.
 */
export interface FunctionSpec {
  readonly description: string;
  /** `http`: behind an API Gateway route (lib/http/routes.ts); `schedule`: EventBridge Scheduler's target. */
  readonly trigger: 'http' | 'schedule';
  /** What the function does to the table: least privilege in the stack. */
  readonly table: 'read' | 'write' | 'none';
  /**
   * How its callers prove who they are: `basic`, REST credentials; `webhook`, X-Twilio-Signature;
   * `none`, public or not called over HTTP. All but `none` read the auth token (the stack grants
   * the secret to those only).
   */
  readonly auth: 'basic' | 'webhook' | 'none';
  /** It creates reservation timers: it needs the TIMEOUT_SCHEDULE_* variables and the grant. */
  readonly armsTimers?: true;
  /** It serves the console page (lib/console): the stack copies the built page into its bundle (CONSOLE_PAGE). */
  readonly servesConsole?: true;
  /**
   * The Lambda timeout. The callback's is under Twilio's 5 s, so that a stalled store still
   * gets an answer (503) back to TaskRouter in time for its fallback URL.
   */
  readonly timeoutSeconds: number;
}

export const FUNCTIONS = {
  'assignment-callback': { description: 'TaskRouter assignment callback', trigger: 'http', table: 'write', auth: 'webhook', armsTimers: true, timeoutSeconds: 4 },
  'list-reservations': { description: "List a task's or a worker's reservations", trigger: 'http', table: 'read', auth: 'basic', timeoutSeconds: 10 },
  'get-reservation': { description: 'Fetch a reservation', trigger: 'http', table: 'read', auth: 'basic', timeoutSeconds: 10 },
  'update-reservation': { description: 'Update a reservation', trigger: 'http', table: 'write', auth: 'basic', timeoutSeconds: 10 },
  'get-task': { description: 'Read-only Task view', trigger: 'http', table: 'read', auth: 'basic', timeoutSeconds: 10 },
  'get-worker': { description: 'Read-only Worker view', trigger: 'http', table: 'read', auth: 'basic', timeoutSeconds: 10 },
  console: { description: 'The reservation console web page', trigger: 'http', table: 'none', auth: 'none', servesConsole: true, timeoutSeconds: 3 },
  health: { description: 'Liveness', trigger: 'http', table: 'none', auth: 'none', timeoutSeconds: 3 },
  'not-found': { description: "Twilio's 404 for unmatched routes", trigger: 'http', table: 'none', auth: 'none', timeoutSeconds: 3 },
  'reservation-timeout': { description: 'Writes down a reservation whose deadline passed', trigger: 'schedule', table: 'write', auth: 'none', timeoutSeconds: 30 },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionName = keyof typeof FUNCTIONS;

/** Whether the function arms reservation timers (the stack grants it the scheduler). */
export const armsTimers = (name: FunctionName): boolean => (FUNCTIONS[name] as FunctionSpec).armsTimers === true;
/** Whether the function serves the console page (the stack bundles the page with it). */
export const servesConsole = (name: FunctionName): boolean => (FUNCTIONS[name] as FunctionSpec).servesConsole === true;
export type ApiFunctionName = { [K in FunctionName]: (typeof FUNCTIONS)[K]['trigger'] extends 'http' ? K : never }[FunctionName];
