/**
 * Connected mode's HTTP figures, every server a child process on this machine:
 * - what a desktop waits for: accepts at a steady 20 a second through the gateway (`npm start`
 *   with TASKROUTER_UPSTREAM_URL) against a bare node:http proxy, both to the same upstream (a
 *   standalone `npm start`, a TaskRouter-compatible API) that answers 100 ms after a request, as
 *   Twilio's API does from an AWS region (a delaying proxy in front of it): p50 and p99 latency;
 * - what the gateway burns: its CPU per accept (from /proc) against a standalone stack's per
 *   accept taken directly (informational: exactly-once costs a mark and a confirmed write);
 * - TaskRouter event callbacks taken in per second by the gateway's POST /event-callback (signed
 *   `reservation.accepted` events of reservations it holds), against a bare node:http server doing
 *   one conditional write per event on the same embedded engine. The gateway applies what it took
 *   in after answering: each round waits until all of it is applied (reported as drainMs).
 */
import { readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN } from '#lib/config.ts';
import { twilioSignature } from '#lib/signature.ts';
import { assignment, type Assignment } from './events.ts';
import { AUTH, acceptRequest, load, seed, startServer, type HttpOptions, type RateFigure, type Request } from './http.ts';
import { alternate, ratioOf, type Ratio } from './stats.ts';

/** The upstream's answer comes this long after the request: TaskRouter's API seen from an AWS region. */
export const UPSTREAM_DELAY_MS = 100;
/** Accepts per second, evenly spaced: a busy contact centre's desktops, not a load test. */
export const ACCEPTS_PER_SECOND = 20;

export interface LatencyFigure {
  /** Gateway / bare proxy, per round. */
  readonly p50: Ratio;
  readonly p99: Ratio;
  /** Milliseconds in the last round: the gateway's, then the proxy's. */
  readonly gatewayMs: { readonly p50: number; readonly p99: number };
  readonly proxyMs: { readonly p50: number; readonly p99: number };
}

export interface CpuFigure {
  /** The gateway's CPU per accept / a standalone stack's per accept, per round. */
  readonly ratio: Ratio;
  readonly gatewayMs: number;
  readonly standaloneMs: number;
}

export interface ConnectedResult {
  readonly latency: LatencyFigure;
  readonly cpu: CpuFigure;
  readonly eventCallbacks: RateFigure;
  /** The longest a round's events took to be applied after the last one was answered. */
  readonly drainMs: number;
}

/** Waits until the gateway's record shows `a`'s reservation accepted. */
async function appliedOn(url: string, a: Assignment): Promise<void> {
  const giveUp = Date.now() + 120_000;
  for (;;) {
    const response = await fetch(`${url}/v1/Workspaces/${a.sids.workspace}/Tasks/${a.sids.task}/Reservations/${a.sids.reservation}`, { headers: AUTH });
    if (((await response.json()) as { reservation_status?: string }).reservation_status === 'accepted') return;
    if (Date.now() > giveUp) throw new Error(`the gateway did not apply ${a.sids.reservation}'s accepted event within 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** TaskRouter's event callback saying a reservation was accepted, signed for `url`. */
function acceptedEvent(url: string, a: Assignment): Request {
  const params = {
    EventType: 'reservation.accepted',
    Sid: `EV${a.sids.reservation.slice(2)}`,
    AccountSid: LOCAL_ACCOUNT_SID,
    WorkspaceSid: a.sids.workspace,
    ResourceType: 'reservation',
    ResourceSid: a.sids.reservation,
    Timestamp: String(Math.floor(Date.now() / 1000)),
    TimestampMs: String(Date.now()),
    TaskSid: a.sids.task,
    ReservationSid: a.sids.reservation,
    WorkerSid: a.sids.worker,
    TaskAssignmentStatus: 'assigned',
  };
  const signature = twilioSignature(LOCAL_AUTH_TOKEN, `${url}/event-callback`, Object.entries(params));
  return {
    method: 'POST',
    path: '/event-callback',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    body: new URLSearchParams(params).toString(),
  };
}

/** CPU time (user + system) of a process so far, in ms, from /proc (Linux). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are the 14th and 15th fields of the line, in clock ticks (100 a second here).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/** Sends `requests` at `perSecond`, evenly spaced whatever the answers (an open loop), and returns each one's latency. */
async function steady(url: string, requests: readonly Request[], perSecond: number, agent: Agent): Promise<number[]> {
  const target = new URL(url);
  const one = (r: Request) =>
    new Promise<number>((resolve, reject) => {
      const started = performance.now();
      const out = httpRequest({ host: target.hostname, port: target.port, method: r.method, path: r.path, headers: r.headers, agent }, (answer) => {
        answer.resume();
        answer.on('end', () => {
          if ((answer.statusCode ?? 500) >= 300) reject(new Error(`${url}${r.path} answered ${answer.statusCode}`));
          else resolve(performance.now() - started);
        });
      });
      out.on('error', reject);
      out.end(r.body);
    });
  const start = performance.now();
  const pending: Promise<number>[] = [];
  for (let i = 0; i < requests.length; i++) {
    const wait = start + (i * 1000) / perSecond - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(one(requests[i]!));
  }
  return Promise.all(pending);
}

export async function measureConnected(options: HttpOptions): Promise<ConnectedResult> {
  // Counting off in both stacks, as in the HTTP figures: deployed it follows the answer (the
  // table's stream); what it costs is the statistics figure's.
  const upstream = await startServer('lib/local/main.ts', { PORT: '0', HOST: '127.0.0.1', STATISTICS: 'off' });
  const distant = await startServer('bench/bare-proxy.ts', { PORT: '0', UPSTREAM: upstream.url, DELAY_MS: String(UPSTREAM_DELAY_MS) });
  const gateway = await startServer('lib/local/main.ts', { PORT: '0', HOST: '127.0.0.1', TASKROUTER_UPSTREAM_URL: distant.url, STATISTICS: 'off' });
  const proxy = await startServer('bench/bare-proxy.ts', { PORT: '0', UPSTREAM: distant.url });
  const writer = await startServer('bench/bare-event-writer.ts', { PORT: '0' });
  // Kept alive as desktops' browsers are, closed before a server's keep-alive timeout (Node's 5 s)
  // could close one just as it is reused between rounds.
  const agent = new Agent({ keepAlive: true, timeout: 4_000 });
  try {
    const perRound = Math.max(30, options.seconds * 150);
    const size = (perRound + options.connections) * (options.rounds + 1);
    // A round of accepts at the steady rate: seconds' worth, at least 20.
    const steadyRound = Math.max(20, options.seconds * ACCEPTS_PER_SECOND);
    const steadySize = steadyRound * (options.rounds + 1);
    // The gateway's reservations exist upstream too (TaskRouter made them and called the gateway);
    // the bare proxy's and the standalone accepts' exist upstream only.
    const viaGateway = await seed(upstream.url, steadySize, options.connections);
    const known = [...viaGateway];
    await load(gateway.url, { amount: known.length }, options.connections, () => gatewayCallback(gateway.url, known.pop()!));
    const viaProxy = await seed(upstream.url, steadySize, options.connections);
    const standalone = await seed(upstream.url, steadySize, options.connections);

    const ratios = { p50: [] as number[], p99: [] as number[], cpu: [] as number[] };
    const last = { gateway: { p50: 0, p99: 0 }, proxy: { p50: 0, p99: 0 }, gatewayCpu: 0, standaloneCpu: 0 };
    const through = async (url: string, pool: Assignment[], pid?: number) => {
      const requests = pool.splice(0, steadyRound).map(acceptRequest);
      const cpuBefore = pid === undefined ? 0 : cpuMs(pid);
      const latencies = (await steady(url, requests, ACCEPTS_PER_SECOND, agent)).sort((a, b) => a - b);
      return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), cpu: pid === undefined ? 0 : (cpuMs(pid) - cpuBefore) / requests.length };
    };
    for (let round = 0; round <= options.rounds; round++) {
      // Who goes first alternates; the first round warms both and is not counted.
      let g: Awaited<ReturnType<typeof through>>;
      let p: Awaited<ReturnType<typeof through>>;
      if (round % 2 === 0) {
        g = await through(gateway.url, viaGateway, gateway.pid);
        p = await through(proxy.url, viaProxy);
      } else {
        p = await through(proxy.url, viaProxy);
        g = await through(gateway.url, viaGateway, gateway.pid);
      }
      const s = await through(upstream.url, standalone, upstream.pid);
      if (round === 0) continue;
      ratios.p50.push(g.p50 / p.p50);
      ratios.p99.push(g.p99 / p.p99);
      ratios.cpu.push(g.cpu / s.cpu);
      Object.assign(last, { gateway: { p50: g.p50, p99: g.p99 }, proxy: { p50: p.p50, p99: p.p99 }, gatewayCpu: g.cpu, standaloneCpu: s.cpu });
    }
    const rate = { stack: 0, bare: 0 };

    const mirrored = await seed(gateway.url, size, options.connections);
    let drainMs = 0;
    const events = await alternate(
      options.rounds,
      async () => {
        let last: Assignment | undefined;
        rate.stack = await load(gateway.url, { amount: perRound }, options.connections, () => {
          last = mirrored.pop()!;
          return acceptedEvent(gateway.url, last);
        });
        // The gateway applies what it took in after answering, in order: once the last one reads
        // accepted, all have been. Waited for, so that it does not run into the next (bare) round.
        const answered = performance.now();
        await appliedOn(gateway.url, last!);
        drainMs = Math.max(drainMs, performance.now() - answered);
        return rate.stack;
      },
      async () =>
        (rate.bare = await load(writer.url, { amount: perRound }, options.connections, () => acceptedEvent(writer.url, assignment(LOCAL_ACCOUNT_SID)))),
    );
    return {
      latency: { p50: ratioOf(ratios.p50), p99: ratioOf(ratios.p99), gatewayMs: last.gateway, proxyMs: last.proxy },
      cpu: { ratio: ratioOf(ratios.cpu), gatewayMs: last.gatewayCpu, standaloneMs: last.standaloneCpu },
      eventCallbacks: { ratio: events, stack: rate.stack, bare: rate.bare },
      drainMs,
    };
  } finally {
    agent.destroy();
    await Promise.all([gateway.stop(), proxy.stop(), writer.stop()]);
    await Promise.all([distant.stop(), upstream.stop()]);
  }
}

/** The same reservation's assignment callback, for the gateway. */
function gatewayCallback(url: string, a: Assignment): Request {
  const path = '/assignment-callback?ReservationTimeout=86400';
  const signature = twilioSignature(LOCAL_AUTH_TOKEN, `${url}${path}`, Object.entries(a.params));
  return {
    method: 'POST',
    path,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    body: new URLSearchParams(a.params).toString(),
  };
}
