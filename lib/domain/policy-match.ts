/**
 * What the policy file's rules share: the `match` of a rule (task queues, workflows, conditions on
 * the task's and the worker's attributes) and the templates that name attributes. The assignment
 * rules (rule-policy.ts) and the lifecycle rules (lifecycle-policy.ts) both read it.
 *
 * A condition is a value (equal to it, or contained in a list attribute), `{"in": [values]}`,
 * `{"exists": true|false}` or `{"not": condition}`. Attribute names may be dotted paths.
 */
import { canonicalSid } from './sid.ts';

export class PolicyError extends Error {
  constructor(
    readonly rule: string,
    readonly field: string,
    detail: string,
  ) {
    super(`${rule}: ${field} ${detail}`);
  }
}

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export type Condition =
  | { readonly kind: 'equals'; readonly value: Json }
  | { readonly kind: 'in'; readonly values: readonly Json[] }
  | { readonly kind: 'exists'; readonly exists: boolean }
  | { readonly kind: 'not'; readonly condition: Condition };

/** A rule's `match`: which task queues and workflows, and conditions on the task's and the worker's attributes. */
export interface Match {
  readonly taskQueueSids?: readonly string[];
  readonly workflowSids?: readonly string[];
  readonly task: ReadonlyArray<readonly [string, Condition]>;
  readonly worker: ReadonlyArray<readonly [string, Condition]>;
}

/** What a match is tested against: a reservation's routing and the attributes of its task and worker. */
export interface MatchFacts {
  readonly taskQueueSid: string;
  readonly workflowSid: string;
  readonly task: Readonly<Record<string, unknown>>;
  readonly worker: Readonly<Record<string, unknown>>;
}
export const TEMPLATE = /\{\{\s*(task|worker)\.([A-Za-z0-9_.-]+)\s*\}\}/g;
export const WHOLE_TEMPLATE = /^\{\{\s*(task|worker)\.([A-Za-z0-9_.-]+)\s*\}\}$/;

export function isObject(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function hasTemplate(value: Json): boolean {
  return typeof value === 'string' ? /\{\{/.test(value) : Array.isArray(value) && value.some(hasTemplate);
}

export function checkTemplates(value: Json, fail: (detail: string) => never): void {
  if (Array.isArray(value)) {
    for (const v of value) checkTemplates(v, fail);
    return;
  }
  if (typeof value !== 'string') return;
  const rest = value.replace(TEMPLATE, '');
  if (/\{\{|\}\}/.test(rest)) fail(`has a template that is not {{task.<attribute>}} or {{worker.<attribute>}}: "${value}"`);
}

export function parseCondition(raw: Json, fail: (detail: string) => never): Condition {
  if (isObject(raw)) {
    const keys = Object.keys(raw);
    if (keys.length !== 1) fail('must be a value or one of {"in": […]}, {"exists": true|false}, {"not": …}');
    const [key] = keys as [string];
    const operand = raw[key]!;
    if (key === 'in') {
      if (!Array.isArray(operand)) fail('"in" takes a list of values');
      return { kind: 'in', values: operand };
    }
    if (key === 'exists') {
      if (typeof operand !== 'boolean') fail('"exists" takes true or false');
      return { kind: 'exists', exists: operand };
    }
    if (key === 'not') return { kind: 'not', condition: parseCondition(operand, fail) };
    fail(`has an unknown operator "${key}" (use in, exists or not)`);
  }
  checkTemplates(raw, fail);
  return { kind: 'equals', value: raw };
}

export function parseSids(raw: Json | undefined, prefix: 'WQ' | 'WW', fail: (detail: string) => never): string[] | undefined {
  if (raw === undefined) return undefined;
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map((v) => canonicalSid(v, prefix) ?? fail(`must be a ${prefix} SID or a list of them, got ${JSON.stringify(v)}`));
}
/** A rule's `match` (absent: everything), checked; `fail` names the field. */
export function parseMatch(raw: Json | undefined, fail: (field: string, detail: string) => never): Match {
  const match = raw ?? {};
  if (!isObject(match)) fail('match', 'must be an object');
  for (const key of Object.keys(match)) {
    if (!['taskQueueSid', 'workflowSid', 'task', 'worker'].includes(key))
      fail(`match.${key}`, 'is not a match field (taskQueueSid, workflowSid, task, worker)');
  }
  const failAt = (field: string) => (detail: string) => fail(field, detail);
  const conditions = (side: 'task' | 'worker') => {
    const raw = match[side] ?? {};
    if (!isObject(raw)) fail(`match.${side}`, 'must be an object of attribute conditions');
    return Object.entries(raw).map(([path, c]) => [path, parseCondition(c, failAt(`match.${side}.${path}`))] as const);
  };
  const taskQueueSids = parseSids(match['taskQueueSid'], 'WQ', failAt('match.taskQueueSid'));
  const workflowSids = parseSids(match['workflowSid'], 'WW', failAt('match.workflowSid'));
  return { ...(taskQueueSids && { taskQueueSids }), ...(workflowSids && { workflowSids }), task: conditions('task'), worker: conditions('worker') };
}

/** Whether a match holds for these facts. */
export function matches(match: Match, facts: MatchFacts): boolean {
  const scope: Scope = { task: facts.task, worker: facts.worker };
  return (
    (!match.taskQueueSids || match.taskQueueSids.includes(facts.taskQueueSid)) &&
    (!match.workflowSids || match.workflowSids.includes(facts.workflowSid)) &&
    match.task.every(([path, c]) => holds(c, lookup(scope.task, path), scope)) &&
    match.worker.every(([path, c]) => holds(c, lookup(scope.worker, path), scope))
  );
}
export function lookup(values: Readonly<Record<string, unknown>>, path: string): unknown {
  let current: unknown = values;
  for (const part of path.split('.')) {
    if (!isObject(current as Json) || !Object.hasOwn(current as object, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

export interface Scope {
  readonly task: Readonly<Record<string, unknown>>;
  readonly worker: Readonly<Record<string, unknown>>;
}

/** A template's value: the attribute itself for a whole `{{…}}`, else the interpolated string. */
export function render(value: Json, scope: Scope): unknown {
  if (Array.isArray(value)) return value.map((v) => render(v, scope));
  if (typeof value !== 'string') return value;
  const whole = WHOLE_TEMPLATE.exec(value);
  if (whole) return lookup(scope[whole[1] as 'task' | 'worker'], whole[2]!);
  let missing = false;
  const text = value.replace(TEMPLATE, (_, side: 'task' | 'worker', path: string) => {
    const v = lookup(scope[side], path);
    if (v === undefined || v === null || typeof v === 'object') missing = true;
    return String(v);
  });
  return missing ? undefined : text;
}

export function holds(condition: Condition, actual: unknown, scope: Scope): boolean {
  switch (condition.kind) {
    case 'exists':
      return (actual !== undefined) === condition.exists;
    case 'not':
      return !holds(condition.condition, actual, scope);
    case 'in':
      return condition.values.some((v) => holds({ kind: 'equals', value: v }, actual, scope));
    case 'equals': {
      const expected = render(condition.value, scope);
      if (expected === undefined) return false;
      if (Array.isArray(actual) && !Array.isArray(expected)) return actual.some((a) => a === expected);
      return sameJson(actual, expected);
    }
  }
}

/**
 * Whether an attribute equals a policy's value, as JSON (object keys in any order). It walks the
 * policy's value, whose depth the policy file bounds, so an attribute nested thousands of levels
 * deep (a callback's TaskAttributes is anyone's JSON) is a plain no-match, never a stack overflow.
 */
export function sameJson(actual: unknown, expected: unknown): boolean {
  if (typeof expected !== 'object' || expected === null) return actual === expected;
  if (typeof actual !== 'object' || actual === null || Array.isArray(actual) !== Array.isArray(expected)) return false;
  if (Array.isArray(expected)) {
    const list = actual as unknown[];
    return list.length === expected.length && expected.every((e, i) => sameJson(list[i], e));
  }
  const object = actual as Record<string, unknown>;
  const keys = Object.keys(expected);
  return (
    Object.keys(object).length === keys.length && keys.every((k) => Object.hasOwn(object, k) && sameJson(object[k], (expected as Record<string, unknown>)[k]))
  );
}
