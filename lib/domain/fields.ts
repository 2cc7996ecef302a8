/**
 * Every named field the service reads or writes about tasks, workers, reservations and events,
 * beyond the update parameters (lib/domain/parameters.ts), declared once with its PII mark. Event
 * data is built from these names (PascalCase in callbacks, snake_case in the Event resource), and
 * log redaction reads the marks of both tables in every spelling (see `fieldKey`).
 */
export interface FieldSpec {
  /** Personal data or a secret: never logged in clear. */
  readonly pii: boolean;
}

const field = (pii = false): FieldSpec => ({ pii });

export const FIELDS = {
  // The event envelope (TaskRouter's event callback parameters).
  Sid: field(),
  EventType: field(),
  AccountSid: field(),
  WorkspaceSid: field(),
  /** Names the worker, e.g. "Reservation WR… accepted by Worker Alice". */
  EventDescription: field(true),
  Description: field(true),
  ResourceType: field(),
  ResourceSid: field(),
  Timestamp: field(),
  TimestampMs: field(),
  // The task field group.
  TaskSid: field(),
  TaskAttributes: field(true),
  TaskAge: field(),
  TaskPriority: field(),
  TaskAssignmentStatus: field(),
  TaskCanceledReason: field(),
  TaskCompletedReason: field(),
  TaskDateCreated: field(),
  TaskQueueSid: field(),
  WorkflowSid: field(),
  // The worker field group. Twilio's OpenAPI marks a worker's friendly name and attributes PII.
  WorkerSid: field(),
  WorkerName: field(true),
  WorkerAttributes: field(true),
  WorkerActivitySid: field(),
  WorkerPreviousActivitySid: field(),
  WorkerTimeInPreviousActivity: field(),
  WorkerTimeInPreviousActivityMs: field(),
  // The reservation.
  ReservationSid: field(),
  ReservationTimeout: field(),
  // Resource fields and what the store keeps of them.
  Attributes: field(true),
  FriendlyName: field(true),
  ContactUri: field(true),
} as const satisfies Record<string, FieldSpec>;

export type FieldName = keyof typeof FIELDS;

/** A field's name in any spelling, for comparison: `TaskAttributes`, `taskAttributes`, `task_attributes` → `taskattributes`. */
export function fieldKey(name: string): string {
  return name.replace(/[^A-Za-z0-9]/g, '').toLowerCase();
}

/** `TaskAttributes` → `task_attributes`: the Event resource's spelling of a callback field. */
export function snakeCase(name: string): string {
  return name.replace(/(?<=[a-z0-9])(?=[A-Z])/g, '_').toLowerCase();
}
