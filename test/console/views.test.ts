/**
 * Each view of the console as a user sees it: axe-core finds no serious or critical violation in
 * light and dark, nothing overflows sideways at 375 px, and dark mode follows the system. The same
 * runs take the README's screenshots (test/.out/console, or docs/ with `npm run screenshots`): the
 * data are seeded with fixed SIDs on a fixed clock, so they are the same on every run.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { LocalStack } from '#lib/local/server.ts';
import { axe, cspViolations, launchChromium, screenshotPath, serious, signedInContext } from '../support/browser.ts';
import { FakeClock } from '../support/clock.ts';
import { assign, basicAuth, startStack } from '../support/fixtures.ts';

const NOW = Date.UTC(2026, 10, 24, 9, 0, 0);
/** A readable fixed SID: the prefix, then `fill` repeated to 32 hex digits. */
const fixed = (prefix: string, fill: string) => `${prefix}${fill.repeat(32).slice(0, 32)}`;

const WORKSPACE = fixed('WS', '5eed');
const ADA = fixed('WK', 'ada0');
const GRACE = fixed('WK', '96ace');
const QUEUE = fixed('WQ', '0a');
const WORKFLOW = fixed('WW', '0f');
const TASKS = ['7a51', '7a52', '7a53', '7a54'].map((fill) => fixed('WT', fill));
const reservation = (n: number) => fixed('WR', `e5${n}`);

let stack: LocalStack;
let browser: Browser;
const clock = new FakeClock(NOW);

async function post(task: string, wr: string, body: Record<string, string>): Promise<void> {
  const response = await fetch(`${stack.url}/v1/Workspaces/${WORKSPACE}/Tasks/${task}/Reservations/${wr}`, {
    method: 'POST',
    headers: basicAuth(),
    body: new URLSearchParams(body),
  });
  if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
}

beforeAll(async () => {
  [stack, browser] = await Promise.all([startStack({}, { clock }), launchChromium()]);
  const common = { WorkspaceSid: WORKSPACE, TaskQueueSid: QUEUE, WorkflowSid: WORKFLOW };
  const ada = { WorkerSid: ADA, WorkerName: 'Ada', WorkerAttributes: JSON.stringify({ contact_uri: 'client:ada', skills: ['billing', 'support'] }) };
  const grace = { WorkerSid: GRACE, WorkerName: 'Grace', WorkerAttributes: JSON.stringify({ contact_uri: 'client:grace', skills: ['support'] }) };
  const attributes = (n: number) => JSON.stringify({ type: 'voice', from: `+1555010${n}`, customer: { tier: n === 0 ? 'gold' : 'standard' } });
  // Task 0: Grace rejected it, Ada accepted it and is wrapping up. Task 1: Ada completed it.
  // Task 2: Ada timed out... not on a fixed clock: Ada is reserved, still pending. Task 3: pending for both.
  await assign(stack, { ...common, ...grace, TaskSid: TASKS[0]!, TaskAttributes: attributes(0), ReservationSid: reservation(1) });
  clock.advance(20_000);
  await post(TASKS[0]!, reservation(1), { ReservationStatus: 'rejected' });
  clock.advance(3_000);
  await assign(stack, { ...common, ...ada, TaskSid: TASKS[0]!, TaskAttributes: attributes(0), ReservationSid: reservation(2) });
  clock.advance(9_000);
  await post(TASKS[0]!, reservation(2), { ReservationStatus: 'accepted' });
  clock.advance(95_000);
  await post(TASKS[0]!, reservation(2), { ReservationStatus: 'wrapping' });
  await assign(stack, { ...common, ...ada, TaskSid: TASKS[1]!, TaskAttributes: attributes(1), ReservationSid: reservation(3) });
  clock.advance(4_000);
  await post(TASKS[1]!, reservation(3), { Instruction: 'conference', From: '+15550101', Timeout: '20' });
  clock.advance(40_000);
  await post(TASKS[1]!, reservation(3), { ReservationStatus: 'completed' });
  await assign(stack, { ...common, ...ada, TaskSid: TASKS[2]!, TaskAttributes: attributes(2), ReservationSid: reservation(4) });
  clock.advance(2_000);
  await assign(stack, { ...common, ...grace, TaskSid: TASKS[3]!, TaskAttributes: attributes(3), ReservationSid: reservation(5) });
  await assign(stack, { ...common, ...ada, TaskSid: TASKS[3]!, TaskAttributes: attributes(3), ReservationSid: reservation(6) });
  clock.advance(5_000);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

type Scheme = 'light' | 'dark';

async function view(hash: string, options: { scheme?: Scheme; width?: number; signedIn?: boolean } = {}): Promise<Page> {
  const { scheme = 'light', width = 1200, signedIn = true } = options;
  const context = await signedInContext(browser, signedIn ? { workspace: WORKSPACE } : null, {
    colorScheme: scheme,
    viewport: { width, height: 800 },
    deviceScaleFactor: 1,
  });
  onTestFinished(() => context.close());
  const page = await context.newPage();
  // The page's "today" and its countdowns: the stack's fixed clock, a few seconds later, so that
  // the pending reservations count down (their deadlines come from reservation.created events).
  await page.clock.setFixedTime(clock.now() + 5_000);
  await page.goto(`${stack.url}/console${hash}`);
  return page;
}

/** axe, the 375 px and dark-mode checks, and the screenshot, of the view as it stands. */
async function check(page: Page, name: string): Promise<void> {
  // Settled: the first render done, no refresh half-applied.
  await page.waitForFunction(() => !document.querySelector('main .empty')?.textContent?.startsWith('Loading'));
  expect(serious(await axe(page)), name).toEqual([]);
  expect(await cspViolations(page), name).toEqual([]);
  const width = page.viewportSize()!.width;
  expect(await page.evaluate(() => document.documentElement.scrollWidth), `${name}: nothing wider than the window`).toBeLessThanOrEqual(width);
  await page.screenshot({ path: screenshotPath(name), fullPage: true, animations: 'disabled', caret: 'hide' });
}

async function background(page: Page): Promise<string> {
  return page.evaluate(() => getComputedStyle(document.body).backgroundColor);
}

describe('each view, light and dark: no serious or critical axe violation, and its screenshot', () => {
  it('sign-in', async () => {
    const page = await view('', { signedIn: false });
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await check(page, 'sign-in');
    // The error state too.
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#sign-in-error').filter({ hasText: 'required' }).waitFor();
    expect(serious(await axe(page))).toEqual([]);
  });

  it.each(['light', 'dark'] as const)('worker (%s)', async (scheme) => {
    const page = await view(`#/${WORKSPACE}/workers/${ADA}`, { scheme });
    await page.getByRole('heading', { name: 'Worker Ada' }).waitFor();
    await page.locator('table tbody tr').nth(3).waitFor();
    expect(await background(page)).toBe(scheme === 'dark' ? 'rgb(13, 17, 23)' : 'rgb(255, 255, 255)');
    await check(page, `worker-${scheme}`);
  });

  it.each(['light', 'dark'] as const)('task (%s)', async (scheme) => {
    const page = await view(`#/${WORKSPACE}/tasks/${TASKS[0]}`, { scheme });
    await page.getByRole('heading', { name: `Task ${TASKS[0]}` }).waitFor();
    await page.locator('table tbody tr').nth(1).waitFor();
    await page.getByText('Attributes').click();
    await check(page, `task-${scheme}`);
  });

  it.each(['light', 'dark'] as const)('reservation (%s)', async (scheme) => {
    const page = await view(`#/${WORKSPACE}/tasks/${TASKS[3]}/reservations/${reservation(6)}`, { scheme });
    await page.getByRole('heading', { name: `Reservation ${reservation(6)}` }).waitFor();
    await page.getByText('Dequeue instruction').click();
    await check(page, `reservation-${scheme}`);
    // A refusal, as it shows.
    await page.locator('form[data-action="dequeue"]').getByRole('button', { name: 'Send dequeue' }).click();
    await page.getByRole('alert').filter({ hasText: 'Refused' }).waitFor();
    expect(serious(await axe(page))).toEqual([]);
  });
});

describe('between phone and desktop', () => {
  it.each([800, 1000])('at %i px the worker view fits the window', async (width) => {
    const page = await view(`#/${WORKSPACE}/workers/${ADA}`, { width });
    await page.locator('table tbody tr').nth(3).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
  });
});

describe('at phone width (375 px)', () => {
  it.each([
    ['worker', `#/${WORKSPACE}/workers/${ADA}`, 'Worker Ada'],
    ['task', `#/${WORKSPACE}/tasks/${TASKS[3]}`, `Task ${TASKS[3]}`],
    ['reservation', `#/${WORKSPACE}/tasks/${TASKS[0]}/reservations/${reservation(2)}`, `Reservation ${reservation(2)}`],
  ])('%s: readable, every cell labelled by its column, nothing wider than the screen', async (name, hash, heading) => {
    const page = await view(hash, { width: 375 });
    await page.getByRole('heading', { name: heading }).waitFor();
    await check(page, `${name}-375`);
    // Rows are cards: each cell shows its column's name.
    const cells = page.locator('table tbody td');
    if ((await cells.count()) > 0) {
      const label = await cells.first().evaluate((td) => getComputedStyle(td, '::before').content);
      expect(label).toBe(`"${await cells.first().getAttribute('data-label')}"`);
    }
  });
});
