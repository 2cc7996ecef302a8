/**
 * The query of a workspace's Worker list (OpenAPI ListWorker): the filters this service can
 * answer, and its page keys.
 *
 * Filters by what the record knows of a worker: `ActivitySid`, `Available` (what the policy's
 * available activities say of its activity), `FriendlyName`, and `TargetWorkersExpression` in the
 * part of TaskRouter's expression language lib/domain/attribute-expression.ts evaluates, over the
 * worker's attributes and its fields `sid`, `friendly_name` and `activity_sid`. Activities' names
 * and which workers a task queue admits are TaskRouter's configuration, which the record never
 * sees: asking by them is refused, not answered wrongly. Workers are listed in the order of their
 * SIDs, the key of the record's directory of workers.
 */
import { parseAttributeConditions, type AttributeCondition } from './attribute-expression.ts';
import { InvalidParameterError } from './errors.ts';
import { pagedQueryString, readPaging } from './list-query.ts';
import type { Cursor } from './paging.ts';
import { parseParameter, type ParameterSpec, type Params } from './parameters.ts';

const PARAMETERS = {
  ActivitySid: { name: 'ActivitySid', type: { kind: 'sid', prefix: 'WA' }, pii: false },
  Available: { name: 'Available', type: { kind: 'string' }, pii: false },
  FriendlyName: { name: 'FriendlyName', type: { kind: 'string' }, pii: true },
  TargetWorkersExpression: { name: 'TargetWorkersExpression', type: { kind: 'string' }, pii: true },
} as const satisfies Record<string, ParameterSpec>;

/** ListWorker's filters this service cannot answer, and why. */
const REFUSED: Readonly<Record<string, string>> = {
  ActivityName: 'is not supported by this service: it knows activities by SID only (use ActivitySid)',
  TaskQueueSid: 'is not supported by this service: it does not know which workers a task queue admits',
  TaskQueueName: 'is not supported by this service: it does not know which workers a task queue admits',
  Ordering: 'is not supported by this service: it lists workers in the order of their SIDs',
};

export interface WorkerListQuery {
  readonly activitySid?: string;
  /** Available: `true`, `1` or `yes` lists the available workers; any other value, the unavailable ones (a worker with no activity known is neither). */
  readonly available?: boolean;
  /** The text of Available, for the page URLs. */
  readonly availableText?: string;
  readonly friendlyName?: string;
  readonly conditions?: readonly AttributeCondition[];
  /** The text of TargetWorkersExpression, for the page URLs. */
  readonly expression?: string;
  readonly pageSize: number;
  readonly cursor: Cursor;
}

/** A worker's page key: its SID. */
const WORKER_KEY = /^WK[0-9a-f]{32}$/;

export function readWorkerListQuery(query: Params): WorkerListQuery {
  for (const [name, why] of Object.entries(REFUSED)) if (query.has(name)) throw new InvalidParameterError(name, why);
  const read = (spec: ParameterSpec) => {
    const raw = query.get(spec.name);
    return raw === undefined ? undefined : parseParameter(spec, raw);
  };
  const activitySid = read(PARAMETERS.ActivitySid) as string | undefined;
  const availableText = read(PARAMETERS.Available) as string | undefined;
  const friendlyName = read(PARAMETERS.FriendlyName) as string | undefined;
  const expression = read(PARAMETERS.TargetWorkersExpression) as string | undefined;
  const conditions = expression === undefined ? undefined : parseAttributeConditions(expression, 'TargetWorkersExpression');
  if (conditions?.some(({ left }) => 'path' in left && left.path.length === 1 && left.path[0] === 'activity_name')) {
    throw new InvalidParameterError(
      'TargetWorkersExpression',
      'activity_name is not supported by this service: it knows activities by SID only (use activity_sid)',
    );
  }
  return {
    ...(activitySid !== undefined && { activitySid }),
    ...(availableText !== undefined && { availableText, available: ['true', '1', 'yes'].includes(availableText.toLowerCase()) }),
    ...(friendlyName !== undefined && { friendlyName }),
    ...(expression !== undefined && { expression, conditions: conditions! }),
    ...readPaging(query, WORKER_KEY),
  };
}

/** The query string of a Worker list page's URL: its filters, size, page and token. */
export function workerListQueryString(query: WorkerListQuery, page: number, token: string | undefined): string {
  const params = new URLSearchParams();
  if (query.activitySid !== undefined) params.set('ActivitySid', query.activitySid);
  if (query.availableText !== undefined) params.set('Available', query.availableText);
  if (query.friendlyName !== undefined) params.set('FriendlyName', query.friendlyName);
  if (query.expression !== undefined) params.set('TargetWorkersExpression', query.expression);
  return pagedQueryString(params, query.pageSize, page, token);
}
