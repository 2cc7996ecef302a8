/**
 * The AWS clients a deployed request waits on beside the store's (Secrets Manager for the auth
 * token, Scheduler for a reservation's timer) are bounded as the store's are: against a service
 * that takes the connection and never answers, the call fails after its attempts, so that the
 * request is answered (a 503) instead of running into the function's own timeout.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntimeWith } from '#lib/runtime/core.ts';
import { loadSubsystems } from '#lib/runtime/subsystems.ts';
import { memoryStores } from '#lib/store/memory/memory-stores.ts';
import { STORE_MAX_ATTEMPTS, STORE_REQUEST_TIMEOUT_MS } from '#lib/store/client.ts';
import { DEPLOYED_ACCOUNT_SID, deployedConfig } from '../support/deployed-config.ts';

const ACCOUNT_SID = DEPLOYED_ACCOUNT_SID;
const hex = (c: string) => c.repeat(32);

let silent: Server;
const sockets = new Set<Socket>();
const saved: Record<string, string | undefined> = {};
const ENV = ['AWS_ENDPOINT_URL_SCHEDULER', 'AWS_ENDPOINT_URL_SECRETS_MANAGER', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'];

beforeAll(async () => {
  // Takes every connection and says nothing.
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
  for (const name of ENV) saved[name] = process.env[name];
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SCHEDULER: url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: url,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
  });
});

afterAll(async () => {
  for (const name of ENV) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

describe('AWS clients on the request path', () => {
  it('give up on a service that never answers, after their attempts, for Secrets Manager and Scheduler', async () => {
    const config = deployedConfig('assignment-callback');
    const runtime = createRuntimeWith(await loadSubsystems([]), config, { stores: memoryStores() });
    const started = performance.now();
    const timer = {
      accountSid: ACCOUNT_SID,
      workspaceSid: `WS${hex('a')}`,
      taskSid: `WT${hex('b')}`,
      reservationSid: `WR${hex('c')}`,
      deadline: Date.now() + 120_000,
    };
    const [token, schedule] = await Promise.allSettled([runtime.credentials.authToken(ACCOUNT_SID), runtime.scheduler!.schedule(timer)]);
    expect(token.status).toBe('rejected');
    expect(schedule.status).toBe('rejected');
    // Each made its attempts, each one waiting out the request timeout: bounded, not hung.
    expect(sockets.size).toBeGreaterThanOrEqual(2 * STORE_MAX_ATTEMPTS);
    expect(performance.now() - started).toBeGreaterThanOrEqual(STORE_MAX_ATTEMPTS * STORE_REQUEST_TIMEOUT_MS * 0.9);
  }, 20_000);
});
