/**
 * What lib/console/build.ts embeds in the page from the domain's own tables, so that the page's
 * action forms follow lib/domain/parameters.ts and lib/domain/instructions.ts, and its event-type
 * filter lib/domain/events.ts, without a copy: types only, shared by the build (Node)
 * and the browser script.
 */

/** One update parameter, as its form field needs it. */
export interface FieldData {
  /** The wire name (PascalCase), the form field's name. */
  readonly name: string;
  readonly kind: 'string' | 'integer' | 'boolean' | 'sid' | 'url' | 'enum' | 'list';
  readonly min?: number;
  readonly max?: number;
  /** A SID's prefix (`WA`, `CA`). */
  readonly prefix?: string;
  /** An enum's or a list's values. */
  readonly values?: readonly string[];
  /** What TaskRouter assumes when the field is left empty. */
  readonly default?: string | number | boolean | readonly string[];
  /** The instruction needs it. */
  readonly required?: true;
  /** Required unless the worker's attributes have `contact_uri`. */
  readonly contact?: true;
  /** True makes the instruction accept the reservation. */
  readonly accepts?: true;
}

/** One form: `parameter=value` (ReservationStatus=accepted, Instruction=dequeue) and its fields. */
export interface ActionData {
  readonly parameter: 'ReservationStatus' | 'Instruction';
  readonly value: string;
  readonly fields: readonly FieldData[];
  /** The reservation statuses it is allowed from (the state machine's): the page offers it only there. */
  readonly from: readonly string[];
}

export interface ConsoleData {
  /** Every reservation status, in the state machine's order (the worker view's filter). */
  readonly reservationStatuses: readonly string[];
  /** The `ReservationStatus` values a client may set (accept, reject, wrap-up, complete). */
  readonly statusUpdates: readonly ActionData[];
  /** The instructions that are not a status update (conference, dequeue, call, redirect, supervise). */
  readonly instructions: readonly ActionData[];
  /** The Event resource's types, in lib/domain/events.ts's order (the events view's type filter). */
  readonly eventTypes: readonly string[];
  /** The longest Reason a Task update takes (lib/domain/task-change.ts): the reason fields' hint. */
  readonly maxReasonLength: number;
  /** The most seconds one ExtendSeconds adds to a wrap-up (lib/domain/lifecycle-policy.ts): the extend field's hint. */
  readonly maxWrapUpSeconds: number;
}
