/**
 * The embedded engine reached without a socket (lib/local/in-process-handler.ts): the SDK gets the
 * same answers, errors and all, as over HTTP from the same engine; an abort ends a call; and the
 * local stack's store uses it.
 */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  ResourceNotFoundException,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { HttpRequest } from '@smithy/protocol-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynalite, type DynamoDbEngine } from '#lib/local/dynamodb-engine.ts';
import { ensureTable } from '#lib/store/table-setup.ts';
import { InProcessHandler } from '#lib/local/in-process-handler.ts';
import { createDynamoDbClient } from '#lib/store/client.ts';
import { startStack } from '../support/fixtures.ts';

let engine: DynamoDbEngine;
let http: DynamoDBClient;
let inProcess: DynamoDBClient;
const TABLE = 'in-process';

beforeAll(async () => {
  engine = await startDynalite();
  await ensureTable(engine.endpoint, TABLE);
  http = createDynamoDbClient({ endpoint: engine.endpoint });
  inProcess = createDynamoDbClient({ endpoint: engine.endpoint, handler: engine.handler });
});

afterAll(async () => {
  http.destroy();
  inProcess.destroy();
  await engine.close();
});

const put = (pk: string, attributes: Record<string, { S: string }> = {}) =>
  new PutItemCommand({ TableName: TABLE, Item: { pk: { S: pk }, sk: { S: 'R' }, ...attributes } });

describe('the SDK through the in-process handler', () => {
  it('reads what HTTP wrote and the other way round: one engine', async () => {
    await http.send(put('AC#a', { note: { S: 'over http' } }));
    await inProcess.send(put('AC#b', { note: { S: 'in process' } }));
    const query = (pk: string) => new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: pk } } });
    expect((await inProcess.send(query('AC#a'))).Items).toEqual([{ pk: { S: 'AC#a' }, sk: { S: 'R' }, note: { S: 'over http' } }]);
    expect((await http.send(query('AC#b'))).Items).toEqual([{ pk: { S: 'AC#b' }, sk: { S: 'R' }, note: { S: 'in process' } }]);
  });

  it('answers as HTTP does, large answers and unicode included', async () => {
    const note = `${'é✓'.repeat(20_000)}`;
    await inProcess.send(put('AC#large', { note: { S: note } }));
    const query = new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'AC#large' } } });
    const [viaHttp, viaProcess] = await Promise.all([http.send(query), inProcess.send(query)]);
    expect(viaProcess.Items).toEqual(viaHttp.Items);
    expect(viaProcess.Items![0]!['note']).toEqual({ S: note });
  });

  it('raises the engine’s errors as the SDK’s own exceptions', async () => {
    await inProcess.send(put('AC#c'));
    const conditional = new UpdateItemCommand({
      TableName: TABLE,
      Key: { pk: { S: 'AC#c' }, sk: { S: 'R' } },
      UpdateExpression: 'SET #s = :s',
      ConditionExpression: 'attribute_not_exists(pk)',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': { S: 'accepted' } },
    });
    await expect(inProcess.send(conditional)).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    await expect(inProcess.send(new PutItemCommand({ TableName: 'no-such-table', Item: { pk: { S: 'x' }, sk: { S: 'y' } } }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    const invalid = inProcess.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'AC#d' } } }));
    await expect(invalid).rejects.toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
  });

  it('ends a call whose signal was aborted, before or while the engine works', async () => {
    const before = new AbortController();
    before.abort();
    await expect(inProcess.send(put('AC#e'), { abortSignal: before.signal })).rejects.toMatchObject({ name: 'AbortError' });
    // While the engine works: the listener has the request, and the answer is not back yet.
    const during = new AbortController();
    const request = new HttpRequest({
      method: 'POST',
      hostname: 'localhost',
      path: '/',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables' },
      body: '{}',
    });
    const handled = engine.handler.handle(request, { abortSignal: during.signal });
    during.abort();
    await expect(handled).rejects.toMatchObject({ name: 'AbortError' });
    // Not aborted, the same request is answered (here: refused, for want of a signature).
    const { response } = await engine.handler.handle(request);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(Buffer.from(response.body as Uint8Array).toString('utf8'))).toMatchObject({
      __type: expect.stringContaining('MissingAuthenticationToken'),
    });
  });

  it('rejects when the listener throws, as a dropped connection would fail the call', async () => {
    const handler = new InProcessHandler(() => {
      throw new Error('Database is closed');
    });
    const request = new HttpRequest({ method: 'POST', hostname: 'localhost', path: '/', headers: {}, body: '{}' });
    await expect(handler.handle(request)).rejects.toThrow('Database is closed');
  });
});

it('fails a call after the engine closed, as a refused connection, without touching its closed store', async () => {
  const closing = await startDynalite();
  await ensureTable(closing.endpoint, TABLE);
  const client = createDynamoDbClient({ endpoint: closing.endpoint, handler: closing.handler });
  try {
    await client.send(put('AC#g'));
    await closing.close();
    await expect(client.send(put('AC#h'))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  } finally {
    client.destroy();
  }
});

it('the local stack reaches its embedded engine in process', async () => {
  const stack = await startStack();
  try {
    expect(stack.embedded).toBe(true);
    expect(stack.documentClient.config.requestHandler).toBeInstanceOf(InProcessHandler);
  } finally {
    await stack.close();
  }
});

it('lets the calls already in the engine finish before it closes: each succeeds or is refused, none reaches a closed store', async () => {
  const closing = await startDynalite();
  await ensureTable(closing.endpoint, TABLE);
  const client = createDynamoDbClient({ endpoint: closing.endpoint, handler: closing.handler });
  try {
    // Read-modify-write calls (UpdateItem reads the item, then writes it): a close between the two
    // steps would fail the write inside the engine, out of any caller's reach.
    const update = (i: number) =>
      new UpdateItemCommand({
        TableName: TABLE,
        Key: { pk: { S: `AC#busy${i % 4}` }, sk: { S: 'R' } },
        UpdateExpression: 'ADD #n :one',
        ExpressionAttributeNames: { '#n': 'n' },
        ExpressionAttributeValues: { ':one': { N: '1' } },
      });
    const calls = Array.from({ length: 40 }, (_, i) =>
      client.send(update(i)).then(
        () => 'done',
        (error: NodeJS.ErrnoException) => error.code ?? error.message,
      ),
    );
    // Some of the calls are inside the engine when it is told to close.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await closing.close();
    const outcomes = await Promise.all(calls);
    expect(outcomes.filter((outcome) => outcome !== 'done' && outcome !== 'ECONNREFUSED')).toEqual([]);
    expect(outcomes).toContain('done');
  } finally {
    client.destroy();
  }
});
