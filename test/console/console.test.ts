/**
 * The console in real headless Chromium against the local stack: sign-in, the task, worker and
 * reservation views, every action through its form with the API's own refusals, the ETag sent as
 * If-Match, live refresh and its pace, keyboard use, time zones, the CSP in force. The views that
 * need the Event resource are in events-view.test.ts.
 */
import type { Browser, BrowserContextOptions, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { LocalStack } from '#lib/local/server.ts';
import { cspViolations, launchChromium, signedInContext, type ConsoleSession } from '../support/browser.ts';
import { ACCOUNT_SID, AUTH_TOKEN, assign, basicAuth, sid, startStack } from '../support/fixtures.ts';

const API_KEY = sid('SK');
const API_SECRET = 'console0test0key0secret';

let stack: LocalStack;
let browser: Browser;

beforeAll(async () => {
  // Two rejections cancel a task: the task view's reason is reachable in two clicks.
  [stack, browser] = await Promise.all([startStack({ TWILIO_API_KEYS: `${API_KEY}:${API_SECRET}`, MAX_REJECTIONS: '2' }), launchChromium()]);
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

interface ApiCall {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Record<string, string>;
  readonly body: string | null;
}

interface Opened {
  readonly page: Page;
  /** Every request the page made to the REST API, in order. */
  readonly calls: ApiCall[];
}

/** A new tab (its own context: its own session storage), signed in unless `session` is null. */
async function open(hash: string, session: ConsoleSession | null, options: BrowserContextOptions & { clock?: boolean } = {}): Promise<Opened> {
  const { clock, ...contextOptions } = options;
  const context = await signedInContext(browser, session, contextOptions);
  onTestFinished(() => context.close());
  const page = await context.newPage();
  const calls: ApiCall[] = [];
  page.on('request', (request: Request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/v1/'))
      calls.push({ method: request.method(), path: url.pathname, query: url.searchParams, headers: request.headers(), body: request.postData() });
  });
  if (clock) await page.clock.install();
  await page.goto(`${stack.url}/console${hash}`);
  return { page, calls };
}

async function api<T = Record<string, unknown>>(path: string): Promise<T> {
  const response = await fetch(`${stack.url}${path}`, { headers: basicAuth() });
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** What the API answers to an update sent straight to it: the message the page must show. */
async function post(path: string, body: Record<string, string>): Promise<{ status: number; message?: string; reservation_status?: string }> {
  const response = await fetch(`${stack.url}${path}`, { method: 'POST', headers: basicAuth(), body: new URLSearchParams(body) });
  return (await response.json()) as { status: number; message?: string };
}

/** Waits for a view to show something: long enough for a few refreshes (1.25 s each). */
const until = <T>(read: () => Promise<T> | T, timeout = 10_000) => expect.poll(read, { timeout });

const reservationPath = (r: { workspaceSid: string; taskSid: string; reservationSid: string }) =>
  `/v1/Workspaces/${r.workspaceSid}/Tasks/${r.taskSid}/Reservations/${r.reservationSid}`;
const reservationHash = (r: { workspaceSid: string; taskSid: string; reservationSid: string }) =>
  `#/${r.workspaceSid}/tasks/${r.taskSid}/reservations/${r.reservationSid}`;

/** The reservation view's status badge. */
const status = (page: Page) => page.locator('.facts dd .badge').first();

/** Makes the tab report itself hidden, as a browser does for a background tab. */
async function setHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate((h) => {
    Object.defineProperty(document, 'visibilityState', { value: h ? 'hidden' : 'visible', configurable: true });
    Object.defineProperty(document, 'hidden', { value: h, configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

describe('sign-in', () => {
  it('asks for the credentials and the workspace, then opens the view the URL names; they stay in session storage only', async () => {
    const r = await assign(stack);
    const { page, calls } = await open(`#/${r.workspaceSid}/workers/${r.workerSid}`, null);
    await until(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in');
    await until(() => page.getByLabel('Workspace SID').inputValue()).toBe(r.workspaceSid);
    await page.getByLabel('Account SID or API key SID').fill(ACCOUNT_SID);
    await page.getByLabel('Auth token or API key secret').fill(AUTH_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Worker Doug' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Console' }).textContent()).toContain(`Signed in as ${ACCOUNT_SID.slice(0, 6)}…${ACCOUNT_SID.slice(-4)}`);
    expect(await page.getByTitle(ACCOUNT_SID).count()).toBe(1);
    const stored = await page.evaluate(() => ({ session: sessionStorage.getItem('taskrouter-console'), local: localStorage.length, cookie: document.cookie }));
    expect(JSON.parse(stored.session!)).toEqual({ username: ACCOUNT_SID, secret: AUTH_TOKEN, workspace: r.workspaceSid });
    expect([stored.local, stored.cookie]).toEqual([0, '']);
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) expect(call.headers['authorization']).toBe(basicAuth()['Authorization']);
    expect(await cspViolations(page)).toEqual([]);
  });

  it('takes an API key SID and secret', async () => {
    const r = await assign(stack);
    const { page } = await open(`#/${r.workspaceSid}/tasks/${r.taskSid}`, { username: API_KEY, secret: API_SECRET, workspace: r.workspaceSid });
    await page.getByRole('heading', { name: `Task ${r.taskSid}` }).waitFor();
  });

  it("shows a sign-in error with the API's message for wrong credentials, and nothing else", async () => {
    const r = await assign(stack);
    const { page, calls } = await open(`#/${r.workspaceSid}/workers/${r.workerSid}`, null);
    await page.getByLabel('Account SID or API key SID').fill(ACCOUNT_SID);
    await page.getByLabel('Auth token or API key secret').fill('not0the0token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const error = page.getByRole('alert').filter({ hasText: 'Sign-in failed' });
    await error.waitFor();
    expect(await error.textContent()).toBe('Sign-in failed: the API refused these credentials (Authenticate).');
    expect(calls.some((c) => c.path.includes(r.workerSid))).toBe(true);
    // Nothing else: the form alone, no navigation, no data, no session kept.
    expect(await page.getByRole('navigation', { name: 'Console' }).isHidden()).toBe(true);
    expect(await page.locator('main h1').allTextContents()).toEqual(['Sign in']);
    expect(await page.locator('main table, main .facts').count()).toBe(0);
    expect(await page.locator('main').textContent()).not.toContain('Doug');
    expect(await page.evaluate(() => sessionStorage.getItem('taskrouter-console'))).toBeNull();
    // The SID stays typed, the secret is asked again, with the focus on it.
    expect(await page.getByLabel('Account SID or API key SID').inputValue()).toBe(ACCOUNT_SID);
    expect(await page.getByLabel('Auth token or API key secret').inputValue()).toBe('');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('secret');
  });

  it('opens the workspace typed, not the one the address named, when they differ', async () => {
    const r = await assign(stack);
    const other = await assign(stack);
    const { page } = await open(`#/${r.workspaceSid}/attention`, null);
    await until(() => page.getByLabel('Workspace SID').inputValue()).toBe(r.workspaceSid);
    await page.getByLabel('Account SID or API key SID').fill(ACCOUNT_SID);
    await page.getByLabel('Auth token or API key secret').fill(AUTH_TOKEN);
    await page.getByLabel('Workspace SID').fill(other.workspaceSid);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await until(() => page.evaluate(() => location.hash)).toBe(`#/${other.workspaceSid}`);
    await until(() => page.locator('main').textContent()).toContain(other.workspaceSid);
  });

  it('says what is wrong with the form before asking the API anything', async () => {
    const { page, calls } = await open('', null);
    await page.getByLabel('Account SID or API key SID').fill('AC123');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const error = page.locator('#sign-in-error');
    await until(() => error.textContent()).toContain('AC or SK followed by 32 hexadecimal digits');
    expect(await error.textContent()).toContain('The auth token or secret is required.');
    expect(await error.textContent()).toContain('The workspace SID is WS followed by 32 hexadecimal digits.');
    expect(await page.getByLabel('Account SID or API key SID').getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('username');
    expect(calls).toEqual([]);
  });

  it('signs out: the session is gone and the form is back', async () => {
    const r = await assign(stack);
    const { page } = await open(`#/${r.workspaceSid}/tasks/${r.taskSid}`, { workspace: r.workspaceSid });
    await page.getByRole('heading', { name: `Task ${r.taskSid}` }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('taskrouter-console'))).toBeNull();
  });
});

describe('the task view', () => {
  it("shows the task's assignment status and reason and each reservation with its worker; every SID is a link to its view", async () => {
    const first = await assign(stack, { WorkerName: 'Ada' });
    const second = await assign(stack, { WorkspaceSid: first.workspaceSid, TaskSid: first.taskSid, WorkerName: 'Grace' });
    const { page } = await open(`#/${first.workspaceSid}/tasks/${first.taskSid}`, { workspace: first.workspaceSid });
    await page.getByRole('heading', { name: `Task ${first.taskSid}` }).waitFor();
    const facts = page.locator('.facts');
    expect(await facts.locator('dd').first().textContent()).toBe('reserved');
    const rows = page.locator('table tbody tr');
    await until(() => rows.count()).toBe(2);
    // Newest first.
    expect(await rows.nth(0).textContent()).toContain('Grace');
    expect(await rows.nth(1).textContent()).toContain('Ada');

    // Rejected twice (MAX_REJECTIONS=2): canceled, with the API's reason.
    for (const r of [first, second]) expect((await post(reservationPath(r), { ReservationStatus: 'rejected' })).reservation_status).toBe('rejected');
    const task = await api<{ assignment_status: string; reason: string }>(`/v1/Workspaces/${first.workspaceSid}/Tasks/${first.taskSid}`);
    expect(task.assignment_status).toBe('canceled');
    await until(() => facts.locator('dd').first().textContent()).toBe('canceled');
    expect(await facts.locator('dd').nth(1).textContent()).toBe(task.reason);
    await until(() => rows.locator('.badge').allTextContents()).toEqual(['rejected', 'rejected']);

    await rows.nth(0).getByRole('link', { name: second.workerSid }).click();
    await page.getByRole('heading', { name: 'Worker Grace' }).waitFor();
    await page.goBack();
    await page.getByRole('link', { name: first.reservationSid }).click();
    await page.getByRole('heading', { name: `Reservation ${first.reservationSid}` }).waitFor();
    await page.getByRole('link', { name: first.taskSid }).click();
    await page.getByRole('heading', { name: `Task ${first.taskSid}` }).waitFor();
  });

  it('says what to do when the task is not known', async () => {
    const ws = sid('WS');
    const task = sid('WT');
    const { page } = await open(`#/${ws}/tasks/${task}`, { workspace: ws });
    await page.getByRole('heading', { name: `Task ${task}` }).waitFor();
    expect(await page.locator('main').textContent()).toContain('A task is known here once an assignment callback has reserved a worker for it.');
  });
});

describe('the worker view', () => {
  it('lists 200 reservations newest first, counts them by status, and filters by status without asking the API again', async () => {
    const ws = sid('WS');
    const worker = sid('WK');
    const made: string[] = [];
    for (let i = 0; i < 200; i++) made.push((await assign(stack, { WorkspaceSid: ws, WorkerSid: worker, WorkerName: 'Lin' })).reservationSid);
    const { page, calls } = await open(`#/${ws}/workers/${worker}`, { workspace: ws });
    await page.getByRole('heading', { name: 'Worker Lin' }).waitFor();
    const rows = page.locator('table tbody tr');
    await until(() => rows.count()).toBe(200);
    expect(await rows.first().getByRole('link').first().textContent()).toBe(made.at(-1));
    expect(await rows.last().getByRole('link').first().textContent()).toBe(made[0]);
    // One list request of the whole worker: PageSize 1000.
    const list = calls.find((c) => c.path.endsWith('/Reservations'))!;
    expect(list.query.get('PageSize')).toBe('1000');

    const task = (await api<{ reservations: { task_sid: string }[] }>(`/v1/Workspaces/${ws}/Workers/${worker}/Reservations?PageSize=1`)).reservations[0]!
      .task_sid;
    await post(`/v1/Workspaces/${ws}/Tasks/${task}/Reservations/${made[0]}`, { ReservationStatus: 'accepted' });
    const counts = page.getByRole('list', { name: 'Filter by status' });
    await until(() => counts.textContent()).toBe('all (200)pending (199)accepted (1)');
    const before = calls.length;
    await counts.getByRole('link', { name: 'accepted (1)' }).click();
    await until(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain(made[0]);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('accepted (1)');
    // Whatever the refreshes asked meanwhile, the filter itself asked nothing new.
    expect(calls.slice(before).filter((c) => c.query.has('ReservationStatus'))).toEqual([]);
    expect(await page.locator('caption').textContent()).toBe("1 of the worker's 200 reservations (accepted), newest first");
  }, 90_000);

  it('says what to do when the worker is not known', async () => {
    const ws = sid('WS');
    const worker = sid('WK');
    const { page } = await open(`#/${ws}/workers/${worker}`, { workspace: ws });
    await page.getByRole('heading', { name: `Worker ${worker}` }).waitFor();
    expect(await page.locator('main').textContent()).toContain('A worker is known here once an assignment callback has reserved it.');
  });
});

describe('actions on a reservation', () => {
  it('accepts from its page, sending the ETag it shows as If-Match; the API then reads accepted', async () => {
    const r = await assign(stack);
    const { page, calls } = await open(reservationHash(r), { workspace: r.workspaceSid });
    await until(() => status(page).textContent()).toBe('pending');
    await page.getByRole('button', { name: 'Accept' }).click();
    await until(() => page.getByRole('status').filter({ hasText: 'ReservationStatus' }).textContent()).toBe(
      'ReservationStatus=accepted: the reservation is now accepted.',
    );
    expect(await status(page).textContent()).toBe('accepted');
    const update = calls.find((c) => c.method === 'POST')!;
    expect(update).toMatchObject({ path: reservationPath(r), body: 'ReservationStatus=accepted' });
    expect(update.headers['if-match']).toBe('"1"');
    expect((await api(reservationPath(r)))['reservation_status']).toBe('accepted');
    expect(await cspViolations(page)).toEqual([]);
  });

  it("refuses a bad activity with the API's message, rejects with a good one (the worker moves), then offers nothing more", async () => {
    const r = await assign(stack);
    const activity = sid('WA');
    const { page } = await open(reservationHash(r), { workspace: r.workspaceSid });
    await until(() => status(page).textContent()).toBe('pending');
    await page.getByLabel('WorkerActivitySid').fill('WA123');
    await page.getByRole('button', { name: 'Reject' }).click();
    const refusal = page.getByRole('alert').filter({ hasText: 'Refused' });
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/^Refused \(HTTP 400\): Invalid parameter WorkerActivitySid: /);
    await page.getByLabel('WorkerActivitySid').fill(activity);
    await page.getByRole('button', { name: 'Reject' }).click();
    await until(() => status(page).textContent()).toBe('rejected');
    expect((await api(`/v1/Workspaces/${r.workspaceSid}/Workers/${r.workerSid}`))['activity_sid']).toBe(activity);
    // Only what the status allows is offered: from rejected, nothing.
    await until(() => page.locator('.actions form:visible, .actions details:visible').count()).toBe(0);
    expect(await page.getByText('Nothing to do: its status, rejected, allows no action.').isVisible()).toBe(true);
  });

  it('offers what the status allows: accept, reject and the instructions while pending; then supervise, wrap up and complete', async () => {
    const r = await assign(stack);
    const { page } = await open(reservationHash(r), { workspace: r.workspaceSid });
    await until(() => status(page).textContent()).toBe('pending');
    const offered = () =>
      page.locator('.actions form:visible button[type=submit], .actions details:visible > summary').evaluateAll((els) => els.map((e) => e.textContent!.trim()));
    expect(await offered()).toEqual([
      'Accept',
      'Reject',
      'Conference instruction',
      'Dequeue instruction',
      'Call instruction (accepts only with CallAccept=true)',
      'Redirect instruction (accepts only with RedirectAccept=true)',
    ]);
    await page.getByRole('button', { name: 'Accept' }).click();
    await until(() => status(page).textContent()).toBe('accepted');
    await until(offered).toEqual(['Wrap up', 'Complete', 'Supervise instruction']);
    await page.getByRole('button', { name: 'Wrap up' }).click();
    await until(offered).toEqual(['Complete']);
  });

  it('wraps up and completes an accepted reservation', async () => {
    const r = await assign(stack);
    await post(reservationPath(r), { ReservationStatus: 'accepted' });
    const { page } = await open(reservationHash(r), { workspace: r.workspaceSid });
    await until(() => status(page).textContent()).toBe('accepted');
    await page.getByRole('button', { name: 'Wrap up' }).click();
    await until(() => status(page).textContent()).toBe('wrapping');
    await page.getByRole('button', { name: 'Complete' }).click();
    await until(() => status(page).textContent()).toBe('completed');
    const task = await api(`/v1/Workspaces/${r.workspaceSid}/Tasks/${r.taskSid}`);
    expect(task['assignment_status']).toBe('completed');
  });

  it('sends an instruction with the fields filled in, as the parameter table names them', async () => {
    const r = await assign(stack);
    const { page, calls } = await open(reservationHash(r), { workspace: r.workspaceSid });
    await until(() => status(page).textContent()).toBe('pending');
    await page.getByText('Dequeue instruction').click();
    const form = page.locator('form[data-action="dequeue"]');
    await form.getByLabel('DequeueFrom').fill('+15550100');
    await form.getByLabel('DequeueTimeout').fill('30');
    await form.getByLabel('DequeueRecord').selectOption('record-from-answer');
    await form.getByRole('checkbox', { name: 'answered' }).check();
    await form.getByRole('checkbox', { name: 'completed' }).check();
    await form.getByRole('button', { name: 'Send dequeue' }).click();
    await until(() => status(page).textContent()).toBe('accepted');
    const body = new URLSearchParams(calls.find((c) => c.method === 'POST')!.body!);
    expect([...body]).toEqual([
      ['Instruction', 'dequeue'],
      ['DequeueFrom', '+15550100'],
      ['DequeueRecord', 'record-from-answer'],
      ['DequeueTimeout', '30'],
      ['DequeueStatusCallbackEvent', 'answered'],
      ['DequeueStatusCallbackEvent', 'completed'],
    ]);
  });

  it('a call without CallAccept leaves the reservation pending; a redirect with RedirectAccept=true accepts it', async () => {
    const r = await assign(stack);
    const { page } = await open(reservationHash(r), { workspace: r.workspaceSid });
    await until(() => status(page).textContent()).toBe('pending');
    await page.getByText('Call instruction').click();
    const call = page.locator('form[data-action="call"]');
    await call.getByLabel('CallFrom').fill('+15550100');
    await call.getByLabel('CallUrl').fill('https://example.com/twiml');
    await call.getByRole('button', { name: 'Send call' }).click();
    await until(() => page.getByRole('status').filter({ hasText: 'Instruction=call' }).textContent()).toBe('Instruction=call: the reservation is now pending.');
    await page.getByText('Redirect instruction').click();
    const redirect = page.locator('form[data-action="redirect"]');
    await redirect.getByLabel('RedirectCallSid').fill(sid('CA'));
    await redirect.getByLabel('RedirectUrl').fill('https://example.com/redirect');
    await redirect.getByLabel('RedirectAccept').selectOption('true');
    await redirect.getByRole('button', { name: 'Send redirect' }).click();
    await until(() => status(page).textContent()).toBe('accepted');
  });

  it.each([
    ['a value out of bounds', { Timeout: '1000' }, {}],
    ['a missing To for a worker without contact_uri', {}, { WorkerAttributes: '{}' }],
  ] as const)("shows the API's own message for %s", async (_case, fields, callback) => {
    const r = await assign(stack, callback);
    const expected = await post(`${reservationPath(r)}`, { Instruction: 'conference', ...fields });
    expect(expected.status).toBe(400);
    const { page } = await open(reservationHash(r), { workspace: r.workspaceSid });
    await until(() => status(page).textContent()).toBe('pending');
    await page.getByText('Conference instruction').click();
    const form = page.locator('form[data-action="conference"]');
    for (const [name, value] of Object.entries(fields)) await form.getByLabel(name, { exact: true }).fill(value);
    await form.getByRole('button', { name: 'Send conference' }).click();
    const refusal = page.getByRole('alert').filter({ hasText: 'Refused' });
    await refusal.waitFor();
    expect(await refusal.textContent()).toBe(`Refused (HTTP 400): ${expected.message}`);
    expect(await status(page).textContent()).toBe('pending');
  });

  it('on a timed-out reservation, offers nothing, and says why', async () => {
    const r = await assign(stack, {}, { query: 'ReservationTimeout=1' });
    const { page } = await open(reservationHash(r), { workspace: r.workspaceSid });
    await until(() => status(page).textContent()).toBe('timeout');
    await until(() => page.getByText('Nothing to do: its status, timeout, allows no action.').isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Accept' }).count()).toBe(0);
  });

  it('catches a stale view: the API refuses the If-Match, the page says so and refreshes', async () => {
    const r = await assign(stack);
    const { page, calls } = await open(reservationHash(r), { workspace: r.workspaceSid });
    await until(() => status(page).textContent()).toBe('pending');
    // A background tab refreshes every 30 s: long enough for someone else to act meanwhile.
    await setHidden(page, true);
    await post(reservationPath(r), { ReservationStatus: 'accepted' });
    await page.getByRole('button', { name: 'Reject' }).click();
    const refusal = page.getByRole('alert').filter({ hasText: 'stale' });
    await refusal.waitFor();
    expect(await refusal.textContent()).toBe(
      'Refused: this view was stale. The reservation changed since it was shown (Precondition Failed: If-Match "1" does not match the current ETag "2"). The view has been refreshed: check it and try again.',
    );
    expect(calls.find((c) => c.method === 'POST')!.headers['if-match']).toBe('"1"');
    await until(() => status(page).textContent()).toBe('accepted');
    expect((await api(reservationPath(r)))['reservation_status']).toBe('accepted');
  });

  it('works from the keyboard alone, with a visible focus', async () => {
    const r = await assign(stack);
    const { page } = await open(reservationHash(r), { workspace: r.workspaceSid });
    await until(() => status(page).textContent()).toBe('pending');
    let focused = '';
    for (let i = 0; i < 40 && focused !== 'Accept'; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => (document.activeElement as HTMLElement | null)?.textContent ?? '');
    }
    expect(focused).toBe('Accept');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).not.toBe('none');
    await page.keyboard.press('Enter');
    await until(() => status(page).textContent()).toBe('accepted');
    // An instruction form opens and submits from the keyboard too.
    await page.getByText('Supervise instruction').focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (document.activeElement as HTMLElement).id)).toBe('f-supervise-SupervisorMode');
  });
});

describe('live refresh', () => {
  it('refreshes a view about every 1.25 s while it is shown, so a change shows within 2 s, and every 30 s while the tab is hidden', async () => {
    const r = await assign(stack);
    const { page, calls } = await open(`#/${r.workspaceSid}/tasks/${r.taskSid}`, { workspace: r.workspaceSid }, { clock: true });
    await page.getByRole('heading', { name: `Task ${r.taskSid}` }).waitFor();
    const taskPath = `/v1/Workspaces/${r.workspaceSid}/Tasks/${r.taskSid}`;
    const taskReads = () => calls.filter((c) => c.path === taskPath).length;
    await page.clock.pauseAt(Date.now() + 60_000);
    // The page's time stands still now: only the test moves it.
    await page.waitForTimeout(300);
    const settled = taskReads();

    await page.clock.runFor(1_000);
    await page.waitForTimeout(300);
    expect(taskReads()).toBe(settled);
    await post(reservationPath(r), { ReservationStatus: 'accepted' });
    const next = page.waitForRequest((request) => new URL(request.url()).pathname === taskPath);
    await page.clock.runFor(300);
    await next;
    await until(() => page.locator('table .badge').first().textContent()).toBe('accepted');
    expect(await page.locator('.facts dd').first().textContent()).toBe('assigned');
    expect(taskReads()).toBe(settled + 1);

    await setHidden(page, true);
    await page.clock.runFor(29_000);
    await page.waitForTimeout(300);
    expect(taskReads()).toBe(settled + 1);
    await page.clock.runFor(1_500);
    await until(taskReads).toBe(settled + 2);
    // Shown again: refreshed at once, without waiting for the clock.
    await setHidden(page, false);
    await until(taskReads).toBe(settled + 3);
  });

  it('says when the API cannot be reached, keeps what it showed, and recovers', async () => {
    const r = await assign(stack);
    const { page } = await open(`#/${r.workspaceSid}/tasks/${r.taskSid}`, { workspace: r.workspaceSid });
    await page.getByRole('heading', { name: `Task ${r.taskSid}` }).waitFor();
    await page.route('**/v1/**', (route) => route.abort());
    const notice = page.getByRole('alert').filter({ hasText: 'Could not refresh' });
    await notice.waitFor();
    expect(await notice.textContent()).toMatch(
      /^Could not refresh: Cannot reach the API \(is the service running, and is this the page it serves\)\. Showing what was loaded before\. Retrying in \d+ s\.$/,
    );
    expect(await page.getByRole('heading', { name: `Task ${r.taskSid}` }).isVisible()).toBe(true);
    await page.unroute('**/v1/**');
    await until(() => notice.count(), 15_000).toBe(0);
  });

  it('says an update that got no answer is no refusal: whether it was made shows when the view loads again', async () => {
    const r = await assign(stack);
    const { page } = await open(reservationHash(r), { workspace: r.workspaceSid });
    const accept = page.getByRole('button', { name: 'Accept', exact: true });
    await accept.waitFor();
    await page.route('**/v1/**', (route) => route.abort());
    await accept.click();
    const said = page.getByRole('alert').filter({ hasText: 'No answer' });
    await said.waitFor();
    expect(await said.textContent()).toBe(
      'No answer: Cannot reach the API (is the service running, and is this the page it serves). Whether the reservation changed shows when the view loads again.',
    );
    await page.unroute('**/v1/**');
  });
});

describe('time', () => {
  it("shows timestamps in the viewer's time zone, with the UTC value on hover", async () => {
    const r = await assign(stack);
    const { page } = await open(reservationHash(r), { workspace: r.workspaceSid }, { timezoneId: 'America/New_York' });
    const created = page.locator('.facts time').first();
    await created.waitFor();
    const reservation = await api<{ date_created: string }>(reservationPath(r));
    const at = new Date(reservation.date_created);
    expect(await created.getAttribute('datetime')).toBe(reservation.date_created);
    expect(await created.getAttribute('title')).toBe(`${reservation.date_created.slice(0, 19).replace('T', ' ')} UTC`);
    const local = new Intl.DateTimeFormat('en-US', { timeStyle: 'medium', timeZone: 'America/New_York' }).format(at);
    const localWithDate = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'America/New_York' }).format(at);
    expect([local, localWithDate]).toContain(await created.textContent());
  });
});
