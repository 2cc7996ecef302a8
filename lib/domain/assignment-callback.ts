/**
 * The assignment callback TaskRouter POSTs when it reserves a worker for a task (form-encoded,
 * signed with X-Twilio-Signature), validated with the same parameter rules as the REST API.
 */
import { InvalidParameterError } from './errors.ts';
import { parseParameter, type ParameterSpec, type Params } from './parameters.ts';
import type { SidPrefix } from './sid.ts';

export interface AssignmentCallback {
  readonly accountSid: string;
  readonly workspaceSid: string;
  readonly workflowSid: string;
  readonly taskQueueSid: string;
  readonly taskSid: string;
  readonly reservationSid: string;
  readonly workerSid: string;
  /** Not in TaskRouter's documented list, but sent and read in practice. */
  readonly workerName: string | null;
  /** JSON strings as received, and their parsed objects (for the policy). */
  readonly workerAttributes: string;
  readonly workerAttributeValues: Readonly<Record<string, unknown>>;
  readonly taskAttributes: string;
  readonly taskAttributeValues: Readonly<Record<string, unknown>>;
  readonly taskAge: number;
  readonly taskPriority: number;
}

const sid = (name: string, prefix: SidPrefix): ParameterSpec => ({ name, type: { kind: 'sid', prefix }, pii: false });
const count: ParameterSpec['type'] = { kind: 'integer', min: 0, max: 2 ** 31 - 1 };

const SIDS = {
  accountSid: sid('AccountSid', 'AC'),
  workspaceSid: sid('WorkspaceSid', 'WS'),
  workflowSid: sid('WorkflowSid', 'WW'),
  taskQueueSid: sid('TaskQueueSid', 'WQ'),
  taskSid: sid('TaskSid', 'WT'),
  reservationSid: sid('ReservationSid', 'WR'),
  workerSid: sid('WorkerSid', 'WK'),
} as const;

/**
 * `?ReservationTimeout=` on the callback URL: how a Workflow's AssignmentCallbackUrl carries its
 * TaskReservationTimeout, which the callback itself does not.
 */
export const RESERVATION_TIMEOUT: ParameterSpec = { name: 'ReservationTimeout', type: { kind: 'integer', min: 1, max: 86_400 }, pii: false };

function attributes(params: Params, name: string): { json: string; values: Record<string, unknown> } {
  const json = params.get(name)?.[0] ?? '{}';
  try {
    const values: unknown = JSON.parse(json);
    if (typeof values === 'object' && values !== null && !Array.isArray(values)) return { json, values: values as Record<string, unknown> };
  } catch {
    // reported below
  }
  throw new InvalidParameterError(name, 'must be a JSON object');
}

export function parseAssignmentCallback(params: Params): AssignmentCallback {
  const sids = {} as Record<keyof typeof SIDS, string>;
  for (const [key, spec] of Object.entries(SIDS) as [keyof typeof SIDS, ParameterSpec][]) {
    const raw = params.get(spec.name);
    if (raw === undefined) throw new InvalidParameterError(spec.name, 'is required');
    sids[key] = parseParameter(spec, raw) as string;
  }
  const number = (name: string) => {
    const raw = params.get(name);
    return raw === undefined ? 0 : (parseParameter({ name, type: count, pii: false }, raw) as number);
  };
  const worker = attributes(params, 'WorkerAttributes');
  const task = attributes(params, 'TaskAttributes');
  const workerName = params.get('WorkerName')?.[0];
  return {
    ...sids,
    workerName: workerName === undefined || workerName === '' ? null : workerName,
    workerAttributes: worker.json,
    workerAttributeValues: worker.values,
    taskAttributes: task.json,
    taskAttributeValues: task.values,
    taskAge: number('TaskAge'),
    taskPriority: number('TaskPriority'),
  };
}

/** The worker's `contact_uri` attribute: where To, From and CallTo instructions fall back. */
export function contactUriOf(workerAttributes: Readonly<Record<string, unknown>>): string | undefined {
  const uri = workerAttributes['contact_uri'];
  return typeof uri === 'string' && uri.length > 0 ? uri : undefined;
}
