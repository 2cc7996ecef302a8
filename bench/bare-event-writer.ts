/**
 * The floor of event callbacks taken in: a bare node:http server with the same embedded engine
 * that does one conditional write per event (the reservation's status, unless it is already
 * that), and nothing else: no signature, no parsing beyond the form, no events of its own.
 */
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { createServer } from 'node:http';
import { startDynalite } from '#lib/local/dynamodb-engine.ts';
import { ensureTable } from '#lib/store/table-setup.ts';
import { createDynamoDbClient } from '#lib/store/client.ts';

const engine = await startDynalite();
await ensureTable(engine.endpoint, 'bench-events');
// As npm start reaches its engine: in this process, without a socket.
const client = createDynamoDbClient({ endpoint: engine.endpoint, handler: engine.handler });

const server = createServer((request, response) => {
  let body = '';
  request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
  request.on('end', () => {
    const form = new URLSearchParams(body);
    const status = form.get('EventType')!.split('.')[1]!;
    client
      .send(
        new UpdateItemCommand({
          TableName: 'bench-events',
          Key: { pk: { S: `R#${form.get('ReservationSid')}` }, sk: { S: 'R' } },
          UpdateExpression: 'SET #s = :s',
          ConditionExpression: 'attribute_not_exists(#s) OR #s <> :s',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': { S: status } },
        }),
      )
      .then(
        () => {
          response.writeHead(204);
          response.end();
        },
        (error: Error) => {
          response.writeHead(error.name === 'ConditionalCheckFailedException' ? 204 : 500);
          response.end();
        },
      );
  });
});
server.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${(server.address() as { port: number }).port}\n`);
});
