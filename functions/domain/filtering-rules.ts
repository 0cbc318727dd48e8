import { randomUUID } from 'node:crypto';
import { ValidationError } from './errors.js';
import { dimensionNameRule, meterApiNameRule } from './meters.js';
import { describeType, isJsonObject, Problems } from './validation.js';

export const RULE_ACTIONS = ['INCLUDE', 'EXCLUDE'] as const;
export type RuleAction = (typeof RULE_ACTIONS)[number];

/**
 * A meter's rules all apply (logical AND). INCLUDE keeps only events whose value for the dimension
 * is listed; an event without that dimension is dropped. EXCLUDE drops events whose value is listed.
 */
export interface FilteringRule {
  readonly ruleId: string;
  readonly meterApiName: string;
  readonly dimensionName: string;
  readonly dimensionValues: readonly string[];
  readonly action: RuleAction;
}

export type FilteringRuleInput = Omit<FilteringRule, 'ruleId'> & { readonly ruleId?: string };

export const RULE_LIMITS = {
  ruleIdMaxLength: 128,
  maxValuesPerRule: 100,
  valueMaxLength: 256,
} as const;

export const RULE_ID_PATTERN = /^[A-Za-z0-9_.:-]+$/;

export const ruleIdRule = {
  maxLength: RULE_LIMITS.ruleIdMaxLength,
  pattern: RULE_ID_PATTERN,
  patternHint: 'letters, digits and _ . : - only',
};

const ALLOWED_FIELDS = ['ruleId', 'meterApiName', 'dimensionName', 'dimensionValues', 'action'];

export function parseFilteringRuleInput(body: unknown): FilteringRuleInput {
  if (!isJsonObject(body)) {
    throw new ValidationError('Invalid filtering rule', `expected a JSON object, got ${describeType(body)}`);
  }
  const problems = new Problems();
  problems.rejectUnknownFields(body, ALLOWED_FIELDS);
  const ruleId = problems.optionalString(body, 'ruleId', ruleIdRule);
  const meterApiName = problems.requiredString(body, 'meterApiName', meterApiNameRule);
  const dimensionName = problems.requiredString(body, 'dimensionName', dimensionNameRule);
  let dimensionValues: string[] | undefined;
  if (body.dimensionValues === undefined || body.dimensionValues === null) {
    problems.add('dimensionValues', 'is required (a non-empty array of strings)');
  } else {
    dimensionValues = problems.stringArray('dimensionValues', body.dimensionValues, {
      minItems: 1,
      maxItems: RULE_LIMITS.maxValuesPerRule,
      item: { maxLength: RULE_LIMITS.valueMaxLength },
    });
  }
  const action = problems.requiredEnum(body, 'action', RULE_ACTIONS);
  if (!problems.empty) throw ValidationError.fromProblems('Invalid filtering rule', problems.list);
  return {
    ...(ruleId === undefined ? {} : { ruleId }),
    meterApiName: meterApiName!,
    dimensionName: dimensionName!,
    dimensionValues: dimensionValues!,
    action: action!,
  };
}

export function newRuleId(): string {
  return `rule-${randomUUID()}`;
}

export function parseRuleId(value: string | undefined): string {
  const problems = new Problems();
  const ruleId = problems.checkString('ruleId', value ?? '', ruleIdRule);
  if (!problems.empty) throw ValidationError.fromProblems('Invalid ruleId', problems.list);
  return ruleId!;
}

/** Whether one rule lets an event with these dimensions through. */
export function ruleKeeps(rule: FilteringRule, dimensions: Readonly<Record<string, string>>): boolean {
  const value = Object.hasOwn(dimensions, rule.dimensionName) ? dimensions[rule.dimensionName] : undefined;
  const listed = value !== undefined && rule.dimensionValues.includes(value);
  return rule.action === 'INCLUDE' ? listed : !listed;
}

/** Whether an event survives all of its meter's rules (AND). */
export function rulesKeep(
  rules: readonly FilteringRule[],
  dimensions: Readonly<Record<string, string>>,
): boolean {
  return rules.every((rule) => ruleKeeps(rule, dimensions));
}
