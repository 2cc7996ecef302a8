/** `npm start`: the whole stack on this machine, with a banner that says how to use it. */
import { ConfigError } from '../config.ts';
import { startLocalStack } from './server.ts';

// The AWS SDK warns that it will want Node 22 in 2027; the deployed functions run on Node 22,
// and the local stack supports Node 20, so the warning only confuses here.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

try {
  const stack = await startLocalStack();
  const { config } = stack;
  const lines = [
    'TaskRouter reservations: local stack',
    `  base URL      ${stack.url}`,
    `  webhook URL   ${stack.url}/assignment-callback   (AssignmentCallbackUrl; add ?ReservationTimeout=<seconds>)`,
    `  console       ${stack.url}/console   (sign in with the account SID and auth token below)`,
    `  account SID   ${config.accountSid}`,
    `  auth token    ${config.authToken ?? '(from Secrets Manager)'}`,
    `  storage       dynalite, ${config.dataDir === undefined ? 'in memory (set DATA_DIR to persist)' : `persisted in ${config.dataDir}`}`,
    `  policy        ${config.assignmentPolicyPath ?? 'default: answers {} and leaves reservations pending'}`,
    `listening on http://${config.host}:${config.port}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const stop = () => void stack.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  throw error;
}
