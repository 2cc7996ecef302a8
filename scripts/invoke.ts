/**
 * `npm run invoke`: runs one Lambda function's handler in this process with an event file, as
 * `sam local invoke -e` does, and prints what the handler returned on stdout (logs go to stderr).
 *
 *   npm run invoke -- <function> <event.json> [--no-sign] [--at <time>] [--fresh]
 *
 * The store is the embedded engine persisted in DATA_DIR (default .data/invoke), so that separate
 * invocations chain: callback, fetch, accept, timeout (events/manifest.json is such a sequence).
 * The configuration is `npm start`'s (the same environment variables), the local development
 * credentials by default.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, tableNameOf, type Config } from '#lib/config.ts';
import type { Credentials } from '#lib/credentials.ts';
import { buildConsoleHtml } from '#lib/console/build.ts';
import { FUNCTIONS, bindsOf, type FunctionName } from '#lib/functions.ts';
import { ALL_FUNCTIONS } from '#lib/local/handlers.ts';
import { startDynalite, type DynamoDbEngine } from '#lib/local/dynamodb-engine.ts';
import { ensureTable } from '#lib/store/table-setup.ts';
import { localLambdaContext } from '#lib/local/lambda-context.ts';
import { createRuntime, type Runtime } from '#lib/runtime.ts';
import { signedUrl, twilioSignature } from '#lib/signature.ts';
import type { ReservationTimer, TimeoutScheduler } from '#lib/timeouts/scheduler.ts';

export const USAGE = `usage: npm run invoke -- <function> <event.json> [--no-sign] [--at <time>] [--fresh]

  function     ${Object.keys(FUNCTIONS).join(', ')}
  --no-sign    send a TaskRouter callback as the file has it (no X-Twilio-Signature: 403)
  --at <time>  run with the clock fixed at <time>: ISO 8601, epoch ms, or +<n>s|m|h from now
  --fresh      empty the embedded engine's data first

DATA_DIR (default .data/invoke) keeps the data between invocations; the other variables are
npm start's. The handler's result goes to stdout, logs to stderr.`;

export const DEFAULT_DATA_DIR = fileURLToPath(new URL('../.data/invoke', import.meta.url));

/** A mistake in the command line or the event file: exit status 2, as for a bad configuration. */
export class UsageError extends Error {}

export interface Invocation {
  readonly fn: FunctionName;
  readonly eventPath: string;
  readonly sign: boolean;
  /** Epoch ms the clock stands at, or undefined for the system clock. */
  readonly at: number | undefined;
  readonly fresh: boolean;
}

export interface InvokeOutcome {
  /** 0: the handler ran (whatever it answered); 1: it threw; 2: a usage error. */
  readonly exitCode: 0 | 1 | 2;
  /** What the handler returned. */
  readonly result?: unknown;
  /** For stderr: the error, or notes such as a timer this process will not keep. */
  readonly messages: readonly string[];
}

const DURATION_MS = { s: 1000, m: 60_000, h: 3_600_000 } as const;

export function parseTime(text: string, now: number): number {
  const relative = /^\+(\d+)([smh])$/.exec(text);
  const at = relative ? now + Number(relative[1]) * DURATION_MS[relative[2] as keyof typeof DURATION_MS] : /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(at)) throw new UsageError(`--at: expected an ISO 8601 time, epoch milliseconds or +<n>s|m|h, got "${text}"`);
  return at;
}

const parseOptions = (argv: readonly string[]) =>
  parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { 'no-sign': { type: 'boolean' }, at: { type: 'string' }, fresh: { type: 'boolean' } },
  });

export function parseInvocation(argv: readonly string[], now: number = Date.now()): Invocation {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 2) throw new UsageError(`expected a function and an event file, got ${positionals.length} argument(s)`);
  const [fn, eventPath] = positionals as [string, string];
  if (!Object.hasOwn(FUNCTIONS, fn)) throw new UsageError(`unknown function "${fn}"; one of: ${Object.keys(FUNCTIONS).join(', ')}`);
  return {
    fn: fn as FunctionName,
    eventPath,
    sign: !values['no-sign'],
    at: values.at === undefined ? undefined : parseTime(values.at, now),
    fresh: values.fresh === true,
  };
}

function readEvent(file: string, path: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the event file ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`the event file ${path} is not JSON: ${(error as Error).message}`);
  }
}

/** What a handler behind API Gateway reads of its event: the rest is left to the handler. */
function apiGatewayEvent(event: unknown, path: string): APIGatewayProxyEventV2 {
  const e = event as Partial<APIGatewayProxyEventV2> | null;
  const missing = [
    e?.version !== '2.0' && 'version "2.0"',
    typeof e?.rawPath !== 'string' && 'rawPath',
    typeof e?.requestContext?.http?.method !== 'string' && 'requestContext.http.method',
  ].filter(Boolean);
  if (typeof event !== 'object' || event === null || missing.length > 0) {
    throw new UsageError(`the event file ${path} is not an API Gateway HTTP API (payload 2.0) event: it lacks ${missing.join(', ')}`);
  }
  return event as APIGatewayProxyEventV2;
}

/**
 * The callback as TaskRouter would sign it: X-Twilio-Signature over PUBLIC_BASE_URL, the path, the
 * query and the form parameters, with the token of the account it names.
 */
async function signCallback(
  event: APIGatewayProxyEventV2,
  config: Config,
  credentials: Credentials,
): Promise<{ event: APIGatewayProxyEventV2; note?: string }> {
  const body = event.body === undefined ? '' : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8').toString('utf8');
  const form = [...new URLSearchParams(body)];
  const accountSid = form.find(([name]) => name === 'AccountSid')?.[1] ?? '';
  const token = await credentials.authToken(accountSid);
  if (token === undefined) return { event, note: `not signed: AccountSid "${accountSid}" is not an account this configuration serves` };
  const url = signedUrl(config.publicBaseUrl, event.rawPath, event.rawQueryString);
  const headers = Object.fromEntries(Object.entries(event.headers ?? {}).filter(([name]) => name.toLowerCase() !== 'x-twilio-signature'));
  return { event: { ...event, headers: { ...headers, 'x-twilio-signature': twilioSignature(token, url, form) } } };
}

function handlerOf(fn: FunctionName, runtime: Runtime): (event: unknown) => Promise<unknown> {
  const handler = ALL_FUNCTIONS[fn].createHandler(runtime) as (event: unknown, context: ReturnType<typeof localLambdaContext>) => Promise<unknown>;
  const context = localLambdaContext(fn, FUNCTIONS[fn].timeoutSeconds);
  return (event) => handler(event, context);
}

/**
 * A reservation timer this process does not keep (it ends long before any deadline), and the
 * event EventBridge Scheduler would deliver at the deadline: the reservation's keys alone.
 */
function timerNote({ accountSid, workspaceSid, taskSid, reservationSid, deadline }: ReservationTimer): string {
  const event = JSON.stringify({ accountSid, workspaceSid, taskSid, reservationSid });
  return `timer not kept: ${reservationSid} reads "timeout" from ${new Date(deadline).toISOString()}; to write that down, invoke reservation-timeout with ${event}`;
}

/** The line SAM's REPORT stands for: the HTTP status, the timeout's outcome or a batch's failures, and the duration. */
function summary(fn: FunctionName, result: unknown, ms: number): string {
  const r = (result ?? {}) as { statusCode?: unknown; outcome?: unknown; batchItemFailures?: unknown[] };
  const batch = Array.isArray(r.batchItemFailures) ? `${r.batchItemFailures.length} failed` : undefined;
  return `${fn}: ${String(r.statusCode ?? r.outcome ?? batch)} in ${Math.round(ms)} ms`;
}

export async function runInvoke(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): Promise<InvokeOutcome> {
  let invocation: Invocation;
  let config: Config;
  let event: unknown;
  try {
    invocation = parseInvocation(argv);
    config = loadConfig(env, 'local');
    // `npm run` works in the package's folder; the path is the one the user typed, where they were.
    event = readEvent(resolve(env['INIT_CWD'] ?? process.cwd(), invocation.eventPath), invocation.eventPath);
    if (FUNCTIONS[invocation.fn].trigger === 'http') event = apiGatewayEvent(event, invocation.eventPath);
    if (invocation.fresh && config.dynamodbEndpoint !== undefined) {
      throw new UsageError('--fresh empties the embedded engine; with DYNAMODB_ENDPOINT set, delete the table there instead');
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) return { exitCode: 2, messages: [error.message] };
    throw error;
  }

  const { fn, at } = invocation;
  const messages: string[] = [];
  const timers: ReservationTimer[] = [];
  const scheduler: TimeoutScheduler = { schedule: async (timer) => void timers.push(timer) };
  const dataDir = config.dataDir ?? DEFAULT_DATA_DIR;
  let engine: DynamoDbEngine | undefined;
  let runtime: Runtime | undefined;
  try {
    let endpoint = config.dynamodbEndpoint;
    if (endpoint === undefined) {
      engine = await startDynalite({ dataDir, fresh: invocation.fresh });
      endpoint = engine.endpoint;
    }
    await ensureTable(endpoint, tableNameOf(config));
    runtime = createRuntime(
      { ...config, dataDir, dynamodbEndpoint: endpoint },
      {
        scheduler,
        ...(at !== undefined && { clock: { now: () => at } }),
        // No queue here: what the delivery would ask of SQS is printed instead.
        callbackDelivery: {
          retry: { later: async (message, seconds) => void messages.push(`SQS not called: would hide message ${message.messageId} for ${seconds} s`) },
        },
        // As npm start does: the page built from lib/console, unless CONSOLE_PAGE names a built one.
        ...(bindsOf(fn).consolePage && config.consolePagePath === undefined && { consolePage: buildConsoleHtml() }),
      },
    );
    if (FUNCTIONS[fn].auth === 'webhook' && invocation.sign) {
      const signed = await signCallback(event as APIGatewayProxyEventV2, runtime.config, runtime.credentials);
      event = signed.event;
      if (signed.note !== undefined) messages.push(signed.note);
    }
    const handler = handlerOf(fn, runtime);
    const started = performance.now();
    const result = await handler(event);
    messages.push(...timers.map(timerNote), summary(fn, result, performance.now() - started));
    return { exitCode: 0, result, messages };
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) return { exitCode: 2, messages: [...messages, error.message] };
    return { exitCode: 1, messages: [...messages, `${fn} failed: ${(error as Error).stack ?? String(error)}`] };
  } finally {
    runtime?.close();
    await engine?.close();
  }
}

async function main(): Promise<void> {
  // The AWS SDK warns that it will want Node 22 in 2027; the local tools support Node 20.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const argv = process.argv.slice(2);
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    (argv.length === 0 ? process.stderr : process.stdout).write(`${USAGE}\n`);
    process.exitCode = argv.length === 0 ? 2 : 0;
    return;
  }
  // stdout carries the result alone, as with SAM: the handlers' logs (Powertools writes info
  // lines to stdout, as Lambda would to CloudWatch) and anything else go to stderr.
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  const outcome = await runInvoke(argv);
  for (const message of outcome.messages) process.stderr.write(`${message}\n`);
  if (outcome.exitCode === 0) write(`${JSON.stringify(outcome.result)}\n`);
  process.exitCode = outcome.exitCode;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
