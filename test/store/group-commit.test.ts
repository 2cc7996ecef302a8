import { describe, expect, it } from 'vitest';
import { BATCH_WRITE_LIMIT } from '#lib/store/batch.ts';
import { GroupCommit } from '#lib/store/group-commit.ts';

/** A batch writer whose calls the test releases one by one. */
function gatedWriter<T = string>(fail?: (items: readonly T[]) => boolean) {
  const calls: T[][] = [];
  const gates: (() => void)[] = [];
  const write = (items: readonly T[]) =>
    new Promise<void>((resolve, reject) => {
      calls.push([...items]);
      gates.push(() => (fail?.(items) ? reject(new Error(`failed: ${items.join(',')}`)) : resolve()));
    });
  return { calls, write, release: () => gates.shift()!() };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommit', () => {
  it('sends the puts of one turn of the event loop together, and what arrives meanwhile together when a batch returns', async () => {
    const writer = gatedWriter();
    const group = new GroupCommit(writer.write, (item: string) => item, 1);
    const first = [group.put(['a']), group.put(['b'])];
    expect(writer.calls).toEqual([]);
    await tick();
    expect(writer.calls).toEqual([['a', 'b']]);
    const later = [group.put(['c', 'd']), group.put(['e'])];
    await tick();
    expect(writer.calls).toHaveLength(1);
    writer.release();
    await Promise.all(first);
    expect(writer.calls).toEqual([
      ['a', 'b'],
      ['c', 'd', 'e'],
    ]);
    writer.release();
    await Promise.all(later);
  });

  it('puts the newest item of a key put again while queued', async () => {
    const writer = gatedWriter<{ key: string; v: number }>();
    const group = new GroupCommit(writer.write, (item) => item.key, 1);
    const puts = [
      group.put([{ key: 'k', v: 1 }]),
      group.put([
        { key: 'k', v: 2 },
        { key: 'other', v: 1 },
      ]),
    ];
    await tick();
    expect(writer.calls).toEqual([
      [
        { key: 'k', v: 2 },
        { key: 'other', v: 1 },
      ],
    ]);
    writer.release();
    await Promise.all(puts);
  });

  it('never puts more than 25 items in one call, and settles a caller only when all its items are written', async () => {
    const writer = gatedWriter();
    const group = new GroupCommit(writer.write, (item: string) => item, 1);
    const items = Array.from({ length: 60 }, (_, i) => `e${i}`);
    let settled = false;
    const put = group.put(items).then(() => (settled = true));
    await tick();
    for (let i = 0; i < 2; i++) {
      writer.release();
      await tick();
      expect(settled).toBe(false);
    }
    writer.release();
    await put;
    expect(writer.calls.map((c) => c.length)).toEqual([BATCH_WRITE_LIMIT, BATCH_WRITE_LIMIT, 10]);
  });

  it('writes an item two callers put at once only once, and settles both', async () => {
    const writer = gatedWriter();
    const group = new GroupCommit(writer.write, (item: string) => item, 1);
    const blocker = group.put(['x']);
    await tick();
    const both = [group.put(['same', 'y']), group.put(['same'])];
    writer.release();
    await blocker;
    expect(writer.calls[1]).toEqual(['same', 'y']);
    writer.release();
    await Promise.all(both);
  });

  it('fails the callers of a failed batch with its error, and only them', async () => {
    const writer = gatedWriter((items) => items.includes('bad'));
    const group = new GroupCommit(writer.write, (item: string) => item, 1);
    const first = group.put(['ok']);
    await tick();
    const failing = group.put(['bad']);
    const riding = group.put(['other']);
    writer.release();
    await first;
    writer.release();
    await expect(failing).rejects.toThrow('failed: bad,other');
    await expect(riding).rejects.toThrow('failed: bad,other');
    const after = group.put(['next']);
    await tick();
    writer.release();
    await after;
    expect(writer.calls.at(-1)).toEqual(['next']);
  });

  it('lets a reader wait for the puts of given keys that are queued or in flight, and only those', async () => {
    const writer = gatedWriter();
    const group = new GroupCommit(writer.write, (item: string) => item, 1);
    const first = group.put(['a']);
    await tick();
    const second = group.put(['b', 'c']);
    let waited = false;
    const reader = group.whenWritten(['c', 'unrelated']).then(() => (waited = true));
    await expect(group.whenWritten(['unrelated'])).resolves.toBeUndefined();
    writer.release();
    await first;
    await tick();
    expect(waited).toBe(false);
    writer.release();
    await second;
    await reader;
    expect(waited).toBe(true);
    // Written, they are no longer waited for.
    await expect(group.whenWritten(['a', 'b', 'c'])).resolves.toBeUndefined();
  });

  it('keeps up to its concurrency of batches in flight', async () => {
    const writer = gatedWriter();
    const group = new GroupCommit(writer.write, (item: string) => item, 2);
    const puts = [group.put(['a'])];
    await tick();
    puts.push(group.put(['b']));
    await tick();
    puts.push(group.put(['c']));
    await tick();
    expect(writer.calls).toEqual([['a'], ['b']]);
    writer.release();
    await puts[0];
    expect(writer.calls).toEqual([['a'], ['b'], ['c']]);
    writer.release();
    writer.release();
    await Promise.all(puts);
  });
});
