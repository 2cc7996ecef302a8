/**
 * The deployed service: the functions of lib/functions.ts behind the HTTP API, the table, the
 * reservation timers, the auth-token secret and the alarms, each function granted what it uses.
 */
import { type App, Aws, CfnOutput, CfnParameter, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { buildConsoleHtml } from '#lib/console/build.ts';
import { FUNCTIONS, bindsOf, deployedFunctions, type FunctionName, type ModeFunctionName } from '#lib/functions.ts';
import { ROUTES } from '#lib/http/routes.ts';
import { ReservationAlarms } from './alarms.ts';
import { ReservationDashboard } from './dashboard.ts';
import { ReservationApi } from './api.ts';
import { EventStreamsIngest } from './mirror-event-streams.ts';
import { TaskRouterEvents } from './publishing.ts';
import { ServiceFunction } from './function.ts';
import { readSettings, type Settings } from './settings.ts';
import { ReservationTable, bindTable } from './table.ts';
import { ReservationTimers } from './timers.ts';

/** Where the assignment callback finds its policy, copied into its bundle at synth. */
export const BUNDLED_POLICY_FILE = 'policy.json';
/** Where the console function finds the page, built from lib/console at synth into its bundle. */
export const BUNDLED_CONSOLE_FILE = 'console.html';

export interface ReservationsStackProps extends StackProps {
  readonly settings: Settings;
}

/**
 * The stack's functions: every one of lib/functions.ts but those of a mode the stack does not turn
 * on (`deployedWith`), which are absent.
 */
export type StackFunctions = Readonly<Record<Exclude<FunctionName, ModeFunctionName>, ServiceFunction>> &
  Readonly<Partial<Record<ModeFunctionName, ServiceFunction>>>;

/** The construct id of a function: its name in PascalCase (`assignment-callback` → `AssignmentCallback`). */
export const functionId = (name: FunctionName) => name.replace(/(^|-)([a-z])/g, (_m, _dash, c: string) => c.toUpperCase());

export class ReservationsStack extends Stack {
  readonly functions: StackFunctions;
  /** The names of the functions this stack creates (lib/functions.ts `deployedWith`). */
  readonly functionNames: readonly FunctionName[];
  readonly table: ReservationTable;
  readonly api: ReservationApi;
  readonly timers: ReservationTimers;
  readonly events: TaskRouterEvents;
  /** Twilio Event Streams' Kinesis stream and its consumer's source, with `-c eventStreams=true`. */
  readonly eventStreams: EventStreamsIngest | undefined;
  readonly authToken: Secret;
  /** What TaskRouter and clients see: PUBLIC_BASE_URL. */
  readonly publicBaseUrl: string;

  constructor(scope: Construct, id: string, props: ReservationsStackProps) {
    super(scope, id, { description: 'Twilio TaskRouter reservation lifecycle (taskrouter-reservations)', ...props });
    const { settings } = props;

    // A parameter rather than context: `cdk synth` needs no account, `cdk deploy` must be given one.
    const accountSid = new CfnParameter(this, 'TwilioAccountSid', {
      type: 'String',
      description: 'The Twilio Account SID whose callbacks and REST credentials this deployment accepts',
      allowedPattern: '^AC[0-9a-fA-F]{32}$',
      constraintDescription: 'must be an Account SID: AC followed by 32 hexadecimal digits',
    });

    this.authToken = new Secret(this, 'AuthToken', {
      description:
        'Twilio auth token (plain text), or JSON {"authToken", "accounts", "apiKeys"}. Created with a random placeholder: set it with `aws secretsmanager put-secret-value`.',
      generateSecretString: { passwordLength: 32, excludePunctuation: true },
      removalPolicy: settings.removalPolicy,
    });
    Validations.of(this.authToken).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The secret holds the Twilio auth token, which Twilio issues and rotates (console or API); the owner then puts the new value here. There is nothing for a rotation Lambda to generate.',
    });

    this.table = new ReservationTable(this, 'Table', { removalPolicy: settings.removalPolicy });

    const environment = { ...settings.serviceEnvironment, TWILIO_ACCOUNT_SID: accountSid.valueAsString };
    this.functionNames = deployedFunctions({ connected: settings.connected, eventStreams: settings.eventStreams !== undefined });
    const created: Partial<Record<FunctionName, ServiceFunction>> = {};
    const timeoutFunctionName = `${this.stackName}-reservation-timeout`;
    for (const name of this.functionNames) {
      created[name] = new ServiceFunction(this, functionId(name), {
        name,
        ...(name === 'reservation-timeout' && { functionName: timeoutFunctionName }),
        ...(name === 'assignment-callback' &&
          settings.callbackReservedConcurrency !== undefined && { reservedConcurrency: settings.callbackReservedConcurrency }),
        logRetention: settings.logRetention,
        removalPolicy: settings.removalPolicy,
        environment: {
          ...environment,
          ...(bindsOf(name).policy && { ASSIGNMENT_POLICY: `/var/task/${BUNDLED_POLICY_FILE}` }),
          ...(bindsOf(name).consolePage && { CONSOLE_PAGE: `/var/task/${BUNDLED_CONSOLE_FILE}` }),
        },
        ...(bindsOf(name).policy && { bundledFiles: { [BUNDLED_POLICY_FILE]: settings.assignmentPolicyPath } }),
        ...(bindsOf(name).consolePage && { generatedFiles: { [BUNDLED_CONSOLE_FILE]: buildConsoleHtml() } }),
      });
    }
    const functions = created as StackFunctions;
    this.functions = functions;

    // Each function gets what it binds (lib/functions.ts), one bind per resource: the grant and its variables together.
    this.timers = new ReservationTimers(this, 'Timers', { target: functions['reservation-timeout'], targetName: timeoutFunctionName });
    this.events = new TaskRouterEvents(this, 'Events', {
      table: this.table,
      streamReader: functions['publish-events'],
      deliverer: functions['publish-event-callbacks'],
      archiveRetentionDays: settings.archiveRetentionDays,
    });
    for (const name of this.functionNames) {
      const binds = bindsOf(name);
      const fn = created[name]!;
      if (binds.table) bindTable(fn, this.table, binds.table);
      if (binds.credentials) bindSecret(fn, this.authToken);
      if (binds.timers) this.timers.bindArmer(fn);
      if (binds.eventBus) this.events.bindBus(fn);
      if (binds.eventDelivery) this.events.bindDeliveryQueue(fn, binds.eventDelivery);
      if (FUNCTIONS[name].trigger === 'bus') this.events.subscribe(fn);
    }

    this.api = new ReservationApi(this, 'Api', {
      functions,
      throttle: settings.throttle,
      logRetention: settings.logRetention,
      removalPolicy: settings.removalPolicy,
    });
    this.publicBaseUrl = settings.publicBaseUrl ?? this.api.endpoint;
    for (const fn of Object.values(functions)) fn.addEnvironment('PUBLIC_BASE_URL', this.publicBaseUrl);

    // Connected: the sweep settles forwarded updates left unsettled, every minute.
    const sweep = functions['upstream-sweep'];
    if (sweep) {
      new Rule(this, 'UpstreamSweepSchedule', {
        description: 'Runs the upstream sweep every minute (connected mode)',
        schedule: Schedule.rate(Duration.minutes(1)),
        targets: [new LambdaFunction(sweep, { retryAttempts: 0 })],
      });
      // The next minute's sweep is the retry: Lambda's own two would only overlap it.
      sweep.configureAsyncInvoke({ retryAttempts: 0 });
    }

    // Connected, Event Streams may feed the mirror instead of (or beside) the EventCallbackUrl.
    const streamsConsumer = functions['mirror-event-streams'];
    this.eventStreams =
      settings.eventStreams &&
      streamsConsumer &&
      new EventStreamsIngest(this, 'EventStreamsIngest', { consumer: streamsConsumer, externalId: settings.eventStreams.externalId });

    const alarms = new ReservationAlarms(this, 'Alarms', {
      callback: functions['assignment-callback'],
      stage: this.api.stage,
      deadLetterQueue: this.timers.deadLetterQueue,
      timerFailureQueue: this.timers.failureQueue,
      events: {
        streamReader: functions['publish-events'],
        deliveryDeadLetterQueue: this.events.deliveryDeadLetterQueue,
        streamFailureQueue: this.events.streamFailureQueue,
        lifecycleFailureQueue: this.events.subscriberFailureQueue,
      },
      connected: settings.connected,
      ...(sweep && { sweep }),
      ...(this.eventStreams && { eventStreamsFailureQueue: this.eventStreams.failureQueue }),
      email: settings.alarmEmail,
    });

    const { dashboard } = new ReservationDashboard(this, 'Operations', {
      functions,
      table: this.table,
      stage: this.api.stage,
      alarms: alarms.alarms,
      connected: settings.connected,
    });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${dashboard.dashboardName}`,
      description: 'The CloudWatch dashboard: alarms, reservation metrics, function, table and API health',
    });

    const pathOf = (fn: FunctionName) => ROUTES.find((r) => r.fn === fn)!.path;
    new CfnOutput(this, 'WebhookUrl', {
      value: `${this.publicBaseUrl}${pathOf('assignment-callback')}`,
      description: "A TaskRouter Workflow's AssignmentCallbackUrl",
    });
    new CfnOutput(this, 'ConsoleUrl', {
      value: `${this.publicBaseUrl}${pathOf('console')}`,
      description: 'The reservation console: sign in with an account SID and auth token, or an API key',
    });
    new CfnOutput(this, 'ApiBaseUrl', { value: this.publicBaseUrl, description: 'Base URL of the Reservation REST API (PUBLIC_BASE_URL)' });
    new CfnOutput(this, 'AuthTokenSecretArn', {
      value: this.authToken.secretArn,
      description: 'Put the Twilio auth token here (aws secretsmanager put-secret-value)',
    });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    if (settings.connected) {
      new CfnOutput(this, 'EventCallbackUrl', {
        value: `${this.publicBaseUrl}${pathOf('mirror-event-callbacks')}`,
        description: "Connected mode: the upstream Workspace's EventCallbackUrl (its events are mirrored here)",
      });
    }
    if (this.eventStreams) {
      new CfnOutput(this, 'EventStreamsKinesisArn', {
        value: this.eventStreams.stream.streamArn,
        description: "The Event Streams Sink's sink_configuration.arn",
      });
      new CfnOutput(this, 'EventStreamsRoleArn', {
        value: this.eventStreams.twilioRole.roleArn,
        description: "The Event Streams Sink's sink_configuration.role_arn",
      });
      new CfnOutput(this, 'EventStreamsExternalId', {
        value: settings.eventStreams!.externalId,
        description: "The Event Streams Sink's sink_configuration.external_id",
      });
    }
    new CfnOutput(this, 'EventBusName', {
      value: this.events.bus.eventBusName,
      description: 'The EventBridge bus every TaskRouter event is put on (source taskrouter-reservations)',
    });
    new CfnOutput(this, 'EventArchiveArn', {
      value: this.events.archive.archiveArn,
      description: "The bus's archive: replay a window with aws events start-replay --event-source-arn <this>",
    });
    new CfnOutput(this, 'EventBusArn', { value: this.events.bus.eventBusArn, description: 'The bus, as a replay destination' });
  }
}

/** Lets a function read the accounts' credentials: the secret's ARN (never its value) and GetSecretValue on it. */
function bindSecret(fn: ServiceFunction, secret: Secret): void {
  fn.addEnvironment('TWILIO_AUTH_TOKEN_SECRET_ARN', secret.secretArn);
  fn.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }));
}

/** The app: the stack named by context, checked by cdk-nag's AWS Solutions rules at synth. */
export function defineApp(app: App): ReservationsStack {
  const settings = readSettings(app.node);
  const stack = new ReservationsStack(app, settings.stackName, { settings });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return stack;
}
