/**
 * Every metric document the service publishes, from real requests through local stacks: signed
 * callbacks answered with each kind of instruction, updates made and refused, timers, event
 * callbacks delivered after a failure, and connected mode (forwards confirmed, refused and
 * unknown then settled, TaskRouter's events mirrored, the sweep). Every metric of the catalogue is
 * published, and every dimension of every document is the service, a function's name or a value
 * the catalogue lists for that metric: never a SID, never anything a caller sent (the planted
 * PII of test/support/pii.ts rides in every callback).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { reservationTimeout } from '#functions/reservation-timeout.ts';
import { upstreamSweep } from '#functions/upstream-sweep.ts';
import { FUNCTIONS } from '#lib/functions.ts';
import { localLambdaContext } from '#lib/local/lambda-context.ts';
import type { LocalStack } from '#lib/local/server.ts';
import { SERVICE_NAME } from '#lib/logging.ts';
import { METRICS } from '#lib/telemetry/metrics.ts';
import { AUTH_TOKEN, assign, basicAuth, callback, startStack, type CallbackFixture } from '../support/fixtures.ts';
import { dimensionProblems, dimensionsOf, metricDocuments } from '../support/pii.ts';
import { receiver, until } from '../support/receiver.ts';
import { freePort, upstreamProxy, type UpstreamProxy } from '../support/upstream-proxy.ts';

const scratch = mkdtempSync(join(tmpdir(), 'metrics-scan-'));
const policyFile = join(scratch, 'policy.json');
writeFileSync(
  policyFile,
  JSON.stringify({
    rules: [
      { match: { task: { type: 'sales' } }, instruction: { instruction: 'accept' } },
      { match: { task: { type: 'spam' } }, instruction: { instruction: 'reject' } },
      { match: { task: { type: 'voice' } }, instruction: { instruction: 'conference', from: '{{task.from}}' } },
    ],
    // Sales tasks wrap up for at most 30 s: a wrap-up timer completes one below.
    lifecycle: [{ name: 'sales', match: { task: { type: 'sales' } }, wrapUpSeconds: 30 }],
  }),
);

/** Every line written through console.log while a test runs (Powertools' development mode writes metrics there). */
let lines: string[] = [];
/** The names of every metric published so far in this file. */
const seen = new Set<string>();
/** The clocks of the stacks: real time, which a test moves ahead past a deadline. */
let skew = 0;
const clock = { now: () => Date.now() + skew };

let deliveries: Awaited<ReturnType<typeof receiver>>;
let standalone: LocalStack;
let upstream: LocalStack;
let proxy: UpstreamProxy;
let gateway: LocalStack;

beforeAll(async () => {
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  // As Lambda sets it for an on-demand container: the first invocation of each function is a cold start.
  vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
  const log = console.log.bind(console);
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
    log(...args);
  });
  // The first delivery of the first event fails, and is retried.
  deliveries = await receiver((received) => (deliveries.received.indexOf(received) === 0 ? 500 : 204));
  standalone = await startStack({ ASSIGNMENT_POLICY: policyFile, EVENT_CALLBACK_URL: deliveries.url }, { clock, callbackSender: { wait: async () => {} } });
  const gatewayPort = await freePort();
  upstream = await startStack({ EVENT_CALLBACK_URL: `http://127.0.0.1:${gatewayPort}/event-callback` });
  proxy = await upstreamProxy(upstream.url);
  gateway = await startStack({ PORT: String(gatewayPort), TASKROUTER_UPSTREAM_URL: proxy.url }, { clock });
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await proxy?.close();
  await upstream?.close();
  await standalone?.close();
  await deliveries?.close();
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  rmSync(scratch, { recursive: true, force: true });
});

const path = (c: CallbackFixture) => `/v1/Workspaces/${c.workspaceSid}/Tasks/${c.taskSid}/Reservations/${c.reservationSid}`;
async function update(stack: LocalStack, c: CallbackFixture, params: Record<string, string>): Promise<number> {
  const response = await fetch(`${stack.url}${path(c)}`, {
    method: 'POST',
    headers: { ...basicAuth(), 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });
  await response.arrayBuffer();
  return response.status;
}
const timerOf = (c: CallbackFixture) => ({ accountSid: c.accountSid, workspaceSid: c.workspaceSid, taskSid: c.taskSid, reservationSid: c.reservationSid });
const fireTimer = (stack: LocalStack, c: CallbackFixture) =>
  reservationTimeout.createHandler(stack.runtime)(timerOf(c), localLambdaContext('reservation-timeout', FUNCTIONS['reservation-timeout'].timeoutSeconds));

/** The metrics published, each document as `Metric{Dimension=value}` for every metric in it. */
function published(): string[] {
  return metricDocuments(lines.join('\n')).flatMap((doc) => {
    const dimensions = dimensionsOf(doc)
      .filter(([name]) => name !== 'service')
      .map(([name, value]) => `${name}=${String(value)}`)
      .join(',');
    const names = (doc['_aws'] as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }).CloudWatchMetrics.flatMap((d) => d.Metrics.map((m) => m.Name));
    for (const name of names) seen.add(name);
    return names.map((name) => `${name}{${dimensions}}`);
  });
}

/**
 * What is wrong with the documents published: a problem of test/support/pii.ts, or a dimension
 * other than the service, a function's name or its metric's own, with a value the catalogue lists.
 */
function offCatalogue(): string[] {
  const problems = dimensionProblems(lines.join('\n'));
  const byName = new Map(Object.values(METRICS).map((spec) => [spec.name as string, spec]));
  for (const doc of metricDocuments(lines.join('\n'))) {
    const names = (doc['_aws'] as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }).CloudWatchMetrics.flatMap((d) => d.Metrics.map((m) => m.Name));
    for (const [dimension, value] of dimensionsOf(doc)) {
      if (dimension === 'service' && value === SERVICE_NAME) continue;
      if (dimension === 'function_name' && names.every((n) => n === 'ColdStart') && Object.hasOwn(FUNCTIONS, String(value))) continue;
      const allowed = names.every((name) => {
        const spec = byName.get(name);
        return spec !== undefined && 'dimension' in spec && spec.dimension === dimension && (spec.values as readonly string[]).includes(String(value));
      });
      if (!allowed) problems.push(`${names.join(',')}: ${dimension}=${String(value)} is not in the catalogue`);
    }
  }
  return problems;
}

describe('the metrics published, standalone', () => {
  it('count callbacks by instruction, updates by outcome, timers and event deliveries; no dimension off the catalogue', async () => {
    lines = [];
    const sales = await assign(standalone, { TaskAttributes: JSON.stringify({ type: 'sales', customer: 'pii-attribute-7c3e' }) });
    await assign(standalone, { TaskAttributes: JSON.stringify({ type: 'spam', from: '+15551234567' }) });
    await assign(standalone, { TaskAttributes: JSON.stringify({ type: 'voice', from: '+15551234567' }) });
    // The fixtures' tasks are voice calls, which the policy conferences: these have no type.
    const pending = await assign(standalone, { TaskAttributes: '{}' });
    const late = await assign(standalone, { TaskAttributes: '{}' }, { query: 'ReservationTimeout=30' });

    expect(await update(standalone, sales, { ReservationStatus: 'wrapping' })).toBe(200);
    expect(await update(standalone, sales, { ReservationStatus: 'completed' })).toBe(200);
    expect(await update(standalone, pending, { ReservationStatus: 'rejected', WorkerActivitySid: `WA${'1'.repeat(32)}` })).toBe(200);
    expect(await update(standalone, pending, { ReservationStatus: 'accepted' })).toBe(400);
    expect(await update(standalone, { ...pending, reservationSid: `WR${'0'.repeat(32)}` }, { ReservationStatus: 'accepted' })).toBe(404);

    const wrapped = await assign(standalone, { TaskAttributes: JSON.stringify({ type: 'sales' }) });
    expect(await update(standalone, wrapped, { ReservationStatus: 'wrapping' })).toBe(200);

    expect(await fireTimer(standalone, late)).toMatchObject({ outcome: 'nothing-to-do' });
    skew = 31_000;
    expect(await fireTimer(standalone, late)).toMatchObject({ outcome: 'expired' });
    // The wrap-up's end, as its timer delivers it.
    expect(
      await reservationTimeout.createHandler(standalone.runtime)(
        { ...timerOf(wrapped), kind: 'wrap-up' },
        localLambdaContext('reservation-timeout', FUNCTIONS['reservation-timeout'].timeoutSeconds),
      ),
    ).toMatchObject({ outcome: 'completed' });
    skew = 0;
    // The first event's callback failed once and was delivered on its retry; the last, delivered.
    await until(() => deliveries.received.length >= 17, 'the event callbacks');
    await standalone.runtime.callbackSender!.idle();
    // Counted after a request's answer (the deliveries): published at the end of the next one.
    await fetch(`${standalone.url}/health`).then((r) => r.arrayBuffer());

    const metrics = published();
    expect(metrics).toEqual(
      expect.arrayContaining([
        'CallbacksAnswered{Instruction=accept}',
        'CallbacksAnswered{Instruction=reject}',
        'CallbacksAnswered{Instruction=conference}',
        'CallbacksAnswered{Instruction=none}',
        'Updates{Outcome=wrapping}',
        'Updates{Outcome=completed}',
        'Updates{Outcome=rejected}',
        'Updates{Outcome=refused}',
        'Timeouts{Outcome=nothing-to-do}',
        'Timeouts{Outcome=expired}',
        'WrapUpTimers{Outcome=completed}',
        'EventDeliveries{Outcome=retried}',
        'EventDeliveries{Outcome=delivered}',
        'ColdStart{function_name=assignment-callback}',
      ]),
    );
    expect(offCatalogue()).toEqual([]);
  });
});

describe('the metrics published, connected', () => {
  /** TaskRouter reserves a worker: at TaskRouter, and the gateway answers the assignment callback. */
  async function reserve(): Promise<CallbackFixture> {
    const c = callback();
    for (const stack of [upstream, gateway]) {
      const url = `${stack.url}/assignment-callback`;
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, c.params) },
        body: new URLSearchParams(c.params),
      });
      expect(response.status).toBe(200);
    }
    return c;
  }

  it('count forwards, upstream reads, the mirror’s lag and the sweep; no dimension off the catalogue', async () => {
    lines = [];
    const confirmed = await reserve();
    expect(await update(gateway, confirmed, { ReservationStatus: 'accepted' })).toBe(200);

    const refused = await reserve();
    proxy.plan((method) =>
      method === 'POST' ? { kind: 'answer', status: 400, body: { code: 20001, message: 'Invalid parameter', more_info: 'x', status: 400 } } : { kind: 'pass' },
    );
    expect(await update(gateway, refused, { ReservationStatus: 'accepted' })).toBe(400);

    // Processed upstream, its answer lost: settled by reading the reservation.
    const unknown = await reserve();
    proxy.plan((method) => (method === 'POST' ? { kind: 'drop-after' } : { kind: 'pass' }));
    expect(await update(gateway, unknown, { ReservationStatus: 'rejected' })).toBe(200);
    proxy.plan(() => ({ kind: 'pass' }));

    // TaskRouter's own change, reported by its event callback to the gateway's mirror.
    const mirrored = await reserve();
    expect(await update(upstream, mirrored, { ReservationStatus: 'accepted' })).toBe(200);
    await until(() => lines.join('\n').length > 0, 'output');
    await upstream.runtime.callbackSender!.idle();
    await gateway.runtime.upstream!.inbox.idle();

    // A timer at a deadline asks TaskRouter; the sweep runs as its function does, every minute.
    skew = 200_000;
    expect(await fireTimer(gateway, await reserve())).toMatchObject({ outcome: expect.stringMatching(/^upstream /) });
    skew = 0;
    await upstreamSweep.createHandler(gateway.runtime)({}, localLambdaContext('upstream-sweep', 60));

    const metrics = published();
    expect(metrics).toEqual(
      expect.arrayContaining([
        'Forwards{Outcome=confirmed}',
        'Forwards{Outcome=refused}',
        'Forwards{Outcome=unknown}',
        'Forwards{Outcome=settled}',
        'UpstreamReads{Outcome=answered}',
        'Updates{Outcome=accepted}',
        'MirrorLag{}',
        'ForwardsUnsettledOverFiveMinutes{}',
        expect.stringMatching(/^Timeouts\{Outcome=upstream-/),
      ]),
    );
    expect(offCatalogue()).toEqual([]);
  });
});

describe('the catalogue', () => {
  it('was published whole by the requests above (this file’s tests run in order)', () => {
    expect(Object.values(METRICS).filter((spec) => !seen.has(spec.name))).toEqual([]);
  });
});
