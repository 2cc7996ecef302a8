/**
 * The cost model of `npm run cost`: what 1,000,000 reservations cost on AWS for a stated mix,
 * from what one of each operation was measured to use (bench/cost.ts measures it). Pure: the same
 * measurements and mix give the same table, to the cent.
 *
 * One reservation is assigned through `callbacks` assignment callbacks (TaskRouter repeats one it
 * saw no answer to); a share `rejections` of reservations is rejected and a share `timeouts` times
 * out (each leaves its task to another reservation); the rest are accepted, then wrapped up and
 * completed (three updates). Every reservation arms one timer, which fires at its deadline
 * whatever happened (it deletes itself then: lib/timeouts/eventbridge-scheduler.ts). Each write to
 * a task item is one record of the table's stream, read by publish-events, which stores its
 * events, puts them on the bus and queues them for the callback URL.
 */

/**
 * List prices, us-east-1, on-demand, without free tiers (Scheduler's first 14 million invocations
 * a month, for one, are free), checked on 2026-12-05. AWS's own pages confirm Lambda's request
 * price, API Gateway's HTTP API price (and its 512 KB metering), X-Ray's, and the 64 KB chunks
 * EventBridge and SQS bill by; the others (Lambda arm64's GB-second, DynamoDB's request units after
 * its November 2024 on-demand cut, Scheduler, EventBridge, SQS, CloudWatch Logs) are those AWS's
 * us-east-1 price list gives as quoted by current write-ups, which agree with one another: the
 * saved pricing pages load their rates in the browser. Not fetched at run time. Volume tiers
 * (SQS past 100 billion requests a month, Lambda's own logs past 10 TB) would lower a large bill.
 */
export const PRICES = {
  region: 'us-east-1',
  asOf: '2026-12-05',
  /** Lambda, arm64: per request and per GB-second (the first tier). */
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecond: 0.0000133334,
  /** DynamoDB on demand, Standard table class: per write and read request unit. */
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  /** EventBridge Scheduler: per scheduled invocation (creating a schedule is not charged). */
  schedulerInvocation: 1 / 1e6,
  /** EventBridge: per custom event put on a bus (each 64 KB). */
  eventBridgeEvent: 1 / 1e6,
  /** SQS standard queue: per request (each 64 KB). */
  sqsRequest: 0.4 / 1e6,
  /** API Gateway HTTP API: per request (each 512 KB), the first 300 million a month. */
  httpApiRequest: 1 / 1e6,
  /** CloudWatch Logs, standard class: per GB ingested. */
  logsIngestedGb: 0.5,
  /** X-Ray: per trace recorded. */
  xrayTrace: 5 / 1e6,
} as const;

/** Bytes Lambda itself writes to a function's log per invocation (START, END and REPORT lines, with X-Ray's fields): an estimate. */
export const PLATFORM_LOG_BYTES = 400;

export interface Mix {
  /** Assignment callbacks per reservation, repeats included. */
  readonly callbacks: number;
  /** Share of reservations rejected. */
  readonly rejections: number;
  /** Share of reservations timed out. */
  readonly timeouts: number;
  /** Events go to EVENT_CALLBACK_URL (queued, then POSTed). */
  readonly callbackUrl: boolean;
  /** Events go on the EventBridge bus. */
  readonly eventBridge: boolean;
  /** Stream records per publish-events invocation (1: a quiet table, each write read alone). */
  readonly streamBatch: number;
  /** Queued callbacks per publish-event-callbacks invocation. */
  readonly queueBatch: number;
  /** Share of invocations X-Ray records a trace of (its default rule: 1 a second, then 5%). */
  readonly traceSampling: number;
}

export const DEFAULT_MIX: Mix = {
  callbacks: 1.2,
  rejections: 0.2,
  timeouts: 0.05,
  callbackUrl: true,
  eventBridge: true,
  streamBatch: 1,
  queueBatch: 1,
  traceSampling: 0.05,
};

/** The requests and timers a reservation goes through, each one invocation of its function. */
export const OPERATIONS = ['callback', 'callback repeat', 'accept', 'wrap up', 'complete', 'reject', 'timer: expired', 'timer: nothing to do'] as const;
export type Operation = (typeof OPERATIONS)[number];

/** What one invocation was measured to use. */
export interface Usage {
  /** The function's duration, warm, in ms (rounded up: see bench/cost.ts). */
  readonly ms: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  /** Bytes its function logged (its own lines and metric documents). */
  readonly logBytes: number;
}

export interface Measured extends Usage {
  /** Its writes to task items: each is one record of the table's stream. */
  readonly streamRecords: number;
  /** What publish-events did with those records (all of them together). */
  readonly published: Usage & {
    readonly events: number;
    /** SQS SendMessageBatch calls (ten events each at most). */
    readonly queueSends: number;
  };
}

export interface Measurements {
  readonly memoryMb: number;
  readonly operations: Readonly<Record<Operation, Measured>>;
  /** One event POSTed to the callback URL by publish-event-callbacks. */
  readonly eventCallback: Usage;
}

/** How many of each operation 1,000,000 reservations make. */
export function operationCounts(mix: Mix, reservations = 1_000_000): Record<Operation, number> {
  const { rejections, timeouts } = mix;
  if (rejections < 0 || timeouts < 0 || rejections + timeouts > 1) throw new Error('rejections and timeouts are shares of reservations: together at most 1');
  if (mix.callbacks < 1) throw new Error('every reservation has at least one callback');
  const accepted = reservations * (1 - rejections - timeouts);
  return {
    callback: reservations,
    'callback repeat': reservations * (mix.callbacks - 1),
    accept: accepted,
    'wrap up': accepted,
    complete: accepted,
    reject: reservations * rejections,
    'timer: expired': reservations * timeouts,
    'timer: nothing to do': reservations * (1 - timeouts),
  };
}

export interface CostLine {
  readonly item: string;
  /** USD per 1,000,000 reservations. */
  readonly usd: number;
  /** What it is made of, for the reader. */
  readonly basis: string;
}

export interface CostReport {
  readonly reservations: number;
  readonly mix: Mix;
  readonly prices: typeof PRICES;
  readonly measurements: Measurements;
  readonly counts: Record<Operation | 'stream record' | 'event', number>;
  readonly lines: readonly CostLine[];
  readonly totalUsd: number;
}

const cents = (usd: number) => Math.round(usd * 100) / 100;
const millions = (n: number) => `${(n / 1e6).toFixed(2)} M`;

export function costOf(measured: Measurements, mix: Mix = DEFAULT_MIX, reservations = 1_000_000): CostReport {
  const counts = operationCounts(mix, reservations);
  const ops = measured.operations;
  const sum = (f: (op: Operation, m: Measured) => number) => OPERATIONS.reduce((total, op) => total + counts[op] * f(op, ops[op]), 0);
  const streamRecords = sum((_, m) => m.streamRecords);
  const events = sum((_, m) => m.published.events);
  const callbacks = mix.callbackUrl ? events : 0;
  const { eventCallback } = measured;
  const gb = measured.memoryMb / 1024;

  const lambdaRequests = sum(() => 1) + streamRecords / mix.streamBatch + callbacks / mix.queueBatch;
  // Billed per ms, each invocation rounded up. A batch's records share one invocation, which
  // this does not discount: a record's duration is measured alone.
  const seconds = sum((_, m) => m.ms + m.published.ms) / 1000 + (callbacks * eventCallback.ms) / 1000;
  const gbSeconds = seconds * gb;
  const readUnits = sum((_, m) => m.readUnits + m.published.readUnits) + callbacks * eventCallback.readUnits;
  const writeUnits = sum((_, m) => m.writeUnits + m.published.writeUnits) + callbacks * eventCallback.writeUnits;
  const apiRequests = sum((op) => (op.startsWith('timer') ? 0 : 1));
  // A SendMessageBatch per ten events of a write; then a receive and a delete per batch Lambda takes.
  const sqsRequests = mix.callbackUrl ? sum((_, m) => m.published.queueSends) + (2 * callbacks) / mix.queueBatch : 0;
  const timers = counts['timer: expired'] + counts['timer: nothing to do'];
  const logBytes = sum((_, m) => m.logBytes + m.published.logBytes) + callbacks * eventCallback.logBytes + lambdaRequests * PLATFORM_LOG_BYTES;

  const lines: CostLine[] = [
    {
      item: 'Lambda compute',
      usd: gbSeconds * PRICES.lambdaGbSecond,
      basis: `${Math.round(gbSeconds).toLocaleString('en-US')} GB-s (${measured.memoryMb} MB, arm64)`,
    },
    { item: 'Lambda requests', usd: lambdaRequests * PRICES.lambdaRequest, basis: `${millions(lambdaRequests)} invocations` },
    { item: 'DynamoDB writes', usd: writeUnits * PRICES.dynamoWriteUnit, basis: `${millions(writeUnits)} write request units` },
    { item: 'DynamoDB reads', usd: readUnits * PRICES.dynamoReadUnit, basis: `${millions(readUnits)} read request units` },
    { item: 'API Gateway (HTTP API)', usd: apiRequests * PRICES.httpApiRequest, basis: `${millions(apiRequests)} requests` },
    { item: 'EventBridge Scheduler', usd: timers * PRICES.schedulerInvocation, basis: `${millions(timers)} timers fired` },
    { item: 'EventBridge events', usd: mix.eventBridge ? events * PRICES.eventBridgeEvent : 0, basis: mix.eventBridge ? `${millions(events)} events` : 'off' },
    { item: 'SQS (event callbacks)', usd: sqsRequests * PRICES.sqsRequest, basis: mix.callbackUrl ? `${millions(sqsRequests)} requests` : 'off' },
    { item: 'CloudWatch Logs', usd: (logBytes / 1e9) * PRICES.logsIngestedGb, basis: `${(logBytes / 1e9).toFixed(2)} GB ingested` },
    { item: 'X-Ray traces', usd: lambdaRequests * mix.traceSampling * PRICES.xrayTrace, basis: `${millions(lambdaRequests * mix.traceSampling)} traces` },
  ].map((line) => ({ ...line, usd: cents(line.usd) }));
  return {
    reservations,
    mix,
    prices: PRICES,
    measurements: measured,
    counts: { ...counts, 'stream record': streamRecords, event: events },
    lines,
    totalUsd: cents(lines.reduce((total, line) => total + line.usd, 0)),
  };
}

/** The table `npm run cost` prints, largest item first. */
export function renderCost(report: CostReport): string {
  const sorted = [...report.lines].sort((a, b) => b.usd - a.usd);
  const share = (usd: number) => (report.totalUsd === 0 ? 0 : Math.round((100 * usd) / report.totalUsd));
  const rows = [
    ['item', `USD per ${report.reservations.toLocaleString('en-US')} reservations`, 'share', 'basis'],
    ...sorted.map((line) => [line.item, line.usd.toFixed(2), `${share(line.usd)}%`, line.basis]),
    ['total', report.totalUsd.toFixed(2), '100%', `prices: ${report.prices.region}, list, ${report.prices.asOf}`],
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => (i === 1 || i === 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join(' | ')} |`;
  return [
    line(rows[0]!),
    `|${widths.map((w, i) => (i === 1 || i === 2 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`,
    ...rows.slice(1).map(line),
  ].join('\n');
}
