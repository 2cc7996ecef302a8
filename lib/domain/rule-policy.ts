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
import { parseLifecyclePolicy, type LifecyclePolicy } from './lifecycle-policy.ts';
import { PolicyError, checkTemplates, hasTemplate, isObject, matches, parseMatch, render, type Json, type Match, type Scope } from './policy-match.ts';

export { PolicyError } from './policy-match.ts';

/** Instructions a policy may give: supervise needs an accepted reservation, so never at assignment. */
export const POLICY_INSTRUCTIONS = INSTRUCTION_NAMES.filter((n) => n !== 'supervise');

interface Rule extends Match {
  readonly label: string;
  readonly name: string;
  readonly instruction: InstructionName;
  /** snake_case key → literal or template, as written. */
  readonly values: ReadonlyArray<readonly [string, Json]>;
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
  return { label, name: name || label0, ...parseMatch(raw['match'], fail), instruction: instructionName, values };
}

/** The snake_case keys an instruction requires (INSTRUCTIONS' `required`, in wire names). */
function instructionRequiredKeys(name: InstructionName): string[] {
  const required: readonly string[] = INSTRUCTIONS[name].required ?? [];
  return parametersOf(name)
    .filter((p) => required.includes(p.name))
    .map((p) => p.callbackKey!);
}

export class RulePolicy implements AssignmentPolicy {
  constructor(
    private readonly rules: readonly Rule[],
    /** The same file's lifecycle rules. */
    readonly lifecycle?: LifecyclePolicy,
  ) {}

  decide(callback: AssignmentCallback): AssignmentDecision {
    const scope: Scope = { task: callback.taskAttributeValues, worker: callback.workerAttributeValues };
    const facts = { taskQueueSid: callback.taskQueueSid, workflowSid: callback.workflowSid, ...scope };
    const rule = this.rules.find((r) => matches(r, facts));
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

const POLICY_FIELDS = ['rules', 'availableActivities', 'lifecycle', '$comment'];

/**
 * A policy from its parsed JSON, every rule checked; throws a PolicyError naming rule and field.
 * It holds assignment `rules`, `lifecycle` rules, or both: a file of lifecycle rules alone has no
 * assignment rule (every callback is answered {}). A file with neither says nothing, and is
 * refused as the mistake it most likely is.
 */
export function parsePolicy(json: unknown): RulePolicy {
  const body = json as Record<string, unknown>;
  if (!isObject(json as Json) || !(Array.isArray(body['rules']) || (body['rules'] === undefined && body['lifecycle'] !== undefined))) {
    throw new PolicyError('policy', 'rules', 'must be a list: {"rules": [...]} (it may be left out where lifecycle rules are given)');
  }
  const extra = Object.keys(body).filter((k) => !POLICY_FIELDS.includes(k));
  if (extra.length > 0) throw new PolicyError('policy', extra[0]!, `is not a policy field (${POLICY_FIELDS.filter((f) => f !== '$comment').join(', ')})`);
  return new RulePolicy(((body['rules'] ?? []) as Json[]).map(parseRule), parseLifecyclePolicy(body as Record<string, Json>));
}
