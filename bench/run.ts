/**
 * `npm run bench`: every performance figure (README, "Performance"), each measured against its
 * floor in the same run, in alternating rounds after a warm-up, and judged against its target; a
 * table on stdout and bench/results.json.
 *
 *   npm run bench                      the full run (a few minutes)
 *   npm run bench -- --quick           tiny counts: checks the harness, not the figures
 *   npm run bench -- --only=cold,http  some figures (in-process, store-calls, http, connected, cold, console, overview, wrap-up, statistics)
 *   npm run bench -- --out=file.json   where the results go (default bench/results.json)
 */
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measureColdStart, type ColdStartResult } from './cold-start.ts';
import { measureConsole, measureOverview, type ComparedBrowser, type ConsoleResult, type OverviewResult } from './console.ts';
import { ACCEPTS_PER_SECOND, UPSTREAM_DELAY_MS, measureConnected, type ConnectedResult } from './connected.ts';
import { measureHttp, type HttpResult } from './http.ts';
import type { InProcessOptions, InProcessResult } from './in-process.ts';
import type { Ratio } from './stats.ts';
import { LOCAL_SUFFIX, type CallCount } from './store-calls.ts';
import { measureWrapUp, type WrapUpResult } from './wrap-up.ts';
import { measureStatistics, type StatisticsResult } from './statistics.ts';

const FIGURES = ['in-process', 'store-calls', 'http', 'connected', 'cold', 'console', 'overview', 'wrap-up', 'statistics'] as const;
type Figure = (typeof FIGURES)[number];

export interface BenchOptions {
  readonly quick: boolean;
  readonly only: readonly Figure[];
}

export interface Row {
  readonly figure: string;
  readonly measured: string;
  readonly target: string;
  readonly pass: boolean;
  /** The ratio, where the figure is one. */
  readonly ratio?: Ratio;
  /** Absolute values behind it, for the reader (they drift with the machine; the ratio should not). */
  readonly detail?: string;
}

export interface BenchResults {
  readonly date: string;
  readonly machine: { readonly node: string; readonly platform: string; readonly cpus: number; readonly cpuModel: string; readonly memoryGiB: number };
  readonly options: BenchOptions;
  readonly rows: readonly Row[];
  readonly pass: boolean;
}

type Counted = CallCount & { readonly schedules: number };

/** At most these many of each kind of call (a read and a query are one page either way). */
const budget = (text: string, max: { writes: number; pages: number; batchReads?: number; schedules?: number }) => ({
  text,
  within: (c: Counted) =>
    c.writes <= max.writes && c.reads + c.queries <= max.pages && c.batchReads <= (max.batchReads ?? 0) && c.schedules <= (max.schedules ?? 0),
});

/** Store-call budgets per operation, counted in bench/in-process.ts: few round trips a request. */
const BUDGETS: Record<string, { readonly text: string; readonly within: (c: Counted) => boolean }> = {
  callback: budget('<= 2 writes (+1 schedule)', { writes: 2, pages: 0, schedules: 1 }),
  accept: budget('<= 2 writes', { writes: 2, pages: 0 }),
  reject: budget('<= 2 writes', { writes: 2, pages: 0 }),
  'reject with WorkerActivitySid': budget('<= 2 writes', { writes: 2, pages: 0 }),
  fetch: budget('1 read', { writes: 0, pages: 1 }),
  'list page': budget('1 query', { writes: 0, pages: 1 }),
  'list page, worker-scoped': budget('1 query (+1 batch read)', { writes: 0, pages: 1, batchReads: 1 }),
  // With events: unchanged deployed (the stream carries them); locally at most one write more.
  [`callback${LOCAL_SUFFIX}`]: budget('<= 3 writes (+1 schedule)', { writes: 3, pages: 0, schedules: 1 }),
  [`accept${LOCAL_SUFFIX}`]: budget('<= 3 writes', { writes: 3, pages: 0 }),
  [`reject${LOCAL_SUFFIX}`]: budget('<= 3 writes', { writes: 3, pages: 0 }),
  [`reject with WorkerActivitySid${LOCAL_SUFFIX}`]: budget('<= 3 writes', { writes: 3, pages: 0 }),
};

/** Without a budget, shown so the store design hides nothing (see README, "How it is built"). */
const INFORMATIONAL = new Set(['fetch, worker-scoped']);

const fmt = (n: number, digits = 2) => n.toFixed(digits);
const ratioText = (r: Ratio) => `${fmt(r.median)} (${fmt(r.min)}–${fmt(r.max)})`;
/** A console row's other browser (bench/console.ts says why the row is measured in the headless shell). */
const compared = (other: ComparedBrowser | undefined) =>
  other
    ? `; in ${other.browser}, the full browser, on the same stack: ${fmt(other.render.median, 0)} ms (${fmt(other.render.min, 0)}–${fmt(other.render.max, 0)})`
    : '';

function callsText(c: Counted): string {
  const parts = [
    c.writes && `${c.writes} write${c.writes > 1 ? 's' : ''}`,
    c.reads && `${c.reads} read${c.reads > 1 ? 's' : ''}`,
    c.queries && `${c.queries} quer${c.queries > 1 ? 'ies' : 'y'}`,
    c.batchReads && `${c.batchReads} batch read${c.batchReads > 1 ? 's' : ''}`,
    c.schedules && `${c.schedules} schedule`,
  ].filter(Boolean);
  return parts.join(' + ') || 'none';
}

/** The in-process figures run in a child: its handlers' logs go to a stdout nobody reads. */
function inProcess(options: InProcessOptions): Promise<InProcessResult> {
  return new Promise((resolve, reject) => {
    const child = fork(join(import.meta.dirname, 'in-process.ts'), ['--child'], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    child.once('message', (message: { result?: InProcessResult; error?: string }) =>
      message.result ? resolve(message.result) : reject(new Error(message.error)),
    );
    child.once('exit', (code) => code !== 0 && reject(new Error(`bench/in-process.ts exited ${code}`)));
    child.send(options);
  });
}

export async function runBench(options: BenchOptions, log: (line: string) => void = () => {}): Promise<BenchResults> {
  const { quick, only } = options;
  const rows: Row[] = [];
  const wants = (f: Figure) => only.includes(f);

  let inProc: InProcessResult | undefined;
  if (wants('in-process') || wants('store-calls') || wants('http')) {
    log('in-process: the callback handler against its own store calls, bare');
    inProc = await inProcess(quick ? { rounds: 2, iterations: 20 } : { rounds: 25, iterations: 100 });
  }
  if (inProc && wants('in-process')) {
    const { ratio, handlerMs, bareMs } = inProc.callback;
    rows.push({
      figure: 'assignment callback in-process / bare store calls',
      measured: ratioText(ratio),
      target: '<= 1.3',
      pass: ratio.median <= 1.3,
      ratio,
      detail: `${fmt(handlerMs, 3)} ms vs ${fmt(bareMs, 3)} ms per callback`,
    });
  }
  if (inProc && wants('store-calls')) {
    for (const [operation, count] of Object.entries(inProc.storeCalls)) {
      const budget = BUDGETS[operation];
      rows.push({
        figure: `store calls: ${operation}`,
        measured: callsText(count),
        target: budget?.text ?? (INFORMATIONAL.has(operation) ? 'none (informational)' : 'none'),
        pass: budget ? budget.within(count) : true,
      });
    }
  }
  if (inProc && wants('http')) {
    log('http: the local stack against a bare node:http server, concurrency 32');
    const http: HttpResult = await measureHttp(
      quick ? { rounds: 1, seconds: 1, connections: 8 } : { rounds: 5, seconds: 5, connections: 32 },
      inProc.templates,
    );
    for (const [name, figure] of [
      ['signed callbacks per second', http.callbacks],
      ['accepts per second', http.accepts],
    ] as const) {
      rows.push({
        figure: `HTTP ${name}: stack / bare server`,
        measured: ratioText(figure.ratio),
        target: '>= 0.7',
        pass: figure.ratio.median >= 0.7,
        ratio: figure.ratio,
        detail: `${fmt(figure.stack, 0)}/s vs ${fmt(figure.bare, 0)}/s`,
      });
    }
  }
  if (wants('connected')) {
    log('connected: the gateway in front of an upstream stack, against a bare proxy and a bare event writer');
    const connected: ConnectedResult = await measureConnected(quick ? { rounds: 1, seconds: 1, connections: 4 } : { rounds: 5, seconds: 4, connections: 16 });
    const { latency, cpu } = connected;
    for (const [quantile, target] of [
      ['p50', 1.15],
      ['p99', 1.5],
    ] as const) {
      rows.push({
        figure: `connected accept latency ${quantile}, upstream answering after ${UPSTREAM_DELAY_MS} ms, ${ACCEPTS_PER_SECOND}/s: gateway / bare proxy`,
        measured: ratioText(latency[quantile]),
        target: `<= ${target}`,
        pass: latency[quantile].median <= target,
        ratio: latency[quantile],
        detail: `${fmt(latency.gatewayMs[quantile], 1)} ms vs ${fmt(latency.proxyMs[quantile], 1)} ms`,
      });
    }
    rows.push({
      figure: 'connected accept CPU: gateway / standalone accept',
      measured: ratioText(cpu.ratio),
      target: '<= 2.0 (informational)',
      pass: cpu.ratio.median <= 2.0,
      ratio: cpu.ratio,
      detail: `${fmt(cpu.gatewayMs, 2)} ms vs ${fmt(cpu.standaloneMs, 2)} ms of CPU per accept`,
    });
    const events = connected.eventCallbacks;
    rows.push({
      figure: 'event callbacks taken in per second: gateway / bare server, one conditional write each',
      measured: ratioText(events.ratio),
      target: '>= 0.5',
      pass: events.ratio.median >= 0.5,
      ratio: events.ratio,
      detail: `${fmt(events.stack, 0)}/s vs ${fmt(events.bare, 0)}/s; a round's events all applied ${fmt(connected.drainMs / 1000, 1)} s after its last answer, at most`,
    });
  }
  if (wants('cold')) {
    log('cold start: the bundles as the stack builds them');
    const cold: ColdStartResult = await measureColdStart(quick ? { rounds: 1, starts: 2 } : { rounds: 11, starts: 10 });
    rows.push({
      figure: 'cold start: node importing the callback bundle / node bare',
      measured: ratioText(cold.ratio),
      target: '<= 2.0',
      pass: cold.ratio.median <= 2.0,
      ratio: cold.ratio,
      detail: `${fmt(cold.importMs, 1)} ms vs ${fmt(cold.bareMs, 1)} ms`,
    });
    rows.push({
      figure: 'cold start with init (deployed environment: runtime built) / node bare',
      measured: ratioText(cold.init.ratio),
      target: 'none (informational)',
      pass: true,
      ratio: cold.init.ratio,
      detail: `${fmt(cold.init.importMs, 1)} ms vs ${fmt(cold.init.bareMs, 1)} ms`,
    });
    const { firstAnswer } = cold;
    rows.push({
      figure:
        'cold start to first answer: callback bundle (its own AWS clients), deployed environment / minimal function making the same calls with the AWS SDK',
      measured: ratioText(firstAnswer.ratio),
      target: '<= 1.0',
      pass: firstAnswer.ratio.median <= 1.0,
      ratio: firstAnswer.ratio,
      detail: `${fmt(firstAnswer.ownMs, 1)} ms vs ${fmt(firstAnswer.minimalMs, 1)} ms; init ${fmt(cold.init.ratio.median)} × node bare; against the minimal function with X-Ray tracing (${fmt(firstAnswer.tracedMs, 1)} ms): ${ratioText(firstAnswer.tracedRatio)}`,
    });
    for (const [name, bytes] of Object.entries(cold.sizes)) {
      rows.push({
        figure: `bundle size: ${name}`,
        measured: `${fmt(bytes / 1024, 0)} KB (entry ${fmt(cold.entrySizes[name as keyof typeof cold.entrySizes] / 1024, 0)} KB)`,
        target: '<= 700 KB',
        pass: bytes <= 700 * 1024,
      });
    }
  }

  if (wants('console')) {
    log('console: a worker with 200 reservations in headless Chromium, on npm start');
    const result: ConsoleResult = await measureConsole(quick ? { rounds: 1, reservations: 200 } : { rounds: 11, reservations: 200 });
    const { render } = result;
    rows.push({
      figure: `console: first render of a worker with ${result.reservations} reservations`,
      measured: `${fmt(render.median, 0)} ms (${fmt(render.min, 0)}–${fmt(render.max, 0)})`,
      target: '<= 1000 ms',
      pass: render.median <= 1000,
      detail: `${result.browser}, from navigation to the painted list, a new context each round${compared(result.compared)}`,
    });
    rows.push({
      figure: 'console: page weight',
      measured: `${fmt(result.pageBytes / 1024, 1)} KB`,
      target: '<= 150 KB',
      pass: result.pageBytes <= 150 * 1024,
      detail: 'uncompressed: HTML, style and script in one document',
    });
  }

  if (wants('overview')) {
    log('overview: a workspace with 500 workers and 2,000 reservations today in headless Chromium, on npm start');
    const result: OverviewResult = await measureOverview(
      quick ? { rounds: 1, workers: 10, reservations: 40, rolledUp: false } : { rounds: 11, workers: 500, reservations: 2000, rolledUp: true },
    );
    const { render } = result;
    rows.push({
      figure: `console overview: first render of a workspace with ${result.workers} workers and ${fmt(result.reservations, 0)} reservations today`,
      measured: `${fmt(render.median, 0)} ms (${fmt(render.min, 0)}–${fmt(render.max, 0)})`,
      target: '<= 1000 ms',
      pass: render.median <= 1000,
      detail: `${result.browser}, from navigation to the painted overview (tiles, charts, every worker's row), a new context each round; its six reads all answered at ${fmt(result.readsAnswered.median, 0)} ms (median)${compared(result.compared)}`,
    });
  }

  if (wants('wrap-up')) {
    log('wrap-up: reservations wrapping under a 1 s limit on npm start, in waves of ten');
    const result: WrapUpResult = await measureWrapUp({ reservations: quick ? 10 : 100 });
    const { lagMs } = result;
    rows.push({
      figure: 'wrap-up timer: completion written after the deadline (local stack)',
      measured: `${fmt(lagMs.median, 0)} ms (${fmt(lagMs.min, 0)}–${fmt(lagMs.max, 0)})`,
      target: 'max <= 1000 ms; reads at the deadline say completed',
      pass: lagMs.max <= 1000 && result.readsCompleted === result.readsAtDeadline,
      detail: `${result.reservations} reservations; ${result.readsCompleted} of ${result.readsAtDeadline} reads made at the deadline said completed (${result.readsBeforeWrite} of them before the timer's write)`,
    });
  }

  if (wants('statistics')) {
    log('statistics: a 30-day read against a 15-minute one, and callbacks with statistics on against off (dynalite, in process)');
    const stats: StatisticsResult = await measureStatistics(
      quick ? { rounds: 1, events: 2_000, reads: 2, callbacks: 40 } : { rounds: 7, events: 100_000, reads: 10, callbacks: 800 },
    );
    rows.push({
      figure: `statistics: a 30-day cumulative read / a 15-minute one, ${fmt(stats.events, 0)} events`,
      measured: ratioText(stats.reads),
      target: '<= 3.0',
      pass: stats.reads.median <= 3.0,
      ratio: stats.reads,
      detail: `${fmt(stats.readMs.month, 1)} ms vs ${fmt(stats.readMs.quarterHour, 1)} ms a read (roll-ups kept by the first)`,
    });
    rows.push({
      figure: 'statistics: events per second with STATISTICS=on / off',
      measured: ratioText(stats.writes),
      target: '>= 0.8',
      pass: stats.writes.median >= 0.8,
      ratio: stats.writes,
      detail: `${fmt(stats.writeRates.on, 0)}/s vs ${fmt(stats.writeRates.off, 0)}/s, assignment callbacks (one event each), 8 at a time`,
    });
  }

  const cpu = cpus();
  return {
    date: new Date().toISOString(),
    machine: {
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpus: cpu.length,
      cpuModel: cpu[0]?.model ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
    },
    options,
    rows,
    pass: rows.every((row) => row.pass),
  };
}

export function renderTable(results: BenchResults): string {
  const header = ['figure', 'measured: median (min–max)', 'target', 'pass', 'detail'];
  const lines = results.rows.map((r) => [r.figure, r.measured, r.target, r.pass ? 'yes' : 'NO', r.detail ?? '']);
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...lines.map((cells) => `| ${cells.join(' | ')} |`)].join('\n');
}

if (import.meta.filename === process.argv[1]) {
  // The AWS SDK warns that it will want Node 22 in 2027; the functions run on Node 22.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, out: { type: 'string' } } });
  const only = (values.only?.split(',').map((f) => f.trim()) ?? [...FIGURES]) as Figure[];
  const unknown = only.filter((f) => !FIGURES.includes(f));
  if (unknown.length > 0) {
    process.stderr.write(`unknown figure(s) ${unknown.join(', ')}: choose from ${FIGURES.join(', ')}\n`);
    process.exit(2);
  }
  const results = await runBench({ quick: values.quick, only }, (line) => process.stderr.write(`bench: ${line}\n`));
  const out = values.out ?? join(import.meta.dirname, 'results.json');
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(
    `${renderTable(results)}\n\n${results.machine.cpus} × ${results.machine.cpuModel}, Node ${results.machine.node}, ${results.date}\nresults: ${out}\n`,
  );
  if (!results.pass) process.exitCode = 1;
}
