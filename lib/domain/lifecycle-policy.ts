/**
 * The policy file's lifecycle part: what happens to a reservation after it is assigned, decided
 * on the server instead of in an agent's browser.
 *
 *   {"rules": [...],
 *    "availableActivities": ["WA…available"],
 *    "lifecycle": [{"name": "voice", "match": {"task": {"type": "voice"}},
 *                   "wrapUpSeconds": 60,
 *                   "activities": {"accepted": "WA…busy", "wrapping": "WA…wrapup", "completed": "WA…available"},
 *                   "attentionAfterSeconds": 3600, "onAttention": "flag"}]}
 *
 * `match` has the assignment rules' syntax; the first rule that matches a reservation when it is
 * created is its rule for life (the reservation keeps the rule's name and its wrap-up limit).
 * Every field is checked at start-up: a bad one stops it, naming the rule and the field.
 */
import { canonicalSid } from './sid.ts';
import { PolicyError, isObject, matches, parseMatch, type Json, type Match, type MatchFacts } from './policy-match.ts';

/** The outcomes after which a rule may move the worker. */
export const LIFECYCLE_OUTCOMES = ['accepted', 'wrapping', 'completed', 'rejected', 'timeout', 'canceled'] as const;
export type LifecycleOutcome = (typeof LIFECYCLE_OUTCOMES)[number];

export const ON_ATTENTION = ['flag', 'complete'] as const;
export type OnAttention = (typeof ON_ATTENTION)[number];

/** TaskRouter's longest reservation timeout: no wrap-up limit, and no extension, is longer. */
export const MAX_WRAP_UP_SECONDS = 86_400;
/** A week: attention later than that is no attention. */
export const MAX_ATTENTION_SECONDS = 604_800;

export interface LifecycleRule extends Match {
  readonly name: string;
  readonly wrapUpSeconds?: number;
  readonly activities: Readonly<Partial<Record<LifecycleOutcome, string>>>;
  readonly attentionAfterSeconds?: number;
  readonly onAttention: OnAttention;
}

const RULE_FIELDS = ['name', 'match', 'wrapUpSeconds', 'activities', 'attentionAfterSeconds', 'onAttention'];

function seconds(raw: Json | undefined, max: number, fail: (detail: string) => never): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1 || raw > max) fail(`must be a whole number of seconds from 1 to ${max}`);
  return raw;
}

function activitySid(raw: Json, fail: (detail: string) => never): string {
  return canonicalSid(raw, 'WA') ?? fail(`must be an Activity SID (WA followed by 32 hex digits), got ${JSON.stringify(raw)}`);
}

function parseLifecycleRule(raw: Json, index: number, names: Set<string>): LifecycleRule {
  const position = `lifecycle rule ${index + 1}`;
  if (!isObject(raw)) throw new PolicyError(position, 'rule', 'must be an object with "name" and optionally "match", "wrapUpSeconds", "activities", …');
  const name = raw['name'];
  if (typeof name !== 'string' || name.trim() === '') throw new PolicyError(position, 'name', 'is required: reservations keep their rule by its name');
  const label = `${position} ("${name}")`;
  const fail: (field: string, detail: string) => never = (field, detail) => {
    throw new PolicyError(label, field, detail);
  };
  if (names.has(name)) fail('name', 'is the name of an earlier lifecycle rule: names must be unique');
  names.add(name);
  for (const key of Object.keys(raw)) if (!RULE_FIELDS.includes(key)) fail(key, `is not a lifecycle rule field (${RULE_FIELDS.join(', ')})`);
  const wrapUpSeconds = seconds(raw['wrapUpSeconds'], MAX_WRAP_UP_SECONDS, (d) => fail('wrapUpSeconds', d));
  const attentionAfterSeconds = seconds(raw['attentionAfterSeconds'], MAX_ATTENTION_SECONDS, (d) => fail('attentionAfterSeconds', d));
  const rawActivities = raw['activities'] ?? {};
  if (!isObject(rawActivities)) fail('activities', `must be an object of outcome → Activity SID (${LIFECYCLE_OUTCOMES.join(', ')})`);
  const activities: Partial<Record<LifecycleOutcome, string>> = {};
  for (const [outcome, value] of Object.entries(rawActivities)) {
    if (!(LIFECYCLE_OUTCOMES as readonly string[]).includes(outcome)) {
      fail(`activities.${outcome}`, `is not an outcome (${LIFECYCLE_OUTCOMES.join(', ')})`);
    }
    activities[outcome as LifecycleOutcome] = activitySid(value, (d) => fail(`activities.${outcome}`, d));
  }
  const onAttention = raw['onAttention'] ?? 'flag';
  if (typeof onAttention !== 'string' || !(ON_ATTENTION as readonly string[]).includes(onAttention)) {
    fail('onAttention', `must be one of ${ON_ATTENTION.join(', ')}, got ${JSON.stringify(onAttention)}`);
  }
  if (raw['onAttention'] !== undefined && attentionAfterSeconds === undefined) fail('onAttention', 'needs attentionAfterSeconds');
  return {
    name,
    ...parseMatch(raw['match'], fail),
    ...(wrapUpSeconds !== undefined && { wrapUpSeconds }),
    activities,
    ...(attentionAfterSeconds !== undefined && { attentionAfterSeconds }),
    onAttention: onAttention as OnAttention,
  };
}

export class LifecyclePolicy {
  readonly #byName: ReadonlyMap<string, LifecycleRule>;

  constructor(
    readonly rules: readonly LifecycleRule[],
    /** The activities the policy says are available; undefined when it names none. */
    readonly availableActivities: ReadonlySet<string> | undefined,
  ) {
    this.#byName = new Map(rules.map((r) => [r.name, r]));
  }

  /** The first rule that matches a reservation being created. */
  ruleFor(facts: MatchFacts): LifecycleRule | undefined {
    return this.rules.find((r) => matches(r, facts));
  }

  /** A reservation's rule, by the name it keeps (undefined if a later policy dropped it). */
  rule(name: string | undefined): LifecycleRule | undefined {
    return name === undefined ? undefined : this.#byName.get(name);
  }

  /** Whether an activity is available (takes work). Without availableActivities, none is known to be. */
  isAvailable(activitySid: string): boolean {
    return this.availableActivities?.has(activitySid) ?? false;
  }

  /** A Worker's `available`: whether its activity takes work, or null where that is not known (no availableActivities, or no activity yet). */
  availability(activitySid: string | null): boolean | null {
    return this.availableActivities === undefined || activitySid === null ? null : this.availableActivities.has(activitySid);
  }
}

/** A policy without lifecycle rules: reservations get none, workers move only as told. */
export const NO_LIFECYCLE = new LifecyclePolicy([], undefined);

/** The lifecycle part of a policy file's JSON, every rule checked; throws a PolicyError naming rule and field. */
export function parseLifecyclePolicy(json: Readonly<Record<string, Json>>): LifecyclePolicy {
  const rawAvailable = json['availableActivities'];
  let available: Set<string> | undefined;
  if (rawAvailable !== undefined) {
    if (!Array.isArray(rawAvailable)) throw new PolicyError('policy', 'availableActivities', 'must be a list of Activity SIDs');
    available = new Set(
      rawAvailable.map((v, i) =>
        activitySid(v, (d) => {
          throw new PolicyError('policy', `availableActivities[${i}]`, d);
        }),
      ),
    );
  }
  const rawRules = json['lifecycle'] ?? [];
  if (!Array.isArray(rawRules)) throw new PolicyError('policy', 'lifecycle', 'must be a list of lifecycle rules: {"lifecycle": [...]}');
  const names = new Set<string>();
  return new LifecyclePolicy(
    rawRules.map((r, i) => parseLifecycleRule(r, i, names)),
    available,
  );
}
