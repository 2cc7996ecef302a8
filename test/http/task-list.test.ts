/**
 * The Task list (TaskRouter's ListTask) through the twilio SDK against the local stack: the tasks
 * not finished, each as its GET says, with the filters, orderings and paging the SDK sends, and
 * a clear refusal of what this service cannot answer.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '#lib/local/server.ts';
import { FakeClock } from '../support/clock.ts';
import { assign, basicAuth, sid, startStack, twilioClient, type CallbackFixture } from '../support/fixtures.ts';
import { expectNotServedWithStatisticsOff, expectRefusals } from '../support/list-refusals.ts';
import { SCHEMAS, assertSchema, schemaKeys } from '../support/openapi.ts';

let stack: LocalStack;
let client: ReturnType<typeof twilioClient>;
beforeAll(async () => {
  stack = await startStack();
  client = twilioClient(stack);
});
afterAll(() => stack.close());

/**
 * A workspace's tasks, one per status this service can give a task, with priorities 1 to 5 and
 * created a second apart (TaskAge), the oldest first: reserved, assigned, wrapping, completed,
 * canceled.
 */
async function workspaceOfTasks() {
  const workspaceSid = sid('WS');
  const queue = sid('WQ');
  let added = 0;
  const add = (priority: number, more: Record<string, string> = {}) => {
    added += 1;
    return assign(stack, { WorkspaceSid: workspaceSid, TaskPriority: String(priority), TaskQueueSid: queue, TaskAge: String(60 - added), ...more });
  };
  const reserved = await add(3);
  const assigned = await add(5, { TaskAttributes: JSON.stringify({ type: 'voice', conference: { sid: 'CF0123' }, tags: ['vip'] }) });
  const wrapping = await add(1);
  const completed = await add(4);
  const canceled = await add(2, { TaskQueueSid: sid('WQ') });
  const ws = client.taskrouter.v1.workspaces(workspaceSid);
  const accept = (a: CallbackFixture) => ws.tasks(a.taskSid).reservations(a.reservationSid).update({ reservationStatus: 'accepted' });
  await accept(assigned);
  await accept(wrapping);
  await ws.tasks(wrapping.taskSid).update({ assignmentStatus: 'wrapping' });
  await accept(completed);
  await ws.tasks(completed.taskSid).update({ assignmentStatus: 'completed', reason: 'done' });
  await ws.tasks(canceled.taskSid).update({ assignmentStatus: 'canceled', reason: 'hung up' });
  return { ws, workspaceSid, queue, reserved, assigned, wrapping, completed, canceled };
}

describe('the Task list', () => {
  it('lists the tasks not finished, each as its GET says; completed and canceled ones are not listed', async () => {
    const w = await workspaceOfTasks();
    const listed = await w.ws.tasks.list();
    expect(listed.map((t) => [t.sid, t.assignmentStatus]).sort()).toEqual(
      [
        [w.reserved.taskSid, 'reserved'],
        [w.assigned.taskSid, 'assigned'],
        [w.wrapping.taskSid, 'wrapping'],
      ].sort(),
    );
    // As its GET says, but for its age, which may read a second on.
    const { age: _listedAge, ...inList } = listed.find((t) => t.sid === w.assigned.taskSid)!.toJSON();
    const { age: _fetchedAge, ...fetched } = (await w.ws.tasks(w.assigned.taskSid).fetch()).toJSON();
    expect(inList).toEqual(fetched);
    // The page as Twilio's OpenAPI describes ListTask's answer, each task with exactly its fields.
    const page = await fetch(`${stack.url}/v1/Workspaces/${w.workspaceSid}/Tasks?PageSize=2`, { headers: basicAuth() });
    const body = (await page.json()) as { tasks: Record<string, unknown>[] };
    assertSchema(SCHEMAS.taskList, body);
    for (const task of body.tasks) expect(Object.keys(task).sort()).toEqual(schemaKeys('taskrouter.v1.workspace.task'));
    // DateCreated ascending unless told otherwise.
    expect(listed.map((t) => t.sid)).toEqual([w.reserved.taskSid, w.assigned.taskSid, w.wrapping.taskSid]);
    expect((await w.ws.tasks.list({ ordering: 'DateCreated:desc' })).map((t) => t.sid)).toEqual([w.wrapping.taskSid, w.assigned.taskSid, w.reserved.taskSid]);
  });

  it('filters by AssignmentStatus (one or more), Priority, TaskQueueSid and WorkflowSid', async () => {
    const w = await workspaceOfTasks();
    const sids = async (filter: Parameters<typeof w.ws.tasks.list>[0]) => (await w.ws.tasks.list(filter)).map((t) => t.sid).sort();
    expect(await sids({ assignmentStatus: ['assigned', 'wrapping'] })).toEqual([w.assigned.taskSid, w.wrapping.taskSid].sort());
    expect(await sids({ assignmentStatus: ['reserved'] })).toEqual([w.reserved.taskSid]);
    expect(await sids({ assignmentStatus: ['completed', 'canceled'] })).toEqual([]);
    expect(await sids({ priority: 5 })).toEqual([w.assigned.taskSid]);
    expect(await sids({ taskQueueSid: w.queue })).toEqual([w.reserved.taskSid, w.assigned.taskSid, w.wrapping.taskSid].sort());
    expect(await sids({ taskQueueSid: sid('WQ') })).toEqual([]);
    expect(await sids({ workflowSid: w.reserved.params['WorkflowSid']! })).toEqual([w.reserved.taskSid]);
  });

  it('finds a task by its attributes with EvaluateTaskAttributes: ==, != and HAS joined by AND', async () => {
    const w = await workspaceOfTasks();
    const sids = async (expression: string) => (await w.ws.tasks.list({ evaluateTaskAttributes: expression })).map((t) => t.sid).sort();
    expect(await sids('conference.sid == "CF0123"')).toEqual([w.assigned.taskSid]);
    expect(await sids('conference.sid == \'CF0123\' AND type == "voice"')).toEqual([w.assigned.taskSid]);
    expect(await sids('conference.sid != "CF0123"')).toEqual([w.reserved.taskSid, w.wrapping.taskSid].sort());
    expect(await sids('conference.sid == "CF9999"')).toEqual([]);
    expect(await sids('tags HAS "vip" AND type == "voice"')).toEqual([w.assigned.taskSid]);
  });

  it('orders by Priority or DateCreated, ascending or descending, and pages through them with the SDK', async () => {
    const w = await workspaceOfTasks();
    const byPriority = await w.ws.tasks.list({ ordering: 'Priority:desc' });
    expect(byPriority.map((t) => t.priority)).toEqual([5, 3, 1]);
    expect((await w.ws.tasks.list({ ordering: 'Priority:asc,DateCreated:desc' })).map((t) => t.priority)).toEqual([1, 3, 5]);
    // One task a page: the SDK follows next_page_url to the end, and back with previous_page_url.
    expect((await w.ws.tasks.list({ ordering: 'Priority:desc', pageSize: 1 })).map((t) => t.priority)).toEqual([5, 3, 1]);
    const first = await w.ws.tasks.page({ ordering: 'Priority:desc', pageSize: 2 });
    expect(first.instances.map((t) => t.priority)).toEqual([5, 3]);
    const second = await first.nextPage();
    expect(second!.instances.map((t) => t.priority)).toEqual([1]);
    expect((await second!.previousPage())!.instances.map((t) => t.priority)).toEqual([5, 3]);
    // A filter that drops items between them: one a page, forward to the end and back.
    const filtered = { assignmentStatus: ['reserved', 'wrapping'], pageSize: 1 };
    const one = await w.ws.tasks.page(filtered);
    const two = await one.nextPage();
    expect([one.instances.map((t) => t.sid), two!.instances.map((t) => t.sid)]).toEqual([[w.reserved.taskSid], [w.wrapping.taskSid]]);
    expect(await two!.nextPage()).toBeUndefined();
    expect((await two!.previousPage())!.instances.map((t) => t.sid)).toEqual([w.reserved.taskSid]);
    // A page token belongs to its Ordering.
    const token = new URL(first.nextPageUrl!).searchParams.get('PageToken')!;
    const response = await fetch(`${stack.url}/v1/Workspaces/${w.workspaceSid}/Tasks?PageToken=${token}`, { headers: basicAuth() });
    expect([response.status, ((await response.json()) as { message: string }).message]).toEqual([
      400,
      'Invalid parameter PageToken: was issued for another Ordering: keep the Ordering of the page it came from',
    ]); // Equal priorities: the second field decides.
    const twin = await assign(stack, { WorkspaceSid: w.workspaceSid, TaskPriority: '3', TaskAge: '0' });
    const tie = (ordering: string) => w.ws.tasks.list({ ordering, priority: 3 }).then((tasks) => tasks.map((t) => t.sid));
    expect(await tie('Priority:desc,DateCreated:asc')).toEqual([w.reserved.taskSid, twin.taskSid]);
    expect(await tie('Priority:desc,DateCreated:desc')).toEqual([twin.taskSid, w.reserved.taskSid]);
  });

  it('answers 404 for a workspace it has no record of, and refuses what it cannot answer with a 400 naming the parameter', async () => {
    const w = await workspaceOfTasks();
    // A workspace with no record here is Twilio's 404, as the Statistics resources answer it.
    const unknown = sid('WS');
    await expect(client.taskrouter.v1.workspaces(unknown).tasks.list()).rejects.toMatchObject({
      status: 404,
      message: `The requested resource /Workspaces/${unknown}/Tasks was not found`,
    });
    const path = `/v1/Workspaces/${w.workspaceSid}/Tasks`;
    await expectRefusals(stack, path, [
      ['TaskQueueName=Support', 'TaskQueueName'],
      ['WorkflowName=Main', 'WorkflowName'],
      ['HasAddons=true', 'HasAddons'],
      ['RoutingTarget=WK0', 'RoutingTarget'],
      ['Ordering=VirtualStartTime:asc', 'Ordering'],
      ['Ordering=Age:desc', 'Ordering'],
      ['AssignmentStatus=done', 'AssignmentStatus'],
      [`EvaluateTaskAttributes=${encodeURIComponent('priority > 3')}`, 'EvaluateTaskAttributes'],
      [`EvaluateTaskAttributes=${encodeURIComponent('a == "x" OR b == "y"')}`, 'EvaluateTaskAttributes'],
      ['PageToken=PTnope', 'PageToken'],
      ['PageSize=0', 'PageSize'],
    ]);
  });
});

describe('the Task list, read after a wrap-up ran out but before its timer wrote it down', () => {
  it('leaves out the task, completed as read now', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'task-list-'));
    const policy = join(dir, 'policy.json');
    writeFileSync(policy, JSON.stringify({ rules: [], lifecycle: [{ name: 'voice', match: { task: { type: 'voice' } }, wrapUpSeconds: 60 }] }));
    const clock = new FakeClock();
    const timed = await startStack({ ASSIGNMENT_POLICY: policy }, { clock });
    try {
      const a = await assign(timed);
      const ws = twilioClient(timed).taskrouter.v1.workspaces(a.workspaceSid);
      await ws.tasks(a.taskSid).reservations(a.reservationSid).update({ reservationStatus: 'accepted' });
      await ws.tasks(a.taskSid).update({ assignmentStatus: 'wrapping' });
      expect((await ws.tasks.list()).map((t) => [t.sid, t.assignmentStatus])).toEqual([[a.taskSid, 'wrapping']]);
      // The wrap-up's end passes on the stack's clock; its timer (real time) has not fired.
      clock.advance(61_000);
      expect((await ws.tasks(a.taskSid).fetch()).assignmentStatus).toBe('completed');
      expect(await ws.tasks.list()).toEqual([]);
      expect(await ws.tasks.list({ assignmentStatus: ['completed'] })).toEqual([]);
    } finally {
      await timed.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the Task list with STATISTICS=off', () => {
  it('is not served, and says which setting: its tasks come from the statistics’ record of live tasks', async () => {
    await expectNotServedWithStatisticsOff((ws) => ws.tasks.list());
  });
});
