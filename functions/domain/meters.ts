import { ValidationError } from './errors.js';
import { isJsonObject, Problems, describeType, type JsonObject } from './validation.js';

export const METER_TYPES = ['SUM_OF_ALL_USAGE', 'MAX_IN_PERIOD', 'UNIQUE_CUSTOMERS_COUNT'] as const;
export type MeterType = (typeof METER_TYPES)[number];

export interface MeterDefinition {
  readonly meterApiName: string;
  readonly displayName: string;
  readonly label: string;
  readonly type: MeterType;
  /** Declared dimensions: the only ones rolled up, grouped and filtered on in usage queries. */
  readonly dimensions: readonly string[];
  /** Creation time, kept across updates. */
  readonly meterTimeInMillis: number;
}

export type MeterDefinitionInput = Omit<MeterDefinition, 'meterTimeInMillis'>;

export const METER_LIMITS = {
  apiNameMaxLength: 128,
  displayNameMaxLength: 256,
  labelMaxLength: 256,
  maxDimensions: 10,
  dimensionNameMaxLength: 64,
  maxRulesPerMeter: 50,
} as const;

export const METER_API_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
const METER_API_NAME_HINT = 'letters, digits and _ . : - only, starting with a letter or digit';
export const DIMENSION_NAME_PATTERN = /^[A-Za-z0-9_.:-]+$/;
const DIMENSION_NAME_HINT = 'letters, digits and _ . : - only';

/** `customerId` is its own grouping key in usage queries, so a dimension may not shadow it. */
export const RESERVED_DIMENSION_NAMES: readonly string[] = ['customerId'];

export const meterApiNameRule = {
  maxLength: METER_LIMITS.apiNameMaxLength,
  pattern: METER_API_NAME_PATTERN,
  patternHint: METER_API_NAME_HINT,
};

export const dimensionNameRule = {
  maxLength: METER_LIMITS.dimensionNameMaxLength,
  pattern: DIMENSION_NAME_PATTERN,
  patternHint: DIMENSION_NAME_HINT,
};

/** Fields the seed's MeterDefinition carries; `meterTimeInMillis` is accepted but never changes. */
const ALLOWED_FIELDS = ['meterApiName', 'displayName', 'label', 'type', 'dimensions', 'meterTimeInMillis'];

/** Parses a POST or PUT /meter-definition body; throws a ValidationError listing every problem. */
export function parseMeterDefinitionInput(body: unknown): MeterDefinitionInput {
  if (!isJsonObject(body)) {
    throw new ValidationError(
      'Invalid meter definition',
      `expected a JSON object, got ${describeType(body)}`,
    );
  }
  const problems = new Problems();
  problems.rejectUnknownFields(body, ALLOWED_FIELDS);
  const meterApiName = problems.requiredString(body, 'meterApiName', meterApiNameRule);
  const displayName = problems.requiredString(body, 'displayName', {
    maxLength: METER_LIMITS.displayNameMaxLength,
  });
  const label = problems.optionalString(body, 'label', { maxLength: METER_LIMITS.labelMaxLength });
  const type = problems.requiredEnum(body, 'type', METER_TYPES);
  const dimensions = parseDimensions(body, problems);
  if (!problems.empty) {
    throw ValidationError.fromProblems('Invalid meter definition', problems.list);
  }
  return {
    meterApiName: meterApiName!,
    displayName: displayName!,
    label: label ?? meterApiName!,
    type: type!,
    dimensions: dimensions ?? [],
  };
}

function parseDimensions(body: JsonObject, problems: Problems): string[] | undefined {
  const value = body.dimensions;
  if (value === undefined || value === null) return [];
  const dimensions = problems.stringArray('dimensions', value, {
    maxItems: METER_LIMITS.maxDimensions,
    item: dimensionNameRule,
  });
  for (const [index, name] of (dimensions ?? []).entries()) {
    if (RESERVED_DIMENSION_NAMES.includes(name)) {
      problems.add(`dimensions[${index}]`, `"${name}" is reserved (it is always available for grouping)`);
    }
  }
  return dimensions;
}

/** Validates a meterApiName taken from a path or query parameter. */
export function parseMeterApiName(value: string | undefined, where: string): string {
  const problems = new Problems();
  const name = problems.checkString(where, value ?? '', meterApiNameRule);
  if (!problems.empty) throw ValidationError.fromProblems('Invalid meterApiName', problems.list);
  return name!;
}
