/** API Gateway HTTP API (v2) events for in-process invocations, as the local server builds them. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { randomSid as sid } from '#lib/domain/sid.ts';
import { toApiGatewayEvent } from '#lib/local/server.ts';
import { twilioSignature } from '#lib/signature.ts';
import type { OperationSids } from './store-calls.ts';

/** The event a standalone local server would build for this request (lib/local/server.ts). */
export function apiEvent(
  method: 'GET' | 'POST',
  target: string,
  init: { form?: Record<string, string>; headers?: Record<string, string> } = {},
): APIGatewayProxyEventV2 {
  const body = Buffer.from(init.form ? new URLSearchParams(init.form).toString() : '');
  const headers = { host: '127.0.0.1', ...(init.form && { 'content-type': 'application/x-www-form-urlencoded' }), ...init.headers };
  return toApiGatewayEvent({ method, target, headers, body }, false).event;
}

export interface Assignment {
  readonly params: Record<string, string>;
  readonly sids: OperationSids;
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
