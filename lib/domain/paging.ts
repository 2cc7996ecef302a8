/**
 * Keyset paging: stable order by a sort key (a reservation's creation time then SID, an event's
 * time and SID, a worker's SID), and an opaque PageToken that says where a page starts. The
 * reservation lists, the task's (one item in memory) and the worker's (a DynamoDB query), read
 * pages through `readPage`; the Event, Task and Worker lists through `readFilledPage`, which fills
 * a page its filter thins.
 */
import { InvalidParameterError } from './errors.ts';

/** Sort key of a reservation in a list: creation time (ms, zero-padded) then SID. */
export function listKey(createdAt: number, reservationSid: string): string {
  return `${String(createdAt).padStart(15, '0')}#${reservationSid}`;
}

const LIST_KEY = /^\d{15}#WR[0-9a-f]{32}$/;

export interface Cursor {
  /** Twilio's page number, for `meta.page` (clients keep it as state; the key decides). */
  readonly page: number;
  /** The page holds the items after this key… */
  readonly after?: string;
  /** …or the items just before this one. */
  readonly before?: string;
}

export function encodePageToken(cursor: Cursor): string {
  const body = cursor.before !== undefined ? { p: cursor.page, b: cursor.before } : { p: cursor.page, a: cursor.after };
  return `PT${Buffer.from(JSON.stringify(body)).toString('base64url')}`;
}

/** A cursor from a PageToken this API issued for a list whose keys match `keyPattern`. */
export function decodePageToken(token: string, keyPattern: RegExp = LIST_KEY): Cursor {
  const invalid = new InvalidParameterError('PageToken', 'is not a token this API issued');
  if (!token.startsWith('PT') || token.length > 200) throw invalid;
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(token.slice(2), 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  const { p, a, b } = (body ?? {}) as { p?: unknown; a?: unknown; b?: unknown };
  if (!Number.isSafeInteger(p) || (p as number) < 0) throw invalid;
  if (typeof a === 'string' && keyPattern.test(a) && b === undefined) return { page: p as number, after: a };
  if (typeof b === 'string' && keyPattern.test(b) && a === undefined) return { page: p as number, before: b };
  throw invalid;
}

/** Up to `limit` items next to `from` (exclusive) in one direction, in ascending order. */
export interface ListWindow<T> {
  readonly items: readonly T[];
  /**
   * More items may lie beyond the window, in the direction it was read (a full window says so even
   * when it ended exactly at the last item, as a DynamoDB query with a Limit does).
   */
  readonly more: boolean;
}

export type WindowReader<T> = (direction: 'forward' | 'backward', from: string | undefined, limit: number) => Promise<ListWindow<T>>;

export interface Page<T> {
  readonly items: readonly T[];
  readonly next: Cursor | null;
  readonly previous: Cursor | null;
}

/**
 * One page from `read`. `keep` filters what a window returned without moving the page's edges, so
 * a page may hold fewer than `size` items and still lead on (the twilio SDK follows
 * `next_page_url` across short and empty pages).
 */
export async function readPage<T>(
  cursor: Cursor,
  size: number,
  keyOf: (item: T) => string,
  read: WindowReader<T>,
  keep: (item: T) => boolean = () => true,
): Promise<Page<T>> {
  const previousPage = Math.max(0, cursor.page - 1);
  if (cursor.before !== undefined) {
    const { items, more } = await read('backward', cursor.before, size);
    const first = items[0];
    const last = items.at(-1);
    return {
      items: items.filter(keep),
      // The page we came from follows this one.
      next: { page: cursor.page + 1, ...(last !== undefined && { after: keyOf(last) }) },
      previous: more && first !== undefined ? { page: previousPage, before: keyOf(first) } : null,
    };
  }
  const { items, more } = await read('forward', cursor.after, size);
  const first = items[0];
  const last = items.at(-1);
  return {
    items: items.filter(keep),
    next: more && last !== undefined ? { page: cursor.page + 1, after: keyOf(last) } : null,
    previous: cursor.after === undefined ? null : { page: previousPage, before: first === undefined ? cursor.after : keyOf(first) },
  };
}

/**
 * A page of `size` items `keep` accepts, reading on past the windows whose items it dropped: a
 * sparse filter (an event type among a busy workspace's events) still fills its page, rather than
 * answering empty pages that link onward. At most `maxReads` windows per page (the later ones of
 * at least `sparseWindow` items); past that the page holds fewer and leads on where it stopped. A
 * page backward (previous_page_url) is filled the same way, from its end.
 */
export async function readFilledPage<T>(
  cursor: Cursor,
  size: number,
  keyOf: (item: T) => string,
  read: WindowReader<T>,
  keep: (item: T) => boolean,
  { maxReads = 10, sparseWindow = 100 }: { maxReads?: number; sparseWindow?: number } = {},
): Promise<Page<T>> {
  const backward = cursor.before !== undefined;
  const direction = backward ? 'backward' : 'forward';
  const kept: T[] = [];
  /** The first and the last key looked at, in the direction read: the page's edges, wherever its kept items are. */
  let nearest: string | undefined;
  let farthest = backward ? cursor.before : cursor.after;
  let more = false;
  reading: for (let reads = 0; reads < maxReads; reads++) {
    const window = await read(direction, farthest, reads === 0 ? size : Math.max(size, sparseWindow));
    more = window.more;
    // A window is in ascending order: read backward, it is met from its end.
    const met = backward ? [...window.items].reverse() : window.items;
    for (const [i, item] of met.entries()) {
      const key = keyOf(item);
      nearest ??= key;
      farthest = key;
      if (!keep(item)) continue;
      kept.push(item);
      if (kept.length === size) {
        more = i < met.length - 1 || window.more;
        break reading;
      }
    }
    if (!more) break;
  }
  const previousPage = Math.max(0, cursor.page - 1);
  if (backward) {
    return {
      items: kept.reverse(),
      // The page we came from follows this one.
      next: { page: cursor.page + 1, ...(nearest !== undefined && { after: nearest }) },
      previous: more && farthest !== cursor.before ? { page: previousPage, before: farthest! } : null,
    };
  }
  return {
    items: kept,
    next: more && farthest !== undefined ? { page: cursor.page + 1, after: farthest } : null,
    previous: cursor.after === undefined ? null : { page: previousPage, before: nearest ?? cursor.after },
  };
}

/** A window over a list already in memory and sorted by `keyOf`. */
export function memoryWindow<T>(sorted: readonly T[], keyOf: (item: T) => string): WindowReader<T> {
  return async (direction, from, limit) => {
    if (direction === 'forward') {
      const start = from === undefined ? 0 : sorted.findIndex((item) => keyOf(item) > from);
      const begin = start === -1 ? sorted.length : start;
      return { items: sorted.slice(begin, begin + limit), more: begin + limit < sorted.length };
    }
    const end = from === undefined ? sorted.length : sorted.filter((item) => keyOf(item) < from!).length;
    const begin = Math.max(0, end - limit);
    return { items: sorted.slice(begin, end), more: begin > 0 };
  };
}
