/**
 * TaskRouter's Event resource through the official twilio SDK and raw requests against the local
 * stack, on a clock the test moves: filters, the 15-minute default window, paging, the OpenAPI
 * schemas, and accounts kept apart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '#lib/local/server.ts';
import { FakeClock } from '../support/clock.ts';
import { assign, basicAuth, sid, startStack, twilioClient, type CallbackFixture } from '../support/fixtures.ts';
import { EVENT_KEYS, SCHEMAS, assertSchema } from '../support/openapi.ts';

const B = `AC${'b0'.repeat(16)}`;
const B_TOKEN = 'account-b-token-91d2';
const clock = new FakeClock(Date.UTC(2026, 11, 1, 10, 0, 0, 250));
let stack: LocalStack;
let client: ReturnType<typeof twilioClient>;

beforeAll(async () => {
  stack = await startStack({ TWILIO_ACCOUNTS: `${B}:${B_TOKEN}` }, { clock });
  client = twilioClient(stack);
});
afterAll(() => stack.close());

async function update(a: CallbackFixture, params: Record<string, string>, reservationSid = a.reservationSid) {
  const response = await fetch(`${stack.url}/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}/Reservations/${reservationSid}`, {
    method: 'POST',
    headers: { ...basicAuth(), 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });
  expect(response.status).toBe(200);
}

async function get(path: string, auth = basicAuth()) {
  const response = await fetch(`${stack.url}${path}`, { headers: auth });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const events = (workspaceSid: string) => client.taskrouter.v1.workspaces(workspaceSid).events;

describe('a reservation’s life, as the Event resource tells it', () => {
  let a: CallbackFixture;
  beforeAll(async () => {
    a = await assign(stack);
    for (const status of ['accepted', 'wrapping', 'completed']) {
      clock.advance(1000);
      await update(a, { ReservationStatus: status });
    }
  });

  it('events.list({ reservationSid }) gives its six events in order, each valid against the OpenAPI schema', async () => {
    const listed = await events(a.workspaceSid).list({ reservationSid: a.reservationSid });
    expect(listed.map((e) => e.eventType)).toEqual([
      'reservation.created',
      'reservation.accepted',
      'reservation.wrapup',
      'task.wrapup',
      'reservation.completed',
      'task.completed',
    ]);
    expect(listed.map((e) => e.eventDateMs)).toEqual([0, 1000, 2000, 2000, 3000, 3000].map((d) => clock.now() - 3000 + d));
    const raw = await get(`/v1/Workspaces/${a.workspaceSid}/Events?ReservationSid=${a.reservationSid}`);
    assertSchema(SCHEMAS.eventList, raw.body);
    for (const event of raw.body['events'] as Record<string, unknown>[]) {
      assertSchema(SCHEMAS.event, event);
      expect(Object.keys(event).sort()).toEqual(EVENT_KEYS);
      expect(Object.values(event['event_data'] as object).every((v) => typeof v === 'string')).toBe(true);
    }
  });

  it('events.list({ taskSid, eventType }) gives the one event of that type; events(EV).fetch() gives it again', async () => {
    const [accepted, ...rest] = await events(a.workspaceSid).list({ taskSid: a.taskSid, eventType: 'reservation.accepted' });
    expect(rest).toEqual([]);
    expect(accepted).toMatchObject({
      eventType: 'reservation.accepted',
      accountSid: a.accountSid,
      workspaceSid: a.workspaceSid,
      resourceType: 'reservation',
      resourceSid: a.reservationSid,
      resourceUrl: `${stack.url}/v1/Workspaces/${a.workspaceSid}/Tasks/${a.taskSid}/Reservations/${a.reservationSid}`,
      description: `Reservation ${a.reservationSid} accepted by Worker Doug`,
      source: 'taskrouter-reservations',
      sourceIpAddress: null,
      actorType: 'workspace',
      actorSid: a.workspaceSid,
    });
    expect(accepted!.eventData).toMatchObject({
      task_sid: a.taskSid,
      reservation_sid: a.reservationSid,
      worker_sid: a.workerSid,
      worker_name: 'Doug',
      task_assignment_status: 'assigned',
      task_queue_sid: a.params['TaskQueueSid'],
    });
    const fetched = await events(a.workspaceSid)(accepted!.sid).fetch();
    expect(fetched.toJSON()).toEqual(accepted!.toJSON());
    const raw = await get(`/v1/Workspaces/${a.workspaceSid}/Events/${accepted!.sid}`);
    assertSchema(SCHEMAS.event, raw.body);
    expect(raw.body['url']).toBe(`${stack.url}/v1/Workspaces/${a.workspaceSid}/Events/${accepted!.sid}`);
  });

  it('filters by WorkerSid, TaskQueueSid, WorkflowSid and Sid, together too', async () => {
    const by = (params: Record<string, string>) =>
      get(`/v1/Workspaces/${a.workspaceSid}/Events?${new URLSearchParams(params)}`).then((r) =>
        (r.body['events'] as { event_type: string; sid: string }[]).map((e) => e.event_type),
      );
    expect(await by({ WorkerSid: a.workerSid })).toHaveLength(6);
    expect(await by({ TaskQueueSid: a.params['TaskQueueSid']!, EventType: 'task.completed' })).toEqual(['task.completed']);
    expect(await by({ WorkflowSid: a.params['WorkflowSid']!, WorkerSid: a.workerSid, EventType: 'reservation.wrapup' })).toEqual(['reservation.wrapup']);
    expect(await by({ WorkflowSid: sid('WW') })).toEqual([]);
    const [created] = await events(a.workspaceSid).list({ reservationSid: a.reservationSid, limit: 1 });
    expect(await by({ Sid: created!.sid })).toEqual(['reservation.created']);
    // A type this service never produces is a valid filter that matches nothing.
    expect(await by({ EventType: 'task.created' })).toEqual([]);
  });
});

describe('the time window', () => {
  it('is the last 15 minutes by default, as Twilio’s; Minutes, StartDate and EndDate move it (the SDK’s dates included)', async () => {
    const a = await assign(stack);
    const at = clock.now();
    const types = async (options: Parameters<ReturnType<typeof events>['list']>[0] = {}) =>
      (await events(a.workspaceSid).list(options)).map((e) => e.eventType);
    expect(await types()).toEqual(['reservation.created']);
    clock.advance(15 * 60_000 + 1000);
    expect(await types()).toEqual([]);
    expect(await types({ minutes: 20 })).toEqual(['reservation.created']);
    // The SDK sends dates to the second: StartDate is inclusive from that second on.
    expect(await types({ startDate: new Date(at) })).toEqual(['reservation.created']);
    expect(await types({ startDate: new Date(at + 1000) })).toEqual([]);
    expect(await types({ startDate: new Date(at - 60_000), endDate: new Date(at + 999) })).toEqual(['reservation.created']);
    expect(await types({ startDate: new Date(at - 60_000), endDate: new Date(at - 1000) })).toEqual([]);
  });

  it('refuses bad filters with a 400 naming the parameter', async () => {
    const ws = sid('WS');
    for (const [query, parameter] of [
      ['StartDate=yesterday', 'StartDate'],
      ['EndDate=2026-13-45T00:00:00Z', 'EndDate'],
      ['StartDate=2026-12-02T00:00:00Z&EndDate=2026-12-01T00:00:00Z', 'StartDate'],
      ['Minutes=0', 'Minutes'],
      ['Minutes=43201', 'Minutes'],
      ['ReservationSid=WR123', 'ReservationSid'],
      ['EventType=not%20a%20type', 'EventType'],
      ['PageSize=1001', 'PageSize'],
      ['PageToken=PTnope', 'PageToken'],
      // Refused, not ignored: no event holds a task channel, and ignoring the filter would widen the list.
      ['TaskChannel=voice', 'TaskChannel'],
    ] as const) {
      const { status, body } = await get(`/v1/Workspaces/${ws}/Events?${query}`);
      expect(status, query).toBe(400);
      expect(body['message'], query).toContain(parameter);
    }
  });
});

/** `count` reservations in one new workspace, `stepMs` of the stack's clock apart, in order. */
async function assignedInTurn(count: number, stepMs: number): Promise<CallbackFixture[]> {
  const made = [await assign(stack)];
  for (let i = 1; i < count; i++) {
    clock.advance(stepMs);
    made.push(await assign(stack, { WorkspaceSid: made[0]!.workspaceSid }));
  }
  return made;
}

describe('paging', () => {
  it('pages in time order with absolute next_page_url that the SDK follows, and back with previous_page_url', async () => {
    const made = await assignedInTurn(7, 10);
    const first = made[0]!;
    const expected = made.map((r) => r.reservationSid);
    const all = await events(first.workspaceSid).list({ pageSize: 2 });
    expect(all.map((e) => e.resourceSid)).toEqual(expected);
    const page1 = await get(`/v1/Workspaces/${first.workspaceSid}/Events?PageSize=3`);
    const meta1 = page1.body['meta'] as Record<string, string | null>;
    expect(meta1).toMatchObject({ key: 'events', page: 0, page_size: 3, previous_page_url: null });
    // The window is pinned where the first page put it (the last 15 minutes, by the stack's clock).
    const pinned = encodeURIComponent(new Date(clock.now() - 15 * 60_000).toISOString());
    expect(meta1['next_page_url']).toMatch(
      new RegExp(`^${stack.url}/v1/Workspaces/${first.workspaceSid}/Events\\?StartDate=${pinned}&PageSize=3&Page=1&PageToken=`),
    );
    const page2 = await get(new URL(meta1['next_page_url']!).pathname + new URL(meta1['next_page_url']!).search);
    expect((page2.body['events'] as { resource_sid: string }[]).map((e) => e.resource_sid)).toEqual(expected.slice(3, 6));
    const back = await get(
      new URL((page2.body['meta'] as Record<string, string>)['previous_page_url']!).pathname +
        new URL((page2.body['meta'] as Record<string, string>)['previous_page_url']!).search,
    );
    expect((back.body['events'] as { resource_sid: string }[]).map((e) => e.resource_sid)).toEqual(expected.slice(0, 3));
  });

  it('fills a page filtered by what no index serves (EventType): no empty pages that link onward', async () => {
    const [first, ...others] = (await assignedInTurn(6, 10)) as [CallbackFixture, ...CallbackFixture[]];
    clock.advance(10);
    await update(others[4]!, { ReservationStatus: 'accepted' });
    const { body } = await get(`/v1/Workspaces/${first.workspaceSid}/Events?EventType=reservation.accepted&PageSize=1`);
    expect((body['events'] as { resource_sid: string }[]).map((e) => e.resource_sid)).toEqual([others[4]!.reservationSid]);
    expect((body['meta'] as Record<string, unknown>)['next_page_url']).toBeNull();
    const page = await events(first.workspaceSid).page({ eventType: 'reservation.accepted', pageSize: 1 });
    expect(page.instances.map((e) => e.resourceSid)).toEqual([others[4]!.reservationSid]);
  });

  it('keeps a relative window where its first page put it: a next page read minutes later loses nothing', async () => {
    const made = await assignedInTurn(5, 1_000);
    const first = made[0]!;
    const expected = made.map((r) => r.reservationSid);
    const page1 = await get(`/v1/Workspaces/${first.workspaceSid}/Events?Minutes=5&PageSize=2`);
    expect((page1.body['events'] as { resource_sid: string }[]).map((e) => e.resource_sid)).toEqual(expected.slice(0, 2));
    // Six minutes on, "the last 5 minutes" holds none of them; the page URL still names them.
    clock.advance(6 * 60_000);
    let next = (page1.body['meta'] as Record<string, string | null>)['next_page_url'];
    const rest: string[] = [];
    while (next) {
      const page = await get(new URL(next).pathname + new URL(next).search);
      rest.push(...(page.body['events'] as { resource_sid: string }[]).map((e) => e.resource_sid));
      next = (page.body['meta'] as Record<string, string | null>)['next_page_url'];
    }
    expect(rest).toEqual(expected.slice(2));
  });

  it('EndDate without a fraction, as the SDK sends it, takes in the whole of its second, as the Statistics count it', async () => {
    const at = clock.now() - (clock.now() % 1000) + 1_000;
    clock.advance(at + 400 - clock.now());
    const r = await assign(stack);
    const second = new Date(at).toISOString().replace('.000Z', 'Z');
    for (const query of [`EndDate=${second}`, `StartDate=${second}&EndDate=${second}`]) {
      const { body } = await get(`/v1/Workspaces/${r.workspaceSid}/Events?${query}`);
      expect(
        (body['events'] as { resource_sid: string }[]).map((e) => e.resource_sid),
        query,
      ).toEqual([r.reservationSid]);
    }
    const listed = await events(r.workspaceSid).list({ endDate: new Date(at + 400) });
    expect(listed.map((e) => e.resourceSid)).toEqual([r.reservationSid]);
    // The window before it starts where that second does: 15 minutes before a whole second ends at it.
    const quarter = new Date(at + 15 * 60_000).toISOString().replace('.000Z', 'Z');
    const { body: before } = await get(`/v1/Workspaces/${r.workspaceSid}/Events?EndDate=${quarter}&Minutes=15`);
    expect((before['events'] as { resource_sid: string }[]).map((e) => e.resource_sid)).toEqual([r.reservationSid]);
    // With a fraction it is that very instant.
    const { body } = await get(`/v1/Workspaces/${r.workspaceSid}/Events?EndDate=${new Date(at + 399).toISOString()}`);
    expect(body['events']).toEqual([]);
  });
});

describe('accounts and errors', () => {
  it('keeps one account’s events from another: its lists and fetches 404, for the very same SIDs', async () => {
    const a = await assign(stack);
    const [created] = await events(a.workspaceSid).list({ reservationSid: a.reservationSid });
    const asB = basicAuth(B, B_TOKEN);
    // The workspace is A's: to B it is unknown.
    expect((await get(`/v1/Workspaces/${a.workspaceSid}/Events`, asB)).body).toMatchObject({ status: 404, code: 20404 });
    expect((await get(`/v1/Workspaces/${a.workspaceSid}/Events?ReservationSid=${a.reservationSid}`, asB)).status).toBe(404);
    expect((await get(`/v1/Workspaces/${a.workspaceSid}/Events/${created!.sid}`, asB)).status).toBe(404);
    // B's own callback naming the same SIDs makes B's own events, with SIDs of its own.
    await assign(
      stack,
      { AccountSid: B, WorkspaceSid: a.workspaceSid, TaskSid: a.taskSid, ReservationSid: a.reservationSid, WorkerSid: a.workerSid },
      { token: B_TOKEN },
    );
    const theirs = (await get(`/v1/Workspaces/${a.workspaceSid}/Events`, asB)).body['events'] as { sid: string; account_sid: string }[];
    expect(theirs.map((e) => e.account_sid)).toEqual([B]);
    expect(theirs[0]!.sid).not.toBe(created!.sid);
    expect((await events(a.workspaceSid).list({ reservationSid: a.reservationSid })).map((e) => e.sid)).toEqual([created!.sid]);
    // Now B's workspace too: a filter that matches nothing of B's is an empty page, not a 404.
    expect((await get(`/v1/Workspaces/${a.workspaceSid}/Events?EventType=task.completed`, asB)).body['events']).toEqual([]);
  });

  it('answers 404 for a workspace with no event counted here (a mistyped SID), an empty page for a quiet one', async () => {
    const ws = sid('WS');
    await expect(events(ws).list()).rejects.toMatchObject({ status: 404, code: 20404 });
    const a = await assign(stack);
    // Sixteen minutes later the default window holds nothing: the workspace is quiet, not unknown.
    clock.advance(16 * 60_000);
    expect(await events(a.workspaceSid).list()).toEqual([]);
  });

  it('with STATISTICS=off, which counts no workspace, answers an empty page for any workspace', async () => {
    const off = await startStack({ STATISTICS: 'off' });
    try {
      const a = await assign(off);
      const list = (workspaceSid: string) => twilioClient(off).taskrouter.v1.workspaces(workspaceSid).events.list();
      expect((await list(a.workspaceSid)).map((e) => e.eventType)).toEqual(['reservation.created']);
      expect(await list(sid('WS'))).toEqual([]);
    } finally {
      await off.close();
    }
  });

  it('answers 404 for an unknown or malformed event SID, and 401 without credentials', async () => {
    const ws = sid('WS');
    expect((await get(`/v1/Workspaces/${ws}/Events/${sid('EV')}`)).body).toMatchObject({ status: 404, code: 20404 });
    expect((await get(`/v1/Workspaces/${ws}/Events/EV123`)).body).toMatchObject({ status: 404, code: 20404 });
    expect((await get(`/v1/Workspaces/WS123/Events`)).status).toBe(404);
    expect((await get(`/v1/Workspaces/${ws}/Events`, {})).status).toBe(401);
  });
});
