/** Error cases with raw requests: every one answers Twilio's error JSON and changes nothing. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '#lib/local/server.ts';
import { ACCOUNT_SID, AUTH_TOKEN, assign, basicAuth, callback, postCallback, sid, startStack } from '../support/fixtures.ts';
import { SCHEMAS, assertSchema } from '../support/openapi.ts';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

async function call(method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}) {
  const withBody = init.body !== undefined && method !== 'GET';
  const response = await fetch(`${stack.url}${path}`, { method, headers: { ...basicAuth(), ...init.headers }, ...(withBody && { body: init.body }) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: JSON.parse(text) as Record<string, unknown> };
}

function expectTwilioError(result: Awaited<ReturnType<typeof call>>, status: number, code: number) {
  expect(result.status).toBe(status);
  expect(Object.keys(result.body).sort()).toEqual(['code', 'message', 'more_info', 'status']);
  expect(result.body).toMatchObject({ code, status, more_info: `https://www.twilio.com/docs/errors/${code}` });
  expect(result.text).not.toMatch(/at .*\.ts:\d+/);
}

const form = { 'Content-Type': 'application/x-www-form-urlencoded' };

describe('authentication', () => {
  it('answers 401/20003 with WWW-Authenticate without credentials, with a wrong token or an unknown account', async () => {
    const path = `/v1/Workspaces/${sid('WS')}/Tasks/${sid('WT')}/Reservations`;
    for (const headers of [{ Authorization: '' }, basicAuth(ACCOUNT_SID, 'wrong'), basicAuth(sid('AC'), AUTH_TOKEN), { Authorization: 'Bearer x' }]) {
      const result = await call('GET', path, { headers });
      expectTwilioError(result, 401, 20003);
      expect(result.headers.get('www-authenticate')).toMatch(/^Basic/);
    }
    // An unknown account and a wrong token get the very same answer: nothing tells which accounts are served.
    const unknown = await call('GET', path, { headers: basicAuth(sid('AC'), AUTH_TOKEN) });
    const wrong = await call('GET', path, { headers: basicAuth(ACCOUNT_SID, 'wrong') });
    expect(unknown.body).toEqual(wrong.body);
    expect(wrong.body['message']).toBe('Authenticate');
  });

  it('leaves /health open', async () => {
    expect((await fetch(`${stack.url}/health`)).status).toBe(200);
  });
});

describe('not found', () => {
  const malformed = (prefix: string) => [
    `${prefix}123`,
    `XX${'a'.repeat(32)}`,
    `${prefix.toLowerCase()}${'a'.repeat(32)}`,
    `${prefix}${'g'.repeat(32)}`,
    `${prefix}${'a'.repeat(33)}`,
  ];

  it('answers 404/20404 for a malformed SID in any position of any path', async () => {
    const a = await assign(stack);
    const good: Record<string, string> = { WS: a.workspaceSid, WT: a.taskSid, WK: a.workerSid, WR: a.reservationSid };
    const templates = [
      ['GET', 'WS/Tasks/WT/Reservations'],
      ['GET', 'WS/Tasks/WT/Reservations/WR'],
      ['POST', 'WS/Tasks/WT/Reservations/WR'],
      ['GET', 'WS/Workers/WK/Reservations'],
      ['GET', 'WS/Workers/WK/Reservations/WR'],
      ['POST', 'WS/Workers/WK/Reservations/WR'],
      ['GET', 'WS/Tasks/WT'],
      ['GET', 'WS/Workers/WK'],
    ] as const;
    for (const [method, template] of templates) {
      for (const position of template.split('/').filter((p) => p in good)) {
        for (const bad of malformed(position)) {
          const path = `/v1/Workspaces/${template
            .split('/')
            .map((p) => (p === position ? bad : (good[p] ?? p)))
            .join('/')}`;
          const result = await call(method, path, { headers: form, body: 'ReservationStatus=accepted' });
          expectTwilioError(result, 404, 20404);
          expect(result.body['message']).toBe(`The requested resource ${path.slice(3)} was not found`);
        }
      }
    }
    expect((await call('GET', `/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}/Reservations/${a.reservationSid}`)).status).toBe(200);
  });

  it('answers 404 for well-formed SIDs it does not hold, other workspaces and unknown routes', async () => {
    const a = await assign(stack);
    expectTwilioError(await call('GET', `/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}/Reservations/${sid('WR')}`), 404, 20404);
    expectTwilioError(await call('GET', `/v1/Workspaces/${sid('WS')}/Tasks/${a.taskSid}/Reservations/${a.reservationSid}`), 404, 20404);
    expectTwilioError(await call('GET', `/v1/Workspaces/${a.workspaceSid}/Workers/${sid('WK')}/Reservations/${a.reservationSid}`), 404, 20404);
    expectTwilioError(await call('GET', `/v1/Workspaces/${a.workspaceSid}/Workers/${sid('WK')}/Reservations`), 404, 20404);
    expectTwilioError(await call('GET', `/v1/Workspaces/${a.workspaceSid}/Tasks/${sid('WT')}`), 404, 20404);
    expectTwilioError(await call('GET', '/v2/anything'), 404, 20404);
    // Standalone, connected mode's route is not there (nor its function deployed): not found, not a 405.
    for (const method of ['POST', 'GET']) {
      const result = await call(method, '/event-callback', { headers: form, body: 'EventType=task.created' });
      expectTwilioError(result, 404, 20404);
      expect(result.body['message'], method).toBe('The requested resource /event-callback was not found');
      expect(result.headers.get('allow'), method).toBeNull();
    }
  });

  it('answers 405/20004 with Allow for a method a resource does not take, as Twilio does, and changes nothing', async () => {
    const a = await assign(stack);
    const reservation = `/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}/Reservations/${a.reservationSid}`;
    for (const [method, path, allow] of [
      ['DELETE', reservation, 'GET, POST'],
      ['PUT', reservation, 'GET, POST'],
      ['POST', `/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}/Reservations`, 'GET'],
      ['GET', '/assignment-callback', 'POST'],
      ['DELETE', `/v1/Workspaces/${a.workspaceSid}/Workers/${a.workerSid}`, 'GET, POST'],
      // A literal route wins over a parameter, as API Gateway routes: Workers/Statistics is no worker.
      ['DELETE', `/v1/Workspaces/${a.workspaceSid}/Workers/Statistics`, 'GET'],
    ] as const) {
      const result = await call(method, path);
      expectTwilioError(result, 405, 20004);
      expect(result.headers.get('allow'), `${method} ${path}`).toBe(allow);
    }
    expect((await call('GET', reservation)).headers.get('etag')).toBe('"1"');
  });
});

describe('invalid parameters', () => {
  it.each([
    ['PageSize=0', 'PageSize'],
    ['PageSize=1001', 'PageSize'],
    ['PageSize=ten', 'PageSize'],
    ['PageSize=1&PageSize=2', 'PageSize'],
    ['ReservationStatus=bogus', 'ReservationStatus'],
    ['WorkerSid=WK123', 'WorkerSid'],
    ['PageToken=garbage', 'PageToken'],
    ['Page=-1', 'Page'],
  ])('list with %s is a 400/20001 naming %s', async (query, parameter) => {
    const a = await assign(stack);
    const result = await call('GET', `/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}/Reservations?${query}`);
    expectTwilioError(result, 400, 20001);
    expect(result.body['message']).toContain(parameter);
  });

  it.each([
    ['ReservationStatus=bogus', 'ReservationStatus'],
    ['ReservationStatus=timeout', 'ReservationStatus'],
    ['ReservationStatus=rescinded', 'ReservationStatus'],
    ['', 'ReservationStatus'],
    ['Unknown=1', 'ReservationStatus'],
    ['ReservationStatus=rejected&WorkerActivitySid=WA1', 'WorkerActivitySid'],
    ['ReservationStatus=accepted&ReservationStatus=rejected', 'ReservationStatus'],
  ])('update with "%s" is a 400/20001 naming %s and changes nothing', async (body, parameter) => {
    const a = await assign(stack);
    const path = `/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}/Reservations/${a.reservationSid}`;
    const result = await call('POST', path, { headers: form, body });
    expectTwilioError(result, 400, 20001);
    expect(result.body['message']).toContain(parameter);
    const after = await call('GET', path);
    expect(after.body['reservation_status']).toBe('pending');
    expect(after.headers.get('etag')).toBe('"1"');
  });

  it('refuses broken JSON, unsupported content types and bodies over 64 KiB', async () => {
    const a = await assign(stack);
    const path = `/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}/Reservations/${a.reservationSid}`;
    expectTwilioError(await call('POST', path, { headers: { 'Content-Type': 'application/json' }, body: '{"ReservationStatus":' }), 400, 20001);
    expectTwilioError(await call('POST', path, { headers: { 'Content-Type': 'application/json' }, body: '["accepted"]' }), 400, 20001);
    expectTwilioError(await call('POST', path, { headers: { 'Content-Type': 'text/plain' }, body: 'ReservationStatus=accepted' }), 415, 20415);
    const big = `ReservationStatus=accepted&Padding=${'x'.repeat(64 * 1024)}`;
    expectTwilioError(await call('POST', path, { headers: form, body: big }), 413, 20413);
    expect((await call('GET', path)).body['reservation_status']).toBe('pending');
  });

  it('refuses a query or body of more than 1,000 parameters with a 400, before authentication, on every route', async () => {
    const a = await assign(stack);
    const path = `/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}/Reservations/${a.reservationSid}`;
    // Many repeats of one name, within 64 KiB: once a cost that grew with their square, paid by anyone who could reach the URL.
    const repeats = 'a&'.repeat(32_000);
    const noAuth = { 'Content-Type': 'application/x-www-form-urlencoded' };
    for (const [method, where, init] of [
      ['POST', path, { headers: noAuth, body: repeats }],
      ['POST', '/assignment-callback', { headers: noAuth, body: repeats }],
      ['POST', path, { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ a: Array(1001).fill(1) }) }],
      ['GET', `${path}?${'a=1&'.repeat(1001)}`, {}],
    ] as const) {
      const response = await fetch(`${stack.url}${where}`, { method, ...init });
      expect(response.status, `${method} ${where.slice(0, 40)}`).toBe(400);
      expect(((await response.json()) as { message: string }).message).toMatch(/(body|query): must hold at most 1000 parameters/);
    }
    expect((await call('GET', path)).body['reservation_status']).toBe('pending');
    // A thousand are still read: unknown names are ignored, as TaskRouter ignores them.
    const accepted = await call('POST', path, { headers: form, body: `ReservationStatus=accepted&${'a=1&'.repeat(999)}`.slice(0, -1) });
    expect(accepted.status).toBe(200);
    expect(accepted.body['reservation_status']).toBe('accepted');
  });
});

describe('webhook security', () => {
  async function expectNothingStored(fixture: ReturnType<typeof callback>) {
    expectTwilioError(await call('GET', `/v1/Workspaces/${fixture.workspaceSid}/Tasks/${fixture.taskSid}`), 404, 20404);
  }

  it('refuses forged, tampered and unknown-account callbacks with 403 and stores nothing', async () => {
    const cases: [string, ReturnType<typeof callback>, Parameters<typeof postCallback>[2]][] = [];
    const forged = callback();
    cases.push(['no valid signature', forged, { signature: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' }]);
    const wrongToken = callback();
    cases.push(['signed with another token', wrongToken, { token: 'not-the-token' }]);
    const tampered = callback();
    cases.push(['a tampered parameter', tampered, { signedParams: { ...tampered.params, TaskSid: sid('WT') } }]);
    const otherUrl = callback();
    cases.push([
      'signed for another URL',
      otherUrl,
      { signature: (await import('twilio')).default.getExpectedTwilioSignature(AUTH_TOKEN, `${stack.url}/other`, otherUrl.params) },
    ]);
    for (const [, fixture, options] of cases) {
      const response = await postCallback(stack, fixture.params, options);
      expect(response.status).toBe(403);
      await expectNothingStored(fixture);
    }
    const unsigned = callback();
    const response = await fetch(`${stack.url}/assignment-callback`, { method: 'POST', headers: form, body: new URLSearchParams(unsigned.params) });
    expect(response.status).toBe(403);
    await expectNothingStored(unsigned);

    const otherAccount = callback({ AccountSid: sid('AC') });
    expect((await postCallback(stack, otherAccount.params)).status).toBe(403);
    await expectNothingStored(otherAccount);
  });

  it('answers a signed callback with invalid parameters 400 naming them, and stores nothing', async () => {
    for (const [overrides, parameter] of [
      [{ TaskSid: 'WTbad' }, 'TaskSid'],
      [{ ReservationSid: undefined }, 'ReservationSid'],
      [{ TaskAttributes: '{not json' }, 'TaskAttributes'],
      [{ WorkerAttributes: '[1]' }, 'WorkerAttributes'],
      [{ TaskPriority: 'high' }, 'TaskPriority'],
    ] as const) {
      const fixture = callback(overrides);
      const response = await postCallback(stack, fixture.params);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { message: string }).message).toContain(parameter);
      if (parameter !== 'TaskSid') await expectNothingStored(fixture);
    }
    const badTimeout = callback();
    expect((await postCallback(stack, badTimeout.params, { query: 'ReservationTimeout=86401' })).status).toBe(400);
    await expectNothingStored(badTimeout);
  });
});

describe('the OpenAPI check itself', () => {
  it('rejects a reservation that breaks Twilio’s schema', () => {
    expect(() => assertSchema(SCHEMAS.taskReservation, { sid: 'WR1', reservation_status: 'pending' })).toThrow(/pattern/);
    expect(() => assertSchema(SCHEMAS.taskReservation, { reservation_status: 'transferring' })).toThrow(/allowed values/);
    expect(() => assertSchema(SCHEMAS.taskReservation, { date_created: '2014-05-14 10:50' })).toThrow(/date-time/);
  });
});

describe('changes asked from another site', () => {
  it('are refused (403) before the credentials are looked at, and change nothing; the same change from a server, this site or the console is taken', async () => {
    const a = await assign(stack);
    const path = `/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}/Reservations/${a.reservationSid}`;
    // A form another site's page submits, with the Basic credentials a browser cached for this API.
    for (const origin of ['https://evil.example', 'null']) {
      const refused = await call('POST', path, { headers: { ...form, Origin: origin }, body: 'ReservationStatus=rejected' });
      expectTwilioError(refused, 403, 20403);
      expect(refused.body['message']).toBe(
        `A change asked from another site (Origin: ${origin}) is not taken: call this API from a server, or from its console`,
      );
    }
    // Reads are not changes: another site cannot read their answers anyway.
    expect((await call('GET', path, { headers: { Origin: 'https://evil.example' } })).body['reservation_status']).toBe('pending');
    // From this service's own pages (its origin), or with no Origin at all (curl, an SDK).
    expect((await call('POST', path, { headers: { ...form, Origin: new URL(stack.url).origin }, body: 'ReservationStatus=accepted' })).status).toBe(200);
    const other = await assign(stack);
    const otherPath = `/v1/Workspaces/${other.workspaceSid}/Tasks/${other.taskSid}/Reservations/${other.reservationSid}`;
    expect((await call('POST', otherPath, { headers: form, body: 'ReservationStatus=accepted' })).status).toBe(200);
  });
});
