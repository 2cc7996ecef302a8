/**
 * Group commit for items that are put whole and never conditioned (event items: their content is
 * a function of the write they come from). Concurrent callers share BatchWriteItem calls: while
 * one batch is in flight, what arrives queues, and goes out together when it returns, 25 items a
 * call. A lone caller waits for nothing (its batch leaves at once); under load the per-call cost
 * of the SDK, HTTP and the engine is paid once per batch instead of once per write. Each caller's
 * promise settles when every one of its items is stored, or with the error of its batch.
 */
import { BATCH_WRITE_LIMIT } from './batch.ts';

/** Writes one batch (at most BATCH_WRITE_LIMIT items, distinct keys), retrying what was unprocessed. */
export type WriteBatch<Item> = (items: readonly Item[]) => Promise<void>;

interface Waiting {
  /** Items of this caller not yet written. */
  left: number;
  failed: boolean;
  resolve(): void;
  reject(error: unknown): void;
}

interface Queued<Item> {
  readonly key: string;
  readonly item: Item;
  readonly owners: Waiting[];
}

export class GroupCommit<Item> {
  readonly #queue: Queued<Item>[] = [];
  /** The queued items by key: a second put of the same item (a repeat racing its original) rides along. */
  readonly #byKey = new Map<string, Queued<Item>>();
  #inFlight = 0;
  /** Each key queued or in flight, and the put it belongs to. */
  readonly #puts = new Map<string, Promise<void>>();

  constructor(
    private readonly write: WriteBatch<Item>,
    private readonly keyOf: (item: Item) => string,
    /** Batches in flight at once. */
    private readonly concurrency = 2,
  ) {}

  /**
   * Resolves once every put now queued or in flight that holds one of these keys has settled: a
   * reader that must not race this process's own writes (a repeat recovering what its original
   * is still writing) waits for them first.
   */
  async whenWritten(keys: readonly string[]): Promise<void> {
    const puts = new Set(keys.map((key) => this.#puts.get(key)).filter((put) => put !== undefined));
    await Promise.allSettled(puts);
  }

  put(items: readonly Item[]): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    const put = this.#put(items);
    const keys = items.map(this.keyOf);
    for (const key of keys) this.#puts.set(key, put);
    const forget = () => {
      for (const key of keys) if (this.#puts.get(key) === put) this.#puts.delete(key);
    };
    put.then(forget, forget);
    return put;
  }

  #put(items: readonly Item[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiting: Waiting = { left: 0, failed: false, resolve, reject };
      for (const item of items) {
        const key = this.keyOf(item);
        const queued = this.#byKey.get(key);
        if (queued) {
          if (!queued.owners.includes(waiting)) {
            queued.owners.push(waiting);
            waiting.left++;
          }
          continue;
        }
        const entry: Queued<Item> = { key, item, owners: [waiting] };
        this.#byKey.set(key, entry);
        this.#queue.push(entry);
        waiting.left++;
      }
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#inFlight < this.concurrency && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, BATCH_WRITE_LIMIT);
      for (const entry of batch) this.#byKey.delete(entry.key);
      this.#inFlight++;
      this.write(batch.map((entry) => entry.item)).then(
        () => this.#settle(batch, undefined),
        (error: unknown) => this.#settle(batch, error ?? new Error('batch write failed')),
      );
    }
  }

  #settle(batch: readonly Queued<Item>[], error: unknown): void {
    this.#inFlight--;
    for (const entry of batch) {
      for (const owner of entry.owners) {
        if (owner.failed) continue;
        if (error !== undefined) {
          owner.failed = true;
          owner.reject(error);
        } else if (--owner.left === 0) {
          owner.resolve();
        }
      }
    }
    this.#pump();
  }
}
