/**
 * Connected mode's intake of TaskRouter's event callbacks: each one is taken in with a single
 * conditional put keyed by its `Sid` (so a repeat is known at once: idempotent on `Sid`), then
 * applied to the record by the mirror, then marked applied.
 *
 * Where the apply runs: deployed, in the same invocation, before the 204 (a Lambda does nothing
 * after its answer); in the local stack, after the answer, in this process, one event at a time,
 * so that TaskRouter's callbacks are answered at the rate a conditional write allows. Either way
 * an event taken in and not applied (a process that died in between, a store that failed) keeps
 * its place in the in-flight index and the sweep applies it; a repeat of it applies it again.
 * The mirror is idempotent on state, so an event applied twice changes nothing the second time.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Clock } from '../domain/clock.ts';
import { InvalidParameterError } from '../domain/errors.ts';
import type { Params } from '../domain/parameters.ts';
import type { UpstreamMirror } from './mirror.ts';
import type { InboxItem, InboxStore } from './ports.ts';
import { readEventCallback, type UpstreamEvent } from './upstream-event.ts';

/** Taken in this long ago and still not applied: the sweep's to apply. */
export const UNAPPLIED_AFTER_MS = 30_000;

export type TakeOutcome = 'ignored' | 'taken' | 'repeat';

export class MirrorInbox {
  #background = false;
  readonly #queue: InboxItem[] = [];
  /** The keys of the events in the queue. */
  readonly #queued = new Set<string>();
  #draining: Promise<void> | undefined;

  constructor(
    private readonly store: InboxStore,
    private readonly mirror: UpstreamMirror,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** From now on, events are applied after the answer, in this process (the local stack). */
  applyInBackground(): void {
    this.#background = true;
  }

  /**
   * Takes in one event callback of `accountSid` (its form fields): checked, stored once per `Sid`,
   * and applied (now, or in the background). A repeat of an event not applied yet applies it.
   */
  async take(accountSid: string, params: Params): Promise<TakeOutcome> {
    // Read once, here: what is stored, and later applied, is the typed event.
    const read = readEventCallback(accountSid, params);
    if (read.kind === 'ignored') return 'ignored';
    const item: InboxItem = { accountSid, workspaceSid: read.event.workspaceSid, sid: read.sid, event: read.event, receivedAt: this.clock.now() };
    const taken = await this.store.take(item);
    if (!taken.taken) {
      // Applied already: nothing to do. Taken and not applied (its first delivery's process died): apply it now.
      if (!taken.stored || taken.stored.appliedAt !== undefined) return 'repeat';
      await this.#dispatch(taken.stored);
      return 'repeat';
    }
    await this.#dispatch(item);
    return 'taken';
  }

  /** Resolves once every event taken in by this process has been applied (or has failed, left to the sweep). */
  async idle(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  /**
   * Applies every event taken in before `before` and not applied yet (a dead process's, a failed
   * apply's), oldest first, a page of the in-flight index at a time until none is left.
   */
  async sweep(before = this.clock.now() - UNAPPLIED_AFTER_MS): Promise<{ readonly applied: number; readonly failed: number }> {
    let applied = 0;
    let failed = 0;
    for await (const page of this.store.unapplied(before)) {
      for (const item of page) {
        if (await this.#applyLogged(item)) applied++;
        else failed++;
      }
    }
    if (applied + failed > 0) this.logger.info('event callbacks applied by the sweep', { applied, failed });
    return { applied, failed };
  }

  async #dispatch(item: InboxItem): Promise<void> {
    if (!this.#background) {
      // In the request (deployed): a refusal is the caller's 400.
      const refusal = await this.#apply(item);
      if (refusal) throw refusal;
      return;
    }
    // A repeat of an event this process holds to apply already: once is enough.
    const key = `${item.accountSid}#${item.workspaceSid}#${item.sid}`;
    if (this.#queued.has(key)) return;
    this.#queued.add(key);
    this.#queue.push(item);
    this.#draining ??= this.#drain();
  }

  async #drain(): Promise<void> {
    // After the answer that took it in: a macrotask later, so the 204 goes out first.
    await new Promise((resolve) => setImmediate(resolve));
    for (let item = this.#queue.shift(); item; item = this.#queue.shift()) {
      await this.#applyLogged(item);
      this.#queued.delete(`${item.accountSid}#${item.workspaceSid}#${item.sid}`);
    }
    this.#draining = undefined;
  }

  /** Applies one event; a failure is logged and leaves it to the sweep. */
  async #applyLogged(item: InboxItem): Promise<boolean> {
    try {
      await this.#apply(item);
      return true;
    } catch (error) {
      this.logger.error('event callback not applied yet: the sweep retries it', { eventSid: item.sid, error: (error as Error).name });
      return false;
    }
  }

  /**
   * Applies one event and marks it applied. An event only the record shows to be unusable (a
   * reservation first heard of, without its worker) is marked too, never retried, and returned.
   */
  async #apply(item: InboxItem): Promise<InvalidParameterError | undefined> {
    let refusal: InvalidParameterError | undefined;
    try {
      const event = item.event ?? legacyEvent(item);
      if (event) await this.mirror.apply(event);
    } catch (error) {
      if (!(error instanceof InvalidParameterError)) throw error;
      this.logger.warn('event callback refused', { eventSid: item.sid, problem: error.message });
      refusal = error;
    }
    await this.store.markApplied(item, this.clock.now());
    return refusal;
  }
}

/** An item taken in by an earlier version, which kept the callback's form fields instead of the event. */
function legacyEvent(item: InboxItem): UpstreamEvent | undefined {
  if (item.fields === undefined) return undefined;
  const read = readEventCallback(item.accountSid, new Map(Object.entries(item.fields)));
  return read.kind === 'mirror' ? read.event : undefined;
}
