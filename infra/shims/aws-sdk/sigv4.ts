/**
 * AWS Signature Version 4 for the bundles' AWS clients (README.md beside this file says why they
 * exist). The rules, as AWS states them and as the SDK's own signer applies them:
 * - the canonical request is the method, the path (each segment URI-encoded again, `.` and `..`
 *   resolved), the query (names and values encoded, sorted), the signed headers (lower-cased,
 *   sorted, values with runs of spaces collapsed and trimmed), their names, and the body's SHA-256;
 * - headers a proxy may change (user-agent, x-amzn-trace-id, connection…) are never signed;
 * - the key is derived from the secret through the date, region, service and `aws4_request`, and is
 *   the same all day for one region and service, so it is kept;
 * - `x-amz-date` (the signing time, seconds), `x-amz-security-token` (a role's session) and
 *   `x-amz-content-sha256` (the body's hash) are set before signing and signed.
 */
import { createHash, createHmac } from 'node:crypto';

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

export interface SignableRequest {
  readonly method: string;
  readonly path: string;
  readonly query?: Readonly<Record<string, string>> | undefined;
  /** Changed in place: the signing headers and `authorization` are added. */
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface SigningScope {
  readonly region: string;
  readonly service: string;
}

const UNSIGNABLE = new Set([
  'authorization',
  'cache-control',
  'connection',
  'expect',
  'from',
  'keep-alive',
  'max-forwards',
  'pragma',
  'referer',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'x-amzn-trace-id',
]);

/** RFC 3986's unreserved characters stay; everything else is percent-encoded, in upper-case hex. */
export function escapeUri(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalPath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  return escapeUri(normalized).replace(/%2F/g, '/');
}

function canonicalQuery(query: Readonly<Record<string, string>> | undefined): string {
  if (query === undefined) return '';
  // Sorted by the encoded names, as the canonical form is.
  return Object.keys(query)
    .filter((name) => name.toLowerCase() !== 'x-amz-signature')
    .map((name) => [escapeUri(name), escapeUri(query[name]!)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** The last key derived: a container signs for a handful of services, each all day with one key. */
const keys = new Map<string, Buffer>();

function signingKey(credentials: Credentials, shortDate: string, scope: SigningScope): Buffer {
  const id = `${shortDate}/${scope.region}/${scope.service}/${credentials.accessKeyId}/${credentials.secretAccessKey}`;
  const known = keys.get(id);
  if (known) return known;
  let key = createHmac('sha256', `AWS4${credentials.secretAccessKey}`).update(shortDate).digest();
  for (const part of [scope.region, scope.service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  if (keys.size >= 16) keys.clear();
  keys.set(id, key);
  return key;
}

/** `20261207T061500Z`: ISO 8601 basic format, to the second. */
function longDateOf(date: Date): string {
  return date.toISOString().replace(/[-:]|\.\d{3}/g, '');
}

/** Signs `request` in place for `scope` at `at`. */
export function signRequest(request: SignableRequest, credentials: Credentials, scope: SigningScope, at: Date): void {
  const longDate = longDateOf(at);
  const shortDate = longDate.slice(0, 8);
  const headers = request.headers;
  headers['x-amz-date'] = longDate;
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const payloadHash = sha256Hex(request.body);
  headers['x-amz-content-sha256'] = payloadHash;
  const canonical: [string, string][] = [];
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (UNSIGNABLE.has(lower) || lower.startsWith('proxy-') || lower.startsWith('sec-')) continue;
    canonical.push([
      lower,
      headers[name]!.replace(/[\r\n]/g, ' ')
        .replace(/[ \t]+/g, ' ')
        .replace(/^ | $/g, ''),
    ]);
  }
  canonical.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const signedHeaders = canonical.map(([name]) => name).join(';');
  const canonicalRequest = [
    request.method,
    canonicalPath(request.path),
    canonicalQuery(request.query),
    canonical.map(([name, value]) => `${name}:${value}\n`).join(''),
    signedHeaders,
    payloadHash,
  ].join('\n');
  const credentialScope = `${shortDate}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${longDate}\n${credentialScope}\n${sha256Hex(canonicalRequest)}`;
  const signature = createHmac('sha256', signingKey(credentials, shortDate, scope))
    .update(stringToSign, 'utf8')
    .digest('hex');
  headers['authorization'] =
    `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${credentialScope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}
