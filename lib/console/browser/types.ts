/** The REST API's JSON as the console reads it: only the keys it shows. */

export interface Reservation {
  readonly sid: string;
  readonly task_sid: string;
  readonly worker_sid: string;
  readonly worker_name: string;
  readonly workspace_sid: string;
  readonly reservation_status: string;
  readonly date_created: string;
  readonly date_updated: string;
}

export interface Task {
  readonly sid: string;
  readonly assignment_status: string;
  readonly reason: string | null;
  readonly attributes: string;
  readonly priority: number;
  readonly task_queue_sid: string | null;
  readonly workflow_sid: string | null;
  readonly date_created: string;
  readonly date_updated: string;
}

export interface Worker {
  readonly sid: string;
  readonly friendly_name: string;
  readonly activity_sid: string | null;
  readonly attributes: string;
  readonly date_created: string;
  readonly date_updated: string;
}

/** TaskRouter's Event resource; `event_data` has snake_case keys and string values. */
export interface TaskRouterEvent {
  readonly sid: string;
  readonly event_type: string;
  readonly description: string | null;
  readonly event_date: string;
  readonly event_date_ms: number | string;
  readonly resource_type: string | null;
  readonly resource_sid: string | null;
  readonly event_data: Readonly<Record<string, string | undefined>> | null;
}

/** This service's WrapUp resource (`/lifecycle/v1/…/WrapUp`): nulls when the reservation's rule sets no limit. */
export interface WrapUp {
  readonly reservation_status: string;
  readonly lifecycle_rule: string | null;
  readonly wrap_up_seconds: number | null;
  readonly wrap_up_deadline: string | null;
  readonly wrap_up_deadline_ms: number | null;
  readonly remaining_seconds: number | null;
}

/** One reservation of this service's Attention resource: held longer than its lifecycle rule allows. */
export interface AttentionReservation {
  readonly task_sid: string;
  readonly reservation_sid: string;
  readonly worker_sid: string;
  readonly worker_name: string;
  readonly reservation_status: string;
  readonly lifecycle_rule: string;
  readonly since: string;
  readonly flagged: string;
  readonly held_seconds: number;
}

/** The reservation counters of the Statistics resources and of this service's own beside them. */
export interface ReservationCounts {
  readonly reservations_created: number;
  readonly reservations_accepted: number;
  readonly reservations_rejected: number;
  readonly reservations_timed_out: number;
  readonly reservations_canceled: number;
  readonly reservations_rescinded: number;
}

/** TaskRouter's workspace CumulativeStatistics: the keys the overview's tiles show. */
export interface WorkspaceCumulative extends ReservationCounts {
  /** Seconds from a task's creation to its acceptance, on average (0 when none was accepted). */
  readonly avg_task_acceptance_time: number;
  readonly start_time: string;
  readonly end_time: string;
}

/** One row of this service's `…/Statistics/Queues`: a task queue's reservations in the window. */
export interface QueueRow extends ReservationCounts {
  readonly task_queue_sid: string;
}

/** One row of this service's `…/Statistics/Workers`. */
export interface WorkerRow extends ReservationCounts {
  readonly worker_sid: string;
  readonly friendly_name: string | null;
  readonly activity_sid: string | null;
}

/** One bucket of this service's `…/Statistics/Outcomes`. */
export interface OutcomeBucket extends ReservationCounts {
  readonly start_time: string;
  readonly end_time: string;
}

/** This service's `…/Statistics/PendingReservations`: how many are pending now, the soonest deadlines first. */
export interface PendingNow {
  readonly total: number;
  readonly reservations: readonly {
    readonly reservation_sid: string;
    readonly task_sid: string;
    readonly worker_sid: string;
    readonly worker_name: string | null;
    readonly deadline_ms: number;
  }[];
}
