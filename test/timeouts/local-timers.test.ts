/**
 * Timeouts on `npm start`'s stack, in real time: a two-second reservation reads timeout right after
 * two seconds, and its in-process timer writes it down within one more.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '#lib/local/server.ts';
import { assign, basicAuth, startStack } from '../support/fixtures.ts';

const TIMEOUT_ACTIVITY = `WA${'9'.repeat(32)}`;
let stack: LocalStack;
beforeAll(async () => {
  stack = await startStack({ TIMEOUT_ACTIVITY_SID: TIMEOUT_ACTIVITY });
});
afterAll(() => stack.close());

async function read(path: string) {
  const response = await fetch(`${stack.url}${path}`, { headers: basicAuth() });
  return { etag: response.headers.get('etag'), body: (await response.json()) as Record<string, unknown> };
}

/** Polls until `check` holds, for at most `ms`; returns how long it took. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return Date.now() - start;
}

it('times a ?ReservationTimeout=2 reservation out at 2 s and writes it down by its timer within 1 s more', async () => {
  const a = await assign(stack, {}, { query: 'ReservationTimeout=2' });
  // The deadline is 2 s from when the stack handled the callback, which is before its answer
  // arrived: 2 s after the answer, the deadline has passed however long the request took.
  const answered = Date.now();
  const path = `/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}/Reservations/${a.reservationSid}`;
  expect((await read(path)).body['reservation_status']).toBe('pending');

  await new Promise((resolve) => setTimeout(resolve, Math.max(0, answered + 2000 - Date.now() + 20)));
  const justAfter = await read(path);
  expect(justAfter.body['reservation_status']).toBe('timeout');

  // Written down within the second: the version moves on, then (after the write's events are
  // stored) the worker is moved to TIMEOUT_ACTIVITY_SID.
  await within(
    1000,
    async () =>
      (await read(path)).etag === '"2"' && (await read(`/v1/Workspaces/${a.workspaceSid}/Workers/${a.workerSid}`)).body['activity_sid'] === TIMEOUT_ACTIVITY,
  );

  const accept = await fetch(`${stack.url}${path}`, {
    method: 'POST',
    headers: { ...basicAuth(), 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'ReservationStatus=accepted',
  });
  expect(accept.status).toBe(400);
  expect(((await accept.json()) as { message: string }).message).toBe(`Reservation ${a.reservationSid} is not currently in a Pending state`);
});
