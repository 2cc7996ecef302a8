/**
 * `npm run events:receive`: a tiny receiver for EVENT_CALLBACK_URL on this machine. It prints
 * each TaskRouter event the local stack POSTs (one line each), checks its X-Twilio-Signature with
 * the auth token, and answers 204 as TaskRouter asks of receivers.
 *
 *   npm run events:receive -- [--port 3100] [--host 127.0.0.1]
 *   EVENT_CALLBACK_URL=http://127.0.0.1:3100/events npm start      (in another terminal)
 *
 * The token is npm start's (TWILIO_AUTH_TOKEN, or the development one). Events may arrive twice
 * (delivery is at-least-once) and in any order: a receiver dedupes on Sid and orders by TimestampMs.
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { loadConfig } from '#lib/config.ts';
import { isValidTwilioSignature } from '#lib/signature.ts';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '3100' }, host: { type: 'string', default: '127.0.0.1' }, help: { type: 'boolean', short: 'h' } },
});
if (values.help) {
  process.stdout.write('npm run events:receive -- [--port 3100] [--host 127.0.0.1]\n');
  process.exit(0);
}
const config = loadConfig(process.env, 'local');
const seen = new Set<string>();

const server = createServer((request, response) => {
  let body = '';
  request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
  request.on('end', () => {
    const form = [...new URLSearchParams(body)] as [string, string][];
    const p = Object.fromEntries(form);
    // Signed over the URL the stack was given: this host and path, as the request names them.
    const url = `http://${request.headers.host}${request.url}`;
    const signature = String(request.headers['x-twilio-signature'] ?? '');
    const token = p['AccountSid'] === config.accountSid ? config.authToken : config.accounts.find(([sid]) => sid === p['AccountSid'])?.[1];
    const valid = token !== undefined && isValidTwilioSignature(token, signature, url, form);
    const repeat = seen.has(p['Sid'] ?? '') ? ' (seen before)' : '';
    seen.add(p['Sid'] ?? '');
    const time = new Date(Number(p['TimestampMs'])).toISOString();
    process.stdout.write(
      `${time}  ${(p['EventType'] ?? '?').padEnd(24)} ${p['Sid'] ?? '?'}  ${p['ResourceType'] ?? ''} ${p['ResourceSid'] ?? ''}  signature ${valid ? 'valid' : 'INVALID'}${repeat}\n`,
    );
    response.writeHead(valid ? 204 : 403, { 'Content-Type': 'application/json' });
    response.end();
  });
});
server.listen(Number(values.port), values.host, () => {
  process.stdout.write(
    `receiving TaskRouter events on http://${values.host}:${values.port}/  (start the stack with EVENT_CALLBACK_URL=http://${values.host}:${values.port}/events)\n`,
  );
});
