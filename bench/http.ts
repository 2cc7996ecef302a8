/**
 * HTTP figures: `npm start`'s stack against a bare node:http server issuing the same store calls
 * (bench/bare-server.ts), both in child processes with the embedded engine, loaded by autocannon
 * from this process at a fixed concurrency: signed callbacks per second, and accepts per second
 * of reservations seeded through callbacks beforehand.
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN } from '#lib/config.ts';
import { twilioSignature } from '#lib/signature.ts';
import { assignment, basicAuthHeader, type Assignment } from './events.ts';
import type { Templates } from './in-process.ts';
import { alternate, type Ratio } from './stats.ts';

const ROOT = join(import.meta.dirname, '..');

export interface HttpOptions {
  readonly rounds: number;
  readonly seconds: number;
  readonly connections: number;
}

export interface RateFigure {
  readonly ratio: Ratio;
  /** Requests per second of the last round. */
  readonly stack: number;
  readonly bare: number;
}

export interface HttpResult {
  readonly callbacks: RateFigure;
  readonly accepts: RateFigure;
}

export interface Server {
  readonly url: string;
  /** The server's process: its CPU time is read from /proc. */
  readonly pid: number;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
// A crash in the load generator must not leave servers behind.
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/**
 * Starts a server in a child process. Its stdout (a log line per request, for the stack) goes to
 * a file, as a deployed function's goes to CloudWatch: the load generator never reads it, so it
 * costs the server its writes and nothing else. The file is read for the URL, and shown on failure.
 */
export async function startServer(entry: string, env: Record<string, string>): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-server-'));
  const logFile = join(dir, 'stdout.log');
  const out = openSync(logFile, 'w');
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(ROOT, entry)], {
    cwd: ROOT,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    stdio: ['ignore', out, 'inherit'],
  });
  closeSync(out);
  children.add(child);
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
    children.delete(child);
  });
  const deadline = Date.now() + 30_000;
  let url: string | undefined;
  while (url === undefined) {
    const match = /listening on (http:\/\/\S+)/.exec(readFileSync(logFile, 'utf8'));
    if (match) url = match[1]!;
    else if (exited !== undefined) throw new Error(`${entry} exited (${exited}) before listening:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
    else if (Date.now() > deadline) throw new Error(`${entry} did not listen within 30 s`);
    else await delay(50);
  }
  return {
    url,
    pid: child.pid!,
    stop: () =>
      new Promise((resolve) => {
        const done = () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (exited !== undefined) return done();
        child.once('exit', done);
        child.kill('SIGTERM');
      }),
  };
}

export type Request = { method: 'GET' | 'POST'; path: string; headers: Record<string, string>; body?: string };

/** Load for some seconds, or for an amount of requests; resolves with the requests per second. */
export function load(url: string, span: { seconds: number } | { amount: number }, connections: number, next: () => Request): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        ...('seconds' in span ? { duration: span.seconds } : { amount: span.amount }),
        requests: [{ setupRequest: (request) => ({ ...request, ...next() }) }],
      },
      (error, result) => {
        if (error) return reject(error);
        if (result.non2xx > 0 || result.errors > 0) {
          return reject(new Error(`${result.non2xx} non-2xx answers and ${result.errors} errors from ${url}: ${JSON.stringify(result.statusCodeStats)}`));
        }
        // Timed here, to the last answer: autocannon reports (and calls back) only at its next
        // one-second sample, so its own figures, and the time of this callback, are whole seconds.
        resolve(answered / ((last - started) / 1000));
      },
    );
    let answered = 0;
    let last = started;
    instance.on('response', () => {
      answered++;
      last = performance.now();
    });
    autocannon.track(instance, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false });
  });
}

/**
 * A signed callback. Its reservation times out in a day: deployed, timers fire in a function of
 * their own, so none should fire inside a measurement here.
 */
const CALLBACK_PATH = '/assignment-callback?ReservationTimeout=86400';

export function callbackRequest(url: string, a = assignment(LOCAL_ACCOUNT_SID)): Request {
  const body = new URLSearchParams(a.params).toString();
  const signature = twilioSignature(LOCAL_AUTH_TOKEN, `${url}${CALLBACK_PATH}`, Object.entries(a.params));
  return { method: 'POST', path: CALLBACK_PATH, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }, body };
}

export const AUTH = basicAuthHeader(LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN);

export function acceptRequest(a: Assignment): Request {
  return {
    method: 'POST',
    path: `/v1/Workspaces/${a.sids.workspace}/Tasks/${a.sids.task}/Reservations/${a.sids.reservation}`,
    headers: { ...AUTH, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'ReservationStatus=accepted',
  };
}

/** Seeds `count` pending reservations through callbacks; returns them, to be accepted once each. */
export async function seed(url: string, count: number, connections: number): Promise<Assignment[]> {
  const pool: Assignment[] = [];
  await load(url, { amount: count }, connections, () => {
    const a = assignment(LOCAL_ACCOUNT_SID);
    pool.push(a);
    return callbackRequest(url, a);
  });
  return pool;
}

export async function measureHttp(options: HttpOptions, templates: Templates): Promise<HttpResult> {
  const file = join(tmpdir(), `bench-templates-${process.pid}.json`);
  writeFileSync(file, JSON.stringify(templates));
  // The reservation path's own work, as the bare server replays it (the calls recorded with
  // counting off, bench/in-process.ts): what counting adds is the statistics figure's, against
  // its own target, and deployed it runs from the table's stream, after the answer.
  const stack = await startServer('lib/local/main.ts', { PORT: '0', HOST: '127.0.0.1', STATISTICS: 'off' });
  const bare = await startServer('bench/bare-server.ts', { PORT: '0', TEMPLATES: file });
  try {
    const rate = { stack: 0, bare: 0 };
    const callbacks = await alternate(
      options.rounds,
      async () => (rate.stack = await load(stack.url, { seconds: options.seconds }, options.connections, () => callbackRequest(stack.url))),
      async () => (rate.bare = await load(bare.url, { seconds: options.seconds }, options.connections, () => callbackRequest(bare.url))),
    );
    const callbackRates = { ...rate };

    // Each accept takes a reservation of its own, so each round sends a fixed number of them (about
    // `seconds` worth at the faster callback rate, twice over) from a pool seeded beforehand.
    const perRound = Math.max(50, Math.ceil(Math.max(rate.stack, rate.bare) * options.seconds * 2));
    // Rounds and the warm-up; autocannon may build a request per connection beyond its amount.
    const size = (perRound + options.connections) * (options.rounds + 1);
    const pools = { stack: await seed(stack.url, size, options.connections), bare: await seed(bare.url, size, options.connections) };
    const accepts = await alternate(
      options.rounds,
      async () => (rate.stack = await load(stack.url, { amount: perRound }, options.connections, () => acceptRequest(pools.stack.pop()!))),
      async () => (rate.bare = await load(bare.url, { amount: perRound }, options.connections, () => acceptRequest(pools.bare.pop()!))),
    );
    return {
      callbacks: { ratio: callbacks, stack: callbackRates.stack, bare: callbackRates.bare },
      accepts: { ratio: accepts, stack: rate.stack, bare: rate.bare },
    };
  } finally {
    await stack.stop();
    await bare.stop();
    rmSync(file, { force: true });
  }
}
