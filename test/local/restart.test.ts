/**
 * The local stack across its own start and stop: a request that arrives while it is still starting
 * is answered, and a reservation whose deadline passed while it was down is written down as timed
 * out when it starts again (worker moved, event produced).
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startDynalite } from '#lib/local/dynamodb-engine.ts';
import type { LocalStack } from '#lib/local/server.ts';
import { FakeClock } from '../support/clock.ts';
import { assign, basicAuth, startStack } from '../support/fixtures.ts';
import { freePort } from '../support/upstream-proxy.ts';

const TIMEOUT_ACTIVITY = `WA${'70'.repeat(16)}`;
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

it('writes down, when it starts again, a reservation whose deadline passed while it was down: worker moved, reservation.timeout produced', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'restart-'));
  cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const clock = new FakeClock();
  const env = { DATA_DIR: dataDir, TIMEOUT_ACTIVITY_SID: TIMEOUT_ACTIVITY };
  const first = await startStack(env, { clock });
  const a = await assign(first, {}, { query: 'ReservationTimeout=60' });
  await first.close();

  clock.advance(120_000);
  const second = await startStack(env, { clock });
  cleanup.push(() => second.close());
  const get = async (path: string) => (await (await fetch(`${second.url}${path}`, { headers: basicAuth() })).json()) as Record<string, unknown>;
  // The re-armed timer fires at once (its deadline is past): poll until its write lands.
  let activity: unknown;
  for (const deadline = Date.now() + 5000; activity !== TIMEOUT_ACTIVITY && Date.now() < deadline; ) {
    activity = (await get(`/v1/Workspaces/${a.workspaceSid}/Workers/${a.workerSid}`))['activity_sid'];
    if (activity !== TIMEOUT_ACTIVITY) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(activity).toBe(TIMEOUT_ACTIVITY);
  const events = (await get(`/v1/Workspaces/${a.workspaceSid}/Events?ReservationSid=${a.reservationSid}&Minutes=60`))['events'] as {
    event_type: string;
    event_date_ms: number;
  }[];
  expect(events.map((e) => e.event_type)).toEqual(['reservation.created', 'reservation.timeout', 'worker.activity.update']);
  // The timeout happened at the deadline, while the stack was down.
  expect(events[1]!.event_date_ms).toBe(events[0]!.event_date_ms + 60_000);
  const stored = await second.runtime.stores.tasks.getTask({ accountSid: a.accountSid, workspaceSid: a.workspaceSid, taskSid: a.taskSid });
  expect(stored!.reservations[0]).toMatchObject({ status: 'timeout', activitySid: TIMEOUT_ACTIVITY });
});

/** An HTTP proxy to a DynamoDB engine that holds every request a while: a slow start-up. */
async function slowProxy(target: string, delayMs: number): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () =>
      setTimeout(() => {
        const forward = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 500, answer.headers);
          answer.pipe(res);
        });
        forward.end(Buffer.concat(chunks));
      }, delayMs),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

it('answers a request that arrives while it is still starting (held until ready), never leaves it hanging', async () => {
  const engine = await startDynalite();
  cleanup.push(() => engine.close());
  const proxy = await slowProxy(engine.endpoint, 400);
  cleanup.push(() => proxy.close());
  const port = await freePort();
  let ready = false;
  const starting = startStack({ PORT: String(port), DYNAMODB_ENDPOINT: proxy.url, TABLE_NAME: 'restart' }).then((stack: LocalStack) => {
    ready = true;
    cleanup.push(() => stack.close());
    return stack;
  });
  // Knock until the port is open; the stack is still creating its table through the slow proxy.
  let health: Response | undefined;
  let sentBeforeReady = false;
  for (const deadline = Date.now() + 5000; !health && Date.now() < deadline; ) {
    sentBeforeReady = !ready;
    health = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
    if (!health) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  expect(sentBeforeReady, 'the request went in before the stack was ready').toBe(true);
  expect(health?.status).toBe(200);
  expect(await health!.json()).toEqual({ status: 'ok' });
  await starting;
});
