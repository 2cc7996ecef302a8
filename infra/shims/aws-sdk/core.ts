/**
 * What the bundles' AWS clients share (README.md beside this file says why they exist): resolving
 * the region, the endpoint and the credentials as the SDK does in Lambda, a middleware stack that
 * Powertools Tracer and the X-Ray SDK can instrument as they do the SDK's, signing, sending with
 * the SDK's bounds (http-handler.ts), retrying as the SDK's standard mode does, and the SDK's errors.
 *
 * A command names its operation and knows its wire format (protocols.ts); a client sends it:
 *
 *   initialize middleware (the command's own input)
 *   → the command's `marshal` (the document client's marshalling)
 *   → serialize middleware (the wire input) → the HTTP request
 *   → build middleware (the request, before signing: X-Ray's trace header, the user agent)
 *   → attempts: sign, send, read; retried while the error allows and the quota lasts
 *   → the command's `unmarshal` of the output.
 */
import { BoundedHttpHandler, type HttpHandlerOptions } from './http-handler.ts';
import { type Credentials, signRequest } from './sigv4.ts';

/** What the SDK attaches to every answer and error: the HTTP status, AWS's request id, the attempts made. */
export interface ResponseMetadata {
  httpStatusCode?: number;
  requestId?: string;
  extendedRequestId?: string;
  cfId?: string;
  attempts?: number;
  totalRetryDelay?: number;
  clockSkewCorrected?: true;
}

/** An error AWS answered, as the SDK throws it: its `name` is AWS's error code. */
export class ServiceException extends Error {
  readonly $fault: 'client' | 'server';
  $metadata: ResponseMetadata;
  constructor(options: { name: string; $fault: 'client' | 'server'; $metadata: ResponseMetadata; message?: string | undefined }) {
    super(options.message);
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = options.name;
    this.$fault = options.$fault;
    this.$metadata = options.$metadata;
  }
}

/** A modelled error of a service: `instanceof` holds for the errors AWS answers with that code. */
export type ExceptionClass = new (options: { $metadata: ResponseMetadata; message?: string | undefined }) => ServiceException;

/** Declares a modelled error: `class X extends exception('X', 'client') {}`. */
export function exception(name: string, fault: 'client' | 'server'): ExceptionClass {
  return class extends ServiceException {
    constructor(options: { $metadata: ResponseMetadata; message?: string | undefined }) {
      super({ ...options, name, $fault: fault });
    }
  };
}

/** The HTTP request a handler sends: the shape of the SDK's HttpRequest. */
export interface HttpRequest {
  protocol: string;
  hostname: string;
  port?: number | undefined;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string | undefined>;
  body?: unknown;
}

/** The SDK's HTTP handler interface: the clients' own (http-handler.ts), or a test's, or the embedded engine's. */
export interface RequestHandler {
  handle(request: HttpRequest, options?: { abortSignal?: AbortSignal }): Promise<{ response: HttpResponse }>;
  destroy?(): void;
}

export type CredentialsInput = Credentials | (() => Promise<Credentials>);

export interface ClientConfig {
  readonly region?: string | (() => Promise<string>) | undefined;
  readonly endpoint?: string | undefined;
  readonly credentials?: CredentialsInput | undefined;
  readonly maxAttempts?: number | undefined;
  /** A handler, or the bounds of the client's own (as the SDK takes either). */
  readonly requestHandler?: RequestHandler | HttpHandlerOptions | undefined;
}

/** A service as the clients need it: its names, its wire format and its modelled errors. */
export interface Service {
  /** The SDK's client class name (`DynamoDBClient`): X-Ray names the subsegment after it. */
  readonly clientName: string;
  /** The service id's environment suffix: `AWS_ENDPOINT_URL_<suffix>` overrides its endpoint. */
  readonly endpointEnv: string;
  /** The host name's first label (`dynamodb` in dynamodb.us-east-1.amazonaws.com). */
  readonly endpointPrefix: string;
  /** SigV4's service name. */
  readonly signingName: string;
  /** The bound of the first retry's random wait, doubling for each next one: the SDK's, per service. */
  readonly retryDelayBaseMs: number;
  /** Attempts when the client names none: the SDK's, per service. */
  readonly defaultMaxAttempts: number;
  readonly errors: Readonly<Record<string, ExceptionClass>>;
}

/** What a command sends and reads, built by protocols.ts. */
export interface WireRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface Command<Input extends object, Output> {
  readonly input: Input;
  /** The SDK's command class name (`PutItemCommand`, the document client's too): X-Ray names the operation after it. */
  readonly commandName: string;
  /** The document client's marshalling of the input; the identity elsewhere. */
  marshal(input: Input): object;
  serialize(wireInput: object): WireRequest;
  deserialize(body: string): Output;
  /** The document client's unmarshalling of the output; the identity elsewhere. */
  unmarshal(output: Output): Output;
}

type Step = 'initialize' | 'serialize' | 'build';
// biome-ignore lint/suspicious/noExplicitAny: middleware sees the SDK's loosely typed arguments
type Handler = (args: any) => Promise<any>;
// biome-ignore lint/suspicious/noExplicitAny: as the SDK's middleware signature
type Middleware = (next: Handler, context: { clientName: string; commandName: string; [key: string]: any }) => Handler;
interface Entry {
  readonly middleware: Middleware;
  readonly step: Step;
  readonly name: string | undefined;
  readonly priority: number;
}

const STEPS: readonly Step[] = ['initialize', 'serialize', 'build'];
const PRIORITY: Record<string, number> = { high: 0, normal: 1, low: 2 };

/**
 * The SDK's middleware stack, for the steps a request passes here: `initialize`, `serialize` and
 * `build` (X-Ray's subsegment and Powertools' user agent are build middleware). Within a step
 * `high` runs first (outermost), then in the order added. A step the stack does not have (or a
 * relation to a middleware it does not have) is refused, loudly, rather than ignored.
 */
export class MiddlewareStack {
  #entries: Entry[] = [];

  add(middleware: Middleware, options: { step?: string; name?: string; priority?: string; override?: boolean } = {}): void {
    const step = (options.step ?? 'initialize') as Step;
    if (!STEPS.includes(step)) throw new Error(`the bundles' AWS client has no ${options.step} step`);
    if (options.name !== undefined) this.remove(options.name);
    this.#entries.push({ middleware, step, name: options.name, priority: PRIORITY[options.priority ?? 'normal'] ?? 1 });
  }

  /**
   * As the SDK's, for the one relation its users here make: after its user agent middleware (a
   * build middleware), which is where Powertools adds its own. Anything else is refused.
   */
  addRelativeTo(middleware: Middleware, options: { relation: string; toMiddleware: string; name?: string }): void {
    if (options.relation !== 'after' || options.toMiddleware !== 'getUserAgentMiddleware') {
      throw new Error(`the bundles' AWS client cannot place a middleware ${options.relation} ${options.toMiddleware}`);
    }
    this.add(middleware, { step: 'build', ...(options.name !== undefined && { name: options.name }), priority: 'low' });
  }

  remove(nameOrMiddleware: string | Middleware): boolean {
    const before = this.#entries.length;
    this.#entries = this.#entries.filter((entry) => entry.name !== nameOrMiddleware && entry.middleware !== nameOrMiddleware);
    return this.#entries.length !== before;
  }

  use(plugin: { applyToStack(stack: MiddlewareStack): void }): void {
    plugin.applyToStack(this);
  }

  /** `name - step`, as the SDK lists them. */
  identify(): string[] {
    return this.#entries.map((entry) => `${entry.name ?? 'anonymous'} - ${entry.step}`);
  }

  /** `handler` wrapped in the step's middleware. */
  resolve(step: Step, handler: Handler, context: { clientName: string; commandName: string }): Handler {
    const entries = this.#entries.filter((entry) => entry.step === step).sort((a, b) => a.priority - b.priority);
    let next = handler;
    for (let i = entries.length - 1; i >= 0; i--) next = entries[i]!.middleware(next, context);
    return next;
  }
}

/** The partition's DNS suffix for a region, as AWS's endpoint rules give it. */
function dnsSuffix(region: string): string {
  if (region.startsWith('cn-')) return 'amazonaws.com.cn';
  if (region.startsWith('us-isob-')) return 'sc2s.sgov.gov';
  if (region.startsWith('us-isof-')) return 'csp.hci.ic.gov';
  if (region.startsWith('us-iso-')) return 'c2s.ic.gov';
  if (region.startsWith('eu-isoe-')) return 'cloud.adc-e.uk';
  return 'amazonaws.com';
}

const truthy = (value: string | undefined): boolean => value?.toLowerCase() === 'true';

/**
 * The endpoint, as the SDK resolves it: the client's own, else `AWS_ENDPOINT_URL_<SERVICE>`, else
 * `AWS_ENDPOINT_URL` (both unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`), else the service's
 * regional endpoint, its FIPS one where `AWS_USE_FIPS_ENDPOINT` asks. Dual-stack endpoints differ
 * by service (some have none): asked for one, the client refuses, naming the variable that sets
 * an endpoint instead.
 */
export function resolveEndpoint(service: Service, region: string, configured: string | undefined, env: NodeJS.ProcessEnv = process.env): URL {
  if (configured !== undefined) return new URL(configured);
  const variable = `AWS_ENDPOINT_URL_${service.endpointEnv}`;
  if (!truthy(env['AWS_IGNORE_CONFIGURED_ENDPOINT_URLS'])) {
    const fromEnv = env[variable] ?? env['AWS_ENDPOINT_URL'];
    if (fromEnv) return new URL(fromEnv);
  }
  if (truthy(env['AWS_USE_DUALSTACK_ENDPOINT'])) {
    throw Object.assign(new Error(`AWS_USE_DUALSTACK_ENDPOINT is not supported by this function's AWS clients: set ${variable} to the endpoint instead`), {
      name: 'ConfigError',
    });
  }
  const fips = truthy(env['AWS_USE_FIPS_ENDPOINT']);
  return new URL(`https://${service.endpointPrefix}${fips ? '-fips' : ''}.${region}.${dnsSuffix(region)}`);
}

/** A function's role credentials, from the environment Lambda gives it (the SDK's `fromEnv`). */
function credentialsFromEnv(): Credentials {
  const accessKeyId = process.env['AWS_ACCESS_KEY_ID'];
  const secretAccessKey = process.env['AWS_SECRET_ACCESS_KEY'];
  if (!accessKeyId || !secretAccessKey) {
    throw Object.assign(new Error('Could not load credentials from any providers: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set'), {
      name: 'CredentialsProviderError',
    });
  }
  const sessionToken = process.env['AWS_SESSION_TOKEN'];
  return { accessKeyId, secretAccessKey, ...(sessionToken && { sessionToken }) };
}

/**
 * As the SDK does in Lambda, after X-Ray's middleware: a request that carries no trace header
 * carries the invocation's (`_X_AMZN_TRACE_ID`), so that the services it calls join the trace and
 * Lambda can tell a function that calls itself. Never signed: a proxy may change it.
 */
function propagateTrace(headers: Record<string, string>): void {
  if (Object.keys(headers).some((name) => name.toLowerCase() === 'x-amzn-trace-id')) return;
  const functionName = process.env['AWS_LAMBDA_FUNCTION_NAME'];
  const traceId = process.env['_X_AMZN_TRACE_ID'];
  if (functionName && traceId) headers['X-Amzn-Trace-Id'] = traceId;
}

async function bodyText(body: unknown): Promise<string> {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer | string>) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** AWS's error code from a JSON error answer: the header, else the body's `code` or `__type`, without namespace or URI. */
function errorCode(headers: Record<string, string | undefined>, body: Record<string, unknown>): string | undefined {
  const raw = headers['x-amzn-errortype'] ?? (body['code'] as string | undefined) ?? (body['__type'] as string | undefined);
  if (typeof raw !== 'string') return undefined;
  let code = raw;
  if (code.includes(',')) code = code.split(',')[0]!;
  if (code.includes(':')) code = code.split(':')[0]!;
  if (code.includes('#')) code = code.split('#')[1]!;
  return code;
}

/**
 * Which errors are tried again, as the SDK's standard retry mode classes them: throttling (by
 * code or a 429) waits longer; transient errors are timeouts, dropped or refused connections and
 * a 500, 502, 503 or 504; a signature refused for the clock is retried once the clock is
 * corrected. Anything else, and an aborted request, is the caller's.
 */
const THROTTLING_CODES = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);
const CLOCK_SKEW_CODES = new Set([
  'AccessDeniedException',
  'AuthFailure',
  'InvalidSignatureException',
  'RequestExpired',
  'RequestInTheFuture',
  'RequestTimeTooSkewed',
  'SignatureDoesNotMatch',
]);
const TRANSIENT_CODES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const TRANSIENT_STATUSES = new Set([500, 502, 503, 504]);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

type Failure = Error & { code?: string; cause?: unknown; $metadata?: ResponseMetadata; $retryable?: { throttling?: boolean } };

export function isThrottlingError(error: Failure): boolean {
  return error.$metadata?.httpStatusCode === 429 || THROTTLING_CODES.has(error.name) || error.$retryable?.throttling === true;
}

export function isTransientError(error: Failure, depth = 0): boolean {
  if (error.name === 'AbortError') return false;
  return (
    error.$retryable !== undefined ||
    error.$metadata?.clockSkewCorrected === true ||
    (error.name === 'InvalidSignatureException' && (error.message ?? '').includes('Signature expired')) ||
    TRANSIENT_CODES.has(error.name) ||
    NETWORK_CODES.has(error.code ?? '') ||
    TRANSIENT_STATUSES.has(error.$metadata?.httpStatusCode ?? 0) ||
    (error.cause instanceof Error && depth <= 10 && isTransientError(error.cause as Failure, depth + 1))
  );
}

const RETRY_QUOTA = 500;
/** What a retry takes from the quota: a throttled attempt's costs less, as the SDK counts it. */
const RETRY_COST = 14;
const THROTTLING_RETRY_COST = 5;
const THROTTLING_DELAY_BASE_MS = 1_000;
const MAX_DELAY_MS = 20_000;
/** How far past the computed wait an answer's Retry-After may push the next attempt. */
const MAX_RETRY_AFTER_EXTRA_MS = 5_000;
/**
 * A clock AWS's differs from by this much is corrected from the answer's Date (the SDK re-reads
 * its offset on every answer; the effect is the same where it matters: a signature refused for a
 * skewed clock is signed again with AWS's time).
 */
const CLOCK_SKEW_MS = 300_000;

/** When the answer asks to be tried again: `x-amz-retry-after` (milliseconds) or `Retry-After` (seconds or a date). */
function retryAfterMs(headers: Record<string, string | undefined> | undefined): number | undefined {
  if (headers === undefined) return undefined;
  const amz = Number(headers['x-amz-retry-after']);
  if (headers['x-amz-retry-after'] !== undefined && Number.isFinite(amz)) return amz;
  const value = headers['retry-after'];
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : at - Date.now();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Client {
  readonly middlewareStack = new MiddlewareStack();
  /** What the X-Ray SDK's middleware reads of a client's configuration. */
  readonly config: { readonly region: () => Promise<string>; readonly serviceId: string };
  readonly #service: Service;
  readonly #settings: ClientConfig;
  readonly #handler: RequestHandler;
  #retryQuota = RETRY_QUOTA;
  #clockOffsetMs = 0;

  constructor(service: Service, config: ClientConfig = {}) {
    this.#service = service;
    this.#settings = config;
    const handler = config.requestHandler;
    this.#handler = handler !== undefined && 'handle' in handler ? handler : new BoundedHttpHandler(handler);
    this.config = { region: () => this.#region(), serviceId: service.clientName.replace(/Client$/, '') };
  }

  async #region(): Promise<string> {
    const configured = this.#settings.region;
    const region = typeof configured === 'function' ? await configured() : (configured ?? process.env['AWS_REGION']);
    if (!region) throw Object.assign(new Error('Region is missing'), { name: 'ConfigError' });
    return region;
  }

  async #credentials(): Promise<Credentials> {
    const configured = this.#settings.credentials;
    if (configured === undefined) return credentialsFromEnv();
    return typeof configured === 'function' ? configured() : configured;
  }

  async send<Input extends object, Output>(command: Command<Input, Output>): Promise<Output> {
    const context = { clientName: this.#service.clientName, commandName: command.commandName };
    const stack = this.middlewareStack;
    const build = stack.resolve(
      'build',
      (args: { request: HttpRequest }) => {
        propagateTrace(args.request.headers);
        return this.#attempts(args.request, command);
      },
      context,
    );
    const serialize = stack.resolve(
      'serialize',
      async (args: { input: object }) => {
        const region = await this.#region();
        const endpoint = resolveEndpoint(this.#service, region, this.#settings.endpoint);
        const wire = command.serialize(args.input);
        const basePath = endpoint.pathname.replace(/\/$/, '');
        const [path = '/', search] = `${basePath}${wire.path}`.split('?');
        const request: HttpRequest = {
          protocol: endpoint.protocol,
          hostname: endpoint.hostname,
          ...(endpoint.port !== '' && { port: Number(endpoint.port) }),
          method: wire.method,
          path,
          query: Object.fromEntries(new URLSearchParams(search ?? '')),
          headers: { host: endpoint.host, 'user-agent': 'aws-sdk-js-shim', ...wire.headers },
          body: wire.body,
        };
        return build({ input: args.input, request });
      },
      context,
    );
    const initialize = stack.resolve('initialize', (args: { input: Input }) => serialize({ input: command.marshal(args.input) }), context);
    const result: { output: Output } = await initialize({ input: command.input });
    return result.output;
  }

  /** Sends the request until it is answered, or its error may not be retried, or the attempts or the retry quota are spent. */
  async #attempts<Output>(request: HttpRequest, command: Command<object, Output>): Promise<{ output: Output; response: HttpResponse }> {
    const maxAttempts = Math.max(1, this.#settings.maxAttempts ?? this.#service.defaultMaxAttempts);
    const region = await this.#region();
    let totalRetryDelay = 0;
    /** What the last retry took from the quota: an answer gives it back (a first attempt's, one). */
    let retryCost = 0;
    for (let attempt = 1; ; attempt++) {
      const headers = { ...request.headers };
      const signed: HttpRequest = { ...request, headers };
      let metadata: ResponseMetadata = { attempts: attempt, totalRetryDelay };
      try {
        signRequest(signed, await this.#credentials(), { region, service: this.#service.signingName }, new Date(Date.now() + this.#clockOffsetMs));
        const { response } = await this.#handler.handle(signed);
        const text = await bodyText(response.body);
        metadata = { ...this.#metadataOf(response), attempts: attempt, totalRetryDelay };
        const corrected = this.#correctClock(response);
        if (response.statusCode < 300) {
          this.#retryQuota = Math.min(RETRY_QUOTA, this.#retryQuota + (retryCost || 1));
          const output = command.deserialize(text) as Output & { $metadata?: ResponseMetadata };
          output.$metadata = metadata;
          return { output: command.unmarshal(output), response };
        }
        throw this.#errorOf(response, text, corrected ? { ...metadata, clockSkewCorrected: true } : metadata);
      } catch (thrown) {
        const e = (thrown instanceof Error ? thrown : new Error(String(thrown))) as Failure;
        e.$metadata = { ...e.$metadata, ...metadata, attempts: attempt, totalRetryDelay };
        const throttled = isThrottlingError(e);
        const retryable = throttled || isTransientError(e);
        const cost = throttled ? THROTTLING_RETRY_COST : RETRY_COST;
        if (!retryable || attempt >= maxAttempts || this.#retryQuota < cost) throw e;
        this.#retryQuota -= cost;
        retryCost = cost;
        const base = throttled ? THROTTLING_DELAY_BASE_MS : this.#service.retryDelayBaseMs;
        let delay = Math.floor(Math.random() * Math.min(base * 2 ** (attempt - 1), MAX_DELAY_MS));
        const asked = retryAfterMs((e as { $response?: HttpResponse }).$response?.headers);
        if (asked !== undefined) delay = Math.max(delay, Math.min(asked, delay + MAX_RETRY_AFTER_EXTRA_MS));
        totalRetryDelay += delay;
        await sleep(delay);
      }
    }
  }

  #metadataOf(response: HttpResponse): ResponseMetadata {
    const h = response.headers;
    const requestId = h['x-amzn-requestid'] ?? h['x-amzn-request-id'] ?? h['x-amz-request-id'];
    return {
      httpStatusCode: response.statusCode,
      ...(requestId !== undefined && { requestId }),
      ...(h['x-amz-id-2'] !== undefined && { extendedRequestId: h['x-amz-id-2'] }),
      ...(h['x-amz-cf-id'] !== undefined && { cfId: h['x-amz-cf-id'] }),
    };
  }

  /** A server clock this far from ours becomes ours (and a signature refused for it is retried). */
  #correctClock(response: HttpResponse): boolean {
    const date = response.headers['date'];
    if (date === undefined) return false;
    const serverMs = Date.parse(date);
    if (Number.isNaN(serverMs)) return false;
    if (Math.abs(serverMs - (Date.now() + this.#clockOffsetMs)) < CLOCK_SKEW_MS) return false;
    this.#clockOffsetMs = serverMs - Date.now();
    return true;
  }

  #errorOf(response: HttpResponse, text: string, metadata: ResponseMetadata): ServiceException {
    let body: Record<string, unknown> = {};
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      // An answer that is not JSON (a proxy's page): the status says the rest.
    }
    const lowered: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(response.headers)) lowered[name.toLowerCase()] = value;
    const code = errorCode(lowered, body) ?? 'UnknownError';
    const message = (body['message'] ?? body['Message']) as string | undefined;
    const Known = this.#service.errors[code];
    const error = Known
      ? new Known({ $metadata: metadata, message })
      : new ServiceException({ name: code, $fault: response.statusCode >= 500 ? 'server' : 'client', $metadata: metadata, message });
    if (!error.message) error.message = 'UnknownError';
    // The answer's other members, as the SDK keeps them (a failed condition's Item, a
    // cancelled transaction's reasons).
    for (const [key, value] of Object.entries(body)) {
      if (key === '__type' || key === 'code' || key === 'message' || key === 'Message') continue;
      if ((error as unknown as Record<string, unknown>)[key] === undefined) (error as unknown as Record<string, unknown>)[key] = value;
    }
    // Only a signature refused for the clock is retried once the clock is corrected.
    if (!CLOCK_SKEW_CODES.has(error.name)) delete error.$metadata.clockSkewCorrected;
    // As the SDK's: the answer, for its Retry-After; not enumerable, so that logging the error does not print it.
    Object.defineProperty(error, '$response', { value: response, enumerable: false });
    return error;
  }

  destroy(): void {
    this.#handler.destroy?.();
  }
}
