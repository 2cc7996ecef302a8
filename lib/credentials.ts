/**
 * Who may call. The account (TWILIO_ACCOUNT_SID) with its auth token, optionally more accounts
 * (Twilio subaccounts, say) with theirs, and API keys (`SK…` SID and secret) each mapped to one of
 * those accounts. The tokens verify assignment-callback signatures and, with the keys, REST Basic
 * auth. They are read (the environment locally, Secrets Manager when deployed) and cached for at
 * most KEYS_MAX_AGE_MS, so that a key or token removed from the secret stops working in a warm
 * container too, however busy the callers that still pass keep it; a check that fails reads them
 * again sooner, at most every REREAD_AFTER_MS, so that a rotated token is taken up at once
 * (TaskRouter signs with the new one at once).
 */
import { AuthenticationError } from './domain/errors.ts';
import { canonicalSid } from './domain/sid.ts';
import { constantTimeEqual } from './signature.ts';

export interface ApiKey {
  readonly secret: string;
  readonly accountSid: string;
}

export interface AccountKeys {
  /** Account SID → auth token. */
  readonly tokens: ReadonlyMap<string, string>;
  /** API key SID → its secret and account. */
  readonly apiKeys: ReadonlyMap<string, ApiKey>;
}

export interface Credentials {
  /** The deployment's own account (TWILIO_ACCOUNT_SID). */
  readonly accountSid: string;
  /** The auth token of an account this service serves, or undefined. */
  authToken(accountSid: string): Promise<string | undefined>;
  /** The account a Basic-auth pair belongs to; throws a 401 otherwise. */
  authenticate(username: string, password: string): Promise<string>;
  /**
   * What this service presents to the upstream TaskRouter for an account (connected mode): its
   * first API key when one is configured for it, else its auth token; never a caller's.
   */
  upstreamPair(accountSid: string): Promise<{ readonly username: string; readonly password: string } | undefined>;
  /**
   * After a check failed: reads the keys again, unless they were read less than REREAD_AFTER_MS
   * ago. True when new keys were read, so that the check is worth trying once more.
   */
  reread(): Promise<boolean>;
}

/** How often a failing check may read the keys again: a bad signature cannot make more reads than this. */
export const REREAD_AFTER_MS = 30_000;

/**
 * How long keys read are used without reading them again: a revoked API key or account token
 * (removed from the secret) is refused within this, even where no check fails to prompt a read.
 * One read per container this often, paid by the request that finds the keys too old.
 */
export const KEYS_MAX_AGE_MS = 5 * 60_000;

/** The message of every refused Basic-auth pair. */
export const AUTHENTICATION_FAILED = 'Authenticate';

/** Compared against when the username is unknown, so that both failures take the same time. */
const UNKNOWN = 'x'.repeat(32);

export function accountCredentials(
  accountSid: string,
  readKeys: () => Promise<AccountKeys>,
  now: () => number = Date.now,
  /** Told when a read again fails (a secret put malformed, say): the keys in use stay. */
  rereadFailed: (error: unknown) => void = () => {},
): Credentials {
  let keys: Promise<AccountKeys> | undefined;
  /** When the last read began: a refused check reads again only REREAD_AFTER_MS after it. */
  let readAt = Number.NEGATIVE_INFINITY;
  /** When the keys in use become too old (KEYS_MAX_AGE_MS after their read), or a failed read of them is tried again. */
  let staleAt = Number.POSITIVE_INFINITY;
  const load = () => {
    if (!keys) {
      readAt = now();
      staleAt = readAt + KEYS_MAX_AGE_MS;
      keys = readKeys().catch((error: unknown) => {
        keys = undefined; // a failed read is tried again by the next request
        throw error;
      });
    } else if (now() >= staleAt) {
      // Too old to trust: read again, the requests meanwhile waiting for this one read. A failed
      // read keeps the keys in use (an outage of Secrets Manager refuses nobody) and is tried
      // again REREAD_AFTER_MS later, not by every request.
      const inUse = keys;
      readAt = now();
      staleAt = readAt + REREAD_AFTER_MS;
      keys = readKeys().then(
        (fresh) => {
          staleAt = readAt + KEYS_MAX_AGE_MS;
          return fresh;
        },
        (error: unknown) => {
          rereadFailed(error);
          return inUse;
        },
      );
    }
    return keys;
  };
  return {
    accountSid,
    async authToken(sid) {
      const canonical = canonicalSid(sid, 'AC');
      return canonical === undefined ? undefined : (await load()).tokens.get(canonical);
    },
    async authenticate(username, password) {
      const { tokens, apiKeys } = await load();
      const account = canonicalSid(username, 'AC');
      const key = canonicalSid(username, 'SK');
      const expected = account !== undefined ? tokens.get(account) : key !== undefined ? apiKeys.get(key)?.secret : undefined;
      // One answer for an unknown username and a wrong secret: a difference would tell an
      // outsider which accounts and API keys this deployment serves.
      if (!constantTimeEqual(password, expected ?? UNKNOWN) || expected === undefined) throw new AuthenticationError(AUTHENTICATION_FAILED);
      return account ?? apiKeys.get(key!)!.accountSid;
    },
    async upstreamPair(sid) {
      const { tokens, apiKeys } = await load();
      for (const [keySid, key] of apiKeys) if (key.accountSid === sid) return { username: keySid, password: key.secret };
      const token = tokens.get(sid);
      return token === undefined ? undefined : { username: sid, password: token };
    },
    async reread() {
      if (now() - readAt < REREAD_AFTER_MS) return false;
      // Taken now, so that the failures arriving meanwhile do not read too; the keys in use stay
      // until the new ones are there, and a failed read leaves them.
      readAt = now();
      try {
        const fresh = await readKeys();
        keys = Promise.resolve(fresh);
        staleAt = readAt + KEYS_MAX_AGE_MS;
        return true;
      } catch (error) {
        rereadFailed(error);
        return false;
      }
    },
  };
}

export class CredentialsError extends Error {}

/** An extra account and its auth token. */
export type AccountEntry = readonly [accountSid: string, token: string];
/** An API key, its secret, and its account (the primary one when absent). */
export type ApiKeyEntry = readonly [keySid: string, secret: string, accountSid?: string];

export function accountKeys(primary: string, token: string, accounts: readonly AccountEntry[] = [], apiKeys: readonly ApiKeyEntry[] = []): AccountKeys {
  const tokens = new Map([[primary, token]]);
  for (const [sid, accountToken] of accounts) {
    const account = canonicalSid(sid, 'AC');
    if (account === undefined || !accountToken) throw new CredentialsError(`"${sid}" is not an Account SID with a token`);
    tokens.set(account, accountToken);
  }
  const keys = new Map<string, ApiKey>();
  for (const [sid, secret, accountSid] of apiKeys) {
    const key = canonicalSid(sid, 'SK');
    const account = accountSid === undefined ? primary : canonicalSid(accountSid, 'AC');
    if (key === undefined || !secret) throw new CredentialsError(`"${sid}" is not an API key SID (SK…) with a secret`);
    if (account === undefined || !tokens.has(account)) throw new CredentialsError(`API key ${key} names an account this service does not serve`);
    keys.set(key, { secret, accountSid: account });
  }
  return { tokens, apiKeys: keys };
}

/** TWILIO_ACCOUNTS: `AC…:token,AC…:token`. */
export function parseAccountList(value: string | undefined): AccountEntry[] {
  return entries(value).map((e) => {
    const at = e.indexOf(':');
    return at === -1 ? [e, ''] : [e.slice(0, at), e.slice(at + 1)];
  });
}

/** TWILIO_API_KEYS: `SK…:secret[:AC…],…`. */
export function parseApiKeyList(value: string | undefined): ApiKeyEntry[] {
  return entries(value).map((e) => {
    const [sid = '', secret = '', account] = e.split(':');
    return account === undefined ? [sid, secret] : [sid, secret, account];
  });
}

function entries(list: string | undefined): string[] {
  return (list ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
}

/**
 * The deployed secret: the primary account's auth token as plain text, or JSON
 * `{"authToken": "…", "accounts": {"AC…": "token"}, "apiKeys": {"SK…": "secret" | {"secret": "…", "accountSid": "AC…"}}}`.
 */
export function keysFromSecret(primary: string, value: string): AccountKeys {
  const text = value.trim();
  if (!text.startsWith('{')) return accountKeys(primary, text);
  let json: { authToken?: unknown; accounts?: unknown; apiKeys?: unknown };
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    throw new CredentialsError('the secret is neither a token nor valid JSON');
  }
  if (typeof json.authToken !== 'string' || json.authToken === '') throw new CredentialsError('the secret JSON has no authToken');
  const accounts = Object.entries((json.accounts ?? {}) as Record<string, unknown>).map(
    ([sid, token]): AccountEntry => [sid, typeof token === 'string' ? token : ''],
  );
  const apiKeys = Object.entries((json.apiKeys ?? {}) as Record<string, unknown>).map(([sid, key]): ApiKeyEntry => {
    if (typeof key === 'string') return [sid, key];
    const { secret, accountSid } = (key ?? {}) as { secret?: unknown; accountSid?: unknown };
    const text = typeof secret === 'string' ? secret : '';
    return typeof accountSid === 'string' ? [sid, text, accountSid] : [sid, text];
  });
  return accountKeys(primary, json.authToken, accounts, apiKeys);
}

/** The user and password of an `Authorization: Basic …` header, or undefined. */
export function parseBasicAuth(header: string | undefined): { username: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
