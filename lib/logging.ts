/**
 * Structured JSON logs (Powertools) that never carry PII in clear: every field the update-parameter
 * table (lib/domain/parameters.ts) or the field registry (lib/domain/fields.ts) marks PII, and
 * credentials and signatures, are replaced wherever they appear in a log item, in any spelling
 * (PascalCase, camelCase, snake_case). Messages are constant strings; what varies goes in keys,
 * where this replacer sees it.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { FIELDS, fieldKey } from './domain/fields.ts';
import { PARAMETERS } from './domain/parameters.ts';

export const SERVICE_NAME = 'taskrouter-reservations';
export const REDACTED = '[REDACTED]';

/** Secrets a log item must never show, whatever the request carried. */
const CREDENTIALS = ['Authorization', 'X-Twilio-Signature', 'Signature', 'Password', 'AuthToken', 'Token', 'Secret'];

export const SENSITIVE_KEYS: ReadonlySet<string> = new Set(
  [
    ...PARAMETERS.filter((p) => p.pii).flatMap((p) => [p.name, ...(p.aliases ?? []), ...(p.callbackKey ? [p.callbackKey] : [])]),
    ...Object.entries(FIELDS)
      .filter(([, spec]) => spec.pii)
      .map(([name]) => name),
    ...CREDENTIALS,
  ].map(fieldKey),
);

export function redactSensitive(key: string, value: unknown): unknown {
  return key !== '' && SENSITIVE_KEYS.has(fieldKey(key)) && value !== undefined ? REDACTED : value;
}

/**
 * How every handler injects the Lambda context. `logEvent` is set false explicitly: Powertools
 * would otherwise log whole events (form bodies with phone numbers, source IPs) whenever
 * POWERTOOLS_LOGGER_LOG_EVENT is true.
 */
export const LOG_CONTEXT = { resetKeys: true, logEvent: false } as const;

export function createLogger(): Logger {
  return new Logger({ serviceName: SERVICE_NAME, jsonReplacerFn: redactSensitive });
}
