/**
 * The assignment policy: ordered rules, the first whose `match` holds gives the instruction,
 * written as TaskRouter's snake_case callback JSON. Values may name the callback's attributes
 * (`{{task.from}}`, `{{worker.contact_uri}}`). Every literal is checked against the parameter table
 * when the policy is loaded; what a template yields is checked when rendered.
 *
 *   {"rules": [{"name": "voice calls join a conference",
 *               "match": {"taskQueueSid": "WQ…", "task": {"type": "voice"}, "worker": {"skills": "support"}},
 *               "instruction": {"instruction": "conference", "from": "{{task.to}}", "timeout": 20}}]}
 *
 * A condition is a value (equal to it, or contained in a list attribute), `{"in": [values]}`,
 * `{"exists": true|false}` or `{"not": condition}`. Attribute names may be dotted paths.
 */
import type { AssignmentCallback } from './assignment-callback.ts';
import type { AssignmentDecision, AssignmentPolicy } from './assignment-policy.ts';
import { contactUriOf } from './assignment-callback.ts';
import { InvalidParameterError } from './errors.ts';
import { INSTRUCTIONS, callbackInstructionJson, instructionAction, parametersOf, parseCallbackValue } from './instructions.ts';
import { INSTRUCTION_NAMES, type InstructionName, type ParameterValue } from './parameters.ts';
import { canonicalSid } from './sid.ts';

/** Instructions a policy may give: supervise needs an accepted reservation, so never at assignment. */
export const POLICY_INSTRUCTIONS = INSTRUCTION_NAMES.filter((n) => n !== 'supervise');

export class PolicyError extends Error {
  constructor(
    readonly rule: string,
    readonly field: string,
    detail: string,
  ) {
    super(`${rule}: ${field} ${detail}`);
  }
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

type Condition =
  | { readonly kind: 'equals'; readonly value: Json }
  | { readonly kind: 'in'; readonly values: readonly Json[] }
  | { readonly kind: 'exists'; readonly exists: boolean }
  | { readonly kind: 'not'; readonly condition: Condition };

interface Rule {
  readonly label: string;
  readonly name: string;
  readonly taskQueueSids?: readonly string[];
  readonly workflowSids?: readonly string[];
  readonly task: ReadonlyArray<readonly [string, Condition]>;
  readonly worker: ReadonlyArray<readonly [string, Condition]>;
  readonly instruction: InstructionName;
  /** snake_case key → literal or template, as written. */
  readonly values: ReadonlyArray<readonly [string, Json]>;
}

const TEMPLATE = /\{\{\s*(task|worker)\.([A-Za-z0-9_.-]+)\s*\}\}/g;
const WHOLE_TEMPLATE = /^\{\{\s*(task|worker)\.([A-Za-z0-9_.-]+)\s*\}\}$/;

function isObject(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasTemplate(value: Json): boolean {
  return typeof value === 'string' ? /\{\{/.test(value) : Array.isArray(value) && value.some(hasTemplate);
}

function checkTemplates(value: Json, fail: (detail: string) => never): void {
  if (Array.isArray(value)) {
    for (const v of value) checkTemplates(v, fail);
    return;
  }
  if (typeof value !== 'string') return;
  const rest = value.replace(TEMPLATE, '');
  if (/\{\{|\}\}/.test(rest)) fail(`has a template that is not {{task.<attribute>}} or {{worker.<attribute>}}: "${value}"`);
}

function parseCondition(raw: Json, fail: (detail: string) => never): Condition {
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

function parseSids(raw: Json | undefined, prefix: 'WQ' | 'WW', fail: (detail: string) => never): string[] | undefined {
  if (raw === undefined) return undefined;
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map((v) => canonicalSid(v, prefix) ?? fail(`must be a ${prefix} SID or a list of them, got ${JSON.stringify(v)}`));
}

function parseRule(raw: Json, index: number): Rule {
  const label0 = `rule ${index + 1}`;
  if (!isObject(raw)) throw new PolicyError(label0, 'rule', 'must be an object with "instruction" and optionally "name" and "match"');
  const name = typeof raw['name'] === 'string' ? raw['name'] : '';
  const label = name ? `${label0} ("${name}")` : label0;
  const fail: (field: string, detail: string) => never = (field, detail) => {
    throw new PolicyError(label, field, detail);
  };
  const failAt = (field: string) => (detail: string) => fail(field, detail);
  for (const key of Object.keys(raw)) if (!['name', 'match', 'instruction'].includes(key)) fail(key, 'is not a rule field (name, match, instruction)');

  const match = raw['match'] ?? {};
  if (!isObject(match)) fail('match', 'must be an object');
  for (const key of Object.keys(match)) {
    if (!['taskQueueSid', 'workflowSid', 'task', 'worker'].includes(key))
      fail(`match.${key}`, 'is not a match field (taskQueueSid, workflowSid, task, worker)');
  }
  const conditions = (side: 'task' | 'worker') => {
    const raw = match[side] ?? {};
    if (!isObject(raw)) fail(`match.${side}`, 'must be an object of attribute conditions');
    return Object.entries(raw).map(([path, c]) => [path, parseCondition(c, failAt(`match.${side}.${path}`))] as const);
  };

  const instruction = raw['instruction'];
  if (!isObject(instruction)) fail('instruction', 'must be an object such as {"instruction": "accept"}');
  const which = instruction['instruction'];
  const instructionName = POLICY_INSTRUCTIONS.find((n) => typeof which === 'string' && n === which.toLowerCase());
  if (!instructionName) fail('instruction.instruction', `must be one of ${POLICY_INSTRUCTIONS.join(', ')}, got ${JSON.stringify(which)}`);
  const byKey = new Map(parametersOf(instructionName).map((p) => [p.callbackKey!, p]));
  const values: [string, Json][] = [];
  for (const [key, value] of Object.entries(instruction)) {
    if (key === 'instruction') continue;
    const field = `instruction.${key}`;
    const spec = byKey.get(key);
    if (!spec) fail(field, `is not a parameter of the ${instructionName} instruction (${[...byKey.keys()].join(', ') || 'it takes none'})`);
    checkTemplates(value, failAt(field));
    if (!hasTemplate(value)) {
      try {
        parseCallbackValue(spec, value, key);
      } catch (error) {
        fail(field, (error as Error).message.replace(/^Invalid parameter \S+: /, ''));
      }
    }
    values.push([key, value]);
  }
  for (const required of instructionRequiredKeys(instructionName)) {
    if (!values.some(([k]) => k === required)) fail(`instruction.${required}`, `is required by the ${instructionName} instruction`);
  }
  const taskQueueSids = parseSids(match['taskQueueSid'], 'WQ', failAt('match.taskQueueSid'));
  const workflowSids = parseSids(match['workflowSid'], 'WW', failAt('match.workflowSid'));
  return {
    label,
    name: name || label0,
    ...(taskQueueSids && { taskQueueSids }),
    ...(workflowSids && { workflowSids }),
    task: conditions('task'),
    worker: conditions('worker'),
    instruction: instructionName,
    values,
  };
}

/** The snake_case keys an instruction requires (INSTRUCTIONS' `required`, in wire names). */
function instructionRequiredKeys(name: InstructionName): string[] {
  const required: readonly string[] = INSTRUCTIONS[name].required ?? [];
  return parametersOf(name)
    .filter((p) => required.includes(p.name))
    .map((p) => p.callbackKey!);
}

function lookup(values: Readonly<Record<string, unknown>>, path: string): unknown {
  let current: unknown = values;
  for (const part of path.split('.')) {
    if (!isObject(current as Json) || !Object.hasOwn(current as object, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

interface Scope {
  readonly task: Readonly<Record<string, unknown>>;
  readonly worker: Readonly<Record<string, unknown>>;
}

/** A template's value: the attribute itself for a whole `{{…}}`, else the interpolated string. */
function render(value: Json, scope: Scope): unknown {
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

function holds(condition: Condition, actual: unknown, scope: Scope): boolean {
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
function sameJson(actual: unknown, expected: unknown): boolean {
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

export class RulePolicy implements AssignmentPolicy {
  constructor(private readonly rules: readonly Rule[]) {}

  decide(callback: AssignmentCallback): AssignmentDecision {
    const scope: Scope = { task: callback.taskAttributeValues, worker: callback.workerAttributeValues };
    const rule = this.rules.find(
      (r) =>
        (!r.taskQueueSids || r.taskQueueSids.includes(callback.taskQueueSid)) &&
        (!r.workflowSids || r.workflowSids.includes(callback.workflowSid)) &&
        r.task.every(([path, c]) => holds(c, lookup(scope.task, path), scope)) &&
        r.worker.every(([path, c]) => holds(c, lookup(scope.worker, path), scope)),
    );
    if (!rule) return { answer: {} };
    const byKey = new Map(parametersOf(rule.instruction).map((p) => [p.callbackKey!, p]));
    const values = new Map<string, ParameterValue>();
    try {
      for (const [key, raw] of rule.values) {
        const rendered = render(raw, scope);
        // An attribute the callback does not carry leaves the key out (e.g. `to` then falls back to contact_uri).
        if (rendered === undefined || rendered === null) continue;
        const spec = byKey.get(key)!;
        values.set(spec.name, parseCallbackValue(spec, rendered, key));
      }
      const action = instructionAction(rule.instruction, values, contactUriOf(callback.workerAttributeValues) ?? null);
      return { rule: rule.name, action, answer: callbackInstructionJson(rule.instruction, values) };
    } catch (error) {
      if (!(error instanceof InvalidParameterError)) throw error;
      // The rule cannot be rendered for this callback: give no instruction, the REST API decides.
      const key = parametersOf(rule.instruction).find((p) => p.name === error.parameter)?.callbackKey ?? error.parameter;
      return { rule: rule.name, answer: {}, unrendered: `${rule.label}: instruction.${key} ${error.message.replace(/^Invalid parameter \S+: /, '')}` };
    }
  }
}

/** A policy from its parsed JSON, every rule checked; throws a PolicyError naming rule and field. */
export function parsePolicy(json: unknown): RulePolicy {
  if (!isObject(json as Json) || !Array.isArray((json as Record<string, unknown>)['rules'])) {
    throw new PolicyError('policy', 'rules', 'must be a list: {"rules": [...]}');
  }
  const extra = Object.keys(json as object).filter((k) => k !== 'rules' && k !== '$comment');
  if (extra.length > 0) throw new PolicyError('policy', extra[0]!, 'is not a policy field (rules)');
  return new RulePolicy((json as { rules: Json[] }).rules.map(parseRule));
}
