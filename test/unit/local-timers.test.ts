/** `npm start`'s in-process timers (lib/timeouts/local-scheduler.ts): each fires once, at its deadline, however far out. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LONGEST_TIMEOUT_MS, LocalTimeoutScheduler } from '#lib/timeouts/local-scheduler.ts';
import { sid } from '../support/use-case-fixtures.ts';

afterEach(() => vi.useRealTimers());

const DAY = 86_400_000;

describe('a local timer', () => {
  it('further out than setTimeout’s longest delay (a wrap-up extended for a month) fires once, at its deadline', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const delays: number[] = [];
    const realSetTimeout = globalThis.setTimeout;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms: number) => {
      delays.push(ms);
      return realSetTimeout(fn, ms);
    }) as typeof setTimeout);
    const scheduler = new LocalTimeoutScheduler();
    const fired: number[] = [];
    scheduler.onTimeout(async () => void fired.push(Date.now()));
    const deadline = Date.now() + 30 * DAY;
    await scheduler.schedule({ accountSid: sid('AC'), workspaceSid: sid('WS'), taskSid: sid('WT'), reservationSid: sid('WR'), kind: 'wrap-up', deadline });
    await vi.advanceTimersByTimeAsync(29 * DAY);
    expect(fired).toEqual([]);
    await vi.advanceTimersByTimeAsync(2 * DAY);
    expect(fired).toEqual([deadline]);
    // Never a delay Node would cut to 1 ms: the first waits the longest, the second the rest.
    expect(delays).toEqual([LONGEST_TIMEOUT_MS, 30 * DAY - LONGEST_TIMEOUT_MS]);
    scheduler.close();
  });
});
