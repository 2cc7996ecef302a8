/**
 * The console's figures: the first render of the worker view of a worker with 200 reservations,
 * and of the overview of a workspace with 500 workers and 2,000 reservations today, in headless
 * Chromium against `npm start`'s stack (a child process, as for the HTTP figures), measured from
 * navigation to the painted view; and the page's weight, uncompressed, as GET /console serves it.
 *
 * Each round opens a new browser context (no cache, no session but the one it signs in with), so
 * every render is a first visit: the page downloaded, parsed, the script run, the view's reads
 * answered by the REST API and its tables built.
 *
 * The browser is Chromium's headless shell where this platform has it (npm's @sparticuz/chromium,
 * Linux x64), as Playwright's own headless mode uses: the page's engine (Blink and V8) without a
 * desktop browser around it. Full Chromium in headless mode runs its desktop machinery too, and
 * spends several times the CPU per page load (about 1–2.5 s against 0.2 s here), which on a
 * machine where the stack shares the same two cores is taken from the stack answering the page's
 * reads: a contention a viewer's browser, on a machine of its own, does not cause. When the tests'
 * Chromium is another (the system one), the figures report its median beside, measured on the
 * same seeded stack. CHROMIUM_SOURCE or CHROMIUM_PATH choose the browser instead.
 */
import { LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN } from '#lib/config.ts';
import { randomSid as sid } from '#lib/domain/sid.ts';
import { ROLL_UP_AFTER_SECONDS } from '#lib/domain/statistics-periods.ts';
import { twilioSignature } from '#lib/signature.ts';
import { chooseChromium, describeChromium, launchChromium, signedInContext } from '../test/support/browser.ts';
import { npmChromiumLocation } from '../test/support/npm-chromium.ts';
import { assignment } from './events.ts';
import { startServer, type Server } from './http.ts';
import { ratioOf, type Ratio } from './stats.ts';

export interface ConsoleOptions {
  readonly rounds: number;
  readonly reservations: number;
}

export interface ConsoleResult {
  /** Milliseconds from navigation to the rendered list, per round (median, min, max). */
  readonly render: Ratio;
  readonly reservations: number;
  /** Bytes of GET /console's body. */
  readonly pageBytes: number;
  /** The browser's version and which one it was: `Chromium 143.0.7499.0 (npm @sparticuz/chromium 143.0.4)`. */
  readonly browser: string;
  /** The tests' Chromium, when it is another: the same rounds on the same stack. */
  readonly compared?: ComparedBrowser;
}

/** The environment whose Chromium the figures are measured in: the headless shell where there is one, unless one is chosen. */
function benchBrowserEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (env['CHROMIUM_SOURCE'] || env['CHROMIUM_PATH']) return env;
  try {
    npmChromiumLocation();
    return { ...env, CHROMIUM_SOURCE: 'npm' };
  } catch {
    // No headless shell for this platform: the tests' Chromium.
    return env;
  }
}

/** The tests' Chromium, measured beside when it is not the one the figures are measured in. */
function comparedBrowserEnv(measured: NodeJS.ProcessEnv, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv | undefined {
  const [a, b] = [chooseChromium(measured), chooseChromium(env)];
  return a.source === b.source && a.path === b.path ? undefined : env;
}

/** A browser's figure measured beside the row's: its median first render and which browser. */
export interface ComparedBrowser {
  readonly render: Ratio;
  readonly browser: string;
}

/** Sends one signed assignment callback for `workspace` and `worker`; answers the reservation made. */
async function callback(url: string, workspace: string, worker: string, extra: Record<string, string> = {}): Promise<{ task: string; reservation: string }> {
  const a = assignment(LOCAL_ACCOUNT_SID);
  const params = { ...a.params, WorkspaceSid: workspace, WorkerSid: worker, ...extra };
  const target = `${url}/assignment-callback?ReservationTimeout=86400`;
  const response = await fetch(target, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(LOCAL_AUTH_TOKEN, target, Object.entries(params)) },
    body: new URLSearchParams(params),
  });
  if (response.status !== 200) throw new Error(`seeding: the callback answered ${response.status} ${await response.text()}`);
  return { task: a.sids.task, reservation: a.sids.reservation };
}

/** Runs `count` sends, `at` a time. */
async function inWaves(count: number, at: number, send: (i: number) => Promise<unknown>): Promise<void> {
  for (let sent = 0; sent < count; sent += at) await Promise.all(Array.from({ length: Math.min(at, count - sent) }, (_, i) => send(sent + i)));
}

/** Seeds one worker's reservations through signed callbacks, a few at a time. */
async function seedWorker(url: string, count: number): Promise<{ workspace: string; worker: string }> {
  const workspace = sid('WS');
  const worker = sid('WK');
  await inWaves(count, 8, () => callback(url, workspace, worker));
  return { workspace, worker };
}

/**
 * A workspace's day: `reservations` callbacks spread over `workers` workers and four queues, the
 * last one of each worker left pending (a worker holds one offer at a time) and the others
 * answered through the REST API, two accepted for one rejected, so that every tile, table column
 * and chart bar has counts.
 */
async function seedWorkspace(url: string, workers: number, reservations: number): Promise<{ workspace: string }> {
  const workspace = sid('WS');
  const workerSids = Array.from({ length: workers }, () => sid('WK'));
  const queues = Array.from({ length: 4 }, () => sid('WQ'));
  const auth = `Basic ${Buffer.from(`${LOCAL_ACCOUNT_SID}:${LOCAL_AUTH_TOKEN}`).toString('base64')}`;
  await inWaves(reservations, 8, async (i) => {
    const made = await callback(url, workspace, workerSids[i % workers]!, { WorkerName: `Worker ${i % workers}`, TaskQueueSid: queues[i % 4]! });
    if (i >= reservations - workers) return;
    const response = await fetch(`${url}/v1/Workspaces/${workspace}/Tasks/${made.task}/Reservations/${made.reservation}`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ReservationStatus: i % 3 === 2 ? 'rejected' : 'accepted' }),
    });
    if (response.status !== 200) throw new Error(`seeding: the update answered ${response.status} ${await response.text()}`);
  });
  return { workspace };
}

/**
 * Waits until every minute seeded so far can be rolled up (`ROLL_UP_AFTER_SECONDS` after it
 * ended), as the minutes of a day's reservations are but the last two: seeded in a few minutes,
 * a day would otherwise be read from the tallies of its seconds, which no day's workspace is.
 */
async function untilRolledUp(): Promise<void> {
  const ms = (Math.floor(Date.now() / 60_000) + 1) * 60_000 + ROLL_UP_AFTER_SECONDS * 1000 - Date.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Milliseconds from navigation to the painted view (the page's `console:rendered` mark) with `rows`
 * rows in the first table `table` selects, per round, each in a new context, after one warm-up
 * round; and when the last of the view's API reads had been answered (its share of the time).
 */
async function firstRenders(
  env: NodeJS.ProcessEnv,
  server: Server,
  workspace: string,
  hash: string,
  table: string,
  rows: number,
  rounds: number,
): Promise<{ times: number[]; readsAnswered: number[]; browser: string }> {
  const browser = await launchChromium(env);
  try {
    const renderOnce = async (): Promise<{ rendered: number; answered: number }> => {
      const context = await signedInContext(browser, { workspace });
      try {
        const page = await context.newPage();
        await page.goto(`${server.url}/console${hash}`);
        const handle = await page.waitForFunction(
          ([selector, count]) => {
            const mark = performance.getEntriesByName('console:rendered')[0];
            if (mark === undefined || document.querySelector(selector)?.querySelectorAll('tbody tr').length !== count) return false;
            const reads = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).filter(
              (e) => /\/v1\//.test(e.name) && e.startTime < mark.startTime,
            );
            return { rendered: mark.startTime, answered: Math.max(0, ...reads.map((e) => e.responseEnd)) };
          },
          [table, rows] as const,
          { timeout: 30_000 },
        );
        return (await handle.jsonValue()) as { rendered: number; answered: number };
      } finally {
        await context.close();
      }
    };
    // A warm-up: the browser's own first page (its caches, its compilers) is not the page's.
    await renderOnce();
    const times: number[] = [];
    const readsAnswered: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const { rendered, answered } = await renderOnce();
      times.push(rendered);
      readsAnswered.push(answered);
    }
    return { times, readsAnswered, browser: `Chromium ${browser.version()} (${describeChromium(chooseChromium(env))})` };
  } finally {
    await browser.close();
  }
}

export async function measureConsole(options: ConsoleOptions): Promise<ConsoleResult> {
  const server = await startServer('lib/local/main.ts', { PORT: '0', HOST: '127.0.0.1' });
  try {
    const { workspace, worker } = await seedWorker(server.url, options.reservations);
    const pageBytes = Buffer.byteLength(await (await fetch(`${server.url}/console`)).text());
    const hash = `#/${workspace}/workers/${worker}`;
    const env = benchBrowserEnv();
    const { times, browser } = await firstRenders(env, server, workspace, hash, 'main table', options.reservations, options.rounds);
    const other = comparedBrowserEnv(env);
    const compared = other && (await firstRenders(other, server, workspace, hash, 'main table', options.reservations, options.rounds));
    return {
      render: ratioOf(times),
      reservations: options.reservations,
      pageBytes,
      browser,
      ...(compared && { compared: { render: ratioOf(compared.times), browser: compared.browser } }),
    };
  } finally {
    await server.stop();
  }
}

export interface OverviewOptions {
  readonly rounds: number;
  readonly workers: number;
  readonly reservations: number;
  /** Wait until the seeded minutes can be rolled up before the first round (about three minutes). */
  readonly rolledUp: boolean;
}

export interface OverviewResult {
  /** Milliseconds from navigation to the painted overview with every worker's row, per round. */
  readonly render: Ratio;
  /** Milliseconds from navigation to the last of the overview's API reads answered, per round. */
  readonly readsAnswered: Ratio;
  readonly workers: number;
  readonly reservations: number;
  readonly browser: string;
  /** The tests' Chromium, when it is another: the same rounds on the same stack. */
  readonly compared?: ComparedBrowser;
}

/** The overview's first render: its tiles, charts and a row for each of the workspace's workers. */
export async function measureOverview(options: OverviewOptions): Promise<OverviewResult> {
  const server = await startServer('lib/local/main.ts', { PORT: '0', HOST: '127.0.0.1' });
  try {
    const { workspace } = await seedWorkspace(server.url, options.workers, options.reservations);
    if (options.rolledUp) await untilRolledUp();
    const env = benchBrowserEnv();
    const { times, readsAnswered, browser } = await firstRenders(
      env,
      server,
      workspace,
      `#/${workspace}`,
      'main table.sortable',
      options.workers,
      options.rounds,
    );
    const other = comparedBrowserEnv(env);
    const compared = other && (await firstRenders(other, server, workspace, `#/${workspace}`, 'main table.sortable', options.workers, options.rounds));
    return {
      render: ratioOf(times),
      readsAnswered: ratioOf(readsAnswered),
      workers: options.workers,
      reservations: options.reservations,
      browser,
      ...(compared && { compared: { render: ratioOf(compared.times), browser: compared.browser } }),
    };
  } finally {
    await server.stop();
  }
}
