/**
 * Every store port in memory, for the fast tests (`npm run test:unit`): the DynamoDB adapters' rules
 * without an engine, checked against them by the same contract suite. TTL is not modelled: what
 * DynamoDB would remove after RETENTION_DAYS stays (retention is cleanup, never correctness).
 */
import type { EventFilter } from '../../domain/event-query.ts';
import { eventListKey, type TaskRouterEvent } from '../../domain/events.ts';
import { listKey, memoryWindow, type WindowReader } from '../../domain/paging.ts';
import type { WorkerScope, WorkspaceScope } from '../../domain/scope.ts';
import type { ActivitySetBy, WorkerRecord, WorkerState, WorkerWrite } from '../../domain/worker.ts';
import type { EventStore, ReservationWorkers } from '../../publishing/ports.ts';
import type { NewReservationLink, ReservationLink, WorkerStore } from '../../reservations/ports.ts';
import type {
  CloudEventMark,
  CloudEventMarks,
  InboxItem,
  InboxStore,
  UnmarkedWriteOutcome,
  WorkerForwardMark,
  WorkerForwardMarks,
  WorkerMarkOutcome,
} from '../../upstream/ports.ts';
import type { AttentionItem, AttentionStore } from '../../lifecycle/ports.ts';
import type { Stores } from '../stores.ts';
import { MemoryStatistics } from './memory-statistics.ts';
import { MemoryTasks } from './memory-tasks.ts';

const workspaceKey = (scope: WorkspaceScope) => `${scope.accountSid}#${scope.workspaceSid}`;
const workerKey = (scope: WorkerScope) => `${workspaceKey(scope)}#${scope.workerSid}`;

/**
 * A window as a DynamoDB query with a Limit reads it: over the items as they are when it is read
 * (not when the reader was made), and with `more` whenever the window is full. DynamoDB returns a
 * LastEvaluatedKey whenever it stopped at the Limit, even with nothing after it, so a full window
 * at the very end of a list still leads on, to an empty one.
 */
function queryWindow<T>(items: () => readonly T[], keyOf: (item: T) => string): WindowReader<T> {
  return async (direction, from, limit) => {
    const { items: read } = await memoryWindow(items(), keyOf)(direction, from, limit);
    return { items: read, more: read.length === limit };
  };
}

/** A worker's own item, as the DynamoDB adapter keeps it (lib/store/worker-items.ts). */
interface Profile {
  readonly activitySid?: string;
  readonly changedAt?: number;
  readonly activitySetBy?: ActivitySetBy;
  readonly attributes?: string;
  readonly attributesAt?: number;
  readonly friendlyName?: string;
  readonly friendlyNameAt?: number;
  readonly version?: number;
  readonly change?: WorkerWrite['change'];
  readonly held?: readonly string[];
  readonly moves?: readonly string[];
  readonly forward?: WorkerForwardMark;
  /** When the sweep last deferred that forward (the in-flight index key the DynamoDB adapter moves). */
  readonly deferred?: { readonly id: string; readonly at: number };
}

class MemoryWorkers implements WorkerStore, ReservationWorkers, WorkerForwardMarks {
  /** Links by worker, then by reservation. */
  readonly #links = new Map<string, Map<string, NewReservationLink>>();
  readonly #profiles = new Map<string, Profile>();

  async linkReservation(link: NewReservationLink): Promise<void> {
    const key = workerKey(link.scope);
    const links = this.#links.get(key) ?? new Map<string, NewReservationLink>();
    // The first link of a ReservationSid is kept: a link never changes once written.
    if (!links.has(link.reservationSid)) links.set(link.reservationSid, link);
    this.#links.set(key, links);
  }

  async taskOfReservation(scope: WorkerScope, reservationSid: string): Promise<string | undefined> {
    return this.#links.get(workerKey(scope))?.get(reservationSid)?.taskSid;
  }

  #sorted(scope: WorkerScope): NewReservationLink[] {
    return [...(this.#links.get(workerKey(scope))?.values() ?? [])].sort((a, b) =>
      listKey(a.createdAt, a.reservationSid) < listKey(b.createdAt, b.reservationSid) ? -1 : 1,
    );
  }

  reservationLinks(scope: WorkerScope): WindowReader<ReservationLink> {
    return queryWindow(
      () => this.#sorted(scope).map((l) => ({ taskSid: l.taskSid, reservationSid: l.reservationSid, createdAt: l.createdAt })),
      (l) => listKey(l.createdAt, l.reservationSid),
    );
  }

  async setActivity(scope: WorkerScope, activitySid: string, at: number): Promise<void> {
    const stored = this.#profiles.get(workerKey(scope));
    // A later activity change already stored wins; the move's event is its reservation's.
    if (stored?.changedAt !== undefined && stored.changedAt > at) return;
    const { change: _change, ...kept } = stored ?? {};
    this.#profiles.set(workerKey(scope), { ...kept, activitySid, changedAt: at, activitySetBy: 'reservation', version: (stored?.version ?? 0) + 1 });
  }

  async writeWorker(write: WorkerWrite): Promise<boolean> {
    const key = workerKey(write.scope);
    const stored = this.#profiles.get(key);
    if ((stored?.version ?? 0) !== write.expectedVersion || (write.expectedVersion === 0 && stored?.version !== undefined)) return false;
    const { change: _change, ...kept } = stored ?? {};
    const { now } = write;
    this.#profiles.set(key, {
      ...kept,
      version: write.expectedVersion + 1,
      ...(write.activity && { activitySid: write.activity.sid, changedAt: now, activitySetBy: write.activity.by }),
      ...(write.attributes !== undefined && { attributes: write.attributes, attributesAt: now }),
      ...(write.friendlyName !== undefined && { friendlyName: write.friendlyName, friendlyNameAt: now }),
      ...(write.change && { change: write.change }),
      ...(write.lifecycle && { held: write.lifecycle.held, moves: write.lifecycle.moves }),
    });
    return true;
  }

  async writeUnlessMarked(write: WorkerWrite): Promise<UnmarkedWriteOutcome> {
    const stored = this.#profiles.get(workerKey(write.scope));
    if ((stored?.version ?? 0) === write.expectedVersion && stored?.forward) return 'held';
    return (await this.writeWorker(write)) ? 'written' : 'moved';
  }

  async markWorkerForward(write: WorkerWrite, markId: string): Promise<WorkerMarkOutcome> {
    const key = workerKey(write.scope);
    const stored = this.#profiles.get(key);
    if ((stored?.version ?? 0) !== write.expectedVersion) return 'moved';
    if (stored?.forward) return 'held';
    // A mark changes nothing a client sees: no events of its own.
    const { change: _change, ...kept } = stored ?? {};
    this.#profiles.set(key, { ...kept, forward: { id: markId, at: write.now, write } });
    return 'taken';
  }

  async recordWorkerForward(write: WorkerWrite, markId: string): Promise<boolean> {
    const key = workerKey(write.scope);
    const stored = this.#profiles.get(key);
    if (stored?.forward?.id !== markId) return false;
    const { forward: _forward, ...kept } = stored;
    this.#profiles.set(key, kept);
    return this.writeWorker({ ...write, expectedVersion: kept.version ?? 0 });
  }

  async clearWorkerForward(scope: WorkerScope, markId: string): Promise<void> {
    const key = workerKey(scope);
    const stored = this.#profiles.get(key);
    if (stored?.forward?.id !== markId) return;
    const { forward: _forward, change: _change, ...kept } = stored;
    this.#profiles.set(key, kept);
  }

  async deferWorkerForward(scope: WorkerScope, markId: string, now: number): Promise<void> {
    const key = workerKey(scope);
    const stored = this.#profiles.get(key);
    if (stored?.forward?.id !== markId) return;
    const { change: _change, ...kept } = stored;
    this.#profiles.set(key, { ...kept, deferred: { id: markId, at: now } });
  }

  async workerForwardsBefore(before: number, limit: number): Promise<{ readonly scope: WorkerScope; readonly mark: WorkerForwardMark }[]> {
    // The in-flight index's order: when the mark was taken, or last deferred.
    const found: { scope: WorkerScope; mark: WorkerForwardMark; queuedAt: number }[] = [];
    for (const profile of this.#profiles.values()) {
      const { forward, deferred } = profile;
      if (forward === undefined) continue;
      const queuedAt = deferred?.id === forward.id ? deferred.at : forward.at;
      if (queuedAt < before) found.push({ scope: forward.write.scope, mark: forward, queuedAt });
    }
    return found
      .sort((a, b) => a.queuedAt - b.queuedAt)
      .slice(0, limit)
      .map(({ scope, mark }) => ({ scope, mark }));
  }

  async workerState(scope: WorkerScope): Promise<WorkerState | undefined> {
    const worker = await this.getWorker(scope);
    if (!worker) return undefined;
    const profile = this.#profiles.get(workerKey(scope));
    return { worker, lifecycle: { held: profile?.held ?? [], moves: profile?.moves ?? [] } };
  }

  async getWorker(scope: WorkerScope): Promise<WorkerRecord | undefined> {
    const links = this.#sorted(scope);
    const oldest = links[0];
    const newest = links.at(-1);
    if (!oldest || !newest) return undefined;
    const p = this.#profiles.get(workerKey(scope));
    // Of the attributes and the name, the later of a callback's and a Worker update's.
    const updatedAttributes = p?.attributes !== undefined && (p.attributesAt ?? 0) >= newest.createdAt;
    const updatedName = p?.friendlyName !== undefined && (p.friendlyNameAt ?? 0) >= newest.createdAt;
    return {
      sid: scope.workerSid,
      accountSid: scope.accountSid,
      workspaceSid: scope.workspaceSid,
      friendlyName: updatedName ? p!.friendlyName! : newest.workerName,
      attributes: updatedAttributes ? p!.attributes! : newest.workerAttributes,
      activitySid: p?.activitySid ?? null,
      activityChangedAt: p?.changedAt ?? null,
      activitySetBy: p?.activitySetBy ?? null,
      createdAt: oldest.createdAt,
      updatedAt: Math.max(newest.createdAt, p?.changedAt ?? 0, p?.attributesAt ?? 0, p?.friendlyNameAt ?? 0),
      version: p?.version ?? 0,
    };
  }

  async attributesOf(
    scope: WorkspaceScope,
    reservations: readonly { readonly workerSid: string; readonly reservationSid: string }[],
  ): Promise<ReadonlyMap<string, string>> {
    const found = new Map<string, string>();
    for (const r of reservations) {
      const link = this.#links.get(workerKey({ ...scope, workerSid: r.workerSid }))?.get(r.reservationSid);
      if (link) found.set(r.reservationSid, link.workerAttributes);
    }
    return found;
  }
}

/** The narrowest subject a filter names: the events it is about are read from that one's list. */
function subjectOf(filter: EventFilter): (event: TaskRouterEvent) => boolean {
  if (filter.reservationSid !== undefined) return (e) => e.reservationSid === filter.reservationSid;
  if (filter.taskSid !== undefined) return (e) => e.taskSid === filter.taskSid;
  if (filter.workerSid !== undefined) return (e) => e.workerSid === filter.workerSid;
  return () => true;
}

class MemoryEvents implements EventStore {
  readonly #events = new Map<string, TaskRouterEvent>();

  async putAll(events: readonly TaskRouterEvent[]): Promise<void> {
    for (const event of events) this.#events.set(`${workspaceKey(event)}#${event.sid}`, event);
  }

  async missing(events: readonly TaskRouterEvent[]): Promise<TaskRouterEvent[]> {
    return events.filter((e) => !this.#events.has(`${workspaceKey(e)}#${e.sid}`));
  }

  async putNew(events: readonly TaskRouterEvent[]): Promise<TaskRouterEvent[]> {
    // Each event checked and stored in one step, as its conditional put: the first derivation wins,
    // even over a second one later in the same call or in a concurrent one.
    const added: TaskRouterEvent[] = [];
    for (const event of events) {
      const key = `${workspaceKey(event)}#${event.sid}`;
      if (this.#events.has(key)) continue;
      this.#events.set(key, event);
      added.push(event);
    }
    return added;
  }

  async get(scope: WorkspaceScope, sid: string): Promise<TaskRouterEvent | undefined> {
    return this.#events.get(`${workspaceKey(scope)}#${sid}`);
  }

  list(scope: WorkspaceScope, filter: EventFilter): WindowReader<TaskRouterEvent> {
    const about = subjectOf(filter);
    const events = () =>
      [...this.#events.values()]
        .filter((e) => e.accountSid === scope.accountSid && e.workspaceSid === scope.workspaceSid && about(e))
        .filter((e) => e.at >= filter.from && (filter.to === undefined || e.at <= filter.to))
        .sort((a, b) => (eventListKey(a) < eventListKey(b) ? -1 : 1));
    return queryWindow(events, eventListKey);
  }
}

class MemoryInbox implements InboxStore {
  readonly #items = new Map<string, InboxItem>();

  async take(item: InboxItem): Promise<{ readonly taken: true } | { readonly taken: false; readonly stored: InboxItem | undefined }> {
    const key = `${workspaceKey(item)}#${item.sid}`;
    const stored = this.#items.get(key);
    if (stored) return { taken: false, stored };
    this.#items.set(key, item);
    return { taken: true };
  }

  async markApplied(item: InboxItem, at: number): Promise<void> {
    const key = `${workspaceKey(item)}#${item.sid}`;
    // Applied, it keeps only its Sid (for repeats): an update of the item as stored, whatever copy
    // names it; one no longer there (TTL removed it) is not made again.
    const stored = this.#items.get(key);
    if (stored === undefined) return;
    const { event: _event, fields: _fields, ...kept } = stored;
    this.#items.set(key, { ...kept, appliedAt: at });
  }

  async *unapplied(before: number): AsyncIterable<readonly InboxItem[]> {
    yield [...this.#items.values()].filter((i) => i.appliedAt === undefined && i.receivedAt < before).sort((a, b) => a.receivedAt - b.receivedAt);
  }
}

class MemoryCloudEventMarks implements CloudEventMarks {
  readonly #marks = new Set<string>();

  async applied(mark: CloudEventMark): Promise<boolean> {
    return this.#marks.has(`${workspaceKey(mark)}#${mark.id}`);
  }

  async markApplied(mark: CloudEventMark): Promise<void> {
    this.#marks.add(`${workspaceKey(mark)}#${mark.id}`);
  }
}

class MemoryAttention implements AttentionStore {
  readonly #flags = new Map<string, AttentionItem & { readonly notified: boolean; readonly dismissed?: boolean }>();

  async flag(item: AttentionItem): Promise<{ readonly notified: boolean }> {
    const key = `${workspaceKey(item)}#${item.reservationSid}`;
    const stored = this.#flags.get(key);
    if (stored) return { notified: stored.notified };
    this.#flags.set(key, { ...item, notified: false });
    return { notified: false };
  }

  async markNotified(scope: WorkspaceScope, reservationSid: string): Promise<void> {
    const key = `${workspaceKey(scope)}#${reservationSid}`;
    const stored = this.#flags.get(key);
    if (stored) this.#flags.set(key, { ...stored, notified: true });
  }

  async list(scope: WorkspaceScope): Promise<AttentionItem[]> {
    return [...this.#flags.values()]
      .filter((f) => f.accountSid === scope.accountSid && f.workspaceSid === scope.workspaceSid && f.dismissed !== true)
      .map(({ notified: _notified, dismissed: _dismissed, ...item }) => item)
      .sort((a, b) => a.since - b.since || (a.reservationSid < b.reservationSid ? -1 : 1));
  }

  async dismiss(scope: WorkspaceScope, reservationSid: string): Promise<boolean> {
    const key = `${workspaceKey(scope)}#${reservationSid}`;
    const stored = this.#flags.get(key);
    // Kept, dismissed: a timer delivered again does not raise it again.
    if (stored) this.#flags.set(key, { ...stored, dismissed: true });
    return stored !== undefined;
  }
}

/** A fresh set of stores in memory, sharing nothing with any other. */
export function memoryStores(): Stores {
  const tasks = new MemoryTasks();
  return {
    tasks,
    marks: tasks,
    workers: new MemoryWorkers(),
    events: new MemoryEvents(),
    inbox: new MemoryInbox(),
    cloudEvents: new MemoryCloudEventMarks(),
    attention: new MemoryAttention(),
    statistics: new MemoryStatistics(),
  };
}
