/**
 * `npm run callback`: sends a signed assignment callback to a running local stack, as TaskRouter
 * would, and prints the answer and how to fetch or accept the reservation.
 *
 *   npm run callback -- [--url URL] [--timeout SECONDS] [Name=Value ...]
 *
 * Unset parameters get fresh SIDs, but the workspace: LOCAL_WORKSPACE_SID, the one npm start's
 * banner opens the console on. Name=Value pairs override any (WorkspaceSid=WS…,
 * TaskAttributes='{"type":"voice"}').
 */
import { parseArgs } from 'node:util';
import { ConfigError, LOCAL_AUTH_TOKEN, LOCAL_WORKSPACE_SID, loadConfig } from '#lib/config.ts';
import { randomSid as sid } from '#lib/domain/sid.ts';
import { twilioSignature } from '#lib/signature.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { url: { type: 'string' }, timeout: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
});
if (values.help) {
  process.stdout.write(
    [
      'npm run callback -- [--url URL] [--timeout SECONDS] [Name=Value ...]',
      '  --url URL          the local stack (default: PUBLIC_BASE_URL, or http://127.0.0.1:PORT)',
      "  --timeout SECONDS  the callback URL's ?ReservationTimeout=, to see a reservation time out",
      '  Name=Value         any callback parameter: AccountSid, WorkspaceSid (default the local one),',
      '                     WorkflowSid, TaskQueueSid, TaskSid, TaskAttributes, TaskAge, TaskPriority,',
      '                     WorkerSid, WorkerName, WorkerAttributes, ReservationSid, Timestamp',
      '',
    ].join('\n'),
  );
  process.exit(0);
}

const config = (() => {
  try {
    return loadConfig(process.env, 'local');
  } catch (error) {
    // As npm start refuses it: one line naming the variable.
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
})();
const params: Record<string, string> = {
  AccountSid: config.accountSid,
  WorkspaceSid: LOCAL_WORKSPACE_SID,
  WorkflowSid: sid('WW'),
  TaskQueueSid: sid('WQ'),
  TaskSid: sid('WT'),
  TaskAttributes: JSON.stringify({ type: 'voice', from: '+15551230000' }),
  TaskAge: '0',
  TaskPriority: '0',
  WorkerSid: sid('WK'),
  WorkerName: 'Alice',
  WorkerAttributes: JSON.stringify({ contact_uri: 'client:alice' }),
  ReservationSid: sid('WR'),
  Timestamp: String(Math.floor(Date.now() / 1000)),
};
for (const pair of positionals) {
  const at = pair.indexOf('=');
  if (at < 1) throw new Error(`expected Name=Value, got "${pair}"`);
  params[pair.slice(0, at)] = pair.slice(at + 1);
}

const base = (values.url ?? config.publicBaseUrl).replace(/\/+$/, '');
const url = `${base}/assignment-callback${values.timeout ? `?ReservationTimeout=${values.timeout}` : ''}`;
const response = await fetch(url, {
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilioSignature(config.authToken!, url, Object.entries(params)) },
  body: new URLSearchParams(params),
}).catch((error: Error & { cause?: { code?: string; errors?: { code?: string }[]; message?: string } }) => {
  // fetch's own message is "fetch failed"; the reason is its cause's code (or, tried on several addresses, theirs).
  const reason = error.cause?.code ?? error.cause?.errors?.[0]?.code ?? error.cause?.message ?? error.message;
  process.stderr.write(`No local stack answers at ${base} (${reason}): start it with npm start, or give its URL with --url (a stack on another PORT)\n`);
  process.exit(1);
});
const answer = `POST ${url} → ${response.status} ${await response.text()}`;
if (!response.ok) {
  // No reservation was recorded: no commands for it. A 403 is a signature checked against
  // another URL or token than this command signed with.
  const hint =
    response.status === 403
      ? 'The stack checks the signature against its own PUBLIC_BASE_URL and auth token: give this command the same PORT, PUBLIC_BASE_URL and TWILIO_AUTH_TOKEN as npm start, or --url with the URL its banner prints.'
      : 'The callback was refused: no reservation was recorded.';
  process.stderr.write(`${answer}\n${hint}\n`);
  process.exit(1);
}
const reservation = `${base}/v1/Workspaces/${params['WorkspaceSid']}/Tasks/${params['TaskSid']}/Reservations/${params['ReservationSid']}`;
// As npm start's banner: the built-in development token is printed, a token of your own never is
// (the shell reads it from the environment when you run the command).
const credentials = `${config.accountSid}:${config.authToken === LOCAL_AUTH_TOKEN ? LOCAL_AUTH_TOKEN : '"$TWILIO_AUTH_TOKEN"'}`;
process.stdout.write(
  [
    answer,
    '',
    `fetch:   curl -u ${credentials} ${reservation}`,
    `accept:  curl -u ${credentials} -d ReservationStatus=accepted ${reservation}`,
    `console: ${base}/console#/${params['WorkspaceSid']}`,
    '',
  ].join('\n'),
);
