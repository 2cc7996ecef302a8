/**
 * Property-based fuzzing of every route, over HTTP against the local stack. Each generated request
 * is a valid one with at least one defect (a malformed SID, bad credentials, a bad parameter value,
 * a broken or oversized body, a wrong content type, a stale If-Match, a bad signature) or plain
 * junk. Every answer must be Twilio's error JSON with the status the defect calls for, never a 5xx,
 * and nothing may change: the seeded reservations keep their ETag and no fuzzed callback leaves a
 * record. Task and Worker updates and the lifecycle resources are fuzzed the same way (an unknown
 * AssignmentStatus, a reason over 1,024 characters, attributes that are no JSON object,
 * RejectPendingReservations with an available activity, another account's task or worker).
 * FUZZ_RUNS (default 10,000) sets the number of requests.
 */
import fc from 'fast-check';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import twilio from 'twilio';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PARAMETERS, type ParameterSpec } from '#lib/domain/parameters.ts';
import type { LocalStack } from '#lib/local/server.ts';
import { ENGINES } from '../support/engines.ts';
import { ACCOUNT_SID, AUTH_TOKEN, assign, basicAuth, callback, sid, startStack, type CallbackFixture } from '../support/fixtures.ts';
import { recordFigure } from '../support/figures.ts';
import { invalid } from '../support/parameter-samples.ts';

const FUZZ_REQUESTS = Number(process.env['FUZZ_RUNS'] ?? 10_000);
/** Requests in flight at once: one generated batch. */
const BATCH = 10;

interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  /** Statuses the defect may lead to. */
  readonly expect: readonly number[];
  /** A callback's TaskSid: it must not be recorded. */
  readonly taskSid?: string;
  /** A request of the second account: a success is allowed, and must show that account's data only. */
  readonly asSecondAccount?: true;
}

/** The second account served by the stack: it knows account A's SIDs and uses them everywhere. */
const B = `AC${'b0'.repeat(16)}`;
const B_TOKEN = 'account-b-token-91d2';

let stack: LocalStack;
let seeded: CallbackFixture[];
let fuzzedTasks: Set<string>;
let sent: number;
let crossAccountRequests: number;
/** A page token of A's own lists (a second page of a worker's list), for B to replay. */
const pageTokens: { task?: string; worker?: string } = {};

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

/** The activity the stack's policy calls available: RejectPendingReservations with it is refused. */
const AVAILABLE = `WA${'a1'.repeat(16)}`;

/** Task update bodies TaskRouter refuses (the seeded tasks are reserved: completing one is refused too). */
const BAD_TASK_UPDATES = [
  'AssignmentStatus=finished',
  'AssignmentStatus=Completed&Reason=x',
  `AssignmentStatus=canceled&Reason=${'r'.repeat(1025)}`,
  'AssignmentStatus=canceled',
  'AssignmentStatus=completed&Reason=done',
  'AssignmentStatus=wrapping',
  'Reason=no+status',
  'Attributes=%5B1%2C2%5D',
  'Attributes=%7Bbroken',
  'Attributes=%22text%22',
  `Attributes=${encodeURIComponent(JSON.stringify({ x: 'y'.repeat(16_400) }))}`,
  'Priority=-1',
  'Priority=high',
  'Priority=99999999999',
  'AssignmentStatus=completed&Priority=3',
  'TaskChannel=voice',
  'VirtualStartTime=2026-01-01T00%3A00%3A00Z',
];

/** Worker update bodies TaskRouter refuses. */
const BAD_WORKER_UPDATES = [
  'ActivitySid=WA123',
  `ActivitySid=${AVAILABLE}&RejectPendingReservations=true`,
  'RejectPendingReservations=true',
  `ActivitySid=WA${'b2'.repeat(16)}&RejectPendingReservations=maybe`,
  'Attributes=%5B%5D',
  'Attributes=%7Bbroken',
  `Attributes=${encodeURIComponent(JSON.stringify({ x: 'y'.repeat(4100) }))}`,
  'FriendlyName=',
  `FriendlyName=${'n'.repeat(65)}`,
];

const malformedSid = (prefix: string) =>
  fc.oneof(
    fc.constant(`${prefix}123`),
    fc.constant(`${prefix.toLowerCase()}${'a'.repeat(32)}`),
    fc.constant(`XX${'a'.repeat(32)}`),
    fc.constant(`${prefix}${'a'.repeat(33)}`),
    fc.constant(`${prefix}${'z'.repeat(32)}`),
    fc.constant('%E0%A4%A'),
    fc.constant('..'),
    fc.string({ minLength: 1, maxLength: 40 }).map((s) => encodeURIComponent(s)),
  );

type Scope = { kind: 'task' | 'worker' };
const resourcePaths = (f: CallbackFixture, scope: Scope) =>
  scope.kind === 'task'
    ? {
        collection: `/v1/Workspaces/${f.workspaceSid}/Tasks/${f.taskSid}/Reservations`,
        item: `/v1/Workspaces/${f.workspaceSid}/Tasks/${f.taskSid}/Reservations/${f.reservationSid}`,
      }
    : {
        collection: `/v1/Workspaces/${f.workspaceSid}/Workers/${f.workerSid}/Reservations`,
        item: `/v1/Workspaces/${f.workspaceSid}/Workers/${f.workerSid}/Reservations/${f.reservationSid}`,
      };

/** The request generators; they draw on the seeded reservations, so they are made after seeding. */
function fuzzRequests() {
  const fixture = () => fc.constantFrom(...seeded);
  const scope = fc.constantFrom<Scope>({ kind: 'task' }, { kind: 'worker' });

  /** A malformed SID in one position of one route: 404. */
  const badPath = fc.tuple(fixture(), fc.constantFrom('WS', 'WT', 'WK', 'WR'), fc.constantFrom('GET', 'POST')).chain(([f, position, method]) =>
    malformedSid(position).map((bad): FuzzRequest => {
      const sids: Record<string, string> = { WS: f.workspaceSid, WT: f.taskSid, WK: f.workerSid, WR: f.reservationSid };
      sids[position] = bad;
      const worker = position === 'WK';
      const path = `/v1/Workspaces/${sids['WS']}/${worker ? `Workers/${sids['WK']}` : `Tasks/${sids['WT']}`}/Reservations/${sids['WR']}`;
      return { method, path, headers: { ...basicAuth(), ...FORM }, ...(method === 'POST' && { body: 'ReservationStatus=accepted' }), expect: [404] };
    }),
  );

  /** Missing, malformed or wrong credentials on any route: 401. */
  const badAuth = fc.tuple(fixture(), scope, fc.constantFrom('GET item', 'GET list', 'POST item', 'GET task')).chain(([f, s, route]) =>
    fc
      .oneof(
        fc.constant<Record<string, string>>({}),
        fc.constant(basicAuth(ACCOUNT_SID, 'not-the-token')),
        fc.constant(basicAuth(sid('AC'), AUTH_TOKEN)),
        fc.constant(basicAuth(sid('SK'), 'secret')),
        fc.string({ maxLength: 30 }).map((s) => ({ Authorization: `Basic ${s}` })),
        fc.string({ maxLength: 30 }).map((s) => ({ Authorization: s.replace(/[^\x20-\x7e]/g, '') })),
      )
      .map((auth): FuzzRequest => {
        const paths = resourcePaths(f, s);
        const path = route === 'GET list' ? paths.collection : route === 'GET task' ? `/v1/Workspaces/${f.workspaceSid}/Tasks/${f.taskSid}` : paths.item;
        return {
          method: route.split(' ')[0]!,
          path,
          headers: { ...auth, ...FORM },
          ...(route === 'POST item' && { body: 'ReservationStatus=accepted' }),
          expect: [401],
        };
      }),
  );

  const listSpecs: ParameterSpec[] = [
    { name: 'PageSize', type: { kind: 'integer', min: 1, max: 1000 }, pii: false },
    { name: 'Page', type: { kind: 'integer', min: 0, max: 1_000_000 }, pii: false },
    { name: 'ReservationStatus', type: { kind: 'enum', values: ['pending'] }, pii: false },
    { name: 'WorkerSid', type: { kind: 'sid', prefix: 'WK' }, pii: false },
  ];

  /** An invalid list filter or paging parameter: 400. */
  const badListQuery = fc.tuple(fixture(), fc.constantFrom(...listSpecs)).chain(([f, spec]) =>
    fc.constantFrom(...invalid(spec.type)).map((raw): FuzzRequest => {
      const query = new URLSearchParams(raw.map((v): [string, string] => [spec.name, v])).toString();
      return { method: 'GET', path: `${resourcePaths(f, { kind: 'task' }).collection}?${query}`, headers: basicAuth(), expect: [400] };
    }),
  );

  /** Any update parameter with a value its type refuses, beside valid ones, form or JSON: 400. */
  const badUpdateParameter = fc.tuple(fixture(), scope, fc.constantFrom(...PARAMETERS), fc.boolean()).chain(([f, s, spec, json]) =>
    fc.constantFrom(...invalid(spec.type)).map((raw): FuzzRequest => {
      const params: [string, string][] = [['ReservationStatus', 'accepted'], ...raw.map((v): [string, string] => [spec.name, v])];
      const ignored = s.kind === 'worker' && spec.taskScopeOnly;
      const body = json
        ? JSON.stringify(
            Object.fromEntries(
              spec.name === 'ReservationStatus'
                ? [[spec.name, raw.length === 1 ? raw[0] : raw]]
                : [...params.slice(0, 1), [spec.name, raw.length === 1 ? raw[0] : raw]],
            ),
          )
        : new URLSearchParams(spec.name === 'ReservationStatus' ? params.slice(1) : params).toString();
      // A worker-scoped update ignores the task-only supervise parameters: it then needs If-Match to stay harmless.
      return {
        method: 'POST',
        path: resourcePaths(f, s).item,
        headers: { ...basicAuth(), 'Content-Type': json ? 'application/json' : FORM['Content-Type'], ...(ignored && { 'If-Match': '"0"' }) },
        body,
        expect: ignored ? [412] : [400],
      };
    }),
  );

  /** Broken, misdeclared or oversized bodies: 400, 415, 413. */
  const badBody = fc.tuple(fixture(), scope).chain(([f, s]) =>
    fc
      .oneof(
        fc
          .string({ maxLength: 40 })
          .filter((t) => {
            try {
              const v: unknown = JSON.parse(t);
              return typeof v !== 'object' || v === null || Array.isArray(v);
            } catch {
              return true;
            }
          })
          .filter((t) => t.trim() !== '')
          .map((text): [Record<string, string>, string, number[]] => [{ 'Content-Type': 'application/json' }, text, [400]]),
        fc.constant<[Record<string, string>, string, number[]]>([{ 'Content-Type': 'application/json' }, '{"ReservationStatus":{"nested":true}}', [400]]),
        fc
          .constantFrom('text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/octet-stream')
          .map((type): [Record<string, string>, string, number[]] => [{ 'Content-Type': type }, 'ReservationStatus=accepted', [415]]),
        fc
          .integer({ min: 64 * 1024 + 1, max: 200 * 1024 })
          .map((size): [Record<string, string>, string, number[]] => [FORM, `ReservationStatus=accepted&x=${'y'.repeat(size)}`, [413]]),
      )
      .map(
        ([headers, body, expect]): FuzzRequest => ({ method: 'POST', path: resourcePaths(f, s).item, headers: { ...basicAuth(), ...headers }, body, expect }),
      ),
  );

  /** A valid accept with a stale or malformed If-Match: 412. */
  const badIfMatch = fc
    .tuple(
      fixture(),
      scope,
      fc.oneof(
        fc.constant('"2"'),
        fc.constant('W/"7"'),
        fc
          .string({ maxLength: 12 })
          .filter((t) => !/(^|,)\s*(W\/)?"?(1|\*)"?\s*(,|$)/.test(t))
          .map((t) => t.replace(/[^\x20-\x7e]/g, '') || '"x"'),
      ),
    )
    .map(
      ([f, s, tag]): FuzzRequest => ({
        method: 'POST',
        path: resourcePaths(f, s).item,
        headers: { ...basicAuth(), ...FORM, 'If-Match': tag },
        body: 'ReservationStatus=accepted',
        expect: [412],
      }),
    );

  /** Assignment callbacks that are unsigned, forged, tampered, for another account, or invalid: 403 or 400. */
  const badCallback = fc.constantFrom('forged', 'tampered', 'other account', 'other token', 'invalid').chain((defect) =>
    fc.constantFrom('TaskSid', 'ReservationSid', 'WorkerAttributes', 'TaskAge').map((field): FuzzRequest => {
      const c = callback(defect === 'other account' ? { AccountSid: sid('AC') } : {});
      const url = `${stack.url}/assignment-callback`;
      let params = c.params;
      let signed = c.params;
      if (defect === 'tampered') params = { ...c.params, [field]: field === 'TaskAge' ? '999' : `${c.params[field]}x` };
      if (defect === 'invalid') params = signed = { ...c.params, [field]: field === 'TaskAge' ? '-1' : 'not valid' };
      const signature =
        defect === 'forged' ? 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' : twilio.getExpectedTwilioSignature(defect === 'other token' ? 'other' : AUTH_TOKEN, url, signed);
      return {
        method: 'POST',
        path: '/assignment-callback',
        headers: { ...FORM, 'X-Twilio-Signature': signature },
        body: new URLSearchParams(params).toString(),
        expect: defect === 'invalid' ? [400] : [403],
        taskSid: c.taskSid,
      };
    }),
  );

  /** Junk: any method, path, headers and body. */
  const junk = fc
    .record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
      segments: fc.array(
        fc.oneof(
          fc.constantFrom('v1', 'Workspaces', 'Tasks', 'Workers', 'Reservations', 'assignment-callback'),
          fc.string({ maxLength: 12 }).map(encodeURIComponent),
        ),
        { maxLength: 8 },
      ),
      auth: fc.boolean(),
      type: fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', ''),
      body: fc.string({ maxLength: 200 }),
    })
    .map(
      ({ method, segments, auth, type, body }): FuzzRequest => ({
        method,
        path: `/${segments.join('/')}`,
        headers: { ...(auth && basicAuth()), ...(type && { 'Content-Type': type }) },
        ...(method !== 'GET' && { body }),
        // 405: a method a route does not take (PUT /assignment-callback).
        expect: [400, 401, 403, 404, 405, 413, 415],
      }),
    );

  /**
   * The second account replays, forges and interleaves A's SIDs: its own signed callbacks naming
   * A's workspace, task, reservation and worker in any mix; callbacks claiming A's account under
   * B's token; B's credentials on every REST route of A's resources, with A's page tokens.
   */
  const sidFrom = (f: CallbackFixture, name: 'workspaceSid' | 'taskSid' | 'reservationSid' | 'workerSid', prefix: string) =>
    fc.constantFrom(f[name], sid(prefix));
  const crossCallback = fixture().chain((f) =>
    fc
      .tuple(sidFrom(f, 'workspaceSid', 'WS'), sidFrom(f, 'taskSid', 'WT'), sidFrom(f, 'reservationSid', 'WR'), sidFrom(f, 'workerSid', 'WK'), fc.boolean())
      .map(([WorkspaceSid, TaskSid, ReservationSid, WorkerSid, forged]): FuzzRequest => {
        const c = callback({
          AccountSid: forged ? ACCOUNT_SID : B,
          WorkspaceSid,
          TaskSid,
          ReservationSid,
          WorkerSid,
          WorkerAttributes: JSON.stringify({ contact_uri: 'client:bob' }),
        });
        const signature = twilio.getExpectedTwilioSignature(B_TOKEN, `${stack.url}/assignment-callback`, c.params);
        return {
          method: 'POST',
          path: '/assignment-callback',
          headers: { ...FORM, 'X-Twilio-Signature': signature },
          body: new URLSearchParams(c.params).toString(),
          expect: forged ? [403] : [200],
          asSecondAccount: true,
        };
      }),
  );
  const crossRest = fc
    .tuple(
      fixture(),
      scope,
      fc.constantFrom('GET item', 'POST item', 'GET list', 'GET list page', 'GET task', 'GET worker', 'GET task list', 'GET worker list'),
      fc.constantFrom('accepted', 'rejected', 'wrapping', 'completed'),
    )
    .map(([f, s, route, status]): FuzzRequest => {
      const paths = resourcePaths(f, s);
      const path =
        route === 'GET list'
          ? paths.collection
          : route === 'GET list page'
            ? `${paths.collection}?PageSize=1&Page=1&PageToken=${encodeURIComponent(pageTokens[s.kind]!)}`
            : route === 'GET task'
              ? `/v1/Workspaces/${f.workspaceSid}/Tasks/${f.taskSid}`
              : route === 'GET worker'
                ? `/v1/Workspaces/${f.workspaceSid}/Workers/${f.workerSid}`
                : route === 'GET task list'
                  ? `/v1/Workspaces/${f.workspaceSid}/Tasks`
                  : route === 'GET worker list'
                    ? `/v1/Workspaces/${f.workspaceSid}/Workers`
                    : paths.item;
      const post = route === 'POST item';
      return {
        method: post ? 'POST' : 'GET',
        path,
        headers: { ...basicAuth(B, B_TOKEN), ...FORM },
        ...(post && { body: `ReservationStatus=${status}` }),
        expect: [200, 400, 404],
        asSecondAccount: true,
      };
    });

  /** A Task or Worker update TaskRouter refuses or a bad lifecycle request (400), or one of another account (its own data only). */
  const badLifecycle = fc
    .tuple(
      fixture(),
      fc.constantFrom('task', 'worker', 'wrap-up', 'attention', 'task as B', 'worker as B', 'wrap-up as B'),
      fc.constantFrom(...BAD_TASK_UPDATES),
      fc.constantFrom(...BAD_WORKER_UPDATES),
    )
    .map(([f, route, taskBody, workerBody]): FuzzRequest => {
      const lifecycle = `/lifecycle/v1/Workspaces/${f.workspaceSid}`;
      const wrapUp = `${lifecycle}/Tasks/${f.taskSid}/Reservations/${f.reservationSid}/WrapUp`;
      const asB = route.endsWith('as B');
      const auth = asB ? basicAuth(B, B_TOKEN) : basicAuth();
      const [path, body] = route.startsWith('task')
        ? [`/v1/Workspaces/${f.workspaceSid}/Tasks/${f.taskSid}`, asB ? 'AssignmentStatus=canceled&Reason=b' : taskBody]
        : route.startsWith('worker')
          ? [`/v1/Workspaces/${f.workspaceSid}/Workers/${f.workerSid}`, asB ? `ActivitySid=WA${'b2'.repeat(16)}` : workerBody]
          : route.startsWith('wrap-up')
            ? [wrapUp, asB ? 'ExtendSeconds=30' : 'ExtendSeconds=forever']
            : [`${lifecycle}/Attention/${f.reservationSid}`, 'Dismissed=no'];
      // Account B may hold a task or worker of the same SIDs (its own callbacks): then it changes its own, never A's.
      if (asB) return { method: 'POST', path, headers: { ...auth, ...FORM }, body, expect: [200, 400, 404], asSecondAccount: true };
      return { method: 'POST', path, headers: { ...auth, ...FORM }, body, expect: [400] };
    });

  /**
   * The Statistics resources with a bad window or split (`Minutes` with a date, dates out of order
   * or beyond what is kept, malformed values): 400; a malformed SID in their path: 404; another
   * account's credentials: that account's own statistics (200) or 404.
   */
  const statisticsPaths = (f: CallbackFixture) => [
    `/v1/Workspaces/${f.workspaceSid}/Statistics`,
    `/v1/Workspaces/${f.workspaceSid}/CumulativeStatistics`,
    `/v1/Workspaces/${f.workspaceSid}/TaskQueues/${f.params['TaskQueueSid']}/CumulativeStatistics`,
    `/v1/Workspaces/${f.workspaceSid}/TaskQueues/Statistics`,
    `/v1/Workspaces/${f.workspaceSid}/Workflows/${f.params['WorkflowSid']}/Statistics`,
    `/v1/Workspaces/${f.workspaceSid}/Workers/Statistics`,
    `/v1/Workspaces/${f.workspaceSid}/Workers/CumulativeStatistics`,
    `/v1/Workspaces/${f.workspaceSid}/Workers/${f.workerSid}/Statistics`,
  ];
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const badStatisticsQuery = fc
    .tuple(
      fixture(),
      fc.nat({ max: 7 }),
      fc.oneof(
        fc.integer({ min: 1, max: 600 }).map((m) => `Minutes=${m}&StartDate=${iso(Date.now() - 3_600_000)}`),
        fc.integer({ min: 1, max: 600 }).map((m) => `Minutes=${m}&EndDate=${iso(Date.now())}`),
        fc.integer({ min: 1, max: 86_400 }).map((s) => `StartDate=${iso(Date.now() - 60_000)}&EndDate=${iso(Date.now() - 60_000 - s * 1000)}`),
        fc.integer({ min: 31, max: 5000 }).map((d) => `StartDate=${iso(Date.now() - d * 86_400_000)}`),
        fc.integer({ min: 30 * 1440 + 1, max: 100_000_000 }).map((m) => `Minutes=${m}`),
        fc.constantFrom('Minutes=0', 'Minutes=-5', 'Minutes=1.5', 'Minutes=x', 'StartDate=yesterday', 'EndDate=2026-13-45T00:00:00Z', 'StartDate='),
        fc.constantFrom('SplitByWaitTime=x', 'SplitByWaitTime=5,,10', 'SplitByWaitTime=0', 'SplitByWaitTime=-3', 'SplitByWaitTime=1,2,3,4,5,6,7,8,9,10,11'),
        fc.string({ minLength: 1, maxLength: 12 }).map((t) => `SplitByWaitTime=${encodeURIComponent(`${t}x`)}`),
        fc.constantFrom('TaskChannel=%20', 'TaskChannel=a%2Fb', `TaskChannel=${'c'.repeat(80)}`),
      ),
    )
    .map(([f, i, query]): FuzzRequest => {
      // SplitByWaitTime is a parameter of the workspace's, queues' and workflows' statistics only (the first five paths).
      const paths = statisticsPaths(f).slice(0, query.startsWith('SplitByWaitTime') ? 5 : undefined);
      return { method: 'GET', path: `${paths[i % paths.length]!}?${query}`, headers: basicAuth(), expect: [400] };
    });
  const badStatisticsPath = fc.tuple(fixture(), fc.constantFrom('WS', 'WQ', 'WW', 'WK')).chain(([f, position]) =>
    // `.` and `..` are resolved by the client before sending (`Workflows/../X` is the workspace's X): not a SID at all.
    malformedSid(position)
      .filter((bad) => bad !== '.' && bad !== '..')
      .map((bad): FuzzRequest => {
        const ws = position === 'WS' ? bad : f.workspaceSid;
        const subject =
          position === 'WQ'
            ? `TaskQueues/${bad}/RealTimeStatistics`
            : position === 'WW'
              ? `Workflows/${bad}/CumulativeStatistics`
              : `Workers/${position === 'WK' ? bad : f.workerSid}/Statistics`;
        return { method: 'GET', path: `/v1/Workspaces/${ws}/${subject}`, headers: basicAuth(), expect: [404] };
      }),
  );
  const crossStatistics = fc.tuple(fixture(), fc.nat({ max: 7 })).map(([f, i]): FuzzRequest => {
    const paths = statisticsPaths(f);
    return { method: 'GET', path: paths[i % paths.length]!, headers: basicAuth(B, B_TOKEN), expect: [200, 404], asSecondAccount: true };
  });

  return fc.oneof(
    badPath,
    badAuth,
    badListQuery,
    badUpdateParameter,
    badBody,
    badIfMatch,
    badCallback,
    junk,
    crossCallback,
    crossRest,
    badStatisticsQuery,
    badStatisticsPath,
    crossStatistics,
    badLifecycle,
  );
}

/** A second-account success: only that account's data, never A's. */
function expectSecondAccountOnly(body: Record<string, unknown>, failure: string) {
  const listed = ['reservations', 'tasks', 'workers'].flatMap((key) => (body[key] as Record<string, unknown>[] | undefined) ?? []);
  const items = [body, ...listed].filter((item) => 'account_sid' in item);
  for (const item of items) expect(item['account_sid'], failure).toBe(B);
  expect(JSON.stringify(body), failure).not.toContain(ACCOUNT_SID);
}

/** Everything account A sees of its seeded records, through every route; the task's age aside (it grows). */
async function viewsOfA(): Promise<unknown[]> {
  const views: unknown[] = [];
  for (const f of seeded) {
    const paths = [
      resourcePaths(f, { kind: 'task' }).item,
      resourcePaths(f, { kind: 'worker' }).item,
      resourcePaths(f, { kind: 'task' }).collection,
      resourcePaths(f, { kind: 'worker' }).collection,
      `${resourcePaths(f, { kind: 'worker' }).collection}?PageSize=1&Page=1&PageToken=${encodeURIComponent(pageTokens.worker!)}`,
      `/v1/Workspaces/${f.workspaceSid}/Tasks/${f.taskSid}`,
      `/v1/Workspaces/${f.workspaceSid}/Workers/${f.workerSid}`,
      // The workspace's events: no fuzzed request may add one.
      `/v1/Workspaces/${f.workspaceSid}/Events?Minutes=43200&PageSize=1000`,
      // Nor count one.
      `/v1/Workspaces/${f.workspaceSid}/CumulativeStatistics?Minutes=43200`,
      `/v1/Workspaces/${f.workspaceSid}/Workers/${f.workerSid}/Statistics?Minutes=43200`,
    ];
    for (const path of paths) {
      const response = await fetch(`${stack.url}${path}`, { headers: basicAuth() });
      const body = (await response.json()) as Record<string, unknown>;
      delete body['age'];
      // A window's bounds move with the clock; and a worker's time in its activity grows.
      delete body['start_time'];
      delete body['end_time'];
      if (typeof body['cumulative'] === 'object' && body['cumulative'] !== null)
        body['cumulative'] = { ...body['cumulative'], start_time: 0, end_time: 0, activity_durations: 0 };
      // The Event list's page URLs pin its relative window's start, which moves with the clock.
      if (path.includes('/Events?') && typeof body['meta'] === 'object' && body['meta'] !== null) body['meta'] = { ...body['meta'], url: 0, first_page_url: 0 };
      views.push({ path, status: response.status, etag: response.headers.get('etag'), body });
    }
    // A's answer to a repeat of its callback.
    const repeat = await fetch(`${stack.url}/assignment-callback?ReservationTimeout=86400`, {
      method: 'POST',
      headers: {
        ...FORM,
        'X-Twilio-Signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${stack.url}/assignment-callback?ReservationTimeout=86400`, f.params),
      },
      body: new URLSearchParams(f.params),
    });
    views.push({ repeat: f.reservationSid, status: repeat.status, answer: await repeat.text() });
  }
  return views;
}

async function send(r: FuzzRequest) {
  const response = await fetch(`${stack.url}${r.path}`, { method: r.method, headers: r.headers, ...(r.body !== undefined && { body: r.body }) });
  sent++;
  if (r.taskSid) fuzzedTasks.add(r.taskSid);
  const text = await response.text();
  const failure = `${r.method} ${r.path.slice(0, 120)} → ${response.status} ${text.slice(0, 200)}`;
  expect(response.status, failure).toBeLessThan(500);
  expect(r.expect, failure).toContain(response.status);
  const body = JSON.parse(text) as Record<string, unknown>;
  if (r.asSecondAccount) crossAccountRequests++;
  if (r.asSecondAccount && response.status === 200) return expectSecondAccountOnly(body, failure);
  expect(Object.keys(body).sort(), failure).toEqual(['code', 'message', 'more_info', 'status']);
  expect(body['status'], failure).toBe(response.status);
  expect(String(body['code']), failure).toMatch(/^20\d{3}$/);
}

describe.each(ENGINES)('on $name', (engine) => {
  let stopEngine: () => Promise<void>;
  let dir: string;
  beforeAll(async () => {
    const running = await engine.start();
    stopEngine = running.stop;
    dir = mkdtempSync(join(tmpdir(), 'fuzz-'));
    const policy = join(dir, 'policy.json');
    writeFileSync(policy, JSON.stringify({ rules: [], availableActivities: [AVAILABLE] }));
    stack = await startStack({
      DYNAMODB_ENDPOINT: running.endpoint,
      TABLE_NAME: `fuzz${randomBytes(4).toString('hex')}`,
      TWILIO_ACCOUNTS: `${B}:${B_TOKEN}`,
      ASSIGNMENT_POLICY: policy,
    });
    seeded = [];
    fuzzedTasks = new Set();
    sent = 0;
    crossAccountRequests = 0;
    // Three reservations, the first two of one worker and one task, so that lists have a second page.
    const first = await assign(stack, {}, { query: 'ReservationTimeout=86400' });
    const sameWorker = { WorkspaceSid: first.workspaceSid, WorkerSid: first.workerSid, TaskSid: first.taskSid };
    seeded.push(first, await assign(stack, sameWorker, { query: 'ReservationTimeout=86400' }), await assign(stack, {}, { query: 'ReservationTimeout=86400' }));
    for (const kind of ['task', 'worker'] as const) {
      const list = (await (await fetch(`${stack.url}${resourcePaths(first, { kind }).collection}?PageSize=1`, { headers: basicAuth() })).json()) as {
        meta: { next_page_url: string };
      };
      pageTokens[kind] = new URL(list.meta.next_page_url).searchParams.get('PageToken')!;
    }
  });
  afterAll(async () => {
    await stack.close();
    await stopEngine();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`answers ${FUZZ_REQUESTS} fuzzed requests with Twilio's error JSON, no 5xx, and no state change`, async () => {
    const before = await viewsOfA();
    await fc.assert(
      fc.asyncProperty(fc.array(fuzzRequests(), { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        await Promise.all(batch.map(send));
      }),
      { numRuns: Math.ceil(FUZZ_REQUESTS / BATCH) },
    );
    expect(sent).toBeGreaterThanOrEqual(FUZZ_REQUESTS);

    for (const f of seeded) {
      const response = await fetch(`${stack.url}${resourcePaths(f, { kind: 'task' }).item}`, { headers: basicAuth() });
      expect(response.headers.get('etag')).toBe('"1"');
      expect(((await response.json()) as Record<string, unknown>)['reservation_status']).toBe('pending');
    }
    for (const taskSid of fuzzedTasks) {
      const stored = await stack.runtime.stores.tasks.getTask({ accountSid: ACCOUNT_SID, workspaceSid: seeded[0]!.workspaceSid, taskSid });
      expect(stored).toBeUndefined();
    }
    // Nor any event, anywhere in the account (the fuzzed callbacks name fresh workspaces of their own).
    const ours = new Set(seeded.map((f) => f.taskSid));
    const events = await stack.documentClient.send(
      new ScanCommand({
        TableName: stack.config.tableName!,
        FilterExpression: 'begins_with(pk, :p)',
        ExpressionAttributeValues: { ':p': `EVENT#${ACCOUNT_SID}#` },
      }),
    );
    expect((events.Items ?? []).filter((e) => !ours.has(e['taskSid'] as string))).toEqual([]);
    expect(fuzzedTasks.size).toBeGreaterThan(0);
    // Account A's records, views and answers are exactly as if account B did not exist.
    expect(await viewsOfA()).toEqual(before);
    expect(crossAccountRequests).toBeGreaterThan(FUZZ_REQUESTS / 20);
    recordFigure('requests fuzzed', sent, `${engine.name}, seed ${process.env['FUZZ_SEED'] ?? 'fixed'}`);
    recordFigure('cross-account requests fuzzed', crossAccountRequests, `${engine.name}, seed ${process.env['FUZZ_SEED'] ?? 'fixed'}`);
  }, 600_000);
});
