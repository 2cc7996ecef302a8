/**
 * Every parameter of a Reservation update, declared once (names and types from Twilio's OpenAPI
 * body of 54 parameters; defaults, requirements and PII marks from the tables of Twilio's
 * Reservations API documentation). The REST update, the assignment-callback instructions, the
 * assignment policy's validation and the log redaction all read this table.
 */
import { InvalidParameterError } from './errors.ts';
import { RESERVATION_STATUSES } from './state-machine.ts';
import { canonicalSid, type SidPrefix } from './sid.ts';

/** A value of an instruction parameter after validation. */
export type ParameterValue = string | number | boolean | readonly string[];

export const INSTRUCTION_NAMES = ['accept', 'reject', 'conference', 'dequeue', 'call', 'redirect', 'supervise'] as const;
export type InstructionName = (typeof INSTRUCTION_NAMES)[number];

export type ParameterType =
  | { readonly kind: 'string' }
  | { readonly kind: 'integer'; readonly min: number; readonly max: number }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'sid'; readonly prefix: SidPrefix }
  /** `orEmpty`: an empty value is one too (a conference's WaitUrl: no hold music, as Twilio takes it). */
  | { readonly kind: 'url'; readonly orEmpty?: true }
  | { readonly kind: 'enum'; readonly values: readonly string[]; readonly caseInsensitive?: true }
  /** A repeated key (`A=x&A=y`); a value may also be a comma-separated list. */
  | { readonly kind: 'list'; readonly values: readonly string[] };

export interface ParameterSpec {
  /** The wire name (PascalCase), as in the form body. */
  readonly name: string;
  readonly type: ParameterType;
  /** Twilio's documentation marks it PII: never logged in clear. */
  readonly pii: boolean;
  /** The value TaskRouter assumes when the parameter is absent (recorded with the instruction). */
  readonly default?: ParameterValue;
  /** Other spellings accepted on the wire (the Worker SDK v2 sends the plural). */
  readonly aliases?: readonly string[];
  /** The instruction this parameter configures… */
  readonly instruction?: InstructionName;
  /** …and its key in TaskRouter's snake_case callback instruction JSON. */
  readonly callbackKey?: string;
  /** Not in the worker-scoped update body (OpenAPI: the supervise parameters). */
  readonly taskScopeOnly?: true;
}

const STRING = { kind: 'string' } as const;
const BOOLEAN = { kind: 'boolean' } as const;
const URL_TYPE = { kind: 'url' } as const;
const RING_TIMEOUT = { kind: 'integer', min: 1, max: 999 } as const;
const METHOD = { kind: 'enum', values: ['GET', 'POST'] } as const;
const ACTIVITY = { kind: 'sid', prefix: 'WA' } as const;
const CALL_EVENTS = ['initiated', 'ringing', 'answered', 'completed'] as const;
const RECORD = { kind: 'enum', values: ['record-from-answer', 'do-not-record'] } as const;

/** Conference: the worker leg's Participant parameters, snake_case in callback JSON. */
function conference(name: string, type: ParameterType, extra: Partial<ParameterSpec> = {}): ParameterSpec {
  const callbackKey = name.replace(/(?<=[a-z])(?=[A-Z])/g, '_').toLowerCase();
  return { name, type, pii: false, instruction: 'conference', callbackKey, ...extra };
}

export const PARAMETERS: readonly ParameterSpec[] = [
  { name: 'ReservationStatus', type: { kind: 'enum', values: RESERVATION_STATUSES }, pii: false },
  { name: 'WorkerActivitySid', type: ACTIVITY, pii: false, instruction: 'reject', callbackKey: 'activity_sid' },
  { name: 'Instruction', type: { kind: 'enum', values: INSTRUCTION_NAMES, caseInsensitive: true }, pii: false },

  { name: 'DequeueTo', type: STRING, pii: true, instruction: 'dequeue', callbackKey: 'to' },
  { name: 'DequeueFrom', type: STRING, pii: true, instruction: 'dequeue', callbackKey: 'from' },
  { name: 'DequeuePostWorkActivitySid', type: ACTIVITY, pii: false, instruction: 'dequeue', callbackKey: 'post_work_activity_sid' },
  { name: 'DequeueRecord', type: RECORD, pii: false, default: 'do-not-record', instruction: 'dequeue', callbackKey: 'record' },
  { name: 'DequeueTimeout', type: RING_TIMEOUT, pii: false, default: 60, instruction: 'dequeue', callbackKey: 'timeout' },
  { name: 'DequeueStatusCallbackUrl', type: URL_TYPE, pii: false, instruction: 'dequeue', callbackKey: 'status_callback_url' },
  {
    name: 'DequeueStatusCallbackEvent',
    type: { kind: 'list', values: CALL_EVENTS },
    pii: false,
    default: ['completed'],
    aliases: ['DequeueStatusCallbackEvents'],
    instruction: 'dequeue',
    callbackKey: 'status_callback_events',
  },

  { name: 'CallTo', type: STRING, pii: true, instruction: 'call', callbackKey: 'to' },
  { name: 'CallFrom', type: STRING, pii: true, instruction: 'call', callbackKey: 'from' },
  { name: 'CallUrl', type: URL_TYPE, pii: false, instruction: 'call', callbackKey: 'url' },
  { name: 'CallAccept', type: BOOLEAN, pii: false, default: false, instruction: 'call', callbackKey: 'accept' },
  { name: 'CallRecord', type: RECORD, pii: false, default: 'do-not-record', instruction: 'call', callbackKey: 'record' },
  { name: 'CallTimeout', type: RING_TIMEOUT, pii: false, default: 60, instruction: 'call', callbackKey: 'timeout' },
  { name: 'CallStatusCallbackUrl', type: URL_TYPE, pii: false, instruction: 'call', callbackKey: 'status_callback_url' },

  { name: 'RedirectCallSid', type: { kind: 'sid', prefix: 'CA' }, pii: false, instruction: 'redirect', callbackKey: 'call_sid' },
  { name: 'RedirectUrl', type: URL_TYPE, pii: false, instruction: 'redirect', callbackKey: 'url' },
  { name: 'RedirectAccept', type: BOOLEAN, pii: false, default: false, instruction: 'redirect', callbackKey: 'accept' },

  conference('To', STRING, { pii: true }),
  conference('From', STRING, { pii: true }),
  conference('Timeout', RING_TIMEOUT, { default: 60 }),
  conference('PostWorkActivitySid', ACTIVITY),
  conference('StatusCallback', URL_TYPE),
  conference('StatusCallbackMethod', METHOD, { default: 'POST' }),
  conference('StatusCallbackEvent', { kind: 'list', values: CALL_EVENTS }),
  conference('Record', BOOLEAN, { default: false }),
  conference('Muted', BOOLEAN, { default: false }),
  conference('Beep', { kind: 'enum', values: ['true', 'false', 'onEnter', 'onExit'] }, { default: 'true' }),
  conference('StartConferenceOnEnter', BOOLEAN, { default: true }),
  conference('EndConferenceOnExit', BOOLEAN),
  conference('EndConferenceOnCustomerExit', BOOLEAN),
  conference('BeepOnCustomerEntrance', BOOLEAN),
  conference('WaitUrl', { kind: 'url', orEmpty: true }),
  conference('WaitMethod', METHOD, { default: 'POST' }),
  conference('EarlyMedia', BOOLEAN, { default: true }),
  conference('MaxParticipants', { kind: 'integer', min: 2, max: 250 }, { default: 250 }),
  conference('ConferenceStatusCallback', URL_TYPE),
  conference('ConferenceStatusCallbackMethod', METHOD, { default: 'POST' }),
  conference('ConferenceStatusCallbackEvent', { kind: 'list', values: ['start', 'end', 'join', 'leave', 'mute', 'hold', 'speaker'] }),
  conference('ConferenceRecord', { kind: 'enum', values: ['true', 'false', 'record-from-start', 'do-not-record'] }, { default: 'false' }),
  conference('ConferenceTrim', { kind: 'enum', values: ['trim-silence', 'do-not-trim'] }, { default: 'trim-silence' }),
  conference('RecordingChannels', { kind: 'enum', values: ['mono', 'dual'] }, { default: 'mono' }),
  conference('RecordingStatusCallback', URL_TYPE),
  conference('RecordingStatusCallbackMethod', METHOD, { default: 'POST' }),
  conference('ConferenceRecordingStatusCallback', URL_TYPE),
  conference('ConferenceRecordingStatusCallbackMethod', METHOD, { default: 'POST' }),
  conference('Region', { kind: 'enum', values: ['us1', 'us2', 'ie1', 'de1', 'sg1', 'br1', 'au1', 'jp1'] }),
  conference('SipAuthUsername', STRING, { pii: true }),
  conference('SipAuthPassword', STRING, { pii: true }),
  conference('JitterBufferSize', { kind: 'enum', values: ['small', 'medium', 'large', 'off'] }),

  {
    name: 'SupervisorMode',
    type: { kind: 'enum', values: ['monitor', 'whisper', 'barge'] },
    pii: false,
    instruction: 'supervise',
    callbackKey: 'supervisor_mode',
    taskScopeOnly: true,
  },
  // A Worker SID or a contact URI (a phone number or client id), so PII.
  { name: 'Supervisor', type: STRING, pii: true, instruction: 'supervise', callbackKey: 'supervisor', taskScopeOnly: true },
];

export const PARAMETER_BY_NAME: ReadonlyMap<string, ParameterSpec> = new Map(PARAMETERS.map((p) => [p.name, p]));

/** Wire names and aliases whose values are PII (for log redaction). */
export const PII_PARAMETER_NAMES: ReadonlySet<string> = new Set(PARAMETERS.filter((p) => p.pii).flatMap((p) => [p.name, ...(p.aliases ?? [])]));

function describe(type: ParameterType): string {
  switch (type.kind) {
    case 'string':
      return 'a non-empty string';
    case 'integer':
      return `an integer from ${type.min} to ${type.max}`;
    case 'boolean':
      return 'true or false';
    case 'sid':
      return `a SID starting with ${type.prefix} followed by 32 hex digits`;
    case 'url':
      return type.orEmpty ? 'an absolute http or https URL, or empty' : 'an absolute http or https URL';
    case 'enum':
      return `one of ${type.values.join(', ')}`;
    case 'list':
      return `a list of ${type.values.join(', ')}`;
  }
}

function parseScalar(type: Exclude<ParameterType, { kind: 'list' }>, raw: string): ParameterValue | undefined {
  switch (type.kind) {
    case 'string':
      return raw.length > 0 ? raw : undefined;
    case 'integer':
      return /^[+-]?\d{1,15}$/.test(raw) && Number(raw) >= type.min && Number(raw) <= type.max ? Number(raw) : undefined;
    case 'boolean':
      return /^true$/i.test(raw) ? true : /^false$/i.test(raw) ? false : undefined;
    case 'sid':
      return canonicalSid(raw, type.prefix);
    case 'url':
      return isHttpUrl(raw) || (type.orEmpty && raw === '') ? raw : undefined;
    case 'enum':
      return type.caseInsensitive ? type.values.find((v) => v.toLowerCase() === raw.toLowerCase()) : type.values.find((v) => v === raw);
  }
}

function isHttpUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname.length > 0;
  } catch {
    return false;
  }
}

/**
 * A parameter's value from its wire strings (one string unless the type is a list), or a 400 that
 * names it. `label` is how the message names it (the wire name, or a policy's snake_case key).
 */
export function parseParameter(spec: ParameterSpec, raw: readonly string[], label = spec.name): ParameterValue {
  const bad = (detail: string) => new InvalidParameterError(label, detail);
  if (spec.type.kind === 'list') {
    const allowed = spec.type.values;
    const values = raw.flatMap((v) => v.split(',')).map((v) => v.trim());
    // The value is not echoed: it may come from attributes (PII) through a policy template.
    if (values.some((v) => !allowed.includes(v))) throw bad(`must be ${describe(spec.type)}`);
    return [...new Set(values)];
  }
  if (raw.length !== 1) throw bad('must be given once');
  const value = parseScalar(spec.type, raw[0]!);
  if (value === undefined) throw bad(`must be ${describe(spec.type)}`);
  return value;
}

export type Params = ReadonlyMap<string, readonly string[]>;

/**
 * Every known parameter present in `params`, validated and keyed by its wire name. Unknown
 * names are ignored, as Twilio ignores them.
 */
export function readUpdateParameters(params: Params, scope: 'task' | 'worker'): Map<string, ParameterValue> {
  const values = new Map<string, ParameterValue>();
  for (const spec of PARAMETERS) {
    if (scope === 'worker' && spec.taskScopeOnly) continue;
    const raw = [spec.name, ...(spec.aliases ?? [])].flatMap((name) => params.get(name) ?? []);
    if (raw.length > 0) values.set(spec.name, parseParameter(spec, raw));
  }
  // An instruction whose parameters a worker's reservation resource does not take (supervise's
  // Supervisor and SupervisorMode, which Twilio's worker-scoped body lacks) is refused as such,
  // rather than for the parameter it was sent and this scope ignores.
  const instruction = values.get('Instruction');
  if (scope === 'worker' && PARAMETERS.some((spec) => spec.taskScopeOnly && spec.instruction === instruction)) {
    throw new InvalidParameterError(
      'Instruction',
      `${instruction} is taken only on the task's reservation (/Tasks/{TaskSid}/Reservations/{Sid}): a worker's reservation takes no Supervisor or SupervisorMode`,
    );
  }
  return values;
}
