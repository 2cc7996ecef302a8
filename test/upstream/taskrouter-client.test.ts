/**
 * The upstream client (lib/upstream/taskrouter-client.ts) against a raw node:http server that
 * answers as told: what it sends, and what each kind of answer, or of failure to answer, means.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpTaskRouterUpstream, type UpstreamAnswer, type UpstreamRequest } from '#lib/upstream/taskrouter-client.ts';

const ACCOUNT = `AC${'1'.repeat(32)}`;
const PAIR = { username: `SK${'2'.repeat(32)}`, password: 'key-secret' };
const PATH = '/v1/Workspaces/WS1/Tasks/WT1/Reservations/WR1';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

let server: Server;
let base: string;
let answer: (res: ServerResponse, seen: Seen) => void;
const seen: Seen[] = [];
let connections = 0;
const clients: HttpTaskRouterUpstream[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
      seen.push(request);
      answer(res, request);
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  seen.length = 0;
  connections = 0;
  for (const client of clients.splice(0)) client.close();
  server.closeAllConnections();
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function client(url = base): HttpTaskRouterUpstream {
  const made = new HttpTaskRouterUpstream(url, { upstreamPair: async (sid) => (sid === ACCOUNT ? PAIR : undefined) });
  clients.push(made);
  return made;
}

const post = (overrides: Partial<UpstreamRequest> = {}): UpstreamRequest => ({
  accountSid: ACCOUNT,
  path: PATH,
  method: 'POST',
  form: [
    ['ReservationStatus', 'accepted'],
    ['Instruction', 'call & "dial"'],
  ],
  timeoutMs: 2_000,
  ...overrides,
});

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return (res: ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
}

describe('what it sends', () => {
  it('the form, with the account’s own credentials, to the path under the base URL (a path prefix kept)', async () => {
    answer = json(200, { sid: 'WR1', reservation_status: 'accepted' });
    await expect(client(`${base}/prefix/`).send(post())).resolves.toEqual({ kind: 'ok', status: 200, json: { sid: 'WR1', reservation_status: 'accepted' } });
    expect(seen).toHaveLength(1);
    const [request] = seen;
    expect(request).toMatchObject({ method: 'POST', url: `/prefix${PATH}`, body: 'ReservationStatus=accepted&Instruction=call+%26+%22dial%22' });
    expect(request!.headers).toMatchObject({
      authorization: `Basic ${Buffer.from(`${PAIR.username}:${PAIR.password}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': String(Buffer.byteLength(request!.body)),
      accept: 'application/json',
    });
  });

  it('a GET with its query and no body', async () => {
    answer = json(200, { events: [] });
    await client().send({
      accountSid: ACCOUNT,
      path: '/v1/Workspaces/WS1/Events',
      method: 'GET',
      query: [
        ['ReservationSid', 'WR1'],
        ['Minutes', '60'],
      ],
      timeoutMs: 2_000,
    });
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/v1/Workspaces/WS1/Events?ReservationSid=WR1&Minutes=60', body: '' });
    expect(seen[0]!.headers['content-type']).toBeUndefined();
  });

  it('nothing, for an account without credentials', async () => {
    await expect(client().send(post({ accountSid: `AC${'9'.repeat(32)}` }))).resolves.toMatchObject({
      kind: 'unknown',
      reason: expect.stringContaining('no credentials'),
    });
    expect(seen).toHaveLength(0);
  });

  it('to an IPv6 literal base URL', async () => {
    const v6 = createServer((req, res) => req.resume().on('end', () => json(200, { reservation_status: 'accepted' })(res)));
    await new Promise<void>((resolve) => v6.listen(0, '::1', resolve));
    try {
      const upstream = client(`http://[::1]:${(v6.address() as AddressInfo).port}`);
      await expect(upstream.send(post())).resolves.toMatchObject({ kind: 'ok', json: { reservation_status: 'accepted' } });
    } finally {
      await new Promise<void>((resolve) => v6.close(() => resolve()));
    }
  });

  it('nothing, when node:http refuses the request before sending it: unknown, said to be unsent', async () => {
    await expect(client().send(post({ path: '/v1/Workspaces/WS 1' }))).resolves.toEqual({
      kind: 'unknown',
      timedOut: false,
      reason: 'not sent: ERR_UNESCAPED_CHARACTERS',
    });
    expect(seen).toHaveLength(0);
  });

  it('each POST whole, to a server that closes the connection after each answer without saying so', async () => {
    // A raw HTTP/1.1 server: answers, then closes, with no Connection: close (what an edge closing idle connections looks like).
    let received = 0;
    const closing = createTcpServer((socket) => {
      let buffered = '';
      socket.on('data', (chunk) => {
        buffered += chunk.toString();
        if (!/\r\n\r\n[\s\S]*accepted/.test(buffered)) return;
        received++;
        const body = '{"reservation_status":"accepted"}';
        socket.end(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => closing.listen(0, '127.0.0.1', resolve));
    try {
      const upstream = client(`http://127.0.0.1:${(closing.address() as AddressInfo).port}`);
      const answers = [];
      for (let i = 0; i < 20; i++) answers.push((await upstream.send(post())).kind);
      expect(answers).toEqual(Array(20).fill('ok'));
      expect(received).toBe(20);
    } finally {
      await new Promise<void>((resolve) => closing.close(() => resolve()));
    }
  });

  it('one connection for requests one after another (kept alive)', async () => {
    answer = json(200, { reservation_status: 'accepted' });
    const upstream = client();
    for (let i = 0; i < 5; i++) await upstream.send(post());
    expect(seen).toHaveLength(5);
    expect(connections).toBe(1);
  });
});

describe('a rotated token or key', () => {
  it('a 401 reads the keys again, if due, and sends the request once more (nothing was done); twice refused stays refused', async () => {
    let secret = 'old-secret';
    let rereads = 0;
    const made = new HttpTaskRouterUpstream(base, {
      upstreamPair: async () => ({ username: PAIR.username, password: secret }),
      reread: async () => {
        rereads++;
        secret = 'new-secret';
        return true;
      },
    });
    clients.push(made);
    const authorized = `Basic ${Buffer.from(`${PAIR.username}:new-secret`).toString('base64')}`;
    answer = (res, request) =>
      request.headers['authorization'] === authorized ? json(200, { sid: 'WR1' })(res) : json(401, { code: 20003, message: 'Authenticate', status: 401 })(res);
    await expect(made.send(post())).resolves.toMatchObject({ kind: 'ok', status: 200 });
    expect(seen.map((r) => r.method)).toEqual(['POST', 'POST']);
    expect(rereads).toBe(1);
    // Refused with the keys read again too: the refusal, and no third request.
    seen.length = 0;
    answer = json(401, { code: 20003, message: 'Authenticate', status: 401 });
    await expect(made.send(post())).resolves.toMatchObject({ kind: 'refused', status: 401 });
    expect(seen).toHaveLength(2);
  });

  it('the re-send gets only the time left: the whole request is answered within its time-out, or its 401 stands', async () => {
    const rotating = (rereadMs: number) => {
      const made = new HttpTaskRouterUpstream(base, {
        upstreamPair: async () => PAIR,
        reread: () => new Promise((resolve) => setTimeout(() => resolve(true), rereadMs)),
      });
      clients.push(made);
      return made;
    };
    // Refused after 200 ms; the keys read again in 100 ms; the re-send never answered.
    answer = (res) => (seen.length === 1 ? setTimeout(() => json(401, { code: 20003, message: 'Authenticate' })(res), 200) : undefined);
    const started = performance.now();
    await expect(rotating(100).send(post({ timeoutMs: 600 }))).resolves.toEqual({ kind: 'unknown', timedOut: true, reason: 'no answer within 600 ms' });
    expect(performance.now() - started).toBeLessThan(800);
    expect(seen).toHaveLength(2);
    // Less than a quarter of the time left once the keys are read again (100 ms of 600): not sent
    // again, the 401 (nothing was done) stands; nor after the time-out.
    for (const rereadMs of [300, 700]) {
      seen.length = 0;
      await expect(rotating(rereadMs).send(post({ timeoutMs: 600 }))).resolves.toMatchObject({ kind: 'refused', status: 401 });
      expect(seen).toHaveLength(1);
    }
  });
});

describe('what an answer means', () => {
  const cases: [string, (res: ServerResponse) => void, UpstreamAnswer | Record<string, unknown>][] = [
    [
      'Twilio’s error JSON: refused, as it says',
      json(400, { code: 20001, message: 'Reservation is not in a pending state', more_info: 'https://www.twilio.com/docs/errors/20001', status: 400 }),
      {
        kind: 'refused',
        status: 400,
        code: 20001,
        message: 'Reservation is not in a pending state',
        moreInfo: 'https://www.twilio.com/docs/errors/20001',
        retryAfter: undefined,
      },
    ],
    [
      '429 with Retry-After: refused, the wait kept',
      json(429, { code: 20429, message: 'Too Many Requests', status: 429 }, { 'retry-after': '3' }),
      { kind: 'refused', status: 429, code: 20429, retryAfter: '3' },
    ],
    [
      'a 404 that is not JSON: refused, described generically',
      (res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<html>not found</html>'),
      { kind: 'refused', status: 404, code: 40400, message: 'TaskRouter answered 404', moreInfo: undefined },
    ],
    ['a redirect: refused (not followed)', (res) => res.writeHead(302, { location: '/elsewhere' }).end(), { kind: 'refused', status: 302 }],
    [
      'a 429 cut off before its end: refused, its Retry-After kept',
      (res) => {
        res.writeHead(429, { 'content-type': 'application/json', 'content-length': '100', 'retry-after': '7' });
        res.write('{"code":20429,');
        setTimeout(() => res.destroy(), 20);
      },
      { kind: 'refused', status: 429, code: 42900, retryAfter: '7' },
    ],
    ['a 5xx: unknown', json(503, { message: 'down' }), { kind: 'unknown', timedOut: false, reason: 'HTTP 503' }],
    [
      'a 2xx that is not JSON: unknown',
      (res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('OK'),
      { kind: 'unknown', timedOut: false, reason: 'unreadable answer (HTTP 200)' },
    ],
    ['an empty 2xx: ok', (res) => res.writeHead(204).end(), { kind: 'ok', status: 204, json: {} }],
    [
      'a 2xx cut off before its end: unknown',
      (res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"reservation_status":');
        setTimeout(() => res.destroy(), 20);
      },
      { kind: 'unknown', timedOut: false, reason: 'unreadable answer (HTTP 200)' },
    ],
    ['the connection dropped with no answer: unknown', (res) => res.destroy(), { kind: 'unknown', timedOut: false }],
  ];
  for (const [name, answering, expected] of cases) {
    it(name, async () => {
      answer = answering;
      await expect(client().send(post())).resolves.toMatchObject(expected);
      expect(seen).toHaveLength(1);
    });
  }

  it('no answer within the time allowed: unknown, timed out, not sent again', async () => {
    answer = () => undefined;
    const started = performance.now();
    await expect(client().send(post({ timeoutMs: 300 }))).resolves.toEqual({ kind: 'unknown', timedOut: true, reason: 'no answer within 300 ms' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(seen).toHaveLength(1);
  });

  it('an answer begun but not finished within the time allowed: unknown, timed out', async () => {
    answer = (res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"reservation_status":');
    };
    await expect(client().send(post({ timeoutMs: 300 }))).resolves.toEqual({ kind: 'unknown', timedOut: true, reason: 'unreadable answer (HTTP 200)' });
  });

  it('nobody listening: unknown, with the reason', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(client(url).send(post())).resolves.toEqual({ kind: 'unknown', timedOut: false, reason: 'ECONNREFUSED' });
  });
});
