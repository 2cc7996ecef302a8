/**
 * The cost model's arithmetic (bench/cost-model.ts) on made-up measurements whose prices are easy
 * to check by hand.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MIX, OPERATIONS, PLATFORM_LOG_BYTES, PRICES, costOf, operationCounts, type Measured, type Measurements } from '../../bench/cost-model.ts';

const quiet = { ms: 0, readUnits: 0, writeUnits: 0, logBytes: 0 };
const none: Measured = { ...quiet, streamRecords: 0, published: { ...quiet, events: 0, queueSends: 0 } };
/** Every operation 100 ms and nothing else; callbacks write 2 units and publish 3 events (1 unit each). */
const measurements: Measurements = {
  memoryMb: 1024,
  operations: Object.fromEntries(
    OPERATIONS.map((op) => [
      op,
      op === 'callback'
        ? { ...none, ms: 100, writeUnits: 2, streamRecords: 1, published: { ...quiet, ms: 100, writeUnits: 3, events: 3, queueSends: 1 } }
        : { ...none, ms: 100 },
    ]),
  ) as Measurements['operations'],
  eventCallback: { ...quiet, ms: 100 },
};

describe('the cost model', () => {
  it('counts each operation of 1,000,000 reservations from the mix', () => {
    const counts = operationCounts(DEFAULT_MIX);
    expect(counts.callback).toBe(1_000_000);
    expect(Math.round(counts['callback repeat'])).toBe(200_000);
    expect(counts.accept).toBe(750_000);
    expect(counts['wrap up']).toBe(750_000);
    expect(counts.complete).toBe(750_000);
    expect(counts.reject).toBe(200_000);
    expect(counts['timer: expired'] + counts['timer: nothing to do']).toBe(1_000_000);
    expect(() => operationCounts({ ...DEFAULT_MIX, rejections: 0.8, timeouts: 0.3 })).toThrow(/at most 1/);
  });

  it('prices requests, GB-seconds, request units, events, queue requests, timers, logs and traces', () => {
    const report = costOf(measurements, { ...DEFAULT_MIX, traceSampling: 0 });
    const usd = (item: string) => report.lines.find((l) => l.item === item)!.usd;
    const handlerInvocations = Object.values(operationCounts(DEFAULT_MIX)).reduce((a, b) => a + b, 0);
    // 1 M stream records (one per callback) and 3 M events, each POSTed.
    const invocations = handlerInvocations + 1_000_000 + 3_000_000;
    expect(usd('Lambda requests')).toBeCloseTo(invocations * PRICES.lambdaRequest, 2);
    // Every invocation 100 ms at 1 GB.
    expect(usd('Lambda compute')).toBeCloseTo(invocations * 0.1 * PRICES.lambdaGbSecond, 2);
    expect(usd('DynamoDB writes')).toBeCloseTo(5_000_000 * PRICES.dynamoWriteUnit, 2);
    expect(usd('EventBridge events')).toBeCloseTo(3_000_000 * PRICES.eventBridgeEvent, 2);
    expect(usd('SQS (event callbacks)')).toBeCloseTo((1_000_000 + 2 * 3_000_000) * PRICES.sqsRequest, 2);
    expect(usd('EventBridge Scheduler')).toBeCloseTo(1_000_000 * PRICES.schedulerInvocation, 2);
    // Callbacks, repeats, accept, wrap-up, completion and rejection come through the API; timers do not.
    expect(usd('API Gateway (HTTP API)')).toBeCloseTo((1_000_000 + 200_000 + 3 * 750_000 + 200_000) * PRICES.httpApiRequest, 2);
    expect(usd('CloudWatch Logs')).toBeCloseTo(((invocations * PLATFORM_LOG_BYTES) / 1e9) * PRICES.logsIngestedGb, 2);
    expect(usd('X-Ray traces')).toBe(0);
    expect(report.totalUsd).toBeCloseTo(
      report.lines.reduce((sum, l) => sum + l.usd, 0),
      2,
    );
  });

  it('drops the queue and the bus when events do not go there, and shares invocations across batches', () => {
    const off = costOf(measurements, { ...DEFAULT_MIX, callbackUrl: false, eventBridge: false });
    const batched = costOf(measurements, { ...DEFAULT_MIX, streamBatch: 10, queueBatch: 10 });
    const base = costOf(measurements);
    const usd = (r: ReturnType<typeof costOf>, item: string) => r.lines.find((l) => l.item === item)!.usd;
    expect(usd(off, 'SQS (event callbacks)')).toBe(0);
    expect(usd(off, 'EventBridge events')).toBe(0);
    expect(usd(batched, 'Lambda requests')).toBeLessThan(usd(base, 'Lambda requests'));
    expect(usd(batched, 'SQS (event callbacks)')).toBeLessThan(usd(base, 'SQS (event callbacks)'));
  });
});
