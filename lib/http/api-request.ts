/**
 * The request as handlers see it, from an API Gateway HTTP API (payload v2) event: the same
 * shape on AWS, in `npm start` and in `npm run invoke`. Form bodies (which API Gateway may
 * base64-encode) and JSON bodies with the same names both become `Params`.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { InvalidParameterError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../domain/errors.ts';
import type { Params } from '../domain/parameters.ts';
import type { FormEntries } from '../signature.ts';

/** Larger request bodies are refused (413). */
export const MAX_BODY_BYTES = 64 * 1024;
/**
 * More parameters in a query or a body are refused (400) before anything reads them: TaskRouter's
 * requests carry a few dozen at most. Read before authentication, a request may not cost more
 * than a bounded amount of work to anyone who can reach the URL.
 */
export const MAX_PARAMETERS = 1000;

export interface ApiRequest {
  readonly method: string;
  /** The path as received (no stage prefix: the API uses the `$default` stage). */
  readonly path: string;
  readonly rawQueryString: string;
  readonly query: Params;
  readonly body: Params;
  /** The form body's entries in order and with repeats, as a webhook signature covers them. */
  readonly form: FormEntries;
  readonly rawBody: string;
  readonly bodyType: 'form' | 'json' | 'none';
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly requestId: string;
}

/** The parameters by name, each name's values in order; `where` names the part of the request for a 400. */
function toParams(entries: Iterable<readonly [string, string]>, where: 'query' | 'body'): Map<string, string[]> {
  const params = new Map<string, string[]>();
  let count = 0;
  for (const [name, value] of entries) {
    if (++count > MAX_PARAMETERS) throw new InvalidParameterError(where, `must hold at most ${MAX_PARAMETERS} parameters`);
    // Appended in place: a copy per repeat would make a request of many repeats cost its square.
    const values = params.get(name);
    if (values) values.push(value);
    else params.set(name, [value]);
  }
  return params;
}

function jsonParams(text: string): Map<string, string[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidParameterError('body', 'is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidParameterError('body', 'must be a JSON object of parameters');
  }
  const entries: [string, string][] = [];
  for (const [name, value] of Object.entries(parsed)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v === null) continue;
      if (typeof v === 'object') throw new InvalidParameterError(name, 'must be a string, number, boolean or a list of them');
      entries.push([name, String(v)]);
    }
  }
  return toParams(entries, 'body');
}

export function parseApiRequest(event: APIGatewayProxyEventV2): ApiRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] = value;
  const method = event.requestContext.http.method.toUpperCase();
  const rawQueryString = event.rawQueryString ?? '';
  const request = {
    method,
    path: event.rawPath,
    rawQueryString,
    query: toParams(new URLSearchParams(rawQueryString), 'query'),
    headers,
    pathParameters: Object.fromEntries(Object.entries(event.pathParameters ?? {}).filter((e): e is [string, string] => e[1] !== undefined)),
    requestId: event.requestContext.requestId,
  };
  const bytes = event.body ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8') : Buffer.alloc(0);
  if (bytes.length > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);
  if (method === 'GET' || bytes.length === 0) return { ...request, body: new Map(), form: [], rawBody: '', bodyType: 'none' };

  const rawBody = bytes.toString('utf8');
  const contentType = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  // No Content-Type at all is read as a form, as `curl -d` and most form posts intend.
  if (contentType === 'application/x-www-form-urlencoded' || contentType === '') {
    const form = [...new URLSearchParams(rawBody)] as [string, string][];
    return { ...request, body: toParams(form, 'body'), form, rawBody, bodyType: 'form' };
  }
  if (contentType === 'application/json' || contentType.endsWith('+json')) {
    return { ...request, body: jsonParams(rawBody), form: [], rawBody, bodyType: 'json' };
  }
  throw new UnsupportedMediaTypeError(contentType);
}
