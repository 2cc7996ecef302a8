/**
 * A timer carries the reservation's keys and its deadline, nothing else: deployed, its payload is
 * kept by EventBridge Scheduler (and shown in its console and dead-letter messages), so the task's
 * and worker's attributes, which are PII, must not ride along.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '#lib/local/server.ts';
import type { ReservationTimer, TimeoutScheduler } from '#lib/timeouts/scheduler.ts';
import { callback, postCallback, startStack } from '../support/fixtures.ts';

const timers: ReservationTimer[] = [];
const recording: TimeoutScheduler = { schedule: async (timer) => void timers.push(timer) };
let stack: LocalStack;

beforeAll(async () => {
  stack = await startStack({}, { scheduler: recording });
});
afterAll(() => stack.close());

it("arms a timer with the reservation's keys and deadline only", async () => {
  const fixture = callback({ TaskAttributes: JSON.stringify({ from: '+15557654321', name: 'Jane Caller' }) });
  expect((await postCallback(stack, fixture.params)).status).toBe(200);
  expect(timers).toHaveLength(1);
  const { deadline, ...keys } = timers[0]!;
  expect(keys).toEqual({
    accountSid: fixture.accountSid,
    workspaceSid: fixture.workspaceSid,
    taskSid: fixture.taskSid,
    reservationSid: fixture.reservationSid,
  });
  expect(deadline).toBeGreaterThan(Date.now());
});
