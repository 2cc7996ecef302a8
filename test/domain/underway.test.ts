/**
 * Work under way (lib/domain/in-flight.ts `Underway`): idle waits for every piece, those started
 * while it waits included, and a piece that fails is forgotten like one that succeeds.
 */
import { describe, expect, it } from 'vitest';
import { Underway } from '#lib/domain/in-flight.ts';

const later = <T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } => {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

describe('Underway', () => {
  it('is idle at once with nothing under way', async () => {
    await expect(new Underway().idle()).resolves.toBeUndefined();
  });

  it('waits for the work under way and for work started while it waits', async () => {
    const underway = new Underway();
    const first = later<string>();
    const second = later<string>();
    const done: string[] = [];
    expect(await Promise.race([underway.add(Promise.resolve('returned')), Promise.resolve('x')])).toBe('returned');
    void underway.add(first.promise.then(() => done.push('first')));
    const idle = underway.idle().then(() => done.push('idle'));
    // Started while idle waits, and finished after the first.
    void underway.add(second.promise.then(() => done.push('second')));
    first.resolve('a');
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toEqual(['first']);
    second.resolve('b');
    await idle;
    expect(done).toEqual(['first', 'second', 'idle']);
  });

  it('forgets a piece that fails, and idle does not fail with it', async () => {
    const underway = new Underway();
    const failing = later<never>();
    const tracked = underway.add(failing.promise);
    failing.reject(new Error('boom'));
    await expect(tracked).rejects.toThrow('boom');
    await expect(underway.idle()).resolves.toBeUndefined();
  });
});
