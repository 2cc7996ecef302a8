/**
 * The deployment's knobs, read from CDK context (`cdk.json` or `-c key=value`) and checked before
 * anything is built: a bad value stops `cdk synth` with a message naming the key. The service's own
 * settings (RESERVATION_TIMEOUT_SECONDS, MAX_REJECTIONS, …) go through the functions' configuration
 * loader, so synth refuses exactly what a cold start would.
 */
import { isAbsolute, join, resolve } from 'node:path';
import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { ConfigError, loadConfig, type Config } from '#lib/config.ts';
import { loadAssignmentPolicy } from '#lib/policy-file.ts';

export const PROJECT_ROOT = join(import.meta.dirname, '..');
export const DEFAULT_ASSIGNMENT_POLICY = join(PROJECT_ROOT, 'policies', 'default.json');
export const DEFAULT_STACK_NAME = 'TaskRouterReservations';

/** Context keys of the service settings and the variable each becomes; unset keeps the service's default. */
export const SERVICE_CONTEXT = {
  reservationTimeoutSeconds: 'RESERVATION_TIMEOUT_SECONDS',
  maxRejections: 'MAX_REJECTIONS',
  retentionDays: 'RETENTION_DAYS',
  timeoutActivitySid: 'TIMEOUT_ACTIVITY_SID',
  publicBaseUrl: 'PUBLIC_BASE_URL',
  eventCallbackUrl: 'EVENT_CALLBACK_URL',
  eventsFilter: 'EVENTS_FILTER',
  taskrouterUpstreamUrl: 'TASKROUTER_UPSTREAM_URL',
} as const;

export interface Settings {
  readonly stackName: string;
  /** Of what holds data: the table, the auth-token secret, the log groups. */
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention: RetentionDays;
  /** Absolute path of the policy file bundled into every function that applies it (`binds.policy`), validated. */
  readonly assignmentPolicyPath: string;
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** A custom domain in front of the API; unset: the API's own endpoint. */
  readonly publicBaseUrl: string | undefined;
  /** Where alarm notifications go; unset: alarms without actions. */
  readonly alarmEmail: string | undefined;
  /** Connected mode (taskrouterUpstreamUrl): the sweep runs every minute, and its alarms watch it. */
  readonly connected: boolean;
  /**
   * Twilio Event Streams into AWS (`eventStreams`, connected mode only): the Kinesis stream, the
   * role Twilio assumes with this ExternalId, and the consumer's event source (infra/mirror-event-streams.ts).
   */
  readonly eventStreams: { readonly externalId: string } | undefined;
  /** How long the event bus's archive keeps events, in days (`archiveRetentionDays`; 0: indefinitely). */
  readonly archiveRetentionDays: number;
  /**
   * Executions of the assignment callback kept for it alone (`callbackReservedConcurrency`); unset:
   * none reserved. Reserved, a burst of API reads cannot take the account's concurrency from
   * TaskRouter's callbacks, which have 5 s to be answered; it is also the callback's ceiling.
   */
  readonly callbackReservedConcurrency: number | undefined;
  /** The service's environment variables set by context, for every function. */
  readonly serviceEnvironment: Readonly<Record<string, string>>;
}

export class ContextError extends Error {
  constructor(key: string, raw: unknown, detail: string) {
    super(`Invalid CDK context value ${key}=${JSON.stringify(raw)}: ${detail}`);
  }
}

const RETENTION_DAYS = Object.values(RetentionDays).filter((v): v is number => typeof v === 'number');

export function readSettings(node: Node): Settings {
  const raw = (key: string): unknown => node.tryGetContext(key);
  const text = (key: string): string | undefined => {
    const value = raw(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string' && typeof value !== 'number') throw new ContextError(key, value, 'must be a string or a number');
    return String(value).trim();
  };
  // `-c key=value` gives strings, cdk.json gives JSON numbers: both are read from text.
  const number = (key: string, fallback: number, check: (n: number) => boolean, expected: string): number => {
    const value = text(key);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!/^\d+(\.\d+)?$/.test(value) || !check(n)) throw new ContextError(key, raw(key), `must be ${expected}`);
    return n;
  };

  const stackName = text('stackName') ?? DEFAULT_STACK_NAME;
  // The timeout function's fixed name is `<stackName>-reservation-timeout`, and Lambda takes 64 characters at most.
  if (!/^[A-Za-z][A-Za-z0-9-]{0,43}$/.test(stackName)) {
    throw new ContextError('stackName', stackName, 'must be a letter, then letters, digits and hyphens, at most 44 (the timeout function is named after it)');
  }

  const removal = text('removalPolicy') ?? 'retain';
  if (removal !== 'retain' && removal !== 'destroy') throw new ContextError('removalPolicy', removal, 'must be "retain" or "destroy"');

  const logRetention = number(
    'logRetentionDays',
    RetentionDays.ONE_MONTH,
    (n) => RETENTION_DAYS.includes(n),
    `one of CloudWatch Logs' retention periods (${RETENTION_DAYS.join(', ')})`,
  );

  const policy = text('assignmentPolicy');
  const assignmentPolicyPath = policy === undefined ? DEFAULT_ASSIGNMENT_POLICY : isAbsolute(policy) ? policy : resolve(policy);
  try {
    loadAssignmentPolicy(assignmentPolicyPath);
  } catch (error) {
    if (error instanceof ConfigError) throw new ContextError('assignmentPolicy', policy ?? assignmentPolicyPath, error.message);
    throw error;
  }

  const throttle = {
    rateLimit: number('throttleRate', 100, (n) => n > 0 && n <= 10_000, 'requests per second above 0, at most 10000'),
    burstLimit: number('throttleBurst', 200, (n) => Number.isInteger(n) && n >= 1 && n <= 5_000, 'a whole number of requests from 1 to 5000'),
  };

  const archiveRetentionDays = number(
    'archiveRetentionDays',
    365,
    (n) => Number.isInteger(n) && n <= 36_500,
    'a whole number of days from 0 (keep indefinitely) to 36500',
  );

  const callbackReservedConcurrency =
    text('callbackReservedConcurrency') === undefined
      ? undefined
      : number('callbackReservedConcurrency', 0, (n) => Number.isInteger(n) && n >= 1 && n <= 10_000, 'a whole number of executions from 1 to 10000');

  const alarmEmail = text('alarmEmail');
  if (alarmEmail !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(alarmEmail)) throw new ContextError('alarmEmail', alarmEmail, 'must be an email address');

  const serviceEnvironment: Record<string, string> = {};
  for (const [key, variable] of Object.entries(SERVICE_CONTEXT)) {
    const value = text(key);
    if (value !== undefined) serviceEnvironment[variable] = value;
  }
  let checked: Config;
  try {
    // Checked as the local stack checks its environment, but with the credentials deployed
    // functions have: a secret (its ARN a stand-in here), never the local development token,
    // which a public PUBLIC_BASE_URL would refuse.
    checked = loadConfig({ ...serviceEnvironment, TWILIO_AUTH_TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:checked-at-synth' }, 'local');
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const key = Object.entries(SERVICE_CONTEXT).find(([, variable]) => variable === error.variable)?.[0] ?? error.variable;
    throw new ContextError(key, raw(key), error.message);
  }
  if (checked.upstreamUrl !== undefined && !checked.upstreamUrl.startsWith('https://')) {
    throw new ContextError(
      'taskrouterUpstreamUrl',
      raw('taskrouterUpstreamUrl'),
      'must be an https URL (the account’s credentials go to it), e.g. https://taskrouter.twilio.com',
    );
  }
  const eventStreams = readEventStreams(raw, text, checked.upstreamUrl !== undefined);
  const { PUBLIC_BASE_URL: given, ...lifecycle } = serviceEnvironment;
  // As the service reads it (no trailing slash); unset, the stack uses the API's own URL.
  const publicBaseUrl = given === undefined ? undefined : checked.publicBaseUrl;
  if (publicBaseUrl !== undefined && !publicBaseUrl.startsWith('https://')) {
    throw new ContextError('publicBaseUrl', given, 'must be an https URL (TaskRouter and clients reach the API over TLS)');
  }

  return {
    stackName,
    removalPolicy: removal === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    logRetention,
    assignmentPolicyPath,
    throttle,
    publicBaseUrl,
    alarmEmail,
    connected: checked.upstreamUrl !== undefined,
    eventStreams,
    archiveRetentionDays,
    callbackReservedConcurrency,
    serviceEnvironment: lifecycle,
  };
}

/**
 * An IAM ExternalId: 2–1224 of `\w+=,.@:/-` (IAM's own rule), here at least 32 long, since it is
 * the one secret between Twilio's account and the role; `openssl rand -hex 40` makes a good one.
 */
const EXTERNAL_ID = /^[\w+=,.@:/-]{32,1224}$/;

/**
 * `eventStreams` (true or false, default false) and, with it, the required `eventStreamsExternalId`.
 * Required rather than generated: a value made at synth would change with every synth (and so the
 * role's trust), and one kept in the template's parameters would be no less visible than context.
 */
function readEventStreams(raw: (key: string) => unknown, text: (key: string) => string | undefined, connected: boolean): Settings['eventStreams'] {
  // `-c eventStreams=true` gives a string, cdk.json may give a JSON boolean.
  const flag = raw('eventStreams');
  const on = typeof flag === 'boolean' ? String(flag) : text('eventStreams');
  if (on !== undefined && on !== 'true' && on !== 'false') throw new ContextError('eventStreams', on, 'must be true or false');
  const externalId = text('eventStreamsExternalId');
  if (on !== 'true') {
    if (externalId !== undefined) throw new ContextError('eventStreamsExternalId', `${externalId.slice(0, 4)}…`, 'is only read with eventStreams=true');
    return undefined;
  }
  if (!connected)
    throw new ContextError(
      'eventStreams',
      on,
      'needs taskrouterUpstreamUrl: Event Streams feed connected mode’s mirror, and standalone there is no upstream to mirror',
    );
  if (externalId === undefined || !EXTERNAL_ID.test(externalId)) {
    throw new ContextError(
      'eventStreamsExternalId',
      externalId === undefined ? undefined : `${externalId.slice(0, 4)}…`,
      'is required with eventStreams=true: 32 to 1224 of letters, digits and +=,.@:/_- (e.g. `openssl rand -hex 40`)',
    );
  }
  return { externalId };
}
