/**
 * The console's overview in real headless Chromium against a local stack on a fixed clock, with
 * reservations made through signed assignment callbacks and answered through the REST API: three
 * hours of a morning (accepts after known waits, rejections, timeouts, a cancellation) and two
 * reservations still pending. Its tiles say what the Statistics resources say, its tables sort,
 * its charts' tables hold the outcome series' numbers, it refreshes live, and it passes axe in
 * light and dark and fits 375 px (the screenshots in docs/ come from here).
 */
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { LocalStack } from '#lib/local/server.ts';
import { axe, cspViolations, launchChromium, screenshotPath, serious, signedInContext } from '../support/browser.ts';
import { FakeClock } from '../support/clock.ts';
import { ACCOUNT_SID, AUTH_TOKEN, assign, basicAuth, sid, startStack, type CallbackFixture } from '../support/fixtures.ts';

const fixed = (prefix: string, fill: string) => `${prefix}${fill.repeat(32).slice(0, 32)}`;
const WORKSPACE = fixed('WS', '0ae4');
const SUPPORT = fixed('WQ', '5a');
const SALES = fixed('WQ', '5b');
const WORKERS = {
  Ada: fixed('WK', 'ada0'),
  Grace: fixed('WK', '96ace'),
  Lin: fixed('WK', '11e0'),
  Ken: fixed('WK', 'ce0'),
} as const;
type Name = keyof typeof WORKERS;
/** The script starts at 06:00 UTC; the overview is read at 09:00. */
const START = Date.UTC(2026, 10, 24, 6, 0, 0);
const clock = new FakeClock(START);

let stack: LocalStack;
let browser: Browser;
let n = 0;
/** The two reservations left pending, soonest deadline first. */
const pending: CallbackFixture[] = [];

async function post(path: string, body: Record<string, string>): Promise<void> {
  const response = await fetch(`${stack.url}${path}`, { method: 'POST', headers: basicAuth(), body: new URLSearchParams(body) });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
}

/** A reservation at `minute` after the start, then its outcome `answerAfter` seconds later. */
async function reservation(
  minute: number,
  worker: Name,
  queue: string,
  outcome: 'accepted' | 'rejected' | 'timeout' | 'canceled' | 'pending',
  answerAfter = 10,
  timeout = 120,
) {
  clock.advance(START + minute * 60_000 - clock.now());
  n++;
  const r = await assign(
    stack,
    {
      WorkspaceSid: WORKSPACE,
      TaskQueueSid: queue,
      WorkflowSid: fixed('WW', '0f'),
      WorkerSid: WORKERS[worker],
      WorkerName: worker,
      TaskSid: fixed('WT', `7a${String(n).padStart(2, '0')}`),
      ReservationSid: fixed('WR', `e${String(n).padStart(2, '0')}`),
      TaskAge: '20',
    },
    { query: `ReservationTimeout=${timeout}` },
  );
  const task = `/v1/Workspaces/${WORKSPACE}/Tasks/${r.taskSid}`;
  if (outcome === 'pending') return pending.push(r);
  clock.advance(outcome === 'timeout' ? timeout * 1000 : answerAfter * 1000);
  if (outcome === 'accepted' || outcome === 'rejected') await post(`${task}/Reservations/${r.reservationSid}`, { ReservationStatus: outcome });
  if (outcome === 'canceled') await post(task, { AssignmentStatus: 'canceled', Reason: 'caller hung up' });
  if (outcome === 'timeout')
    await stack.runtime.service.expire({ accountSid: r.accountSid, workspaceSid: WORKSPACE, taskSid: r.taskSid, reservationSid: r.reservationSid });
}

beforeAll(async () => {
  [stack, browser] = await Promise.all([startStack({}, { clock }), launchChromium()]);
  // 06:00–07:50, every ten minutes: Ada accepts most, Grace rejects some, Lin lets some time out, Ken's task is canceled.
  const script: [Name, 'accepted' | 'rejected' | 'timeout' | 'canceled', number][] = [
    ['Ada', 'accepted', 10],
    ['Grace', 'rejected', 5],
    ['Lin', 'timeout', 0],
    ['Ada', 'accepted', 40],
    ['Grace', 'accepted', 20],
    ['Lin', 'accepted', 70],
    ['Ada', 'accepted', 10],
    ['Grace', 'rejected', 15],
    ['Ken', 'canceled', 30],
    ['Ada', 'rejected', 5],
    ['Lin', 'timeout', 0],
    ['Grace', 'accepted', 25],
  ];
  for (const [i, [worker, outcome, after]] of script.entries()) await reservation(i * 10, worker, i % 3 === 0 ? SALES : SUPPORT, outcome, after);
  // The last hour, minute by minute.
  for (const [minute, worker, outcome] of [
    [130, 'Ada', 'accepted'],
    [131, 'Ken', 'rejected'],
    [140, 'Grace', 'accepted'],
    [150, 'Lin', 'timeout'],
    [162, 'Ada', 'accepted'],
  ] as const) {
    await reservation(minute, worker, SUPPORT, outcome);
  }
  // Two left pending: Ken's (10 minutes to answer) and Grace's (5 minutes, the sooner).
  await reservation(176, 'Ken', SALES, 'pending', 0, 600);
  await reservation(178, 'Grace', SUPPORT, 'pending', 0, 300);
  clock.advance(START + 180 * 60_000 - clock.now());
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

async function open(hash: string, workspace: string | null, options: BrowserContextOptions = {}): Promise<Page> {
  const context = await signedInContext(browser, workspace === null ? null : { workspace }, options);
  context.setDefaultTimeout(10_000);
  onTestFinished(() => context.close());
  const page = await context.newPage();
  // The page's clock: the stack's, so that the countdowns count from the stack's now.
  await page.clock.setFixedTime(clock.now());
  await page.goto(`${stack.url}/console${hash}`);
  return page;
}

async function api<T = Record<string, unknown>>(path: string): Promise<T> {
  const response = await fetch(`${stack.url}${path}`, { headers: basicAuth() });
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

const until = <T>(read: () => Promise<T> | T, timeout = 10_000) => expect.poll(read, { timeout });

/** The tiles as `label: value` (the pending tile's list apart). */
async function tiles(page: Page): Promise<Record<string, string>> {
  return page
    .locator('.tiles > li')
    .evaluateAll((lis) => Object.fromEntries(lis.map((li) => [li.querySelector('.label')!.textContent, li.querySelector('.value')!.textContent])));
}

/** A table's body as rows of cell texts. */
async function cells(page: Page, table: string): Promise<string[][]> {
  return page
    .locator(table)
    .locator('tbody tr')
    .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim())));
}

const workersTable = 'table:has(caption:text-matches("workers?,"))';
const queuesTable = 'table:has(caption:text-matches("task queues?,"))';

interface Counts {
  reservations_created: number;
  reservations_accepted: number;
  reservations_rejected: number;
  reservations_timed_out: number;
  reservations_canceled: number;
}
/** Accepted of answered (accepted, rejected, timed out), whole percents rounded down. */
const rate = (c: Counts) => {
  const answered = c.reservations_accepted + c.reservations_rejected + c.reservations_timed_out;
  return answered === 0 ? '—' : `${Math.floor((100 * c.reservations_accepted) / answered)}%`;
};
const row = (c: Counts) => [c.reservations_created, c.reservations_accepted, c.reservations_rejected, c.reservations_timed_out].map(String).concat(rate(c));

describe('the overview', () => {
  it('is where sign-in lands, linked as "Overview" beside Events and Needs attention; a workspace with no record says so', async () => {
    const page = await open('', null);
    await page.getByLabel('Account SID or API key SID').fill(ACCOUNT_SID);
    await page.getByLabel('Auth token or API key secret').fill(AUTH_TOKEN);
    await page.getByLabel('Workspace SID').fill(WORKSPACE);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(new URL(page.url()).hash).toBe(`#/${WORKSPACE}`);
    const nav = page.getByRole('navigation', { name: 'Console' });
    expect(await nav.getByRole('link').allTextContents()).toEqual(['Overview', 'Events', 'Needs attention']);
    expect(await nav.getByRole('link', { name: 'Overview' }).getAttribute('aria-current')).toBe('page');
    await nav.getByRole('link', { name: 'Events' }).click();
    await page.getByRole('heading', { name: 'Events' }).waitFor();
    expect(new URL(page.url()).hash).toBe(`#/${WORKSPACE}/events`);

    const fresh = sid('WS');
    const empty = await open(`#/${fresh}`, fresh);
    await empty.getByText(`Nothing is recorded for workspace ${fresh} yet.`).waitFor();
    expect(await cspViolations(empty)).toEqual([]);
  });

  it('tiles: what the Statistics resources say, and the pending reservations soonest deadline first', async () => {
    const page = await open(`#/${WORKSPACE}`, WORKSPACE);
    await page.locator('.tiles > li').first().waitFor();
    const stats = await api<Counts & { avg_task_acceptance_time: number }>(`/v1/Workspaces/${WORKSPACE}/CumulativeStatistics?Minutes=1440`);
    const now = await api<{ total: number }>(`/lifecycle/v1/Workspaces/${WORKSPACE}/Statistics/PendingReservations`);
    // By hand: 12 + 5 reservations ended; Ada 5 accepted, Grace 3, Lin 1; 4 rejected; 3 timed out; Ken's canceled.
    expect(stats).toMatchObject({ reservations_accepted: 9, reservations_rejected: 4, reservations_timed_out: 3, reservations_canceled: 1 });
    expect(now.total).toBe(2);
    // Every accept came 20 s after the task's creation plus its answer's delay: (30+60+40+90+30+45+3×30)/9 = 42.8 s.
    expect(stats.avg_task_acceptance_time).toBe(43);
    expect(await tiles(page)).toEqual({
      'Pending now': String(now.total),
      Accepted: String(stats.reservations_accepted),
      Rejected: String(stats.reservations_rejected),
      'Timed out': String(stats.reservations_timed_out),
      Canceled: String(stats.reservations_canceled),
      'Average acceptance time': `${stats.avg_task_acceptance_time} s`,
    });
    const soonest = page.getByRole('list', { name: 'Soonest deadlines' }).getByRole('listitem');
    expect(await soonest.allTextContents()).toEqual([
      // Grace's at 08:58 with 300 s: 3:00 left at 09:00; Ken's at 08:56 with 600 s: 6:00 left.
      `3:00 left Grace ${pending[1]!.reservationSid}`,
      `6:00 left Ken ${pending[0]!.reservationSid}`,
    ]);
    expect(await soonest.first().getByRole('link').getAttribute('href')).toBe(
      `#/${WORKSPACE}/tasks/${pending[1]!.taskSid}/reservations/${pending[1]!.reservationSid}`,
    );
  });

  it('the pending tile lists the five soonest and says so when there are more', async () => {
    const busy = sid('WS');
    for (let i = 0; i < 7; i++) await assign(stack, { WorkspaceSid: busy, WorkerName: `Agent ${i}` });
    const page = await open(`#/${busy}`, busy);
    await page.getByRole('list', { name: 'Soonest deadlines' }).waitFor();
    expect((await tiles(page))['Pending now']).toBe('7');
    expect(await page.getByRole('list', { name: 'Soonest deadlines' }).getByRole('listitem').count()).toBe(5);
    expect(await page.locator('.tiles .more').textContent()).toBe('the 5 soonest of 7');
  });

  it('tables: per worker and per queue, as their resources say; a header button sorts, and says how with aria-sort', async () => {
    const page = await open(`#/${WORKSPACE}`, WORKSPACE);
    await page.locator(workersTable).locator('tbody tr').nth(3).waitFor();
    const { workers } = await api<{ workers: (Counts & { worker_sid: string; friendly_name: string })[] }>(
      `/lifecycle/v1/Workspaces/${WORKSPACE}/Statistics/Workers?Minutes=1440`,
    );
    const { task_queues_statistics: queues } = await api<{ task_queues_statistics: { task_queue_sid: string; cumulative: Counts }[] }>(
      `/v1/Workspaces/${WORKSPACE}/TaskQueues/Statistics?Minutes=1440`,
    );
    // The page reads this service's Queues (counts only): the same counts as TaskRouter's resource.
    const { task_queues: ours } = await api<{ task_queues: (Counts & { task_queue_sid: string })[] }>(
      `/lifecycle/v1/Workspaces/${WORKSPACE}/Statistics/Queues?Minutes=1440`,
    );
    expect(ours.map((q) => [q.task_queue_sid, ...row(q)])).toEqual(queues.map((q) => [q.task_queue_sid, ...row(q.cumulative)]));
    const byCreated = [...workers].sort((a, b) => b.reservations_created - a.reservations_created || (a.worker_sid < b.worker_sid ? -1 : 1));
    // Most reservations first: Grace 6, Ada 6, Lin 4, Ken 3 (Grace before Ada: equal rows keep the API's order, by SID).
    expect(byCreated.map((w) => [w.friendly_name, w.reservations_created])).toEqual([
      ['Grace', 6],
      ['Ada', 6],
      ['Lin', 4],
      ['Ken', 3],
    ]);
    expect(await cells(page, workersTable)).toEqual(byCreated.map((w) => [`${w.friendly_name}${w.worker_sid}`, ...row(w)]));
    const header = (name: string) => page.locator(workersTable).getByRole('columnheader', { name });
    expect(await header('Created').getAttribute('aria-sort')).toBe('descending');

    await header('Acceptance rate').getByRole('button').click();
    expect(await header('Acceptance rate').getAttribute('aria-sort')).toBe('descending');
    expect(await header('Created').getAttribute('aria-sort')).toBeNull();
    // Ada 5 of 6 answered (83%), Grace 3 of 5 (60%), Lin 1 of 4 (25%), Ken 0 of 1 (0%).
    expect((await cells(page, workersTable)).map((r) => r[5])).toEqual(['83%', '60%', '25%', '0%']);
    await header('Acceptance rate').getByRole('button').click();
    expect(await header('Acceptance rate').getAttribute('aria-sort')).toBe('ascending');
    expect((await cells(page, workersTable)).map((r) => r[5])).toEqual(['0%', '25%', '60%', '83%']);
    await header('Worker').getByRole('button').click();
    expect((await cells(page, workersTable)).map((r) => r[0]!.slice(0, -34))).toEqual(['Ada', 'Grace', 'Ken', 'Lin']);
    await until(() => page.locator('#announcer').textContent()).toBe('Sorted by Worker, ascending.');

    expect(queues.map((q) => q.task_queue_sid).sort()).toEqual([SUPPORT, SALES].sort());
    const queueRows = [...queues].sort((a, b) => b.cumulative.reservations_created - a.cumulative.reservations_created);
    expect(await cells(page, queuesTable)).toEqual(queueRows.map((q) => [q.task_queue_sid, ...row(q.cumulative)]));
  });

  it("the charts' tables hold the outcome series' numbers, per minute over the hour and per hour over the day", async () => {
    const page = await open(`#/${WORKSPACE}`, WORKSPACE);
    await page.locator('.chart svg').first().waitFor();
    // The page asks from the start of the minute 59 minutes ago (the hour 23 hours ago): 08:01 and 10:00 yesterday.
    for (const [heading, interval, start, buckets] of [
      ['Outcomes per minute, the last hour', 'minute', '2026-11-24T08:01:00Z', 60],
      ['Outcomes per hour, the last 24 hours', 'hour', '2026-11-23T10:00:00Z', 24],
    ] as const) {
      const { outcomes } = await api<{ outcomes: (Counts & { start_time: string })[] }>(
        `/lifecycle/v1/Workspaces/${WORKSPACE}/Statistics/Outcomes?Interval=${interval}&StartDate=${start}`,
      );
      expect(outcomes).toHaveLength(buckets);
      const chart = page.getByRole('region', { name: heading });
      await chart.getByText('The numbers, as a table').click();
      const table = chart.locator('table');
      expect(await table.locator('tbody time').evaluateAll((ts) => ts.map((t) => t.getAttribute('datetime')))).toEqual(outcomes.map((o) => o.start_time));
      const numbers = (await cells(page, `section[aria-labelledby="per-${interval}-heading"] table`)).map((r) => r.slice(1));
      expect(numbers).toEqual(
        outcomes.map((o) => [o.reservations_accepted, o.reservations_rejected, o.reservations_timed_out, o.reservations_canceled].map(String)),
      );
      const sum = (key: keyof Counts) => outcomes.reduce((s, o) => s + o[key], 0);
      expect(await chart.getByRole('img').getAttribute('aria-label')).toBe(
        `${heading}: ${sum('reservations_accepted')} accepted, ${sum('reservations_rejected')} rejected, ${sum('reservations_timed_out')} timed out, ${sum('reservations_canceled')} canceled. The table below the chart has each bar's numbers.`,
      );
      // Bars for what happened: one rect per non-zero outcome of a bucket.
      const parts = outcomes.reduce(
        (s, o) => s + [o.reservations_accepted, o.reservations_rejected, o.reservations_timed_out, o.reservations_canceled].filter((c) => c > 0).length,
        0,
      );
      expect(await chart.locator('svg rect').count()).toBe(parts);
    }
    // The last hour by hand: 08:10 accepted, 08:11 rejected, 08:20 accepted, 08:32 timed out (its deadline), 08:42 accepted.
    const { outcomes } = await api<{ outcomes: Counts[] }>(
      `/lifecycle/v1/Workspaces/${WORKSPACE}/Statistics/Outcomes?Interval=minute&StartDate=2026-11-24T08:01:00Z`,
    );
    expect(outcomes.reduce((s, o) => s + o.reservations_accepted, 0)).toBe(3);
    expect(outcomes.reduce((s, o) => s + o.reservations_timed_out, 0)).toBe(1);
  });

  it('refreshes live: a reservation accepted elsewhere leaves the pending tile and joins the accepted one', async () => {
    const workspace = sid('WS');
    const r = await assign(stack, { WorkspaceSid: workspace, WorkerName: 'Mo' }, { query: 'ReservationTimeout=600' });
    const page = await open(`#/${workspace}`, workspace);
    await until(() => tiles(page)).toMatchObject({ 'Pending now': '1', Accepted: '0' });
    await post(`/v1/Workspaces/${workspace}/Tasks/${r.taskSid}/Reservations/${r.reservationSid}`, { ReservationStatus: 'accepted' });
    await until(() => tiles(page), 5_000).toMatchObject({ 'Pending now': '0', Accepted: '1' });
    expect(await page.getByRole('list', { name: 'Soonest deadlines' }).count()).toBe(0);
  });
});

describe('the overview as a user sees it: light and dark, 375 px, axe, and its screenshots', () => {
  it.each([
    ['light', 1200],
    ['dark', 1200],
    ['light', 375],
  ] as const)('%s at %i px', async (scheme, width) => {
    const page = await open(`#/${WORKSPACE}`, WORKSPACE, { colorScheme: scheme, viewport: { width, height: 900 }, deviceScaleFactor: 1 });
    await page.locator(workersTable).locator('tbody tr').nth(3).waitFor();
    const name = width === 375 ? 'overview-375' : `overview-${scheme}`;
    expect(serious(await axe(page)), name).toEqual([]);
    expect(await cspViolations(page), name).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth), `${name}: nothing wider than the window`).toBeLessThanOrEqual(width);
    await page.screenshot({ path: screenshotPath(name), fullPage: true, animations: 'disabled', caret: 'hide' });
  });
});
