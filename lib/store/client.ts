import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { HttpHandler } from '@smithy/protocol-http';

/**
 * Bounded so that an assignment callback answers inside Twilio's 5 seconds even when the store
 * is slow or unreachable: every attempt gives up after STORE_REQUEST_TIMEOUT_MS, and there are at
 * most STORE_MAX_ATTEMPTS of them (the SDK's standard backoff in between). The function's own
 * timeout (lib/functions.ts) ends a request whose calls together would still overrun, with a 503.
 */
export const STORE_MAX_ATTEMPTS = 3;
export const STORE_CONNECTION_TIMEOUT_MS = 500;
export const STORE_REQUEST_TIMEOUT_MS = 1_000;

export interface DocumentClientOptions {
  /** A local engine's URL; unset means AWS (region and credentials from the environment). */
  readonly endpoint?: string | undefined;
  readonly region?: string | undefined;
  /**
   * How requests reach the engine: by default the SDK's own handler, bounded as above (the
   * embedded engine: in this process; a test: faults put between the SDK and the store).
   */
  readonly handler?: HttpHandler | undefined;
}

/** The document client the store uses: one per container. */
export function createDocumentClient(options: DocumentClientOptions = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(createDynamoDbClient(options), { marshallOptions: { removeUndefinedValues: true } });
}

/**
 * The bounds of each attempt of every AWS client on a request's path (the store, Secrets Manager
 * for the auth token, Scheduler for a reservation's timer, the bus), so that a stalled service is
 * an error the caller answers (a 503), not the function's own timeout. Given as the options of
 * the client's HTTP handler, which the client builds: the SDK its NodeHttpHandler, a bundle's own
 * client (infra/shims/aws-sdk) its handler with the same bounds.
 */
export const BOUNDED_REQUESTS = Object.freeze({
  connectionTimeout: STORE_CONNECTION_TIMEOUT_MS,
  requestTimeout: STORE_REQUEST_TIMEOUT_MS,
  // Without it the request timeout only logs a warning and the attempt waits on: a stalled
  // connection would hold the request until the function's own timeout, with no retry.
  throwOnRequestTimeout: true,
} as const);

/** The bounds of an AWS client beside the store's: bounded attempts, at most STORE_MAX_ATTEMPTS of them. */
export function boundedClientConfig(): { readonly maxAttempts: number; readonly requestHandler: typeof BOUNDED_REQUESTS } {
  return { maxAttempts: STORE_MAX_ATTEMPTS, requestHandler: BOUNDED_REQUESTS };
}

/** The low-level client under it, with the same bounds. */
export function createDynamoDbClient(options: DocumentClientOptions = {}): DynamoDBClient {
  return new DynamoDBClient({
    region: options.region ?? process.env['AWS_REGION'] ?? 'us-east-1',
    maxAttempts: STORE_MAX_ATTEMPTS,
    requestHandler: options.handler ?? BOUNDED_REQUESTS,
    ...(options.endpoint !== undefined && {
      endpoint: options.endpoint,
      // Local engines accept any credentials; these keep the SDK from looking for real ones.
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  });
}
