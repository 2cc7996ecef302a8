/** A deployed function's configuration as the stack sets it (values that need no network), plus `extra`. */
import { loadConfig, type Config } from '#lib/config.ts';
import { FUNCTIONS, type FunctionName } from '#lib/functions.ts';

export const DEPLOYED_ACCOUNT_SID = `AC${'0'.repeat(32)}`;

export function deployedConfig(name: FunctionName, extra: Record<string, string> = {}): Config {
  return loadConfig(
    {
      TABLE_NAME: 'table',
      TWILIO_ACCOUNT_SID: DEPLOYED_ACCOUNT_SID,
      TWILIO_AUTH_TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:token',
      PUBLIC_BASE_URL: 'https://example.execute-api.us-east-1.amazonaws.com',
      TIMEOUT_SCHEDULE_GROUP: 'timers',
      TIMEOUT_FUNCTION_ARN: 'arn:aws:lambda:us-east-1:000000000000:function:reservation-timeout',
      TIMEOUT_SCHEDULE_ROLE_ARN: 'arn:aws:iam::000000000000:role/timers',
      TIMEOUT_DEAD_LETTER_QUEUE_ARN: 'arn:aws:sqs:us-east-1:000000000000:timers',
      ...extra,
    },
    'lambda',
    FUNCTIONS[name].binds,
  );
}
