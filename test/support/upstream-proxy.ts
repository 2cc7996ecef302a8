/**
 * A proxy in front of an upstream TaskRouter (here: a standalone stack) for connected-mode tests:
 * it counts what reaches upstream, and injects what Twilio may do to a caller: answer an error
 * of its own, never answer, answer late, or process the request and drop the connection before
 * the answer gets back.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  | { readonly kind: 'pass' }
  /** Answers this itself; the request never reaches upstream. */
  | { readonly kind: 'answer'; readonly status: number; readonly body: Record<string, unknown>; readonly headers?: Record<string, string> }
  /** Never answers (the caller's time-out decides); the request never reaches upstream. */
  | { readonly kind: 'hang' }
  /** Reaches upstream, which processes it; then the connection is dropped before the answer. */
  | { readonly kind: 'drop-after' }
  /** Reaches upstream; the answer comes this much later. */
  | { readonly kind: 'slow'; readonly ms: number };

export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  readonly body: string;
  readonly reachedUpstream: boolean;
}

export interface UpstreamProxy {
  readonly url: string;
  readonly requests: ProxiedRequest[];
  /** POSTs that reached upstream. */
  posts(): ProxiedRequest[];
  plan(decide: (method: string, path: string) => Fault): void;
  close(): Promise<void>;
}

export async function upstreamProxy(target: string): Promise<UpstreamProxy> {
  const upstream = new URL(target);
  const requests: ProxiedRequest[] = [];
  let decide: (method: string, path: string) => Fault = () => ({ kind: 'pass' });
  const hung: ServerResponse[] = [];

  const forward = (
    req: IncomingMessage,
    body: Buffer,
    done: (status: number, headers: Record<string, string | string[] | undefined>, answer: Buffer) => void,
  ) => {
    const out = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => done(answer.statusCode ?? 502, answer.headers, Buffer.concat(chunks)));
      },
    );
    out.end(body);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const method = req.method ?? 'GET';
      const path = req.url ?? '/';
      const fault = decide(method, path);
      const reaches = fault.kind === 'pass' || fault.kind === 'drop-after' || fault.kind === 'slow';
      requests.push({ method, path, body: body.toString('utf8'), reachedUpstream: reaches });
      if (fault.kind === 'answer') {
        res.writeHead(fault.status, { 'Content-Type': 'application/json', ...fault.headers });
        return void res.end(JSON.stringify(fault.body));
      }
      if (fault.kind === 'hang') return void hung.push(res);
      forward(req, body, (status, headers, answer) => {
        if (fault.kind === 'drop-after') return void res.socket?.destroy();
        const send = () => {
          res.writeHead(status, headers);
          res.end(answer);
        };
        if (fault.kind === 'slow') setTimeout(send, fault.ms);
        else send();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    posts: () => requests.filter((r) => r.method === 'POST' && r.reachedUpstream),
    plan: (d) => (decide = d),
    close: () =>
      new Promise((resolve) => {
        for (const r of hung.splice(0)) r.socket?.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nobody listens on now (for stacks that must know each other's URL before they start). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
