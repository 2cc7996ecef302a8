/**
 * `npm start` refusing what it cannot start with: a port taken, a host that is not this machine's,
 * a DynamoDB endpoint nothing answers at. Each is a ConfigError naming the variable (npm start
 * prints its message and exits 2), not a stack trace from deep inside Node or the SDK.
 */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '#lib/config.ts';
import { startStack } from '../support/fixtures.ts';
import { freePort } from '../support/upstream-proxy.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** The ConfigError a start fails with (the test fails if it starts). */
async function refusal(env: Record<string, string>): Promise<ConfigError> {
  const started = await startStack(env).then(
    (stack) => {
      cleanup.push(() => stack.close());
      return undefined;
    },
    (error: unknown) => error,
  );
  expect(started).toBeInstanceOf(ConfigError);
  return started as ConfigError;
}

describe('npm start refuses', () => {
  it('a PORT something else listens on, saying how to choose another', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => taken.close(() => resolve())));
    const port = (taken.address() as { port: number }).port;
    const error = await refusal({ PORT: String(port) });
    expect(error.variable).toBe('PORT');
    expect(error.message).toBe(
      `Invalid configuration: PORT ${port} is in use on 127.0.0.1: stop what listens there, or set another PORT (PORT=0 takes a free one)`,
    );
  });

  it('a HOST that is not an address of this machine', async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never this machine's.
    const error = await refusal({ HOST: '192.0.2.1', TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'own-token' });
    expect(error.variable).toBe('HOST');
    expect(error.message).toContain('"192.0.2.1" is not an address of this machine');
  });

  it('a DYNAMODB_ENDPOINT nothing answers at', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const error = await refusal({ DYNAMODB_ENDPOINT: endpoint });
    expect(error.variable).toBe('DYNAMODB_ENDPOINT');
    expect(error.message).toContain(`${endpoint} does not answer`);
  });
});
