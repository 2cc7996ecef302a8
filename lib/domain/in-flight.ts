/**
 * The writes this process has under way, by key: a reader that must not race them (a repeat
 * recovering what its original is still writing) waits for those that hold its keys first. A
 * write is forgotten once it settles, whatever its outcome.
 */
export class InFlight {
  readonly #writes = new Map<string, Promise<unknown>>();

  /** Starts `write` and tracks it under `keys` until it settles; returns its promise. */
  track<T>(keys: readonly string[], write: () => Promise<T>): Promise<T> {
    const written = write();
    for (const key of keys) this.#writes.set(key, written);
    const forget = () => {
      for (const key of keys) if (this.#writes.get(key) === written) this.#writes.delete(key);
    };
    written.then(forget, forget);
    return written;
  }

  /** Resolves once every tracked write that holds one of these keys has settled. */
  async settled(keys: readonly string[]): Promise<void> {
    const writes = new Set(keys.map((key) => this.#writes.get(key)).filter((write) => write !== undefined));
    await Promise.allSettled(writes);
  }
}

/**
 * Work this process has under way, without keys: each piece is forgotten once it settles, whatever
 * its outcome, and `idle` waits until none is left, work started while it waits included.
 */
export class Underway {
  readonly #work = new Set<Promise<unknown>>();

  /** Tracks `work` until it settles; returns it. */
  add<T>(work: Promise<T>): Promise<T> {
    this.#work.add(work);
    const forget = () => this.#work.delete(work);
    work.then(forget, forget);
    return work;
  }

  async idle(): Promise<void> {
    while (this.#work.size > 0) await Promise.allSettled([...this.#work]);
  }
}
