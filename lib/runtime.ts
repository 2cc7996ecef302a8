/**
 * Everything a handler needs, built once per container (Lambda) or per local stack: the
 * configuration, the store adapter, the service, the timeout scheduler, credentials, a logger
 * and a clock.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadConfig, type Config } from './config.ts';
import { readConsolePage, servedPage, type ConsolePage } from './console/page.ts';
import { accountCredentials, accountKeys, type Credentials } from './credentials.ts';
import type { AssignmentPolicy } from './domain/assignment-policy.ts';
import { systemClock, type Clock } from './domain/clock.ts';
import { createLogger } from './logging.ts';
import { loadAssignmentPolicy } from './policy-file.ts';
import { ReservationService } from './reservations.ts';
import { secretsManagerKeys } from './secrets.ts';
import { createDocumentClient } from './store/dynamodb-client.ts';
import { DynamoDbStore } from './store/dynamodb-store.ts';
import type { ReservationStore } from './store/store.ts';
import { EventBridgeTimeoutScheduler } from './timeouts/eventbridge-scheduler.ts';
import type { TimeoutScheduler } from './timeouts/scheduler.ts';

export interface Runtime {
  readonly config: Config;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly credentials: Credentials;
  readonly store: ReservationStore;
  readonly service: ReservationService;
  readonly scheduler: TimeoutScheduler | undefined;
  /** The console page, where this runtime serves it (CONSOLE_PAGE, or built by the local stack). */
  readonly consolePage: ConsolePage | undefined;
  /** Releases what the runtime opened (the DynamoDB client's sockets). */
  close(): void;
}

export interface RuntimeParts {
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly documentClient?: DynamoDBDocumentClient;
  readonly policy?: AssignmentPolicy;
  /** Reservation timers; by default EventBridge Scheduler when TIMEOUT_SCHEDULE_* is set. */
  readonly scheduler?: TimeoutScheduler;
  /** The console page's HTML (the local stack builds it from lib/console at start). */
  readonly consolePage?: string;
}

export function createRuntime(config: Config, parts: RuntimeParts = {}): Runtime {
  // Read before any client is opened: a page that cannot be read stops the start-up, naming CONSOLE_PAGE.
  const consolePage = parts.consolePage !== undefined ? servedPage(parts.consolePage) : config.consolePagePath !== undefined ? readConsolePage(config.consolePagePath) : undefined;
  const clock = parts.clock ?? systemClock;
  const logger = parts.logger ?? createLogger();
  const readKeys =
    config.authToken !== undefined
      ? () => Promise.resolve(accountKeys(config.accountSid, config.authToken!, config.accounts, config.apiKeys))
      : secretsManagerKeys(config.accountSid, config.authTokenSecretArn!, new SecretsManagerClient({}));
  const credentials = accountCredentials(config.accountSid, readKeys);
  const client = parts.documentClient ?? createDocumentClient({ endpoint: config.dynamodbEndpoint });
  const store = new DynamoDbStore({
    client,
    tableName: config.tableName,
    retentionDays: config.retentionDays,
  });
  const scheduler =
    parts.scheduler ?? (config.timeoutSchedule && new EventBridgeTimeoutScheduler(new SchedulerClient({}), config.timeoutSchedule));
  const service = new ReservationService({
    store,
    clock,
    logger,
    policy: parts.policy ?? loadAssignmentPolicy(config.assignmentPolicyPath),
    maxRejections: config.maxRejections,
    scheduler,
    timeoutActivitySid: config.timeoutActivitySid,
  });
  return {
    config,
    clock,
    logger,
    credentials,
    store,
    service,
    scheduler,
    consolePage,
    // A client passed in belongs to the caller.
    close: () => parts.documentClient === undefined && client.destroy(),
  };
}

let lambda: Runtime | undefined;

/** The deployed runtime, from the environment the stack sets (once per container). */
export function lambdaRuntime(): Runtime {
  lambda ??= createRuntime(loadConfig(process.env, 'lambda'));
  return lambda;
}
