/**
 * The console's lifecycle actions in real headless Chromium against a local stack with lifecycle
 * rules (a policy file in a temp dir): completing, wrapping up and canceling a task from its view,
 * setting a worker's activity, the wrap-up's countdown and its extension on the reservation view,
 * and the "needs attention" view with its force actions. Every update goes through its form with
 * the ETag the view shows as If-Match, and a refusal shows the API's own message. Then each new
 * view as a user sees it: axe, 375 px, light and dark, and the screenshots.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContextOptions, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import type { LocalStack } from '#lib/local/server.ts';
import { axe, cspViolations, launchChromium, screenshotPath, serious, signedInContext } from '../support/browser.ts';
import { FakeClock } from '../support/clock.ts';
import { assign, basicAuth, sid, startStack, type CallbackFixture } from '../support/fixtures.ts';

const activity = (c: string) => `WA${c.repeat(32)}`;
const AVAILABLE = activity('a');
const AWAY = activity('d');

/**
 * Voice tasks wrap up for at most 120 s (long enough to watch and extend), SMS for 4 s (short
 * enough to see it end), chat is flagged after 1 s held; nothing moves workers, so that what a
 * test sets is what it reads.
 */
const POLICY = {
  availableActivities: [AVAILABLE],
  rules: [],
  lifecycle: [
    { name: 'voice', match: { task: { type: 'voice' } }, wrapUpSeconds: 120 },
    { name: 'sms', match: { task: { type: 'sms' } }, wrapUpSeconds: 4 },
    { name: 'chat held too long', match: { task: { type: 'chat' } }, attentionAfterSeconds: 1 },
  ],
};

let dir: string;
let stack: LocalStack;
let browser: Browser;

function policyFile(policy: unknown, name: string): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(policy));
  return path;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'console-lifecycle-'));
  [stack, browser] = await Promise.all([startStack({ ASSIGNMENT_POLICY: policyFile(POLICY, 'policy.json') }), launchChromium()]);
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await stack?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface ApiCall {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string | null;
}

/** A new tab signed in to `workspace`, recording every request it makes to the API (Twilio's and the lifecycle's). */
async function open(target: LocalStack, hash: string, workspace: string, options: BrowserContextOptions = {}): Promise<{ page: Page; calls: ApiCall[] }> {
  const context = await signedInContext(browser, { workspace }, options);
  context.setDefaultTimeout(10_000);
  onTestFinished(() => context.close());
  const page = await context.newPage();
  const calls: ApiCall[] = [];
  page.on('request', (request: Request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/v1/') || url.pathname.startsWith('/lifecycle/v1/'))
      calls.push({ method: request.method(), path: url.pathname, headers: request.headers(), body: request.postData() });
  });
  await page.goto(`${target.url}/console${hash}`);
  return { page, calls };
}

async function http(path: string, params?: Record<string, string>): Promise<{ status: number; etag: string | null; body: Record<string, unknown> }> {
  const response = await fetch(`${stack.url}${path}`, { headers: basicAuth(), ...(params && { method: 'POST', body: new URLSearchParams(params) }) });
  return { status: response.status, etag: response.headers.get('etag'), body: (await response.json()) as Record<string, unknown> };
}

const until = <T>(read: () => Promise<T> | T, timeout = 10_000) => expect.poll(read, { timeout });

const taskPath = (r: CallbackFixture) => `/v1/Workspaces/${r.workspaceSid}/Tasks/${r.taskSid}`;
const workerPath = (r: CallbackFixture) => `/v1/Workspaces/${r.workspaceSid}/Workers/${r.workerSid}`;
const reservationPath = (r: CallbackFixture) => `${taskPath(r)}/Reservations/${r.reservationSid}`;
const wrapUpPath = (r: CallbackFixture) => `/lifecycle${reservationPath(r)}/WrapUp`;
const attentionPath = (workspace: string) => `/lifecycle/v1/Workspaces/${workspace}/Attention`;
const taskHash = (r: CallbackFixture) => `#/${r.workspaceSid}/tasks/${r.taskSid}`;
const reservationHash = (r: CallbackFixture) => `#/${r.workspaceSid}/tasks/${r.taskSid}/reservations/${r.reservationSid}`;

/** The first fact's badge: the task's assignment status, or the reservation's status. */
const statusBadge = (page: Page) => page.locator('.facts dd .badge').first();
const outcome = (page: Page) => page.locator('.notice.ok[role="status"]');
const refusal = (page: Page) => page.locator('.notice.error[role="alert"]').filter({ hasText: 'Refused' });

/** Which of the task view's update forms show. */
async function taskForms(page: Page): Promise<string[]> {
  return page.locator('form[data-update^="task-"]:visible').evaluateAll((forms) => forms.map((f) => f.getAttribute('data-update')!));
}

async function setHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate((h) => {
    Object.defineProperty(document, 'visibilityState', { value: h ? 'hidden' : 'visible', configurable: true });
    Object.defineProperty(document, 'hidden', { value: h, configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

describe('the task view', () => {
  it("cancels a reserved task with a reason, sent with the task's ETag as If-Match; without a reason, shows the API's refusal", async () => {
    const r = await assign(stack);
    const { page, calls } = await open(stack, taskHash(r), r.workspaceSid);
    await until(() => statusBadge(page).textContent()).toBe('reserved');
    // Cancel only: TaskRouter completes and wraps up only an assigned task.
    expect(await taskForms(page)).toEqual(['task-canceled']);
    const form = page.locator('form[data-update="task-canceled"]');

    const expected = await http(taskPath(r), { AssignmentStatus: 'canceled' });
    expect(expected.status).toBe(400);
    await form.getByRole('button', { name: 'Cancel task' }).click();
    await refusal(page).waitFor();
    expect(await refusal(page).textContent()).toBe(`Refused (HTTP 400): ${expected.body['message']}`);
    expect(await statusBadge(page).textContent()).toBe('reserved');

    const etag = (await http(taskPath(r))).etag;
    await form.getByLabel('Reason').fill('caller hung up');
    await form.getByRole('button', { name: 'Cancel task' }).click();
    await until(() => outcome(page).textContent()).toBe('AssignmentStatus=canceled: the task is now canceled.');
    expect(await refusal(page).count()).toBe(0);
    const posts = calls.filter((c) => c.method === 'POST');
    expect(posts.map((c) => [c.path, c.body, c.headers['if-match']])).toEqual([
      [taskPath(r), 'AssignmentStatus=canceled', etag],
      [taskPath(r), 'AssignmentStatus=canceled&Reason=caller+hung+up', etag],
    ]);
    expect((await http(taskPath(r))).body).toMatchObject({ assignment_status: 'canceled', reason: 'caller hung up' });
    await until(() => statusBadge(page).textContent()).toBe('canceled');
    expect(await taskForms(page)).toEqual([]);
    expect(await page.locator('.actions .empty').textContent()).toBe('No update applies: a canceled task is final.');
    await until(() => page.locator('table .badge').first().textContent()).toBe('canceled');
    expect(serious(await axe(page))).toEqual([]);
  });

  it('wraps up an assigned task, then completes it with a reason; the reservation follows', async () => {
    const r = await assign(stack);
    expect((await http(reservationPath(r), { ReservationStatus: 'accepted' })).status).toBe(200);
    const { page } = await open(stack, taskHash(r), r.workspaceSid);
    await until(() => statusBadge(page).textContent()).toBe('assigned');
    expect(await taskForms(page)).toEqual(['task-wrapping', 'task-completed']);
    await page.getByRole('button', { name: 'Wrap up task' }).click();
    await until(() => outcome(page).textContent()).toBe('AssignmentStatus=wrapping: the task is now wrapping.');
    expect(await statusBadge(page).textContent()).toBe('wrapping');
    expect(await taskForms(page)).toEqual(['task-completed']);

    await page.locator('form[data-update="task-completed"]').getByLabel('Reason').fill('notes written');
    await page.getByRole('button', { name: 'Complete task' }).click();
    await until(() => outcome(page).textContent()).toBe('AssignmentStatus=completed: the task is now completed.');
    expect((await http(taskPath(r))).body).toMatchObject({ assignment_status: 'completed', reason: 'notes written' });
    expect((await http(reservationPath(r))).body['reservation_status']).toBe('completed');
    await until(() => page.locator('table .badge').first().textContent()).toBe('completed');
    expect(await taskForms(page)).toEqual([]);
  });

  it('catches a stale view: the API refuses the If-Match, the page says so and refreshes', async () => {
    const r = await assign(stack);
    const { page } = await open(stack, taskHash(r), r.workspaceSid);
    await until(() => statusBadge(page).textContent()).toBe('reserved');
    const before = (await http(taskPath(r))).etag!;
    // A background tab refreshes every 30 s: long enough for someone else to change the task.
    await setHidden(page, true);
    expect((await http(taskPath(r), { Priority: '7' })).status).toBe(200);
    const after = (await http(taskPath(r))).etag!;
    const form = page.locator('form[data-update="task-canceled"]');
    await form.getByLabel('Reason').fill('duplicate');
    await form.getByRole('button', { name: 'Cancel task' }).click();
    const stale = page.getByRole('alert').filter({ hasText: 'stale' });
    await stale.waitFor();
    expect(await stale.textContent()).toBe(
      `Refused: this view was stale. The task changed since it was shown (Precondition Failed: If-Match ${before} does not match the current ETag ${after}). The view has been refreshed: check it and try again.`,
    );
    await until(() => page.locator('.facts dd').nth(2).textContent()).toBe('7');
    expect((await http(taskPath(r))).body['assignment_status']).toBe('reserved');
    expect(await page.locator('.actions .hint').first().textContent()).toContain(`If-Match: ${after}`);
  });
});

describe('the worker view', () => {
  it("sets the worker's activity with the worker's ETag as If-Match, and shows the API's refusal of a bad one", async () => {
    const r = await assign(stack);
    const { page, calls } = await open(stack, `#/${r.workspaceSid}/workers/${r.workerSid}`, r.workspaceSid);
    await page.getByRole('heading', { name: 'Worker Doug' }).waitFor();
    const form = page.locator('form[data-update="worker-activity"]');
    const expected = await http(workerPath(r), { ActivitySid: 'lunch' });
    expect(expected.status).toBe(400);
    await form.getByLabel('ActivitySid').fill('lunch');
    await form.getByRole('button', { name: 'Set activity' }).click();
    await refusal(page).waitFor();
    expect(await refusal(page).textContent()).toBe(`Refused (HTTP 400): ${expected.body['message']}`);

    const etag = (await http(workerPath(r))).etag;
    await form.getByLabel('ActivitySid').fill(AWAY);
    await form.getByRole('button', { name: 'Set activity' }).click();
    await until(() => outcome(page).textContent()).toBe(`ActivitySid=${AWAY}: the worker's activity is now ${AWAY}.`);
    expect(await page.locator('.facts dd').nth(1).textContent()).toBe(AWAY);
    const post = calls.filter((c) => c.method === 'POST').at(-1)!;
    expect([post.path, post.body, post.headers['if-match']]).toEqual([workerPath(r), `ActivitySid=${AWAY}`, etag]);
    expect((await http(workerPath(r))).body['activity_sid']).toBe(AWAY);
    expect(await page.locator('.actions .hint').first().textContent()).toContain(`If-Match: ${(await http(workerPath(r))).etag}`);
  });

  it('RejectPendingReservations rejects the pending reservations with an activity that takes no work, and is refused with one that does', async () => {
    const r = await assign(stack);
    const { page } = await open(stack, `#/${r.workspaceSid}/workers/${r.workerSid}`, r.workspaceSid);
    await until(() => page.locator('table .badge').first().textContent()).toBe('pending');
    const form = page.locator('form[data-update="worker-activity"]');
    const expected = await http(workerPath(r), { ActivitySid: AVAILABLE, RejectPendingReservations: 'true' });
    expect([expected.status, expected.body['message']]).toEqual([400, expect.stringContaining('RejectPendingReservations')]);
    await form.getByLabel('ActivitySid').fill(AVAILABLE);
    await form.getByLabel('RejectPendingReservations').check();
    await form.getByRole('button', { name: 'Set activity' }).click();
    await refusal(page).waitFor();
    expect(await refusal(page).textContent()).toBe(`Refused (HTTP 400): ${expected.body['message']}`);
    expect((await http(reservationPath(r))).body['reservation_status']).toBe('pending');
    await form.getByLabel('ActivitySid').fill(AWAY);
    await form.getByRole('button', { name: 'Set activity' }).click();
    await until(() => outcome(page).textContent()).toBe(`ActivitySid=${AWAY}: the worker's activity is now ${AWAY}. Its pending reservations are rejected.`);
    // Made: the form is cleared, so the next activity set does not reject again by surprise.
    expect(await form.getByLabel('RejectPendingReservations').isChecked()).toBe(false);
    expect(await form.getByLabel('ActivitySid').inputValue()).toBe('');
    expect((await http(reservationPath(r))).body['reservation_status']).toBe('rejected');
    await until(() => page.locator('table .badge').first().textContent()).toBe('rejected');
  });
});

describe('the wrap-up on the reservation view', () => {
  it('counts down to the end of a limited wrap-up, as a timer that is not announced every second, and extends it', async () => {
    const r = await assign(stack);
    await http(reservationPath(r), { ReservationStatus: 'accepted' });
    await http(reservationPath(r), { ReservationStatus: 'wrapping' });
    const before = (await http(wrapUpPath(r))).body['wrap_up_deadline_ms'] as number;
    const { page, calls } = await open(stack, reservationHash(r), r.workspaceSid);
    await until(() => statusBadge(page).textContent()).toBe('wrapping');
    const timer = page.getByRole('timer');
    await timer.waitFor();
    expect(await timer.getAttribute('aria-live')).toBe('off');
    expect(await timer.getAttribute('data-deadline')).toBe(String(before));
    expect(await timer.textContent()).toMatch(/^(2:00|1:5\d) left$/);
    // The end, as a time that does not change, beside it.
    expect(await page.locator('.wrap-up-end time').getAttribute('datetime')).toBe((await http(wrapUpPath(r))).body['wrap_up_deadline']);
    expect(await page.locator('.wrap-up-end').textContent()).toMatch(/^ends at .+ \((2:00|1:5\d) left\) · 120 s limit, rule "voice"$/);
    const first = await timer.textContent();
    await until(() => timer.textContent(), 3_000).not.toBe(first);
    // Ticking is not news: the announcer stayed quiet.
    expect(await page.locator('#announcer').textContent()).toBe('');

    const form = page.locator('form[data-update="wrap-up-extend"]');
    const expected = await http(wrapUpPath(r), { ExtendSeconds: '0' });
    expect(expected.status).toBe(400);
    await form.getByLabel('ExtendSeconds').fill('0');
    await form.getByRole('button', { name: 'Extend wrap-up' }).click();
    await refusal(page).waitFor();
    expect(await refusal(page).textContent()).toBe(`Refused (HTTP 400): ${expected.body['message']}`);

    await form.getByLabel('ExtendSeconds').fill('60');
    await form.getByRole('button', { name: 'Extend wrap-up' }).click();
    await until(() => outcome(page).textContent()).toMatch(/^ExtendSeconds=60: the wrap-up now ends at /);
    expect((await http(wrapUpPath(r))).body['wrap_up_deadline_ms']).toBe(before + 60_000);
    expect(await page.getByRole('timer').getAttribute('data-deadline')).toBe(String(before + 60_000));
    expect(await page.getByRole('timer').textContent()).toMatch(/^(3:00|2:5\d) left$/);
    const extend = calls.filter((c) => c.method === 'POST');
    expect(extend.map((c) => [c.path, c.body])).toEqual([
      [wrapUpPath(r), 'ExtendSeconds=0'],
      [wrapUpPath(r), 'ExtendSeconds=60'],
    ]);
    expect((await http(reservationPath(r))).body['reservation_status']).toBe('wrapping');
    expect(serious(await axe(page))).toEqual([]);
  });

  it('says politely when the time is up (not the thresholds passed before the view opened), then shows the completion', async () => {
    const r = await assign(stack, { TaskAttributes: JSON.stringify({ type: 'sms' }) });
    await http(reservationPath(r), { ReservationStatus: 'accepted' });
    await http(reservationPath(r), { ReservationStatus: 'wrapping' });
    const { page } = await open(stack, reservationHash(r), r.workspaceSid);
    await page.getByRole('timer').waitFor();
    // Every text the announcer is given, in order.
    await page.evaluate(() => {
      const spoken: string[] = [];
      (window as unknown as { spoken: string[] }).spoken = spoken;
      const announcer = document.getElementById('announcer')!;
      new MutationObserver(() => announcer.textContent && spoken.push(announcer.textContent)).observe(announcer, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
    expect(await page.locator('form[data-update="wrap-up-extend"]').isVisible()).toBe(true);
    await until(() => page.evaluate(() => (window as unknown as { spoken: string[] }).spoken), 8_000).toEqual(['Wrap-up time is up.']);
    // The rule's timer completes it: the view shows it, and there is nothing left to extend.
    await until(() => statusBadge(page).textContent(), 8_000).toBe('completed');
    expect(await page.getByRole('timer').count()).toBe(0);
    expect(await page.locator('form[data-update="wrap-up-extend"]').isVisible()).toBe(false);
  });

  it.each(['task', 'worker'] as const)(
    "the %s view's Deadline column counts down to a wrapping reservation's wrap-up end, read once, not at every refresh",
    async (view) => {
      const limited = await assign(stack);
      const unlimited = await assign(stack, {
        WorkspaceSid: limited.workspaceSid,
        WorkerSid: limited.workerSid,
        TaskAttributes: JSON.stringify({ type: 'chat' }),
      });
      for (const r of [limited, unlimited]) {
        await http(reservationPath(r), { ReservationStatus: 'accepted' });
        await http(reservationPath(r), { ReservationStatus: 'wrapping' });
      }
      const end = (await http(wrapUpPath(limited))).body['wrap_up_deadline_ms'] as number;
      const { page, calls } = await open(
        stack,
        view === 'task' ? taskHash(limited) : `#/${limited.workspaceSid}/workers/${limited.workerSid}`,
        limited.workspaceSid,
      );
      const deadlineOf = (r: CallbackFixture) =>
        page
          .locator('tbody tr')
          .filter({ has: page.getByRole('link', { name: r.reservationSid }) })
          .locator('td[data-label="Deadline"]');
      await until(() => deadlineOf(limited).textContent()).toMatch(/^wrap-up (2:00|1:5\d) left$/);
      expect(await deadlineOf(limited).locator('.countdown').getAttribute('data-deadline')).toBe(String(end));
      if (view === 'worker') expect(await deadlineOf(unlimited).textContent()).toBe('');
      // Refreshed every 1.25 s; the end read once in these 3 s.
      await page.waitForTimeout(3_000);
      expect(calls.filter((c) => c.path === wrapUpPath(limited))).toHaveLength(1);
      expect(serious(await axe(page))).toEqual([]);
    },
  );

  it('without a time limit: "no time limit", no countdown, no extend form', async () => {
    const r = await assign(stack, { TaskAttributes: JSON.stringify({ type: 'chat' }) });
    await http(reservationPath(r), { ReservationStatus: 'accepted' });
    await http(reservationPath(r), { ReservationStatus: 'wrapping' });
    const { page } = await open(stack, reservationHash(r), r.workspaceSid);
    await until(() => statusBadge(page).textContent()).toBe('wrapping');
    await until(() => page.locator('.facts dd').nth(1).textContent()).toBe('no time limit');
    expect(await page.getByRole('timer').count()).toBe(0);
    expect(await page.locator('form[data-update="wrap-up-extend"]').isVisible()).toBe(false);
  });
});

describe('the needs-attention view', () => {
  it('lists the flagged reservations, linked from every page; a supervisor completes one task, dismisses another, and sees a refusal', async () => {
    const workspace = sid('WS');
    const chat = { WorkspaceSid: workspace, TaskAttributes: JSON.stringify({ type: 'chat' }) };
    const completed = await assign(stack, { ...chat, WorkerName: 'Ada' });
    const dismissed = await assign(stack, { ...chat, WorkerName: 'Grace' });
    const elsewhere = await assign(stack, { ...chat, WorkerName: 'Lin' });
    for (const r of [completed, dismissed, elsewhere]) await http(reservationPath(r), { ReservationStatus: 'accepted' });
    await until(async () => ((await http(attentionPath(workspace))).body['reservations'] as unknown[]).length, 8_000).toBe(3);

    const { page, calls } = await open(stack, taskHash(completed), workspace);
    await page.getByRole('heading', { name: `Task ${completed.taskSid}` }).waitFor();
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Needs attention' }).click();
    await page.getByRole('heading', { name: 'Needs attention' }).waitFor();
    expect(new URL(page.url()).hash).toBe(`#/${workspace}/attention`);
    expect(await page.getByRole('link', { name: 'Needs attention' }).getAttribute('aria-current')).toBe('page');
    const rows = page.locator('table tbody tr');
    await until(() => rows.count()).toBe(3);
    const row = (r: CallbackFixture) => rows.filter({ has: page.getByRole('link', { name: r.reservationSid }) });
    const first = row(completed);
    expect(await first.locator('td.subjects').textContent()).toBe(
      `Worker Ada ${completed.workerSid}Task ${completed.taskSid}Reservation ${completed.reservationSid}`,
    );
    expect(await first.locator('td[data-label="Status"]').textContent()).toBe('accepted');
    expect(await first.locator('td[data-label="Rule"]').textContent()).toBe('chat held too long');
    // Held since it was accepted, a few seconds ago: minutes and seconds, counting up in the page.
    expect(await first.locator('td[data-label="Held for"] .elapsed').textContent()).toMatch(/^0:\d\d$/);
    expect(await first.getByRole('link', { name: completed.taskSid }).getAttribute('href')).toBe(taskHash(completed));
    expect(await first.getByRole('link', { name: completed.reservationSid }).getAttribute('href')).toBe(reservationHash(completed));

    // Complete: a Task update with the supervisor's reason.
    expect(await first.getByLabel(`Reason for task ${completed.taskSid}`).inputValue()).toBe('completed by a supervisor');
    await first.getByRole('button', { name: `Complete task ${completed.taskSid}` }).click();
    await until(() => outcome(page).textContent()).toBe(`Task ${completed.taskSid} is now completed (completed by a supervisor): Ada no longer holds it.`);
    expect((await http(taskPath(completed))).body).toMatchObject({ assignment_status: 'completed', reason: 'completed by a supervisor' });
    await until(() => rows.count()).toBe(2);

    // Dismiss: the flag goes, the reservation stays accepted.
    await row(dismissed)
      .getByRole('button', { name: `Dismiss reservation ${dismissed.reservationSid}` })
      .click();
    await until(() => outcome(page).textContent()).toBe(`Reservation ${dismissed.reservationSid} dismissed: it stays accepted, and leaves this list.`);
    await until(() => rows.count()).toBe(1);
    expect((await http(reservationPath(dismissed))).body['reservation_status']).toBe('accepted');
    const posts = calls.filter((c) => c.method === 'POST');
    expect(posts.map((c) => [c.path, c.body])).toEqual([
      [taskPath(completed), 'AssignmentStatus=completed&Reason=completed+by+a+supervisor'],
      [`${attentionPath(workspace)}/${dismissed.reservationSid}`, 'Dismissed=true'],
    ]);

    // Completed elsewhere while this tab was in the background: the API's refusal shows.
    await setHidden(page, true);
    await http(taskPath(elsewhere), { AssignmentStatus: 'completed', Reason: 'done' });
    const expected = await http(taskPath(elsewhere), { AssignmentStatus: 'completed', Reason: 'done' });
    expect(expected.status).toBe(400);
    await row(elsewhere)
      .getByRole('button', { name: `Complete task ${elsewhere.taskSid}` })
      .click();
    await refusal(page).waitFor();
    expect(await refusal(page).textContent()).toBe(`Refused (HTTP 400): ${expected.body['message']}`);
    expect(serious(await axe(page))).toEqual([]);
    await setHidden(page, false);
    await until(() => page.locator('main .empty').textContent()).toBe(
      "No reservation needs attention. One is listed here when it is still accepted or wrapping after its lifecycle rule's attentionAfterSeconds.",
    );
    expect(await page.locator('main table').isVisible()).toBe(false);
  });
});

describe('the new views as a user sees them: light and dark, 375 px, axe, and their screenshots', () => {
  const NOW = Date.UTC(2026, 10, 24, 9, 0, 0);
  const fixed = (prefix: string, fill: string) => `${prefix}${fill.repeat(32).slice(0, 32)}`;
  const WORKSPACE = fixed('WS', '5eed');
  const ADA = { WorkerSid: fixed('WK', 'ada0'), WorkerName: 'Ada' };
  const GRACE = { WorkerSid: fixed('WK', '96ace'), WorkerName: 'Grace' };
  // A long name: the attention table still fits a laptop's screen, its actions in view.
  const LIN = { WorkerSid: fixed('WK', '11e0'), WorkerName: 'Lin Long-Surname-Hyphenated Ramanathan' };
  const WRAPPING = { task: fixed('WT', '7a61'), reservation: fixed('WR', 'e61') };
  const clock = new FakeClock(NOW);
  let seeded: LocalStack;

  beforeAll(async () => {
    // The same rules with a wrap-up that outlasts the run (600 s): the stack's timers run in real time.
    const policy = {
      ...POLICY,
      lifecycle: [
        { name: 'voice', match: { task: { type: 'voice' } }, wrapUpSeconds: 600 },
        { name: 'chat held too long', match: { task: { type: 'chat' } }, attentionAfterSeconds: 1 },
      ],
    };
    seeded = await startStack({ ASSIGNMENT_POLICY: policyFile(policy, 'seeded.json') }, { clock });
    const common = { WorkspaceSid: WORKSPACE, TaskQueueSid: fixed('WQ', '0a'), WorkflowSid: fixed('WW', '0f') };
    const post = async (task: string, wr: string, body: Record<string, string>) => {
      const response = await fetch(`${seeded.url}/v1/Workspaces/${WORKSPACE}/Tasks/${task}/Reservations/${wr}`, {
        method: 'POST',
        headers: basicAuth(),
        body: new URLSearchParams(body),
      });
      if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
    };
    // Grace and Lin have held chats for too long; then Ada accepted a call and is wrapping up.
    for (const [n, worker] of [
      [1, GRACE],
      [2, LIN],
    ] as const) {
      const task = fixed('WT', `c4a${n}`);
      const reservation = fixed('WR', `ca${n}`);
      await assign(seeded, { ...common, ...worker, TaskSid: task, ReservationSid: reservation, TaskAttributes: JSON.stringify({ type: 'chat' }) });
      clock.advance(4_000);
      await post(task, reservation, { ReservationStatus: 'accepted' });
      clock.advance(60_000);
    }
    // The attention timers are armed once the events are handled, then fire in real time (1 s).
    await seeded.runtime.lifecycleSink!.idle();
    await vi.waitFor(
      async () => {
        const response = await fetch(`${seeded.url}${attentionPath(WORKSPACE)}`, { headers: basicAuth() });
        expect(((await response.json()) as { reservations: unknown[] }).reservations).toHaveLength(2);
      },
      { timeout: 8_000, interval: 100 },
    );
    clock.advance(25 * 60_000);
    // After the clock's jump: a wrap-up's end is on the stack's clock (its reads show it completed once passed).
    await assign(seeded, {
      ...common,
      ...ADA,
      TaskSid: WRAPPING.task,
      ReservationSid: WRAPPING.reservation,
      TaskAttributes: JSON.stringify({ type: 'voice', from: '+15550100' }),
    });
    clock.advance(8_000);
    await post(WRAPPING.task, WRAPPING.reservation, { ReservationStatus: 'accepted' });
    clock.advance(190_000);
    await post(WRAPPING.task, WRAPPING.reservation, { ReservationStatus: 'wrapping' });
    clock.advance(95_000);
  }, 90_000);
  afterAll(() => seeded?.close());

  async function view(hash: string, scheme: 'light' | 'dark', width: number): Promise<Page> {
    const { page } = await open(seeded, hash, WORKSPACE, { colorScheme: scheme, viewport: { width, height: 800 }, deviceScaleFactor: 1 });
    // The page's clock: the stack's, a few seconds later, so that what counts shows its time.
    await page.clock.setFixedTime(clock.now() + 5_000);
    await page.reload();
    return page;
  }

  async function check(page: Page, name: string): Promise<void> {
    await page.waitForFunction(() => !document.querySelector('main .empty')?.textContent?.startsWith('Loading'));
    expect(serious(await axe(page)), name).toEqual([]);
    expect(await cspViolations(page), name).toEqual([]);
    const width = page.viewportSize()!.width;
    expect(await page.evaluate(() => document.documentElement.scrollWidth), `${name}: nothing wider than the window`).toBeLessThanOrEqual(width);
    await page.screenshot({ path: screenshotPath(name), fullPage: true, animations: 'disabled', caret: 'hide' });
  }

  it.each([
    ['light', 1200],
    ['dark', 1200],
    ['light', 375],
  ] as const)('needs attention, %s at %i px', async (scheme, width) => {
    const page = await view(`#/${WORKSPACE}/attention`, scheme, width);
    await page.locator('table tbody tr').nth(1).waitFor();
    // Grace's chat, held since she accepted it 4 s after the start: 2 min, 25 min, 293 s and the page's 5 s ago.
    expect(await page.locator('tbody tr').first().locator('.elapsed').textContent()).toBe('32:02');
    await check(page, width === 375 ? 'attention-375' : `attention-${scheme}`);
  });

  it('needs attention at 1024 px: every row, a long worker name included, fits with both actions in view', async () => {
    const page = await view(`#/${WORKSPACE}/attention`, 'light', 1024);
    await page.locator('table tbody tr').nth(1).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1024);
    for (const name of ['Complete', 'Dismiss']) {
      for (const button of await page.getByRole('button', { name: new RegExp(`^${name}`) }).all()) {
        const box = (await button.boundingBox())!;
        expect(box.x + box.width, name).toBeLessThanOrEqual(1024);
      }
    }
  });

  it.each([
    ['light', 1200],
    ['dark', 1200],
    ['light', 375],
  ] as const)('a reservation wrapping up, %s at %i px', async (scheme, width) => {
    const page = await view(`#/${WORKSPACE}/tasks/${WRAPPING.task}/reservations/${WRAPPING.reservation}`, scheme, width);
    // 600 s from the wrap-up's start, 95 s and the page's 5 s ago.
    expect(await page.getByRole('timer').textContent()).toBe('8:20 left');
    await check(page, width === 375 ? 'wrap-up-375' : `wrap-up-${scheme}`);
  });

  it('needs attention, when nothing does', async () => {
    const page = await view(`#/${fixed('WS', '0e0e')}/attention`, 'light', 375);
    await page.locator('main .empty').filter({ hasText: 'No reservation needs attention' }).waitFor();
    expect(serious(await axe(page))).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  });
});
