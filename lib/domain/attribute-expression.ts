/**
 * The part of TaskRouter's expression language this service evaluates, for the lists' filters on
 * attributes (the Task list's EvaluateTaskAttributes, the Worker list's TargetWorkersExpression):
 * conditions `attribute == value`, `attribute != value` and `attribute HAS value` (a dotted path
 * into the attributes; a quoted string, a number, true or false) joined by AND, the keywords in any
 * case, and a constant on the left (`1==1`, TaskRouter's expression that matches all). That is the form
 * public code uses to find a task by its call or conference (`conference.sid == "CF…"`) and a
 * worker by its address or skill (`contact_uri == "client:alice"`, `skills HAS "es"`). The rest
 * of the language (OR, IN, CONTAINS, comparisons, parentheses) is refused, not answered wrongly.
 */
import { InvalidParameterError } from './errors.ts';

type Literal = string | number | boolean;

/**
 * One condition: the value on the left (an attribute at `path`, or a constant) is (`==`) or is not
 * (`!=`) `value`, or is a list holding it (`HAS`).
 */
export interface AttributeCondition {
  readonly left: { readonly path: readonly string[] } | { readonly constant: Literal };
  readonly operator: '==' | '!=' | 'HAS';
  readonly value: Literal;
}

/** A quoted string (its only escapes are its quote and the backslash), a number, true or false. */
const LITERAL = String.raw`"(?:[^"\\]|\\["\\])*"|'(?:[^'\\]|\\['\\])*'|-?\d+(?:\.\d+)?|true|false`;
const PATH = String.raw`[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*`;
const CONDITION = new RegExp(String.raw`^\s*(?:(${LITERAL})|(${PATH}))\s*(==|!=|\sHAS\s)\s*(${LITERAL})\s*$`, 'i');
const AND = /^\s+AND\s+/i;

function literalOf(text: string): Literal {
  const lower = text.toLowerCase();
  if (lower === 'true' || lower === 'false') return lower === 'true';
  return /^["']/.test(text) ? text.slice(1, -1).replace(/\\(["'\\])/g, '$1') : Number(text);
}

/** The expression cut at each AND (in any case) outside a quoted string. */
function conditionsOf(expression: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quote: string | undefined;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i]!;
    if (quote !== undefined) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      continue;
    }
    const and = /\s/.test(c) ? AND.exec(expression.slice(i)) : null;
    if (and) {
      parts.push(expression.slice(start, i));
      start = i + and[0].length;
      i = start - 1;
    }
  }
  parts.push(expression.slice(start));
  return parts;
}

/** An expression's conditions; `parameter` names it in the refusal of what this service does not evaluate. */
export function parseAttributeConditions(expression: string, parameter: string): AttributeCondition[] {
  if (expression.length > 1024) throw new InvalidParameterError(parameter, 'must be at most 1024 characters');
  return conditionsOf(expression).map((part) => {
    const match = CONDITION.exec(part);
    if (!match) {
      throw new InvalidParameterError(
        parameter,
        'this service evaluates conditions attribute == value, attribute != value or attribute HAS value (a quoted string, a number, true or false) joined by AND',
      );
    }
    const left = match[1] !== undefined ? { constant: literalOf(match[1]) } : { path: match[2]!.split('.') };
    const operator = match[3]!.trim().toUpperCase() as AttributeCondition['operator'];
    return { left, operator, value: literalOf(match[4]!) };
  });
}

/**
 * Whether attributes (their JSON text) meet every condition. A path that is not there is no value,
 * so only `!=` holds; `HAS` holds for a list with an element equal to the value. `fields` are read
 * before the attributes for a one-name path (a worker's `sid`, `friendly_name`, `activity_sid`).
 */
export function attributesMatch(
  attributesJson: string,
  conditions: readonly AttributeCondition[],
  fields: Readonly<Record<string, string | null>> = {},
): boolean {
  let attributes: unknown;
  try {
    attributes = JSON.parse(attributesJson);
  } catch {
    return false;
  }
  return conditions.every(({ left, operator, value }) => {
    let at: unknown;
    if ('constant' in left) at = left.constant;
    else if (left.path.length === 1 && Object.hasOwn(fields, left.path[0]!)) at = fields[left.path[0]!];
    else {
      at = attributes;
      // Own properties only: a name such as `constructor` is no attribute.
      for (const name of left.path) {
        at = at !== null && typeof at === 'object' && !Array.isArray(at) && Object.hasOwn(at, name) ? (at as Record<string, unknown>)[name] : undefined;
      }
    }
    if (operator === 'HAS') return Array.isArray(at) && at.includes(value);
    return (at === value) === (operator === '==');
  });
}
