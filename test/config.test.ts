import { describe, expect, it } from 'vitest';
import { ConfigError, LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN, loadConfig, tableNameOf } from '#lib/config.ts';

describe('configuration', () => {
  it('has the documented local defaults', () => {
    expect(loadConfig({}, 'local')).toMatchObject({
      host: '127.0.0.1',
      port: 3000,
      accountSid: LOCAL_ACCOUNT_SID,
      authToken: LOCAL_AUTH_TOKEN,
      publicBaseUrl: 'http://127.0.0.1:3000',
      reservationTimeoutSeconds: 120,
      maxRejections: 10,
      timeoutActivitySid: undefined,
      retentionDays: 7,
      assignmentPolicyPath: undefined,
      dataDir: undefined,
    });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['RESERVATION_TIMEOUT_SECONDS', '0'],
    ['RESERVATION_TIMEOUT_SECONDS', '86401'],
    ['MAX_REJECTIONS', '-1'],
    ['MAX_REJECTIONS', '1.5'],
    ['RETENTION_DAYS', '0'],
    ['TIMEOUT_ACTIVITY_SID', 'WAnot-a-sid'],
    ['TWILIO_ACCOUNT_SID', 'ACshort'],
    ['PUBLIC_BASE_URL', 'not a url'],
    ['PUBLIC_BASE_URL', 'ftp://example.com'],
    ['PUBLIC_BASE_URL', 'https://example.com/?x=1'],
    ['DYNAMODB_ENDPOINT', 'notaurl'],
    ['DYNAMODB_ENDPOINT', 'ftp://127.0.0.1:8000'],
    ['TABLE_NAME', 'a'],
    ['TABLE_NAME', 'my table'],
  ])('refuses %s=%s with a message naming it', (variable, value) => {
    const env = { [variable]: value, ...(variable === 'TWILIO_ACCOUNT_SID' && { TWILIO_AUTH_TOKEN: 't' }) };
    expect(() => loadConfig(env, 'local')).toThrow(ConfigError);
    expect(() => loadConfig(env, 'local')).toThrow(variable);
  });

  it('needs the token when the account is set, and never falls back to development credentials when deployed', () => {
    expect(() => loadConfig({ TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}` }, 'local')).toThrow('TWILIO_AUTH_TOKEN');
    expect(() => loadConfig({ TABLE_NAME: 'tbl', PUBLIC_BASE_URL: 'https://x.example' }, 'lambda')).toThrow('TWILIO_ACCOUNT_SID');
    const deployed = { TABLE_NAME: 'tbl', PUBLIC_BASE_URL: 'https://x.example', TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}` };
    const api = { table: 'read', credentials: true } as const;
    expect(() => loadConfig(deployed, 'lambda', api)).toThrow('TWILIO_AUTH_TOKEN_SECRET_ARN');
    expect(() => loadConfig({ ...deployed, TWILIO_AUTH_TOKEN_SECRET_ARN: 'arn:x' }, 'lambda', api)).not.toThrow();
    expect(() => loadConfig({ ...deployed, TWILIO_AUTH_TOKEN_SECRET_ARN: 'arn:x', TABLE_NAME: '' }, 'lambda', api)).toThrow('TABLE_NAME');
    expect(() => loadConfig({ ...deployed, TWILIO_AUTH_TOKEN_SECRET_ARN: 'arn:x' }, 'lambda', { ...api, timers: true })).toThrow('TIMEOUT_SCHEDULE_GROUP');
  });

  it('requires in a deployed function only what it binds (lib/functions.ts)', () => {
    const bare = { PUBLIC_BASE_URL: 'https://x.example', TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}` };
    const config = loadConfig(bare, 'lambda', {});
    expect(config.tableName).toBeUndefined();
    expect(config.authToken).toBeUndefined();
    expect(() => tableNameOf(config)).toThrow('TABLE_NAME');
    expect(tableNameOf(loadConfig({ ...bare, TABLE_NAME: 'tbl' }, 'lambda', { table: 'write' }))).toBe('tbl');
  });

  it('strips a trailing slash from PUBLIC_BASE_URL and keeps a path prefix', () => {
    const account = { TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'own-token' };
    expect(loadConfig({ ...account, PUBLIC_BASE_URL: 'https://api.example.com/tr/' }, 'local').publicBaseUrl).toBe('https://api.example.com/tr');
  });

  it('refuses the published development token for a stack other machines can reach', () => {
    for (const [env, exposed] of [
      [{ HOST: '0.0.0.0' }, 'HOST=0.0.0.0'],
      [{ PUBLIC_BASE_URL: 'https://abc.trycloudflare.com' }, 'PUBLIC_BASE_URL=https://abc.trycloudflare.com'],
    ] as const) {
      expect(() => loadConfig(env, 'local')).toThrow(
        `TWILIO_AUTH_TOKEN is required for a stack other machines can reach (${exposed}): the built-in development token is published, so anyone reaching the stack could use it; set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN`,
      );
      expect(loadConfig({ ...env, TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'own-token' }, 'local').authToken).toBe('own-token');
    }
    // This machine only, by any of its loopback names: the development pair.
    for (const env of [{}, { HOST: 'localhost' }, { HOST: '127.0.0.2' }, { PUBLIC_BASE_URL: 'http://localhost:3000' }]) {
      expect(loadConfig(env, 'local').authToken).toBe(LOCAL_AUTH_TOKEN);
    }
  });

  it('takes TASKROUTER_UPSTREAM_URL as an https base URL (http on this machine only), and names it when it is bad', () => {
    expect(loadConfig({}, 'local').upstreamUrl).toBeUndefined();
    expect(loadConfig({ TASKROUTER_UPSTREAM_URL: 'https://taskrouter.twilio.com/' }, 'local').upstreamUrl).toBe('https://taskrouter.twilio.com');
    expect(loadConfig({ TASKROUTER_UPSTREAM_URL: 'http://127.0.0.1:3001' }, 'local').upstreamUrl).toBe('http://127.0.0.1:3001');
    for (const bad of [
      'taskrouter.twilio.com',
      'http://taskrouter.twilio.com',
      'https://user:pw@taskrouter.twilio.com',
      'https://taskrouter.twilio.com?x=1',
      'ftp://x',
    ]) {
      expect(() => loadConfig({ TASKROUTER_UPSTREAM_URL: bad }, 'local'), bad).toThrow(/TASKROUTER_UPSTREAM_URL/);
    }
  });
});
