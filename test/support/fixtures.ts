/**
 * Test fixtures: SIDs, signed assignment callbacks (signed by the twilio package itself, the
 * oracle, never by our own code), and the official twilio client pointed at a local stack.
 */
import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import { LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN } from '#lib/config.ts';
import { startLocalStack, type LocalStack } from '#lib/local/server.ts';
import type { RuntimeParts } from '#lib/runtime.ts';

export const ACCOUNT_SID = LOCAL_ACCOUNT_SID;
export const AUTH_TOKEN = LOCAL_AUTH_TOKEN;

export function sid(prefix: string): string {
  return prefix + randomBytes(16).toString('hex');
}

/** A local stack on a free port with the development credentials and extra environment. */
export function startStack(env: Record<string, string> = {}, parts: RuntimeParts = {}): Promise<LocalStack> {
  return startLocalStack({ PORT: '0', ...env }, parts);
}

export interface CallbackFixture {
  readonly params: Record<string, string>;
  readonly accountSid: string;
  readonly workspaceSid: string;
  readonly taskSid: string;
  readonly workerSid: string;
  readonly reservationSid: string;
}

/**
 * TaskRouter's assignment-callback parameters (the 12 it documents, and WorkerName, which handlers
 * read in practice), fresh SIDs unless given.
 */
export function callback(overrides: Partial<Record<string, string>> = {}): CallbackFixture {
  const params: Record<string, string> = {
    AccountSid: ACCOUNT_SID,
    WorkspaceSid: sid('WS'),
    WorkflowSid: sid('WW'),
    TaskQueueSid: sid('WQ'),
    WorkerSid: sid('WK'),
    WorkerName: 'Doug',
    WorkerAttributes: JSON.stringify({ contact_uri: 'client:doug', skills: ['support'], email: 'pii-attribute-7c3e' }),
    TaskSid: sid('WT'),
    TaskAttributes: JSON.stringify({ type: 'voice', from: '+15551234567', customer: 'pii-attribute-7c3e' }),
    TaskAge: '3',
    TaskPriority: '1',
    ReservationSid: sid('WR'),
    Timestamp: String(Math.floor(Date.now() / 1000)),
  };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete params[name];
    else params[name] = value;
  }
  return {
    params,
    accountSid: params['AccountSid']!,
    workspaceSid: params['WorkspaceSid']!,
    taskSid: params['TaskSid']!,
    workerSid: params['WorkerSid']!,
    reservationSid: params['ReservationSid']!,
  };
}

export interface PostOptions {
  /** Query string of the callback URL, e.g. `ReservationTimeout=2`. */
  readonly query?: string;
  readonly token?: string;
  /** Send this signature instead of the right one. */
  readonly signature?: string;
  /** Sign these parameters but send `params`. */
  readonly signedParams?: Record<string, string>;
}

export async function postCallback(stack: LocalStack, params: Record<string, string>, options: PostOptions = {}): Promise<Response> {
  const url = `${stack.url}/assignment-callback${options.query ? `?${options.query}` : ''}`;
  const signature = options.signature ?? twilio.getExpectedTwilioSignature(options.token ?? AUTH_TOKEN, url, options.signedParams ?? params);
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature },
    body: new URLSearchParams(params),
  });
}

/** Posts a signed callback and returns its fixture, failing the test on anything but 200. */
export async function assign(
  stack: LocalStack,
  overrides: Partial<Record<string, string>> = {},
  options: PostOptions = {},
): Promise<CallbackFixture & { answer: unknown }> {
  const fixture = callback(overrides);
  const response = await postCallback(stack, fixture.params, options);
  if (response.status !== 200) throw new Error(`callback answered ${response.status}: ${await response.text()}`);
  return { ...fixture, answer: await response.json() };
}

/**
 * The official twilio client, pointed at the stack by a custom httpClient that rewrites scheme and
 * host of every request, including the `next_page_url`s it follows verbatim (overriding the SDK's
 * baseUrl would not reach those).
 */
export function twilioClient(stack: LocalStack, username = ACCOUNT_SID, password = AUTH_TOKEN) {
  const inner = new twilio.RequestClient();
  const target = new URL(stack.url);
  const httpClient = {
    request: (options: { uri: string }) => {
      const uri = new URL(options.uri);
      uri.protocol = target.protocol;
      uri.host = target.host;
      return inner.request({ ...options, uri: uri.toString() } as Parameters<typeof inner.request>[0]);
    },
  };
  return twilio(username, password, { httpClient: httpClient as never, ...(username.startsWith('SK') && { accountSid: ACCOUNT_SID }) });
}

/** Basic-auth headers for raw requests. */
export function basicAuth(username = ACCOUNT_SID, password = AUTH_TOKEN): Record<string, string> {
  return { Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
}
