/**
 * `npm run callback`: sends a signed assignment callback to a running local stack, as TaskRouter
 * would, and prints the answer and how to fetch or accept the reservation.
 *
 *   npm run callback -- [--url URL] [--timeout SECONDS] [Name=Value ...]
 *
 * Unset parameters get fresh SIDs; Name=Value pairs override any (TaskAttributes='{"type":"voice"}').
 */
import { parseArgs } from 'node:util';
import { LOCAL_AUTH_TOKEN, loadConfig } from '#lib/config.ts';
import { randomSid as sid } from '#lib/domain/sid.ts';
import { twilioSignature } from '#lib/signature.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { url: { type: 'string' }, timeout: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
});
if (values.help) {
  process.stdout.write('npm run callback -- [--url URL] [--timeout SECONDS] [Name=Value ...]\n');
  process.exit(0);
}

const config = loadConfig(process.env, 'local');
const params: Record<string, string> = {
  AccountSid: config.accountSid,
  WorkspaceSid: sid('WS'),
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
});
const reservation = `${base}/v1/Workspaces/${params['WorkspaceSid']}/Tasks/${params['TaskSid']}/Reservations/${params['ReservationSid']}`;
// As npm start's banner: the built-in development token is printed, a token of your own never is
// (the shell reads it from the environment when you run the command).
const credentials = `${config.accountSid}:${config.authToken === LOCAL_AUTH_TOKEN ? LOCAL_AUTH_TOKEN : '"$TWILIO_AUTH_TOKEN"'}`;
process.stdout.write(
  [
    `POST ${url} → ${response.status} ${await response.text()}`,
    '',
    `fetch:  curl -u ${credentials} ${reservation}`,
    `accept: curl -u ${credentials} -d ReservationStatus=accepted ${reservation}`,
    '',
  ].join('\n'),
);
