/**
 * The floor of the cold start to first answer: as small a function as one can write that does
 * what the assignment callback does with AWS. At init it builds the same AWS SDK clients (the
 * DynamoDB document client on its low-level client, Secrets Manager, EventBridge Scheduler); its
 * handler reads the secret, sends the callback's store calls (recorded from it, given to this
 * process in BENCH_CALLS, its SIDs swapped) and creates the timer's schedule, then answers `{}`.
 * No parsing, no signature, no policy, no logging: what is left is the SDK's own cost.
 */
import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateScheduleCommand, type CreateScheduleCommandInput, SchedulerClient } from '@aws-sdk/client-scheduler';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

interface Calls {
  readonly store: readonly { readonly command: string; readonly input: Record<string, unknown> }[];
  readonly schedule: CreateScheduleCommandInput;
}

const dynamodb = new DynamoDBClient({});
DynamoDBDocumentClient.from(dynamodb);
const secrets = new SecretsManagerClient({});
const scheduler = new SchedulerClient({});

/** For the traced floor (minimal-traced-function.ts), which captures them as our functions' are. */
export const clients = [dynamodb, secrets, scheduler] as const;

const COMMANDS: Record<string, new (input: never) => PutItemCommand | UpdateItemCommand> = { PutItemCommand, UpdateItemCommand };

export const handler = async (): Promise<{ statusCode: number; body: string }> => {
  const calls = JSON.parse(process.env['BENCH_CALLS']!) as Calls;
  await secrets.send(new GetSecretValueCommand({ SecretId: process.env['TWILIO_AUTH_TOKEN_SECRET_ARN'] }));
  for (const call of calls.store) {
    const Command = COMMANDS[call.command];
    if (!Command) throw new Error(`the floor does not send ${call.command}`);
    await dynamodb.send(new Command(call.input as never) as never);
  }
  await scheduler.send(new CreateScheduleCommand(calls.schedule));
  return { statusCode: 200, body: '{}' };
};
