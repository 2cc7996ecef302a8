/**
 * The REST API of this service, asked from the page's own origin with HTTP Basic auth: no cookie,
 * no new auth surface. Errors are Twilio's JSON; the console shows their `message`.
 */
import type { Session } from './session.ts';

export class ApiError extends Error {
  constructor(
    /** The HTTP status; 0 when the API could not be reached. */
    readonly status: number,
    message: string,
    readonly code?: number,
    /** Retry-After, in seconds (429, 503). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export interface ApiResult<T> {
  readonly body: T;
  readonly etag: string | null;
}

/**
 * Where the API is: the page is `<base>/console`, and the API is `<base>/v1/…` on the same origin
 * (PUBLIC_BASE_URL may carry a path prefix behind a proxy).
 */
export const API_BASE = location.pathname.replace(/\/console\/?$/, '');

/**
 * An API URL as the page may fetch it: Twilio's page URLs are absolute under PUBLIC_BASE_URL. The
 * service's own resources are under `/lifecycle/v1/`, Twilio's under `/v1/`: the longer prefix is
 * looked for first, so that a lifecycle URL keeps its `/lifecycle`.
 */
export function apiPath(url: string): string {
  const lifecycle = url.indexOf('/lifecycle/v1/');
  const at = lifecycle === -1 ? url.indexOf('/v1/') : lifecycle;
  return at === -1 ? url : `${API_BASE}${url.slice(at)}`;
}

function basic(session: Session): string {
  const bytes = new TextEncoder().encode(`${session.username}:${session.secret}`);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return `Basic ${btoa(binary)}`;
}

export interface RequestOptions {
  readonly method?: 'GET' | 'POST';
  readonly body?: URLSearchParams;
  readonly ifMatch?: string;
  readonly signal?: AbortSignal;
}

export class Api {
  readonly #authorization: string;

  constructor(
    session: Session,
    /** Called with the API's message on any 401: the console signs out. */
    private readonly onUnauthorized: (message: string) => void,
  ) {
    this.#authorization = basic(session);
  }

  /** `path` starts at `/v1/` (Twilio's resources) or `/lifecycle/v1/` (this service's own). */
  async request<T>(path: string, options: RequestOptions = {}): Promise<ApiResult<T>> {
    const headers: Record<string, string> = { Authorization: this.#authorization, Accept: 'application/json' };
    if (options.ifMatch !== undefined) headers['If-Match'] = options.ifMatch;
    let response: Response;
    try {
      response = await fetch(apiPath(path), {
        method: options.method ?? 'GET',
        headers,
        ...(options.body && { body: options.body }),
        // 'omit': a 401 never opens the browser's own sign-in prompt, and no cookie is ever sent.
        credentials: 'omit',
        cache: 'no-store',
        ...(options.signal && { signal: options.signal }),
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new ApiError(0, 'Cannot reach the API (is the service running, and is this the page it serves)');
    }
    const text = await response.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // Not Twilio's JSON: described by its status below.
    }
    if (response.status === 401) {
      const message = (json as { message?: string } | null)?.message ?? 'Authentication Error';
      this.onUnauthorized(message);
      throw new ApiError(401, message, 20003);
    }
    if (!response.ok) {
      const error = json as { message?: unknown; code?: unknown } | null;
      const message = typeof error?.message === 'string' ? error.message : `The API answered ${response.status} ${response.statusText}`.trim();
      const retryAfter = Number(response.headers.get('Retry-After'));
      throw new ApiError(response.status, message, typeof error?.code === 'number' ? error.code : undefined, retryAfter > 0 ? retryAfter : undefined);
    }
    return { body: json as T, etag: response.headers.get('ETag') };
  }

  async get<T>(path: string, signal?: AbortSignal): Promise<ApiResult<T>> {
    return this.request<T>(path, signal ? { signal } : {});
  }

  /** Every item of a list, following `next_page_url` (at most `maxPages` pages). */
  async list<T>(path: string, key: string, signal: AbortSignal, maxPages = 10): Promise<T[]> {
    return (await this.listUpTo<T>(path, key, signal, maxPages)).items;
  }

  /** A list's items, up to `maxPages` pages; `complete` false when a page still linked onward. */
  async listUpTo<T>(path: string, key: string, signal: AbortSignal, maxPages = 10): Promise<{ items: T[]; complete: boolean }> {
    const items: T[] = [];
    let next: string | null = path;
    for (let page = 0; next !== null && page < maxPages; page++) {
      const result: ApiResult<Record<string, unknown>> = await this.get<Record<string, unknown>>(next, signal);
      items.push(...((result.body[key] as T[] | undefined) ?? []));
      const url: string | null | undefined = (result.body['meta'] as { next_page_url?: string | null } | undefined)?.next_page_url;
      next = url ? apiPath(url) : null;
    }
    return { items, complete: next === null };
  }
}
