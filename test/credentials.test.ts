/** Credentials: accounts, API keys, the deployed secret, and reading it once per container. */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '#lib/config.ts';
import { CredentialsError, KEYS_MAX_AGE_MS, REREAD_AFTER_MS, accountCredentials, accountKeys, keysFromSecret } from '#lib/credentials.ts';
import { parseApiRequest } from '#lib/http/api-request.ts';
import { basicAuth as basicAuthMiddleware, webhookSignature } from '#lib/http/middleware.ts';
import { twilioSignature } from '#lib/signature.ts';
import { AuthenticationError, ForbiddenError } from '#lib/domain/errors.ts';
import type { LocalStack } from '#lib/local/server.ts';
import { secretsManagerKeys } from '#lib/secrets.ts';
import { ACCOUNT_SID, AUTH_TOKEN, assign, basicAuth, sid, startStack, twilioClient } from './support/fixtures.ts';

const PRIMARY = `AC${'1'.repeat(32)}`;
const OTHER = `AC${'2'.repeat(32)}`;
const KEY = `SK${'3'.repeat(32)}`;
const OTHER_KEY = `SK${'4'.repeat(32)}`;

/** Credentials over keys whose token the test rotates, on a clock it sets; counts the reads. */
function rotatingKeys() {
  const state = {
    token: 'old-token',
    clock: 0,
    reads: 0,
    credentials: undefined as unknown as ReturnType<typeof accountCredentials>,
  };
  state.credentials = accountCredentials(
    PRIMARY,
    async () => {
      state.reads++;
      return accountKeys(PRIMARY, state.token);
    },
    () => state.clock,
  );
  return state;
}

describe('authenticating', () => {
  const keys = accountKeys(
    PRIMARY,
    'primary-token',
    [[OTHER, 'other-token']],
    [
      [KEY, 'key-secret'],
      [OTHER_KEY, 'other-secret', OTHER],
    ],
  );
  const credentials = accountCredentials(PRIMARY, async () => keys);

  it.each([
    [PRIMARY, 'primary-token', PRIMARY],
    [PRIMARY.toUpperCase().replace(/^AC/, 'AC'), 'primary-token', PRIMARY],
    [OTHER, 'other-token', OTHER],
    [KEY, 'key-secret', PRIMARY],
    [OTHER_KEY, 'other-secret', OTHER],
  ])('%s with its secret is account %s', async (username, password, account) => {
    await expect(credentials.authenticate(username, password)).resolves.toBe(account);
  });

  it.each([
    [PRIMARY, 'other-token'],
    [KEY, 'primary-token'],
    [sid('AC'), 'primary-token'],
    [sid('SK'), 'key-secret'],
    ['admin', 'primary-token'],
  ])('%s with %s is a 401 with the one message that says nothing of which part was wrong', async (username, password) => {
    await expect(credentials.authenticate(username, password)).rejects.toThrow(new AuthenticationError('Authenticate'));
  });

  it('presents to the upstream TaskRouter an account’s API key when it has one, else its auth token; nothing for others', async () => {
    await expect(credentials.upstreamPair(PRIMARY)).resolves.toEqual({ username: KEY, password: 'key-secret' });
    await expect(credentials.upstreamPair(OTHER)).resolves.toEqual({ username: OTHER_KEY, password: 'other-secret' });
    const tokensOnly = accountCredentials(PRIMARY, async () => accountKeys(PRIMARY, 'primary-token', [[OTHER, 'other-token']]));
    await expect(tokensOnly.upstreamPair(OTHER)).resolves.toEqual({ username: OTHER, password: 'other-token' });
    await expect(tokensOnly.upstreamPair(sid('AC'))).resolves.toBeUndefined();
  });

  it('gives each served account its signing token, and none to others', async () => {
    await expect(credentials.authToken(OTHER)).resolves.toBe('other-token');
    await expect(credentials.authToken(sid('AC'))).resolves.toBeUndefined();
    await expect(credentials.authToken('nonsense')).resolves.toBeUndefined();
  });

  it('refuses API keys that name an account it does not serve', () => {
    expect(() => accountKeys(PRIMARY, 't', [], [[KEY, 's', sid('AC')]])).toThrow(CredentialsError);
    expect(() => accountKeys(PRIMARY, 't', [['ACshort', 't']])).toThrow(CredentialsError);
  });
});

describe('the deployed secret', () => {
  it('is the auth token as plain text, or JSON with accounts and API keys', () => {
    expect(keysFromSecret(PRIMARY, ' primary-token\n').tokens).toEqual(new Map([[PRIMARY, 'primary-token']]));
    const keys = keysFromSecret(
      PRIMARY,
      JSON.stringify({
        authToken: 'primary-token',
        accounts: { [OTHER]: 'other-token' },
        apiKeys: { [KEY]: 'key-secret', [OTHER_KEY]: { secret: 'other-secret', accountSid: OTHER } },
      }),
    );
    expect(keys.tokens.get(OTHER)).toBe('other-token');
    expect(keys.apiKeys.get(OTHER_KEY)).toEqual({ secret: 'other-secret', accountSid: OTHER });
    expect(() => keysFromSecret(PRIMARY, '{"authToken": 1}')).toThrow(CredentialsError);
    expect(() => keysFromSecret(PRIMARY, '{not json')).toThrow(CredentialsError);
  });

  it('is read from Secrets Manager once per container, with exactly this request, and read again after a failure', async () => {
    const sent: unknown[] = [];
    let fail = true;
    const client = {
      send: async (command: unknown) => {
        sent.push(command);
        if (fail) {
          fail = false;
          throw new Error('network down');
        }
        return { SecretString: 'primary-token' };
      },
    };
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:taskrouter-auth-token-AbCdEf';
    const credentials = accountCredentials(PRIMARY, secretsManagerKeys(PRIMARY, arn, client as never));
    await expect(credentials.authenticate(PRIMARY, 'primary-token')).rejects.toThrow('network down');
    for (let i = 0; i < 5; i++) await expect(credentials.authenticate(PRIMARY, 'primary-token')).resolves.toBe(PRIMARY);
    await expect(credentials.authToken(PRIMARY)).resolves.toBe('primary-token');
    expect(sent).toHaveLength(2);
    expect(sent[1]).toBeInstanceOf(GetSecretValueCommand);
    expect((sent[1] as GetSecretValueCommand).input).toEqual({ SecretId: arn });
  });

  it('is read again after a refused check, at most every 30 s: a rotated token is taken up by a warm container', async () => {
    const rotating = rotatingKeys();
    const { credentials } = rotating;
    await expect(credentials.authenticate(PRIMARY, 'old-token')).resolves.toBe(PRIMARY);
    rotating.token = 'new-token';
    // Within 30 s of the last read, a refusal reads nothing.
    rotating.clock = REREAD_AFTER_MS - 1;
    await expect(credentials.reread()).resolves.toBe(false);
    expect(rotating.reads).toBe(1);
    rotating.clock = REREAD_AFTER_MS;
    await expect(credentials.reread()).resolves.toBe(true);
    await expect(credentials.authenticate(PRIMARY, 'new-token')).resolves.toBe(PRIMARY);
    await expect(credentials.authToken(PRIMARY)).resolves.toBe('new-token');
    expect(rotating.reads).toBe(2);
    // The slot is taken at once: a burst of refusals makes one read.
    rotating.clock += REREAD_AFTER_MS;
    expect(await Promise.all([credentials.reread(), credentials.reread(), credentials.reread()])).toEqual([true, false, false]);
    expect(rotating.reads).toBe(3);
  });

  it('reads the keys again once they are five minutes old: a key removed from the secret is refused, though no check failed', async () => {
    const secret = { keys: accountKeys(PRIMARY, 'token', [], [[KEY, 'leaked-secret']]), clock: 0, reads: 0, fail: false };
    const failures: unknown[] = [];
    const credentials = accountCredentials(
      PRIMARY,
      async () => {
        secret.reads++;
        if (secret.fail) throw new Error('Secrets Manager is unavailable');
        return secret.keys;
      },
      () => secret.clock,
      (error) => failures.push(error),
    );
    await expect(credentials.authenticate(KEY, 'leaked-secret')).resolves.toBe(PRIMARY);
    // The operator removes the key; its holder keeps calling, and every call passes until the keys are too old.
    secret.keys = accountKeys(PRIMARY, 'token');
    secret.clock = KEYS_MAX_AGE_MS - 1;
    await expect(credentials.authenticate(KEY, 'leaked-secret')).resolves.toBe(PRIMARY);
    expect(secret.reads).toBe(1);
    secret.clock = KEYS_MAX_AGE_MS;
    // Requests arriving together wait for one read.
    const [first, second] = await Promise.allSettled([credentials.authenticate(KEY, 'leaked-secret'), credentials.authenticate(PRIMARY, 'token')]);
    expect(first).toMatchObject({ status: 'rejected', reason: expect.any(AuthenticationError) });
    expect(second).toEqual({ status: 'fulfilled', value: PRIMARY });
    expect(secret.reads).toBe(2);
    // A read that fails keeps the keys in use, says so, and is tried again 30 s later, not by every request.
    secret.clock += KEYS_MAX_AGE_MS;
    secret.fail = true;
    await expect(credentials.authenticate(PRIMARY, 'token')).resolves.toBe(PRIMARY);
    await expect(credentials.authenticate(PRIMARY, 'token')).resolves.toBe(PRIMARY);
    expect([secret.reads, failures.length]).toEqual([3, 1]);
    secret.clock += REREAD_AFTER_MS;
    secret.fail = false;
    secret.keys = accountKeys(PRIMARY, 'rotated');
    await expect(credentials.authToken(PRIMARY)).resolves.toBe('rotated');
    expect(secret.reads).toBe(4);
  });

  it('a signed callback or a Basic-auth request made with a rotated token passes once the keys are read again', async () => {
    const rotating = rotatingKeys();
    const { credentials } = rotating;
    const base = 'https://hooks.example.com';
    const params = { AccountSid: PRIMARY, TaskSid: `WT${'a'.repeat(32)}` };
    const body = new URLSearchParams(params).toString();
    const event = (headers: Record<string, string>) =>
      ({
        rawPath: '/assignment-callback',
        rawQueryString: '',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body,
        isBase64Encoded: false,
        requestContext: { http: { method: 'POST' }, requestId: 'r' },
      }) as never;
    const run = async (middleware: ReturnType<typeof webhookSignature>, headers: Record<string, string>) => {
      const request = { event: event(headers), context: { api: parseApiRequest(event(headers)) } } as never;
      await middleware.before!(request);
      return (request as { context: { accountSid: string } }).context.accountSid;
    };
    const signed = (t: string) => ({ 'x-twilio-signature': twilioSignature(t, `${base}/assignment-callback`, Object.entries(params)) });
    const basic = (t: string) => ({ authorization: `Basic ${Buffer.from(`${PRIMARY}:${t}`).toString('base64')}` });
    // The keys a refusal adds to the request's log line.
    const logged: Record<string, unknown>[] = [];
    const logger = { appendKeys: (keys: Record<string, unknown>) => void logged.push(keys) } as never;
    await expect(run(webhookSignature(credentials, base, logger), signed('old-token'))).resolves.toBe(PRIMARY);
    await expect(run(basicAuthMiddleware(credentials), basic('old-token'))).resolves.toBe(PRIMARY);
    rotating.token = 'new-token';
    rotating.clock = REREAD_AFTER_MS;
    await expect(run(webhookSignature(credentials, base, logger), signed('new-token'))).resolves.toBe(PRIMARY);
    rotating.clock += REREAD_AFTER_MS;
    rotating.token = 'newer-token';
    await expect(run(basicAuthMiddleware(credentials), basic('newer-token'))).resolves.toBe(PRIMARY);
    // Forged ones stay refused, and read the keys at most once every 30 s: within them, not at all.
    const before = rotating.reads;
    await expect(run(webhookSignature(credentials, base, logger), signed('forged'))).rejects.toBeInstanceOf(ForbiddenError);
    await expect(run(basicAuthMiddleware(credentials), basic('forged'))).rejects.toBeInstanceOf(AuthenticationError);
    expect(rotating.reads).toBe(before);
    rotating.clock += REREAD_AFTER_MS;
    await expect(run(webhookSignature(credentials, base, logger), signed('forged'))).rejects.toBeInstanceOf(ForbiddenError);
    await expect(run(basicAuthMiddleware(credentials), basic('forged'))).rejects.toBeInstanceOf(AuthenticationError);
    expect(rotating.reads).toBe(before + 1);
    // Each refusal names the URL the signature was checked against (a PUBLIC_BASE_URL that is not TaskRouter's is the usual cause).
    expect(logged).toEqual([{ signatureCheckedAgainst: `${base}/assignment-callback` }, { signatureCheckedAgainst: `${base}/assignment-callback` }]);
  });
});

describe('configuration', () => {
  it('reads TWILIO_ACCOUNTS and TWILIO_API_KEYS, naming the variable of a bad entry', () => {
    const config = loadConfig({ TWILIO_ACCOUNTS: `${OTHER}:other-token`, TWILIO_API_KEYS: `${KEY}:key-secret,${OTHER_KEY}:other-secret:${OTHER}` }, 'local');
    expect(config.accounts).toEqual([[OTHER, 'other-token']]);
    expect(config.apiKeys).toEqual([
      [KEY, 'key-secret'],
      [OTHER_KEY, 'other-secret', OTHER],
    ]);
    expect(() => loadConfig({ TWILIO_ACCOUNTS: 'ACnope:t' }, 'local')).toThrow(
      new ConfigError('TWILIO_ACCOUNTS', '"ACnope" is not an Account SID with a token'),
    );
    expect(() => loadConfig({ TWILIO_API_KEYS: `${KEY}` }, 'local')).toThrow(ConfigError);
    expect(() => loadConfig({ TWILIO_API_KEYS: `${KEY}:s:${OTHER}` }, 'local')).toThrow(/TWILIO_API_KEYS .*account this service does not serve/);
  });
});

describe('over HTTP', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startStack({ TWILIO_ACCOUNTS: `${OTHER}:other-token`, TWILIO_API_KEYS: `${KEY}:key-secret,${OTHER_KEY}:other-secret:${OTHER}` });
  });
  afterAll(() => stack.close());

  it('takes an API key through the twilio SDK, for its account', async () => {
    const a = await assign(stack);
    const byKey = twilioClient(stack, KEY, 'key-secret');
    expect((await byKey.taskrouter.v1.workspaces(a.workspaceSid).tasks(a.taskSid).reservations(a.reservationSid).fetch()).sid).toBe(a.reservationSid);
  });

  it('keeps each account’s workspaces invisible (404) to the others, callbacks included', async () => {
    const mine = await assign(stack);
    const theirs = await assign(stack, { AccountSid: OTHER }, { token: 'other-token' });
    const get = async (path: string, auth: Record<string, string>) => (await fetch(`${stack.url}${path}`, { headers: auth })).status;
    const minePath = `/v1/Workspaces/${mine.workspaceSid}/Tasks/${mine.taskSid}/Reservations/${mine.reservationSid}`;
    const theirPath = `/v1/Workspaces/${theirs.workspaceSid}/Tasks/${theirs.taskSid}/Reservations/${theirs.reservationSid}`;
    expect(await get(minePath, basicAuth())).toBe(200);
    expect(await get(minePath, basicAuth(OTHER, 'other-token'))).toBe(404);
    expect(await get(minePath, basicAuth(OTHER_KEY, 'other-secret'))).toBe(404);
    expect(await get(theirPath, basicAuth(OTHER, 'other-token'))).toBe(200);
    expect(await get(theirPath, basicAuth())).toBe(404);
    expect(await get(`/v1/Workspaces/${theirs.workspaceSid}/Workers/${theirs.workerSid}/Reservations`, basicAuth(ACCOUNT_SID, AUTH_TOKEN))).toBe(404);
    // An unsigned callback is refused; one signed by another account names that account's records only.
    const hijack = await fetch(`${stack.url}/assignment-callback`, { method: 'POST' });
    expect(hijack.status).toBe(403);
    const before = await fetch(`${stack.url}${minePath}`, { headers: basicAuth() }).then((r) => r.json());
    await assign(
      stack,
      { AccountSid: OTHER, WorkspaceSid: mine.workspaceSid, TaskSid: mine.taskSid, ReservationSid: mine.reservationSid },
      { token: 'other-token' },
    );
    expect(await fetch(`${stack.url}${minePath}`, { headers: basicAuth() }).then((r) => r.json())).toEqual(before);
  });
});
