/**
 * Connected mode's HTTP figures, every server a child process on this machine:
 * - accepts per second through the gateway (`npm start` with TASKROUTER_UPSTREAM_URL) to an
 *   upstream answering at once (a standalone `npm start`: a TaskRouter-compatible API), against a
 *   bare node:http proxy forwarding the same POSTs to the same upstream;
 * - TaskRouter event callbacks taken in per second by the gateway's POST /event-callback (signed
 *   `reservation.accepted` events of reservations it holds), against a bare node:http server doing
 *   one conditional write per event on the same embedded engine. The gateway applies what it took
 *   in after answering: each round waits until all of it is applied (reported as drainMs).
 */
import { LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN } from '#lib/config.ts';
import { twilioSignature } from '#lib/signature.ts';
import { assignment, type Assignment } from './events.ts';
import { AUTH, acceptRequest, load, seed, startServer, type HttpOptions, type RateFigure, type Request } from './http.ts';
import { alternate } from './stats.ts';

export interface ConnectedResult {
  readonly accepts: RateFigure;
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

export async function measureConnected(options: HttpOptions): Promise<ConnectedResult> {
  const upstream = await startServer('lib/local/main.ts', { PORT: '0', HOST: '127.0.0.1' });
  const gateway = await startServer('lib/local/main.ts', { PORT: '0', HOST: '127.0.0.1', TASKROUTER_UPSTREAM_URL: upstream.url });
  const proxy = await startServer('bench/bare-proxy.ts', { PORT: '0', UPSTREAM: upstream.url });
  const writer = await startServer('bench/bare-event-writer.ts', { PORT: '0' });
  try {
    const perRound = Math.max(30, options.seconds * 150);
    const size = (perRound + options.connections) * (options.rounds + 1);
    // The gateway's reservations exist upstream too (TaskRouter made them and called the gateway);
    // the bare proxy's exist upstream only.
    const viaGateway = await seed(upstream.url, size, options.connections);
    const known = [...viaGateway];
    await load(gateway.url, { amount: known.length }, options.connections, () => gatewayCallback(gateway.url, known.pop()!));
    const viaProxy = await seed(upstream.url, size, options.connections);
    const rate = { stack: 0, bare: 0 };
    const accepts = await alternate(
      options.rounds,
      async () => (rate.stack = await load(gateway.url, { amount: perRound }, options.connections, () => acceptRequest(viaGateway.pop()!))),
      async () => (rate.bare = await load(proxy.url, { amount: perRound }, options.connections, () => acceptRequest(viaProxy.pop()!))),
    );
    const acceptRates = { ...rate };

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
      accepts: { ratio: accepts, stack: acceptRates.stack, bare: acceptRates.bare },
      eventCallbacks: { ratio: events, stack: rate.stack, bare: rate.bare },
      drainMs,
    };
  } finally {
    await Promise.all([gateway.stop(), proxy.stop(), writer.stop()]);
    await upstream.stop();
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
