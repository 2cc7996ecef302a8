import { describe, expect, it } from 'vitest';
import { BATCH_WRITE_LIMIT } from '#lib/store/batch.ts';
import type { TableWrite } from '#lib/store/batch.ts';
import { GroupCommit, writeKey } from '#lib/store/group-commit.ts';

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
    const first = [group.write(['a']), group.write(['b'])];
    expect(writer.calls).toEqual([]);
    await tick();
    expect(writer.calls).toEqual([['a', 'b']]);
    const later = [group.write(['c', 'd']), group.write(['e'])];
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
      group.write([{ key: 'k', v: 1 }]),
      group.write([
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

  it("writes a key's latest write of those queued, a put or a delete, and a write after one in flight in a later batch", async () => {
    const writer = gatedWriter<TableWrite>();
    const group = new GroupCommit(writer.write, writeKey, 1);
    const mark = { pk: 'STATS#AC#WS#marks', sk: 'WT#WR' };
    const pending = { put: { ...mark, d: 1 } };
    const writes = [group.write([pending, { put: { pk: 'other', sk: 'x' } }]), group.write([{ delete: mark }])];
    await tick();
    expect(writer.calls).toEqual([[{ delete: mark }, { put: { pk: 'other', sk: 'x' } }]]);
    // Put again while the delete is in flight: it leaves after it, in the next batch.
    writes.push(group.write([pending]));
    await tick();
    expect(writer.calls).toHaveLength(1);
    writer.release();
    await Promise.all(writes.slice(0, 2));
    expect(writer.calls[1]).toEqual([pending]);
    writer.release();
    await Promise.all(writes);
  });

  it('never puts more than 25 items in one call, and settles a caller only when all its items are written', async () => {
    const writer = gatedWriter();
    const group = new GroupCommit(writer.write, (item: string) => item, 1);
    const items = Array.from({ length: 60 }, (_, i) => `e${i}`);
    let settled = false;
    const put = group.write(items).then(() => (settled = true));
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
    const blocker = group.write(['x']);
    await tick();
    const both = [group.write(['same', 'y']), group.write(['same'])];
    writer.release();
    await blocker;
    expect(writer.calls[1]).toEqual(['same', 'y']);
    writer.release();
    await Promise.all(both);
  });

  it('fails the callers of a failed batch with its error, and only them', async () => {
    const writer = gatedWriter((items) => items.includes('bad'));
    const group = new GroupCommit(writer.write, (item: string) => item, 1);
    const first = group.write(['ok']);
    await tick();
    const failing = group.write(['bad']);
    const riding = group.write(['other']);
    writer.release();
    await first;
    writer.release();
    await expect(failing).rejects.toThrow('failed: bad,other');
    await expect(riding).rejects.toThrow('failed: bad,other');
    const after = group.write(['next']);
    await tick();
    writer.release();
    await after;
    expect(writer.calls.at(-1)).toEqual(['next']);
  });

  it('lets a reader wait for the puts of given keys that are queued or in flight, and only those', async () => {
    const writer = gatedWriter();
    const group = new GroupCommit(writer.write, (item: string) => item, 1);
    const first = group.write(['a']);
    await tick();
    const second = group.write(['b', 'c']);
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
    const puts = [group.write(['a'])];
    await tick();
    puts.push(group.write(['b']));
    await tick();
    puts.push(group.write(['c']));
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
