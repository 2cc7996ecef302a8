/**
 * Fault injection at the DynamoDB client, below the SDK (its HTTP handler), so that the SDK's own
 * retries, timeouts and error parsing run as they would against a failing DynamoDB.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { HttpResponse, type HttpHandler, type HttpRequest } from '@smithy/protocol-http';
import { BOUNDED_REQUESTS } from '#lib/store/client.ts';

/** The HTTP handler a client builds from the store's bounds, made here for faults to wrap. */
export function boundedHttpHandler(): HttpHandler {
  return new NodeHttpHandler(BOUNDED_REQUESTS);
}

export type Fault =
  /** DynamoDB's 400 ProvisionedThroughputExceededException. */
  | 'throttle'
  /** A 503 ServiceUnavailable. */
  | 'unavailable'
  /** The request goes to a server that never answers: the SDK's request timeout decides. */
  | 'hang'
  /** The call reaches the store, then the process dies before it sees the answer. */
  | 'crash-after'
  /** The call reaches the store, but its answer is lost: a 500 InternalServerError, which the SDK sends again. */
  | 'lost-answer';

/** What a process dying looks like to the code running in it: nothing after this runs. */
export class ProcessCrash extends Error {
  override readonly name = 'ProcessCrash';
}

export interface StoreCall {
  readonly number: number;
  /** The DynamoDB operation, e.g. UpdateItem. */
  readonly operation: string;
  /** The request's JSON body: a plan may pick the calls that name one item (its key's SIDs). */
  readonly body: string;
}

function errorResponse(status: number, type: string, message: string): HttpResponse {
  const body = JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message });
  return new HttpResponse({
    statusCode: status,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': `${type}:`, 'content-length': String(Buffer.byteLength(body)) },
    body: Readable.from([Buffer.from(body)]),
  });
}

/** A TCP server that accepts connections and never answers. */
export async function blackHole(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  return body instanceof Uint8Array ? Buffer.from(body).toString('utf8') : '';
}

export class FaultInjector {
  /** Every store call the SDK sent (retries included), in order. */
  readonly calls: StoreCall[] = [];
  /** Faults injected since the last reset, and in all. */
  injected = 0;
  totalInjected = 0;
  #plan: (call: StoreCall) => Fault | undefined = () => undefined;

  constructor(private readonly blackHolePort?: number) {}

  /** Decides, for each call, which fault (if any) it meets. */
  plan(plan: (call: StoreCall) => Fault | undefined): this {
    this.#plan = plan;
    return this;
  }

  reset(): this {
    this.calls.length = 0;
    this.injected = 0;
    this.#plan = () => undefined;
    return this;
  }

  readonly wrap = (inner: HttpHandler): HttpHandler => {
    const handle = async (request: HttpRequest, options?: Parameters<HttpHandler['handle']>[1]) => {
      const call = {
        number: this.calls.length + 1,
        operation:
          String(request.headers['x-amz-target'] ?? '')
            .split('.')
            .pop() ?? '',
        body: bodyText(request.body),
      };
      this.calls.push(call);
      const fault = this.#plan(call);
      if (fault !== undefined) {
        this.injected++;
        this.totalInjected++;
      }
      if (fault === 'throttle')
        return {
          response: errorResponse(400, 'ProvisionedThroughputExceededException', 'The level of configured provisioned throughput for the table was exceeded.'),
        };
      if (fault === 'unavailable') return { response: errorResponse(503, 'ServiceUnavailable', 'Service unavailable') };
      if (fault === 'hang') {
        if (this.blackHolePort === undefined) throw new Error('a hang needs a black hole');
        return inner.handle({ ...request, hostname: '127.0.0.1', port: this.blackHolePort } as HttpRequest, options);
      }
      const result = await inner.handle(request, options);
      if (fault === 'lost-answer') {
        (result.response.body as Readable | undefined)?.resume?.();
        return { response: errorResponse(500, 'InternalServerError', 'Internal server error') };
      }
      if (fault === 'crash-after') {
        // Drain the answer the dead process never reads, so the connection can be reused.
        const body = result.response.body as Readable | undefined;
        if (body && typeof body.resume === 'function') body.resume();
        throw new ProcessCrash(`the process died after store call ${call.number} (${call.operation})`);
      }
      return result;
    };
    return {
      metadata: (inner as { metadata?: unknown }).metadata,
      handle,
      updateHttpClientConfig: (key: never, value: never) => inner.updateHttpClientConfig(key, value),
      httpHandlerConfigs: () => inner.httpHandlerConfigs(),
      destroy: () => inner.destroy?.(),
    } as HttpHandler;
  };
}
