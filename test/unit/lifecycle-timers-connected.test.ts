/**
 * Connected mode: a completion a lifecycle timer forwards (a wrap-up's end, an attention rule's
 * `complete`) that TaskRouter has not confirmed is tried again by the timer, armed a minute later:
 * TaskRouter may still show the reservation wrapping (the completion never made), and nothing
 * else would send it. Refused, TaskRouter's word stands and nothing is armed.
 */
import { describe, expect, it } from 'vitest';
import { ConflictError, UpstreamError, UpstreamUnsettledError } from '#lib/domain/errors.ts';
import { RETRY_COMPLETION_MS, LifecycleEngine } from '#lib/lifecycle/engine.ts';
import { createLogger } from '#lib/logging.ts';
import type { ReservationUpdater } from '#lib/reservations/ports.ts';
import { FakeClock } from '../support/clock.ts';
import { RecordingScheduler, sid } from '../support/use-case-fixtures.ts';

function engineFailingWith(error: Error) {
  const clock = new FakeClock();
  const scheduler = new RecordingScheduler();
  const updates: unknown[] = [];
  const updater: Pick<ReservationUpdater, 'update'> = {
    update: async (request) => {
      updates.push(request);
      throw error;
    },
  };
  // Only what a wrap-up's end uses: the updater, the scheduler, the clock and the logger.
  const engine = new LifecycleEngine({ updater, scheduler, clock, logger: createLogger() } as never);
  return { engine, clock, scheduler, updates };
}

const timer = { accountSid: sid('AC'), workspaceSid: sid('WS'), taskSid: sid('WT'), reservationSid: sid('WR'), kind: 'wrap-up' as const };

describe('a wrap-up’s end TaskRouter has not confirmed', () => {
  it.each([
    ['no answer, and the reservation still wrapping there', new UpstreamUnsettledError(502, 'still wrapping there')],
    ['another forward of the task holding its mark', new ConflictError('being forwarded')],
  ])('%s: its timer is armed again a minute later', async (_, error) => {
    const { engine, clock, scheduler, updates } = engineFailingWith(error);
    await expect(engine.timer(timer)).resolves.toBe('upstream-unsettled');
    expect(updates).toHaveLength(1);
    expect(scheduler.timers).toEqual([{ ...timer, deadline: clock.now() + RETRY_COMPLETION_MS }]);
  });

  it('refused by TaskRouter: its word stands, nothing armed', async () => {
    const { engine, scheduler } = engineFailingWith(new UpstreamError(404, 20404, 'not found', undefined));
    await expect(engine.timer(timer)).resolves.toBe('upstream-refused');
    expect(scheduler.timers).toEqual([]);
  });
});
