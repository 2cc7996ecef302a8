/**
 * `npm run cost`: AWS cost per 1,000,000 reservations for a stated mix (bench/cost-model.ts), from
 * what each operation was measured to use here, offline:
 *
 * - durations: the real handlers, warm, in this process, in the deployed wiring (events leave
 *   through the table's stream: publish-events is run on each task write's new image, and
 *   publish-event-callbacks POSTs one event to a local receiver), against DynamoDB Local;
 * - read and write request units: every store call asks DynamoDB Local for its
 *   ReturnConsumedCapacity, which it computes from the items' sizes as DynamoDB does;
 * - log bytes: what each invocation wrote to stdout (its log lines and metric documents).
 *
 * Durations vary from run to run: each is the median of every sample after a warm-up round,
 * rounded up to a whole millisecond (Lambda bills by the ms); request units and log bytes are
 * medians too. `--from=bench/cost.json` prices recorded measurements again with no measuring: the
 * same measurements and mix give the same table (written only to a file `--out` names).
 *
 *   npm run cost                                  measure, print, write bench/cost.json
 *   npm run cost -- --rejections=0.3 --timeouts=0.1 --callbacks=1 --callback-url=off --eventbridge=off
 *   npm run cost -- --from=bench/cost.json --rejections=0.5    re-price recorded measurements
 *   npm run cost -- --quick                       one round of two: checks the script, not the figures (writes nothing)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { DynamoDBStreamEvent, SQSEvent } from 'aws-lambda';
import { assignmentCallback } from '#functions/assignment-callback.ts';
import { publishEventCallbacks } from '#functions/publish-event-callbacks.ts';
import { publishEvents } from '#functions/publish-events.ts';
import { reservationTimeout } from '#functions/reservation-timeout.ts';
import { updateReservation } from '#functions/update-reservation.ts';
import { loadConfig } from '#lib/config.ts';
import { randomSid } from '#lib/domain/sid.ts';
import type { TaskRouterEvent } from '#lib/domain/events.ts';
import type { LambdaFunction } from '#lib/handlers/lambda-handler.ts';
import { localLambdaContext } from '#lib/local/lambda-context.ts';
import { createRuntime } from '#lib/runtime.ts';
import { createDocumentClient } from '#lib/store/client.ts';
import { TABLE, TASK_PREFIX, taskKey } from '#lib/store/table.ts';
import { ensureTable } from '#lib/store/table-setup.ts';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { MEMORY_MB } from '../infra/function-memory.ts';
import { startDynamoDbLocal } from '../test/support/dynamodb-local.ts';
import {
  DEFAULT_MIX,
  OPERATIONS,
  costOf,
  operationCounts,
  renderCost,
  type Measured,
  type Measurements,
  type Mix,
  type Operation,
  type Usage,
} from './cost-model.ts';
import { apiEvent, assignment, basicAuthHeader, callbackEvent, type Assignment } from './events.ts';

export interface CostOptions {
  /** Rounds after the warm-up one. */
  readonly rounds: number;
  /** Reservations taken through every operation per round. */
  readonly iterations: number;
}

const READS = new Set(['GetItemCommand', 'BatchGetItemCommand', 'QueryCommand', 'ScanCommand']);

interface Consumed {
  readUnits: number;
  writeUnits: number;
  /** The task items written, by partition key. */
  taskWrites: string[];
}

/** The partition keys a write's input names, in the document client's shape or DynamoDB's. */
function partitionsOf(input: Record<string, unknown>): string[] {
  const keyOf = (item: unknown) => {
    const value = (item as Record<string, unknown> | undefined)?.[TABLE.partitionKey];
    return typeof value === 'string' ? value : ((value as { S?: string } | undefined)?.S ?? undefined);
  };
  const direct = [keyOf(input['Key']), keyOf(input['Item'])];
  const batch = Object.values((input['RequestItems'] as Record<string, { PutRequest?: { Item: unknown } }[]> | undefined) ?? {}).flatMap((requests) =>
    Array.isArray(requests) ? requests.map((r) => keyOf(r.PutRequest?.Item)) : [],
  );
  return [...direct, ...batch].filter((k): k is string => k !== undefined);
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export async function measureCost(options: CostOptions): Promise<Measurements> {
  // Deployed, Powertools publishes metrics (its development mode, which tests set, would not).
  process.env['POWERTOOLS_METRICS_DISABLED'] = 'false';
  const engine = await startDynamoDbLocal();
  const receiver = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(204).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`;
  const tableName = 'cost';
  await ensureTable(engine.endpoint, tableName);

  const consumed: Consumed = { readUnits: 0, writeUnits: 0, taskWrites: [] };
  const documentClient = createDocumentClient({ endpoint: engine.endpoint });
  documentClient.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      input['ReturnConsumedCapacity'] = 'TOTAL';
      const result = await next(args);
      const units = [(result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity]
        .flat()
        .reduce((sum: number, c) => sum + ((c as { CapacityUnits?: number } | undefined)?.CapacityUnits ?? 0), 0);
      if (READS.has(context.commandName ?? '')) consumed.readUnits += units;
      else {
        consumed.writeUnits += units;
        consumed.taskWrites.push(...partitionsOf(input).filter((pk) => pk.startsWith(TASK_PREFIX)));
      }
      return result;
    },
    { step: 'initialize', name: 'costConsumedCapacity' },
  );
  const plain = createDocumentClient({ endpoint: engine.endpoint });

  let skew = 0;
  const clock = { now: () => Date.now() + skew };
  const published: TaskRouterEvent[][] = [];
  const config = loadConfig({ PORT: '3000', TABLE_NAME: tableName, DYNAMODB_ENDPOINT: engine.endpoint, EVENT_CALLBACK_URL: receiverUrl }, 'local');
  const runtime = createRuntime(
    { ...config, eventsFrom: 'stream' },
    {
      documentClient,
      clock,
      scheduler: { schedule: async () => {} },
      // Stands in for the SQS queue and the EventBridge bus, which publish-events sends the stored events to.
      eventSinks: [{ name: 'counted', deliver: async (events) => void published.push([...events]) }],
      callbackDelivery: { retry: { later: async () => {} } },
    },
  );
  const token = config.authToken!;
  const auth = basicAuthHeader(config.accountSid, token);
  const handler = <E, R>(fn: LambdaFunction<E, R>) => fn.createHandler(runtime);
  const callback = handler(assignmentCallback);
  const update = handler(updateReservation);
  const timer = handler(reservationTimeout);
  const publish = handler(publishEvents);
  const deliver = handler(publishEventCallbacks);
  const context = (name: string) => localLambdaContext(name, 30);

  /** One invocation: its duration, request units, log bytes and task writes; stdout is counted, not shown. */
  async function measured<T>(run: () => Promise<T>): Promise<{ usage: Usage; taskWrites: string[]; result: T }> {
    consumed.readUnits = 0;
    consumed.writeUnits = 0;
    consumed.taskWrites = [];
    let logBytes = 0;
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array) => {
      logBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
      return true;
    }) as typeof process.stdout.write;
    const started = performance.now();
    let result: T;
    try {
      result = await run();
    } finally {
      process.stdout.write = write;
    }
    const ms = performance.now() - started;
    return { usage: { ms, readUnits: consumed.readUnits, writeUnits: consumed.writeUnits, logBytes }, taskWrites: [...consumed.taskWrites], result };
  }

  /** publish-events on the records of these task writes, one invocation each, as a quiet table's stream delivers them. */
  async function publishWrites(taskWrites: readonly string[]): Promise<Measured['published']> {
    const total = { ms: 0, readUnits: 0, writeUnits: 0, logBytes: 0, events: 0, queueSends: 0 };
    for (const pk of taskWrites) {
      const { Item } = await plain.send(
        new GetCommand({
          TableName: tableName,
          Key: { [TABLE.partitionKey]: pk, [TABLE.sortKey]: taskKey({ accountSid: '', workspaceSid: '', taskSid: '' }).sk },
        }),
      );
      const image = marshall(Item!, { removeUndefinedValues: true, convertClassInstanceToMap: true });
      const event = {
        Records: [
          {
            eventID: '1',
            eventName: 'MODIFY',
            eventSource: 'aws:dynamodb',
            dynamodb: { Keys: { pk: image['pk']!, sk: image['sk']! }, NewImage: image, StreamViewType: 'NEW_AND_OLD_IMAGES' },
          },
        ],
      } as unknown as DynamoDBStreamEvent;
      published.length = 0;
      const { usage } = await measured(() => publish(event, context('publish-events')));
      const events = published.flat().length;
      total.ms += usage.ms;
      total.readUnits += usage.readUnits;
      total.writeUnits += usage.writeUnits;
      total.logBytes += usage.logBytes;
      total.events += events;
      total.queueSends += Math.ceil(events / 10);
      lastEvents = published.flat();
    }
    return total;
  }
  let lastEvents: TaskRouterEvent[] = [];

  const samples = new Map<Operation, Measured[]>(OPERATIONS.map((op) => [op, []]));
  const eventCallbacks: Usage[] = [];
  const taskPath = (a: Assignment) => `/v1/Workspaces/${a.sids.workspace}/Tasks/${a.sids.task}/Reservations/${a.sids.reservation}`;
  const timerOf = (a: Assignment) => ({
    accountSid: config.accountSid,
    workspaceSid: a.sids.workspace,
    taskSid: a.sids.task,
    reservationSid: a.sids.reservation,
  });

  async function sample(op: Operation | undefined, run: () => Promise<unknown>): Promise<void> {
    const { usage, taskWrites, result } = await measured(run);
    const status = (result as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 300) throw new Error(`${op ?? 'a set-up request'} answered ${status}`);
    const publishedUsage = await publishWrites(taskWrites);
    if (op) samples.get(op)!.push({ ...usage, streamRecords: taskWrites.length, published: publishedUsage });
  }
  // One contact centre's traffic, as the statistics bench's: one workspace and workflow, 8 task
  // queues, 50 workers. A new workspace, queue and worker for every reservation would write, for
  // every one, what counting writes once per process (the workspace's, queue's and worker's
  // directory items, the hour's mark).
  const workspaceSid = randomSid('WS');
  const workflowSid = randomSid('WW');
  const queues = Array.from({ length: 8 }, () => randomSid('WQ'));
  const workers = Array.from({ length: 50 }, () => randomSid('WK'));
  let reservations = 0;
  const reservation = (): Assignment => {
    const a = assignment(config.accountSid);
    const i = reservations++;
    const worker = workers[i % workers.length]!;
    return {
      sids: { ...a.sids, workspace: workspaceSid, worker },
      params: { ...a.params, WorkspaceSid: workspaceSid, WorkflowSid: workflowSid, TaskQueueSid: queues[i % queues.length]!, WorkerSid: worker },
    };
  };
  const answer = (a: Assignment, status: string) => () =>
    update(apiEvent('POST', taskPath(a), { form: { ReservationStatus: status }, headers: auth }), context('update-reservation'));

  for (let round = 0; round <= options.rounds; round++) {
    const keep = round > 0;
    for (let i = 0; i < options.iterations; i++) {
      const op = (name: Operation) => (keep ? name : undefined);
      const accepted = reservation();
      const signed = callbackEvent(accepted, config.publicBaseUrl, token);
      await sample(op('callback'), () => callback(signed, context('assignment-callback')));
      await sample(op('callback repeat'), () => callback(signed, context('assignment-callback')));
      await sample(op('accept'), answer(accepted, 'accepted'));
      await sample(op('wrap up'), answer(accepted, 'wrapping'));
      await sample(op('complete'), answer(accepted, 'completed'));
      await sample(op('timer: nothing to do'), () => timer(timerOf(accepted), context('reservation-timeout')));
      // One event of the last write, delivered to the callback URL from the queue.
      const message = { messageId: 'm', receiptHandle: 'r', body: JSON.stringify({ event: lastEvents[0] }), attributes: { ApproximateReceiveCount: '1' } };
      const delivery = await measured(() => deliver({ Records: [message] } as unknown as SQSEvent, context('publish-event-callbacks')));
      if (keep) eventCallbacks.push(delivery.usage);

      const rejected = reservation();
      await sample(undefined, () => callback(callbackEvent(rejected, config.publicBaseUrl, token), context('assignment-callback')));
      await sample(op('reject'), answer(rejected, 'rejected'));

      const expired = reservation();
      await sample(undefined, () => callback(callbackEvent(expired, config.publicBaseUrl, token), context('assignment-callback')));
      skew = (config.reservationTimeoutSeconds + 1) * 1000;
      await sample(op('timer: expired'), () => timer(timerOf(expired), context('reservation-timeout')));
      skew = 0;
    }
  }

  runtime.close();
  plain.destroy();
  receiver.close();
  await engine.stop();

  const summary = (usages: readonly Usage[]): Usage => ({
    ms: Math.ceil(median(usages.map((u) => u.ms))),
    readUnits: median(usages.map((u) => u.readUnits)),
    writeUnits: median(usages.map((u) => u.writeUnits)),
    logBytes: Math.round(median(usages.map((u) => u.logBytes))),
  });
  const operations = Object.fromEntries(
    OPERATIONS.map((op) => {
      const all = samples.get(op)!;
      const published = summary(all.map((m) => m.published));
      return [
        op,
        {
          ...summary(all),
          streamRecords: median(all.map((m) => m.streamRecords)),
          published: { ...published, events: median(all.map((m) => m.published.events)), queueSends: median(all.map((m) => m.published.queueSends)) },
        } satisfies Measured,
      ];
    }),
  ) as Record<Operation, Measured>;
  return { memoryMb: MEMORY_MB, operations, eventCallback: summary(eventCallbacks) };
}

/** The mix from the command line's flags, the default mix's values where a flag is absent. */
export function mixFrom(values: Record<string, string | boolean | undefined>): Mix {
  const number = (name: string, fallback: number) => {
    const value = values[name];
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (typeof value !== 'string' || !Number.isFinite(parsed) || parsed < 0) throw new Error(`--${name} must be a number >= 0`);
    return parsed;
  };
  const onOff = (name: string, fallback: boolean) => {
    const value = values[name];
    if (value === undefined) return fallback;
    if (value === 'on' || value === 'off') return value === 'on';
    throw new Error(`--${name} must be on or off`);
  };
  return {
    callbacks: number('callbacks', DEFAULT_MIX.callbacks),
    rejections: number('rejections', DEFAULT_MIX.rejections),
    timeouts: number('timeouts', DEFAULT_MIX.timeouts),
    callbackUrl: onOff('callback-url', DEFAULT_MIX.callbackUrl),
    eventBridge: onOff('eventbridge', DEFAULT_MIX.eventBridge),
    streamBatch: Math.max(1, number('stream-batch', DEFAULT_MIX.streamBatch)),
    queueBatch: Math.max(1, number('queue-batch', DEFAULT_MIX.queueBatch)),
    traceSampling: number('trace-sampling', DEFAULT_MIX.traceSampling),
  };
}

/** The command line, or one line saying what is wrong with it (no stack trace) and exit status 2. */
function commandLine() {
  const mixFlags = ['callbacks', 'rejections', 'timeouts', 'callback-url', 'eventbridge', 'stream-batch', 'queue-batch', 'trace-sampling'] as const;
  try {
    const { values } = parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        from: { type: 'string' },
        out: { type: 'string' },
        ...Object.fromEntries(mixFlags.map((flag) => [flag, { type: 'string' }])),
      },
    });
    const mix = mixFrom(values);
    // Refuses shares that cannot be (rejections and timeouts above 1 together) before measuring.
    operationCounts(mix);
    return { values, mix };
  } catch (error) {
    process.stderr.write(
      `npm run cost: ${(error as Error).message}\nflags: --quick, --from=FILE, --out=FILE, ${mixFlags.map((flag) => `--${flag}=…`).join(', ')} (bench/cost.ts says what each means)\n`,
    );
    process.exit(2);
  }
}

if (import.meta.filename === process.argv[1]) {
  // The AWS SDK warns that it will want Node 22 in 2027; the local tools support Node 20.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const { values, mix } = commandLine();
  const measurements = values.from
    ? (JSON.parse(readFileSync(values.from, 'utf8')) as { measurements: Measurements }).measurements
    : await measureCost(values.quick ? { rounds: 1, iterations: 2 } : { rounds: 5, iterations: 10 });
  const report = costOf(measurements, mix);
  // Measuring records bench/cost.json; pricing recorded measurements again (another mix, a what-if)
  // and a quick check (two samples: not figures to keep) write only where --out says, so as not to
  // replace the record.
  const out = values.out ?? (values.from || values.quick ? undefined : join(import.meta.dirname, 'cost.json'));
  if (out !== undefined) writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(
    `${renderCost(report)}\n\nmix: ${JSON.stringify(mix)}\n${values.from ? `measurements from ${values.from}` : 'measured here'}${out ? `; written to ${out}` : ''}\n`,
  );
}
