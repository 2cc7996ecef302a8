/**
 * The CDK stack, synthesized in memory without bundling (`aws:cdk:bundling-stacks: []`): what it
 * deploys, what each function may do, and that cdk-nag's AWS Solutions rules pass.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '#lib/config.ts';
import { FUNCTIONS, bindsOf, type FunctionName, type FunctionSpec } from '#lib/functions.ts';
import { DEFAULT_ROUTE, ROUTES, hasRoute } from '#lib/http/routes.ts';
import { SERVICE_NAME } from '#lib/logging.ts';
import { TABLE, createTableInput } from '#lib/store/table.ts';
import { METRICS } from '#lib/telemetry/metrics.ts';
import { ACCESS_LOG_FIELDS } from '../../infra/api.ts';
import type { ServiceFunction } from '../../infra/function.ts';
import { ContextError } from '../../infra/settings.ts';
import { defineApp, type ReservationsStack } from '../../infra/stack.ts';
import { TABLE_ACTIONS } from '../../infra/table.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const sourceFiles = (dir: string) =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
const CDK_CONTEXT = (JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
const NAMES = Object.keys(FUNCTIONS) as FunctionName[];

const scratch = mkdtempSync(join(tmpdir(), 'infra-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let apps = 0;
function newApp(context: Record<string, unknown> = {}): App {
  return new App({ outdir: join(scratch, `app-${apps++}`), context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context } });
}

function synth(context: Record<string, unknown> = {}) {
  const app = newApp(context);
  const stack = defineApp(app);
  return { app, stack, template: Template.fromStack(stack) };
}

type Json = Record<string, unknown>;
interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Json;
}

const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
/** A function the stack creates; one of a mode it does not turn on fails the test. */
function fnOf(stack: ReservationsStack, name: FunctionName): ServiceFunction {
  const fn = stack.functions[name];
  if (!fn) throw new Error(`${name} is not in this stack (${stack.functionNames.join(', ')})`);
  return fn;
}

const logicalId = (stack: ReservationsStack, construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);

function resources(template: Template, type: string): Record<string, Json> {
  return template.findResources(type) as Record<string, Json>;
}

/** Every statement of the role's policies (attached AWS::IAM::Policy and inline). */
function statementsOfRole(template: Template, roleId: string): Statement[] {
  const attached = Object.values(resources(template, 'AWS::IAM::Policy'))
    .filter((p) => JSON.stringify((p['Properties'] as Json)['Roles']).includes(`"${roleId}"`))
    .flatMap((p) => ((p['Properties'] as Json)['PolicyDocument'] as { Statement: Statement[] }).Statement);
  const role = resources(template, 'AWS::IAM::Role')[roleId]!;
  const inline = (((role['Properties'] as Json)['Policies'] ?? []) as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
    (p) => p.PolicyDocument.Statement,
  );
  return [...attached, ...inline];
}

function actionsOf(template: Template, stack: ReservationsStack, name: FunctionName): string[] {
  return statementsOfRole(template, logicalId(stack, fnOf(stack, name).role!)).flatMap((s) => list(s.Action));
}

function environmentOf(template: Template, stack: ReservationsStack, name: FunctionName): Record<string, unknown> {
  const fn = resources(template, 'AWS::Lambda::Function')[logicalId(stack, fnOf(stack, name))]!;
  return ((fn['Properties'] as Json)['Environment'] as { Variables: Record<string, unknown> }).Variables;
}

/** The default configuration, shared; a failure here (a cdk-nag finding, say) still cleans up. */
const defaults = (() => {
  try {
    return synth();
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    throw error;
  }
})();

const EXTERNAL_ID = 'f00d'.repeat(20);
const UPSTREAM = { taskrouterUpstreamUrl: 'https://taskrouter.twilio.com' };
/** Connected with Event Streams: the stack that creates every function of lib/functions.ts. */
const full = synth({ ...UPSTREAM, eventStreams: 'true', eventStreamsExternalId: EXTERNAL_ID });
/** Each function in the stack that has it: standalone's in the default one, the others in the full one. */
const EVERY = [defaults, full] as const;

describe('the functions', () => {
  it('are one Lambda function per entry of lib/functions.ts the stack’s modes call for, Node.js 22 on arm64, with its timeout, a log group and the handler of the bundle', () => {
    for (const { template, stack } of EVERY) {
      const functions = Object.values(resources(template, 'AWS::Lambda::Function'));
      expect(functions).toHaveLength(stack.functionNames.length);
      for (const fn of functions) {
        expect(fn['Properties']).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler', MemorySize: 1024 });
      }
      for (const name of stack.functionNames) {
        const fn = resources(template, 'AWS::Lambda::Function')[logicalId(stack, fnOf(stack, name))]!;
        expect(fn['Properties']).toMatchObject({
          Timeout: FUNCTIONS[name].timeoutSeconds,
          Description: FUNCTIONS[name].description,
          LoggingConfig: { LogGroup: { Ref: logicalId(stack, fnOf(stack, name).logGroup) } },
        });
      }
      template.resourceCountIs('AWS::Logs::LogGroup', stack.functionNames.length + 1); // and the API's access logs
      template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    }
  });

  it('leave out connected mode’s functions standalone, and Event Streams’ consumer unless eventStreams is on', () => {
    const modeFunctions = ['mirror-event-callbacks', 'mirror-event-streams', 'upstream-sweep'];
    expect(NAMES.filter((name) => 'deployedWith' in FUNCTIONS[name])).toEqual(modeFunctions);
    expect(defaults.stack.functionNames).toEqual(NAMES.filter((name) => !modeFunctions.includes(name)));
    const connected = synth(UPSTREAM).stack;
    expect(connected.functionNames).toEqual(NAMES.filter((name) => name !== 'mirror-event-streams'));
    expect(full.stack.functionNames).toEqual(NAMES);
    for (const stack of [defaults.stack, connected, full.stack])
      expect(Object.keys(stack.functions).sort(), stack.node.path).toEqual([...stack.functionNames].sort());
  });

  it('are each traced with X-Ray (active tracing), their role allowed to send the segments', () => {
    for (const { template, stack } of EVERY)
      for (const name of stack.functionNames) {
        const fn = resources(template, 'AWS::Lambda::Function')[logicalId(stack, fnOf(stack, name))]!;
        expect(fn['Properties'], name).toMatchObject({ TracingConfig: { Mode: 'Active' } });
        expect(actionsOf(template, stack, name), name).toEqual(expect.arrayContaining(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']));
        // Powertools Tracer names the service in every trace; the environment does not turn it off.
        expect(environmentOf(template, stack, name)['POWERTOOLS_TRACE_ENABLED'], name).toBeUndefined();
      }
  });

  it('each get an environment the deployed configuration (lib/config.ts, lambda mode) accepts', () => {
    // What CloudFormation resolves at deploy time, stood in for by plausible values.
    const stand = (key: string, value: unknown) =>
      typeof value === 'string'
        ? value
        : ({ PUBLIC_BASE_URL: 'https://abc123.execute-api.eu-west-1.amazonaws.com', TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}` }[key] ?? `resolved-${key}`);
    for (const { template, stack } of EVERY)
      for (const name of stack.functionNames) {
        const variables = environmentOf(template, stack, name);
        const env = Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, stand(k, v)]));
        const config = loadConfig(env, 'lambda', bindsOf(name));
        expect(config.timeoutSchedule !== undefined, name).toBe(bindsOf(name).timers === true);
        expect(config.tableName !== undefined, name).toBe(bindsOf(name).table !== undefined);
        expect(config.assignmentPolicyPath, name).toBe(bindsOf(name).policy ? '/var/task/policy.json' : undefined);
        expect(config.consolePagePath, name).toBe(bindsOf(name).consolePage ? '/var/task/console.html' : undefined);
      }
  });

  it('find the token only in the secret: its ARN in the environment, never the token itself', () => {
    for (const { template, stack } of EVERY) {
      const secretId = logicalId(stack, stack.authToken);
      const secret = resources(template, 'AWS::SecretsManager::Secret')[secretId]!;
      expect(secret['Properties']).toMatchObject({ GenerateSecretString: { PasswordLength: 32 } });
      expect((secret['Properties'] as Json)['SecretString']).toBeUndefined();
      for (const name of stack.functionNames) {
        const env = environmentOf(template, stack, name);
        expect(env['TWILIO_AUTH_TOKEN_SECRET_ARN'], name).toEqual(bindsOf(name).credentials ? { Ref: secretId } : undefined);
        expect(
          Object.keys(env).filter((k) => ['TWILIO_AUTH_TOKEN', 'TWILIO_ACCOUNTS', 'TWILIO_API_KEYS'].includes(k)),
          name,
        ).toEqual([]);
        expect(env['TWILIO_ACCOUNT_SID'], name).toEqual({ Ref: 'TwilioAccountSid' });
      }
      template.hasParameter('TwilioAccountSid', { Type: 'String', AllowedPattern: '^AC[0-9a-fA-F]{32}$' });
    }
  });
});

describe('the HTTP API', () => {
  const { template, stack } = defaults;
  const routes = Object.values(resources(template, 'AWS::ApiGatewayV2::Route')).map(
    (r) => r['Properties'] as { RouteKey: string; Target: unknown; AuthorizationType?: string },
  );
  const integrations = resources(template, 'AWS::ApiGatewayV2::Integration');

  /** The function a route key leads to. */
  function functionOf(routeKey: string): string | undefined {
    const route = routes.find((r) => r.RouteKey === routeKey);
    const integrationId = JSON.stringify(route?.Target).match(/"Ref":"([^"]+)"/)?.[1];
    const uri = (integrations[integrationId ?? '']?.['Properties'] as Json | undefined)?.['IntegrationUri'] as { 'Fn::GetAtt': [string, string] } | undefined;
    return uri?.['Fn::GetAtt'][0];
  }

  it('has one route per entry of lib/http/routes.ts whose function it creates and `$default`, each to its function with payload format 2.0', () => {
    const served = ROUTES.filter((route) => hasRoute(route, false));
    // Routed functions are standalone or connected ones: the routing knows no other mode.
    for (const route of ROUTES) expect([undefined, 'connected'], route.path).toContain((FUNCTIONS[route.fn] as FunctionSpec).deployedWith);
    // Standalone, only connected mode's route is not there.
    expect(ROUTES.filter((route) => !served.includes(route)).map((r) => `${r.method} ${r.path}`)).toEqual(['POST /event-callback']);
    expect(routes.map((r) => r.RouteKey).sort()).toEqual([...served.map((r) => `${r.method} ${r.path}`), '$default'].sort());
    for (const route of served) expect(functionOf(`${route.method} ${route.path}`), route.path).toBe(logicalId(stack, fnOf(stack, route.fn)));
    expect(functionOf('$default')).toBe(logicalId(stack, fnOf(stack, DEFAULT_ROUTE)));
    template.allResourcesProperties('AWS::ApiGatewayV2::Integration', { IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
  });

  it('serves the console page at GET /console from a function of its own, public (no authorizer), and gives its URL as an output', () => {
    const consoleFunction = logicalId(stack, fnOf(stack, 'console'));
    expect(functionOf('GET /console')).toBe(consoleFunction);
    expect(routes.find((r) => r.RouteKey === 'GET /console')?.AuthorizationType ?? 'NONE').toBe('NONE');
    expect(NAMES.filter((name) => bindsOf(name).consolePage)).toEqual(['console']);
    expect(FUNCTIONS.console).toMatchObject({ trigger: 'http', auth: 'none', binds: { consolePage: true } });
    const endpoint = { 'Fn::GetAtt': [logicalId(stack, stack.api.httpApi), 'ApiEndpoint'] };
    template.hasOutput('ConsoleUrl', { Value: { 'Fn::Join': ['', [endpoint, '/console']] } });
    expect(synth({ publicBaseUrl: 'https://taskrouter.example.com' }).template.findOutputs('ConsoleUrl')['ConsoleUrl']!['Value']).toBe(
      'https://taskrouter.example.com/console',
    );
  });

  it('serves the `$default` stage only (no stage prefix), auto-deployed and throttled', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
    });
    const throttled = synth({ throttleRate: '5', throttleBurst: 10 }).template;
    throttled.hasResourceProperties('AWS::ApiGatewayV2::Stage', { DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 } });
  });

  it('logs each request as JSON without the caller, the path, the query string or the body', () => {
    const stage = Object.values(resources(template, 'AWS::ApiGatewayV2::Stage'))[0]!['Properties'] as {
      AccessLogSettings: { Format: string; DestinationArn: unknown };
    };
    const format = JSON.parse(stage.AccessLogSettings.Format) as Record<string, string>;
    expect(format).toEqual(ACCESS_LOG_FIELDS);
    expect(Object.values(format).join(' ')).not.toMatch(/sourceIp|identity|path|querystring|body|userAgent|authorizer/i);
  });

  it('gives the webhook and base URLs as outputs: the API endpoint, or publicBaseUrl when set', () => {
    const endpoint = { 'Fn::GetAtt': [logicalId(stack, stack.api.httpApi), 'ApiEndpoint'] };
    template.hasOutput('ApiBaseUrl', { Value: endpoint });
    template.hasOutput('WebhookUrl', { Value: { 'Fn::Join': ['', [endpoint, '/assignment-callback']] } });
    template.hasOutput('AuthTokenSecretArn', { Value: { Ref: logicalId(stack, stack.authToken) } });
    template.hasOutput('TableName', { Value: { Ref: logicalId(stack, stack.table) } });
    for (const name of stack.functionNames) expect(environmentOf(template, stack, name)['PUBLIC_BASE_URL']).toEqual(endpoint);

    const custom = synth({ publicBaseUrl: 'https://taskrouter.example.com/' });
    custom.template.hasOutput('WebhookUrl', { Value: 'https://taskrouter.example.com/assignment-callback' });
    custom.template.hasOutput('ApiBaseUrl', { Value: 'https://taskrouter.example.com' });
    expect(environmentOf(custom.template, custom.stack, 'get-task')['PUBLIC_BASE_URL']).toBe('https://taskrouter.example.com');
  });
});

describe('the table', () => {
  it('is lib/store/table.ts: pk/sk strings, the worker LSI, on demand, PITR, encrypted, TTL, retained by default', () => {
    const { template } = defaults;
    const local = createTableInput('any');
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        // The very keys and index the local engines create the table with.
        KeySchema: local.KeySchema,
        LocalSecondaryIndexes: local.LocalSecondaryIndexes,
        GlobalSecondaryIndexes: local.GlobalSecondaryIndexes,
        StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
        // Kept: deleting it by hand is refused.
        DeletionProtectionEnabled: true,
      },
    });
    const deployed = (Object.values(resources(template, 'AWS::DynamoDB::Table'))[0]!['Properties'] as { AttributeDefinitions: { AttributeName: string }[] })
      .AttributeDefinitions;
    const byName = (a: { AttributeName?: string }, b: { AttributeName?: string }) => a.AttributeName!.localeCompare(b.AttributeName!);
    expect([...deployed].sort(byName)).toEqual([...local.AttributeDefinitions!].sort(byName));
  });

  it('is deleted with the stack when removalPolicy is destroy', () => {
    const { template } = synth({ removalPolicy: 'destroy' });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete', Properties: Match.objectLike({ DeletionProtectionEnabled: false }) });
    template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Delete' });
  });
});

describe('reservation timers', () => {
  // Every function that arms them is in the full stack.
  const { template, stack } = full;
  const timeoutFunction = { 'Fn::GetAtt': [logicalId(stack, fnOf(stack, 'reservation-timeout')), 'Arn'] };
  const schedulerRoleId = logicalId(stack, stack.timers.schedulerRole);
  const queueId = logicalId(stack, stack.timers.deadLetterQueue);
  const groupId = logicalId(stack, stack.timers.group);

  it('have a schedule group and an encrypted, TLS-only dead-letter queue', () => {
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
    template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: stack.timers.group.scheduleGroupName });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('fire with a role only Scheduler assumes, for the schedules of this group in this account, that may invoke the timeout function and write to the queue, nothing else', () => {
    const role = resources(template, 'AWS::IAM::Role')[schedulerRoleId]!;
    expect((role['Properties'] as Json)['AssumeRolePolicyDocument']).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' }, 'aws:SourceArn': { 'Fn::GetAtt': [groupId, 'Arn'] } } },
        },
      ],
    });
    const statements = statementsOfRole(template, schedulerRoleId);
    expect(statements.map((s) => [list(s.Action), s.Resource])).toEqual([
      [['lambda:InvokeFunction'], timeoutFunction],
      [['sqs:SendMessage'], { 'Fn::GetAtt': [queueId, 'Arn'] }],
    ]);
  });

  it('are armed by the functions that bind them alone: CreateSchedule in the group, PassRole of the scheduler role to Scheduler', () => {
    expect(NAMES.filter((name) => bindsOf(name).timers)).toEqual([
      'assignment-callback',
      'wrap-up',
      'reservation-timeout',
      'lifecycle',
      'mirror-event-callbacks',
      'mirror-event-streams',
      'upstream-sweep',
    ]);
    // The timeout function arms later checks too (connected): its ARN is built from its fixed name, not a reference to itself.
    const timeoutArn = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':lambda:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          `:function:${stack.stackName}-reservation-timeout`,
        ],
      ],
    };
    expect((resources(template, 'AWS::Lambda::Function')[logicalId(stack, fnOf(stack, 'reservation-timeout'))]!['Properties'] as Json)['FunctionName']).toBe(
      `${stack.stackName}-reservation-timeout`,
    );
    for (const name of stack.functionNames) {
      const statements = statementsOfRole(template, logicalId(stack, fnOf(stack, name).role!));
      const scheduling = statements.filter((s) => list(s.Action).some((a) => a.startsWith('scheduler:') || a === 'iam:PassRole' || a.startsWith('lambda:')));
      if (!bindsOf(name).timers) {
        expect(scheduling, name).toEqual([]);
        continue;
      }
      expect(scheduling.map((s) => list(s.Action))).toEqual([['scheduler:CreateSchedule'], ['iam:PassRole']]);
      expect(scheduling[1]).toMatchObject({
        Resource: { 'Fn::GetAtt': [schedulerRoleId, 'Arn'] },
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      });
      const arn = JSON.stringify(scheduling[0]!.Resource);
      expect(arn).toContain(`:schedule/${stack.timers.group.scheduleGroupName}/*`);
      const env = environmentOf(template, stack, name);
      expect(env).toMatchObject({
        TIMEOUT_SCHEDULE_GROUP: stack.timers.group.scheduleGroupName,
        TIMEOUT_FUNCTION_ARN: timeoutArn,
        TIMEOUT_SCHEDULE_ROLE_ARN: { 'Fn::GetAtt': [schedulerRoleId, 'Arn'] },
        TIMEOUT_DEAD_LETTER_QUEUE_ARN: { 'Fn::GetAtt': [queueId, 'Arn'] },
      });
    }
  });
});

const STREAM_ACTIONS = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'];

describe('TaskRouter events', () => {
  const { template, stack } = defaults;
  const reader = logicalId(stack, fnOf(stack, 'publish-events'));
  const deliverer = logicalId(stack, fnOf(stack, 'publish-event-callbacks'));
  const queueArn = (queue: IConstruct) => ({ 'Fn::GetAtt': [logicalId(stack, queue), 'Arn'] });

  it('leave the request path through the table stream: the reader takes task items and workers’ own items only, reports failures per record, bisects, then parks the batch', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: reader },
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack, stack.table), 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 10,
      DestinationConfig: { OnFailure: { Destination: queueArn(stack.events.streamFailureQueue) } },
      FilterCriteria: {
        Filters: [
          { Pattern: JSON.stringify({ dynamodb: { Keys: { pk: { S: [{ prefix: 'TASK#' }] } } } }) },
          { Pattern: JSON.stringify({ dynamodb: { Keys: { pk: { S: [{ prefix: 'WORKER#' }] }, sk: { S: ['ACTIVITY'] } } } }) },
        ],
      },
    });
    const streamGrant = statementsOfRole(template, logicalId(stack, fnOf(stack, 'publish-events').role!)).filter((s) =>
      list(s.Action).some((a) => STREAM_ACTIONS.includes(a)),
    );
    // CDK merges ListStreams with X-Ray's actions, every resource too, into one statement.
    expect(
      streamGrant
        .flatMap((s) => list(s.Action))
        .filter((a) => !a.startsWith('xray:'))
        .sort(),
    ).toEqual([...STREAM_ACTIONS].sort());
  });

  it('hand each reservation event on the bus to the lifecycle function, retried, then parked', () => {
    const lifecycle = logicalId(stack, fnOf(stack, 'lifecycle'));
    const failures = queueArn(stack.events.subscriberFailureQueue!);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: logicalId(stack, stack.events.bus) },
      EventPattern: { source: ['taskrouter-reservations'], 'detail-type': [{ prefix: 'reservation.' }] },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [lifecycle, 'Arn'] }, DeadLetterConfig: { Arn: failures } })],
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: lifecycle },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: failures } },
    });
  });

  it('put every event on the custom bus, named in the EventBusName output; only the reader may (and the timers, news of attention)', () => {
    template.resourceCountIs('AWS::Events::EventBus', 1);
    const bus = logicalId(stack, stack.events.bus);
    template.hasOutput('EventBusName', { Value: { Ref: bus } });
    // The timer function puts reservation.needs-attention (its own source) on the bus.
    const putters: readonly FunctionName[] = ['publish-events', 'reservation-timeout'];
    for (const { template, stack } of EVERY) {
      const bus = logicalId(stack, stack.events.bus);
      for (const name of stack.functionNames) {
        const puts = statementsOfRole(template, logicalId(stack, fnOf(stack, name).role!)).filter((s) => list(s.Action).includes('events:PutEvents'));
        expect(
          puts.map((s) => s.Resource),
          name,
        ).toEqual(putters.includes(name) ? [{ 'Fn::GetAtt': [bus, 'Arn'] }] : []);
        expect(environmentOf(template, stack, name)['EVENT_BUS_NAME'], name).toEqual(putters.includes(name) ? { Ref: bus } : undefined);
      }
    }
  });

  it('deliver callbacks from a queue the reader sends to and the deliverer reads, parked after 11 receives (over an hour) in a dead-letter queue', () => {
    const queue = logicalId(stack, stack.events.deliveryQueue);
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 180,
      RedrivePolicy: { deadLetterTargetArn: queueArn(stack.events.deliveryDeadLetterQueue), maxReceiveCount: 11 },
      SqsManagedSseEnabled: true,
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: deliverer },
      EventSourceArn: { 'Fn::GetAtt': [queue, 'Arn'] },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    const actionsOn = (name: FunctionName) =>
      statementsOfRole(template, logicalId(stack, fnOf(stack, name).role!))
        .filter((s) => JSON.stringify(s.Resource).includes(queue))
        .flatMap((s) => list(s.Action));
    expect(actionsOn('publish-events')).toEqual(['sqs:SendMessage']);
    expect([...new Set(actionsOn('publish-event-callbacks'))].sort()).toEqual([
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:ReceiveMessage',
    ]);
    for (const name of ['publish-events', 'publish-event-callbacks'] as const)
      expect(environmentOf(template, stack, name)['EVENT_DELIVERY_QUEUE_URL']).toEqual({ Ref: queue });
  });

  it('archive every event of the bus (both sources), 365 days unless archiveRetentionDays says otherwise, named in the EventArchiveArn output', () => {
    const bus = logicalId(stack, stack.events.bus);
    template.resourceCountIs('AWS::Events::Archive', 1);
    template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: { 'Fn::GetAtt': [bus, 'Arn'] },
      // The TaskRouter events and the service's own news (reservation.needs-attention).
      EventPattern: { source: ['taskrouter-reservations', 'taskrouter-reservations.lifecycle'] },
      RetentionDays: 365,
    });
    template.hasOutput('EventArchiveArn', { Value: { 'Fn::GetAtt': [logicalId(stack, stack.events.archive), 'Arn'] } });
    template.hasOutput('EventBusArn', { Value: { 'Fn::GetAtt': [bus, 'Arn'] } });
    synth({ archiveRetentionDays: '30' }).template.hasResourceProperties('AWS::Events::Archive', { RetentionDays: 30 });
    // EventBridge's 0: kept indefinitely.
    synth({ archiveRetentionDays: 0 }).template.hasResourceProperties('AWS::Events::Archive', { RetentionDays: 0 });
  });

  it('take EVENT_CALLBACK_URL and EVENTS_FILTER from context, checked at synth', () => {
    const { template: configured, stack: s } = synth({
      eventCallbackUrl: 'https://crm.example.com/taskrouter',
      eventsFilter: 'reservation.accepted, task.completed',
    });
    expect(environmentOf(configured, s, 'publish-events')).toMatchObject({
      EVENT_CALLBACK_URL: 'https://crm.example.com/taskrouter',
      EVENTS_FILTER: 'reservation.accepted, task.completed',
    });
    expect(environmentOf(configured, s, 'publish-event-callbacks')).toMatchObject({ EVENT_CALLBACK_URL: 'https://crm.example.com/taskrouter' });
    expect(() => defineApp(newApp({ eventsFilter: 'reservation.acepted' }))).toThrow(/eventsFilter.*reservation\.acepted/s);
    expect(() => defineApp(newApp({ eventCallbackUrl: 'ftp://x' }))).toThrow(/eventCallbackUrl/);
  });
});

describe('connected mode (taskrouterUpstreamUrl)', () => {
  const connected = synth({ taskrouterUpstreamUrl: 'https://taskrouter.twilio.com' });

  it('gives every function TASKROUTER_UPSTREAM_URL, routes POST /event-callback to its function, and refuses a URL that is not https', () => {
    for (const name of connected.stack.functionNames)
      expect(environmentOf(connected.template, connected.stack, name)['TASKROUTER_UPSTREAM_URL'], name).toBe('https://taskrouter.twilio.com');
    expect(ROUTES.find((r) => r.path === '/event-callback')).toMatchObject({ method: 'POST', fn: 'mirror-event-callbacks' });
    const routeKeys = (template: Template) =>
      Object.values(resources(template, 'AWS::ApiGatewayV2::Route')).map((r) => (r['Properties'] as { RouteKey: string }).RouteKey);
    expect(routeKeys(connected.template)).toContain('POST /event-callback');
    expect(routeKeys(defaults.template)).not.toContain('POST /event-callback');
    expect(FUNCTIONS['mirror-event-callbacks']).toMatchObject({ auth: 'webhook', binds: { table: 'write', credentials: true } });
    expect(() => defineApp(newApp({ taskrouterUpstreamUrl: 'http://taskrouter.example.com' }))).toThrow(/taskrouterUpstreamUrl.*https/s);
    expect(environmentOf(defaults.template, defaults.stack, 'update-reservation')['TASKROUTER_UPSTREAM_URL']).toBeUndefined();
  });

  it('runs the sweep every minute, only when connected', () => {
    const sweep = { 'Fn::GetAtt': [logicalId(connected.stack, fnOf(connected.stack, 'upstream-sweep')), 'Arn'] };
    connected.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: sweep })],
    });
    defaults.template.resourcePropertiesCountIs('AWS::Events::Rule', { ScheduleExpression: Match.anyValue() }, 0);
  });

  it('names the upstream Workspace’s EventCallbackUrl in an output, only when connected', () => {
    const url = JSON.stringify(connected.template.findOutputs('EventCallbackUrl')['EventCallbackUrl']!['Value']);
    expect(url).toContain('/event-callback');
    expect(defaults.template.findOutputs('EventCallbackUrl')).toEqual({});
  });

  it('alarms on a failing sweep, and leaves its retry to the next minute’s sweep', () => {
    const sweep = { Ref: logicalId(connected.stack, fnOf(connected.stack, 'upstream-sweep')) };
    connected.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: sweep }],
      Threshold: 1,
    });
    connected.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { FunctionName: sweep, MaximumRetryAttempts: 0 });
  });

  it('alarms on the upstream’s failures and on updates unsettled for five minutes', () => {
    connected.template.resourceCountIs('AWS::CloudWatch::Alarm', 14);
    connected.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'FILL(forwardsUnknown, 0) + FILL(readsFailed, 0)' }),
        Match.objectLike({
          Id: 'forwardsUnknown',
          MetricStat: Match.objectLike({
            Metric: {
              Namespace: 'TaskRouterReservations',
              MetricName: 'Forwards',
              Dimensions: Match.arrayWith([{ Name: 'Outcome', Value: 'unknown' }]),
            },
            Stat: 'Sum',
          }),
        }),
      ]),
      Threshold: 1,
    });
    connected.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'TaskRouterReservations',
      MetricName: 'ForwardsUnsettledOverFiveMinutes',
      Statistic: 'Maximum',
      Threshold: 1,
    });
  });

  it('stays clean under cdk-nag', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(connected.app);
    expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });
});

describe('Event Streams (eventStreams, connected mode)', () => {
  const streaming = full;
  const { template, stack } = streaming;
  const ingest = stack.eventStreams!;
  const consumer = logicalId(stack, fnOf(stack, 'mirror-event-streams'));
  const streamArn = { 'Fn::GetAtt': [logicalId(stack, ingest.stream), 'Arn'] };

  it('creates a one-shard stream, 24-hour retention, encrypted with the AWS managed key, deleted with the stack', () => {
    template.resourceCountIs('AWS::Kinesis::Stream', 1);
    template.hasResource('AWS::Kinesis::Stream', { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      ShardCount: 1,
      RetentionPeriodHours: 24,
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
    });
  });

  it('lets Twilio’s AWS account assume the sink role only with the ExternalId, to put records on this stream and nothing else', () => {
    const role = resources(template, 'AWS::IAM::Role')[logicalId(stack, ingest.twilioRole)]!;
    const trust = ((role['Properties'] as Json)['AssumeRolePolicyDocument'] as { Statement: Statement[] }).Statement;
    expect(trust).toHaveLength(1);
    expect(trust[0]).toMatchObject({ Effect: 'Allow', Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': EXTERNAL_ID } } });
    expect(JSON.stringify((trust[0] as unknown as Json)['Principal'])).toContain(':iam::177261743968:root');
    const statements = statementsOfRole(template, logicalId(stack, ingest.twilioRole)).map((st) => ({
      actions: list(st.Action).sort(),
      resource: st.Resource,
    }));
    expect(statements).toEqual([
      { actions: ['kinesis:ListShards', 'kinesis:PutRecord', 'kinesis:PutRecords'], resource: streamArn },
      { actions: ['kinesis:DescribeLimits'], resource: '*' },
    ]);
  });

  it('feeds the consumer from the stream: failures per record, bisected, 10 retries, an hour at most, then parked in an encrypted, TLS-only queue an alarm watches', () => {
    const queue = logicalId(stack, ingest.failureQueue);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: consumer },
      EventSourceArn: streamArn,
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queue, 'Arn'] } } },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queue }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 15);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
      Threshold: 1,
    });
  });

  it('lets the consumer read this stream alone, and no role but Twilio’s write to it', () => {
    const consumerStatements = statementsOfRole(template, logicalId(stack, fnOf(stack, 'mirror-event-streams').role!));
    const reads = consumerStatements.filter((st) => list(st.Action).some((a) => a.startsWith('kinesis:')));
    expect(reads.map((st) => st.Resource)).toEqual([streamArn]);
    expect(reads.flatMap((st) => list(st.Action))).toEqual(expect.arrayContaining(['kinesis:GetRecords', 'kinesis:GetShardIterator']));
    const writers = Object.keys(resources(template, 'AWS::IAM::Role')).filter((id) =>
      statementsOfRole(template, id).some((st) => list(st.Action).some((a) => a.startsWith('kinesis:Put'))),
    );
    expect(writers).toEqual([logicalId(stack, ingest.twilioRole)]);
  });

  it('gives the Sink’s configuration as outputs: the stream ARN, the role ARN, the ExternalId', () => {
    template.hasOutput('EventStreamsKinesisArn', { Value: streamArn });
    template.hasOutput('EventStreamsRoleArn', { Value: { 'Fn::GetAtt': [logicalId(stack, ingest.twilioRole), 'Arn'] } });
    template.hasOutput('EventStreamsExternalId', { Value: EXTERNAL_ID });
  });

  it('stays clean under cdk-nag', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(streaming.app);
    expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });

  it('creates none of it without eventStreams, connected or not: no stream, no consumer function', () => {
    for (const { template: t, stack: s } of [defaults, synth(UPSTREAM), synth({ ...UPSTREAM, eventStreams: false })]) {
      expect(s.eventStreams).toBeUndefined();
      t.resourceCountIs('AWS::Kinesis::Stream', 0);
      // Nor its consumer: no function, no event source mapping from a stream.
      expect(s.functions['mirror-event-streams']).toBeUndefined();
      const fed = Object.values(resources(t, 'AWS::Lambda::EventSourceMapping')).map((m) => (m['Properties'] as Json)['FunctionName']);
      expect(fed).toEqual([{ Ref: logicalId(s, fnOf(s, 'publish-events')) }, { Ref: logicalId(s, fnOf(s, 'publish-event-callbacks')) }]);
      expect(Object.keys(t.findOutputs('*')).filter((name) => name.startsWith('EventStreams'))).toEqual([]);
      expect(JSON.stringify(t.toJSON())).not.toContain('177261743968');
    }
  });

  it('refuses eventStreams without taskrouterUpstreamUrl, or without a strong ExternalId, and an ExternalId alone', () => {
    expect(() => defineApp(newApp({ eventStreams: 'true', eventStreamsExternalId: EXTERNAL_ID }))).toThrow(ContextError);
    expect(() => defineApp(newApp({ eventStreams: 'true', eventStreamsExternalId: EXTERNAL_ID }))).toThrow(/eventStreams.*needs taskrouterUpstreamUrl/s);
    expect(() => defineApp(newApp({ ...UPSTREAM, eventStreams: 'true' }))).toThrow(/eventStreamsExternalId.*is required/s);
    expect(() => defineApp(newApp({ ...UPSTREAM, eventStreams: 'true', eventStreamsExternalId: 'short' }))).toThrow(/eventStreamsExternalId.*is required/s);
    expect(() => defineApp(newApp({ ...UPSTREAM, eventStreams: 'true', eventStreamsExternalId: `${'a'.repeat(40)} b` }))).toThrow(/eventStreamsExternalId/);
    expect(() => defineApp(newApp({ ...UPSTREAM, eventStreamsExternalId: EXTERNAL_ID }))).toThrow(/eventStreamsExternalId.*only read with eventStreams=true/s);
    expect(() => defineApp(newApp({ ...UPSTREAM, eventStreams: 'yes' }))).toThrow(/eventStreams.*true or false/s);
    // The ExternalId is never echoed whole in an error.
    expect(() => defineApp(newApp({ ...UPSTREAM, eventStreams: 'true', eventStreamsExternalId: 'secret-but-short' }))).not.toThrow(/secret-but-short/);
    expect(defineApp(newApp({ ...UPSTREAM, eventStreams: true, eventStreamsExternalId: EXTERNAL_ID })).eventStreams).toBeDefined();
  });
});

describe('least privilege', () => {
  // Every function, and so every grant, is in the full stack.
  const { template, stack } = full;
  const allStatements = () => [
    ...Object.values(resources(template, 'AWS::IAM::Policy')).flatMap(
      (p) => ((p['Properties'] as Json)['PolicyDocument'] as { Statement: Statement[] }).Statement,
    ),
    ...Object.keys(resources(template, 'AWS::IAM::Role')).flatMap((id) => statementsOfRole(template, id)),
  ];

  it('no statement allows a wildcard action, or any action on every resource (but ListStreams, X-Ray’s and the Event Streams sink’s DescribeLimits, which AWS does not scope)', () => {
    const statements = allStatements();
    expect(statements.length).toBeGreaterThan(NAMES.length);
    for (const s of statements) {
      expect(
        list(s.Action).filter((a) => a === '*' || a.endsWith(':*')),
        JSON.stringify(s),
      ).toEqual([]);
      const unscoped = ['dynamodb:ListStreams', 'xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'kinesis:DescribeLimits'];
      if (list(s.Resource).includes('*'))
        expect(
          list(s.Action).filter((a) => !unscoped.includes(a)),
          JSON.stringify(s),
        ).toEqual([]);
    }
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
    for (const role of Object.values(resources(template, 'AWS::IAM::Role'))) expect((role['Properties'] as Json)['ManagedPolicyArns']).toBeUndefined();
  });

  it('each function reaches the table and the secret as lib/functions.ts says it binds them, and nothing it does not bind', () => {
    const writes = TABLE_ACTIONS.write.filter((a) => !(TABLE_ACTIONS.read as readonly string[]).includes(a));
    for (const name of stack.functionNames) {
      const actions = actionsOf(template, stack, name);
      const { table: access, credentials } = bindsOf(name);
      // The stream reader's event source reads the stream (asserted with the events below).
      const table = actions.filter((a) => a.startsWith('dynamodb:') && !STREAM_ACTIONS.includes(a)).sort();
      expect(table, name).toEqual(access === undefined ? [] : [...TABLE_ACTIONS[access]].sort());
      if (access === 'read')
        expect(
          actions.filter((a) => writes.includes(a as never)),
          name,
        ).toEqual([]);
      expect(actions.includes('secretsmanager:GetSecretValue'), name).toBe(credentials === true);
      expect(environmentOf(template, stack, name)['TABLE_NAME'] !== undefined, name).toBe(access !== undefined);
      // Every function that authenticates its callers reads the credentials to do it.
      if (FUNCTIONS[name].auth !== 'none') expect(credentials, name).toBe(true);
    }
    for (const name of ['health', 'not-found', 'console'] as const) {
      expect(actionsOf(template, stack, name).sort(), name).toEqual([
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ]);
    }
  });

  it('the table grants cover every DynamoDB command of every store adapter (the local sweep’s Scan aside, which no function reaches)', () => {
    const ACTION_OF: Record<string, string> = {
      Get: 'GetItem',
      Put: 'PutItem',
      Update: 'UpdateItem',
      Delete: 'DeleteItem',
      BatchGet: 'BatchGetItem',
      BatchWrite: 'BatchWriteItem',
      Query: 'Query',
      Scan: 'Scan',
      TransactGet: 'TransactGetItems',
      TransactWrite: 'TransactWriteItems',
    };
    const adapters = sourceFiles(join(ROOT, 'lib', 'store'));
    const commandsOf = (source: string) => [...new Set([...source.matchAll(/new (\w+?)(?:Item)?Command\(/g)].map((m) => m[1]!))];
    const byFile = adapters.map((file) => ({ file, commands: commandsOf(readFileSync(file, 'utf8')) })).filter((f) => f.commands.length > 0);
    // Every item family has its adapter here, so the commands above are all of them.
    for (const family of ['task-items', 'forward-marks', 'worker-items', 'event-items', 'inbox-items', 'cloud-event-items']) {
      expect(
        adapters.some((file) => file.endsWith(`${family}.ts`)),
        family,
      ).toBe(true);
    }
    expect(byFile.length).toBeGreaterThanOrEqual(6);
    for (const { file, commands } of byFile) {
      for (const command of commands) {
        // The local engines' table is created here; deployed, the stack creates it.
        if (file.endsWith('table-setup.ts') && (command === 'CreateTable' || command === 'DescribeTable')) continue;
        expect(ACTION_OF[command], `${command}Command in ${file}`).toBeDefined();
        if (command === 'Scan' && file.endsWith('task-scan.ts')) continue;
        expect(TABLE_ACTIONS.write, `${command}Command in ${file}`).toContain(`dynamodb:${ACTION_OF[command]}`);
      }
    }
    // The Scan and the table's creation serve the local stack only: nothing a function bundles imports them.
    for (const file of [...sourceFiles(join(ROOT, 'lib')), ...sourceFiles(join(ROOT, 'functions'))]) {
      if (file.includes(`${join('lib', 'local')}`) || file.includes(join('lib', 'store'))) continue;
      expect(readFileSync(file, 'utf8'), file).not.toMatch(/store\/(task-scan|table-setup)\.ts/);
    }
  });

  it('no DynamoDB command is built outside the store: other code imports only types from the DynamoDB packages', () => {
    const outside = [
      ...sourceFiles(join(ROOT, 'lib')),
      ...sourceFiles(join(ROOT, 'functions')),
      ...sourceFiles(join(ROOT, 'scripts')),
      ...sourceFiles(join(ROOT, 'infra')),
      // The bundles' stand-in for the SDK (infra/shims/aws-sdk) defines the commands; it sends none of its own.
    ].filter((file) => !file.includes(join('lib', 'store')) && !file.includes(join('infra', 'shims', 'aws-sdk')));
    expect(outside.length).toBeGreaterThan(20);
    for (const file of outside) {
      const source = readFileSync(file, 'utf8');
      const imports = [...source.matchAll(/^import (type )?[^;]*?from '(@aws-sdk\/(?:client|lib|util)-dynamodb)';/gms)];
      for (const match of imports) expect(match[1], `${file} imports values from ${match[2]}`).toBe('type ');
      expect(source, file).not.toMatch(/new (?:Get|Put|Update|Delete|Query|Scan|BatchGet|BatchWrite|TransactGet|TransactWrite)(?:Item)?Command\(/);
    }
  });
});

describe('alarms', () => {
  it('watch callback errors and p99 duration, API 5xx and p99 latency, undelivered and unhandled timers, parked event callbacks, unread task writes and unhandled lifecycle events', () => {
    const { template, stack } = defaults;
    const callback = { Name: 'FunctionName', Value: { Ref: logicalId(stack, fnOf(stack, 'assignment-callback')) } };
    template.resourceCountIs('AWS::CloudWatch::Alarm', 11);
    for (const queue of [
      stack.timers.deadLetterQueue,
      stack.timers.failureQueue,
      stack.events.deliveryDeadLetterQueue,
      stack.events.streamFailureQueue,
      stack.events.subscriberFailureQueue!,
    ]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack, queue), 'QueueName'] } }],
        Threshold: 1,
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(stack, fnOf(stack, 'publish-events')) } }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(stack, fnOf(stack, 'publish-events')) } }],
      Statistic: 'Maximum',
      Threshold: 300_000,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [callback],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Period: 300,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Duration',
      Dimensions: [callback],
      ExtendedStatistic: 'p99',
      Threshold: 1000,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    const apiStage = Match.arrayWith([
      { Name: 'ApiId', Value: { Ref: logicalId(stack, stack.api.httpApi) } },
      { Name: 'Stage', Value: '$default' },
    ]);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: 'Latency',
      Dimensions: apiStage,
      ExtendedStatistic: 'p99',
      Threshold: 2000,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: apiStage,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    template.resourceCountIs('AWS::SNS::Topic', 0);
  });

  it("parks the timers the timeout function failed on after Lambda's two retries in the timers' failure queue", () => {
    const { template, stack } = defaults;
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(stack, fnOf(stack, 'reservation-timeout')) },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 6 * 3600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(stack, stack.timers.failureQueue), 'Arn'] } } },
    });
  });

  it('mail alarmEmail through a TLS-only topic when it is set', () => {
    const { template } = synth({ alarmEmail: 'ops@example.com' });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    const topic = Object.keys(resources(template, 'AWS::SNS::Topic'));
    expect(topic).toHaveLength(1);
    for (const alarm of Object.values(resources(template, 'AWS::CloudWatch::Alarm')))
      expect((alarm['Properties'] as Json)['AlarmActions']).toEqual([{ Ref: topic[0] }]);
  });
});

/** A dashboard's body as text, each reference written `{Ref X}` or `{GetAtt X.Attr}`. */
function dashboardBody(template: Template): string {
  const dashboards = Object.values(resources(template, 'AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const body = (dashboards[0]!['Properties'] as Json)['DashboardBody'] as { 'Fn::Join': [string, unknown[]] };
  return body['Fn::Join'][1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const ref = part as { Ref?: string; 'Fn::GetAtt'?: string[] };
      return ref.Ref !== undefined ? `{Ref ${ref.Ref}}` : ref['Fn::GetAtt'] ? `{GetAtt ${ref['Fn::GetAtt'].join('.')}}` : `{${Object.keys(ref)[0]}}`;
    })
    .join('');
}

describe('the dashboard', () => {
  const count = (text: string, part: string) => text.split(part).length - 1;
  const connected = synth({ taskrouterUpstreamUrl: 'https://taskrouter.twilio.com' });

  it('shows every alarm, every metric of the catalogue (connected ones when connected), and is named in the DashboardUrl output', () => {
    for (const { template, connected: isConnected } of [
      { ...defaults, connected: false },
      { ...connected, connected: true },
    ]) {
      const body = dashboardBody(template);
      const alarms = Object.keys(resources(template, 'AWS::CloudWatch::Alarm'));
      expect(alarms.length).toBeGreaterThan(0);
      for (const alarm of alarms) expect(body, alarm).toContain(`{GetAtt ${alarm}.Arn}`);
      for (const spec of Object.values(METRICS)) {
        const shown = body.includes(`"TaskRouterReservations","${spec.name}"`);
        expect(shown, spec.name).toBe(isConnected || !('connected' in spec));
      }
      // A count shows a line per value of its dimension.
      for (const value of METRICS.updates.values) expect(body).toContain(`"${METRICS.updates.name}","Outcome","${value}","service","${SERVICE_NAME}"`);
      const url = JSON.stringify(template.findOutputs('DashboardUrl')['DashboardUrl']!['Value']);
      expect(url).toContain('.console.aws.amazon.com/cloudwatch/home?region=');
      expect(url).toContain('#dashboards:name=');
    }
  });

  it('shows each function’s errors, duration, throttles and concurrency, whatever lib/functions.ts declares', () => {
    for (const { template, stack } of EVERY) {
      const body = dashboardBody(template);
      for (const name of stack.functionNames) {
        const ref = `"FunctionName","{Ref ${logicalId(stack, fnOf(stack, name))}}"`;
        for (const metric of ['Errors', 'Duration', 'Throttles', 'ConcurrentExecutions']) expect(body, `${name} ${metric}`).toContain(`"${metric}",${ref}`);
        expect(count(body, ref), name).toBe(4);
      }
    }
  });

  it('shows the table’s consumed capacity, throttles and latency per operation it is granted, and the API’s errors and latency', () => {
    const { template, stack } = defaults;
    const body = dashboardBody(template);
    const table = `"TableName","{Ref ${logicalId(stack, stack.table)}}"`;
    for (const metric of ['ConsumedReadCapacityUnits', 'ConsumedWriteCapacityUnits']) expect(body).toContain(`"AWS/DynamoDB","${metric}",${table}`);
    for (const action of TABLE_ACTIONS.write) {
      const operation = action.replace('dynamodb:', '');
      for (const metric of ['ThrottledRequests', 'SuccessfulRequestLatency', 'SystemErrors'])
        expect(body, `${metric} ${operation}`).toContain(`"AWS/DynamoDB","${metric}","Operation","${operation}",${table}`);
    }
    for (const metric of ['Count', '4xx', '5xx', 'Latency'])
      expect(body, metric).toContain(`"AWS/ApiGateway","${metric}","ApiId","{Ref ${logicalId(stack, stack.api.httpApi)}}"`);
  });
});

describe('cdk-nag (AWS Solutions)', () => {
  it('reports nothing unacknowledged, with and without the alarm topic', () => {
    for (const { app } of [defaults, synth({ alarmEmail: 'ops@example.com', removalPolicy: 'destroy' })]) {
      const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(app);
      expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    }
  });
});

describe('context', () => {
  it('bundles the assignment policy it names, validated at synth with the message naming the file', () => {
    const bad = join(scratch, 'bad-policy.json');
    writeFileSync(bad, JSON.stringify({ rules: [{ name: 'broken', instruction: { instruction: 'teleport' } }] }));
    expect(() => defineApp(newApp({ assignmentPolicy: bad }))).toThrow(/assignmentPolicy.*bad-policy\.json/s);
    expect(() => defineApp(newApp({ assignmentPolicy: join(scratch, 'missing.json') }))).toThrow(/missing\.json.*cannot be read/s);
    expect(() => defineApp(newApp({ assignmentPolicy: join(ROOT, 'policies', 'vip-call.json') }))).not.toThrow();
  });

  it.each([
    ['stackName', '1-not-a-stack'],
    // 45 characters: the timeout function's name after it would pass Lambda's 64.
    ['stackName', `T${'r'.repeat(44)}`],
    ['removalPolicy', 'keep'],
    ['logRetentionDays', '8'],
    ['throttleRate', 'fast'],
    ['throttleBurst', '0'],
    ['reservationTimeoutSeconds', '0'],
    ['maxRejections', '1.5'],
    ['retentionDays', 'forever'],
    ['timeoutActivitySid', 'WAnot-a-sid'],
    ['publicBaseUrl', 'http://taskrouter.example.com'],
    ['alarmEmail', 'ops'],
    ['archiveRetentionDays', '-1'],
    ['archiveRetentionDays', '1.5'],
    ['archiveRetentionDays', '40000'],
    ['callbackReservedConcurrency', '0'],
    ['callbackReservedConcurrency', '2.5'],
    ['callbackReservedConcurrency', 'some'],
  ])('refuses %s=%s with a message naming the key', (key, value) => {
    expect(() => defineApp(newApp({ [key]: value }))).toThrow(new RegExp(`Invalid CDK context value ${key}=`));
  });

  it('reserves concurrency for the assignment callback alone, only when callbackReservedConcurrency says', () => {
    const reserved = (template: Template) =>
      Object.values(resources(template, 'AWS::Lambda::Function'))
        .map((fn) => (fn['Properties'] as Json)['ReservedConcurrentExecutions'])
        .filter((n) => n !== undefined);
    expect(reserved(defaults.template)).toEqual([]);
    const { stack, template } = synth({ callbackReservedConcurrency: '50' });
    expect(reserved(template)).toEqual([50]);
    const callback = resources(template, 'AWS::Lambda::Function')[logicalId(stack, fnOf(stack, 'assignment-callback'))]!;
    expect((callback['Properties'] as Json)['ReservedConcurrentExecutions']).toBe(50);
  });

  it('passes the service settings to every function and names the stack', () => {
    const activity = `WA${'b'.repeat(32)}`;
    const { stack, template } = synth({
      stackName: 'TrStaging',
      reservationTimeoutSeconds: 30,
      maxRejections: '3',
      retentionDays: 14,
      timeoutActivitySid: activity,
      logRetentionDays: 7,
    });
    expect(stack.stackName).toBe('TrStaging');
    for (const name of stack.functionNames) {
      expect(environmentOf(template, stack, name), name).toMatchObject({
        RESERVATION_TIMEOUT_SECONDS: '30',
        MAX_REJECTIONS: '3',
        RETENTION_DAYS: '14',
        TIMEOUT_ACTIVITY_SID: activity,
      });
    }
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    expect(environmentOf(defaults.template, defaults.stack, 'get-task')['RESERVATION_TIMEOUT_SECONDS']).toBeUndefined();
  });
});
