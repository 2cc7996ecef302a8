/**
 * Capacity, as a new user meets it: one task holds 1,000 reservations (TaskRouter's own limit on
 * rejections) from workers with real-sized attributes (about 0.5 KB each) and 1 KB of task
 * attributes, on both engines, with room to spare under DynamoDB's 400 KB item limit, because the
 * task item keeps no worker attributes (the workers' links do). Past the limit the answer is
 * Twilio's error JSON naming it, and nothing already stored is lost.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '#lib/local/server.ts';
import { periodOf } from '#lib/domain/statistics-periods.ts';
import { SLOT_MS, secondOfSlot, tallyAttribute } from '#lib/domain/statistics-tally.ts';
import { statisticsPartition, taskKey } from '#lib/store/table.ts';
import { ENGINES } from '../support/engines.ts';
import { recordFigure } from '../support/figures.ts';
import { ACCOUNT_SID, basicAuth, callback, postCallback, sid, startStack, twilioClient } from '../support/fixtures.ts';
import { ITEM_LIMIT_BYTES, itemSize } from '../support/item-size.ts';

const RESERVATIONS = 1000;

/** About 0.5 KB of attributes, different for every worker, as a contact centre's workers carry. */
function workerAttributes(i: number): string {
  return JSON.stringify({
    contact_uri: `client:agent-${i}`,
    email: `agent-${i}@support.example.com`,
    full_name: `Agent Number ${i} of the Second Line Support Team`,
    skills: ['billing', 'technical', 'escalations', 'spanish', 'french', 'german'],
    routing: { levels: { billing: 3, technical: 2, escalations: 1 }, channels: ['voice', 'chat', 'email'] },
    location: { site: 'Lisbon', floor: 3, desk: `D-${i}`, timezone: 'Europe/Lisbon' },
    team: 'Second Line',
    manager: 'Marta Sousa',
    note: 'x'.repeat(120),
  });
}

/** About 1 KB of task attributes. */
const TASK_ATTRIBUTES = JSON.stringify({
  type: 'voice',
  from: '+15551234567',
  to: '+15557654321',
  direction: 'inbound',
  customer: { id: 'C-1028373', tier: 'gold', name: 'Pat Customer', language: 'en', since: '2019-03-01' },
  ivr: { path: ['main', 'billing', 'dispute'], selections: [2, 4, 1], confidence: 0.93 },
  case: { id: 'CASE-88231', subject: 'Disputed charge on the last invoice', priority: 'high', tags: ['billing', 'dispute', 'callback'] },
  notes: 'y'.repeat(560),
});

describe.each(ENGINES)('capacity on $name', (engine) => {
  let stop: () => Promise<void>;
  let stack: LocalStack;

  beforeAll(async () => {
    const running = await engine.start();
    stop = running.stop;
    stack = await startStack({ DYNAMODB_ENDPOINT: running.endpoint, TABLE_NAME: `capacity${randomBytes(4).toString('hex')}`, MAX_REJECTIONS: '1000' });
  });
  afterAll(async () => {
    await stack.close();
    await stop();
  });

  it(`holds ${RESERVATIONS} reservations from workers with 0.5 KB of attributes on one task, with room to spare`, async () => {
    const base = callback({ TaskAttributes: TASK_ATTRIBUTES });
    const reservations: string[] = [];
    for (let i = 0; i < RESERVATIONS; i++) {
      const fixture = callback({
        WorkspaceSid: base.workspaceSid,
        WorkflowSid: base.params['WorkflowSid']!,
        TaskQueueSid: base.params['TaskQueueSid']!,
        TaskSid: base.taskSid,
        TaskAttributes: TASK_ATTRIBUTES,
        WorkerSid: sid('WK'),
        WorkerName: `Agent ${i}`,
        WorkerAttributes: workerAttributes(i),
      });
      const response = await postCallback(stack, fixture.params, { query: 'ReservationTimeout=3600' });
      expect(response.status, await response.clone().text()).toBe(200);
      reservations.push(fixture.reservationSid);
    }
    const client = twilioClient(stack);
    const task = client.taskrouter.v1.workspaces(base.workspaceSid).tasks(base.taskSid);
    expect((await task.reservations.list({ pageSize: 1000 })).map((r) => r.sid).sort()).toEqual([...reservations].sort());

    // The last one accepted: the write that rescinds the other 999 still fits.
    const last = reservations.at(-1)!;
    expect((await task.reservations(last).update({ reservationStatus: 'accepted' })).reservationStatus).toBe('accepted');
    expect(await task.reservations.list({ reservationStatus: 'rescinded', pageSize: 1000 })).toHaveLength(RESERVATIONS - 1);
    // Their events still carry each worker's attributes, from the workers' links.
    const [accepted] = await client.taskrouter.v1.workspaces(base.workspaceSid).events.list({ reservationSid: last, eventType: 'reservation.accepted' });
    expect(JSON.parse((accepted!.eventData as Record<string, string>)['worker_attributes']!)).toMatchObject({
      contact_uri: `client:agent-${RESERVATIONS - 1}`,
    });

    const { Item } = await stack.documentClient.send(
      new GetCommand({
        TableName: stack.config.tableName!,
        Key: taskKey({ accountSid: ACCOUNT_SID, workspaceSid: base.workspaceSid, taskSid: base.taskSid }),
        ConsistentRead: true,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    const bytes = itemSize(Item!);
    const perReservation = (bytes - Buffer.byteLength(TASK_ATTRIBUTES)) / RESERVATIONS;
    recordFigure('bytes a reservation costs its task item (1,000 on one task, the last accepted)', Math.round(perReservation), engine.name);
    // Room to spare: three quarters of the limit at most.
    expect(bytes).toBeLessThan(ITEM_LIMIT_BYTES * 0.75);
    expect(perReservation).toBeLessThan(300);
  }, 600_000);

  it('answers Twilio’s error naming the item size limit past it, and loses nothing already stored', async () => {
    const base = callback();
    const sids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const fixture = callback({ WorkspaceSid: base.workspaceSid, TaskSid: base.taskSid, WorkerSid: sid('WK') });
      expect((await postCallback(stack, fixture.params, { query: 'ReservationTimeout=3600' })).status).toBe(200);
      sids.push(fixture.reservationSid);
    }
    // A call instruction without CallAccept leaves a reservation pending and is recorded on it: 60 KB each.
    const instruct = (reservationSid: string) =>
      fetch(`${stack.url}/v1/Workspaces/${base.workspaceSid}/Tasks/${base.taskSid}/Reservations/${reservationSid}`, {
        method: 'POST',
        headers: { ...basicAuth(), 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ Instruction: 'call', CallFrom: '+15550001111', CallTo: 'client:a', CallUrl: `https://example.com/${'a'.repeat(60_000)}` }),
      });
    let refused: Response | undefined;
    let recorded = 0;
    for (const reservationSid of sids) {
      const response = await instruct(reservationSid);
      if (response.status !== 200) {
        refused = response;
        break;
      }
      recorded++;
    }
    expect(recorded).toBeGreaterThan(4);
    expect(refused?.status).toBe(400);
    expect(await refused!.json()).toMatchObject({ status: 400, code: 20001, message: expect.stringMatching(/DynamoDB item size limit/) });
    const stored = await stack.runtime.stores.tasks.getTask({ accountSid: ACCOUNT_SID, workspaceSid: base.workspaceSid, taskSid: base.taskSid });
    expect(stored!.reservations).toHaveLength(8);
    expect(stored!.reservations.filter((r) => r.instruction?.name === 'call')).toHaveLength(recorded);
    expect(stored!.reservations.every((r) => r.status === 'pending')).toBe(true);
  }, 120_000);

  it('refuses an event past a full statistics tally with an error naming the tally, and keeps what it counted', async () => {
    const scope = { accountSid: ACCOUNT_SID, workspaceSid: sid('WS') };
    const slot = Math.floor(Date.now() / SLOT_MS);
    // A task's completion with a 14 KB workflow in its entry: 27 of them fill 378 KB of the slot's item, 30 pass 400 KB.
    const completion = (i: number) => ({ id: String(i).padStart(32, '0'), slot, entry: `tc|${sid('WQ')}|WW${'x'.repeat(14_000)}${i}` });
    const statistics = stack.runtime.stores.statistics;
    await statistics.tally(
      scope,
      slot,
      Array.from({ length: 27 }, (_, i) => completion(i)),
    );
    const refused = statistics.tally(scope, slot, [completion(27), completion(28), completion(29)]);
    await expect(refused).rejects.toThrow(/^the statistics tally of workspace WS\w+ for .+ is full: DynamoDB holds an item to 400 KB/);
    await expect(refused).rejects.not.toHaveProperty('status');
    const [tally] = await statistics.tallies(scope, secondOfSlot(slot), secondOfSlot(slot));
    expect(tally!.counts[tallyAttribute('w', '', 'tc')]).toBe(27);
  }, 60_000);

  it('keeps a worker’s claims item small: claims two days behind its latest are removed, a hundred at a time', async () => {
    const scope = { accountSid: ACCOUNT_SID, workspaceSid: sid('WS') };
    const worker = sid('WK');
    const DAY = 864_000; // slots
    const start = Math.floor(Date.now() / SLOT_MS) - 3 * DAY;
    // Three days of activity changes, forty at a time: the first day's are past the two days kept.
    const claims = Array.from({ length: 400 }, (_, i) => ({ id: sid('EV').slice(2), slot: start + Math.round((i * 3 * DAY) / 400) }));
    for (let i = 0; i < claims.length; i += 40) await stack.runtime.stores.statistics.claim(scope, worker, claims.slice(i, i + 40));
    const { Item } = await stack.documentClient.send(
      new GetCommand({ TableName: stack.config.tableName!, Key: { pk: statisticsPartition(scope, `c#${worker}`), sk: 'CLAIMS' }, ConsistentRead: true }),
    );
    const held = Object.entries(Item!).filter(([name]) => name.startsWith('c'));
    const old = held.filter(([, slot]) => (slot as number) < claims.at(-1)!.slot - 2 * DAY);
    expect(claims.filter((c) => c.slot < claims.at(-1)!.slot - 2 * DAY).length).toBeGreaterThan(100);
    expect(old.length).toBeLessThan(100);
    expect(held.length).toBe(claims.length - (claims.filter((c) => c.slot < claims.at(-1)!.slot - 2 * DAY).length - old.length));
  }, 60_000);

  it('does not keep a roll-up past the item size limit, and does not fail the read that made it', async () => {
    const scope = { accountSid: ACCOUNT_SID, workspaceSid: sid('WS') };
    const statistics = stack.runtime.stores.statistics;
    const [small, large] = [periodOf('hour', 1_796_540_400), periodOf('hour', 1_796_544_000)];
    // The workers' family of a workspace with about 1,500 workers active in the hour.
    await statistics.keep(scope, large, 'k', { version: 1, payload: 'x'.repeat(420_000) });
    await statistics.keep(scope, small, 'k', { version: 1, payload: '{}' });
    const [keptSmall, keptLarge] = await statistics.periods(scope, [small, large], 'k');
    expect(keptSmall!.rollUp).toEqual({ version: 1, payload: '{}' });
    expect(keptLarge!.rollUp).toBeUndefined();
  }, 60_000);
});
