/**
 * The bundles' AWS clients (infra/shims/aws-sdk) against the AWS SDK itself as the oracle: the
 * same commands, given to both through a handler that records what each would send and answers
 * both alike, must put the same request on the wire (operation, headers that matter, body, path)
 * and give back the same output or the same error. The signature is checked against the SDK's
 * signer. The engine tests (the `aws-clients` project) then run the store and the API through them.
 */
import { createHash, createHmac } from 'node:crypto';
import * as sdkDynamo from '@aws-sdk/client-dynamodb';
import * as sdkScheduler from '@aws-sdk/client-scheduler';
import * as sdkSecrets from '@aws-sdk/client-secrets-manager';
import * as sdkDocument from '@aws-sdk/lib-dynamodb';
import { HttpResponse } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import * as sdkRetry from '@smithy/core/retry';
import { describe, expect, it, vi } from 'vitest';
import * as shimDynamo from '../../infra/shims/aws-sdk/client-dynamodb.ts';
import * as shimScheduler from '../../infra/shims/aws-sdk/client-scheduler.ts';
import * as shimSecrets from '../../infra/shims/aws-sdk/client-secrets-manager.ts';
import { isThrottlingError, isTransientError, resolveEndpoint } from '../../infra/shims/aws-sdk/core.ts';
import * as shimDocument from '../../infra/shims/aws-sdk/lib-dynamodb.ts';
import { signRequest } from '../../infra/shims/aws-sdk/sigv4.ts';

interface Answer {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly body: unknown;
}

interface Sent {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

/** A handler that records each request and answers the next of `answers` (the last one again once they run out). */
function recording(answers: readonly Answer[]) {
  const sent: Sent[] = [];
  const handler = {
    async handle(request: { method: string; path: string; headers: Record<string, string>; body?: unknown }) {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
      const text = typeof request.body === 'string' ? request.body : request.body ? Buffer.from(request.body as Uint8Array).toString() : '';
      sent.push({ method: request.method, path: request.path, headers, body: text ? JSON.parse(text) : undefined });
      const answer = answers[Math.min(sent.length - 1, answers.length - 1)]!;
      const body = Buffer.from(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
      return { response: new HttpResponse({ statusCode: answer.status ?? 200, headers: { 'x-amzn-requestid': 'REQ1', ...answer.headers }, body }) };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    destroy() {},
  };
  return { sent, handler };
}

const CONFIG = { region: 'eu-west-1', endpoint: 'http://127.0.0.1:8000', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' }, maxAttempts: 3 };

/** What matters of a request: the operation and its body (the SDK's own headers, its user agent and invocation id, do not). */
const essence = (sent: Sent) => ({
  method: sent.method,
  path: sent.path,
  target: sent.headers['x-amz-target'],
  contentType: sent.headers['content-type'],
  body: sent.body,
});

const withoutMetadata = (output: Record<string, unknown>) => {
  const { $metadata: _, ...rest } = output;
  return rest;
};

/** Both document clients, the SDK's and the shim's, each with its own recording handler answering `answers`. */
function documentClients(answers: readonly Answer[]) {
  const sdk = recording(answers);
  const shim = recording(answers);
  const translate = { marshallOptions: { removeUndefinedValues: true } };
  return {
    sdk: { ...sdk, client: sdkDocument.DynamoDBDocumentClient.from(new sdkDynamo.DynamoDBClient({ ...CONFIG, requestHandler: sdk.handler }), translate) },
    shim: { ...shim, client: shimDocument.DynamoDBDocumentClient.from(new shimDynamo.DynamoDBClient({ ...CONFIG, requestHandler: shim.handler }), translate) },
  };
}

/** Each document command, the SDK's and the shim's. */
const COMMANDS = {
  GetCommand: [sdkDocument.GetCommand, shimDocument.GetCommand],
  PutCommand: [sdkDocument.PutCommand, shimDocument.PutCommand],
  UpdateCommand: [sdkDocument.UpdateCommand, shimDocument.UpdateCommand],
  QueryCommand: [sdkDocument.QueryCommand, shimDocument.QueryCommand],
  ScanCommand: [sdkDocument.ScanCommand, shimDocument.ScanCommand],
  BatchGetCommand: [sdkDocument.BatchGetCommand, shimDocument.BatchGetCommand],
  BatchWriteCommand: [sdkDocument.BatchWriteCommand, shimDocument.BatchWriteCommand],
} as const;
type CommandName = keyof typeof COMMANDS;

const item = {
  pk: 'TASK#WT1',
  n: 42,
  big: 1.5,
  flag: true,
  none: null,
  gone: undefined,
  list: ['a', 1, { deep: 'x' }],
  map: { nested: { B: 'not binary: a map key' }, empty: {} },
  tags: new Set(['x', 'y']),
};
/** An item as DynamoDB answers it: a binary value, a set, a map with a key named B. */
const marshalled = {
  pk: { S: 'TASK#WT1' },
  n: { N: '42' },
  bin: { B: Buffer.from('bytes').toString('base64') },
  set: { SS: ['a', 'b'] },
  m: { M: { B: { S: 'a map key named B' } } },
};

const CASES: readonly { readonly name: CommandName; readonly input: Record<string, unknown>; readonly answer: unknown }[] = [
  { name: 'GetCommand', input: { TableName: 't', Key: { pk: 'a', sk: 'b' }, ConsistentRead: true }, answer: { Item: marshalled } },
  {
    name: 'PutCommand',
    input: {
      TableName: 't',
      Item: item,
      ConditionExpression: 'attribute_not_exists(pk) OR #v = :v',
      ExpressionAttributeNames: { '#v': 'v' },
      ExpressionAttributeValues: { ':v': 3 },
    },
    answer: {},
  },
  {
    name: 'UpdateCommand',
    input: {
      TableName: 't',
      Key: { pk: 'a' },
      UpdateExpression: 'SET #a = :a, #l = list_append(#l, :l)',
      ExpressionAttributeNames: { '#a': 'a', '#l': 'l' },
      ExpressionAttributeValues: { ':a': { x: [1, 2] }, ':l': ['z'] },
      ReturnValues: 'ALL_NEW',
    },
    answer: { Attributes: marshalled },
  },
  {
    name: 'QueryCommand',
    input: { TableName: 't', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'a' }, ExclusiveStartKey: { pk: 'a', sk: 'c' }, Limit: 2 },
    answer: { Items: [marshalled, { pk: { S: 'b' } }], Count: 2, LastEvaluatedKey: { pk: { S: 'b' }, sk: { S: 'z' } } },
  },
  {
    name: 'ScanCommand',
    input: { TableName: 't', FilterExpression: 'n > :n', ExpressionAttributeValues: { ':n': 1 } },
    answer: { Items: [marshalled], Count: 1 },
  },
  {
    name: 'BatchGetCommand',
    input: { RequestItems: { t: { Keys: [{ pk: 'a' }, { pk: 'b' }], ProjectionExpression: 'pk' } } },
    answer: { Responses: { t: [marshalled] }, UnprocessedKeys: { t: { Keys: [{ pk: { S: 'b' } }] } } },
  },
  {
    name: 'BatchWriteCommand',
    input: { RequestItems: { t: [{ PutRequest: { Item: item } }, { DeleteRequest: { Key: { pk: 'b' } } }] } },
    answer: { UnprocessedItems: { t: [{ DeleteRequest: { Key: { pk: { S: 'b' } } } }] } },
  },
];

describe("the bundles' document client, against the SDK's", () => {
  for (const { name, input, answer } of CASES) {
    it(`${name}: sends the same request and reads the same output`, async () => {
      const { sdk, shim } = documentClients([{ body: answer }]);
      const [SdkCommand, ShimCommand] = COMMANDS[name];
      const fromSdk = (await sdk.client.send(new SdkCommand(structuredClone(input) as never) as never)) as Record<string, unknown>;
      const fromShim = (await shim.client.send(new ShimCommand(structuredClone(input) as never))) as Record<string, unknown>;
      expect(shim.sent.map(essence)).toEqual(sdk.sent.map(essence));
      expect(withoutMetadata(fromShim)).toEqual(withoutMetadata(fromSdk));
      expect(fromShim['$metadata']).toMatchObject({ httpStatusCode: 200, requestId: 'REQ1', attempts: 1 });
    });
  }

  it('reads a binary attribute value as bytes, as the SDK does', async () => {
    const { sdk, shim } = documentClients([{ body: { Item: marshalled } }]);
    const fromSdk = (await sdk.client.send(new sdkDocument.GetCommand({ TableName: 't', Key: { pk: 'a' } }))) as unknown as { Item: { bin: Uint8Array } };
    const fromShim = (await shim.client.send(new shimDocument.GetCommand({ TableName: 't', Key: { pk: 'a' } }))) as { Item: { bin: Uint8Array } };
    expect(fromShim.Item.bin).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(fromShim.Item.bin).toString()).toBe('bytes');
    expect(Buffer.from(fromShim.Item.bin)).toEqual(Buffer.from(fromSdk.Item.bin));
  });
});

/** Sends `input` as a PutCommand through both clients, answered by `answers`, and returns what each threw. */
async function putFailures(answers: readonly Answer[], maxAttempts = 3) {
  const sdk = recording(answers);
  const shim = recording(answers);
  const sdkClient = sdkDocument.DynamoDBDocumentClient.from(new sdkDynamo.DynamoDBClient({ ...CONFIG, maxAttempts, requestHandler: sdk.handler }));
  const shimClient = shimDocument.DynamoDBDocumentClient.from(new shimDynamo.DynamoDBClient({ ...CONFIG, maxAttempts, requestHandler: shim.handler }));
  const input = { TableName: 't', Item: { pk: 'a' }, ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const };
  const caught = async (send: () => Promise<unknown>) => {
    try {
      return { output: await send() };
    } catch (error) {
      return { error: error as Error & Record<string, unknown> };
    }
  };
  return {
    sdk: { ...(await caught(() => sdkClient.send(new sdkDocument.PutCommand(input)))), sent: sdk.sent },
    shim: { ...(await caught(() => shimClient.send(new shimDocument.PutCommand(input)))), sent: shim.sent },
  };
}

const facts = (error: Record<string, unknown> | undefined) => ({
  name: error?.['name'],
  message: error?.['message'],
  fault: error?.['$fault'],
  status: (error?.['$metadata'] as { httpStatusCode?: number } | undefined)?.httpStatusCode,
  attempts: (error?.['$metadata'] as { attempts?: number } | undefined)?.attempts,
  item: error?.['Item'],
});

describe("the bundles' errors and retries, against the SDK's", () => {
  it('a failed condition: the same modelled error, its message and the item it failed on (DynamoDB JSON), not retried', async () => {
    const old = { pk: { S: 'a' }, v: { N: '2' } };
    const { sdk, shim } = await putFailures([
      {
        status: 400,
        body: { __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException', message: 'The conditional request failed', Item: old },
      },
    ]);
    expect(facts(shim.error)).toEqual(facts(sdk.error));
    expect(facts(shim.error)).toMatchObject({ name: 'ConditionalCheckFailedException', fault: 'client', status: 400, attempts: 1, item: old });
    expect(sdk.error).toBeInstanceOf(sdkDynamo.ConditionalCheckFailedException);
    expect(shim.error).toBeInstanceOf(shimDynamo.ConditionalCheckFailedException);
    expect(shim.sent).toHaveLength(1);
  });

  it('an error named in the x-amzn-errortype header, unmodelled: the same name and message', async () => {
    const { sdk, shim } = await putFailures([
      {
        status: 400,
        headers: { 'x-amzn-errortype': 'ValidationException:http://internal.amazon.com/coral/com.amazon.coral.validate/' },
        body: { message: 'Item size has exceeded the maximum allowed size' },
      },
    ]);
    expect(facts(shim.error)).toEqual(facts(sdk.error));
    expect(shim.error?.name).toBe('ValidationException');
  });

  it('throttling, then an answer: retried once by both', async () => {
    const { sdk, shim } = await putFailures([
      { status: 400, body: { __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', message: 'slow down' } },
      { body: {} },
    ]);
    expect(shim.error).toBeUndefined();
    expect(sdk.error).toBeUndefined();
    expect(shim.sent).toHaveLength(sdk.sent.length);
    expect(shim.sent).toHaveLength(2);
    expect((shim.output as { $metadata: { attempts: number } }).$metadata.attempts).toBe(2);
  });

  it('a failing store that says when to try again: both wait that long, not their own short backoff', async () => {
    // DynamoDB's first retry waits at most 25 ms of its own; the answer asks for 400.
    const failing = {
      status: 500,
      headers: { 'retry-after': '0.4' },
      body: { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'busy' },
    };
    const started = performance.now();
    const { sdk, shim } = await putFailures([failing, { body: {} }]);
    expect(shim.error).toBeUndefined();
    expect(sdk.error).toBeUndefined();
    expect(performance.now() - started).toBeGreaterThanOrEqual(800);
    const waited = (output: unknown) => (output as { $metadata: { totalRetryDelay: number } }).$metadata.totalRetryDelay;
    expect(waited(sdk.output)).toBeGreaterThanOrEqual(400);
    expect(waited(shim.output)).toBeGreaterThanOrEqual(400);
  });

  it('a failing store (500) on every attempt: the same error after the same number of attempts', async () => {
    const { sdk, shim } = await putFailures(
      [{ status: 500, body: { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Internal server error' } }],
      2,
    );
    expect(facts(shim.error)).toEqual(facts(sdk.error));
    expect(facts(shim.error)).toMatchObject({ name: 'InternalServerError', fault: 'server', status: 500, attempts: 2 });
    expect(shim.sent).toHaveLength(2);
    expect(sdk.sent).toHaveLength(2);
  });

  it('a signature refused for a skewed clock: both correct their clock from the answer and sign again', async () => {
    const serverDate = new Date(Date.now() + 3_600_000);
    const skewed = {
      status: 403,
      headers: { date: serverDate.toUTCString() },
      body: { __type: 'com.amazon.coral.service#InvalidSignatureException', message: 'Signature not yet current' },
    };
    const { sdk, shim } = await putFailures([skewed, { body: {} }]);
    expect(shim.error).toBeUndefined();
    expect(sdk.error).toBeUndefined();
    const dates = (sent: readonly Sent[]) => sent.map((request) => request.headers['x-amz-date']!.slice(0, 11));
    expect(dates(shim.sent)).toEqual(dates(sdk.sent));
    expect(dates(shim.sent)[1]).toBe(serverDate.toISOString().replace(/[-:]/g, '').slice(0, 11));
  });

  it("a client no middleware traces carries the invocation's trace header, as the SDK's does in Lambda", async () => {
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'assignment-callback');
    vi.stubEnv('_X_AMZN_TRACE_ID', 'Root=1-6751c000-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1');
    try {
      const answer = { body: { SecretString: 'token' } };
      const sdk = recording([answer]);
      const shim = recording([answer]);
      await new sdkSecrets.SecretsManagerClient({ ...CONFIG, requestHandler: sdk.handler }).send(new sdkSecrets.GetSecretValueCommand({ SecretId: 's' }));
      await new shimSecrets.SecretsManagerClient({ ...CONFIG, requestHandler: shim.handler }).send(new shimSecrets.GetSecretValueCommand({ SecretId: 's' }));
      expect(shim.sent[0]!.headers['x-amzn-trace-id']).toBe(process.env['_X_AMZN_TRACE_ID']);
      expect(shim.sent[0]!.headers['x-amzn-trace-id']).toBe(sdk.sent[0]!.headers['x-amzn-trace-id']);
      // Never signed: the header is not among the signed ones.
      expect(shim.sent[0]!.headers['authorization']).not.toMatch(/x-amzn-trace-id/);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("classes errors as the SDK's own classifiers do: throttling, transient, neither", () => {
    const error = (name: string, extra: Record<string, unknown> = {}) => Object.assign(new Error('x'), { name }, extra);
    const cases = [
      error('ProvisionedThroughputExceededException', { $metadata: { httpStatusCode: 400 } }),
      error('ThrottlingException', { $metadata: { httpStatusCode: 400 } }),
      error('Whatever', { $metadata: { httpStatusCode: 429 } }),
      error('Whatever', { $retryable: { throttling: true } }),
      error('Whatever', { $retryable: {} }),
      error('TimeoutError'),
      error('Error', { code: 'ECONNRESET' }),
      error('Error', { code: 'EAI_AGAIN' }),
      error('Error', { cause: error('Error', { code: 'EPIPE' }) }),
      error('InvalidSignatureException', { message: 'Signature expired: 20261207T000000Z is now earlier than…' }),
      error('InvalidSignatureException', { $metadata: { httpStatusCode: 403, clockSkewCorrected: true } }),
      error('ServiceUnavailable', { $metadata: { httpStatusCode: 503 } }),
      error('InternalServerError', { $metadata: { httpStatusCode: 500 } }),
      error('AbortError', { $metadata: { httpStatusCode: 503 } }),
      error('ConditionalCheckFailedException', { $metadata: { httpStatusCode: 400 } }),
      error('InternalFailure', { $metadata: { httpStatusCode: 501 } }),
      error('ValidationException', { $metadata: { httpStatusCode: 400 } }),
    ];
    const classes = (throttling: (e: never) => boolean, transient: (e: never) => boolean) =>
      cases.map((e) => `${e.name}${JSON.stringify(e)}: ${throttling(e as never) ? 'throttling' : transient(e as never) ? 'transient' : 'neither'}`);
    expect(classes(isThrottlingError, isTransientError)).toEqual(classes(sdkRetry.isThrottlingError, sdkRetry.isTransientError));
    // Each class is met among the cases.
    expect(new Set(classes(isThrottlingError, isTransientError).map((line) => line.split(': ').at(-1)))).toEqual(
      new Set(['throttling', 'transient', 'neither']),
    );
  });
});

describe("the bundles' Secrets Manager and Scheduler clients, against the SDK's", () => {
  it('GetSecretValue: the same request, and the same secret and date read back', async () => {
    const answer = { body: { ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:s', Name: 's', SecretString: 'token', CreatedDate: 1_765_000_000.5 } };
    const sdk = recording([answer]);
    const shim = recording([answer]);
    const fromSdk = await new sdkSecrets.SecretsManagerClient({ ...CONFIG, requestHandler: sdk.handler }).send(
      new sdkSecrets.GetSecretValueCommand({ SecretId: 'arn:s' }),
    );
    const fromShim = await new shimSecrets.SecretsManagerClient({ ...CONFIG, requestHandler: shim.handler }).send(
      new shimSecrets.GetSecretValueCommand({ SecretId: 'arn:s' }),
    );
    expect(shim.sent.map(essence)).toEqual(sdk.sent.map(essence));
    expect(withoutMetadata(fromShim as Record<string, unknown>)).toEqual(withoutMetadata(fromSdk as unknown as Record<string, unknown>));
    expect(fromShim.CreatedDate).toBeInstanceOf(Date);
  });

  const schedule = {
    Name: 'WR1-at-deadline',
    GroupName: 'timeouts',
    ScheduleExpression: 'at(2026-12-07T09:30:15)',
    FlexibleTimeWindow: { Mode: 'OFF' as const },
    Target: { Arn: 'arn:aws:lambda:eu-west-1:1:function:f', RoleArn: 'arn:aws:iam::1:role/r', Input: '{"a":1}' },
    ActionAfterCompletion: 'DELETE' as const,
    ClientToken: 'WR1-at-deadline',
  };

  it('CreateSchedule: the same method, path and body', async () => {
    const answer = { body: { ScheduleArn: 'arn:aws:scheduler:eu-west-1:1:schedule/timeouts/WR1-at-deadline' } };
    const sdk = recording([answer]);
    const shim = recording([answer]);
    const fromSdk = await new sdkScheduler.SchedulerClient({ ...CONFIG, requestHandler: sdk.handler }).send(new sdkScheduler.CreateScheduleCommand(schedule));
    const fromShim = await new shimScheduler.SchedulerClient({ ...CONFIG, requestHandler: shim.handler }).send(
      new shimScheduler.CreateScheduleCommand(schedule),
    );
    expect(shim.sent.map(essence)).toEqual(sdk.sent.map(essence));
    expect(withoutMetadata(fromShim)).toEqual(withoutMetadata(fromSdk as unknown as Record<string, unknown>));
  });

  it('CreateSchedule refused as a conflict: the modelled error, from the header', async () => {
    const answer = {
      status: 409,
      headers: { 'x-amzn-errortype': 'ConflictException:http://internal.amazon.com/coral/com.amazon.coral.service/' },
      body: { Message: 'already exists' },
    };
    const sdk = recording([answer]);
    const shim = recording([answer]);
    const sdkError = await new sdkScheduler.SchedulerClient({ ...CONFIG, requestHandler: sdk.handler })
      .send(new sdkScheduler.CreateScheduleCommand(schedule))
      .catch((e: Error) => e);
    const shimError = await new shimScheduler.SchedulerClient({ ...CONFIG, requestHandler: shim.handler })
      .send(new shimScheduler.CreateScheduleCommand(schedule))
      .catch((e: Error) => e);
    expect(sdkError).toBeInstanceOf(sdkScheduler.ConflictException);
    expect(shimError).toBeInstanceOf(shimScheduler.ConflictException);
    expect(shimError).toBeInstanceOf(shimScheduler.SchedulerServiceException);
    expect(facts(shimError as never)).toEqual(facts(sdkError as never));
  });
});

/** The SDK's signer wants a hash constructor: SHA-256, keyed (HMAC) when given a secret. */
class Sha256 {
  readonly #hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret as Uint8Array));
  }
  update(data: string | ArrayBuffer | ArrayBufferView) {
    this.#hash.update(typeof data === 'string' ? data : Buffer.from(data as Uint8Array));
  }
  async digest() {
    return new Uint8Array(this.#hash.digest());
  }
}

describe("the bundles' SigV4 signature, against the SDK's signer", () => {
  const at = new Date(Date.UTC(2026, 11, 7, 6, 15, 30));
  const requests: readonly { method: string; path: string; query?: Record<string, string>; headers: Record<string, string>; body: string }[] = [
    {
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.PutItem' },
      body: '{"TableName":"t"}',
    },
    {
      method: 'POST',
      path: '/schedules/WR1%3Aat%20deadline',
      headers: { 'content-type': 'application/json', 'x-amzn-trace-id': 'Root=1-abc', 'user-agent': 'x' },
      body: '{"a":"b  c"}',
    },
    { method: 'GET', path: '/a/./b/../c/', query: { 'b key': 'v*', a: "it's" }, headers: { 'x-custom': '  spaced   value ' }, body: '' },
  ];
  for (const sessionToken of [undefined, 'session/token+=']) {
    for (const request of requests) {
      it(`${request.method} ${request.path}${sessionToken ? ', with a session token' : ''}: the same Authorization`, async () => {
        const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', ...(sessionToken && { sessionToken }) };
        const signer = new SignatureV4({ credentials, region: 'eu-west-1', service: 'dynamodb', sha256: Sha256 });
        const oracle = await signer.sign(
          {
            protocol: 'https:',
            hostname: 'dynamodb.eu-west-1.amazonaws.com',
            method: request.method,
            path: request.path,
            query: request.query ?? {},
            headers: { host: 'dynamodb.eu-west-1.amazonaws.com', ...request.headers },
            body: request.body,
          },
          { signingDate: at },
        );
        const ours = { ...request, headers: { host: 'dynamodb.eu-west-1.amazonaws.com', ...request.headers } as Record<string, string> };
        signRequest(ours, credentials, { region: 'eu-west-1', service: 'dynamodb' }, at);
        expect(ours.headers['authorization']).toBe(oracle.headers['authorization']);
        expect(ours.headers['x-amz-date']).toBe(oracle.headers['x-amz-date']);
      });
    }
  }
});

describe("the bundles' endpoints, against the SDK's", () => {
  const cases = [
    { region: 'us-east-1', env: {} },
    { region: 'eu-west-1', env: {} },
    { region: 'cn-north-1', env: {} },
    { region: 'us-gov-west-1', env: {} },
    { region: 'us-east-1', env: { AWS_USE_FIPS_ENDPOINT: 'true' } },
    { region: 'eu-west-1', env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' } },
    { region: 'eu-west-1', env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566', AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000' } },
    { region: 'eu-west-1', env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' } },
  ];
  /** Where a client sends a request: what its handler is given. */
  const origin = async (client: { send(command: never): Promise<unknown> }, command: unknown, sent: { origins: string[] }) => {
    await client.send(command as never);
    return sent.origins.at(-1);
  };
  for (const { region, env } of cases) {
    it(`${region} ${JSON.stringify(env)}: the same origin for DynamoDB, Secrets Manager and Scheduler`, async () => {
      for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
      try {
        const sent = { origins: [] as string[] };
        const requestHandler = {
          async handle(request: { protocol: string; hostname: string; port?: number }) {
            sent.origins.push(`${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ''}`);
            return { response: new HttpResponse({ statusCode: 200, headers: {}, body: Buffer.from('{"ScheduleArn":"a"}') }) };
          },
          updateHttpClientConfig() {},
          httpHandlerConfigs: () => ({}),
          destroy() {},
        };
        const config = { region, credentials: CONFIG.credentials, requestHandler };
        const schedule = {
          Name: 'n',
          ScheduleExpression: 'at(2026-12-07T09:30:15)',
          FlexibleTimeWindow: { Mode: 'OFF' as const },
          Target: { Arn: 'a', RoleArn: 'r' },
        };
        const pairs = [
          [
            await origin(new sdkDynamo.DynamoDBClient(config), new sdkDynamo.GetItemCommand({ TableName: 't', Key: {} }), sent),
            await origin(new shimDynamo.DynamoDBClient(config), new shimDynamo.GetItemCommand({ TableName: 't', Key: {} }), sent),
          ],
          [
            await origin(new sdkSecrets.SecretsManagerClient(config), new sdkSecrets.GetSecretValueCommand({ SecretId: 's' }), sent),
            await origin(new shimSecrets.SecretsManagerClient(config), new shimSecrets.GetSecretValueCommand({ SecretId: 's' }), sent),
          ],
          [
            await origin(new sdkScheduler.SchedulerClient(config), new sdkScheduler.CreateScheduleCommand(schedule), sent),
            await origin(new shimScheduler.SchedulerClient(config), new shimScheduler.CreateScheduleCommand(schedule), sent),
          ],
        ];
        for (const [sdk, shim] of pairs) expect(shim).toBe(sdk);
      } finally {
        vi.unstubAllEnvs();
      }
    });
  }

  it('refuses a dual-stack endpoint, naming the variable that sets one', () => {
    const service = {
      clientName: 'DynamoDBClient',
      endpointEnv: 'DYNAMODB',
      endpointPrefix: 'dynamodb',
      signingName: 'dynamodb',
      retryDelayBaseMs: 25,
      defaultMaxAttempts: 4,
      errors: {},
    };
    expect(() => resolveEndpoint(service, 'eu-west-1', undefined, { AWS_USE_DUALSTACK_ENDPOINT: 'true' })).toThrow(/AWS_ENDPOINT_URL_DYNAMODB/);
  });
});
