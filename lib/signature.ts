/**
 * X-Twilio-Signature: base64(HMAC-SHA1(authToken, url + each parameter name and value, names
 * sorted, a repeated name's values de-duplicated and sorted)). Twilio signs the URL exactly as
 * configured on the Workflow, so, as Twilio's own validator does, we accept it with and without the
 * default port and, failing those, in its normalized forms.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { stringify as legacyQueryString, parse as parseLegacyQuery } from 'node:querystring';

export type FormEntries = ReadonlyArray<readonly [string, string]>;

export function twilioSignature(authToken: string, url: string, params: FormEntries): string {
  const byName = new Map<string, Set<string>>();
  for (const [name, v] of params) {
    const values = byName.get(name) ?? new Set<string>();
    values.add(v);
    byName.set(name, values);
  }
  let data = url;
  for (const name of [...byName.keys()].sort()) {
    for (const v of [...byName.get(name)!].sort()) data += name + v;
  }
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/** The URL a callback is signed over: PUBLIC_BASE_URL, the path, and the query string as sent. */
export function signedUrl(publicBaseUrl: string, path: string, rawQueryString: string | undefined): string {
  return `${publicBaseUrl}${path}${rawQueryString ? `?${rawQueryString}` : ''}`;
}

export function sha256Hex(body: string): string {
  return createHash('sha256').update(body, 'utf8').digest('hex');
}

/** Constant-time string equality (the length is not secret). */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

const AUTHORITY = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is;

function withPort(url: string, port: 'add' | 'remove'): string {
  const m = AUTHORITY.exec(url);
  if (!m) return url;
  const [, scheme, authority, rest] = m as unknown as [string, string, string, string];
  const hostEnd = authority.lastIndexOf(']') + 1;
  const colon = authority.indexOf(':', Math.max(hostEnd, authority.lastIndexOf('@') + 1));
  const host = colon === -1 ? authority : authority.slice(0, colon);
  if (port === 'remove') return scheme + host + rest;
  if (colon !== -1) return url;
  return `${scheme}${host}:${scheme.toLowerCase() === 'https://' ? 443 : 80}${rest}`;
}

/**
 * The query re-encoded as Twilio's older libraries did. Every piece is kept (`maxKeys: 0`): by
 * default node:querystring stops at 1,000, so a query padded with empty pieces would be checked
 * without what follows them, which the handler still reads.
 */
function withLegacyQuery(url: string): string {
  const q = url.indexOf('?');
  return q === -1 || q === url.length - 1
    ? url
    : `${url.slice(0, q)}?${legacyQueryString(parseLegacyQuery(url.slice(q + 1), undefined, undefined, { maxKeys: 0 }))}`;
}

function* candidateUrls(url: string): Generator<string> {
  yield withPort(url, 'remove');
  yield withPort(url, 'add');
  let normalized: string;
  try {
    normalized = new URL(url).toString();
  } catch {
    return;
  }
  for (const u of [withPort(normalized, 'remove'), withPort(normalized, 'add')]) {
    yield u;
    yield withLegacyQuery(u);
  }
}

export function isValidTwilioSignature(authToken: string, signature: string, url: string, params: FormEntries): boolean {
  for (const candidate of candidateUrls(url)) {
    if (constantTimeEqual(signature, twilioSignature(authToken, candidate, params))) return true;
  }
  return false;
}
