/**
 * The upstream TaskRouter (connected mode, SPEC §12), as this service calls it: `fetch` with a
 * bounded time, the account's own credentials, and one place that says what an answer means.
 * Nothing here repeats a POST: an accept is not idempotent at Twilio (a second one is a 400),
 * and only a 429 is known not to have been processed; a time-out, a dropped connection or a 5xx
 * leaves the outcome unknown, for the caller to settle by reading.
 */
import type { Credentials } from '../credentials.ts';

/** A POST waits this long; the update function's own timeout (10 s) leaves room to settle by a GET. */
export const FORWARD_TIMEOUT_MS = 5_000;
export const READ_TIMEOUT_MS = 3_000;

export type UpstreamAnswer =
  /** 2xx: the JSON Twilio answered. */
  | { readonly kind: 'ok'; readonly status: number; readonly json: Record<string, unknown> }
  /** A 4xx (429 included): Twilio's error, known not to have changed anything but for what it says. */
  | { readonly kind: 'refused'; readonly status: number; readonly code: number; readonly message: string; readonly moreInfo: string | undefined; readonly retryAfter: string | undefined }
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

export class HttpTaskRouterUpstream implements TaskRouterUpstream {
  constructor(
    readonly baseUrl: string,
    private readonly credentials: Pick<Credentials, 'upstreamPair'>,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async send(request: UpstreamRequest): Promise<UpstreamAnswer> {
    const pair = await this.credentials.upstreamPair(request.accountSid);
    if (!pair) return { kind: 'unknown', timedOut: false, reason: `no credentials for account ${request.accountSid}` };
    const query = request.query && request.query.length > 0 ? `?${new URLSearchParams(request.query as [string, string][])}` : '';
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.baseUrl}${request.path}${query}`, {
        method: request.method,
        headers: {
          Authorization: `Basic ${Buffer.from(`${pair.username}:${pair.password}`).toString('base64')}`,
          Accept: 'application/json',
          'User-Agent': 'taskrouter-reservations (connected mode)',
          ...(request.form && { 'Content-Type': 'application/x-www-form-urlencoded' }),
        },
        ...(request.form && { body: new URLSearchParams(request.form as [string, string][]).toString() }),
        signal: AbortSignal.timeout(request.timeoutMs),
        redirect: 'manual',
      });
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      const timedOut = e.name === 'TimeoutError';
      return { kind: 'unknown', timedOut, reason: timedOut ? `no answer within ${request.timeoutMs} ms` : (e.cause?.code ?? e.message) };
    }
    let body: unknown;
    try {
      const text = await response.text();
      body = text === '' ? undefined : JSON.parse(text);
    } catch (error) {
      // The answer was cut off or is not JSON: for a 2xx, what was done is not known.
      if (response.ok || response.status >= 500) return { kind: 'unknown', timedOut: (error as Error).name === 'TimeoutError', reason: `unreadable answer (HTTP ${response.status})` };
      body = undefined;
    }
    if (response.ok) return { kind: 'ok', status: response.status, json: (body ?? {}) as Record<string, unknown> };
    if (response.status >= 500) return { kind: 'unknown', timedOut: false, reason: `HTTP ${response.status}` };
    return refusal(response.status, body, response.headers.get('retry-after') ?? undefined);
  }
}

/** Twilio's not-pending answer to an update of a reservation that has left pending (notes §1.4). */
export function isNotPending(answer: UpstreamAnswer): boolean {
  return answer.kind === 'refused' && answer.status === 400 && /not (currently )?in (a |an )?pending state|not in expected state \[pending\]/i.test(answer.message);
}
