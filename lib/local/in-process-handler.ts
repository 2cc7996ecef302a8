/**
 * The AWS SDK's way to the embedded engine without a socket: each signed request goes straight to
 * dynalite's own HTTP request listener, in this process, and its answer comes back as the SDK's
 * response. Everything the SDK and the engine do is the same as over HTTP (serializing, signing,
 * validating, the JSON on both sides); only the loopback connection is gone, and with it the
 * kernel's copies and the HTTP parsing on both ends, which cost more than the engine's own work
 * for a large answer (a page of 200 reservations) on a small machine.
 *
 * The engine still listens on its port (DYNAMODB endpoint for tools, ensureTable): the same data.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Underway } from '../domain/in-flight.ts';
import { HttpResponse, type HttpHandler, type HttpHandlerOptions, type HttpRequest } from '@smithy/protocol-http';

/** What dynalite uses of a request and a response: the listener reads nothing else. */
export type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

function pathOf(request: HttpRequest): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(request.query ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) if (v !== null && v !== undefined) query.append(name, v);
  }
  const text = query.toString();
  return text ? `${request.path}?${text}` : request.path;
}

/** A view of the bytes (Buffer.from(array) would ask the SDK's body adapter for its string). */
const bytesOf = (body: Uint8Array): Buffer => Buffer.from(body.buffer, body.byteOffset, body.byteLength);

function abortError(): Error {
  const error = new Error('Request aborted');
  error.name = 'AbortError';
  return error;
}

export class InProcessHandler implements HttpHandler {
  #closed = false;
  /** Calls inside the engine: taken by its listener, not answered yet. */
  readonly #working = new Underway();

  constructor(private readonly listener: RequestListener) {}

  /**
   * The engine is closing: later calls fail as a refused connection would, never reach its closed
   * store. Resolves once the calls already inside the engine are answered: within one call the
   * engine reads and then writes (UpdateItem), and a store closed between the two fails the write
   * inside the engine, where no caller can catch it.
   */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#working.idle();
  }

  handle(request: HttpRequest, options: HttpHandlerOptions = {}): Promise<{ response: HttpResponse }> {
    // The SDK passes the standard AbortSignal (its own older type is a subset).
    const abortSignal = options.abortSignal as AbortSignal | undefined;
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(Object.assign(new Error('connect ECONNREFUSED: the embedded engine is closed'), { code: 'ECONNREFUSED' }));
      if (abortSignal?.aborted) return reject(abortError());
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
      const incoming = Object.assign(new EventEmitter(), { method: request.method, url: pathOf(request), headers });
      const answer: Record<string, string> = {};
      let settled = false;
      // An aborted call is settled at once, but the engine still finishes it: counted until it answers.
      let leave!: () => void;
      void this.#working.add(
        new Promise<void>((resolve) => {
          leave = resolve;
        }),
      );
      const onAbort = () => {
        if (settled) return;
        settled = true;
        reject(abortError());
      };
      const fail = (error: unknown) => {
        leave();
        if (settled) return;
        settled = true;
        reject(error instanceof Error ? error : new Error(String(error)));
      };
      const outgoing = {
        statusCode: 200,
        setHeader(name: string, value: string | number) {
          answer[name.toLowerCase()] = String(value);
        },
        end(body?: string | Buffer) {
          leave();
          if (settled) return;
          settled = true;
          abortSignal?.removeEventListener('abort', onAbort);
          const bytes = body === undefined ? Buffer.alloc(0) : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
          resolve({ response: new HttpResponse({ statusCode: outgoing.statusCode, headers: answer, body: bytes }) });
        },
      };
      abortSignal?.addEventListener('abort', onAbort, { once: true });
      try {
        this.listener(incoming as unknown as IncomingMessage, outgoing as unknown as ServerResponse);
      } catch (error) {
        return fail(error);
      }
      const body = request.body as string | Uint8Array | undefined;
      // As a socket would: the body after the listener has subscribed, on a later turn.
      setImmediate(() => {
        try {
          if (body !== undefined && body.length > 0) incoming.emit('data', typeof body === 'string' ? Buffer.from(body, 'utf8') : bytesOf(body));
          incoming.emit('end');
        } catch (error) {
          fail(error);
        }
      });
    });
  }

  updateHttpClientConfig(): void {
    // Nothing to configure: there is no connection.
  }

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  destroy(): void {
    // Nothing to release.
  }
}
