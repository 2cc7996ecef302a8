/**
 * The Worker list (TaskRouter's ListWorker) through the twilio SDK against the local stack: the
 * workers the callbacks reserved, each as its GET says, with the filters and paging the SDK sends,
 * and a clear refusal of what this service cannot answer.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalStack } from '#lib/local/server.ts';
import { ACCOUNT_SID, assign, basicAuth, sid, startStack, twilioClient } from '../support/fixtures.ts';
import { expectNotServedWithStatisticsOff, expectRefusals } from '../support/list-refusals.ts';
import { SCHEMAS, assertSchema, schemaKeys } from '../support/openapi.ts';

const AVAILABLE = `WA${'a1'.repeat(16)}`;
const BREAK = `WA${'b2'.repeat(16)}`;

let stack: LocalStack;
let client: ReturnType<typeof twilioClient>;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'worker-list-'));
  const policy = join(dir, 'policy.json');
  writeFileSync(policy, JSON.stringify({ rules: [], availableActivities: [AVAILABLE] }));
  stack = await startStack({ ASSIGNMENT_POLICY: policy });
  client = twilioClient(stack);
});
afterAll(async () => {
  await stack.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A worker SID that sorts by its first digit: `WK<digit><31 random hex>`. */
const workerSid = (digit: number) => `WK${digit}${sid('WK').slice(3)}`;

/**
 * A workspace of four workers, each reserved by a callback: Alice (available), Bob (on a break),
 * Carol (renamed by a Worker update after her callback) and Dan (no activity known), with the
 * attributes their callbacks brought. Their SIDs sort Alice, Carol, Bob, Dan.
 */
async function workspaceOfWorkers() {
  const workspaceSid = sid('WS');
  const reserve = (name: string, digit: number, attributes: Record<string, unknown>) =>
    assign(stack, { WorkspaceSid: workspaceSid, WorkerSid: workerSid(digit), WorkerName: name, WorkerAttributes: JSON.stringify(attributes) });
  const alice = await reserve('Alice', 1, { contact_uri: 'client:alice', skills: ['en', 'es'], level: 2 });
  const bob = await reserve('Bob', 3, { contact_uri: 'client:bob', skills: ['en'], level: 1 });
  const carol = await reserve('Carol', 2, { contact_uri: 'client:carol', skills: ['fr'], level: 2 });
  const dan = await reserve('Dan', 4, { contact_uri: 'client:dan', skills: [] });
  const ws = client.taskrouter.v1.workspaces(workspaceSid);
  await ws.workers(alice.workerSid).update({ activitySid: AVAILABLE });
  await ws.workers(bob.workerSid).update({ activitySid: BREAK });
  await ws.workers(carol.workerSid).update({ friendlyName: 'Caroline', activitySid: AVAILABLE });
  const bySid = [alice, carol, bob, dan].map((w) => w.workerSid);
  return { ws, workspaceSid, alice, bob, carol, dan, bySid };
}

describe('the Worker list', () => {
  it('lists the workers the callbacks reserved, in the order of their SIDs, each as its GET says', async () => {
    const w = await workspaceOfWorkers();
    const listed = await w.ws.workers.list();
    expect(listed.map((worker) => worker.sid)).toEqual(w.bySid);
    for (const worker of listed) expect(worker.toJSON()).toEqual((await w.ws.workers(worker.sid).fetch()).toJSON());
    const carol = listed.find((worker) => worker.sid === w.carol.workerSid)!;
    expect([carol.friendlyName, carol.activitySid, carol.available]).toEqual(['Caroline', AVAILABLE, true]);
    const dan = listed.find((worker) => worker.sid === w.dan.workerSid)!;
    expect([dan.friendlyName, dan.activitySid, dan.available]).toEqual(['Dan', null, null]);
    // The page as Twilio's OpenAPI describes ListWorker's answer, each worker with exactly its fields.
    const page = await fetch(`${stack.url}/v1/Workspaces/${w.workspaceSid}/Workers?PageSize=2`, { headers: basicAuth() });
    const body = (await page.json()) as { workers: Record<string, unknown>[] };
    assertSchema(SCHEMAS.workerList, body);
    for (const worker of body.workers) expect(Object.keys(worker).sort()).toEqual(schemaKeys('taskrouter.v1.workspace.worker'));
  });

  it('filters by ActivitySid, Available and FriendlyName, judged on each worker as it is now', async () => {
    const w = await workspaceOfWorkers();
    const sids = async (filter: Parameters<typeof w.ws.workers.list>[0]) => (await w.ws.workers.list(filter)).map((worker) => worker.sid).sort();
    expect(await sids({ activitySid: AVAILABLE })).toEqual([w.alice.workerSid, w.carol.workerSid].sort());
    expect(await sids({ activitySid: BREAK })).toEqual([w.bob.workerSid]);
    expect(await sids({ activitySid: sid('WA') })).toEqual([]);
    expect(await sids({ available: 'true' })).toEqual([w.alice.workerSid, w.carol.workerSid].sort());
    expect(await sids({ available: '1' })).toEqual([w.alice.workerSid, w.carol.workerSid].sort());
    // Any other value: the unavailable ones. Dan's availability is not known: he is neither.
    expect(await sids({ available: 'false' })).toEqual([w.bob.workerSid]);
    expect(await sids({ available: 'no' })).toEqual([w.bob.workerSid]);
    // The name a Worker update gave, not the callback's.
    expect(await sids({ friendlyName: 'Caroline' })).toEqual([w.carol.workerSid]);
    expect(await sids({ friendlyName: 'Carol' })).toEqual([]);
    // A move is seen at once: the filters read the worker, not the directory.
    await w.ws.workers(w.bob.workerSid).update({ activitySid: AVAILABLE });
    expect(await sids({ available: 'yes' })).toEqual([w.alice.workerSid, w.bob.workerSid, w.carol.workerSid].sort());
  });

  it('finds a worker by its address or skills with TargetWorkersExpression, over its attributes and fields', async () => {
    const w = await workspaceOfWorkers();
    const sids = async (expression: string) => (await w.ws.workers.list({ targetWorkersExpression: expression })).map((worker) => worker.sid).sort();
    expect(await sids('contact_uri == "client:bob"')).toEqual([w.bob.workerSid]);
    expect(await sids('skills HAS "en" AND level == 2')).toEqual([w.alice.workerSid]);
    expect(await sids('skills HAS "en"')).toEqual([w.alice.workerSid, w.bob.workerSid].sort());
    expect(await sids('friendly_name == "Caroline"')).toEqual([w.carol.workerSid]);
    expect(await sids(`sid == "${w.dan.workerSid}"`)).toEqual([w.dan.workerSid]);
    expect(await sids(`activity_sid != "${AVAILABLE}" AND level != 1`)).toEqual([w.dan.workerSid]);
  });

  it('pages through them with the SDK, forward and back, across workers a filter drops', async () => {
    const w = await workspaceOfWorkers();
    expect((await w.ws.workers.list({ pageSize: 1 })).map((worker) => worker.sid)).toEqual(w.bySid);
    const first = await w.ws.workers.page({ pageSize: 3 });
    expect(first.instances.map((worker) => worker.sid)).toEqual(w.bySid.slice(0, 3));
    const second = await first.nextPage();
    expect(second!.instances.map((worker) => worker.sid)).toEqual(w.bySid.slice(3));
    expect(await second!.nextPage()).toBeUndefined();
    expect((await second!.previousPage())!.instances.map((worker) => worker.sid)).toEqual(w.bySid.slice(0, 3));
    // Alice and Bob speak English; Carol, between them, does not.
    const one = await w.ws.workers.page({ targetWorkersExpression: 'skills HAS "en"', pageSize: 1 });
    const two = await one.nextPage();
    expect([one.instances.map((worker) => worker.sid), two!.instances.map((worker) => worker.sid)]).toEqual([[w.alice.workerSid], [w.bob.workerSid]]);
    expect((await two!.previousPage())!.instances.map((worker) => worker.sid)).toEqual([w.alice.workerSid]);
    // The filter stays in the page URLs the SDK follows.
    expect(new URL(one.nextPageUrl!).searchParams.get('TargetWorkersExpression')).toBe('skills HAS "en"');
  });

  it('answers 404 for a workspace it has no record of, and refuses what it cannot answer with a 400 naming the parameter', async () => {
    const w = await workspaceOfWorkers();
    // A workspace with no record here is Twilio's 404, as the Statistics resources answer it.
    const unknown = sid('WS');
    await expect(client.taskrouter.v1.workspaces(unknown).workers.list()).rejects.toMatchObject({
      status: 404,
      message: `The requested resource /Workspaces/${unknown}/Workers was not found`,
    });
    const path = `/v1/Workspaces/${w.workspaceSid}/Workers`;
    await expectRefusals(stack, path, [
      ['ActivityName=Available', 'ActivityName'],
      [`TaskQueueSid=${sid('WQ')}`, 'TaskQueueSid'],
      ['TaskQueueName=Support', 'TaskQueueName'],
      ['Ordering=DateStatusChanged:desc', 'Ordering'],
      ['ActivitySid=WA0', 'ActivitySid'],
      [`TargetWorkersExpression=${encodeURIComponent('activity_name == "Available"')}`, 'TargetWorkersExpression'],
      [`TargetWorkersExpression=${encodeURIComponent('level > 1')}`, 'TargetWorkersExpression'],
      // A token of another list (the Task list's keys): not one of this list's.
      [`PageToken=PT${Buffer.from(JSON.stringify({ p: 1, a: `C000000000000001#${sid('WT')}` })).toString('base64url')}`, 'PageToken'],
      ['PageSize=1001', 'PageSize'],
    ]);
  });
});

describe('the Worker list of a larger workspace', () => {
  it('reads workers only as far as the page needs, sixteen at a time, and passes over those the directory knows but the record no longer holds', async () => {
    const workspaceSid = sid('WS');
    const ws = client.taskrouter.v1.workspaces(workspaceSid);
    // Forty workers reserved; two of them (the 21st and the 40th by SID) are seniors.
    const sids = Array.from({ length: 40 }, (_, i) => `WK${String(i).padStart(2, '0')}${sid('WK').slice(4)}`);
    for (const [i, workerSid] of sids.entries()) {
      await assign(stack, { WorkspaceSid: workspaceSid, WorkerSid: workerSid, WorkerAttributes: JSON.stringify({ senior: i === 20 || i === 39 }) });
    }
    // Two more the directory knows, whose reservations are gone (expired): they are not listed.
    // Their SIDs sort just after the 6th worker's and the 39th's.
    for (const ghost of [`WK05${'f'.repeat(30)}`, `WK38${'f'.repeat(30)}`]) {
      await stack.runtime.stores.statistics.setWorker({ accountSid: ACCOUNT_SID, workspaceSid }, ghost, { friendlyName: 'Ghost', at: Date.now() });
    }
    expect((await ws.workers.list()).map((worker) => worker.sid)).toEqual(sids);
    const reads = vi.spyOn(stack.runtime.stores.workers, 'getWorker');
    try {
      const one = await ws.workers.page({ targetWorkersExpression: 'senior == true', pageSize: 1 });
      expect(one.instances.map((worker) => worker.sid)).toEqual([sids[20]]);
      // The first window is the page's one worker; the next reads 16 at a time and stops at the
      // chunk that filled the page: 1 + 16 + 16 workers (the ghost among them), not the 42.
      expect(reads).toHaveBeenCalledTimes(33);
      const two = await one.nextPage();
      expect(two!.instances.map((worker) => worker.sid)).toEqual([sids[39]]);
      expect(await two!.nextPage()).toBeUndefined();
      expect((await two!.previousPage())!.instances.map((worker) => worker.sid)).toEqual([sids[20]]);
    } finally {
      reads.mockRestore();
    }
  });

  it('refuses Available when the policy names no availableActivities: no activity is known to be available or not', async () => {
    const plain = await startStack();
    try {
      const a = await assign(plain);
      await expect(twilioClient(plain).taskrouter.v1.workspaces(a.workspaceSid).workers.list({ available: 'true' })).rejects.toMatchObject({
        status: 400,
        code: 20001,
        message: expect.stringContaining('Invalid parameter Available'),
      });
      expect((await twilioClient(plain).taskrouter.v1.workspaces(a.workspaceSid).workers.list()).map((worker) => worker.sid)).toEqual([a.workerSid]);
    } finally {
      await plain.close();
    }
  });
});

describe('the Worker list with STATISTICS=off', () => {
  it('is not served, and says which setting: its workers come from the statistics’ directory of workers', async () => {
    await expectNotServedWithStatisticsOff((ws) => ws.workers.list());
  });
});
