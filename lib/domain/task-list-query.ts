/**
 * The query of a workspace's Task list (OpenAPI ListTask): the filters this service can answer,
 * its orderings, and the page keys that follow them.
 *
 * Filters by what the record knows of a task: `AssignmentStatus` (one or more), `Priority`,
 * `TaskQueueSid`, `WorkflowSid`, and `EvaluateTaskAttributes` in a small part of TaskRouter's
 * expression language: conditions `attribute == value` or `attribute != value` (a dotted path into
 * the task's attributes; a quoted string, a number, true or false) joined by AND, the form public
 * code uses to find a task by its call or conference (`conference.sid == "CF…"`). The names of
 * queues and workflows, routing targets and add-ons are TaskRouter's configuration, which the
 * record never sees: asking by them is refused, not answered wrongly.
 */
import { InvalidParameterError } from './errors.ts';
import { decodePageToken, type Cursor } from './paging.ts';
import { parseParameter, type ParameterSpec, type Params } from './parameters.ts';
import { TASK_STATUSES, type TaskStatus } from './state-machine.ts';

export const DEFAULT_TASK_PAGE_SIZE = 50;

const PARAMETERS = {
  AssignmentStatus: { name: 'AssignmentStatus', type: { kind: 'list', values: TASK_STATUSES }, pii: false },
  Priority: { name: 'Priority', type: { kind: 'integer', min: 0, max: 2_147_483_647 }, pii: false },
  TaskQueueSid: { name: 'TaskQueueSid', type: { kind: 'sid', prefix: 'WQ' }, pii: false },
  WorkflowSid: { name: 'WorkflowSid', type: { kind: 'sid', prefix: 'WW' }, pii: false },
  EvaluateTaskAttributes: { name: 'EvaluateTaskAttributes', type: { kind: 'string' }, pii: false },
  Ordering: { name: 'Ordering', type: { kind: 'string' }, pii: false },
  PageSize: { name: 'PageSize', type: { kind: 'integer', min: 1, max: 1000 }, pii: false },
  Page: { name: 'Page', type: { kind: 'integer', min: 0, max: 1_000_000 }, pii: false },
  PageToken: { name: 'PageToken', type: { kind: 'string' }, pii: false },
} as const satisfies Record<string, ParameterSpec>;

/** ListTask's filters this service cannot answer, and why. */
const REFUSED: Readonly<Record<string, string>> = {
  WorkflowName: 'is not supported by this service: it knows workflows by SID only (use WorkflowSid)',
  TaskQueueName: 'is not supported by this service: it knows task queues by SID only (use TaskQueueSid)',
  RoutingTarget: 'is not supported by this service: it does not route tasks',
  HasAddons: 'is not supported by this service: it does not know add-ons',
};

/** One condition of EvaluateTaskAttributes: the value at `path` in the attributes is (or is not) `value`. */
export interface AttributeCondition {
  readonly path: readonly string[];
  readonly equal: boolean;
  readonly value: string | number | boolean;
}

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

/** A task's page key: one zero-padded field per sort field (inverted where descending), then its SID. */
const TASK_KEY = /^(\d{15}#){1,2}WT[0-9a-f]{32}$/;
/** The largest 15-digit number, exact in a double: a time in ms or a priority fits under it, and so does its inverse. */
const KEY_TOP = 999_999_999_999_999;

export function taskListKey(
  ordering: readonly OrderingField[],
  task: { readonly createdAt: number; readonly priority: number; readonly taskSid: string },
): string {
  const parts = ordering.map(({ field, descending }) => {
    const value = field === 'DateCreated' ? task.createdAt : task.priority;
    return String(descending ? KEY_TOP - value : value).padStart(15, '0');
  });
  return `${parts.join('#')}#${task.taskSid}`;
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
  const token = read(PARAMETERS.PageToken) as string | undefined;
  const page = (read(PARAMETERS.Page) as number | undefined) ?? 0;
  return {
    ...(statuses !== undefined && { statuses: new Set(statuses) }),
    ...(priority !== undefined && { priority }),
    ...(taskQueueSid !== undefined && { taskQueueSid }),
    ...(workflowSid !== undefined && { workflowSid }),
    ...(expression !== undefined && { expression, attributes: parseAttributeConditions(expression) }),
    ordering: orderingText === undefined ? [{ field: 'DateCreated', descending: false }] : parseOrdering(orderingText),
    ...(orderingText !== undefined && { orderingText }),
    pageSize: (read(PARAMETERS.PageSize) as number | undefined) ?? DEFAULT_TASK_PAGE_SIZE,
    cursor: token === undefined ? { page } : decodePageToken(token, TASK_KEY),
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

const CONDITION = /^\s*([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)\s*(==|!=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|-?\d+(?:\.\d+)?|true|false)\s*$/;

/** EvaluateTaskAttributes in the part of TaskRouter's expression language this service evaluates. */
export function parseAttributeConditions(expression: string): AttributeCondition[] {
  const refuse = () =>
    new InvalidParameterError(
      'EvaluateTaskAttributes',
      'this service evaluates conditions attribute == value or attribute != value (a quoted string, a number, true or false) joined by AND',
    );
  if (expression.length > 1024) throw new InvalidParameterError('EvaluateTaskAttributes', 'must be at most 1024 characters');
  const conditions = expression.split(/\s+(?:AND|and)\s+/).map((part) => {
    const match = CONDITION.exec(part);
    if (!match) throw refuse();
    const literal = match[3]!;
    const value =
      literal === 'true' || literal === 'false' ? literal === 'true' : /^["']/.test(literal) ? literal.slice(1, -1).replace(/\\(.)/g, '$1') : Number(literal);
    return { path: match[1]!.split('.'), equal: match[2] === '==', value };
  });
  return conditions;
}

/** Whether a task's attributes (its JSON text) meet every condition; a path that is not there is no value, so only `!=` holds. */
export function attributesMatch(attributesJson: string, conditions: readonly AttributeCondition[]): boolean {
  let attributes: unknown;
  try {
    attributes = JSON.parse(attributesJson);
  } catch {
    return false;
  }
  return conditions.every(({ path, equal, value }) => {
    let at: unknown = attributes;
    for (const name of path) at = at !== null && typeof at === 'object' && !Array.isArray(at) ? (at as Record<string, unknown>)[name] : undefined;
    return (at === value) === equal;
  });
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
  params.set('PageSize', String(query.pageSize));
  params.set('Page', String(page));
  if (token !== undefined) params.set('PageToken', token);
  return params.toString();
}
