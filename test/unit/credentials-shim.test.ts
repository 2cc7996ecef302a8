/**
 * The bundles' stand-in for the SDK's default credential chain (infra/shims/credentials-from-env.ts)
 * answers what the chain's first link answers in Lambda, the credentials in the environment, and
 * judges their expiry as the chain does.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as chain from '@aws-sdk/credential-provider-node';
import * as shim from '../../infra/shims/credentials-from-env.ts';

const saved = { ...process.env };
afterEach(() => {
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_CREDENTIAL_EXPIRATION', 'AWS_PROFILE']) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

describe('credentials-from-env shim', () => {
  it("gives the execution role's credentials from the environment, as the chain's first link does", async () => {
    delete process.env['AWS_PROFILE'];
    process.env['AWS_ACCESS_KEY_ID'] = 'AKIDEXAMPLE';
    process.env['AWS_SECRET_ACCESS_KEY'] = 'secret';
    process.env['AWS_SESSION_TOKEN'] = 'token';
    const fromShim = await shim.defaultProvider()();
    expect(fromShim).toMatchObject({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' });
    expect(await chain.defaultProvider()()).toMatchObject({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' });
  });

  it('fails without credentials in the environment (nothing else is tried)', async () => {
    delete process.env['AWS_ACCESS_KEY_ID'];
    delete process.env['AWS_SECRET_ACCESS_KEY'];
    await expect(shim.defaultProvider()()).rejects.toThrow(/Unable to find environment variable credentials/);
  });

  it('judges expiry as the chain does', () => {
    const now = Date.now();
    for (const expiration of [undefined, new Date(now + 60_000), new Date(now + 600_000), new Date(now - 1)]) {
      const credentials = { accessKeyId: 'a', secretAccessKey: 'b', ...(expiration && { expiration }) };
      expect(shim.credentialsTreatedAsExpired(credentials)).toBe(chain.credentialsTreatedAsExpired(credentials));
      expect(shim.credentialsWillNeedRefresh(credentials)).toBe(chain.credentialsWillNeedRefresh(credentials));
    }
  });
});
