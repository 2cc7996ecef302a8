/**
 * What an update or a callback instruction does: which transition of the state machine, which
 * parameters it requires, and which of them falls back to the worker's `contact_uri`. Both the REST
 * update and the assignment policy build a `ReservationAction` here.
 */
import { InvalidParameterError } from './errors.ts';
import { PARAMETERS, parseParameter, type InstructionName, type ParameterSpec, type ParameterValue } from './parameters.ts';
import { TRANSITIONS, type TransitionName } from './state-machine.ts';

/** The instruction a reservation was given, with its validated parameters by wire name. */
export interface RecordedInstruction {
  readonly name: string;
  readonly params: Readonly<Record<string, ParameterValue>>;
}

export interface InstructionSpec {
  readonly transition: TransitionName;
  /** Wire names that must be present. */
  readonly required?: readonly string[];
  /** The worker's address: required unless the worker's attributes carry `contact_uri`. */
  readonly contact?: string;
  /** A boolean parameter that, when true, makes the instruction accept the reservation. */
  readonly acceptWith?: string;
}

export const INSTRUCTIONS: Readonly<Record<InstructionName, InstructionSpec>> = {
  accept: { transition: 'accept' },
  reject: { transition: 'reject' },
  // TaskRouter marks a conference or dequeue accepted once the worker is connected; the
  // telephony is outside this service, so the instruction accepts at once.
  conference: { transition: 'accept', contact: 'To' },
  dequeue: { transition: 'accept', required: ['DequeueFrom'], contact: 'DequeueTo' },
  call: { transition: 'instruct', required: ['CallFrom', 'CallUrl'], contact: 'CallTo', acceptWith: 'CallAccept' },
  redirect: { transition: 'instruct', required: ['RedirectCallSid', 'RedirectUrl'], acceptWith: 'RedirectAccept' },
  supervise: { transition: 'supervise', required: ['Supervisor', 'SupervisorMode'] },
};

/** `ReservationStatus` values a client may set, and the transition each one asks for. */
export const STATUS_UPDATES: Readonly<Partial<Record<string, TransitionName>>> = {
  accepted: 'accept',
  rejected: 'reject',
  wrapping: 'wrap',
  completed: 'complete',
};

/** New attributes (JSON object text) or priority of a task, set by a Task update. */
export interface TaskAttributesChange {
  readonly attributes?: string;
  readonly priority?: number;
}

export interface ReservationAction {
  readonly transition: TransitionName;
  readonly instruction?: RecordedInstruction;
  /** The activity the worker moves to (a rejection's WorkerActivitySid or activity_sid). */
  readonly activitySid?: string;
  /**
   * The contact parameter was absent, so the write must find a `contact_uri` on the stored
   * worker; this is its wire name, for the error that says so.
   */
  readonly needsContactUri?: string;
  /** A completion's reason, recorded on the task (the Task update's Reason; the wrap-up timer's). */
  readonly completedReason?: string;
  /** A wrap-up's reason, recorded on the task (the Task update's Reason). */
  readonly wrapUpReason?: string;
  /**
   * A Task update that completes or wraps up and also sets the task's attributes or priority: made
   * in the same write as the transition (its task.updated with the transition's events).
   */
  readonly taskChange?: TaskAttributesChange;
  /** extendWrapUp: how much later the wrap-up ends. */
  readonly extendWrapUpMs?: number;
}

export function parametersOf(instruction: InstructionName): readonly ParameterSpec[] {
  return PARAMETERS.filter((p) => p.instruction === instruction);
}

/**
 * The action an instruction asks for, from its validated parameters (wire name → value). When
 * `contactUri` is known (a callback carries the worker's attributes) a missing contact parameter
 * is checked here; otherwise (REST) the store's write checks it.
 */
export function instructionAction(
  name: InstructionName,
  values: ReadonlyMap<string, ParameterValue>,
  contactUri: string | null | undefined,
): ReservationAction {
  const spec = INSTRUCTIONS[name];
  for (const required of spec.required ?? []) {
    if (!values.has(required)) throw new InvalidParameterError(required, `is required for the ${name} instruction`);
  }
  const params: Record<string, ParameterValue> = {};
  for (const p of parametersOf(name)) {
    const v = values.get(p.name) ?? p.default;
    if (v !== undefined) params[p.name] = v;
  }
  let needsContactUri: string | undefined;
  if (spec.contact !== undefined && !values.has(spec.contact)) {
    if (contactUri === null) throw missingContact(spec.contact, name);
    if (contactUri === undefined) needsContactUri = spec.contact;
  }
  const accepts = spec.acceptWith !== undefined && params[spec.acceptWith] === true;
  const activitySid = name === 'reject' ? (params['WorkerActivitySid'] as string | undefined) : undefined;
  const instruction = name === 'accept' || name === 'reject' ? undefined : { name, params };
  return {
    transition: accepts ? 'accept' : spec.transition,
    ...(instruction && { instruction }),
    ...(activitySid && { activitySid }),
    ...(needsContactUri && { needsContactUri }),
  };
}

export function missingContact(parameter: string, instruction: string): InvalidParameterError {
  return new InvalidParameterError(parameter, `is required for the ${instruction} instruction when the worker's attributes have no contact_uri`);
}

/** The action of a REST update from its validated parameters. */
export function updateAction(values: ReadonlyMap<string, ParameterValue>): ReservationAction {
  const instruction = values.get('Instruction') as InstructionName | undefined;
  if (instruction !== undefined) return instructionAction(instruction, values, undefined);
  const status = values.get('ReservationStatus') as string | undefined;
  if (status === undefined) throw new InvalidParameterError('ReservationStatus', 'is required (or Instruction)');
  const transition = STATUS_UPDATES[status];
  if (transition === undefined) {
    throw new InvalidParameterError('ReservationStatus', `cannot be set to ${status}: use ${Object.keys(STATUS_UPDATES).join(', ')}`);
  }
  if (transition !== 'reject') return { transition };
  const activitySid = values.get('WorkerActivitySid') as string | undefined;
  return { transition, ...(activitySid && { activitySid }) };
}

/** Parses one callback-instruction value (JSON) with the parameter's rules, naming its key. */
export function parseCallbackValue(spec: ParameterSpec, value: unknown, key: string): ParameterValue {
  const raw = Array.isArray(value) ? value.map(String) : typeof value === 'object' || value === undefined ? null : [String(value)];
  if (raw === null) throw new InvalidParameterError(key, 'must be a string, number, boolean or list');
  return parseParameter(spec, raw, key);
}

/** TaskRouter's snake_case JSON for an action, as the assignment callback answers it. */
export function callbackInstructionJson(name: InstructionName, given: ReadonlyMap<string, ParameterValue>): Record<string, unknown> {
  const json: Record<string, unknown> = { instruction: name };
  for (const p of parametersOf(name)) {
    const v = given.get(p.name);
    if (v !== undefined) json[p.callbackKey!] = Array.isArray(v) ? v.join(',') : v;
  }
  return json;
}

/** What a confirmed forward records beside the status: a completion's or wrap-up's reason, a Task update's attributes or priority. */
export interface ConfirmedExtras {
  readonly completedReason?: string;
  readonly wrapUpReason?: string;
  readonly taskChange?: TaskAttributesChange;
}

/**
 * The extras of an observation that confirms its forward (its action's transition leads to the
 * status observed). Recorded even when the status already was, by TaskRouter's event arriving
 * first: nothing else would bring them.
 */
export function confirmedExtras(o: { readonly action?: ReservationAction; readonly status: string }): ConfirmedExtras | undefined {
  const action = o.action;
  if (action === undefined || TRANSITIONS[action.transition].to !== o.status) return undefined;
  if (action.completedReason === undefined && action.wrapUpReason === undefined && action.taskChange === undefined) return undefined;
  return {
    ...(action.completedReason !== undefined && { completedReason: action.completedReason }),
    ...(action.wrapUpReason !== undefined && { wrapUpReason: action.wrapUpReason }),
    ...(action.taskChange && { taskChange: action.taskChange }),
  };
}
