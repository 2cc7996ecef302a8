/**
 * How the bundles' AWS clients reach AWS (README.md beside this file says why they exist): HTTP/1.1
 * over kept-alive connections, with the two bounds of the SDK's NodeHttpHandler, which a client's
 * `requestHandler` options set as they set the SDK's:
 * - `connectionTimeout`: a socket that has not connected by then is destroyed, a TimeoutError;
 * - `requestTimeout`: a request not answered (its status and headers) by then is destroyed, a
 *   TimeoutError (with `throwOnRequestTimeout`; without it, as with the SDK, only a warning).
 * The answer's body is handed back as the stream it is, for the client to read.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { HttpRequest, HttpResponse, RequestHandler } from './core.ts';
import { escapeUri } from './sigv4.ts';

export interface HttpHandlerOptions {
  readonly connectionTimeout?: number;
  readonly requestTimeout?: number;
  readonly throwOnRequestTimeout?: boolean;
}

const timeoutError = (message: string, code?: string): Error => Object.assign(new Error(message), { name: 'TimeoutError', ...(code && { code }) });

export class BoundedHttpHandler implements RequestHandler {
  readonly #http = new HttpAgent({ keepAlive: true, maxSockets: 50 });
  readonly #https = new HttpsAgent({ keepAlive: true, maxSockets: 50 });
  constructor(private readonly options: HttpHandlerOptions = {}) {}

  handle(request: HttpRequest, { abortSignal }: { abortSignal?: AbortSignal } = {}): Promise<{ response: HttpResponse }> {
    const secure = request.protocol === 'https:';
    // Encoded as the signature encodes it (RFC 3986: a space is %20, not +).
    const search = Object.entries(request.query)
      .map(([name, value]) => `${escapeUri(name)}=${escapeUri(value)}`)
      .join('&');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) if (name.toLowerCase() !== 'content-length') headers[name] = value;
    headers['content-length'] = String(Buffer.byteLength(request.body));
    return new Promise((resolve, reject) => {
      if (abortSignal?.aborted) return reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' }));
      const timers: NodeJS.Timeout[] = [];
      let settled = false;
      const settle = (finish: () => void) => {
        if (settled) return;
        settled = true;
        for (const timer of timers) clearTimeout(timer);
        finish();
      };
      const send = secure ? httpsRequest : httpRequest;
      const req = send(
        {
          protocol: request.protocol,
          // An IPv6 address without its URL brackets.
          hostname: request.hostname.replace(/^\[(.*)\]$/, '$1'),
          ...(request.port !== undefined && { port: request.port }),
          method: request.method,
          path: search ? `${request.path}?${search}` : request.path,
          headers,
          agent: secure ? this.#https : this.#http,
        },
        (res) => {
          const headers: Record<string, string | undefined> = {};
          for (const [name, value] of Object.entries(res.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
          settle(() => resolve({ response: { statusCode: res.statusCode ?? 0, headers, body: res } }));
        },
      );
      req.on('error', (error) => settle(() => reject(error)));
      const { connectionTimeout, requestTimeout, throwOnRequestTimeout } = this.options;
      if (connectionTimeout) {
        const timer = setTimeout(() => {
          req.destroy();
          settle(() => reject(timeoutError(`the request socket did not establish a connection with the server within ${connectionTimeout} ms`)));
        }, connectionTimeout);
        timers.push(timer);
        req.on('socket', (socket) => {
          if (socket.connecting) socket.once('connect', () => clearTimeout(timer));
          else clearTimeout(timer);
        });
      }
      if (requestTimeout) {
        timers.push(
          setTimeout(() => {
            const message = `a request has exceeded the configured ${requestTimeout} ms requestTimeout`;
            if (!throwOnRequestTimeout) {
              console.warn(`[WARN] ${message}`);
              return;
            }
            const error = timeoutError(message, 'ETIMEDOUT');
            req.destroy(error);
            settle(() => reject(error));
          }, requestTimeout),
        );
      }
      if (abortSignal) {
        const onAbort = () => {
          const error = Object.assign(new Error('Request aborted'), { name: 'AbortError' });
          req.destroy(error);
          settle(() => reject(error));
        };
        abortSignal.addEventListener('abort', onAbort, { once: true });
        req.once('close', () => abortSignal.removeEventListener('abort', onAbort));
      }
      req.end(request.body);
    });
  }

  destroy(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}

/** Under the SDK's name, for the test project that runs the store's faults through these clients (vitest.config.ts). */
export { BoundedHttpHandler as NodeHttpHandler };
