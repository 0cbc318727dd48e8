import { describe, expect, it } from 'vitest';
import { newRuleId, parseFilteringRuleInput, parseRuleId, ruleKeeps, rulesKeep, type FilteringRule } from '../../functions/domain/filtering-rules.js';
import { ValidationError } from '../../functions/domain/errors.js';
import { detailsOfError } from './support.js';

const rule = (overrides: Partial<FilteringRule>): FilteringRule => ({
  ruleId: 'r1',
  meterApiName: 'api-calls',
  dimensionName: 'region',
  dimensionValues: ['us-east-1'],
  action: 'INCLUDE',
  ...overrides,
});

describe('parseFilteringRuleInput', () => {
  const valid = { meterApiName: 'api-calls', dimensionName: 'region', dimensionValues: ['us', 'eu'], action: 'include' };

  it('accepts a rule and answers the action in upper case', () => {
    expect(parseFilteringRuleInput(valid)).toEqual({ ...valid, action: 'INCLUDE' });
  });

  it('keeps a client-chosen ruleId', () => {
    expect(parseFilteringRuleInput({ ...valid, ruleId: 'rule-1' }).ruleId).toBe('rule-1');
  });

  it.each([
    [{ ...valid, action: 'DROP' }, 'action'],
    [{ ...valid, dimensionValues: [] }, 'dimensionValues'],
    [{ ...valid, dimensionValues: undefined }, 'dimensionValues: is required'],
    [{ ...valid, dimensionValues: ['a', 'a'] }, 'listed twice'],
    [{ ...valid, dimensionValues: [1] }, 'dimensionValues[0]'],
    [{ ...valid, dimensionName: '' }, 'dimensionName'],
    [{ ...valid, meterApiName: undefined }, 'meterApiName: is required'],
    [{ ...valid, ruleId: 'has space' }, 'ruleId'],
    [{ ...valid, colour: 'red' }, 'colour: unknown field'],
    [{ ...valid, dimensionValues: Array.from({ length: 101 }, (_, i) => `v${i}`) }, 'at most 100'],
  ])('rejects %j naming the problem', (body, expected) => {
    expect(detailsOfError(() => parseFilteringRuleInput(body), ValidationError)).toContain(expected);
  });

  it('rejects a body that is not an object', () => {
    expect(detailsOfError(() => parseFilteringRuleInput([valid]), ValidationError)).toMatch(
      /expected a JSON object, got array/,
    );
  });
});

describe('rulesKeep', () => {
  it('INCLUDE keeps only listed values and drops events without the dimension', () => {
    const include = rule({ action: 'INCLUDE' });
    expect(ruleKeeps(include, { region: 'us-east-1' })).toBe(true);
    expect(ruleKeeps(include, { region: 'eu-west-1' })).toBe(false);
    expect(ruleKeeps(include, {})).toBe(false);
  });

  it('EXCLUDE drops listed values and keeps events without the dimension', () => {
    const exclude = rule({ action: 'EXCLUDE' });
    expect(ruleKeeps(exclude, { region: 'us-east-1' })).toBe(false);
    expect(ruleKeeps(exclude, { region: 'eu-west-1' })).toBe(true);
    expect(ruleKeeps(exclude, {})).toBe(true);
  });

  it('applies all rules of a meter together (AND)', () => {
    const rules = [rule({ action: 'INCLUDE' }), rule({ dimensionName: 'tier', dimensionValues: ['free'], action: 'EXCLUDE' })];
    expect(rulesKeep(rules, { region: 'us-east-1', tier: 'pro' })).toBe(true);
    expect(rulesKeep(rules, { region: 'us-east-1', tier: 'free' })).toBe(false);
    expect(rulesKeep(rules, { region: 'eu-west-1', tier: 'pro' })).toBe(false);
    expect(rulesKeep([], {})).toBe(true);
  });

  it('does not read inherited properties as dimensions', () => {
    expect(ruleKeeps(rule({ dimensionName: 'toString', dimensionValues: ['x'] }), {})).toBe(false);
  });
});

describe('parseRuleId', () => {
  it('accepts generated and client-chosen ids', () => {
    const generated = newRuleId();
    expect(generated).toMatch(/^rule-[0-9a-f-]{36}$/);
    expect(parseRuleId(generated)).toBe(generated);
    expect(parseRuleId('region.us:1_a-b')).toBe('region.us:1_a-b');
  });

  it.each([
    [undefined, 'ruleId: must not be empty'],
    ['a b', 'ruleId: "a b" is not valid: letters, digits and _ . : - only'],
    ['a/b', 'is not valid'],
    ['r'.repeat(129), 'ruleId: must be at most 128 characters, got 129'],
  ])('rejects %j', (value, expected) => {
    expect(detailsOfError(() => parseRuleId(value), ValidationError)).toContain(expected);
  });
});
