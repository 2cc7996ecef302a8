/**
 * Group commit for items that are put whole (or deleted) and never conditioned: event items, whose
 * content is a function of the write they come from, and the statistics' live-task states and
 * reservation marks (a mark is deleted when its reservation leaves pending), whose writer orders
 * them itself (statistics-items.ts `setTask`). One per table and process, shared by every
 * family that puts such items, so a request that puts a task's live state and then its events
 * pays for a share of batches, not for two calls.
 *
 * The puts made in one turn of the event loop (the concurrent requests' puts) leave together at
 * its end, and what arrives while a batch is in flight queues and leaves when it returns, 25 items
 * a call: under load the per-call cost of the SDK, HTTP and the engine is paid once per batch
 * instead of once per write, at the price of one turn's wait for a lone caller. Each caller's
 * promise settles when every one of its items is stored, or with the error of its batch.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BATCH_WRITE_LIMIT, batchWrite, type TableWrite } from './batch.ts';
import type { Item } from './conditional-write.ts';
import { InFlight } from '../domain/in-flight.ts';

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
  item: Item;
  readonly owners: Waiting[];
}

export class GroupCommit<Item> {
  readonly #queue: Queued<Item>[] = [];
  /**
   * The queued items by key: a second write of a key already queued replaces its item and rides along
   * (a repeat of an event puts the same item; a task's newer live state supersedes the older; a
   * reservation's mark deleted supersedes its pending mark). Batches leave one at a time a table
   * (see `tableBatches`), so a later write of a key in flight lands after it.
   */
  readonly #byKey = new Map<string, Queued<Item>>();
  #inFlight = 0;
  #due = false;
  /** Each key queued or in flight, and the write it belongs to. */
  readonly #writes = new InFlight();

  constructor(
    private readonly writeBatch: WriteBatch<Item>,
    private readonly keyOf: (item: Item) => string,
    /** Batches in flight at once. */
    private readonly concurrency = 2,
  ) {}

  /**
   * Resolves once every write now queued or in flight that holds one of these keys has settled: a
   * reader that must not race this process's own writes (a repeat recovering what its original
   * is still writing) waits for them first.
   */
  whenWritten(keys: readonly string[]): Promise<void> {
    return this.#writes.settled(keys);
  }

  /** Queues these writes (distinct keys); settles once all are made, or with their batch's error. */
  write(items: readonly Item[]): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    return this.#writes.track(items.map(this.keyOf), () => this.#write(items));
  }

  #write(items: readonly Item[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiting: Waiting = { left: 0, failed: false, resolve, reject };
      for (const item of items) {
        const key = this.keyOf(item);
        const queued = this.#byKey.get(key);
        if (queued) {
          queued.item = item;
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
      this.#schedule();
    });
  }

  /** The pump, at the end of this turn of the event loop: the puts of the turn's other requests join the batch. */
  #schedule(): void {
    if (this.#due) return;
    this.#due = true;
    setImmediate(() => {
      this.#due = false;
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#inFlight < this.concurrency && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, BATCH_WRITE_LIMIT);
      for (const entry of batch) this.#byKey.delete(entry.key);
      this.#inFlight++;
      this.writeBatch(batch.map((entry) => entry.item)).then(
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

/** An item's key as one string (the table's partition and sort keys). */
export const itemKey = (item: Item): string => `${item['pk']}|${item['sk']}`;

/** A table write's key as one string: the put item's, or the deleted key's. */
export const writeKey = (write: TableWrite): string => itemKey('put' in write ? write.put : write.delete);

/**
 * The group commit of one table, which every item family that puts unconditioned items (or
 * deletes them) shares. A put and a delete of one key are one key's writes: the later queued
 * replaces the earlier, as two puts do.
 */
export type TableBatches = GroupCommit<TableWrite>;

/**
 * One batch in flight at a time: a write queued after another of the same key lands after it, which
 * the live states' ordering relies on (statistics-items.ts `setTask`).
 */
export function tableBatches(client: DynamoDBDocumentClient, tableName: string): TableBatches {
  return new GroupCommit<TableWrite>((writes) => batchWrite(client, tableName, writes), writeKey, 1);
}
