/** What `npm start` prints: how to reach and use the local stack, and never a real secret. */
import { LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN, LOCAL_DEFAULT_URL, LOCAL_WORKSPACE_SID, type Config } from '../config.ts';

export interface BannerFacts {
  readonly url: string;
  readonly config: Config;
  /** The embedded engine (dynalite) serves the data, rather than DYNAMODB_ENDPOINT. */
  readonly embedded: boolean;
}

/** The auth token as the banner shows it: the built-in development token only. */
export function shownToken(config: Config): string {
  if (config.authToken === LOCAL_AUTH_TOKEN) return `${LOCAL_AUTH_TOKEN}   (the built-in development token)`;
  return config.authToken !== undefined ? '(set by TWILIO_AUTH_TOKEN; not shown)' : '(from Secrets Manager; not shown)';
}

/** Where events go: always stored; POSTed where EVENT_CALLBACK_URL says (shown without credentials or query). */
function eventsLine(config: Config): string {
  const stored = 'stored (GET /v1/Workspaces/{WS}/Events)';
  if (config.eventCallbackUrl === undefined) return `${stored}; not POSTed anywhere (set EVENT_CALLBACK_URL)`;
  const url = new URL(config.eventCallbackUrl);
  const filter = config.eventsFilter === undefined ? 'every type' : config.eventsFilter.join(', ');
  return `${stored}, and POSTed to ${url.origin}${url.pathname} (${filter})`;
}

/**
 * The command that sends a callback to this stack: `npm run callback` posts to PUBLIC_BASE_URL, or
 * http://HOST:PORT, of its own environment, which is not this one's when it was started with
 * other values. Signed for, and posted to, the URL given.
 */
function callbackCommand(url: string): string {
  return url === LOCAL_DEFAULT_URL ? 'npm run callback' : `npm run callback -- --url ${url}`;
}

export function bannerLines({ url, config, embedded }: BannerFacts): string[] {
  // The local workspace is npm run callback's, with the development account: with an account of
  // your own, callbacks (TaskRouter's, through a tunnel) name your workspaces.
  const development = config.accountSid === LOCAL_ACCOUNT_SID;
  const storage = embedded
    ? `dynalite, ${config.dataDir === undefined ? 'in memory (set DATA_DIR to persist)' : `persisted in ${config.dataDir}`}`
    : `DynamoDB at ${config.dynamodbEndpoint}, table ${config.tableName ?? '(none)'}`;
  return [
    'TaskRouter reservations: local stack',
    `  base URL      ${url}`,
    `  webhook URL   ${url}/assignment-callback   (AssignmentCallbackUrl; add ?ReservationTimeout=<seconds>)`,
    development
      ? `  console       ${url}/console#/${LOCAL_WORKSPACE_SID}   (sign in with the account SID and auth token below)`
      : `  console       ${url}/console   (sign in with the account SID and auth token below, and a workspace of yours)`,
    `  account SID   ${config.accountSid}`,
    `  auth token    ${shownToken(config)}`,
    `  storage       ${storage}`,
    `  policy        ${config.assignmentPolicyPath ?? 'default: answers {} and leaves reservations pending'}`,
    `  events        ${eventsLine(config)}`,
    `  mode          ${config.upstreamUrl === undefined ? 'standalone (set TASKROUTER_UPSTREAM_URL to front a TaskRouter)' : `connected to ${config.upstreamUrl}: updates are forwarded there; its Workspace's EventCallbackUrl: ${url}/event-callback`}`,
    ...(development
      ? [`  try it        ${callbackCommand(url)}   (in another terminal: a signed callback to workspace ${LOCAL_WORKSPACE_SID}, which the console shows)`]
      : []),
    `listening on http://${config.host}:${config.port}`,
  ];
}
