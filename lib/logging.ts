/**
 * Structured JSON logs (Powertools) that never carry PII in clear (SPEC §9): the values of the
 * parameters the table marks PII (by wire name and by callback key), attributes, contact URIs,
 * credentials and signatures are replaced wherever they appear in a log item. Messages are
 * constant strings; what varies goes in keys, where this replacer sees it.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { PARAMETERS } from './domain/parameters.ts';

export const SERVICE_NAME = 'taskrouter-reservations';
export const REDACTED = '[REDACTED]';

export const SENSITIVE_KEYS: ReadonlySet<string> = new Set(
  [
    ...PARAMETERS.filter((p) => p.pii).flatMap((p) => [p.name, ...(p.aliases ?? []), ...(p.callbackKey ? [p.callbackKey] : [])]),
    'contact_uri',
    'contactUri',
    'attributes',
    'TaskAttributes',
    'WorkerAttributes',
    'taskAttributes',
    'workerAttributes',
    'authorization',
    'x-twilio-signature',
    'signature',
    'password',
    'authToken',
    'token',
    'secret',
  ].map((k) => k.toLowerCase()),
);

export function redactSensitive(key: string, value: unknown): unknown {
  return key !== '' && SENSITIVE_KEYS.has(key.toLowerCase()) && value !== undefined ? REDACTED : value;
}

export function createLogger(): Logger {
  return new Logger({ serviceName: SERVICE_NAME, jsonReplacerFn: redactSensitive });
}
