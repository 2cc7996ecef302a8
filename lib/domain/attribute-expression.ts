/**
 * The part of TaskRouter's expression language this service evaluates, for the lists' filters on
 * attributes (the Task list's EvaluateTaskAttributes, the Worker list's TargetWorkersExpression):
 * conditions `attribute == value`, `attribute != value` and `attribute HAS value` (a dotted path
 * into the attributes; a quoted string, a number, true or false) joined by AND. That is the form
 * public code uses to find a task by its call or conference (`conference.sid == "CF…"`) and a
 * worker by its address or skill (`contact_uri == "client:alice"`, `skills HAS "es"`). The rest
 * of the language (OR, IN, CONTAINS, comparisons, parentheses) is refused, not answered wrongly.
 */
import { InvalidParameterError } from './errors.ts';

/** One condition: the value at `path` is (`==`) or is not (`!=`) `value`, or is a list holding it (`HAS`). */
export interface AttributeCondition {
  readonly path: readonly string[];
  readonly operator: '==' | '!=' | 'HAS';
  readonly value: string | number | boolean;
}

/** A quoted string's only escapes are its quote and the backslash. */
const CONDITION =
  /^\s*([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)\s*(==|!=|\s(?:HAS|has)\s)\s*("(?:[^"\\]|\\["\\])*"|'(?:[^'\\]|\\['\\])*'|-?\d+(?:\.\d+)?|true|false)\s*$/;
const AND = /^\s+(?:AND|and)\s+/;

/** The expression cut at each AND (or and) outside a quoted string. */
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
    const literal = match[3]!;
    const value =
      literal === 'true' || literal === 'false'
        ? literal === 'true'
        : /^["']/.test(literal)
          ? literal.slice(1, -1).replace(/\\(["'\\])/g, '$1')
          : Number(literal);
    const operator = match[2]!.trim().toUpperCase() as AttributeCondition['operator'];
    return { path: match[1]!.split('.'), operator, value };
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
  return conditions.every(({ path, operator, value }) => {
    let at: unknown;
    if (path.length === 1 && Object.hasOwn(fields, path[0]!)) at = fields[path[0]!];
    else {
      at = attributes;
      // Own properties only: a name such as `constructor` is no attribute.
      for (const name of path) {
        at = at !== null && typeof at === 'object' && !Array.isArray(at) && Object.hasOwn(at, name) ? (at as Record<string, unknown>)[name] : undefined;
      }
    }
    if (operator === 'HAS') return Array.isArray(at) && at.includes(value);
    return (at === value) === (operator === '==');
  });
}
