/**
 * TaskRouter's Statistics resources through the official twilio SDK, on both engines: a scripted
 * hour of callbacks, accepts after known delays, rejections, a timeout, a cancellation and a worker
 * moving through activities gives the counts, averages, min/max and splits computed by hand below;
 * windows cut exactly at their bounds; every response matches Twilio's OpenAPI schema. Then this
 * service's own reads beside them (each worker's counts, the outcomes per minute and per hour, the
 * reservations pending now), on the same script.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '#lib/local/server.ts';
import { FakeClock } from '../support/clock.ts';
import { ENGINES } from '../support/engines.ts';
import { assign, basicAuth, sid, startStack, twilioClient, type CallbackFixture } from '../support/fixtures.ts';
import { SCHEMAS, assertSchema, schemaKeys } from '../support/openapi.ts';

const B = `AC${'b1'.repeat(16)}`;
const B_TOKEN = 'account-b-token-5e7a';
/** The script's start: a whole minute, so that its seconds are easy to read. */
const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);
const at = (s: number) => new Date(T0 + s * 1000);
const ACT1 = `WA${'1'.repeat(32)}`;
const ACT2 = `WA${'2'.repeat(32)}`;
const ACT3 = `WA${'3'.repeat(32)}`;

describe.each(ENGINES)('the Statistics resources on $name', (engine) => {
  const clock = new FakeClock(T0);
  const ws = sid('WS');
  const [q1, q2, wf, workerA, workerB] = [sid('WQ'), sid('WQ'), sid('WW'), sid('WK'), sid('WK')];
  const [t1, t2, t3, t4] = [sid('WT'), sid('WT'), sid('WT'), sid('WT')];
  let stack: LocalStack;
  let stopEngine: () => Promise<void>;
  let client: ReturnType<typeof twilioClient>;
  let r3: CallbackFixture;
  const setClock = (ms: number) => clock.advance(ms - clock.now());

  const callbackAt = async (s: number, taskSid: string, workerSid: string, queue: string, taskAge: number, query?: string) => {
    setClock(T0 + s * 1000);
    return assign(
      stack,
      {
        WorkspaceSid: ws,
        TaskSid: taskSid,
        WorkerSid: workerSid,
        WorkerName: workerSid === workerA ? 'Ada' : 'Grace',
        TaskQueueSid: queue,
        WorkflowSid: wf,
        TaskAge: String(taskAge),
      },
      query ? { query } : {},
    );
  };
  const updateAt = async (s: number, r: CallbackFixture, params: Record<string, string>) => {
    setClock(T0 + s * 1000);
    const response = await fetch(`${stack.url}/v1/Workspaces/${ws}/Tasks/${r.taskSid}/Reservations/${r.reservationSid}`, {
      method: 'POST',
      headers: { ...basicAuth(), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params),
    });
    expect(response.status, await response.clone().text()).toBe(200);
  };
  const raw = async (path: string, auth = basicAuth()) => {
    const response = await fetch(`${stack.url}/v1/Workspaces/${ws}/${path}`, { headers: auth });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    const running = await engine.start();
    stopEngine = running.stop;
    stack = await startStack(
      {
        DYNAMODB_ENDPOINT: running.endpoint,
        TABLE_NAME: `stats${randomBytes(4).toString('hex')}`,
        MAX_REJECTIONS: '2',
        TIMEOUT_ACTIVITY_SID: ACT3,
        TWILIO_ACCOUNTS: `${B}:${B_TOKEN}`,
      },
      { clock },
    );
    client = twilioClient(stack);
    // s=0: R1 (T1, created 10 s before), accepted at 5 s (waited 15 s), A to ACT1; wrapped at 30 s, completed at 50 s.
    const r1 = await callbackAt(0, t1, workerA, q1, 10);
    await updateAt(5, r1, { ReservationStatus: 'accepted', WorkerActivitySid: ACT1 });
    await updateAt(30, r1, { ReservationStatus: 'wrapping' });
    await updateAt(50, r1, { ReservationStatus: 'completed' });
    // s=60: R2 (T2, created now) to A, rejected at 90 s, A to ACT1; R3 to B at 100 s, accepted at 125 s (waited 65 s).
    const r2 = await callbackAt(60, t2, workerA, q1, 0);
    await updateAt(90, r2, { ReservationStatus: 'rejected', WorkerActivitySid: ACT1 });
    r3 = await callbackAt(100, t2, workerB, q1, 40);
    await updateAt(125, r3, { ReservationStatus: 'accepted' });
    // s=200: R4 (T3, created 5 s before) to B, 30 s to answer: timed out at 230 s (B to ACT3, TIMEOUT_ACTIVITY_SID),
    // written down by its timer at 300 s.
    const r4 = await callbackAt(200, t3, workerB, q2, 5, 'ReservationTimeout=30');
    setClock(T0 + 300_000);
    await stack.runtime.service.expire({ accountSid: r4.accountSid, workspaceSid: ws, taskSid: t3, reservationSid: r4.reservationSid });
    // s=400: T4 rejected by A at 410 s and by B at 430 s, both to ACT2: MAX_REJECTIONS=2 cancels it at 430 s (waited 30 s).
    const r5 = await callbackAt(400, t4, workerA, q2, 0);
    await updateAt(410, r5, { ReservationStatus: 'rejected', WorkerActivitySid: ACT2 });
    const r6 = await callbackAt(420, t4, workerB, q2, 20);
    await updateAt(430, r6, { ReservationStatus: 'rejected', WorkerActivitySid: ACT2 });
    // Read an hour and five minutes after the start: the first hour is whole, and can be rolled up.
    setClock(T0 + 3_900_000);
  });
  afterAll(async () => {
    await stack.close();
    await stopEngine();
  });

  const hour = { startDate: at(0), endDate: at(3599) };

  it("the workspace's cumulative statistics: counts, waits and splits by hand, valid against the OpenAPI schema", async () => {
    const stats = await client.taskrouter.v1
      .workspaces(ws)
      .cumulativeStatistics()
      .fetch({ ...hour, splitByWaitTime: '20,60' });
    expect(stats).toMatchObject({
      reservationsCreated: 6,
      reservationsAccepted: 2,
      reservationsRejected: 3,
      reservationsTimedOut: 1,
      reservationsCanceled: 0,
      reservationsRescinded: 0,
      tasksCompleted: 1,
      tasksCanceled: 1,
      avgTaskAcceptanceTime: 40,
      waitDurationUntilAccepted: { avg: 40, min: 15, max: 65, total: 80 },
      waitDurationUntilCanceled: { avg: 30, min: 30, max: 30, total: 30 },
      splitByWaitTime: {
        '20': { below: { reservations_accepted: 1, tasks_canceled: 0 }, above: { reservations_accepted: 1, tasks_canceled: 1 } },
        '60': { below: { reservations_accepted: 1, tasks_canceled: 1 }, above: { reservations_accepted: 1, tasks_canceled: 0 } },
      },
    });
    expect(stats.startTime).toEqual(at(0));
    expect(stats.endTime).toEqual(at(3599));
    const { status, body } = await raw(`CumulativeStatistics?StartDate=${at(0).toISOString()}&EndDate=${at(3599).toISOString()}&SplitByWaitTime=20,60`);
    expect(status).toBe(200);
    assertSchema(SCHEMAS.workspaceCumulativeStatistics, body);
    expect(Object.keys(body).sort()).toEqual(schemaKeys('taskrouter.v1.workspace.workspace_cumulative_statistics'));
  });

  it('a window is cut exactly at the seconds it names', async () => {
    const read = (from: number, to: number) =>
      client.taskrouter.v1
        .workspaces(ws)
        .cumulativeStatistics()
        .fetch({ startDate: at(from), endDate: at(to) });
    expect((await read(5, 5)).reservationsAccepted).toBe(1);
    expect((await read(6, 59)).reservationsCreated).toBe(0);
    expect((await read(6, 59)).tasksCompleted).toBe(1);
    expect((await read(6, 60)).reservationsCreated).toBe(1);
    expect((await read(124, 124)).reservationsAccepted).toBe(0);
    expect((await read(0, 124)).reservationsAccepted).toBe(1);
    // The timeout counts at its deadline (230 s), not when its timer wrote it down (300 s).
    expect((await read(230, 230)).reservationsTimedOut).toBe(1);
    expect((await read(231, 3599)).reservationsTimedOut).toBe(0);
  });

  it('a 30-day window, read twice (the second from its roll-ups), holds the same counts as the hour', async () => {
    for (let i = 0; i < 2; i++) {
      const month = await client.taskrouter.v1
        .workspaces(ws)
        .cumulativeStatistics()
        .fetch({ minutes: 30 * 1440 - 10 });
      expect(month).toMatchObject({ reservationsCreated: 6, reservationsAccepted: 2, reservationsRejected: 3, reservationsTimedOut: 1, tasksCanceled: 1 });
    }
  });

  it("task queues' and the workflow's statistics, and the queues' list", async () => {
    const queue = await client.taskrouter.v1.workspaces(ws).taskQueues(q1).cumulativeStatistics().fetch(hour);
    expect(queue).toMatchObject({ reservationsCreated: 3, reservationsAccepted: 2, reservationsRejected: 1, tasksCompleted: 1, avgTaskAcceptanceTime: 40 });
    const second = await client.taskrouter.v1.workspaces(ws).taskQueues(q2).statistics().fetch(hour);
    expect(second.cumulative).toMatchObject({ reservations_created: 3, reservations_timed_out: 1, reservations_rejected: 2, tasks_canceled: 1 });
    expect(second.realtime).toMatchObject({ tasks_by_status: { pending: 1, reserved: 0, assigned: 0, wrapping: 0 }, longest_task_waiting_sid: t3 });
    const workflow = await client.taskrouter.v1.workspaces(ws).workflows(wf).cumulativeStatistics().fetch(hour);
    expect(workflow).toMatchObject({ reservationsCreated: 6, tasksCanceled: 1, tasksCompleted: 1 });
    const listed = await client.taskrouter.v1.workspaces(ws).taskQueues.statistics.list({ ...hour, pageSize: 1 });
    expect(listed.map((q) => q.taskQueueSid)).toEqual([q1, q2].sort());
    expect(listed.find((q) => q.taskQueueSid === q1)?.cumulative).toMatchObject({ reservations_created: 3 });

    const query = `StartDate=${at(0).toISOString()}&EndDate=${at(3599).toISOString()}`;
    assertSchema(SCHEMAS.taskQueueCumulativeStatistics, (await raw(`TaskQueues/${q1}/CumulativeStatistics?${query}`)).body);
    assertSchema(SCHEMAS.taskQueueRealTimeStatistics, (await raw(`TaskQueues/${q1}/RealTimeStatistics`)).body);
    assertSchema(SCHEMAS.taskQueueStatistics, (await raw(`TaskQueues/${q1}/Statistics?${query}`)).body);
    assertSchema(SCHEMAS.taskQueuesStatisticsList, (await raw(`TaskQueues/Statistics?${query}`)).body);
    assertSchema(SCHEMAS.workflowCumulativeStatistics, (await raw(`Workflows/${wf}/CumulativeStatistics?${query}`)).body);
    assertSchema(SCHEMAS.workflowRealTimeStatistics, (await raw(`Workflows/${wf}/RealTimeStatistics`)).body);
    assertSchema(SCHEMAS.workflowStatistics, (await raw(`Workflows/${wf}/Statistics?${query}`)).body);
    assertSchema(SCHEMAS.workspaceStatistics, (await raw(`Statistics?${query}`)).body);
  });

  it("the workers' statistics: reservations, and activity durations from the activity changes", async () => {
    const workers = await client.taskrouter.v1.workspaces(ws).workers.cumulativeStatistics().fetch(hour);
    expect(workers).toMatchObject({ reservationsCreated: 6, reservationsAccepted: 2, reservationsRejected: 3, reservationsTimedOut: 1 });
    // A: ACT1 90 s..410 s (320 s), ACT2 410 s..3600 s (3190 s); B: ACT3 from the timeout that moved it (at
    // its deadline, 230 s, though its timer wrote it down at 300 s) to 430 s (200 s), ACT2 430 s..3600 s (3170 s).
    // Before a worker's first change the record does not say where it was: nothing is counted.
    expect(workers.activityDurations).toEqual([
      { sid: ACT1, friendly_name: null, avg: 320, min: 320, max: 320, total: 320 },
      { sid: ACT2, friendly_name: null, avg: 3180, min: 3170, max: 3190, total: 6360 },
      { sid: ACT3, friendly_name: null, avg: 200, min: 200, max: 200, total: 200 },
    ]);
    const a = await client.taskrouter.v1.workspaces(ws).workers(workerA).statistics().fetch(hour);
    expect(a.cumulative).toMatchObject({
      reservations_created: 3,
      reservations_accepted: 1,
      reservations_rejected: 2,
      activity_durations: [
        { sid: ACT1, friendly_name: null, avg: 320, min: 320, max: 320, total: 320 },
        { sid: ACT2, friendly_name: null, avg: 3190, min: 3190, max: 3190, total: 3190 },
      ],
    });
    const b = await client.taskrouter.v1.workspaces(ws).workers(workerB).statistics().fetch(hour);
    expect(b.cumulative).toMatchObject({ reservations_created: 3, reservations_accepted: 1, reservations_rejected: 1, reservations_timed_out: 1 });
    // A window after the last change: the whole of it in the activity each worker was left in.
    const later = await client.taskrouter.v1
      .workspaces(ws)
      .workers.cumulativeStatistics()
      .fetch({ startDate: at(600), endDate: at(659) });
    expect(later.activityDurations).toEqual([{ sid: ACT2, friendly_name: null, avg: 60, min: 60, max: 60, total: 120 }]);
    const live = await client.taskrouter.v1.workspaces(ws).workers.realTimeStatistics().fetch();
    expect(live).toMatchObject({ totalWorkers: 2, activityStatistics: [{ sid: ACT2, workers: 2, friendly_name: null }] });
    const byQueue = await client.taskrouter.v1
      .workspaces(ws)
      .workers.statistics()
      .fetch({ ...hour, taskQueueSid: q2 });
    expect(byQueue.cumulative).toMatchObject({ reservations_created: 3, reservations_timed_out: 1 });
    // A name and a queue: that worker's reservations from that queue, not the queue's (A: R5 from
    // q2, rejected; B: R3 from q1, accepted).
    const named = (friendlyName: string, taskQueueSid: string) =>
      client.taskrouter.v1
        .workspaces(ws)
        .workers.statistics()
        .fetch({ ...hour, friendlyName, taskQueueSid });
    expect((await named('Ada', q2)).cumulative).toMatchObject({
      reservations_created: 1,
      reservations_accepted: 0,
      reservations_rejected: 1,
      reservations_timed_out: 0,
    });
    expect((await named('Ada', q2)).realtime).toMatchObject({ total_workers: 1 });
    expect((await named('Grace', q1)).cumulative).toMatchObject({ reservations_created: 1, reservations_accepted: 1, reservations_rejected: 0 });
    expect((await named('Grace', q2)).cumulative).toMatchObject({ reservations_created: 2, reservations_rejected: 1, reservations_timed_out: 1 });
    // Both parts count the workers the filters select: all of them, or none of a name nobody has.
    expect((await client.taskrouter.v1.workspaces(ws).workers.statistics().fetch(hour)).realtime).toMatchObject({ total_workers: 2 });
    const nobody = await client.taskrouter.v1
      .workspaces(ws)
      .workers.statistics()
      .fetch({ ...hour, friendlyName: 'nobody has this name' });
    expect(nobody.realtime).toMatchObject({ total_workers: 0, activity_statistics: [] });
    expect(nobody.cumulative).toMatchObject({ reservations_created: 0 });

    const query = `StartDate=${at(0).toISOString()}&EndDate=${at(3599).toISOString()}`;
    assertSchema(SCHEMAS.workersCumulativeStatistics, (await raw(`Workers/CumulativeStatistics?${query}`)).body);
    assertSchema(SCHEMAS.workersRealTimeStatistics, (await raw('Workers/RealTimeStatistics')).body);
    assertSchema(SCHEMAS.workerStatistics, (await raw(`Workers/Statistics?${query}`)).body);
    assertSchema(SCHEMAS.workerInstanceStatistics, (await raw(`Workers/${workerA}/Statistics?${query}`)).body);
  });

  it("the workspace's real-time statistics: the tasks not finished, and the workers by activity", async () => {
    const live = await client.taskrouter.v1.workspaces(ws).realTimeStatistics().fetch();
    expect(live).toMatchObject({
      tasksByStatus: { pending: 1, reserved: 0, assigned: 1, wrapping: 0 },
      totalTasks: 2,
      longestTaskWaitingSid: t3,
      // T3 was created at 195 s; it is now 3900 s.
      longestTaskWaitingAge: 3705,
      totalWorkers: 2,
    });
    assertSchema(SCHEMAS.workspaceRealTimeStatistics, (await raw('RealTimeStatistics')).body);
    expect(r3.taskSid).toBe(t2);
  });

  it("bad input is Twilio's 400 naming the parameter; another account's workspace is a 404", async () => {
    const cases: [string, number, string][] = [
      [`CumulativeStatistics?Minutes=5&StartDate=${at(0).toISOString()}`, 400, 'Minutes'],
      [`CumulativeStatistics?StartDate=${at(100).toISOString()}&EndDate=${at(0).toISOString()}`, 400, 'StartDate'],
      ['CumulativeStatistics?StartDate=2026-09-01T00:00:00Z', 400, 'StartDate'],
      ['CumulativeStatistics?SplitByWaitTime=5,,x', 400, 'SplitByWaitTime'],
      ['TaskQueues/Statistics?Minutes=0', 400, 'Minutes'],
      ['Workers/Statistics?EndDate=yesterday', 400, 'EndDate'],
    ];
    for (const [path, status, name] of cases) {
      const { status: got, body } = await raw(path);
      expect(got, path).toBe(status);
      expect(Object.keys(body).sort()).toEqual(['code', 'message', 'more_info', 'status']);
      expect(body['code']).toBe(20001);
      expect(String(body['message'])).toContain(name);
    }
    // One bound for Minutes whatever the bad value, and a start in the future said as such.
    for (const minutes of ['43201', '99999999999', 'abc', '0']) {
      expect((await raw(`CumulativeStatistics?Minutes=${minutes}`)).body['message'], minutes).toBe(
        'Invalid parameter Minutes: must be an integer from 1 to 43200',
      );
    }
    expect((await raw(`CumulativeStatistics?StartDate=${at(7200).toISOString()}`)).body['message']).toBe(
      'Invalid parameter StartDate: must not be in the future',
    );
    const other = await raw('Statistics', basicAuth(B, B_TOKEN));
    expect(other.status).toBe(404);
    expect(other.body['code']).toBe(20404);
    expect((await raw(`TaskQueues/WQnope/Statistics`)).status).toBe(404);
  });

  describe("this service's own reads (/lifecycle/v1/…/Statistics/…)", () => {
    const own = async (path: string, auth = basicAuth()) => {
      const response = await fetch(`${stack.url}/lifecycle/v1/Workspaces/${ws}/Statistics/${path}`, { headers: auth });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const window = `StartDate=${at(0).toISOString()}&EndDate=${at(3599).toISOString()}`;
    const counts = (created: number, accepted: number, rejected: number, timedOut: number) => ({
      reservations_created: created,
      reservations_accepted: accepted,
      reservations_rejected: rejected,
      reservations_timed_out: timedOut,
      reservations_canceled: 0,
      reservations_rescinded: 0,
    });

    it("each worker's reservations in the window, by hand, and their sum the workspace's", async () => {
      const { status, body } = await own(`Workers?${window}`);
      expect(status).toBe(200);
      const rows = body['workers'] as Record<string, unknown>[];
      // A: R1 accepted, R2 and R5 rejected. B: R3 accepted, R4 timed out (at its deadline, 230 s), R6 rejected.
      expect(rows).toEqual(
        [
          { worker_sid: workerA, friendly_name: 'Ada', activity_sid: ACT2, ...counts(3, 1, 2, 0) },
          { worker_sid: workerB, friendly_name: 'Grace', activity_sid: ACT2, ...counts(3, 1, 1, 1) },
        ].sort((a, b) => (a.worker_sid < b.worker_sid ? -1 : 1)),
      );
      expect(body).toMatchObject({
        workspace_sid: ws,
        start_time: at(0).toISOString().replace('.000', ''),
        end_time: at(3599).toISOString().replace('.000', ''),
      });
      const workspace = await client.taskrouter.v1.workspaces(ws).cumulativeStatistics().fetch(hour);
      expect(rows.reduce((n, r) => n + (r['reservations_created'] as number), 0)).toBe(workspace.reservationsCreated);
    });

    it("each task queue's reservations in the window, as TaskRouter's TaskQueues/Statistics counts them", async () => {
      const { status, body } = await own(`Queues?${window}`);
      expect(status).toBe(200);
      // Q1: R1 accepted, R2 rejected, R3 accepted. Q2: R4 timed out, R5 and R6 rejected.
      expect(body['task_queues']).toEqual(
        [
          { task_queue_sid: q1, ...counts(3, 2, 1, 0) },
          { task_queue_sid: q2, ...counts(3, 0, 2, 1) },
        ].sort((a, b) => (a.task_queue_sid < b.task_queue_sid ? -1 : 1)),
      );
      expect(body).toMatchObject({ workspace_sid: ws, start_time: at(0).toISOString().replace('.000', '') });
      const listed = await client.taskrouter.v1.workspaces(ws).taskQueues.statistics.list(hour);
      for (const row of body['task_queues'] as Record<string, unknown>[]) {
        const theirs = listed.find((q) => q.taskQueueSid === row['task_queue_sid'])!.cumulative as Record<string, unknown>;
        for (const field of Object.keys(counts(0, 0, 0, 0))) expect(row[field], field).toBe(theirs[field]);
      }
      // The record holds no task's channel: a channel filter vouches for no count.
      const channel = await own(`Queues?${window}&TaskChannel=voice`);
      expect((channel.body['task_queues'] as Record<string, unknown>[]).map((q) => q['reservations_created'])).toEqual([0, 0]);
    });

    it('the outcomes per minute and per hour, each bucket cut at its bounds, summing to the window', async () => {
      const perMinute = await own(`Outcomes?Interval=minute&${window}`);
      expect(perMinute.status).toBe(200);
      const minutes = perMinute.body['outcomes'] as Record<string, unknown>[];
      expect(minutes).toHaveLength(60);
      const nonEmpty = minutes.flatMap((m, i) =>
        (m['reservations_created'] as number) +
          (m['reservations_rejected'] as number) +
          (m['reservations_accepted'] as number) +
          (m['reservations_timed_out'] as number) >
        0
          ? [[i, m]]
          : [],
      );
      expect(nonEmpty).toEqual([
        [0, { start_time: '2026-12-01T09:00:00Z', end_time: '2026-12-01T09:00:59Z', ...counts(1, 1, 0, 0) }],
        [1, { start_time: '2026-12-01T09:01:00Z', end_time: '2026-12-01T09:01:59Z', ...counts(2, 0, 1, 0) }],
        [2, { start_time: '2026-12-01T09:02:00Z', end_time: '2026-12-01T09:02:59Z', ...counts(0, 1, 0, 0) }],
        [3, { start_time: '2026-12-01T09:03:00Z', end_time: '2026-12-01T09:03:59Z', ...counts(1, 0, 0, 1) }],
        [6, { start_time: '2026-12-01T09:06:00Z', end_time: '2026-12-01T09:06:59Z', ...counts(1, 0, 1, 0) }],
        [7, { start_time: '2026-12-01T09:07:00Z', end_time: '2026-12-01T09:07:59Z', ...counts(1, 0, 1, 0) }],
      ]);
      // A window that starts and ends inside minutes: its first and last buckets are cut there.
      const cut = await own(`Outcomes?Interval=minute&StartDate=${at(90).toISOString()}&EndDate=${at(200).toISOString()}`);
      expect(
        (cut.body['outcomes'] as Record<string, unknown>[]).map((m) => [m['start_time'], m['end_time'], m['reservations_created'], m['reservations_rejected']]),
      ).toEqual([
        ['2026-12-01T09:01:30Z', '2026-12-01T09:01:59Z', 1, 1],
        ['2026-12-01T09:02:00Z', '2026-12-01T09:02:59Z', 0, 0],
        ['2026-12-01T09:03:00Z', '2026-12-01T09:03:20Z', 1, 0],
      ]);
      const perHour = await own(`Outcomes?Interval=hour&StartDate=${at(0).toISOString()}&EndDate=${at(7199).toISOString()}`);
      expect(perHour.body).toMatchObject({
        interval: 'hour',
        outcomes: [
          { start_time: '2026-12-01T09:00:00Z', end_time: '2026-12-01T09:59:59Z', ...counts(6, 2, 3, 1) },
          { start_time: '2026-12-01T10:00:00Z', end_time: '2026-12-01T10:59:59Z', ...counts(0, 0, 0, 0) },
        ],
      });
    });

    it("bad input is Twilio's 400 naming the parameter; another account's workspace is a 404", async () => {
      for (const [path, name] of [
        ['Outcomes?Interval=second', 'Interval'],
        ['Outcomes?Interval=minute&Minutes=1441', 'Interval'],
        ['Outcomes?Minutes=5&StartDate=2026-12-01T09:00:00Z', 'Minutes'],
        ['Workers?Minutes=0', 'Minutes'],
        ['Queues?EndDate=yesterday', 'EndDate'],
        ['PendingReservations?PageSize=51', 'PageSize'],
      ]) {
        const { status, body } = await own(path!);
        expect(status, path).toBe(400);
        expect(body['code']).toBe(20001);
        expect(String(body['message'])).toContain(name);
      }
      for (const path of ['Workers', 'Queues', 'Outcomes', 'PendingReservations']) expect((await own(path, basicAuth(B, B_TOKEN))).status, path).toBe(404);
    });

    // Last: it adds reservations after the script's hour (the tests above read the hour only, or run before).
    it('the reservations pending now, soonest deadline first; one whose deadline passed is pending no longer, timer or not', async () => {
      expect((await own('PendingReservations')).body).toMatchObject({ total: 0, reservations: [] });
      const [t5, t6] = [sid('WT'), sid('WT')];
      const later = await callbackAt(3900, t5, workerA, q1, 0, 'ReservationTimeout=120');
      const sooner = await callbackAt(3910, t6, workerB, q2, 0, 'ReservationTimeout=60');
      const { status, body } = await own('PendingReservations?PageSize=1');
      expect(status).toBe(200);
      expect(body).toMatchObject({
        total: 2,
        reservations: [
          {
            reservation_sid: sooner.reservationSid,
            task_sid: t6,
            worker_sid: workerB,
            worker_name: 'Grace',
            task_queue_sid: q2,
            deadline: at(3970).toISOString(),
            deadline_ms: T0 + 3970_000,
          },
        ],
      });
      // The real-time statistics agree: two tasks reserved.
      expect((await client.taskrouter.v1.workspaces(ws).realTimeStatistics().fetch()).tasksByStatus).toMatchObject({ reserved: 2 });
      setClock(T0 + 3970_000);
      const after = await own('PendingReservations');
      expect(after.body).toMatchObject({ total: 1, reservations: [{ reservation_sid: later.reservationSid, deadline_ms: T0 + 4020_000 }] });
    });
  });
});
