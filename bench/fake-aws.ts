/**
 * The AWS services the assignment callback calls besides DynamoDB, answering on this machine as
 * AWS would, so that a deployed bundle can run its first callback here: Secrets Manager's
 * GetSecretValue (the auth token, read once per container) and EventBridge Scheduler's
 * CreateSchedule (the reservation's timer). A process is pointed at it with the SDK's own
 * per-service endpoint variables (`AWS_ENDPOINT_URL_SECRETS_MANAGER`,
 * `AWS_ENDPOINT_URL_SCHEDULER`). It counts what it was asked, so that a benchmark can check two
 * functions made the same calls.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeAws {
  readonly endpoint: string;
  /** Calls answered, by operation (`GetSecretValue`, `CreateSchedule`). */
  readonly calls: Map<string, number>;
  close(): Promise<void>;
}

function answer(response: ServerResponse, contentType: string, body: unknown): void {
  response.writeHead(200, { 'Content-Type': contentType });
  response.end(JSON.stringify(body));
}

export async function startFakeAws(secretString: string): Promise<FakeAws> {
  const calls = new Map<string, number>();
  const count = (operation: string) => calls.set(operation, (calls.get(operation) ?? 0) + 1);
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    request.on('end', () => {
      const target = request.headers['x-amz-target'];
      // Secrets Manager speaks AWS JSON 1.1: the operation is in X-Amz-Target.
      if (target === 'secretsmanager.GetSecretValue') {
        count('GetSecretValue');
        return answer(response, 'application/x-amz-json-1.1', {
          ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench',
          Name: 'bench',
          SecretString: secretString,
          VersionId: 'bench',
        });
      }
      // Scheduler speaks REST JSON: CreateSchedule is POST /schedules/{Name}.
      const schedule = /^\/schedules\/([^/?]+)/.exec(request.url ?? '');
      if (request.method === 'POST' && schedule) {
        count('CreateSchedule');
        return answer(response, 'application/json', { ScheduleArn: `arn:aws:scheduler:us-east-1:000000000000:schedule/bench/${schedule[1]}` });
      }
      response.writeHead(400, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ __type: 'UnknownOperationException', message: `not answered here: ${request.method} ${request.url} ${target ?? ''}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
