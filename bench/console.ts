/**
 * The console's figures: the first render of the worker view of a worker with 200 reservations, in
 * headless Chromium against `npm start`'s stack (a child process, as for the HTTP figures),
 * measured from navigation to the rendered list; and the page's weight, uncompressed, as
 * GET /console serves it.
 *
 * Each round opens a new browser context (no cache, no session but the one it signs in with), so
 * every render is a first visit: the page downloaded, parsed, the script run, the worker and its
 * 200 reservations read from the REST API and the table built.
 */
import { LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN } from '#lib/config.ts';
import { randomSid as sid } from '#lib/domain/sid.ts';
import { twilioSignature } from '#lib/signature.ts';
import { describeChromium, launchChromium, signedInContext } from '../test/support/browser.ts';
import { assignment } from './events.ts';
import { startServer } from './http.ts';
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
}

/** Seeds one worker's reservations through signed callbacks, a few at a time. */
async function seedWorker(url: string, count: number): Promise<{ workspace: string; worker: string }> {
  const workspace = sid('WS');
  const worker = sid('WK');
  const send = async () => {
    const a = assignment(LOCAL_ACCOUNT_SID);
    const params = { ...a.params, WorkspaceSid: workspace, WorkerSid: worker };
    const target = `${url}/assignment-callback?ReservationTimeout=86400`;
    const response = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(LOCAL_AUTH_TOKEN, target, Object.entries(params)) },
      body: new URLSearchParams(params),
    });
    if (response.status !== 200) throw new Error(`seeding: the callback answered ${response.status} ${await response.text()}`);
  };
  for (let sent = 0; sent < count; sent += 8) await Promise.all(Array.from({ length: Math.min(8, count - sent) }, send));
  return { workspace, worker };
}

export async function measureConsole(options: ConsoleOptions): Promise<ConsoleResult> {
  const server = await startServer('lib/local/main.ts', { PORT: '0', HOST: '127.0.0.1' });
  try {
    const { workspace, worker } = await seedWorker(server.url, options.reservations);
    const pageBytes = Buffer.byteLength(await (await fetch(`${server.url}/console`)).text());
    const browser = await launchChromium();
    try {
      const renderOnce = async (): Promise<number> => {
        const context = await signedInContext(browser, { workspace });
        try {
          const page = await context.newPage();
          await page.goto(`${server.url}/console#/${workspace}/workers/${worker}`);
          const handle = await page.waitForFunction(
            (rows) => {
              const mark = performance.getEntriesByName('console:rendered')[0];
              return mark !== undefined && document.querySelectorAll('table tbody tr').length === rows && mark.startTime;
            },
            options.reservations,
            { timeout: 30_000 },
          );
          return (await handle.jsonValue()) as number;
        } finally {
          await context.close();
        }
      };
      // A warm-up: the browser's own first page (its caches, its compilers) is not the page's.
      await renderOnce();
      const times: number[] = [];
      for (let i = 0; i < options.rounds; i++) times.push(await renderOnce());
      return { render: ratioOf(times), reservations: options.reservations, pageBytes, browser: `Chromium ${browser.version()} (${describeChromium()})` };
    } finally {
      await browser.close();
    }
  } finally {
    await server.stop();
  }
}
