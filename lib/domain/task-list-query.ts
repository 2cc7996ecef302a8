/**
 * The query of a workspace's Task list (OpenAPI ListTask): the filters this service can answer,
 * its orderings, and the page keys that follow them.
 *
 * Filters by what the record knows of a task: `AssignmentStatus` (one or more), `Priority`,
 * `TaskQueueSid`, `WorkflowSid`, and `EvaluateTaskAttributes` in the part of TaskRouter's
 * expression language lib/domain/attribute-expression.ts evaluates. The names of
 * queues and workflows, routing targets and add-ons are TaskRouter's configuration, which the
 * record never sees: asking by them is refused, not answered wrongly.
 */
import { parseAttributeConditions, type AttributeCondition } from './attribute-expression.ts';
import { InvalidParameterError } from './errors.ts';
import { pagedQueryString, readPaging } from './list-query.ts';
import type { Cursor } from './paging.ts';
import { parseParameter, type ParameterSpec, type Params } from './parameters.ts';
import { TASK_STATUSES, type TaskStatus } from './state-machine.ts';

const PARAMETERS = {
  AssignmentStatus: { name: 'AssignmentStatus', type: { kind: 'list', values: TASK_STATUSES }, pii: false },
  Priority: { name: 'Priority', type: { kind: 'integer', min: 0, max: 2_147_483_647 }, pii: false },
  TaskQueueSid: { name: 'TaskQueueSid', type: { kind: 'sid', prefix: 'WQ' }, pii: false },
  WorkflowSid: { name: 'WorkflowSid', type: { kind: 'sid', prefix: 'WW' }, pii: false },
  EvaluateTaskAttributes: { name: 'EvaluateTaskAttributes', type: { kind: 'string' }, pii: false },
  Ordering: { name: 'Ordering', type: { kind: 'string' }, pii: false },
} as const satisfies Record<string, ParameterSpec>;

/** ListTask's filters this service cannot answer, and why. */
const REFUSED: Readonly<Record<string, string>> = {
  WorkflowName: 'is not supported by this service: it knows workflows by SID only (use WorkflowSid)',
  TaskQueueName: 'is not supported by this service: it knows task queues by SID only (use TaskQueueSid)',
  RoutingTarget: 'is not supported by this service: it does not route tasks',
  HasAddons: 'is not supported by this service: it does not know add-ons',
};

/** One sort field of an Ordering, with its direction. */
export interface OrderingField {
  readonly field: 'DateCreated' | 'Priority';
  readonly descending: boolean;
}

export interface TaskListQuery {
  readonly statuses?: ReadonlySet<TaskStatus>;
  readonly priority?: number;
  readonly taskQueueSid?: string;
  readonly workflowSid?: string;
  readonly attributes?: readonly AttributeCondition[];
  /** The text of EvaluateTaskAttributes, for the page URLs. */
  readonly expression?: string;
  /** The sort fields, DateCreated ascending unless Ordering says; the SID last, always. */
  readonly ordering: readonly OrderingField[];
  /** The text of Ordering, for the page URLs. */
  readonly orderingText?: string;
  readonly pageSize: number;
  readonly cursor: Cursor;
}

/**
 * A task's page key: per sort field its tag (C DateCreated, P Priority; lower case descending) and
 * its value in 15 digits (inverted where descending), then the task's SID, its hex digits inverted
 * when the last field is descending: ties (tasks created in the same second, which is all a
 * task's creation date tells) then come in the reverse of their ascending order, so that
 * `DateCreated:desc` lists exactly the reverse of `DateCreated:asc`. The tags tie a PageToken to
 * the Ordering it was issued under.
 */
const TASK_KEY = /^([CcPp]\d{15}#){1,2}WT[0-9a-f]{32}$/;
/** The largest 15-digit number, exact in a double: a time in ms or a priority fits under it, and so does its inverse. */
const KEY_TOP = 999_999_999_999_999;

const tagOf = ({ field, descending }: OrderingField) => {
  const tag = field === 'DateCreated' ? 'C' : 'P';
  return descending ? tag.toLowerCase() : tag;
};

export function taskListKey(
  ordering: readonly OrderingField[],
  task: { readonly createdAt: number; readonly priority: number; readonly taskSid: string },
): string {
  const parts = ordering.map((order) => {
    const value = order.field === 'DateCreated' ? task.createdAt : task.priority;
    return `${tagOf(order)}${String(order.descending ? KEY_TOP - value : value).padStart(15, '0')}`;
  });
  const descending = ordering[ordering.length - 1]?.descending === true;
  return `${parts.join('#')}#${descending ? invertedSid(task.taskSid) : task.taskSid}`;
}

/** A SID whose hex digits are inverted (0 for f, f for 0…): it sorts in the reverse order of the SIDs. */
function invertedSid(sid: string): string {
  return sid.slice(0, 2) + [...sid.slice(2)].map((digit) => (15 - Number.parseInt(digit, 16)).toString(16)).join('');
}

export function readTaskListQuery(query: Params): TaskListQuery {
  for (const [name, why] of Object.entries(REFUSED)) if (query.has(name)) throw new InvalidParameterError(name, why);
  const read = (spec: ParameterSpec) => {
    const raw = query.get(spec.name);
    return raw === undefined ? undefined : parseParameter(spec, raw);
  };
  const statuses = read(PARAMETERS.AssignmentStatus) as readonly TaskStatus[] | undefined;
  const priority = read(PARAMETERS.Priority) as number | undefined;
  const taskQueueSid = read(PARAMETERS.TaskQueueSid) as string | undefined;
  const workflowSid = read(PARAMETERS.WorkflowSid) as string | undefined;
  const expression = read(PARAMETERS.EvaluateTaskAttributes) as string | undefined;
  const orderingText = read(PARAMETERS.Ordering) as string | undefined;
  const ordering: OrderingField[] = orderingText === undefined ? [{ field: 'DateCreated', descending: false }] : parseOrdering(orderingText);
  const paging = readPaging(query, TASK_KEY);
  const key = paging.cursor.after ?? paging.cursor.before;
  const tags = key
    ?.split('#')
    .slice(0, -1)
    .map((part) => part[0])
    .join('');
  if (tags !== undefined && tags !== ordering.map(tagOf).join('')) {
    throw new InvalidParameterError('PageToken', 'was issued for another Ordering: keep the Ordering of the page it came from');
  }
  return {
    ...(statuses !== undefined && { statuses: new Set(statuses) }),
    ...(priority !== undefined && { priority }),
    ...(taskQueueSid !== undefined && { taskQueueSid }),
    ...(workflowSid !== undefined && { workflowSid }),
    ...(expression !== undefined && { expression, attributes: parseAttributeConditions(expression, 'EvaluateTaskAttributes') }),
    ordering,
    ...(orderingText !== undefined && { orderingText }),
    ...paging,
  };
}

/** `Attribute:Order` pairs, comma-separated: DateCreated or Priority, asc or desc; each field once. */
export function parseOrdering(text: string): OrderingField[] {
  const fields: OrderingField[] = [];
  for (const part of text.split(',')) {
    const match = /^\s*(DateCreated|Priority|VirtualStartTime):(asc|desc)\s*$/.exec(part);
    if (!match) throw new InvalidParameterError('Ordering', 'must be Attribute:Order pairs, comma-separated: DateCreated or Priority, asc or desc');
    if (match[1] === 'VirtualStartTime')
      throw new InvalidParameterError('Ordering', 'VirtualStartTime is not supported by this service: it does not know a task’s virtual start time');
    const field = match[1] as OrderingField['field'];
    if (fields.some((f) => f.field === field)) throw new InvalidParameterError('Ordering', `names ${field} twice`);
    fields.push({ field, descending: match[2] === 'desc' });
  }
  return fields;
}

/** The query string of a Task list page's URL: its filters, ordering, size, page and token. */
export function taskListQueryString(query: TaskListQuery, page: number, token: string | undefined): string {
  const params = new URLSearchParams();
  for (const status of query.statuses ?? []) params.append('AssignmentStatus', status);
  if (query.priority !== undefined) params.set('Priority', String(query.priority));
  if (query.taskQueueSid !== undefined) params.set('TaskQueueSid', query.taskQueueSid);
  if (query.workflowSid !== undefined) params.set('WorkflowSid', query.workflowSid);
  if (query.expression !== undefined) params.set('EvaluateTaskAttributes', query.expression);
  if (query.orderingText !== undefined) params.set('Ordering', query.orderingText);
  return pagedQueryString(params, query.pageSize, page, token);
}
