/** API Gateway HTTP API (v2) events for in-process invocations, as the local server builds them. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { randomBytes, randomUUID } from 'node:crypto';
import { matchRoute } from '#lib/local/server.ts';
import { twilioSignature } from '#lib/signature.ts';

export const sid = (prefix: string) => prefix + randomBytes(16).toString('hex');

export function apiEvent(method: 'GET' | 'POST', target: string, init: { form?: Record<string, string>; headers?: Record<string, string> } = {}): APIGatewayProxyEventV2 {
  const [path = '/', query = ''] = target.split('?');
  const route = matchRoute(method, path);
  const body = init.form ? new URLSearchParams(init.form).toString() : undefined;
  return {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath: path,
    rawQueryString: query,
    headers: { host: '127.0.0.1', ...(body && { 'content-type': 'application/x-www-form-urlencoded' }), ...init.headers },
    ...(route.pathParameters && { pathParameters: route.pathParameters }),
    requestContext: {
      accountId: '000000000000',
      apiId: 'bench',
      domainName: '127.0.0.1',
      domainPrefix: '127',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId: randomUUID(),
      routeKey: route.routeKey,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    ...(body !== undefined && { body: Buffer.from(body).toString('base64') }),
    isBase64Encoded: body !== undefined,
  };
}

export interface Assignment {
  readonly params: Record<string, string>;
  readonly sids: { readonly workspace: string; readonly task: string; readonly worker: string; readonly reservation: string };
}

/** Fresh assignment-callback parameters for `accountSid`. */
export function assignment(accountSid: string): Assignment {
  const sids = { workspace: sid('WS'), task: sid('WT'), worker: sid('WK'), reservation: sid('WR') };
  return {
    sids,
    params: {
      AccountSid: accountSid,
      WorkspaceSid: sids.workspace,
      WorkflowSid: sid('WW'),
      TaskQueueSid: sid('WQ'),
      WorkerSid: sids.worker,
      WorkerName: 'Alice',
      WorkerAttributes: '{"contact_uri":"client:alice","skills":["support"]}',
      TaskSid: sids.task,
      TaskAttributes: '{"type":"voice","from":"+15550100"}',
      TaskAge: '2',
      TaskPriority: '0',
      ReservationSid: sids.reservation,
      Timestamp: String(Math.floor(Date.now() / 1000)),
    },
  };
}

/** The signed callback event TaskRouter would send for it. */
export function callbackEvent(a: Assignment, publicBaseUrl: string, authToken: string): APIGatewayProxyEventV2 {
  const signature = twilioSignature(authToken, `${publicBaseUrl}/assignment-callback`, Object.entries(a.params));
  return apiEvent('POST', '/assignment-callback', { form: a.params, headers: { 'x-twilio-signature': signature } });
}

export function basicAuthHeader(username: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
}
