/**
 * Counting: every event the record stores is counted once, before it is stored.
 *
 * The counting happens in the event store (`CountingEventStore`), so every path that stores events
 * counts them: the recorder after each task write (deployed, from the table's stream; locally, in
 * the request), its recovery of what a dying process left, and the start-up sweep. Each event is
 * counted in the tally of its tenth of a second as an entry kept under its SID, the first one
 * written staying (lib/store/statistics-items.ts), so a replay, a retried stream batch or a race
 * counts nothing twice. It is counted *before* its event item is stored: an event that is stored
 * has been counted, and one that is not is what a repeat, the sweep or the stream's retry stores,
 * counting it first (or finding it counted). So nothing is counted twice or missed.
 *
 * An event is first claimed for its slot (one conditional write per task and write): the first
 * claim decides the tenth of a second it is counted in. Connected, the same event (same SID) can be
 * derived by two writes at different times (the gateway's own accept, then the mirrored change):
 * the tally of one slot could not tell; the claim can.
 *
 * A tally written after its minute could have been rolled up (lib/domain/statistics-periods.ts
 * `landedLate`) marks that minute's, hour's and day's roll-ups out of date, again before the event
 * is stored: a replay that finds the event counted still marks them.
 *
 * Before its first tally of an hour, a process marks the hour (and so its day) as having tallies:
 * reads skip the hours and days never marked without rolling them up.
 *
 * The same pass keeps the real-time directories: each task's state after its latest event, and
 * each worker's name and activity.
 */
import type { Clock } from '../domain/clock.ts';
import type { EventFilter } from '../domain/event-query.ts';
import type { TaskRouterEvent } from '../domain/events.ts';
import type { WindowReader } from '../domain/paging.ts';
import type { WorkspaceScope } from '../domain/scope.ts';
import { landedLate } from '../domain/statistics-periods.ts';
import { reservationMarks } from '../domain/statistics-realtime.ts';
import { contributionOf, secondOfSlot, type Contribution } from '../domain/statistics-tally.ts';
import type { EventStore } from '../publishing/ports.ts';
import { InFlight } from '../domain/in-flight.ts';
import type { StatisticsStore } from './ports.ts';

/** What an event's claim is kept under: its task, or (a worker event) its worker. */
function subjectOf(event: TaskRouterEvent): string {
  const taskSid: string | undefined = event.taskSid;
  return taskSid ?? event.workerSid ?? 'workspace';
}

/** Task statuses after which a task is no longer live. */
const FINAL_STATUSES = new Set(['completed', 'canceled']);

/** How many workers' names (and workspaces) a process remembers writing, so as not to write them again. */
const REMEMBERED = 10_000;
const DAY_MS = 86_400_000;

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

export class StatisticsRecorder {
  /** Workspaces this process has marked, and the day and name it last wrote of each worker (`scope#worker`). */
  readonly #workspaces = new Set<string>();
  readonly #names = new Map<string, { readonly day: number; readonly name: string | undefined }>();
  readonly #queues = new Set<string>();
  readonly #hours = new Set<string>();

  constructor(
    private readonly store: StatisticsStore,
    private readonly clock: Clock,
    /**
     * Whether to claim each event's slot first. Standalone, an event's time is a function of the
     * stored record (every time it derives from is stored, to the millisecond), so any derivation
     * of it falls in the same slot and the tally alone keeps it once; connected, two writes can
     * derive it at different times (the gateway's own, then the mirrored change), and only a claim
     * can tell.
     */
    private readonly options: { readonly claims: boolean } = { claims: true },
  ) {}

  /** Counts these events, each once, and keeps the directories; resolves when all of it is stored. */
  async count(events: readonly TaskRouterEvent[]): Promise<void> {
    const byScope = groupBy(events, (e) => `${e.accountSid}#${e.workspaceSid}`);
    await Promise.all(
      [...byScope.values()].map((group) => {
        const scope: WorkspaceScope = { accountSid: group[0]!.accountSid, workspaceSid: group[0]!.workspaceSid };
        return this.#countIn(scope, group);
      }),
    );
  }

  async #countIn(scope: WorkspaceScope, events: readonly TaskRouterEvent[]): Promise<void> {
    const contributions = await this.#claimed(scope, events);
    const bySlot = groupBy(contributions, (c) => String(c.slot));
    await Promise.all([
      this.#mark(scope),
      ...[...bySlot.values()].map(async (group) => {
        const slot = group[0]!.slot;
        const second = secondOfSlot(slot);
        await this.#markHour(scope, second);
        await this.store.tally(scope, slot, group);
        // The clock read after the tally landed: if even now no roll-up could hold it yet, none ever missed it.
        if (landedLate(second, this.clock.now())) await this.store.touch(scope, second);
      }),
      ...this.#tasks(scope, events),
      ...this.#workers(scope, events),
      ...this.#queuesOf(scope, events),
    ]);
  }

  /**
   * The events' contributions, each in the slot its first claim named: the same event derived
   * again by another write, at another time, is counted where it was first (or not again).
   */
  async #claimed(scope: WorkspaceScope, events: readonly TaskRouterEvent[]): Promise<Contribution[]> {
    if (!this.options.claims) return events.map(contributionOf).filter((c): c is Contribution => c !== undefined);
    const pairs = events.flatMap((event) => {
      const contribution = contributionOf(event);
      return contribution === undefined ? [] : [{ event, contribution }];
    });
    const bySubject = groupBy(pairs, ({ event }) => subjectOf(event));
    const claimed = await Promise.all(
      [...bySubject].map(async ([subject, group]) => {
        const slots = await this.store.claim(
          scope,
          subject,
          group.map(({ contribution }) => ({ id: contribution.id, slot: contribution.slot })),
        );
        return group.map(({ contribution }) => {
          const slot = slots.get(contribution.id) ?? contribution.slot;
          return slot === contribution.slot ? contribution : { ...contribution, slot };
        });
      }),
    );
    return claimed.flat();
  }

  /** Marks the hour once per process (a failed mark is tried again by the next event of the hour). */
  async #markHour(scope: WorkspaceScope, second: number): Promise<void> {
    const key = `${scope.accountSid}#${scope.workspaceSid}#${Math.floor(second / 3600)}`;
    if (this.#hours.has(key)) return;
    await this.store.markHour(scope, second);
    if (this.#hours.size >= REMEMBERED) this.#hours.clear();
    this.#hours.add(key);
  }

  async #mark(scope: WorkspaceScope): Promise<void> {
    const key = `${scope.accountSid}#${scope.workspaceSid}`;
    if (this.#workspaces.has(key)) return;
    await this.store.markWorkspace(scope);
    if (this.#workspaces.size >= REMEMBERED) this.#workspaces.clear();
    this.#workspaces.add(key);
  }

  /**
   * Each task's state after the latest of these events (they all report the task as the write left
   * it), with what they say of its reservations (pending, or left) in the same write.
   */
  #tasks(scope: WorkspaceScope, events: readonly TaskRouterEvent[]): Promise<void>[] {
    const marks = reservationMarks(events);
    const latest = new Map<string, TaskRouterEvent>();
    for (const e of events) {
      // Worker events carry no task.
      const taskSid: string | undefined = e.taskSid;
      if (e.data.TaskAssignmentStatus === undefined || taskSid === undefined) continue;
      const seen = latest.get(taskSid);
      if (seen === undefined || seen.at <= e.at) latest.set(taskSid, e);
    }
    return [...latest].map(([taskSid, e]) => {
      const status = e.data.TaskAssignmentStatus!;
      return this.store.setTask(
        scope,
        {
          taskSid,
          status,
          priority: Number(e.data.TaskPriority ?? 0),
          taskQueueSid: e.taskQueueSid ?? '',
          workflowSid: e.workflowSid ?? '',
          createdAt: Number(e.data.TaskDateCreated ?? Math.floor(e.at / 1000)) * 1000,
          at: e.at,
        },
        FINAL_STATUSES.has(status),
        marks.get(taskSid),
      );
    });
  }

  #workers(scope: WorkspaceScope, events: readonly TaskRouterEvent[]): Promise<void>[] {
    const writes: Promise<void>[] = [];
    for (const e of events) {
      if (e.workerSid === undefined) continue;
      if (e.type === 'worker.activity.update' && e.data.WorkerActivitySid !== undefined) {
        writes.push(this.store.setWorker(scope, e.workerSid, { activitySid: e.data.WorkerActivitySid, at: e.at }));
        continue;
      }
      // A reservation makes its worker known, with the name TaskRouter gave it (if any). The entry
      // expires RETENTION_DAYS after its last write, as a reservation does after its last change:
      // any reservation event of the worker writes it again, once a day, so a worker still
      // reserved, or working a reservation for days, stays known (the Worker list reads this
      // directory); a new name is written at once.
      if (!e.type.startsWith('reservation.')) continue;
      const created = e.type === 'reservation.created';
      const name = created ? e.data.WorkerName : undefined;
      const day = Math.floor(e.at / DAY_MS);
      const key = `${scope.accountSid}#${scope.workspaceSid}#${e.workerSid}`;
      const last = this.#names.get(key);
      if (last !== undefined && last.day === day && (!created || last.name === (name ?? ''))) continue;
      if (this.#names.size >= REMEMBERED) this.#names.clear();
      this.#names.set(key, { day, name: created ? (name ?? '') : last?.name });
      writes.push(
        this.store.setWorker(scope, e.workerSid, { ...(name !== undefined && { friendlyName: name }), at: e.at }).catch((error: unknown) => {
          this.#names.delete(key);
          throw error;
        }),
      );
    }
    return writes;
  }

  #queuesOf(scope: WorkspaceScope, events: readonly TaskRouterEvent[]): Promise<void>[] {
    const writes: Promise<void>[] = [];
    for (const e of events) {
      const taskQueueSid: string | undefined = e.taskQueueSid;
      const key = `${scope.accountSid}#${scope.workspaceSid}#${taskQueueSid}`;
      if (e.type !== 'reservation.created' || taskQueueSid === undefined || this.#queues.has(key)) continue;
      if (this.#queues.size >= REMEMBERED) this.#queues.clear();
      this.#queues.add(key);
      writes.push(
        this.store.rememberQueue(scope, taskQueueSid).catch((error: unknown) => {
          this.#queues.delete(key);
          throw error;
        }),
      );
    }
    return writes;
  }
}

/**
 * The event store, counting: every event is counted before it is stored (see above). Reads pass
 * through. Statistics switched off (STATISTICS=off) is the store without this.
 */
export class CountingEventStore implements EventStore {
  /** The events this process is counting and storing now, by scope and SID. */
  readonly #writing = new InFlight();

  constructor(
    private readonly inner: EventStore,
    private readonly recorder: StatisticsRecorder,
  ) {}

  putAll(events: readonly TaskRouterEvent[]): Promise<void> {
    return this.#writing.track(events.map(writingKey), async () => {
      await this.recorder.count(events);
      await this.inner.putAll(events);
    });
  }

  putNew(events: readonly TaskRouterEvent[]): Promise<TaskRouterEvent[]> {
    return this.#writing.track(events.map(writingKey), async () => {
      await this.recorder.count(events);
      return this.inner.putNew(events);
    });
  }

  /**
   * The events not stored yet. What this process is still counting and storing (the original of a
   * repeat, under way) is not missing: its put is waited for first, as the event items' own group
   * commit waits for what it has in flight, or the repeat would store and deliver it a second time.
   */
  async missing(events: readonly TaskRouterEvent[]): Promise<TaskRouterEvent[]> {
    await this.#writing.settled(events.map(writingKey));
    return this.inner.missing(events);
  }

  get = (scope: WorkspaceScope, sid: string) => this.inner.get(scope, sid);
  list = (scope: WorkspaceScope, filter: EventFilter): WindowReader<TaskRouterEvent> => this.inner.list(scope, filter);
}

const writingKey = (e: TaskRouterEvent) => `${e.accountSid}#${e.workspaceSid}#${e.sid}`;
