/**
 * The mirror as a property: whatever TaskRouter does to a task's reservations, and however its
 * event callbacks reach the gateway (in any order, each 1–3 times, some never, left to the deadline
 * checks that read upstream), the gateway's record ends equal to TaskRouter's. TaskRouter is a
 * standalone stack; its event callbacks are collected, then delivered, signed, to the gateway as
 * the property decides.
 */
import fc from 'fast-check';
import twilio from 'twilio';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '#lib/local/server.ts';
import { AUTH_TOKEN, basicAuth, callback, sid, startStack } from '../support/fixtures.ts';
import { recordFigure } from '../support/figures.ts';
import { receiver } from '../support/receiver.ts';
import { RACE_RUNS } from '../support/runs.ts';

let upstream: LocalStack;
let gateway: LocalStack;
let collected: Awaited<ReturnType<typeof receiver>>;
let scenarios = 0;

beforeAll(async () => {
  collected = await receiver();
  upstream = await startStack({ EVENT_CALLBACK_URL: collected.url });
  gateway = await startStack({ TASKROUTER_UPSTREAM_URL: upstream.url });
}, 60_000);
afterAll(async () => {
  await gateway.close();
  await upstream.close();
  await collected.close();
  recordFigure('mirror scenarios checked', scenarios);
});

async function signed(stack: LocalStack, path: string, params: Record<string, string>) {
  const url = `${stack.url}${path}`;
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params) },
    body: new URLSearchParams(params),
  });
  return response.status;
}
async function update(stack: LocalStack, path: string, status: string) {
  return (
    await fetch(`${stack.url}${path}`, {
      method: 'POST',
      headers: { ...basicAuth(), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `ReservationStatus=${status}`,
    })
  ).status;
}
async function statuses(stack: LocalStack, workspaceSid: string, taskSid: string) {
  const base = `/v1/Workspaces/${workspaceSid}/Tasks/${taskSid}`;
  const list = (await (await fetch(`${stack.url}${base}/Reservations?PageSize=100`, { headers: basicAuth() })).json()) as {
    reservations: { sid: string; reservation_status: string }[];
  };
  const task = (await (await fetch(`${stack.url}${base}`, { headers: basicAuth() })).json()) as { assignment_status: string };
  return { task: task.assignment_status, reservations: Object.fromEntries(list.reservations.map((r) => [r.sid, r.reservation_status])) };
}

const OPS = fc.array(fc.record({ index: fc.nat(3), status: fc.constantFrom('accepted', 'rejected', 'wrapping', 'completed') }), { maxLength: 6 });

it('leaves the gateway’s record equal to TaskRouter’s, whatever the order, duplicates and losses of the events', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 4 }),
      OPS,
      fc.infiniteStream(fc.integer({ min: 0, max: 3 })),
      fc.infiniteStream(fc.nat()),
      async (count, ops, copies, order) => {
        scenarios++;
        const workspaceSid = sid('WS');
        const taskSid = sid('WT');
        const fixtures = Array.from({ length: count }, () => callback({ WorkspaceSid: workspaceSid, TaskSid: taskSid }));
        collected.received.length = 0;
        // TaskRouter reserves the workers, calling the gateway's AssignmentCallbackUrl as it does.
        for (const f of fixtures) {
          expect(await signed(upstream, '/assignment-callback', f.params)).toBe(200);
          expect(await signed(gateway, '/assignment-callback', f.params)).toBe(200);
        }
        // Things happen at TaskRouter (agents in Flex, its own rules): whatever it allows.
        for (const op of ops)
          await update(upstream, `/v1/Workspaces/${workspaceSid}/Tasks/${taskSid}/Reservations/${fixtures[op.index % count]!.reservationSid}`, op.status);
        await upstream.runtime.callbackSender!.idle();
        // Its event callbacks reach the gateway 0–3 times each, in any order.
        const deliveries = collected.received.flatMap((event) => Array.from({ length: copies.next().value }, () => event.params));
        const shuffled = deliveries.map((params) => ({ params, key: order.next().value })).sort((a, b) => a.key - b.key);
        for (const { params } of shuffled) expect(await signed(gateway, '/event-callback', params)).toBe(204);
        // Answered at once, applied after the answer (lib/upstream/mirror-inbox.ts).
        await gateway.runtime.upstream!.inbox.idle();
        // What no event told it, each reservation's deadline check reads from TaskRouter.
        for (const f of fixtures)
          await gateway.runtime.upstream!.reconciler.atDeadline({ accountSid: f.accountSid, workspaceSid, taskSid, reservationSid: f.reservationSid });
        expect(await statuses(gateway, workspaceSid, taskSid)).toEqual(await statuses(upstream, workspaceSid, taskSid));
      },
    ),
    { numRuns: RACE_RUNS },
  );
}, 120_000);
