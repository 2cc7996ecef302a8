import type { Clock } from '#lib/domain/clock.ts';

/** A clock tests move by hand: nothing waits for real time to pass. */
export class FakeClock implements Clock {
  constructor(private time = Date.UTC(2026, 10, 24, 9, 0, 0)) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}
