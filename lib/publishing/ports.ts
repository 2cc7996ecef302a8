/**
 * What publishing this service's events needs: a store of event items (the Event resource reads
 * it) and sinks the stored events go to next. The DynamoDB adapter is lib/store/event-items.ts,
 * the in-memory one lib/store/memory/.
 */
import type { EventFilter } from '../domain/event-query.ts';
import type { WindowReader } from '../domain/paging.ts';
import type { WorkspaceScope } from '../domain/scope.ts';
import type { TaskRouterEvent } from '../domain/events.ts';

export interface EventStore {
  /**
   * Stores the events of one write. Storing an event again stores the same item: its SID and
   * content are a function of that write.
   */
  putAll(events: readonly TaskRouterEvent[]): Promise<void>;
  /** Those of these events not stored yet (nor being stored by this process right now). */
  missing(events: readonly TaskRouterEvent[]): Promise<TaskRouterEvent[]>;
  /** Stores each event unless it is stored (the first derivation of an event wins); returns those it stored. */
  putNew(events: readonly TaskRouterEvent[]): Promise<TaskRouterEvent[]>;
  get(scope: WorkspaceScope, sid: string): Promise<TaskRouterEvent | undefined>;
  /**
   * Keyset windows in list order (lib/domain/events.ts `eventListKey`) over the events
   * within the filter's time bounds, from the narrowest subject it names (a reservation, a task, a
   * worker, else the workspace). The rest of the filter is the caller's (`eventMatches`).
   */
  list(scope: WorkspaceScope, filter: EventFilter): WindowReader<TaskRouterEvent>;
}

/** Where stored events go next. A sink must not fail or slow the write it follows: it queues. */
export interface EventSink {
  readonly name: string;
  deliver(events: readonly TaskRouterEvent[]): Promise<void>;
}

/** The worker attributes reservations were assigned with (their workers' links), for events' WorkerAttributes. */
export interface ReservationWorkers {
  /** By ReservationSid; a reservation whose link is gone (expired) is left out. */
  attributesOf(
    scope: WorkspaceScope,
    reservations: readonly { readonly workerSid: string; readonly reservationSid: string }[],
  ): Promise<ReadonlyMap<string, string>>;
}
