/**
 * The Task list (TaskRouter's ListTask) through the twilio SDK against the local stack: the tasks
 * not finished, each as its GET says, with the filters, orderings and paging the SDK sends, and
 * a clear refusal of what this service cannot answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '#lib/local/server.ts';
import { ACCOUNT_SID, assign, basicAuth, sid, startStack, twilioClient, type CallbackFixture } from '../support/fixtures.ts';

let stack: LocalStack;
let client: ReturnType<typeof twilioClient>;
beforeAll(async () => {
  stack = await startStack();
  client = twilioClient(stack);
});
afterAll(() => stack.close());

/** A workspace's tasks, one per status this service can give a task, with priorities 1 to 5. */
async function workspaceOfTasks() {
  const workspaceSid = sid('WS');
  const queue = sid('WQ');
  const add = (priority: number, more: Record<string, string> = {}) =>
    assign(stack, { WorkspaceSid: workspaceSid, TaskPriority: String(priority), TaskQueueSid: queue, ...more });
  const reserved = await add(3);
  const assigned = await add(5, { TaskAttributes: JSON.stringify({ type: 'voice', conference: { sid: 'CF0123' } }) });
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
    const fetched = await w.ws.tasks(w.assigned.taskSid).fetch();
    expect(listed.find((t) => t.sid === w.assigned.taskSid)!.toJSON()).toEqual(fetched.toJSON());
    // DateCreated ascending unless told otherwise.
    const dates = listed.map((t) => t.dateCreated.getTime());
    expect(dates).toEqual([...dates].sort((a, b) => a - b));
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

  it('finds a task by its attributes with EvaluateTaskAttributes: == and != joined by AND', async () => {
    const w = await workspaceOfTasks();
    const sids = async (expression: string) => (await w.ws.tasks.list({ evaluateTaskAttributes: expression })).map((t) => t.sid).sort();
    expect(await sids('conference.sid == "CF0123"')).toEqual([w.assigned.taskSid]);
    expect(await sids('conference.sid == \'CF0123\' AND type == "voice"')).toEqual([w.assigned.taskSid]);
    expect(await sids('conference.sid != "CF0123"')).toEqual([w.reserved.taskSid, w.wrapping.taskSid].sort());
    expect(await sids('conference.sid == "CF9999"')).toEqual([]);
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
  });

  it('finds nothing of another workspace or account, and refuses what it cannot answer with a 400 naming the parameter', async () => {
    const w = await workspaceOfTasks();
    expect(await client.taskrouter.v1.workspaces(sid('WS')).tasks.list()).toEqual([]);
    const other = `AC${'9'.repeat(32)}`;
    await expect(twilioClient(stack, other).taskrouter.v1.workspaces(w.workspaceSid).tasks.list()).rejects.toMatchObject({ status: 401 });
    const path = `/v1/Workspaces/${w.workspaceSid}/Tasks`;
    for (const [query, parameter] of [
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
    ] as const) {
      const response = await fetch(`${stack.url}${path}?${query}`, { headers: basicAuth() });
      const body = (await response.json()) as { code: number; message: string };
      expect(response.status, query).toBe(400);
      expect(body.code, query).toBe(20001);
      expect(body.message, query).toContain(`Invalid parameter ${parameter}`);
    }
    // Creating a task is TaskRouter's routing, not this service's: a 405 naming GET.
    const post = await fetch(`${stack.url}${path}`, { method: 'POST', headers: basicAuth() });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET']);
    expect(ACCOUNT_SID).not.toBe(other);
  });
});

describe('the Task list with STATISTICS=off', () => {
  it('is not served, and says which setting: its tasks come from the statistics’ record of live tasks', async () => {
    const off = await startStack({ STATISTICS: 'off' });
    try {
      const a = await assign(off);
      await expect(twilioClient(off).taskrouter.v1.workspaces(a.workspaceSid).tasks.list()).rejects.toMatchObject({
        status: 404,
        code: 20404,
        message: expect.stringContaining('STATISTICS=off'),
      });
    } finally {
      await off.close();
    }
  });
});
