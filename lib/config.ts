/**
 * Configuration from the environment, validated once at start-up: a bad value stops the process
 * with a message naming the variable, never a request.
 */
import { CredentialsError, accountKeys, parseAccountList, parseApiKeyList, type AccountEntry, type ApiKeyEntry } from './credentials.ts';
import { canonicalSid, isSid } from './domain/sid.ts';
import { EVENT_TYPE_NAMES, isEventType, type EventType } from './domain/events.ts';
import type { Binds } from './functions.ts';

/** The printed development pair `npm start` uses when no credentials are configured. */
export const LOCAL_ACCOUNT_SID = 'AC00000000000000000000000000010ca1';
export const LOCAL_AUTH_TOKEN = 'local0dev0auth0token000000000000';
/**
 * The workspace `npm run callback` sends to unless told another: one the console can be opened on
 * before the first callback, which every later one then joins.
 */
export const LOCAL_WORKSPACE_SID = 'WS00000000000000000000000000010ca1';

export const DEFAULT_TABLE_NAME = 'taskrouter-reservations';

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly accountSid: string;
  /** Plain token: local runs and tests. Deployed functions read it from the secret instead. */
  readonly authToken: string | undefined;
  readonly authTokenSecretArn: string | undefined;
  /** TWILIO_ACCOUNTS: more accounts served, with their tokens (locally; deployed, in the secret). */
  readonly accounts: readonly AccountEntry[];
  /** TWILIO_API_KEYS: API keys and their accounts (locally; deployed, in the secret). */
  readonly apiKeys: readonly ApiKeyEntry[];
  /** Without a trailing slash. */
  readonly publicBaseUrl: string;
  readonly reservationTimeoutSeconds: number;
  readonly maxRejections: number;
  readonly timeoutActivitySid: string | undefined;
  readonly retentionDays: number;
  readonly assignmentPolicyPath: string | undefined;
  /** The built console page (deployed: copied into the console function's bundle); locally built at start. */
  readonly consolePagePath: string | undefined;
  readonly dataDir: string | undefined;
  /** Unset only in a deployed function that binds no table (lib/functions.ts). */
  readonly tableName: string | undefined;
  /** A local engine (dynalite, DynamoDB Local); unset means AWS. */
  readonly dynamodbEndpoint: string | undefined;
  /** EventBridge Scheduler, deployed: where the assignment callback arms reservation timers. */
  readonly timeoutSchedule: TimeoutScheduleConfig | undefined;
  /**
   * Where events come from: `write`, in the process that wrote the task (local: dynalite has no
   * stream); `stream`, the table's DynamoDB Stream (deployed: functions/publish-events.ts).
   */
  readonly eventsFrom: 'write' | 'stream';
  /** EVENT_CALLBACK_URL: where events are POSTed in TaskRouter's callback format. */
  readonly eventCallbackUrl: string | undefined;
  /** EVENTS_FILTER: the types sent there (unset: all); every event is stored either way. */
  readonly eventsFilter: readonly EventType[] | undefined;
  /** Deployed: the queue event callbacks are delivered from, and the EventBridge bus. */
  readonly eventDeliveryQueueUrl: string | undefined;
  readonly eventBusName: string | undefined;
  /** Connected mode: the TaskRouter this service fronts (https://taskrouter.twilio.com); unset: standalone. */
  readonly upstreamUrl: string | undefined;
  /** STATISTICS: events are counted for the Statistics resources (`on`, the default) or not (`off`). */
  readonly statistics: boolean;
}

export interface TimeoutScheduleConfig {
  readonly groupName: string;
  /** The reservation-timeout function the schedules invoke. */
  readonly functionArn: string;
  /** The role EventBridge Scheduler assumes to invoke it. */
  readonly roleArn: string;
  /** Where undeliverable timer events go. */
  readonly deadLetterQueueArn: string;
}

/** Variable of each scheduler setting: all of them, or none. */
export const TIMEOUT_SCHEDULE_VARIABLES = {
  groupName: 'TIMEOUT_SCHEDULE_GROUP',
  functionArn: 'TIMEOUT_FUNCTION_ARN',
  roleArn: 'TIMEOUT_SCHEDULE_ROLE_ARN',
  deadLetterQueueArn: 'TIMEOUT_DEAD_LETTER_QUEUE_ARN',
} as const satisfies Record<keyof TimeoutScheduleConfig, string>;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`Invalid configuration: ${variable} ${detail}`);
  }
}

/** `local`: `npm start`, tests, `npm run invoke` (development defaults); `lambda`: deployed. */
export type ConfigMode = 'local' | 'lambda';

type Env = Readonly<Record<string, string | undefined>>;

function value(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(name, `must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return Number(raw);
}

function required(env: Env, name: string, why: string): string {
  const v = value(env, name);
  if (v === undefined) throw new ConfigError(name, `is required ${why}`);
  return v;
}

function baseUrl(env: Env, name: string, fallback: string | undefined): string {
  const raw = value(env, name) ?? fallback;
  if (raw === undefined) throw new ConfigError(name, 'is required in a deployed function (the stack sets it)');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be an absolute http(s) URL, got "${raw}"`);
  }
  if (!/^https?:$/.test(url.protocol) || url.search || url.hash) {
    throw new ConfigError(name, `must be an http(s) URL without query or fragment, got "${raw}"`);
  }
  return raw.replace(/\/+$/, '');
}

function callbackUrl(env: Env, name: string): string | undefined {
  const raw = value(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, 'must be an absolute http(s) URL');
  }
  if (!/^https?:$/.test(url.protocol)) throw new ConfigError(name, 'must be an http or https URL');
  // TaskRouter's connection-override fragment (#ct=…) is not part of the request, nor of its signature.
  if (url.hash) throw new ConfigError(name, 'must not carry a #fragment (this service does not read connection overrides)');
  return raw;
}

/** DynamoDB's rule for a table's name: 3 to 255 letters, digits, underscores, dots or dashes. */
function tableName(env: Env, name: string): string | undefined {
  const raw = value(env, name);
  if (raw !== undefined && !/^[A-Za-z0-9_.-]{3,255}$/.test(raw)) {
    throw new ConfigError(name, `must be 3 to 255 letters, digits, underscores, dots or dashes (DynamoDB's rule for a table name), got "${raw}"`);
  }
  return raw;
}

/** Where the SDK sends DynamoDB's requests: an absolute http(s) URL (DynamoDB Local, a test engine). */
function endpointUrl(env: Env, name: string): string | undefined {
  const raw = value(env, name);
  if (raw === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || !/^https?:$/.test(url.protocol))
    throw new ConfigError(name, `must be an absolute http(s) URL such as http://127.0.0.1:8000, got "${raw}"`);
  return raw;
}

/** An https base URL (http only on this machine: the tests' and a developer's own upstream). */
function upstreamUrl(env: Env, name: string): string | undefined {
  const raw = value(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be an absolute URL such as https://taskrouter.twilio.com, got "${raw}"`);
  }
  const loopback = isLoopback(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw new ConfigError(name, `must be an https URL (the account's credentials go to it), got "${raw}"`);
  if (url.search || url.hash || url.username || url.password)
    throw new ConfigError(name, `must be a base URL without credentials, query or fragment, got "${raw}"`);
  return raw.replace(/\/+$/, '');
}

function eventTypeList(env: Env, name: string): EventType[] | undefined {
  const raw = value(env, name);
  if (raw === undefined) return undefined;
  const types = raw
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const unknown = types.filter((t) => !isEventType(t));
  if (unknown.length > 0)
    throw new ConfigError(name, `names event types this service never produces: ${unknown.join(', ')} (it produces ${EVENT_TYPE_NAMES.join(', ')})`);
  return types as EventType[];
}

function timeoutSchedule(env: Env): TimeoutScheduleConfig | undefined {
  const entries = Object.entries(TIMEOUT_SCHEDULE_VARIABLES).map(([key, name]) => [key, name, value(env, name)] as const);
  const missing = entries.filter(([, , v]) => v === undefined);
  if (missing.length === entries.length) return undefined;
  if (missing.length > 0)
    throw new ConfigError(
      missing[0]![1],
      `is required with ${entries
        .filter(([, , v]) => v !== undefined)
        .map(([, n]) => n)
        .join(', ')}`,
    );
  return Object.fromEntries(entries.map(([key, , v]) => [key, v])) as unknown as TimeoutScheduleConfig;
}

function onOff(env: Env, name: string, fallback: boolean): boolean {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  if (raw !== 'on' && raw !== 'off') throw new ConfigError(name, `must be on or off, got "${raw}"`);
  return raw === 'on';
}

/** What a deployed function binds decides what it requires; local runs default everything. */
const EVERYTHING: Binds = { table: 'write', credentials: true, timers: true };

/** A host name or address that only this machine reaches. */
function isLoopback(host: string): boolean {
  return ['localhost', '[::1]', '::1'].includes(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_PORT = 3000;
/** Where the local stack listens, and `npm run callback` posts, when HOST, PORT and PUBLIC_BASE_URL are unset. */
export const LOCAL_DEFAULT_URL = `http://${DEFAULT_HOST}:${DEFAULT_PORT}`;

export function loadConfig(env: Env, mode: ConfigMode, binds: Binds = EVERYTHING): Config {
  const host = value(env, 'HOST') ?? DEFAULT_HOST;
  const port = integer(env, 'PORT', DEFAULT_PORT, 0, 65535);

  const accountSid = value(env, 'TWILIO_ACCOUNT_SID') ?? (mode === 'local' ? LOCAL_ACCOUNT_SID : undefined);
  if (accountSid === undefined) throw new ConfigError('TWILIO_ACCOUNT_SID', 'is required in a deployed function');
  if (!isSid(accountSid, 'AC')) throw new ConfigError('TWILIO_ACCOUNT_SID', `must be an Account SID (AC + 32 hex digits), got "${accountSid}"`);

  const authTokenSecretArn = value(env, 'TWILIO_AUTH_TOKEN_SECRET_ARN');
  let authToken = value(env, 'TWILIO_AUTH_TOKEN');
  if (authToken === undefined && authTokenSecretArn === undefined) {
    if (mode === 'lambda' && binds.credentials)
      throw new ConfigError('TWILIO_AUTH_TOKEN_SECRET_ARN', 'is required in a deployed function that reads credentials');
    if (mode === 'local' && value(env, 'TWILIO_ACCOUNT_SID') !== undefined) {
      throw new ConfigError('TWILIO_AUTH_TOKEN', 'is required when TWILIO_ACCOUNT_SID is set');
    }
    if (mode === 'local') authToken = LOCAL_AUTH_TOKEN;
  }

  const publicBaseUrl = baseUrl(env, 'PUBLIC_BASE_URL', mode === 'local' ? `http://${host}:${port}` : undefined);
  // The built-in development token is printed in the README: a stack that other machines reach
  // (every interface, or a public URL through a tunnel) would let anyone sign in and sign callbacks.
  if (mode === 'local' && authToken === LOCAL_AUTH_TOKEN) {
    const publicHost = value(env, 'PUBLIC_BASE_URL') === undefined ? host : new URL(publicBaseUrl!).hostname;
    const exposed = !isLoopback(host) ? `HOST=${host}` : !isLoopback(publicHost) ? `PUBLIC_BASE_URL=${publicBaseUrl}` : undefined;
    if (exposed !== undefined) {
      throw new ConfigError(
        'TWILIO_AUTH_TOKEN',
        `is required for a stack other machines can reach (${exposed}): the built-in development token is published, so anyone reaching the stack could use it; set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN`,
      );
    }
  }

  const accounts = parseAccountList(value(env, 'TWILIO_ACCOUNTS'));
  const apiKeys = parseApiKeyList(value(env, 'TWILIO_API_KEYS'));
  try {
    accountKeys(canonicalSid(accountSid, 'AC')!, authToken ?? 'checked-when-read', accounts, []);
  } catch (error) {
    if (error instanceof CredentialsError) throw new ConfigError('TWILIO_ACCOUNTS', error.message);
    throw error;
  }
  try {
    accountKeys(canonicalSid(accountSid, 'AC')!, authToken ?? 'checked-when-read', accounts, apiKeys);
  } catch (error) {
    if (error instanceof CredentialsError) throw new ConfigError('TWILIO_API_KEYS', error.message);
    throw error;
  }

  const timers = timeoutSchedule(env);
  if (mode === 'lambda' && binds.timers && timers === undefined) {
    throw new ConfigError(
      TIMEOUT_SCHEDULE_VARIABLES.groupName,
      `is required (with the other ${Object.values(TIMEOUT_SCHEDULE_VARIABLES).join(', ')}) by a function that arms reservation timers`,
    );
  }

  const timeoutActivitySid = value(env, 'TIMEOUT_ACTIVITY_SID');
  if (timeoutActivitySid !== undefined && !isSid(timeoutActivitySid, 'WA')) {
    throw new ConfigError('TIMEOUT_ACTIVITY_SID', `must be an Activity SID (WA + 32 hex digits), got "${timeoutActivitySid}"`);
  }

  return {
    host,
    port,
    accountSid: canonicalSid(accountSid, 'AC')!,
    authToken,
    authTokenSecretArn,
    accounts,
    apiKeys,
    publicBaseUrl,
    reservationTimeoutSeconds: integer(env, 'RESERVATION_TIMEOUT_SECONDS', 120, 1, 86_400),
    // Twilio's own Max Assignment Count is 1,000; its Reservations documentation's default is 10.
    maxRejections: integer(env, 'MAX_REJECTIONS', 10, 1, 1_000),
    timeoutActivitySid: timeoutActivitySid && canonicalSid(timeoutActivitySid, 'WA'),
    retentionDays: integer(env, 'RETENTION_DAYS', 7, 1, 3_650),
    assignmentPolicyPath: value(env, 'ASSIGNMENT_POLICY'),
    consolePagePath: value(env, 'CONSOLE_PAGE'),
    dataDir: value(env, 'DATA_DIR'),
    tableName:
      mode === 'local'
        ? (tableName(env, 'TABLE_NAME') ?? DEFAULT_TABLE_NAME)
        : binds.table
          ? (tableName(env, 'TABLE_NAME') ?? required(env, 'TABLE_NAME', 'in a deployed function that binds the table (the stack sets it)'))
          : tableName(env, 'TABLE_NAME'),
    dynamodbEndpoint: endpointUrl(env, 'DYNAMODB_ENDPOINT'),
    timeoutSchedule: timers,
    eventsFrom: mode === 'local' ? 'write' : 'stream',
    eventCallbackUrl: callbackUrl(env, 'EVENT_CALLBACK_URL'),
    eventsFilter: eventTypeList(env, 'EVENTS_FILTER'),
    eventDeliveryQueueUrl: value(env, 'EVENT_DELIVERY_QUEUE_URL'),
    eventBusName: value(env, 'EVENT_BUS_NAME'),
    upstreamUrl: upstreamUrl(env, 'TASKROUTER_UPSTREAM_URL'),
    statistics: onOff(env, 'STATISTICS', true),
  };
}

/** The table's name, for what uses the table (never missing in a function that binds it). */
export function tableNameOf(config: Config): string {
  if (config.tableName === undefined) throw new ConfigError('TABLE_NAME', 'is required by a function that uses the table');
  return config.tableName;
}
