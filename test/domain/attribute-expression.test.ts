/**
 * The lists' filters on attributes: what this service evaluates of TaskRouter's expression
 * language, and the refusal of the rest under the parameter's own name.
 */
import { describe, expect, it } from 'vitest';
import { attributesMatch, parseAttributeConditions } from '#lib/domain/attribute-expression.ts';

const matches = (expression: string, attributes: unknown, fields?: Record<string, string | null>) =>
  attributesMatch(JSON.stringify(attributes), parseAttributeConditions(expression, 'EvaluateTaskAttributes'), fields);

describe('attribute expressions', () => {
  it('cuts at AND outside quotes only, unescapes only the quote and the backslash, and reads own attributes only', () => {
    expect(matches('team == "Sales and Support"', { team: 'Sales and Support' })).toBe(true);
    expect(matches("team == 'Sales AND Support' and tier == 2", { team: 'Sales AND Support', tier: 2 })).toBe(true);
    expect(matches('quote == "say \\"hi\\""', { quote: 'say "hi"' })).toBe(true);
    expect(matches('vip == true AND score != 3', { vip: true, score: 4 })).toBe(true);
    expect(matches('vip == true AND score != 3', { vip: true, score: 3 })).toBe(false);
    expect(matches('missing != "x"', {})).toBe(true);
    expect(matches('constructor == "x"', {})).toBe(false);
    expect(matches('a.b == "x"', { a: ['x'] })).toBe(false);
  });

  it('HAS holds for a list holding the value, and for nothing else', () => {
    expect(matches('skills HAS "es"', { skills: ['en', 'es'] })).toBe(true);
    expect(matches('routing.skills has "es" AND level == 2', { routing: { skills: ['es'] }, level: 2 })).toBe(true);
    expect(matches('skills HAS "fr"', { skills: ['en', 'es'] })).toBe(false);
    expect(matches('skills HAS "es"', { skills: 'es' })).toBe(false);
    expect(matches('skills HAS 2', { skills: ['2'] })).toBe(false);
    expect(matches('skills HAS "es"', {})).toBe(false);
  });

  it('takes its keywords in any case, and a constant on the left: TaskRouter’s match-all 1==1', () => {
    expect(matches('skills Has "es" And level == 2', { skills: ['es'], level: 2 })).toBe(true);
    expect(matches('vip == TRUE', { vip: true })).toBe(true);
    expect(matches('1==1', {})).toBe(true);
    expect(matches('1 == 2', {})).toBe(false);
    expect(matches('"a" != "b" AND skills HAS "es"', { skills: ['es'] })).toBe(true);
    expect(matches('trueish == 1', { trueish: 1 })).toBe(true);
  });

  it('reads the fields given before the attributes, for a one-name path only', () => {
    const fields = { sid: 'WK1', friendly_name: 'Alice', activity_sid: null };
    expect(matches('friendly_name == "Alice"', { friendly_name: 'Bob' }, fields)).toBe(true);
    expect(matches('activity_sid != "WA1"', {}, fields)).toBe(true);
    expect(matches('profile.sid == "x"', { profile: { sid: 'x' } }, fields)).toBe(true);
  });

  it('refuses the rest of the language under the parameter’s name, and what is not JSON matches nothing', () => {
    for (const refused of ['name == "\\u00e9"', 'a == "x" OR b == "y"', 'priority > 3', 'a ==', '== "x"', 'a == "open', 'skills HAS ["es"]', 'a IN ["x"]']) {
      expect(() => parseAttributeConditions(refused, 'TargetWorkersExpression'), refused).toThrow(/Invalid parameter TargetWorkersExpression/);
    }
    expect(() => parseAttributeConditions(`a == "${'x'.repeat(1024)}"`, 'EvaluateTaskAttributes')).toThrow(/at most 1024/);
    expect(attributesMatch('not json', parseAttributeConditions('a != "x"', 'EvaluateTaskAttributes'))).toBe(false);
  });
});
