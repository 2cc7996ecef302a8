/**
 * The event callbacks' intake (lib/upstream/mirror-inbox.ts) on the in-memory stores: each taken
 * in once per Sid, read once into the typed event, applied by the mirror (in the request, as
 * deployed; or after the answer, as the local stack does), and whatever was taken in but not
 * applied left to a repeat of the callback or to the sweep, which also applies items an earlier
 * version stored as form fields.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidParameterError, ServiceUnavailableError } from '#lib/domain/errors.ts';
import { findReservation } from '#lib/domain/task.ts';
import { createLogger } from '#lib/logging.ts';
import { memoryStores } from '#lib/store/memory/memory-stores.ts';
import { MirrorInbox, UNAPPLIED_AFTER_MS } from '#lib/upstream/mirror-inbox.ts';
import { UpstreamMirror } from '#lib/upstream/mirror.ts';
import { sweepUpstream } from '#lib/upstream/sweep.ts';
import { UpstreamReconciler } from '#lib/upstream/reconciler.ts';
import { UpstreamForwarder } from '#lib/upstream/forwarder.ts';
import { FakeClock } from '../support/clock.ts';
import { ACCOUNT_SID, FakeUpstream, RecordingScheduler, form, sid } from '../support/use-case-fixtures.ts';

afterEach(() => vi.restoreAllMocks());

function intake() {
  const clock = new FakeClock();
  const stores = memoryStores();
  const logger = createLogger();
  const mirror = new UpstreamMirror({
    tasks: stores.tasks,
    workers: stores.workers,
    clock,
    scheduler: new RecordingScheduler(),
    reservationTimeoutSeconds: 120,
    maxRejections: 10,
  });
  const inbox = new MirrorInbox(stores.inbox, mirror, clock, logger);
  return { clock, stores, mirror, inbox, logger };
}
type Intake = ReturnType<typeof intake>;

/** A reservation at TaskRouter. */
const upstreamReservation = () => ({ workspaceSid: sid('WS'), taskSid: sid('WT'), reservationSid: sid('WR'), workerSid: sid('WK') });
type UpstreamReservation = ReturnType<typeof upstreamReservation>;

/** TaskRouter's event callback about `r`, as form fields (PascalCase, every value text). */
function callbackEvent(type: string, r: UpstreamReservation, overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const fields: Record<string, string | undefined> = {
    Sid: sid('EV'),
    EventType: type,
    AccountSid: ACCOUNT_SID,
    WorkspaceSid: r.workspaceSid,
    TaskSid: r.taskSid,
    ReservationSid: r.reservationSid,
    WorkerSid: r.workerSid,
    WorkerName: 'Bob',
    WorkerAttributes: '{"contact_uri":"client:bob"}',
    TaskAttributes: '{"type":"chat"}',
    TaskQueueSid: sid('WQ'),
    WorkflowSid: sid('WW'),
    TaskAge: '2',
    TaskPriority: '0',
    TimestampMs: String(Date.UTC(2026, 10, 24, 9, 0, 0)),
    ...overrides,
  };
  return Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

async function statusOf(t: Intake, r: UpstreamReservation) {
  const task = await t.stores.tasks.getTask({ accountSid: ACCOUNT_SID, workspaceSid: r.workspaceSid, taskSid: r.taskSid });
  return task && findReservation(task, r.reservationSid)?.status;
}

describe('an event callback taken in', () => {
  it('is read once into the typed event, stored by its Sid, applied in the request and marked applied', async () => {
    const t = intake();
    const r = upstreamReservation();
    const take = vi.spyOn(t.stores.inbox, 'take');
    const apply = vi.spyOn(t.mirror, 'apply');
    const fields = callbackEvent('reservation.created', r);
    expect(await t.inbox.take(ACCOUNT_SID, form(fields))).toBe('taken');
    expect(await statusOf(t, r)).toBe('pending');
    const item = take.mock.calls[0]![0];
    expect(item).toMatchObject({ accountSid: ACCOUNT_SID, workspaceSid: r.workspaceSid, sid: fields['Sid'], receivedAt: t.clock.now() });
    expect(item.event).toMatchObject({ type: 'reservation.created', reservationSid: r.reservationSid, workerSid: r.workerSid, taskAge: 2 });
    expect(item.fields).toBeUndefined();
    // The mirror gets the very event that was stored: nothing is read twice.
    expect(apply.mock.calls[0]![0]).toBe(item.event);
    // Applied, it leaves the sweep's index.
    t.clock.advance(UNAPPLIED_AFTER_MS + 1);
    expect(await t.inbox.sweep()).toEqual({ applied: 0, failed: 0 });
  });

  it('a repeat of an applied event does nothing', async () => {
    const t = intake();
    const r = upstreamReservation();
    const apply = vi.spyOn(t.mirror, 'apply');
    const created = callbackEvent('reservation.created', r);
    const accepted = callbackEvent('reservation.accepted', r);
    await t.inbox.take(ACCOUNT_SID, form(created));
    expect(await t.inbox.take(ACCOUNT_SID, form(accepted))).toBe('taken');
    for (let i = 0; i < 3; i++) expect(await t.inbox.take(ACCOUNT_SID, form(accepted))).toBe('repeat');
    expect(apply).toHaveBeenCalledTimes(2);
    expect(await statusOf(t, r)).toBe('accepted');
  });

  it('a repeat of an event taken in but not applied (its first apply failed) applies it', async () => {
    const t = intake();
    const r = upstreamReservation();
    const fields = callbackEvent('reservation.created', r);
    vi.spyOn(t.mirror, 'apply').mockRejectedValueOnce(new ServiceUnavailableError(1));
    // In the request: the store's failure is the caller's (TaskRouter retries the callback).
    await expect(t.inbox.take(ACCOUNT_SID, form(fields))).rejects.toThrow(ServiceUnavailableError);
    expect(await statusOf(t, r)).toBeUndefined();
    expect(await t.inbox.take(ACCOUNT_SID, form(fields))).toBe('repeat');
    expect(await statusOf(t, r)).toBe('pending');
    expect(await t.inbox.take(ACCOUNT_SID, form(fields))).toBe('repeat');
    expect(t.mirror.apply).toHaveBeenCalledTimes(2);
  });

  it('ignores the types the mirror does not apply, storing nothing, but checks their account', async () => {
    const t = intake();
    const take = vi.spyOn(t.stores.inbox, 'take');
    const r = upstreamReservation();
    for (const type of ['worker.activity.update', 'task.created', 'reservation.failed']) {
      expect(await t.inbox.take(ACCOUNT_SID, form(callbackEvent(type, r)))).toBe('ignored');
    }
    expect(take).not.toHaveBeenCalled();
    const foreign = t.inbox.take(ACCOUNT_SID, form(callbackEvent('worker.activity.update', r, { AccountSid: sid('AC') })));
    await expect(foreign).rejects.toMatchObject({ parameter: 'AccountSid' });
  });

  it('refuses an event without its Sid, storing nothing; one only the record shows unusable is refused once and never retried', async () => {
    const t = intake();
    const take = vi.spyOn(t.stores.inbox, 'take');
    const r = upstreamReservation();
    await expect(t.inbox.take(ACCOUNT_SID, form(callbackEvent('reservation.created', r, { Sid: undefined })))).rejects.toMatchObject({
      parameter: 'Sid',
    });
    expect(take).not.toHaveBeenCalled();
    // First heard of, without its worker: the mirror cannot record it.
    const noWorker = callbackEvent('reservation.accepted', r, { WorkerSid: undefined });
    await expect(t.inbox.take(ACCOUNT_SID, form(noWorker))).rejects.toThrow(InvalidParameterError);
    const apply = vi.spyOn(t.mirror, 'apply');
    expect(await t.inbox.take(ACCOUNT_SID, form(noWorker))).toBe('repeat');
    t.clock.advance(UNAPPLIED_AFTER_MS + 1);
    expect(await t.inbox.sweep()).toEqual({ applied: 0, failed: 0 });
    expect(apply).not.toHaveBeenCalled();
  });

  it('in the background (the local stack): taken and answered first, applied after, once however often it comes', async () => {
    const t = intake();
    t.inbox.applyInBackground();
    const r = upstreamReservation();
    const apply = vi.spyOn(t.mirror, 'apply');
    const fields = callbackEvent('reservation.created', r);
    expect(await t.inbox.take(ACCOUNT_SID, form(fields))).toBe('taken');
    expect(await t.inbox.take(ACCOUNT_SID, form(fields))).toBe('repeat');
    expect(await statusOf(t, r)).toBeUndefined();
    await t.inbox.idle();
    expect(await statusOf(t, r)).toBe('pending');
    expect(apply).toHaveBeenCalledTimes(1);
  });
});

describe('the sweep', () => {
  it('applies what was taken in and left, each once it is older than UNAPPLIED_AFTER_MS', async () => {
    const t = intake();
    t.inbox.applyInBackground();
    const [r1, r2] = [upstreamReservation(), upstreamReservation()];
    const apply = vi.spyOn(t.mirror, 'apply').mockRejectedValue(new ServiceUnavailableError(1));
    await t.inbox.take(ACCOUNT_SID, form(callbackEvent('reservation.created', r2)));
    t.clock.advance(10);
    await t.inbox.take(ACCOUNT_SID, form(callbackEvent('reservation.created', r1)));
    await t.inbox.idle();
    apply.mockRestore();
    const applied = vi.spyOn(t.mirror, 'apply');
    // Too recent: an apply may still be under way.
    expect(await t.inbox.sweep()).toEqual({ applied: 0, failed: 0 });
    // r2 was taken in 10 ms before r1: only it is old enough yet.
    t.clock.advance(UNAPPLIED_AFTER_MS);
    expect(await t.inbox.sweep()).toEqual({ applied: 1, failed: 0 });
    t.clock.advance(10);
    expect(await t.inbox.sweep()).toEqual({ applied: 1, failed: 0 });
    expect(applied.mock.calls.map(([e]) => e.reservationSid)).toEqual([r2.reservationSid, r1.reservationSid]);
    expect([await statusOf(t, r1), await statusOf(t, r2)]).toEqual(['pending', 'pending']);
    expect(await t.inbox.sweep()).toEqual({ applied: 0, failed: 0 });
  });

  it('applies an item an earlier version stored with the callback’s form fields instead of the event', async () => {
    const t = intake();
    const r = upstreamReservation();
    const fields = callbackEvent('reservation.created', r);
    const legacy = {
      accountSid: ACCOUNT_SID,
      workspaceSid: r.workspaceSid,
      sid: fields['Sid']!,
      fields: Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, [value]])),
      receivedAt: t.clock.now(),
    };
    expect(await t.stores.inbox.take(legacy)).toEqual({ taken: true });
    t.clock.advance(UNAPPLIED_AFTER_MS + 1);
    expect(await t.inbox.sweep()).toEqual({ applied: 1, failed: 0 });
    expect(await statusOf(t, r)).toBe('pending');
    // Applied: a repeat of the callback now does nothing.
    const apply = vi.spyOn(t.mirror, 'apply');
    expect(await t.inbox.take(ACCOUNT_SID, form(fields))).toBe('repeat');
    expect(apply).not.toHaveBeenCalled();
  });

  it('counts what still fails and keeps it for the next sweep; the connected sweep runs the inbox’s first, then the marks’', async () => {
    const t = intake();
    t.inbox.applyInBackground();
    const r = upstreamReservation();
    const apply = vi.spyOn(t.mirror, 'apply').mockRejectedValue(new ServiceUnavailableError(1));
    await t.inbox.take(ACCOUNT_SID, form(callbackEvent('reservation.created', r)));
    await t.inbox.idle();
    t.clock.advance(UNAPPLIED_AFTER_MS + 1);
    expect(await t.inbox.sweep()).toEqual({ applied: 0, failed: 1 });
    apply.mockRestore();
    const forwarder = new UpstreamForwarder(t.stores.tasks, t.stores.marks, new FakeUpstream(), t.clock, t.logger);
    const reconciler = new UpstreamReconciler(t.stores.marks, forwarder, undefined, t.clock, t.logger);
    expect(await sweepUpstream({ inbox: t.inbox, reconciler })).toEqual({ eventsApplied: 1, eventsNotApplied: 0, settled: 0, unsettled: 0, longUnsettled: 0 });
    expect(await statusOf(t, r)).toBe('pending');
  });
});
