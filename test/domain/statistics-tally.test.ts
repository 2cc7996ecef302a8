/**
 * What each event adds to the statistics: its entry (a pure function of the event, kept under its
 * id) and the counts the entries add up to, field by field as TaskRouter's resources name them.
 */
import { describe, expect, it } from 'vitest';
import type { TaskRouterEvent } from '#lib/domain/events.ts';
import { contributionOf, countEntries, secondOfSlot } from '#lib/domain/statistics-tally.ts';

const T = Date.UTC(2026, 11, 6, 10, 0, 0, 250);

function event(type: TaskRouterEvent['type'], data: Record<string, string> = {}, more: Partial<TaskRouterEvent> = {}): TaskRouterEvent {
  return {
    sid: `EV${'0'.repeat(31)}1`,
    type,
    accountSid: 'AC1',
    workspaceSid: 'WS1',
    at: T,
    resourceType: 'reservation',
    resourceSid: 'WR1',
    description: '',
    data,
    taskSid: 'WT1',
    reservationSid: 'WR1',
    workerSid: 'WK1',
    taskQueueSid: 'WQ1',
    workflowSid: 'WW1',
    ...more,
  };
}

const countsOf = (e: TaskRouterEvent) => {
  const contribution = contributionOf(e);
  if (contribution === undefined) throw new Error(`${e.type} counts nowhere`);
  return countEntries([contribution.entry]);
};

describe('what an event counts', () => {
  it('a reservation event counts its field for the workspace, queue, workflow, worker and the pair queue:worker', () => {
    expect(countsOf(event('reservation.created'))).toEqual({
      counts: { 'w||rc': 1, 'q|WQ1|rc': 1, 'f|WW1|rc': 1, 'k|WK1|rc': 1, 'p|WQ1:WK1|rc': 1 },
      activities: [],
    });
    for (const [type, field] of [
      ['reservation.rejected', 'rr'],
      ['reservation.timeout', 'rt'],
      ['reservation.canceled', 'rx'],
      ['reservation.rescinded', 'rs'],
    ] as const) {
      expect(countsOf(event(type, { TaskAge: '9' })).counts).toEqual({
        [`w||${field}`]: 1,
        [`q|WQ1|${field}`]: 1,
        [`f|WW1|${field}`]: 1,
        [`k|WK1|${field}`]: 1,
        [`p|WQ1:WK1|${field}`]: 1,
      });
    }
  });

  it('an acceptance and a cancellation count the wait (TaskAge) in whole seconds; without one, no bin', () => {
    expect(countsOf(event('reservation.accepted', { TaskAge: '042' })).counts).toEqual({
      'w||ra': 1,
      'q|WQ1|ra': 1,
      'f|WW1|ra': 1,
      'k|WK1|ra': 1,
      'p|WQ1:WK1|ra': 1,
      'w||wa.42': 1,
      'q|WQ1|wa.42': 1,
      'f|WW1|wa.42': 1,
    });
    expect(countsOf(event('reservation.accepted', { TaskAge: 'soon' })).counts).toEqual({
      'w||ra': 1,
      'q|WQ1|ra': 1,
      'f|WW1|ra': 1,
      'k|WK1|ra': 1,
      'p|WQ1:WK1|ra': 1,
    });
    expect(countsOf(event('task.canceled', { TaskAge: '7' }, { resourceType: 'task' })).counts).toEqual({
      'w||tx': 1,
      'q|WQ1|tx': 1,
      'f|WW1|tx': 1,
      'w||wx.7': 1,
      'q|WQ1|wx.7': 1,
      'f|WW1|wx.7': 1,
    });
    expect(countsOf(event('task.completed', { TaskAge: '7' }, { resourceType: 'task' })).counts).toEqual({ 'w||tc': 1, 'q|WQ1|tc': 1, 'f|WW1|tc': 1 });
  });

  it('what the event does not name counts nowhere: no queue, no workflow, no worker', () => {
    const bare: Partial<TaskRouterEvent> = { taskQueueSid: undefined, workflowSid: undefined, workerSid: undefined } as Partial<TaskRouterEvent>;
    expect(countsOf(event('reservation.created', {}, bare)).counts).toEqual({ 'w||rc': 1 });
  });

  it('an activity change is kept as it happened, to the millisecond', () => {
    const change = event('worker.activity.update', { WorkerActivitySid: 'WA2' }, { resourceType: 'worker', resourceSid: 'WK1' });
    expect(countsOf(change)).toEqual({ counts: {}, activities: [{ workerSid: 'WK1', at: T, activitySid: 'WA2' }] });
    expect(contributionOf(event('worker.activity.update', {}, { resourceType: 'worker' }))).toBeUndefined();
  });

  it('an event of no count is not counted; it is counted in the tenth of a second of its time, under its SID without EV', () => {
    expect(contributionOf(event('reservation.wrapup'))).toBeUndefined();
    expect(contributionOf(event('reservation.created'))).toMatchObject({ id: `${'0'.repeat(31)}1`, slot: Math.floor(T / 100) });
    expect(secondOfSlot(Math.floor(T / 100))).toBe(Math.floor(T / 1000));
    expect(secondOfSlot(Math.floor((T + 749) / 100))).toBe(Math.floor(T / 1000));
    expect(secondOfSlot(Math.floor((T + 750) / 100))).toBe(Math.floor(T / 1000) + 1);
  });

  it('entries add up, and an entry of a kind not known counts nowhere', () => {
    const created = contributionOf(event('reservation.created'))!.entry;
    expect(countEntries([created, created, 'zz|WQ1|WW1|WK1|', 'toString|WQ1|||', 'a|WK1|later|WA1'])).toEqual({
      counts: { 'w||rc': 2, 'q|WQ1|rc': 2, 'f|WW1|rc': 2, 'k|WK1|rc': 2, 'p|WQ1:WK1|rc': 2 },
      activities: [],
    });
  });
});
