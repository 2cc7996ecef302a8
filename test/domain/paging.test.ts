import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '#lib/domain/errors.ts';
import { decodePageToken, encodePageToken, listKey, memoryWindow, readFilledPage, readPage, type Cursor, type WindowReader } from '#lib/domain/paging.ts';

const key = (n: number) => listKey(1_700_000_000_000 + n, `WR${n.toString(16).padStart(32, '0')}`);

async function walk(total: number, size: number, keep: (n: number) => boolean) {
  const sorted = Array.from({ length: total }, (_, i) => i);
  const read = memoryWindow(sorted, key);
  const pages: number[][] = [];
  let cursor: Cursor | null = { page: 0 };
  const cursors: Cursor[] = [];
  while (cursor) {
    cursors.push(cursor);
    const page: Awaited<ReturnType<typeof readPage<number>>> = await readPage(cursor, size, key, read, keep);
    pages.push([...page.items]);
    cursor = page.next;
    if (pages.length > total + 2) throw new Error('paging does not end');
  }
  return { pages, cursors, read };
}

describe('page tokens', () => {
  it('round-trip', () => {
    const cursor = { page: 3, after: key(7) };
    expect(decodePageToken(encodePageToken(cursor))).toEqual(cursor);
    expect(decodePageToken(encodePageToken({ page: 1, before: key(2) }))).toEqual({ page: 1, before: key(2) });
  });

  it('refuse anything this API did not issue, naming PageToken', () => {
    fc.assert(
      fc.property(fc.string(), (token) => {
        try {
          decodePageToken(token);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidParameterError);
          expect((error as Error).message).toContain('PageToken');
          return;
        }
        throw new Error(`accepted ${token}`);
      }),
    );
    for (const body of [
      { p: -1, a: key(1) },
      { p: 1, a: 'x' },
      { p: 1, a: key(1), b: key(2) },
      { p: 1.5, a: key(1) },
    ]) {
      expect(() => decodePageToken(`PT${Buffer.from(JSON.stringify(body)).toString('base64url')}`)).toThrow(InvalidParameterError);
    }
  });
});

describe('keyset pages', () => {
  it('visit every kept item exactly once, in order, for any size and filter', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 4 }), async (total, size, modulo) => {
        const keep = (n: number) => n % modulo === 0;
        const { pages } = await walk(total, size, keep);
        expect(pages.flat()).toEqual(Array.from({ length: total }, (_, i) => i).filter(keep));
        expect(pages.every((p) => p.length <= size)).toBe(true);
      }),
    );
  });

  it('lead back page by page through previous links', async () => {
    const { cursors, read } = await walk(10, 3, () => true);
    const last = cursors.at(-1)!;
    const lastPage = await readPage(last, 3, key, read);
    expect(lastPage.items).toEqual([9]);
    const back = await readPage(lastPage.previous!, 3, key, read);
    expect(back.items).toEqual([6, 7, 8]);
    const first = await readPage((await readPage(back.previous!, 3, key, read)).previous!, 3, key, read);
    expect(first.items).toEqual([0, 1, 2]);
    expect(first.previous).toBeNull();
    expect(first.next).toMatchObject({ after: key(2) });
  });
});

describe('filled pages (a filter the store cannot apply)', () => {
  /** Every page of a filled walk, and the windows read for each. */
  async function walkFilled(total: number, size: number, keep: (n: number) => boolean, options?: { maxReads?: number; sparseWindow?: number }) {
    const inner = memoryWindow(
      Array.from({ length: total }, (_, i) => i),
      key,
    );
    let reads = 0;
    const read: WindowReader<number> = (direction, from, limit) => {
      reads++;
      return inner(direction, from, limit);
    };
    const pages: { items: number[]; reads: number }[] = [];
    let cursor: Cursor | null = { page: 0 };
    while (cursor) {
      reads = 0;
      const page: Awaited<ReturnType<typeof readFilledPage<number>>> = await readFilledPage(cursor, size, key, read, keep, options);
      pages.push({ items: [...page.items], reads });
      cursor = page.next;
      if (pages.length > total + 2) throw new Error('paging does not end');
    }
    return pages;
  }

  it('visit every kept item exactly once, in order, every page full but the last, for any size and filter', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 7 }), async (total, size, modulo) => {
        const keep = (n: number) => n % modulo === 0;
        const pages = await walkFilled(total, size, keep, { sparseWindow: 5 });
        const kept = Array.from({ length: total }, (_, i) => i).filter(keep);
        expect(pages.flatMap((p) => p.items)).toEqual(kept);
        expect(pages.slice(0, -1).every((p) => p.items.length === size)).toBe(true);
      }),
    );
  });

  it('a sparse filter fills its first page (one kept in fifty: 2 items in 2 reads, not 50 empty pages)', async () => {
    const pages = await walkFilled(1_000, 2, (n) => n % 50 === 49);
    expect(pages[0]).toEqual({ items: [49, 99], reads: 2 });
  });

  it('stops after its reads with what it has, and leads on from where it stopped', async () => {
    const pages = await walkFilled(100, 5, (n) => n === 90, { maxReads: 3, sparseWindow: 10 });
    // 5, then 10 and 10 looked at: 25 items, none kept; the page says there is more.
    expect(pages[0]).toEqual({ items: [], reads: 3 });
    expect(pages.flatMap((p) => p.items)).toEqual([90]);
  });

  it('walked back from the last page, visit every kept item exactly once, in order, for any size and filter', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 7 }), async (total, size, modulo) => {
        const keep = (n: number) => n % modulo === 0;
        const read = memoryWindow(
          Array.from({ length: total }, (_, i) => i),
          key,
        );
        const options = { sparseWindow: 5 };
        let page = await readFilledPage({ page: 0 }, size, key, read, keep, options);
        while (page.next) page = await readFilledPage(page.next, size, key, read, keep, options);
        const pages: number[][] = [[...page.items]];
        while (page.previous) {
          page = await readFilledPage(page.previous, size, key, read, keep, options);
          pages.unshift([...page.items]);
          if (pages.length > total + 2) throw new Error('paging back does not end');
        }
        expect(pages.flat()).toEqual(Array.from({ length: total }, (_, i) => i).filter(keep));
      }),
    );
  });

  it('leads back through previous links to the very pages read forward, filled the same way', async () => {
    const read = memoryWindow(
      Array.from({ length: 30 }, (_, i) => i),
      key,
    );
    const keep = (n: number) => n % 3 === 0;
    const first = await readFilledPage({ page: 0 }, 4, key, read, keep);
    expect(first.items).toEqual([0, 3, 6, 9]);
    expect(first.previous).toBeNull();
    const second = await readFilledPage(first.next!, 4, key, read, keep);
    expect(second.items).toEqual([12, 15, 18, 21]);
    const back = await readFilledPage(second.previous!, 4, key, read, keep);
    expect(back.items).toEqual([0, 3, 6, 9]);
    expect(back.previous).toBeNull();
    // And forward again from there: the page we came from.
    expect((await readFilledPage(back.next!, 4, key, read, keep)).items).toEqual([12, 15, 18, 21]);
  });
});
