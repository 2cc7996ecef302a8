import { describe, expect, it } from 'vitest';
import { PreconditionFailedError, ReservationStateError } from '#lib/domain/errors.ts';
import {
  CLAIMED_STATUSES,
  RESERVATION_STATUSES,
  STATUS_RANK,
  TRANSITIONS,
  observedEffects,
  requiredStateLabel,
  taskStatusOfClaim,
  type ReservationStatus,
  type TransitionName,
} from '#lib/domain/state-machine.ts';
import { ifMatchSatisfied, parseIfMatch } from '#lib/domain/if-match.ts';
import { checkAction, effectiveStatus, taskAssignment, type ReservationRecord, type TaskRecord } from '#lib/domain/task.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const DEADLINE = T0 + 120_000;

function reservation(sid: string, overrides: Partial<ReservationRecord> = {}): ReservationRecord {
  return {
    sid,
    workerSid: `WK${sid.slice(2)}`,
    workerName: 'w',
    history: {},
    status: 'pending',
    version: 1,
    createdAt: T0,
    updatedAt: T0,
    deadline: DEADLINE,
    ...overrides,
  };
}

function task(reservations: ReservationRecord[], overrides: Partial<TaskRecord> = {}): TaskRecord {
  return {
    sid: 'WT1',
    accountSid: 'AC1',
    workspaceSid: 'WS1',
    workflowSid: 'WW1',
    taskQueueSid: 'WQ1',
    attributes: '{}',
    priority: 0,
    createdAt: T0,
    updatedAt: T0,
    reservations,
    rejections: 0,
    maxRejections: 10,
    writtenAt: T0,
    ...overrides,
  };
}

/**
 * One task per effective status of reservation WRa, at time T0 + 1 s: the stored ones, and the
 * four derived ones (deadline passed, sibling accepted, task canceled, wrap-up elapsed).
 */
const NOW = T0 + 1000;
const SCENARIOS = {
  pending: task([reservation('WRa')]),
  accepted: task([reservation('WRa', { status: 'accepted' })], { acceptedReservationSid: 'WRa', acceptedAt: T0 }),
  rejected: task([reservation('WRa', { status: 'rejected' })], { rejections: 1, lastRejectedAt: T0 }),
  timeout: task([reservation('WRa', { status: 'timeout' })]),
  'timeout (derived)': task([reservation('WRa', { deadline: T0 + 500 })]),
  canceled: task([reservation('WRa', { status: 'canceled' })]),
  'canceled (derived)': task([reservation('WRa'), reservation('WRb', { status: 'rejected' })], { rejections: 10, lastRejectedAt: T0 + 10 }),
  rescinded: task([reservation('WRa', { status: 'rescinded' })]),
  'rescinded (derived)': task([reservation('WRa'), reservation('WRb', { status: 'accepted' })], { acceptedReservationSid: 'WRb', acceptedAt: T0 + 10 }),
  wrapping: task([reservation('WRa', { status: 'wrapping' })], { acceptedReservationSid: 'WRa', acceptedAt: T0 }),
  completed: task([reservation('WRa', { status: 'completed' })], { acceptedReservationSid: 'WRa', acceptedAt: T0 }),
  'completed (derived)': task([reservation('WRa', { status: 'wrapping', wrapUpMs: 400, wrapUpDeadline: T0 + 400 })], {
    acceptedReservationSid: 'WRa',
    acceptedAt: T0,
  }),
} satisfies Record<string, TaskRecord>;

function statusOf(name: string): ReservationStatus {
  return name.replace(' (derived)', '') as ReservationStatus;
}

describe('effective status', () => {
  it.each(Object.entries(SCENARIOS))('%s reads as its status', (name, t) => {
    expect(effectiveStatus(t, t.reservations[0]!, NOW).status).toBe(statusOf(name));
  });

  it('a pending reservation is pending until just before its deadline and timeout from it on', () => {
    const t = task([reservation('WRa')]);
    expect(effectiveStatus(t, t.reservations[0]!, DEADLINE - 1)).toEqual({ status: 'pending', since: T0 });
    expect(effectiveStatus(t, t.reservations[0]!, DEADLINE)).toEqual({ status: 'timeout', since: DEADLINE });
  });

  it('whichever end came first wins: a sibling accepted after the deadline leaves a timeout', () => {
    const t = task([reservation('WRa'), reservation('WRb', { status: 'accepted', deadline: DEADLINE + 60_000 })], {
      acceptedReservationSid: 'WRb',
      acceptedAt: DEADLINE + 1,
    });
    expect(effectiveStatus(t, t.reservations[0]!, DEADLINE + 5)).toEqual({ status: 'timeout', since: DEADLINE });
  });

  it('reads a task no earlier than the times it records: a lagging clock sees what was already written', () => {
    const t = SCENARIOS['rescinded (derived)'];
    // The sibling was accepted at T0 + 10; a reader whose clock says T0 + 5 still sees it.
    expect(effectiveStatus(t, t.reservations[0]!, T0 + 5)).toEqual({ status: 'rescinded', since: T0 + 10 });
    expect(() => checkAction(t, t.reservations[0]!, { transition: 'accept' }, T0 + 5)).toThrow(ReservationStateError);
  });

  it('a cancellation before the deadline reads canceled from the moment of the last rejection', () => {
    const t = SCENARIOS['canceled (derived)'];
    expect(effectiveStatus(t, t.reservations[0]!, DEADLINE + 1)).toEqual({ status: 'canceled', since: T0 + 10 });
  });
});

describe('the transition table', () => {
  const cases = (Object.keys(TRANSITIONS) as TransitionName[]).flatMap((transition) =>
    Object.keys(SCENARIOS).map((scenario) => [transition, scenario] as const),
  );

  it.each(cases)('%s on a %s reservation is allowed exactly when the table says so', (transition, scenario) => {
    const t = SCENARIOS[scenario as keyof typeof SCENARIOS];
    const spec = TRANSITIONS[transition];
    const status = statusOf(scenario);
    const allowed =
      'afterDeadline' in spec
        ? spec.afterDeadline === 'deadline'
          ? scenario === 'timeout (derived)'
          : scenario === 'completed (derived)'
        : (spec.from as readonly string[]).includes(status);
    const run = () => checkAction(t, t.reservations[0]!, { transition }, NOW);
    if (allowed) expect(run).not.toThrow();
    else expect(run).toThrow(ReservationStateError);
  });

  it('names the state a refused action needed, as TaskRouter does', () => {
    const t = SCENARIOS.accepted;
    expect(() => checkAction(t, t.reservations[0]!, { transition: 'accept' }, NOW)).toThrow('Reservation WRa is not currently in a Pending state');
    expect(requiredStateLabel(['accepted', 'wrapping'])).toBe('an Accepted or Wrapping');
  });

  it('every status is reachable and the task follows its accepted reservation', () => {
    const reachable = new Set<string>(['pending', ...Object.values(TRANSITIONS).map((t) => t.to), 'rescinded', 'canceled']);
    expect([...RESERVATION_STATUSES].filter((s) => !reachable.has(s))).toEqual([]);
    expect(['accepted', 'wrapping', 'completed'].map((s) => taskStatusOfClaim(s as ReservationStatus))).toEqual(['assigned', 'wrapping', 'completed']);
  });

  it('checks If-Match before the state, and a missing contact_uri after it', () => {
    const t = SCENARIOS.accepted;
    expect(() => checkAction(t, t.reservations[0]!, { transition: 'accept' }, NOW, parseIfMatch('"9"'))).toThrow(PreconditionFailedError);
    const p = SCENARIOS.pending;
    expect(() => checkAction(p, p.reservations[0]!, { transition: 'accept', needsContactUri: 'To' }, NOW)).toThrow(/To.*contact_uri/);
    const withContact = task([reservation('WRa', { contactUri: 'client:a' })]);
    expect(() => checkAction(withContact, withContact.reservations[0]!, { transition: 'accept', needsContactUri: 'To' }, NOW)).not.toThrow();
  });
});

describe('task assignment status', () => {
  it.each([
    ['pending', task([reservation('WRa', { status: 'rejected' })], { rejections: 1, lastRejectedAt: T0 })],
    ['reserved', SCENARIOS.pending],
    ['pending', SCENARIOS['timeout (derived)']],
    ['assigned', SCENARIOS.accepted],
    ['wrapping', SCENARIOS.wrapping],
    ['completed', SCENARIOS.completed],
    ['canceled', SCENARIOS['canceled (derived)']],
    ['assigned', SCENARIOS['rescinded (derived)']],
  ] as const)('is %s', (status, t) => {
    expect(taskAssignment(t, NOW).status).toBe(status);
  });

  it('records why a task was canceled and dates it at the rejection that canceled it', () => {
    const a = taskAssignment(SCENARIOS['canceled (derived)'], NOW);
    expect(a.reason).toMatch(/10 rejected reservations/);
    expect(a.updatedAt).toBe(T0 + 10);
  });

  it('moves back to pending at the deadline of its last pending reservation', () => {
    expect(taskAssignment(SCENARIOS.pending, DEADLINE)).toMatchObject({ status: 'pending', updatedAt: DEADLINE });
  });
});

describe('If-Match', () => {
  const r = reservation('WRa', { version: 7 });
  it.each([
    ['"7"', true],
    ['7', true],
    ['W/"7"', true],
    ['*', true],
    ['"6", "7"', true],
    ['"6"', false],
    ['"abc"', false],
    ['"07"', true],
  ])('%s → %s', (header, expected) => {
    expect(ifMatchSatisfied(parseIfMatch(header)!, r.version)).toBe(expected);
  });

  it('takes at most 100 entity tags (the store compares each in one condition), a repeated one counted once', () => {
    const tags = (n: number) => Array.from({ length: n }, (_, i) => `"${i}"`).join(', ');
    expect(parseIfMatch(tags(100))!.versions).toHaveLength(100);
    expect(parseIfMatch(`${tags(100)}, "7", W/"7"`)!.versions).toHaveLength(100);
    expect(() => parseIfMatch(tags(101))).toThrow('Invalid parameter If-Match: lists 101 entity tags; at most 100');
  });
});

describe('rank and observed effects, derived from the transitions', () => {
  it('ranks each status by its longest way from pending', () => {
    expect(STATUS_RANK).toEqual({ pending: 0, accepted: 1, rejected: 1, timeout: 1, canceled: 1, rescinded: 1, wrapping: 2, completed: 3 });
  });
  it('an observed accepted, wrapping or completed claims the task; an observed rejection counts', () => {
    expect(CLAIMED_STATUSES).toEqual(['accepted', 'wrapping', 'completed']);
    expect(observedEffects('accepted')).toEqual({ claimsTask: true, impliesClaim: false, countsRejection: false });
    expect(observedEffects('wrapping')).toEqual({ claimsTask: false, impliesClaim: true, countsRejection: false });
    expect(observedEffects('completed')).toEqual({ claimsTask: false, impliesClaim: true, countsRejection: false });
    expect(observedEffects('rejected')).toEqual({ claimsTask: false, impliesClaim: false, countsRejection: true });
    for (const status of ['timeout', 'canceled', 'rescinded'] as const) {
      expect(observedEffects(status)).toEqual({ claimsTask: false, impliesClaim: false, countsRejection: false });
    }
  });
});
