/**
 * The local stack's way from events to the lifecycle (lib/lifecycle/lifecycle-sink.ts): an event
 * whose handling fails is tried again for about a minute and a half (long enough for the sweep to
 * settle a forward holding the worker), then logged; each worker's events stay in order.
 */
import { describe, expect, it, vi } from 'vitest';
import { ConflictError } from '#lib/domain/errors.ts';
import type { TaskRouterEvent } from '#lib/domain/events.ts';
import type { LifecycleEngine } from '#lib/lifecycle/engine.ts';
import { LifecycleSink, RETRY_WAITS_MS } from '#lib/lifecycle/lifecycle-sink.ts';
import { createLogger } from '#lib/logging.ts';

const event = (sid: string, workerSid = 'WK1'): TaskRouterEvent =>
  ({ sid, type: 'reservation.accepted', accountSid: 'AC1', workspaceSid: 'WS1', workerSid, resourceType: 'reservation' }) as TaskRouterEvent;

/** A sink in front of an engine that fails the first `failures` attempts of EV1 and EV2, its waits recorded (none taken). */
function sink(failures: number) {
  const handled: string[] = [];
  const attempts = new Map<string, number>();
  const engine = {
    hasRules: true,
    handle: async (e: TaskRouterEvent) => {
      const n = (attempts.get(e.sid) ?? 0) + 1;
      attempts.set(e.sid, n);
      if (n <= failures && e.sid !== 'EV3') throw new ConflictError('An update of worker WK1 is being forwarded to TaskRouter; retry the request');
      handled.push(e.sid);
      return 'moved';
    },
  } as unknown as LifecycleEngine;
  const logger = createLogger();
  const waits: number[] = [];
  const made = new LifecycleSink(
    () => engine,
    logger,
    async (ms) => void waits.push(ms),
  );
  return { made, handled, attempts, waits, logger };
}

describe('the local lifecycle sink', () => {
  it('tries a failing event again for as long as the sweep may take to free the worker, then handles it; the worker’s next event after it', async () => {
    const s = sink(RETRY_WAITS_MS.length);
    await s.made.deliver([event('EV1'), event('EV2')]);
    await s.made.idle();
    expect(s.handled).toEqual(['EV1', 'EV2']);
    expect(s.waits.slice(0, RETRY_WAITS_MS.length)).toEqual(RETRY_WAITS_MS);
    // More than a sweep's minute past a mark's 13 s.
    expect(RETRY_WAITS_MS.reduce((a, b) => a + b, 0)).toBeGreaterThan(73_000);
  });

  it('logs an event that still fails after the last wait, and goes on with the next', async () => {
    const s = sink(RETRY_WAITS_MS.length + 1);
    const error = vi.spyOn(s.logger, 'error');
    await s.made.deliver([event('EV1')]);
    await s.made.idle();
    expect(s.attempts.get('EV1')).toBe(RETRY_WAITS_MS.length + 1);
    expect(s.handled).toEqual([]);
    expect(error).toHaveBeenCalledWith('lifecycle failed an event', expect.objectContaining({ eventSid: 'EV1' }));
    await s.made.deliver([event('EV3')]);
    await s.made.idle();
    expect(s.handled).toEqual(['EV3']);
  });

  it('closing ends the waits under way: an event still failing is not tried again, and idle() resolves at once', async () => {
    let attempts = 0;
    const engine = {
      hasRules: true,
      handle: async () => {
        attempts++;
        throw new ConflictError('An update of worker WK1 is being forwarded to TaskRouter; retry the request');
      },
    } as unknown as LifecycleEngine;
    const logger = createLogger();
    const error = vi.spyOn(logger, 'error');
    const made = new LifecycleSink(() => engine, logger);
    await made.deliver([event('EV1')]);
    // Into the waits (real timers): the third is 2 s.
    await vi.waitFor(() => expect(attempts).toBe(3), { timeout: 2000, interval: 10 });
    const started = performance.now();
    made.close();
    await made.idle();
    expect(performance.now() - started).toBeLessThan(500);
    expect(attempts).toBe(3);
    expect(error).toHaveBeenCalledWith(expect.stringMatching(/closed before it was tried again/), expect.objectContaining({ eventSid: 'EV1' }));
  });
});
