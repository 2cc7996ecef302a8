/**
 * The statistics' two figures, on the embedded engine (dynalite), in process:
 *
 * - what a read costs by its window: a workspace holding `events` events over 30 days, its 30-day
 *   cumulative statistics against its last 15 minutes', each read after a first one (which rolls
 *   the periods up and keeps them, as any first read does);
 * - what counting costs the write path: assignment callbacks (one event each, counted, stored)
 *   per second with STATISTICS=on against the same with STATISTICS=off.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '#lib/config.ts';
import { parseAssignmentCallback } from '#lib/domain/assignment-callback.ts';
import type { TaskRouterEvent } from '#lib/domain/events.ts';
import { eventSid } from '#lib/domain/events.ts';
import { randomSid as sid } from '#lib/domain/sid.ts';
import { startDynalite } from '#lib/local/dynamodb-engine.ts';
import { createRuntime, type Runtime } from '#lib/runtime.ts';
import { StatisticsRecorder } from '#lib/statistics/statistics-recorder.ts';
import { StatisticsService } from '#lib/statistics/statistics-service.ts';
import { createDocumentClient } from '#lib/store/client.ts';
import { dynamoDbStores } from '#lib/store/stores.ts';
import { ensureTable } from '#lib/store/table-setup.ts';
import { LOCAL_ACCOUNT_SID } from '#lib/config.ts';
import { alternate, collectGarbage, type Ratio } from './stats.ts';
import { assignment } from './events.ts';

export interface StatisticsOptions {
  readonly rounds: number;
  /** Events in the workspace read. */
  readonly events: number;
  /** Reads per round of each window. */
  readonly reads: number;
  /** Callbacks per round of each setting. */
  readonly callbacks: number;
}

export interface StatisticsResult {
  /** Time of a 30-day read / a 15-minute read. */
  readonly reads: Ratio;
  readonly readMs: { readonly month: number; readonly quarterHour: number };
  /** Events per second with statistics on / off. */
  readonly writes: Ratio;
  readonly writeRates: { readonly on: number; readonly off: number };
  readonly events: number;
}

const DAY = 86_400_000;
const BURST = 20;

/** `count` reservation events of one workspace, in bursts of 20 a second, spread over the last 30 days (and its last 15 minutes). */
function syntheticEvents(scope: { accountSid: string; workspaceSid: string }, count: number, now: number): TaskRouterEvent[] {
  const queues = Array.from({ length: 8 }, () => sid('WQ'));
  const workers = Array.from({ length: 50 }, () => sid('WK'));
  const workflow = sid('WW');
  const types = ['reservation.created', 'reservation.accepted', 'reservation.rejected', 'reservation.timeout'] as const;
  const bursts = Math.ceil(count / BURST);
  const events: TaskRouterEvent[] = [];
  for (let b = 0; b < bursts; b++) {
    // A burst is one task's reservations: one claim item a burst, as a task's events share one.
    const taskSid = sid('WT');
    // The last tenth of the bursts fall in the last 15 minutes: that window has something to count too.
    const at =
      b % 10 === 0 ? now - 60_000 - Math.floor((b / bursts) * 13 * 60_000) : now - 30 * DAY + 60_000 + Math.floor((b / bursts) * (30 * DAY - 20 * 60_000));
    for (let i = 0; i < BURST && events.length < count; i++) {
      const reservationSid = sid('WR');
      const type = types[i % types.length]!;
      events.push({
        sid: eventSid(scope.accountSid, scope.workspaceSid, reservationSid, type),
        type,
        accountSid: scope.accountSid,
        workspaceSid: scope.workspaceSid,
        at: at + i,
        resourceType: 'reservation',
        resourceSid: reservationSid,
        description: '',
        data: { TaskAge: String(i) },
        taskSid,
        reservationSid,
        workerSid: workers[(b + i) % workers.length]!,
        taskQueueSid: queues[(b + i) % queues.length]!,
        workflowSid: workflow,
      });
    }
  }
  return events;
}

async function timed(fn: () => Promise<unknown>, times: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < times; i++) await fn();
  return (performance.now() - start) / times;
}

export async function measureStatistics(options: StatisticsOptions): Promise<StatisticsResult> {
  const engine = await startDynalite();
  try {
    const client = createDocumentClient({ endpoint: engine.endpoint });
    const tableName = `bench${randomBytes(4).toString('hex')}`;
    await ensureTable(engine.endpoint, tableName);
    const clock = { now: () => Date.now() };
    const stores = dynamoDbStores({ client, tableName, retentionDays: 30 });
    const scope = { accountSid: LOCAL_ACCOUNT_SID, workspaceSid: sid('WS') };
    const events = syntheticEvents(scope, options.events, clock.now());
    const recorder = new StatisticsRecorder(stores.statistics, clock);
    // Counted as the event store counts them: the events of a write together.
    for (let i = 0; i < events.length; i += BURST) await recorder.count(events.slice(i, i + BURST));

    const service = new StatisticsService({ store: stores.statistics, tasks: stores.tasks, clock, days: 30 });
    const ids = { ...scope, url: 'http://bench/Statistics' };
    const windowOf = (ms: number) => {
      const now = clock.now();
      return { window: { fromSecond: Math.floor((now - ms) / 1000), toSecond: Math.floor(now / 1000) } };
    };
    const month = () => service.cumulative(ids, { kind: 'workspace' }, windowOf(30 * DAY - 60_000), 'bench');
    const quarterHour = () => service.cumulative(ids, { kind: 'workspace' }, windowOf(15 * 60_000), 'bench');
    const counted = (await month()).reservations_created + (await month()).reservations_accepted;
    if (counted === 0) throw new Error('the 30-day read counted nothing');
    const readMs = { month: 0, quarterHour: 0 };
    const reads = await alternate(
      options.rounds,
      async () => (readMs.month = await timed(month, options.reads)),
      async () => (readMs.quarterHour = await timed(quarterHour, options.reads)),
    );

    // The write path: a runtime each, on its own table, as `npm start` builds it: its store calls
    // reach the embedded engine in process, without a socket (lib/local/in-process-handler.ts).
    const inProcess = createDocumentClient({ endpoint: engine.endpoint, handler: engine.handler });
    const runtimeWith = async (statistics: 'on' | 'off'): Promise<Runtime> => {
      const table = `bench${randomBytes(4).toString('hex')}`;
      await ensureTable(engine.endpoint, table);
      // Timers are not what is measured: both settings arm none.
      const scheduler = { schedule: async () => undefined };
      return createRuntime(loadConfig({ DYNAMODB_ENDPOINT: engine.endpoint, TABLE_NAME: table, STATISTICS: statistics }, 'local'), {
        scheduler,
        documentClient: inProcess,
      });
    };
    const [on, off] = [await runtimeWith('on'), await runtimeWith('off')];
    // One workspace's traffic: its 8 queues and 50 workers, a new task each callback.
    const workspaceSid = sid('WS');
    const queues = Array.from({ length: 8 }, () => sid('WQ'));
    const workers = Array.from({ length: 50 }, () => sid('WK'));
    const rate = async (runtime: Runtime) => {
      const callbacks = Array.from({ length: options.callbacks }, (_, i) => {
        const a = assignment(LOCAL_ACCOUNT_SID);
        const params = { ...a.params, WorkspaceSid: workspaceSid, TaskQueueSid: queues[i % 8]!, WorkerSid: workers[i % 50]! };
        return parseAssignmentCallback(new Map(Object.entries(params).map(([k, v]) => [k, [v]])));
      });
      // Each round from a collected heap: the settings alternate and counting allocates more, so
      // without it a round would pay for part of the round before it (and, in the full run, for
      // what the figures before this one left).
      collectGarbage();
      const start = performance.now();
      // Eight at a time, as concurrent requests would.
      for (let i = 0; i < callbacks.length; i += 8) await Promise.all(callbacks.slice(i, i + 8).map((c) => runtime.service.assign(c, 120)));
      return callbacks.length / ((performance.now() - start) / 1000);
    };
    const writeRates = { on: 0, off: 0 };
    // Rates: higher is better, so the ratio is on/off with off as the floor passed inverted.
    const inverse = await alternate(
      options.rounds,
      async () => {
        writeRates.on = await rate(on);
        return 1 / writeRates.on;
      },
      async () => {
        writeRates.off = await rate(off);
        return 1 / writeRates.off;
      },
    );
    on.close();
    off.close();
    inProcess.destroy();
    client.destroy();
    const writes: Ratio = {
      median: 1 / inverse.median,
      min: 1 / inverse.max,
      max: 1 / inverse.min,
      rounds: inverse.rounds.map((r) => 1 / r),
    };
    return { reads, readMs, writes, writeRates, events: events.length };
  } finally {
    await engine.close();
  }
}
