/**
 * `npm start`: one HTTP server that turns each request into the API Gateway HTTP API (payload
 * 2.0) event AWS would send, and calls the same handlers with it; dynalite in this process.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildConsoleHtml } from '../console/build.ts';
import { ConfigError, loadConfig, tableNameOf, type Config } from '../config.ts';
import type { ApiHandler } from '../handlers/api-function.ts';
import { MAX_BODY_BYTES } from '../http/api-request.ts';
import { FUNCTIONS, type ApiFunctionName } from '../functions.ts';
import { DEFAULT_ROUTE, routeFor } from '../http/routes.ts';
import { loadAssignmentPolicy } from '../policy-file.ts';
import { createRuntime, type Runtime, type RuntimeParts } from '../runtime.ts';
import { createDocumentClient } from '../store/client.ts';
import { reservationTimeout } from '#functions/reservation-timeout.ts';
import { LocalTimeoutScheduler } from '../timeouts/local-scheduler.ts';
import { API_FUNCTIONS } from './handlers.ts';
import { startDynalite, type DynamoDbEngine } from './dynamodb-engine.ts';
import { ensureTable } from '../store/table-setup.ts';
import { scanTasks, scanWorkerChanges } from '../store/task-scan.ts';
import { localLambdaContext } from './lambda-context.ts';
import { sweepUpstream } from '../upstream/sweep.ts';
import { sweep } from './sweep.ts';
import { Underway } from '../domain/in-flight.ts';

/** How often the connected stack's in-process sweep runs (deployed: the upstream-sweep function's schedule). */
export const SWEEP_INTERVAL_MS = 60_000;

export interface LocalStack {
  /** The base URL clients use (PUBLIC_BASE_URL). */
  readonly url: string;
  readonly config: Config;
  readonly runtime: Runtime;
  /** The embedded engine (dynalite) holds the data, rather than DYNAMODB_ENDPOINT. */
  readonly embedded: boolean;
  /** The client the stack's stores send through (tests read raw items with it). */
  readonly documentClient: DynamoDBDocumentClient;
  close(): Promise<void>;
}

/** The route of a request in a stack connected or not (standalone, connected mode's routes are not there). */
export function matchRoute(
  method: string,
  path: string,
  connected: boolean,
): { fn: ApiFunctionName; routeKey: string; pathParameters?: Record<string, string> } {
  const found = routeFor(method, path, connected);
  if (!found) return { fn: DEFAULT_ROUTE, routeKey: '$default' };
  return { fn: found.route.fn, routeKey: `${found.route.method} ${found.route.path}`, pathParameters: found.pathParameters };
}

/**
 * Path and query of the request line, as API Gateway's rawPath and rawQueryString: split, not
 * parsed as a URL (a path such as `//x` is not a host).
 */
function splitTarget(target: string): { path: string; query: string } {
  const at = target.indexOf('?');
  return at === -1 ? { path: target, query: '' } : { path: target.slice(0, at), query: target.slice(at + 1) };
}

/** API Gateway passes text and JSON bodies as they are and base64-encodes the rest, forms included. */
function isText(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return type.startsWith('text/') || type === 'application/json' || type.endsWith('+json') || type === 'application/xml';
}

/**
 * The body, kept up to one byte past the limit (enough for the handler to answer 413). The rest
 * is read and dropped, so the connection stays usable for the response.
 */
async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let kept = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    if (kept > MAX_BODY_BYTES) continue;
    chunks.push(chunk);
    kept += chunk.length;
  }
  return Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES + 1);
}

/** An HTTP request as the local server received it: what API Gateway would turn into an event. */
export interface LocalRequest {
  readonly method: string;
  /** The request line's target: path and query. */
  readonly target: string;
  /** Lower-case names, repeated headers joined with commas (as API Gateway v2 does). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly sourceIp?: string;
  readonly protocol?: string;
}

/** The function API Gateway would route `request` to in a stack connected or not, and the v2 event it would give it. */
export function toApiGatewayEvent(request: LocalRequest, connected: boolean): { fn: ApiFunctionName; event: APIGatewayProxyEventV2 } {
  const { method, headers, body } = request;
  const { path, query } = splitTarget(request.target);
  const route = matchRoute(method, path, connected);
  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(query))
    queryStringParameters[name] = name in queryStringParameters ? `${queryStringParameters[name]},${value}` : value;
  const now = new Date();
  const text = isText(headers['content-type']);
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath: path,
    rawQueryString: query,
    headers: { ...headers },
    ...(query && { queryStringParameters }),
    ...(route.pathParameters && { pathParameters: route.pathParameters }),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers['host'] ?? 'localhost',
      domainPrefix: (headers['host'] ?? 'localhost').split('.')[0]!,
      http: {
        method,
        path,
        protocol: request.protocol ?? 'HTTP/1.1',
        sourceIp: request.sourceIp ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: route.routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 && { body: text ? body.toString('utf8') : body.toString('base64') }),
    isBase64Encoded: body.length > 0 && !text,
  };
  return { fn: route.fn, event };
}

function localRequest(request: IncomingMessage, body: Buffer): LocalRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return {
    method: request.method ?? 'GET',
    target: request.url ?? '/',
    headers,
    body,
    protocol: `HTTP/${request.httpVersion}`,
    ...(request.socket.remoteAddress !== undefined && { sourceIp: request.socket.remoteAddress }),
  };
}

/** Listens on HOST:PORT; a port taken or a host that is not this machine's is said naming the variable. */
function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE')
        reject(new ConfigError('PORT', `${port} is in use on ${host}: stop what listens there, or set another PORT (PORT=0 takes a free one)`));
      else if (error.code === 'ENOTFOUND' || error.code === 'EADDRNOTAVAIL' || error.code === 'EAI_AGAIN')
        reject(new ConfigError('HOST', `"${host}" is not an address of this machine (${error.code}): use 127.0.0.1, or 0.0.0.0 for every interface`));
      else reject(error);
    });
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/**
 * Starts the stack. The configuration is validated before anything starts; with PORT=0 the
 * server takes a free port and PUBLIC_BASE_URL (unless set) follows it.
 */
export async function startLocalStack(env: Readonly<Record<string, string | undefined>> = process.env, parts: RuntimeParts = {}): Promise<LocalStack> {
  // Metrics are CloudWatch's Embedded Metric Format: JSON documents on stdout that only CloudWatch
  // Logs turns into metrics. Locally nothing reads them, so Powertools Metrics stays quiet unless
  // POWERTOOLS_METRICS_DISABLED=false asks to see them (it reads this when the runtime is built).
  process.env['POWERTOOLS_METRICS_DISABLED'] ??= 'true';
  // Everything that can be wrong with the configuration is found before anything starts.
  let config = loadConfig(env, 'local');
  const policy = parts.policy ?? loadAssignmentPolicy(config.assignmentPolicyPath);

  // Requests that arrive while the stack is still starting wait for it (or get a 503 if it fails
  // to start): the port is open from the first moment, and nothing is left unanswered.
  let started!: (handle: (request: IncomingMessage, response: ServerResponse) => void) => void;
  let failed!: () => void;
  const ready = new Promise<((request: IncomingMessage, response: ServerResponse) => void) | undefined>((resolve) => {
    started = resolve;
    failed = () => resolve(undefined);
  });
  const server = createServer((request, response) => {
    void ready.then((handle) => {
      if (handle) return handle(request, response);
      response.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '1', Connection: 'close' });
      response.end(
        JSON.stringify({
          code: 20503,
          message: 'Service Unavailable: the local stack failed to start',
          more_info: 'https://www.twilio.com/docs/errors/20503',
          status: 503,
        }),
      );
    });
  });
  const port = await listen(server, config.port, config.host);
  if (port !== config.port) config = loadConfig({ ...env, PORT: String(port) }, 'local');
  let engine: DynamoDbEngine | undefined;
  let ownClient: DynamoDBDocumentClient | undefined;
  let documentClient!: DynamoDBDocumentClient;
  const clock = parts.clock;
  const scheduler = new LocalTimeoutScheduler(clock ? () => clock.now() : Date.now);
  let runtime: Runtime | undefined;
  let sweeper: NodeJS.Timeout | undefined;
  let handlers: Record<ApiFunctionName, ApiHandler>;
  try {
    if (config.dynamodbEndpoint === undefined) {
      engine = await startDynalite({ dataDir: config.dataDir });
      config = { ...config, dynamodbEndpoint: engine.endpoint };
    }
    await ensureTable(config.dynamodbEndpoint!, tableNameOf(config)).catch((error: Error & { $metadata?: { httpStatusCode?: number }; code?: string }) => {
      // DYNAMODB_ENDPOINT that nothing answers at (no HTTP status): said naming the variable.
      if (engine === undefined && error.$metadata?.httpStatusCode === undefined) {
        throw new ConfigError(
          'DYNAMODB_ENDPOINT',
          `${config.dynamodbEndpoint} does not answer (${error.code ?? error.name}): start DynamoDB Local there, or unset it for the embedded engine`,
        );
      }
      throw error;
    });
    // The embedded engine is reached in this process, without a socket (in-process-handler.ts).
    if (parts.documentClient === undefined)
      ownClient = createDocumentClient({ endpoint: config.dynamodbEndpoint!, ...(engine !== undefined && { handler: engine.handler }) });
    // The console page is built from lib/console once, here (deployed, at synth).
    documentClient = parts.documentClient ?? ownClient!;
    const built = createRuntime(config, { scheduler, consolePage: buildConsoleHtml(), documentClient, ...parts, policy });
    runtime = built;
    const timeoutHandler = reservationTimeout.createHandler(built);
    scheduler.onTimeout((event) => timeoutHandler(event, localLambdaContext('reservation-timeout', FUNCTIONS['reservation-timeout'].timeoutSeconds)));
    scheduler.onError((error, event) =>
      built.logger.error('timer failed', { error: error.message, kind: event.kind ?? 'reservation', reservationSid: event.reservationSid }),
    );
    handlers = Object.fromEntries(Object.entries(API_FUNCTIONS).map(([name, fn]) => [name, fn.createHandler(built)])) as Record<ApiFunctionName, ApiHandler>;
    // Data this process did not write (a DATA_DIR, an engine of its own) may hold what a stopped process left.
    if (config.dataDir !== undefined || engine === undefined) {
      const swept = await sweep({
        tasks: scanTasks(documentClient, tableNameOf(config)),
        workerChanges: scanWorkerChanges(documentClient, tableNameOf(config)),
        events: built.recorder,
        scheduler,
        lifecycle: built.lifecycle,
        policy: built.lifecycle.policy,
        now: built.clock.now(),
      });
      if (swept.tasks > 0) built.logger.info('start-up sweep', { ...swept });
    }
    // Connected: settle what a stopped process left in flight, then every minute (deployed: a scheduled function).
    const upstream = built.upstream;
    if (upstream) {
      // Event callbacks are applied after their answer, in this process; what a stopped process took in and did not apply, now.
      upstream.inbox.applyInBackground();
      await sweepUpstream(upstream, built.clock.now());
      sweeper = setInterval(
        () => void sweepUpstream(upstream).catch((error: Error) => built.logger.error('upstream sweep failed', { error: error.message })),
        SWEEP_INTERVAL_MS,
      );
      sweeper.unref();
    }
  } catch (error) {
    failed();
    clearInterval(sweeper);
    scheduler.close();
    runtime?.close();
    ownClient?.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await engine?.close();
    throw error;
  }
  const live = runtime;
  const connected = config.upstreamUrl !== undefined;
  // Requests being answered: close lets them finish, as Lambda lets an invocation finish.
  const answering = new Underway();

  started((request, response) => {
    void answering.add(
      (async () => {
        try {
          const body = await readBody(request);
          const { fn, event } = toApiGatewayEvent(localRequest(request, body), connected);
          const result = await handlers[fn](event, localLambdaContext(fn, FUNCTIONS[fn].timeoutSeconds));
          response.writeHead(result.statusCode, result.headers);
          response.end(result.body);
        } catch (error) {
          live.logger.error('local server failed a request', { error: (error as Error).message });
          if (!response.headersSent) response.writeHead(500, { 'Content-Type': 'application/json' });
          response.end(JSON.stringify({ code: 20500, message: 'Internal Server Error', more_info: 'https://www.twilio.com/docs/errors/20500', status: 500 }));
        }
      })(),
    );
  });

  return {
    url: config.publicBaseUrl,
    config,
    runtime: live,
    embedded: engine !== undefined,
    documentClient,
    async close() {
      // No new connection; the requests under way are answered (their writes reach the engine
      // before it closes), then the connections still open are dropped.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await answering.idle();
      server.closeAllConnections();
      await closed;
      clearInterval(sweeper);
      // Event callbacks already answered are applied before the engine goes, and so is what their
      // rules make follow; then no timer fires any more, and what the last ones started finishes.
      await live.upstream?.inbox.idle();
      // A rule's event still failing is not tried again: the sweep its retries wait for has stopped.
      live.lifecycleSink?.close();
      await live.lifecycleSink?.idle();
      scheduler.close();
      await scheduler.idle();
      await live.lifecycleSink?.idle();
      live.close();
      ownClient?.destroy();
      await engine?.close();
    },
  };
}
