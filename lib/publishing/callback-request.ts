/**
 * An event as TaskRouter POSTs it to a Workspace's EventCallbackUrl: one event per request,
 * form-encoded, the envelope then the event's fields in PascalCase, signed with X-Twilio-Signature
 * over the callback URL with the account's auth token.
 */
import type { EventType, TaskRouterEvent } from '../domain/events.ts';
import { twilioSignature, type FormEntries } from '../signature.ts';

export function callbackForm(event: TaskRouterEvent): [string, string][] {
  return [
    ['Sid', event.sid],
    ['EventType', event.type],
    ['AccountSid', event.accountSid],
    ['WorkspaceSid', event.workspaceSid],
    ['EventDescription', event.description],
    ['ResourceType', event.resourceType],
    ['ResourceSid', event.resourceSid],
    ['Timestamp', String(Math.floor(event.at / 1000))],
    ['TimestampMs', String(event.at)],
    ...(Object.entries(event.data) as [string, string][]),
  ];
}

export interface SignedCallback {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** The request that delivers an event: the URL given, its form body, the signature over both. */
export function signedCallback(url: string, authToken: string, form: FormEntries): SignedCallback {
  return {
    url,
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
      'X-Twilio-Signature': twilioSignature(authToken, url, form),
      'User-Agent': 'taskrouter-reservations',
    },
    body: new URLSearchParams(form as [string, string][]).toString(),
  };
}

/** EVENTS_FILTER: which types are sent (none given: all). It limits what is sent, not what is stored. */
export function sendsEvent(filter: readonly EventType[] | undefined, event: TaskRouterEvent): boolean {
  return filter === undefined || filter.includes(event.type);
}

/** How long one delivery attempt may take: TaskRouter's own event callbacks wait 15 s. */
export const CALLBACK_TIMEOUT_MS = 15_000;

export type DeliveryResult = { readonly ok: true; readonly status: number } | { readonly ok: false; readonly reason: string };

/** One attempt: 2xx delivers; anything else (a status, a time-out, a refused connection) does not. */
export async function postCallback(request: SignedCallback, timeoutMs = CALLBACK_TIMEOUT_MS): Promise<DeliveryResult> {
  try {
    const response = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    });
    await response.body?.cancel();
    return response.status >= 200 && response.status < 300 ? { ok: true, status: response.status } : { ok: false, reason: `HTTP ${response.status}` };
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    return { ok: false, reason: e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message) };
  }
}
