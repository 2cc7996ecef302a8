/**
 * Who may call: the account's SID and auth token for REST Basic auth and for verifying the
 * signature of assignment callbacks. The token comes from a source read once and cached (the
 * environment locally, Secrets Manager when deployed).
 */
import { AuthenticationError } from './domain/errors.ts';
import { canonicalSid } from './domain/sid.ts';
import { constantTimeEqual } from './signature.ts';

export interface Credentials {
  readonly accountSid: string;
  /** The auth token that signs callbacks and authenticates the account. */
  authToken(): Promise<string>;
  /** The account a Basic-auth pair belongs to; throws a 401 otherwise. */
  authenticate(username: string, password: string): Promise<string>;
}

export function accountCredentials(accountSid: string, readToken: () => Promise<string>): Credentials {
  let token: Promise<string> | undefined;
  const authToken = () => {
    token ??= readToken().catch((error: unknown) => {
      token = undefined; // a failed read is tried again by the next request
      throw error;
    });
    return token;
  };
  return {
    accountSid,
    authToken,
    async authenticate(username, password) {
      if (canonicalSid(username, 'AC') !== canonicalSid(accountSid, 'AC')) {
        throw new AuthenticationError('Authentication Error - invalid username');
      }
      if (!constantTimeEqual(password, await authToken())) throw new AuthenticationError('Authenticate');
      return accountSid;
    },
  };
}

/** The user and password of an `Authorization: Basic …` header, or undefined. */
export function parseBasicAuth(header: string | undefined): { username: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
