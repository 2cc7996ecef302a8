/**
 * Twilio Event Streams' TaskRouter events (CloudEvents 1.0, as its Kinesis sink delivers them)
 * read as the event callbacks' form fields, so that the same mirror (mirror.ts) applies them:
 * `type` `com.twilio.taskrouter.<event type>` is the EventType, and `data.payload`'s snake_case,
 * typed fields become the callback's PascalCase, text ones (`task_sid` → TaskSid, `task_age: 3` →
 * TaskAge=3, an ISO `timestamp` → Timestamp and TimestampMs). Pure: nothing here reads the store.
 *
 * Event Streams delivers at least once, and duplicates share the CloudEvent `id` (Twilio's
 * documented dedupe key): the consumer keys its dedupe marker on it (lib/store/cloud-event-items.ts).
 */
import type { Params } from '../domain/parameters.ts';
import { canonicalSid } from '../domain/sid.ts';
import { MIRRORED_EVENT_TYPES } from './mirror.ts';

export const TASKROUTER_TYPE_PREFIX = 'com.twilio.taskrouter.';

/** The longest CloudEvent id kept as a key (Twilio's are SIDs); longer is refused as malformed. */
const MAX_ID_LENGTH = 128;

export type StreamedEvent =
  /** A TaskRouter event the mirror applies: the callback's fields, its account and the dedupe key. */
  | {
      readonly kind: 'mirror';
      readonly id: string;
      readonly accountSid: string;
      readonly workspaceSid: string;
      readonly eventType: string;
      readonly params: Params;
    }
  /** Not a TaskRouter event, or one the mirror does not apply (task.created, worker.*…): skipped. */
  | { readonly kind: 'ignored'; readonly type: string }
  /** Not a CloudEvent of the expected shape: `problem` names what is wrong, never a value (it may be PII). */
  | { readonly kind: 'malformed'; readonly problem: string };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `task_queue_sid` → `TaskQueueSid`: the callback's name of an Event Streams payload field. */
export function callbackFieldName(snake: string): string {
  return snake
    .split('_')
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}

/** A payload value as the callback's form carries it: text; numbers and booleans as written; objects as JSON. */
function formValue(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** One parsed CloudEvent (an element of a Kinesis record's JSON) → what the consumer does with it. */
export function readStreamedEvent(event: unknown): StreamedEvent {
  if (!isObject(event)) return { kind: 'malformed', problem: 'not a JSON object' };
  const { type, id, data } = event;
  if (typeof type !== 'string' || type === '') return { kind: 'malformed', problem: 'no CloudEvent type' };
  if (!type.startsWith(TASKROUTER_TYPE_PREFIX)) return { kind: 'ignored', type };
  const eventType = type.slice(TASKROUTER_TYPE_PREFIX.length);
  if (!MIRRORED_EVENT_TYPES.has(eventType)) return { kind: 'ignored', type };
  if (typeof id !== 'string' || id === '' || id.length > MAX_ID_LENGTH) return { kind: 'malformed', problem: 'no CloudEvent id' };
  if (!isObject(data) || !isObject(data['payload'])) return { kind: 'malformed', problem: 'no data.payload' };
  const payload = data['payload'];

  const fields = new Map<string, string[]>();
  for (const [name, value] of Object.entries(payload)) {
    const text = formValue(value);
    if (text !== undefined) fields.set(callbackFieldName(name), [text]);
  }
  // The payload says `eventtype`; the CloudEvent's type is the one Twilio routes by, and they agree.
  fields.delete('Eventtype');
  const payloadType = payload['eventtype'];
  if (payloadType !== undefined && payloadType !== eventType) return { kind: 'malformed', problem: 'data.payload.eventtype differs from the CloudEvent type' };
  fields.set('EventType', [eventType]);

  // The callback's account is the payload's; a wrapper-only account (subaccount events) is taken from data.
  const accountSid = canonicalSid(formValue(payload['account_sid']) ?? formValue(data['account_sid']), 'AC');
  if (accountSid === undefined) return { kind: 'malformed', problem: 'no account_sid' };
  fields.set('AccountSid', [accountSid]);
  const workspaceSid = canonicalSid(formValue(payload['workspace_sid']), 'WS');
  if (workspaceSid === undefined) return { kind: 'malformed', problem: 'no workspace_sid' };

  // Event Streams' timestamps are ISO 8601 with milliseconds; the callback's are epoch seconds and ms.
  const timestampMs = Date.parse(formValue(payload['timestamp']) ?? formValue(data['timestamp']) ?? formValue(event['time']) ?? '');
  fields.delete('Timestamp');
  if (Number.isFinite(timestampMs)) {
    fields.set('Timestamp', [String(Math.floor(timestampMs / 1000))]);
    fields.set('TimestampMs', [String(timestampMs)]);
  }
  return { kind: 'mirror', id, accountSid, workspaceSid, eventType, params: fields };
}

/**
 * A Kinesis record's data → the CloudEvents in it: one CloudEvent, or a JSON array of them (the
 * framing of Twilio's Kinesis sink is unverified; its webhook sink batches as an array).
 */
export function readKinesisData(data: string): { readonly events: readonly unknown[] } | { readonly problem: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
  } catch {
    return { problem: 'the record is not JSON' };
  }
  return { events: Array.isArray(parsed) ? parsed : [parsed] };
}
