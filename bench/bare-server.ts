/**
 * The floor of the HTTP figures: a bare node:http server with the same embedded engine, issuing
 * the same store calls as the real handlers (recorded from them, SIDs swapped), and nothing else:
 * no signature, no authentication, no validation, no logging.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { startDynalite } from '#lib/local/dynamodb-engine.ts';
import { ensureTable } from '#lib/store/table-setup.ts';
import { createDynamoDbClient } from '#lib/store/client.ts';
import { send, type Template, type Templates } from './in-process.ts';
import { withSids, type OperationSids } from './store-calls.ts';

const templates = JSON.parse(readFileSync(process.env['TEMPLATES']!, 'utf8')) as Templates;
const engine = await startDynalite();
// The recorded calls name their table.
await ensureTable(engine.endpoint, String(templates.callback.calls[0]!.input['TableName']));
// As npm start reaches its engine: in this process, without a socket.
const client = createDynamoDbClient({ endpoint: engine.endpoint, handler: engine.handler });

async function replay(template: Template, sids: OperationSids) {
  for (const call of template.calls) await send(client, withSids(call, template.sids, sids));
}

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const path = (request.url ?? '/').split('?')[0]!;
    const accept = /^\/v1\/Workspaces\/(WS\w+)\/Tasks\/(WT\w+)\/Reservations\/(WR\w+)$/.exec(path);
    const work = accept
      ? replay(templates.accept, { workspace: accept[1]!, task: accept[2]!, reservation: accept[3]!, worker: templates.accept.sids.worker })
      : (() => {
          const p = new URLSearchParams(body);
          return replay(templates.callback, {
            workspace: p.get('WorkspaceSid')!,
            task: p.get('TaskSid')!,
            worker: p.get('WorkerSid')!,
            reservation: p.get('ReservationSid')!,
          });
        })();
    work.then(
      () => {
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end('{}');
      },
      (error: Error) => {
        response.writeHead(500);
        response.end(error.message);
      },
    );
  });
});
server.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${(server.address() as { port: number }).port}\n`);
});
