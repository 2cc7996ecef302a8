/**
 * The console's views that read TaskRouter's Event resource, in real headless Chromium against the
 * local stack: the workspace's events, live; a callback sent with `npm run callback` showing up at
 * the next refresh; accepting it from its page; filters; countdowns to the deadline from
 * `reservation.created`'s `reservation_timeout`; axe and the screenshots of the events view.
 *
 * These need `GET /v1/Workspaces/{WS}/Events`, whose contract is Twilio's Event resource (the
 * fields of its OpenAPI schema, `event_data` with snake_case keys), with `reservation_timeout` in
 * `reservation.created`'s event_data.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContextOptions, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { LocalStack } from '#lib/local/server.ts';
import { axe, cspViolations, launchChromium, screenshotPath, serious, signedInContext, type ConsoleSession } from '../support/browser.ts';
import { FakeClock } from '../support/clock.ts';
import { ACCOUNT_SID, AUTH_TOKEN, assign, basicAuth, sid, startStack } from '../support/fixtures.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

let stack: LocalStack;
let browser: Browser;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startStack(), launchChromium()]);
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

interface Opened {
  readonly page: Page;
  readonly calls: URL[];
}

const until = <T>(read: () => Promise<T> | T, timeout = 10_000) => expect.poll(read, { timeout });

async function open(
  target: LocalStack,
  hash: string,
  session: ConsoleSession | null,
  options: BrowserContextOptions & { clock?: boolean; fixedTime?: number } = {},
): Promise<Opened> {
  const { clock, fixedTime, ...contextOptions } = options;
  const context = await signedInContext(browser, session, contextOptions);
  context.setDefaultTimeout(10_000);
  onTestFinished(() => context.close());
  const page = await context.newPage();
  const calls: URL[] = [];
  page.on('request', (request: Request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/v1/')) calls.push(url);
  });
  if (clock) await page.clock.install();
  if (fixedTime !== undefined) await page.clock.setFixedTime(fixedTime);
  await page.goto(`${target.url}/console${hash}`);
  return { page, calls };
}

const eventCalls = (calls: readonly URL[]) => calls.filter((url) => url.pathname.endsWith('/Events'));

/** `npm run callback` against the stack, as the README says: the reservation it made. */
async function npmCallback(workspaceSid: string, ...pairs: string[]): Promise<{ taskSid: string; reservationSid: string; workerSid: string }> {
  const workerSid = sid('WK');
  const { stdout } = await run(
    'npm',
    ['run', '--silent', 'callback', '--', '--url', stack.url, `WorkspaceSid=${workspaceSid}`, `WorkerSid=${workerSid}`, ...pairs],
    {
      cwd: ROOT,
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'], AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    },
  );
  expect(stdout).toMatch(/→ 200 /);
  const [, taskSid, reservationSid] = /\/Tasks\/(WT\w{32})\/Reservations\/(WR\w{32})/.exec(stdout)!;
  return { taskSid: taskSid!, reservationSid: reservationSid!, workerSid };
}

async function api<T = Record<string, unknown>>(path: string): Promise<T> {
  const response = await fetch(`${stack.url}${path}`, { headers: basicAuth() });
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function update(workspaceSid: string, taskSid: string, reservationSid: string, body: Record<string, string>): Promise<void> {
  const response = await fetch(`${stack.url}/v1/Workspaces/${workspaceSid}/Tasks/${taskSid}/Reservations/${reservationSid}`, {
    method: 'POST',
    headers: basicAuth(),
    body: new URLSearchParams(body),
  });
  if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
}

/** The events table's rows as `type reservation` pairs, top first. */
async function rows(page: Page): Promise<string[]> {
  return page
    .locator('table tbody tr')
    .evaluateAll((trs) =>
      trs.map(
        (tr) => `${tr.querySelector('code')?.textContent} ${[...tr.querySelectorAll('a')].map((a) => a.textContent).find((t) => t?.startsWith('WR')) ?? ''}`,
      ),
    );
}

describe('the events view', () => {
  it("is one link from where sign-in lands (the workspace's overview); with no events yet it says to send one with npm run callback", async () => {
    const workspace = sid('WS');
    const { page, calls } = await open(stack, '', null);
    await page.getByLabel('Account SID or API key SID').fill(ACCOUNT_SID);
    await page.getByLabel('Auth token or API key secret').fill(AUTH_TOKEN);
    await page.getByLabel('Workspace SID').fill(workspace);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Events' }).click();
    await page.getByRole('heading', { name: 'Events' }).waitFor();
    expect(new URL(page.url()).hash).toBe(`#/${workspace}/events`);
    await until(() => page.locator('main .empty').textContent()).toBe(
      'No events in the last 15 minutes — send one with npm run callback. It appears here within 2 seconds.',
    );
    // The last 15 minutes by the page's clock; nothing older asked for, the window being 15 minutes.
    expect(eventCalls(calls).map((url) => [...url.searchParams.keys()])).toEqual([['StartDate', 'PageSize']]);
    expect(Math.abs(Date.parse(eventCalls(calls)[0]!.searchParams.get('StartDate')!) - (Date.now() - 15 * 60_000))).toBeLessThan(60_000);
    expect(await cspViolations(page)).toEqual([]);
  });

  it('shows a callback sent with npm run callback at its next refresh (1.25 s of page time: within 2 s), newest first, every SID a link to its view', async () => {
    const workspace = sid('WS');
    const { page, calls } = await open(stack, `#/${workspace}/events`, { workspace }, { clock: true });
    await until(() => page.locator('main .empty').textContent()).toContain('No events in the last 15 minutes');
    await page.clock.pauseAt(Date.now() + 5_000);
    await page.waitForTimeout(500);
    const asked = eventCalls(calls).length;
    const sent = await npmCallback(workspace, 'WorkerName=Alice');
    // The page's clock stood still meanwhile: nothing asked, nothing shown.
    expect(eventCalls(calls).length).toBe(asked);
    await page.clock.runFor(1_250);
    await until(() => rows(page)).toContain(`reservation.created ${sent.reservationSid}`);
    const row = () =>
      page
        .locator('table tbody tr')
        .filter({ has: page.getByRole('link', { name: sent.reservationSid }) })
        .first();
    expect(await row().textContent()).toContain('Alice');
    await row().getByRole('link', { name: sent.taskSid }).click();
    await page.getByRole('heading', { name: `Task ${sent.taskSid}` }).waitFor();
    await page.goBack();
    await row().getByRole('link', { name: sent.workerSid }).click();
    await page.getByRole('heading', { name: 'Worker Alice' }).waitFor();
    await page.goBack();
    await row().getByRole('link', { name: sent.reservationSid }).click();
    await page.getByRole('heading', { name: `Reservation ${sent.reservationSid}` }).waitFor();
  });

  it('accepting it from its page reads accepted through the API and shows reservation.accepted', async () => {
    const workspace = sid('WS');
    const sent = await npmCallback(workspace);
    const { page } = await open(stack, `#/${workspace}/events`, { workspace });
    await page.getByRole('link', { name: sent.reservationSid }).first().click();
    await page.getByRole('heading', { name: `Reservation ${sent.reservationSid}` }).waitFor();
    await until(() => page.locator('.facts .countdown').textContent()).toMatch(/^\d+:\d\d left$/);
    await page.getByRole('button', { name: 'Accept' }).click();
    await until(() => page.locator('.facts .badge').textContent()).toBe('accepted');
    const path = `/v1/Workspaces/${workspace}/Tasks/${sent.taskSid}/Reservations/${sent.reservationSid}`;
    expect((await api(path))['reservation_status']).toBe('accepted');
    // Its history, then the workspace's events, newest first.
    await until(() => page.locator('table tbody tr code').allTextContents()).toEqual(expect.arrayContaining(['reservation.accepted', 'reservation.created']));
    await page.getByRole('link', { name: 'Events', exact: true }).click();
    await page.getByRole('heading', { name: 'Events' }).waitFor();
    const listed = await rows(page);
    expect(listed).toContain(`reservation.accepted ${sent.reservationSid}`);
    expect(listed.indexOf(`reservation.accepted ${sent.reservationSid}`)).toBeLessThan(listed.indexOf(`reservation.created ${sent.reservationSid}`));
  });

  it('shows a sign-in error and nothing else for wrong credentials', async () => {
    const { page } = await open(stack, '', null);
    await page.getByLabel('Account SID or API key SID').fill(ACCOUNT_SID);
    await page.getByLabel('Auth token or API key secret').fill('not0the0token');
    await page.getByLabel('Workspace SID').fill(sid('WS'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    const error = page.getByRole('alert').filter({ hasText: 'Sign-in failed' });
    await error.waitFor();
    expect(await error.textContent()).toBe('Sign-in failed: the API refused these credentials (Authenticate).');
    expect(await page.getByRole('navigation', { name: 'Console' }).isHidden()).toBe(true);
    expect(await page.locator('main h1').allTextContents()).toEqual(['Sign in']);
    expect(await page.locator('main table').count()).toBe(0);
  });

  it("filters by type, task, worker and reservation, with the Event resource's own parameters", async () => {
    const workspace = sid('WS');
    const a = await assign(stack, { WorkspaceSid: workspace });
    const b = await assign(stack, { WorkspaceSid: workspace });
    await update(workspace, a.taskSid, a.reservationSid, { ReservationStatus: 'accepted' });
    const { page, calls } = await open(stack, `#/${workspace}/events`, { workspace });
    await until(async () => (await rows(page)).length).toBeGreaterThanOrEqual(3);

    /** Back to the unfiltered view: the link is only on a filtered one, so its going says the fresh view is there. */
    const clear = async () => {
      await page.getByRole('link', { name: 'Clear filters' }).click();
      await until(() => page.getByRole('link', { name: 'Clear filters' }).count()).toBe(0);
    };
    const filter = async (label: string, value: string) => {
      // The unfiltered view has empty fields.
      await until(() => page.getByLabel(label, { exact: true }).inputValue()).toBe('');
      await page.getByLabel(label, { exact: true }).fill(value);
      await page.getByRole('button', { name: 'Filter' }).click();
      await until(() => new URL(page.url()).hash).toContain(`${encodeURIComponent(value)}`);
    };
    /**
     * Every row is about `reservation` or about no reservation (a task's own event), and `expected`
     * is there. Waited for as a whole: the list before the filter (which has `expected` too) may
     * still show for a moment after the URL changed.
     */
    const onlyAbout = async (reservation: string, expected: string) => {
      await until(async () => {
        const shown = await rows(page);
        return { expected: shown.includes(expected), others: shown.filter((r) => !r.endsWith(` ${reservation}`) && !r.endsWith(' ')) };
      }).toEqual({ expected: true, others: [] });
    };
    await filter('Event type', 'reservation.accepted');
    await until(() => rows(page)).toEqual([`reservation.accepted ${a.reservationSid}`]);
    expect(eventCalls(calls).at(-1)!.searchParams.get('EventType')).toBe('reservation.accepted');
    await clear();

    await filter('Task SID', b.taskSid);
    await onlyAbout(b.reservationSid, `reservation.created ${b.reservationSid}`);
    expect(eventCalls(calls).at(-1)!.searchParams.get('TaskSid')).toBe(b.taskSid);
    await clear();

    await filter('Worker SID', a.workerSid);
    await onlyAbout(a.reservationSid, `reservation.accepted ${a.reservationSid}`);
    expect(await rows(page)).toContain(`reservation.created ${a.reservationSid}`);
    expect(eventCalls(calls).at(-1)!.searchParams.get('WorkerSid')).toBe(a.workerSid);
    await clear();

    await filter('Reservation SID', b.reservationSid);
    await until(() => rows(page)).toEqual([`reservation.created ${b.reservationSid}`]);
    expect(eventCalls(calls).at(-1)!.searchParams.get('ReservationSid')).toBe(b.reservationSid);
  });

  it('after the first load asks only for what is new (StartDate), never the whole window again', async () => {
    const workspace = sid('WS');
    await assign(stack, { WorkspaceSid: workspace });
    const { page, calls } = await open(stack, `#/${workspace}/events`, { workspace });
    await until(async () => (await rows(page)).length).toBeGreaterThanOrEqual(1);
    await until(() => eventCalls(calls).length).toBeGreaterThanOrEqual(3);
    const [first, ...later] = eventCalls(calls);
    // The window's start by the page's clock (15 minutes back), which later spans and refreshes share.
    expect(first!.searchParams.get('StartDate')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Math.abs(Date.parse(first!.searchParams.get('StartDate')!) - (Date.now() - 15 * 60_000))).toBeLessThan(60_000);
    for (const url of later) {
      expect(url.searchParams.has('Minutes')).toBe(false);
      expect(url.searchParams.get('StartDate')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
  });
});

describe('the reservation history', () => {
  it('when the Event resource fails, keeps the reservation and its actions, says why the history is missing, and asks again', async () => {
    const r = await assign(stack);
    const { page } = await open(stack, '', { workspace: r.workspaceSid });
    await page.route('**/v1/Workspaces/*/Events?*', (route) =>
      route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ code: 20503, message: 'Service Unavailable', status: 503 }) }),
    );
    await page.goto(`${stack.url}/console#/${r.workspaceSid}/tasks/${r.taskSid}/reservations/${r.reservationSid}`);
    await until(() => page.locator('.facts .badge').textContent()).toBe('pending');
    await until(() => page.locator('main .empty').textContent()).toMatch(
      /^Could not load the history: Service Unavailable \(HTTP 503\)\. Retrying in \d+ s\.$/,
    );
    expect(await page.getByRole('button', { name: 'Accept' }).isEnabled()).toBe(true);
    await page.unroute('**/v1/Workspaces/*/Events?*');
    await until(() => page.locator('table tbody tr code').allTextContents()).toEqual(['reservation.created']);
    expect(await page.locator('main .empty').textContent()).toBe('');
  });
});

describe('countdowns to the deadline', () => {
  it.each([
    ['reservation', (r: Seeded) => `#/${r.workspaceSid}/tasks/${r.taskSid}/reservations/${r.reservationSid}`, null],
    ['task', (r: Seeded) => `#/${r.workspaceSid}/tasks/${r.taskSid}`, 'TaskSid'],
    ['worker', (r: Seeded) => `#/${r.workspaceSid}/workers/${r.workerSid}`, 'WorkerSid'],
  ] as const)('the %s view counts each pending reservation down once a second, from one Events request', async (_view, hash, filter) => {
    const r = await assign(stack, {}, { query: 'ReservationTimeout=120' });
    const created = (
      await api<{ events: { event_date_ms: number | string; event_data: Record<string, string> }[] }>(
        `/v1/Workspaces/${r.workspaceSid}/Events?EventType=reservation.created&ReservationSid=${r.reservationSid}&Minutes=15`,
      )
    ).events[0]!;
    expect(created.event_data['reservation_timeout']).toBe('120');
    const { page, calls } = await open(stack, hash(r), { workspace: r.workspaceSid }, { clock: true });
    const countdown = page.locator('.countdown').first();
    await countdown.waitFor();
    await page.clock.pauseAt(Date.now() + 1_000);
    await page.clock.runFor(1_000);
    const seconds = (text: string | null) => {
      const [m, s] = /^(\d+):(\d\d) left$/
        .exec(text ?? '')!
        .slice(1)
        .map(Number);
      return m! * 60 + s!;
    };
    const before = seconds(await countdown.textContent());
    expect(before).toBeGreaterThan(100);
    expect(before).toBeLessThanOrEqual(120);
    expect(await countdown.getAttribute('data-deadline')).toBe(String(Number(created.event_date_ms) + 120_000));
    await page.clock.runFor(1_000);
    expect(seconds(await countdown.textContent())).toBe(before - 1);
    await page.clock.runFor(5_000);
    await page.waitForTimeout(500);
    // The deadlines came from one request of reservation.created events (the reservation view reads its own events).
    const deadlines = eventCalls(calls).filter((url) => url.searchParams.get('EventType') === 'reservation.created');
    if (filter === null) {
      expect(deadlines).toEqual([]);
      expect(eventCalls(calls)[0]!.searchParams.get('ReservationSid')).toBe(r.reservationSid);
    } else {
      expect(deadlines).toHaveLength(1);
      expect(Object.fromEntries(deadlines[0]!.searchParams)).toEqual({
        EventType: 'reservation.created',
        [filter]: filter === 'TaskSid' ? r.taskSid : r.workerSid,
        Minutes: '1440',
        PageSize: '1000',
      });
    }
  });

  it.each([
    ['task', (r: Seeded) => `#/${r.workspaceSid}/tasks/${r.taskSid}`],
    ['worker', (r: Seeded) => `#/${r.workspaceSid}/workers/${r.workerSid}`],
  ] as const)('the %s view asks for the deadlines alongside its own reads on its first load, not after them', async (_view, hash) => {
    const r = await assign(stack, {}, { query: 'ReservationTimeout=120' });
    const context = await signedInContext(browser, { workspace: r.workspaceSid });
    onTestFinished(() => context.close());
    const page = await context.newPage();
    let deadlinesAsked!: () => void;
    const asked = new Promise<void>((resolve) => (deadlinesAsked = resolve));
    page.on('request', (request: Request) => {
      if (new URL(request.url()).searchParams.get('EventType') === 'reservation.created') deadlinesAsked();
    });
    // The view's list is held until the deadlines have been asked for (or 3 s): asked after it, they never are in time.
    let askedWhileHeld: boolean | undefined;
    await page.route(/\/Reservations\?/, async (route) => {
      askedWhileHeld ??= await Promise.race([asked.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 3_000))]);
      await route.continue();
    });
    await page.goto(`${stack.url}/console${hash(r)}`);
    await page.locator('.countdown').first().waitFor();
    expect(askedWhileHeld).toBe(true);
  });
});

type Seeded = Awaited<ReturnType<typeof assign>>;

describe('the events view as a user sees it', () => {
  const NOW = Date.UTC(2026, 10, 24, 9, 0, 0);
  const WORKSPACE = `WS${'5eed'.repeat(8)}`;
  let seeded: LocalStack;

  beforeAll(async () => {
    const clock = new FakeClock(NOW);
    seeded = await startStack({}, { clock });
    const post = async (task: string, wr: string, body: Record<string, string>) => {
      const response = await fetch(`${seeded.url}/v1/Workspaces/${WORKSPACE}/Tasks/${task}/Reservations/${wr}`, {
        method: 'POST',
        headers: basicAuth(),
        body: new URLSearchParams(body),
      });
      if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
    };
    const task = `WT${'7a51'.repeat(8)}`;
    const grace = { WorkerSid: `WK${'96ace'.repeat(7).slice(0, 32)}`, WorkerName: 'Grace' };
    const ada = { WorkerSid: `WK${'ada0'.repeat(8)}`, WorkerName: 'Ada' };
    await assign(seeded, { WorkspaceSid: WORKSPACE, TaskSid: task, ReservationSid: `WR${'e51'.repeat(11).slice(0, 32)}`, ...grace });
    clock.advance(20_000);
    await post(task, `WR${'e51'.repeat(11).slice(0, 32)}`, { ReservationStatus: 'rejected' });
    clock.advance(3_000);
    await assign(seeded, { WorkspaceSid: WORKSPACE, TaskSid: task, ReservationSid: `WR${'e52'.repeat(11).slice(0, 32)}`, ...ada });
    clock.advance(9_000);
    await post(task, `WR${'e52'.repeat(11).slice(0, 32)}`, { ReservationStatus: 'accepted' });
    clock.advance(60_000);
    await post(task, `WR${'e52'.repeat(11).slice(0, 32)}`, { ReservationStatus: 'wrapping' });
    clock.advance(30_000);
    await post(task, `WR${'e52'.repeat(11).slice(0, 32)}`, { ReservationStatus: 'completed' });
    await assign(seeded, { WorkspaceSid: WORKSPACE, TaskSid: `WT${'7a52'.repeat(8)}`, ReservationSid: `WR${'e53'.repeat(11).slice(0, 32)}`, ...ada });
    clock.advance(5_000);
  }, 60_000);
  afterAll(() => seeded?.close());

  it.each([
    ['light', 1200],
    ['dark', 1200],
    ['light', 375],
  ] as const)('%s at %i px: no serious or critical axe violation, nothing wider than the window, and its screenshot', async (scheme, width) => {
    const { page } = await open(
      seeded,
      `#/${WORKSPACE}/events`,
      { workspace: WORKSPACE },
      { colorScheme: scheme, viewport: { width, height: 800 }, deviceScaleFactor: 1 },
    );
    await page.clock.setFixedTime(NOW + 10 * 60_000);
    await page.reload();
    await until(async () => (await rows(page)).length).toBeGreaterThanOrEqual(6);
    expect(serious(await axe(page))).toEqual([]);
    expect(await cspViolations(page)).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
    await page.screenshot({ path: screenshotPath(width === 375 ? 'events-375' : `events-${scheme}`), fullPage: true, animations: 'disabled', caret: 'hide' });
  });
});

describe('the events window, the Go box and filters the API would refuse', () => {
  const NOW = Date.UTC(2026, 10, 24, 9, 0, 0);
  const HOUR = 3_600_000;
  let windowed: LocalStack;
  let workspace: string;
  /** Reservations made 3 days, 2 hours and 5 minutes before NOW. */
  const made: Record<'days' | 'hours' | 'minutes', { taskSid: string; reservationSid: string }> = {} as never;

  beforeAll(async () => {
    const clock = new FakeClock(NOW - 72 * HOUR);
    windowed = await startStack({}, { clock });
    workspace = sid('WS');
    made.days = await assign(windowed, { WorkspaceSid: workspace });
    clock.advance(70 * HOUR);
    made.hours = await assign(windowed, { WorkspaceSid: workspace });
    clock.advance(2 * HOUR - 5 * 60_000);
    made.minutes = await assign(windowed, { WorkspaceSid: workspace });
    clock.advance(5 * 60_000);
  }, 60_000);
  afterAll(() => windowed?.close());

  /** The page at NOW: the stack's clock stands there too. */
  async function openAt(hash: string): Promise<Opened> {
    return open(windowed, hash, { workspace }, { fixedTime: NOW });
  }
  const reservationsShown = async (page: Page) => (await rows(page)).map((row) => row.split(' ')[1]).filter((wr, i, all) => wr && all.indexOf(wr) === i);
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

  it('shows the last 15 minutes unless told; a wider window is read from the newest, one span at a time, with no gap between them', async () => {
    const { page, calls } = await openAt(`#/${workspace}/events`);
    await until(() => reservationsShown(page)).toEqual([made.minutes.reservationSid]);
    expect(Object.fromEntries(eventCalls(calls)[0]!.searchParams)).toEqual({ StartDate: iso(NOW - 15 * 60_000), PageSize: '1000' });

    calls.length = 0;
    await page.getByLabel('Window').selectOption({ label: '7 days' });
    await page.getByRole('button', { name: 'Filter' }).click();
    await until(() => new URL(page.url()).hash).toBe(`#/${workspace}/events?Minutes=10080`);
    await until(() => reservationsShown(page)).toEqual([made.minutes.reservationSid, made.hours.reservationSid, made.days.reservationSid]);
    expect(await page.getByRole('paragraph').filter({ hasText: 'the last 7 days and everything since' }).count()).toBe(1);
    const spans = eventCalls(calls)
      .slice(0, 4)
      .map((url) => [url.searchParams.get('StartDate'), url.searchParams.get('EndDate')]);
    const at = (minutes: number) => iso(NOW - minutes * 60_000);
    expect(spans).toEqual([
      [at(15), null],
      [at(60), at(15)],
      [at(1440), at(60)],
      [at(10_080), at(1440)],
    ]);
    // Later refreshes ask only for what is new.
    await until(() => eventCalls(calls).length).toBeGreaterThanOrEqual(5);
    expect(eventCalls(calls)[4]!.searchParams.has('EndDate')).toBe(false);
  });

  it('reads no wider span once the newer ones fill a screen (500 rows)', async () => {
    const busy = sid('WS');
    const recent = () => api<{ events: unknown[] }>(`/v1/Workspaces/${busy}/Events?Minutes=15&PageSize=1000`).then((page) => page.events.length);
    // The live stack's clock is the real one: all of these are within its last 15 minutes.
    // Assigned before the first count: the Event list of a workspace with no event is a 404.
    do await Promise.all(Array.from({ length: 25 }, () => assign(stack, { WorkspaceSid: busy })));
    while ((await recent()) < 520);
    const { page, calls } = await open(stack, `#/${busy}/events?Minutes=43200`, { workspace: busy });
    await until(() => page.locator('table caption').textContent()).toMatch(/^The newest 500 of \d+ events read: filter to see others$/);
    await page.waitForTimeout(300);
    const firstLoad = eventCalls(calls).filter((url) => !url.searchParams.has('PageToken') && url.searchParams.has('EndDate'));
    expect(firstLoad).toEqual([]);
  });

  it('with nothing matching, reads the window once, then asks only since its last read at each refresh', async () => {
    const { page, calls } = await openAt(`#/${workspace}/events?EventType=reservation.timeout&Minutes=43200`);
    await page.getByText('No events match these filters in the last 30 days.').waitFor();
    // Three refreshes (every 1.25 s).
    await until(() => eventCalls(calls).length, 8_000).toBeGreaterThanOrEqual(8);
    const spans = eventCalls(calls).slice(0, 5);
    expect(spans.map((url) => url.searchParams.get('StartDate'))).toEqual([15, 60, 1440, 10_080, 43_200].map((m) => iso(NOW - m * 60_000)));
    for (const url of eventCalls(calls).slice(5)) {
      // Since the last read, allowing the page's clock to be two minutes off: never the 30 days again.
      expect(url.searchParams.has('EndDate')).toBe(false);
      expect(NOW - Date.parse(url.searchParams.get('StartDate')!)).toBeLessThanOrEqual(2 * 60_000);
    }
  });

  it('the Go box opens a reservation by its SID alone: its events name its task', async () => {
    const { page } = await openAt(`#/${workspace}/events`);
    await page.getByLabel('Go to a task, worker, reservation or workspace SID').fill(made.days.reservationSid);
    await page.getByRole('button', { name: 'Go' }).click();
    await until(() => new URL(page.url()).hash).toBe(`#/${workspace}/tasks/${made.days.taskSid}/reservations/${made.days.reservationSid}`);
    await page.getByRole('heading', { level: 1, name: /Reservation/ }).waitFor();
  });

  it('the Go box: a reservation no event names opens its 30 days of events, empty; a malformed SID is said at the box', async () => {
    const { page, calls } = await openAt(`#/${workspace}/events`);
    const unknown = sid('WR');
    await page.getByLabel('Go to a task, worker, reservation or workspace SID').fill(unknown);
    await page.getByRole('button', { name: 'Go' }).click();
    await until(() => new URL(page.url()).hash).toBe(`#/${workspace}/events?ReservationSid=${unknown}&Minutes=43200`);
    await page.getByText('No events match these filters in the last 30 days.').waitFor();

    const before = calls.length;
    const hash = new URL(page.url()).hash;
    await page.getByLabel('Go to a task, worker, reservation or workspace SID').fill('WR1234');
    await page.getByRole('button', { name: 'Go' }).click();
    await page.getByText('A reservation SID is WR followed by 32 hexadecimal digits.').waitFor();
    expect(await page.getByLabel('Go to a task, worker, reservation or workspace SID').getAttribute('aria-invalid')).toBe('true');
    expect(new URL(page.url()).hash).toBe(hash);
    expect(calls.slice(before).filter((url) => url.searchParams.get('ReservationSid') === 'WR1234')).toEqual([]);
  });

  it('a filter the API would refuse is said at its field, the form kept, and nothing asked', async () => {
    const { page, calls } = await openAt(`#/${workspace}/events`);
    await until(() => reservationsShown(page)).toEqual([made.minutes.reservationSid]);
    // A lower-case prefix the API refuses too.
    await page.getByLabel('Worker SID', { exact: true }).fill(`wk${'0'.repeat(32)}`);
    await page.getByLabel('Task SID', { exact: true }).fill('WT-not-a-sid');
    await page.getByLabel('Event type', { exact: true }).fill('accepted');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('Correct the filters marked below.').waitFor();
    const task = page.getByLabel('Task SID', { exact: true });
    expect(await task.getAttribute('aria-invalid')).toBe('true');
    expect(await task.inputValue()).toBe('WT-not-a-sid');
    expect(await page.locator(`#${await task.getAttribute('aria-describedby')}`).textContent()).toBe('A task SID is WT followed by 32 hexadecimal digits.');
    expect(await page.getByLabel('Event type', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Worker SID', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Reservation SID', { exact: true }).getAttribute('aria-invalid')).toBeNull();
    await page.waitForTimeout(2_000);
    expect(eventCalls(calls).filter((url) => url.searchParams.has('TaskSid'))).toEqual([]);
    expect(serious(await axe(page))).toEqual([]);
    // Corrected, it is asked.
    await task.fill(made.minutes.taskSid);
    await page.getByLabel('Event type', { exact: true }).fill('');
    await page.getByLabel('Worker SID', { exact: true }).fill('');
    await page.getByRole('button', { name: 'Filter' }).click();
    await until(() => reservationsShown(page)).toEqual([made.minutes.reservationSid]);
    expect(eventCalls(calls).at(-1)!.searchParams.get('TaskSid')).toBe(made.minutes.taskSid);
  });
});
