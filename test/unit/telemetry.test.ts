/**
 * The service's metrics (lib/telemetry): what the use cases count, and how a function publishes
 * it with Powertools Metrics when it ends, on the in-memory runtime. Metrics are on here
 * (POWERTOOLS_METRICS_DISABLED=false; the tests' POWERTOOLS_DEV would turn them off) and written
 * through the global console, which these tests read.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NotFoundError } from '#lib/domain/errors.ts';
import { parseIfMatch } from '#lib/domain/if-match.ts';
import { parsePolicy } from '#lib/domain/rule-policy.ts';
import { apiFunction } from '#lib/handlers/api-function.ts';
import { eventFunction } from '#lib/handlers/event-function.ts';
import { localLambdaContext } from '#lib/local/lambda-context.ts';
import type { ReservationTarget } from '#lib/reservations/service.ts';
import { METRICS, METRICS_NAMESPACE } from '#lib/telemetry/metrics.ts';
import { SERVICE_NAME } from '#lib/logging.ts';
import { memoryRuntime } from '../support/memory-runtime.ts';
import { dimensionProblems, dimensionsOf, metricDocuments } from '../support/pii.ts';
import { assignment, form, taskScopeOf } from '../support/use-case-fixtures.ts';
import type { AssignmentCallback } from '#lib/domain/assignment-callback.ts';

const POLICY = parsePolicy({
  rules: [
    { name: 'accept sales', match: { task: { type: 'sales' } }, instruction: { instruction: 'accept' } },
    { name: 'conference voice', match: { task: { type: 'voice' } }, instruction: { instruction: 'conference', from: '{{task.from}}' } },
  ],
});

const target = (a: AssignmentCallback): ReservationTarget => ({
  kind: 'task',
  scope: taskScopeOf(a),
  reservationSid: a.reservationSid,
  resource: `/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}/Reservations/${a.reservationSid}`,
});
const timerOf = (a: AssignmentCallback) => ({ accountSid: a.accountSid, workspaceSid: a.workspaceSid, taskSid: a.taskSid, reservationSid: a.reservationSid });

describe('what the use cases count', () => {
  it('each callback by the instruction it answered with, a repeat as the first; each update by its outcome; each timer by what it found', async () => {
    const m = memoryRuntime({}, { policy: POLICY });
    const count = vi.spyOn(m.runtime.telemetry, 'count');
    const counted = (metric: string) => count.mock.calls.filter(([name]) => name === metric).map(([, value]) => value);

    const voice = assignment({ TaskAttributes: JSON.stringify({ type: 'voice', from: '+15551234567' }) });
    const sales = assignment({ TaskAttributes: JSON.stringify({ type: 'sales' }) });
    const plain = assignment({ TaskAttributes: '{}' });
    for (const a of [voice, sales, plain, voice]) await m.runtime.service.assign(a, 60);
    expect(counted('callbacksAnswered')).toEqual(['conference', 'accept', 'none', 'conference']);

    const second = assignment({ TaskAttributes: '{}' });
    await m.runtime.service.assign(second, 60);
    await m.runtime.service.update(target(plain), form({ ReservationStatus: 'rejected' }), undefined);
    await m.runtime.service.update(target(second), form({ ReservationStatus: 'accepted' }), undefined);
    await m.runtime.service.update(target(second), form({ ReservationStatus: 'wrapping' }), undefined);
    await expect(m.runtime.service.update(target(plain), form({ ReservationStatus: 'accepted' }), undefined)).rejects.toThrow(/not currently in a Pending/);
    await expect(m.runtime.service.update(target(second), form({ ReservationStatus: 'completed' }), parseIfMatch('"1"'))).rejects.toThrow(/Precondition/);
    await expect(m.runtime.service.update(target(second), form({ ReservationStatus: 'sideways' }), undefined)).rejects.toThrow(/ReservationStatus/);
    expect(counted('updates')).toEqual(['rejected', 'accepted', 'wrapping', 'refused', 'refused', 'refused']);

    const late = assignment({ TaskAttributes: '{}' });
    await m.runtime.service.assign(late, 30);
    expect(await m.runtime.service.expire(timerOf(late))).toBe('nothing-to-do');
    m.clock.advance(30_001);
    expect(await m.runtime.service.expire(timerOf(late))).toBe('expired');
    expect(counted('timeouts')).toEqual(['nothing-to-do', 'expired']);
  });
});

describe('how a function publishes them', () => {
  let lines: string[];
  beforeEach(() => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    lines = [];
    // Powertools' development mode writes through the global console: what is published, read here.
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });
  const published = () => metricDocuments(lines.join('\n'));
  const summary = (doc: Record<string, unknown>) => ({
    dimensions: Object.fromEntries(dimensionsOf(doc)),
    metrics: Object.fromEntries(
      (doc['_aws'] as { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string }[] }[] }).CloudWatchMetrics.flatMap((d) =>
        d.Metrics.map((metric) => [`${d.Namespace}/${metric.Name}`, doc[metric.Name]]),
      ),
    ),
  });

  it('when it ends: a document per dimension value counted (a repeated count as its values), the measures with the service alone, its cold start once', async () => {
    // What Lambda sets for an on-demand container: without it, Powertools counts no cold start.
    vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
    const m = memoryRuntime();
    let counting = true;
    const sweep = eventFunction('upstream-sweep', async (_event: unknown, runtime) => {
      if (counting) {
        runtime.telemetry.count('forwards', 'settled');
        runtime.telemetry.count('upstreamReads', 'failed');
        runtime.telemetry.count('forwards', 'settled');
        runtime.telemetry.measure('unsettledForwards', 2);
        // Nothing counted is published before the function ends (its cold start is, as it starts).
        expect(published().filter((doc) => !('ColdStart' in doc))).toEqual([]);
      }
      return { standalone: true } as const;
    }).createHandler(m.runtime);
    await sweep({}, localLambdaContext('upstream-sweep', 60));
    const ns = METRICS_NAMESPACE;
    expect(published().map(summary)).toEqual(
      expect.arrayContaining([
        { dimensions: { service: SERVICE_NAME, function_name: 'upstream-sweep' }, metrics: { [`${ns}/ColdStart`]: 1 } },
        { dimensions: { service: SERVICE_NAME, Outcome: 'settled' }, metrics: { [`${ns}/${METRICS.forwards.name}`]: [1, 1] } },
        { dimensions: { service: SERVICE_NAME, Outcome: 'failed' }, metrics: { [`${ns}/${METRICS.upstreamReads.name}`]: 1 } },
        { dimensions: { service: SERVICE_NAME }, metrics: { [`${ns}/${METRICS.unsettledForwards.name}`]: 2 } },
      ]),
    );
    expect(published()).toHaveLength(4);

    // The next invocation publishes what it counted, and no second cold start; one that counted nothing, nothing.
    lines.length = 0;
    await sweep({}, localLambdaContext('upstream-sweep', 60));
    expect(published().map(summary)).toEqual(
      expect.arrayContaining([
        { dimensions: { service: SERVICE_NAME, Outcome: 'settled' }, metrics: { [`${ns}/${METRICS.forwards.name}`]: [1, 1] } },
        { dimensions: { service: SERVICE_NAME, Outcome: 'failed' }, metrics: { [`${ns}/${METRICS.upstreamReads.name}`]: 1 } },
        { dimensions: { service: SERVICE_NAME }, metrics: { [`${ns}/${METRICS.unsettledForwards.name}`]: 2 } },
      ]),
    );
    expect(published()).toHaveLength(3);
    lines.length = 0;
    counting = false;
    await sweep({}, localLambdaContext('upstream-sweep', 60));
    expect(lines.join('\n')).toBe('');
  });

  it('also when it fails, answered with Twilio’s error; and never with a SID or PII as a dimension', async () => {
    const m = memoryRuntime();
    const handler = apiFunction('not-found', async (_request, { runtime }) => {
      runtime.telemetry.count('updates', 'refused');
      throw new NotFoundError('/Workspaces/WS0/Tasks/WT0');
    }).createHandler(m.runtime);
    const response = await handler(getEvent('/v1/nowhere'), localLambdaContext('not-found', 3));
    expect(response.statusCode).toBe(404);
    expect(published().map(summary)).toContainEqual({
      dimensions: { service: SERVICE_NAME, Outcome: 'refused' },
      metrics: { [`${METRICS_NAMESPACE}/${METRICS.updates.name}`]: 1 },
    });
    expect(dimensionProblems(lines.join('\n'))).toEqual([]);
    // The check itself finds a SID and planted PII where they would be.
    const leaky = JSON.stringify({
      _aws: { CloudWatchMetrics: [{ Namespace: 'x', Dimensions: [['a', 'b']], Metrics: [{ Name: 'n' }] }] },
      a: `WR${'0'.repeat(32)}`,
      b: '+15551234567',
      n: 1,
    });
    expect(dimensionProblems(leaky)).toHaveLength(2);
  });
});

/** An API Gateway v2 GET as the API sends it. */
function getEvent(path: string): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { host: 'localhost' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method: 'GET', path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'r',
      routeKey: '$default',
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    isBase64Encoded: false,
  };
}

describe("the X-Ray SDK's mode (lib/telemetry/xray-mode.ts)", () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  // Whether importing the telemetry made the X-Ray SDK's context namespace, whose async hook follows every promise.
  const probe = `await import('./lib/telemetry/powertools-telemetry.ts'); process.stdout.write(String(Boolean(process.namespaces?.AWSXRay)));`;
  const hooked = async (env: Record<string, string>) => {
    const base = Object.fromEntries(['PATH', 'HOME', 'TMPDIR'].flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]!]])));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], {
      cwd: root,
      env: { ...base, ...env },
    });
    return stdout;
  };

  it('outside Lambda, where nothing is traced, the SDK starts in manual mode: no namespace, no async hook', async () => {
    expect(await hooked({})).toBe('false');
  });

  it('in Lambda (tracing on) it keeps its automatic mode, which the handler segment needs', async () => {
    expect(await hooked({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x' })).toBe('true');
  });
});
