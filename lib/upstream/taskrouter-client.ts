/**
 * The upstream TaskRouter (connected mode), as this service calls it: node:http(s) over kept-alive
 * connections, with a bounded time, the account's own credentials, and one place that says what an
 * answer means. Nothing here repeats a POST: an accept is not idempotent at Twilio (a second one is
 * a 400), and only a 429 is known not to have been processed; a time-out, a dropped connection or a
 * 5xx leaves the outcome unknown, for the caller to settle by reading.
 *
 * Not `fetch`: its first call in a process loads undici, which lengthens every cold start of the
 * update function, and each of its requests costs several times the CPU of node:http's.
 */
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Credentials } from '../credentials.ts';

/** A POST waits this long; the update function's own timeout (10 s) leaves room to settle by a GET. */
export const FORWARD_TIMEOUT_MS = 5_000;
export const READ_TIMEOUT_MS = 3_000;

/**
 * An idle connection is closed after this long, before a server's own idle time-out (Node's is
 * 5 s) can close it under a request: a POST on a connection closed under it would be an unknown
 * outcome, settled by a read, for nothing.
 */
export const IDLE_CONNECTION_MS = 4_000;

export type UpstreamAnswer =
  /** 2xx: the JSON Twilio answered. */
  | { readonly kind: 'ok'; readonly status: number; readonly json: Record<string, unknown> }
  /** A 4xx (429 included): Twilio's error, known not to have changed anything but for what it says. */
  | {
      readonly kind: 'refused';
      readonly status: number;
      readonly code: number;
      readonly message: string;
      readonly moreInfo: string | undefined;
      readonly retryAfter: string | undefined;
    }
  /** A 5xx, a time-out, a connection lost: Twilio may or may not have done it. */
  | { readonly kind: 'unknown'; readonly timedOut: boolean; readonly reason: string };

export interface UpstreamRequest {
  readonly accountSid: string;
  /** The path, e.g. /v1/Workspaces/WS…/Tasks/WT…/Reservations/WR… */
  readonly path: string;
  readonly method: 'GET' | 'POST';
  readonly form?: ReadonlyArray<readonly [string, string]>;
  readonly query?: ReadonlyArray<readonly [string, string]>;
  readonly timeoutMs: number;
}

export interface TaskRouterUpstream {
  readonly baseUrl: string;
  send(request: UpstreamRequest): Promise<UpstreamAnswer>;
}

/** What Twilio's error JSON says, or a generic description when the body is none. */
function refusal(status: number, body: unknown, retryAfter: string | undefined): UpstreamAnswer {
  const e = (typeof body === 'object' && body !== null ? body : {}) as { code?: unknown; message?: unknown; more_info?: unknown };
  return {
    kind: 'refused',
    status,
    code: typeof e.code === 'number' ? e.code : status * 100,
    message: typeof e.message === 'string' ? e.message : `TaskRouter answered ${status}`,
    moreInfo: typeof e.more_info === 'string' ? e.more_info : undefined,
    retryAfter,
  };
}

/** A body's JSON (undefined when empty), or undefined when it is not JSON. */
function readJson(body: string): { readonly json: unknown } | undefined {
  try {
    return { json: body === '' ? undefined : JSON.parse(body) };
  } catch {
    return undefined;
  }
}

function retryAfterOf(answer: IncomingMessage): string | undefined {
  const value = answer.headers['retry-after'];
  return Array.isArray(value) ? value[0] : value;
}

/** What came back, before it is judged: a whole answer, or why there is none. */
type Exchange =
  | { readonly kind: 'answered'; readonly status: number; readonly retryAfter: string | undefined; readonly body: string }
  /** An answer began but its body did not arrive whole. */
  | { readonly kind: 'cut'; readonly status: number; readonly retryAfter: string | undefined; readonly timedOut: boolean }
  | { readonly kind: 'failed'; readonly timedOut: boolean; readonly reason: string };

export class HttpTaskRouterUpstream implements TaskRouterUpstream {
  /** Where every request goes: the base URL's protocol, host (an IPv6 literal without its brackets, as node:http looks it up) and port, with the agent. */
  readonly #target: { readonly protocol: string; readonly hostname: string; readonly port: string; readonly agent: HttpAgent };
  /** The base URL's path, put before every request's path. */
  readonly #prefix: string;
  readonly #agent: HttpAgent;
  readonly #request: typeof httpRequest;

  constructor(
    readonly baseUrl: string,
    private readonly credentials: Pick<Credentials, 'upstreamPair'> & Partial<Pick<Credentials, 'reread'>>,
  ) {
    const base = new URL(baseUrl);
    const https = base.protocol === 'https:';
    const options = { keepAlive: true, timeout: IDLE_CONNECTION_MS };
    this.#agent = https ? new HttpsAgent(options) : new HttpAgent(options);
    this.#request = https ? (httpsRequest as typeof httpRequest) : httpRequest;
    this.#target = { protocol: base.protocol, hostname: base.hostname.replace(/^\[(.*)\]$/, '$1'), port: base.port, agent: this.#agent };
    this.#prefix = base.pathname.replace(/\/$/, '');
  }

  /**
   * One request, answered within its `timeoutMs` all told: a re-send after a 401 gets only the time
   * left. The sweep settles a forward's mark once the forward and its read can no longer be under
   * way (reconciler.ts UNSETTLED_AFTER_MS), which holds only if no request outlives its time-out.
   */
  send(request: UpstreamRequest): Promise<UpstreamAnswer> {
    return this.#send(request, performance.now() + request.timeoutMs, false);
  }

  async #send(request: UpstreamRequest, deadline: number, again: boolean): Promise<UpstreamAnswer> {
    const pair = await this.credentials.upstreamPair(request.accountSid);
    if (!pair) return { kind: 'unknown', timedOut: false, reason: `no credentials for account ${request.accountSid}` };
    const query = request.query && request.query.length > 0 ? `?${new URLSearchParams(request.query as [string, string][])}` : '';
    const body = request.form && new URLSearchParams(request.form as [string, string][]).toString();
    // A kept-alive connection the server has closed, its FIN already here but not yet read, would
    // be handed to this request at once (Node's agent checks only that it is not destroyed): the
    // POST would be lost on it and its outcome unknown for nothing. Two turns of the loop let the
    // close be read and the connection be destroyed and dropped first (undici waits likewise).
    await nextTurn();
    await nextTurn();
    const left = Math.max(1, Math.round(deadline - performance.now()));
    const exchange = await this.#exchange(`${this.#prefix}${request.path}${query}`, request.method, pair, body, left);
    if (exchange.kind === 'failed')
      return { kind: 'unknown', timedOut: exchange.timedOut, reason: exchange.timedOut ? `no answer within ${request.timeoutMs} ms` : exchange.reason };
    // A 401 is refused before anything is done: with the keys read again (a rotated token or key,
    // if that is due), the request is sent once more, even a POST, if a quarter of its time is
    // still left; else the refusal stands (nothing was done), rather than a re-send with no time
    // to be answered in, whose outcome would be unknown.
    if (exchange.status === 401 && !again && (await this.credentials.reread?.()) && deadline - performance.now() >= request.timeoutMs / 4)
      return this.#send(request, deadline, true);
    const ok = exchange.status >= 200 && exchange.status < 300;
    const read = exchange.kind === 'answered' ? readJson(exchange.body) : undefined;
    // The answer was cut off or is not JSON: for a 2xx, what was done is not known.
    if (read === undefined && (ok || exchange.status >= 500)) {
      return { kind: 'unknown', timedOut: exchange.kind === 'cut' && exchange.timedOut, reason: `unreadable answer (HTTP ${exchange.status})` };
    }
    const json = read?.json;
    if (ok) return { kind: 'ok', status: exchange.status, json: (json ?? {}) as Record<string, unknown> };
    if (exchange.status >= 500) return { kind: 'unknown', timedOut: false, reason: `HTTP ${exchange.status}` };
    return refusal(exchange.status, json, exchange.retryAfter);
  }

  /** One request and its whole answer, within `timeoutMs`. */
  #exchange(
    path: string,
    method: 'GET' | 'POST',
    pair: { readonly username: string; readonly password: string },
    body: string | undefined,
    timeoutMs: number,
  ): Promise<Exchange> {
    return new Promise((resolve) => {
      let timedOut = false;
      let answer: IncomingMessage | undefined;
      const chunks: Buffer[] = [];
      let req: ClientRequest;
      try {
        req = this.#request(
          {
            ...this.#target,
            path,
            method,
            headers: {
              Authorization: `Basic ${Buffer.from(`${pair.username}:${pair.password}`).toString('base64')}`,
              Accept: 'application/json',
              'User-Agent': 'taskrouter-reservations (connected mode)',
              ...(body !== undefined && { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) }),
            },
          },
          (res) => {
            answer = res;
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => {
              clearTimeout(timer);
              resolve({ kind: 'answered', status: res.statusCode ?? 0, retryAfter: retryAfterOf(res), body: Buffer.concat(chunks).toString('utf8') });
            });
            res.on('error', () => undefined);
          },
        );
      } catch (error) {
        // Refused by node:http before anything was sent (a path or a header it will not write).
        resolve({ kind: 'failed', timedOut: false, reason: `not sent: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` });
        return;
      }
      const timer = setTimeout(() => {
        timedOut = true;
        req.destroy();
      }, timeoutMs);
      // Whatever ends the exchange before the answer's end: a refused or dropped connection, the time-out.
      req.on('close', () => {
        clearTimeout(timer);
        if (answer === undefined) resolve({ kind: 'failed', timedOut, reason: 'connection closed' });
        else if (!answer.complete) resolve({ kind: 'cut', status: answer.statusCode ?? 0, retryAfter: retryAfterOf(answer), timedOut });
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (answer === undefined) resolve({ kind: 'failed', timedOut, reason: error.code ?? error.message });
      });
      req.end(body);
    });
  }

  /** Closes the kept-alive connections (a process that ends, a test). */
  close(): void {
    this.#agent.destroy();
  }
}

/**
 * Twilio's not-pending answer to an update of a reservation that has left pending: a 400 known by
 * its message, since Twilio documents no error code for it.
 */
export function isNotPending(answer: UpstreamAnswer): boolean {
  return (
    answer.kind === 'refused' && answer.status === 400 && /not (currently )?in (a |an )?pending state|not in expected state \[pending\]/i.test(answer.message)
  );
}
