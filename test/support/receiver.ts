/** An event-callback receiver for tests, and a poll that never sleeps a fixed time. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  readonly params: Record<string, string>;
  readonly signature: string;
  readonly contentType: string;
  /** Epoch ms it arrived. */
  readonly at: number;
}

/** A receiver on a free port: records every POST, answers what `answer` says (or holds it). */
export async function receiver(answer: (received: Received) => number | 'hold' = () => 204) {
  const received: Received[] = [];
  const held: ServerResponse[] = [];
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const r = {
        params: Object.fromEntries(new URLSearchParams(body)),
        signature: String(request.headers['x-twilio-signature']),
        contentType: String(request.headers['content-type']),
        at: Date.now(),
      };
      received.push(r);
      const status = answer(r);
      if (status === 'hold') return void held.push(response);
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/taskrouter/events?source=test`;
  return {
    url,
    received,
    release: () => {
      for (const r of held.splice(0)) r.writeHead(204).end();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Waits (polling, never a fixed sleep) until `check` holds. */
export async function until(check: () => boolean, what: string, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
