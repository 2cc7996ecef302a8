/**
 * How every store call is sent, and what a failed one means to a client: throttling is a 429 and
 * an unreachable or failing store a 503, both with Retry-After; an item past DynamoDB's 400 KB
 * limit is what the caller says it means (by default, the task's: Twilio's 400 naming the limit).
 * A failed condition is not translated: it is an answer for the adapter that sent it to read
 * (conditional-write.ts).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ServiceUnavailableError, TaskLimitError, TooManyRequestsError } from '../domain/errors.ts';

const THROTTLED = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'LimitExceededException']);
const UNAVAILABLE = new Set([
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServerError',
  'InternalFailure',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'AbortError',
]);
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

/** What an item past DynamoDB's 400 KB item size limit means where it is written. */
export type TooLarge = () => Error;

/** The task item, which most writes change: its reservations and their instructions fill it. */
const TASK_TOO_LARGE: TooLarge = () =>
  new TaskLimitError('The task holds too many reservations or instructions to store this change (DynamoDB item size limit)');

/** The client-facing error for a store failure, or the error itself when it is none of those. */
export function translateStoreError(error: unknown, tooLarge: TooLarge = TASK_TOO_LARGE): unknown {
  const e = error as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  if (e.name !== undefined && THROTTLED.has(e.name)) return new TooManyRequestsError(1);
  if ((e.name !== undefined && UNAVAILABLE.has(e.name)) || (e.code !== undefined && NETWORK.has(e.code)) || (e.$metadata?.httpStatusCode ?? 0) >= 500) {
    return new ServiceUnavailableError(1);
  }
  if (e.name === 'ValidationException' && /item size/i.test(e.message ?? '')) return tooLarge();
  return error;
}

/** Sends one command; a failure is the client-facing error, except a failed condition (the caller's to judge). */
export async function send<T>(client: DynamoDBDocumentClient, command: object, tooLarge?: TooLarge): Promise<T> {
  try {
    return (await client.send(command as never)) as T;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) throw error;
    throw translateStoreError(error, tooLarge);
  }
}
