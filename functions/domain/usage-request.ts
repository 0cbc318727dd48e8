import { bucketGrid, TIME_GROUPING_INTERVALS, type BucketGrid, type TimeGroupingInterval } from './buckets.js';
import { ValidationError } from './errors.js';
import { dimensionNameRule, meterApiNameRule, METER_LIMITS, type MeterDefinition, type MeterType } from './meters.js';
import { isKnownTimeZone, unknownTimeZoneProblem } from './time-zones.js';
import { CUSTOMER_ID_KEY, MAX_GROUPS } from './usage-aggregation.js';
import { describeType, isJsonObject, Problems, type JsonObject } from './validation.js';

export const AGGREGATIONS = ['SUM', 'MAX', 'MIN', 'COUNT'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

/** What a bucket holds: the aggregation, or for UNIQUE_CUSTOMERS_COUNT meters the distinct customers. */
export type Measure = Aggregation | 'DISTINCT_CUSTOMERS';

/**
 * `seed`: the request had top-level times and gets the seed's `clientMeters` map.
 * `report`: the request had `timeRange` (as the Amberflo SDKs send it) and gets the report shape.
 */
export type ResponseShape = 'seed' | 'report';

export const USAGE_REQUEST_LIMITS = {
  /** Values listed in customerFilter or under one filter key. */
  maxFilterValues: 1_000,
  filterValueMaxLength: 1_024,
  timeZoneMaxLength: 64,
  /** Queries in one POST /usage/batch. */
  maxBatchQueries: 20,
  /** 9999-12-31T23:59:59Z, the last second every client's date library can show. */
  maxTimeInSeconds: 253_402_300_799,
} as const;

export interface UsageTake {
  readonly limit: number;
  readonly isAscending: boolean;
}

/** One usage query, validated on its own; `planUsageQuery` checks it against its meter. */
export interface UsageQuery {
  readonly meterApiName: string;
  readonly startTimeInSeconds: number;
  /** Exclusive; the request's, or the time of the request when it gave none. */
  readonly endTimeInSeconds: number;
  /** Undefined: the meter type's default (see `defaultAggregation`). */
  readonly aggregation: Aggregation | undefined;
  readonly timeGroupingInterval: TimeGroupingInterval;
  /** `customerId` and/or declared dimensions, in the order asked; empty when ungrouped. */
  readonly groupBy: readonly string[];
  readonly customerFilter: readonly string[] | undefined;
  /** Key (`customerId` or a dimension) -> accepted values; empty when unfiltered. */
  readonly filter: Readonly<Record<string, readonly string[]>>;
  readonly take: UsageTake | undefined;
  readonly timeZone: string | undefined;
}

export interface UsageRequest {
  readonly query: UsageQuery;
  readonly shape: ResponseShape;
}

/** GET /usage/all asks the same of every meter: a query without its meter. */
export type UsageQueryTemplate = Omit<UsageQuery, 'meterApiName'>;

const REQUEST_FIELDS = [
  'meterApiName',
  'startTimeInSeconds',
  'endTimeInSeconds',
  'timeRange',
  'aggregation',
  'timeGroupingInterval',
  'groupBy',
  'customerFilter',
  'filter',
  'take',
  'timeZone',
];
const TIME_RANGE_FIELDS = ['startTimeInSeconds', 'endTimeInSeconds'];
const TAKE_FIELDS = ['limit', 'isAscending'];
const USAGE_ALL_PARAMETERS = ['startTimeInSeconds', 'endTimeInSeconds', 'timeGroupingInterval', 'groupBy', 'customerId', 'timeZone'];

/** `customerId` plus every dimension a meter can declare. */
const MAX_KEYS = METER_LIMITS.maxDimensions + 1;

const valueRule = { maxLength: USAGE_REQUEST_LIMITS.filterValueMaxLength };

/**
 * Parses a POST /usage body in either shape: the seed's top-level `startTimeInSeconds` /
 * `endTimeInSeconds`, or the SDKs' `timeRange`. A missing end means now. Throws a ValidationError
 * listing every problem.
 */
export function parseUsageRequest(body: unknown, nowMillis: number): UsageRequest {
  if (!isJsonObject(body)) {
    throw new ValidationError('Invalid usage query', `expected a JSON object, got ${describeType(body)}`);
  }
  const problems = new Problems();
  const request = readUsageRequest(body, nowMillis, problems);
  if (!request) throw ValidationError.fromProblems('Invalid usage query', problems.list);
  return request;
}

/** Parses a POST /usage/batch body: an array of usage queries, answered in the same order. */
export function parseUsageBatchRequest(body: unknown, nowMillis: number): UsageRequest[] {
  const { maxBatchQueries } = USAGE_REQUEST_LIMITS;
  if (!Array.isArray(body) || body.length === 0 || body.length > maxBatchQueries) {
    throw new ValidationError(
      'Invalid usage batch',
      `expected a JSON array of 1 to ${maxBatchQueries} usage queries, got ${describeBatch(body)}`,
    );
  }
  const problems = new Problems();
  const requests = body.map((item, index) => {
    if (!isJsonObject(item)) {
      problems.add(`[${index}]`, `expected a JSON object, got ${describeType(item)}`);
      return undefined;
    }
    return readUsageRequest(item, nowMillis, problems.nested(`[${index}].`));
  });
  if (!problems.empty) throw ValidationError.fromProblems('Invalid usage batch', problems.list);
  return requests as UsageRequest[];
}

function describeBatch(body: unknown): string {
  return Array.isArray(body) ? `${body.length} queries` : describeType(body);
}

/**
 * Parses the query string of GET /usage/all. `groupBy` is comma-separated (API Gateway also joins
 * a repeated parameter with commas); `customerId` restricts to one customer.
 */
export function parseUsageAllParameters(
  parameters: Readonly<Record<string, string | undefined>>,
  nowMillis: number,
): UsageQueryTemplate {
  const problems = new Problems();
  const present = Object.fromEntries(Object.entries(parameters).filter(([, value]) => value !== undefined));
  problems.rejectUnknownFields(present, USAGE_ALL_PARAMETERS);
  const start = parseSecondsParameter(problems, 'startTimeInSeconds', parameters.startTimeInSeconds);
  const end = parseSecondsParameter(problems, 'endTimeInSeconds', parameters.endTimeInSeconds);
  if (parameters.startTimeInSeconds === undefined) problems.add('startTimeInSeconds', 'is required');
  const range = checkRange(problems, start, end, nowMillis, '');
  const timeGroupingInterval = problems.requiredEnum(present, 'timeGroupingInterval', TIME_GROUPING_INTERVALS);
  const groupBy =
    parameters.groupBy === undefined
      ? []
      : readGroupBy(problems, parameters.groupBy.split(',').map((key) => key.trim()));
  const customerId = problems.optionalString(present, 'customerId', valueRule);
  const timeZone = readTimeZone(problems, present);
  if (!problems.empty) throw ValidationError.fromProblems('Invalid usage query', problems.list);
  return {
    startTimeInSeconds: range!.start,
    endTimeInSeconds: range!.end,
    aggregation: undefined,
    timeGroupingInterval: timeGroupingInterval!,
    groupBy: groupBy!,
    customerFilter: customerId === undefined ? undefined : [customerId],
    filter: {},
    take: undefined,
    timeZone,
  };
}

function parseSecondsParameter(problems: Problems, field: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,16}$/.test(value)) {
    problems.add(field, `expected whole seconds since the epoch, got "${value.slice(0, 32)}"`);
    return undefined;
  }
  return checkSeconds(problems, field, Number(value));
}

function readUsageRequest(body: JsonObject, nowMillis: number, problems: Problems): UsageRequest | undefined {
  problems.rejectUnknownFields(body, REQUEST_FIELDS);
  const meterApiName = problems.requiredString(body, 'meterApiName', meterApiNameRule);
  const times = readTimes(body, nowMillis, problems);
  const aggregation = isAbsent(body.aggregation) ? undefined : problems.checkEnum('aggregation', body.aggregation, AGGREGATIONS);
  const timeGroupingInterval = problems.requiredEnum(body, 'timeGroupingInterval', TIME_GROUPING_INTERVALS);
  const groupBy = isAbsent(body.groupBy) ? [] : readGroupBy(problems, body.groupBy);
  const customerFilter = isAbsent(body.customerFilter)
    ? undefined
    : readValues(problems, 'customerFilter', body.customerFilter);
  const filter = readFilter(problems, body.filter);
  const take = readTake(problems, body.take);
  const timeZone = readTimeZone(problems, body);
  if (!problems.empty) return undefined;
  return {
    shape: times!.shape,
    query: {
      meterApiName: meterApiName!,
      startTimeInSeconds: times!.start,
      endTimeInSeconds: times!.end,
      aggregation,
      timeGroupingInterval: timeGroupingInterval!,
      groupBy: groupBy!,
      customerFilter,
      filter: filter!,
      take,
      timeZone,
    },
  };
}

/** SDKs serialise unset optional fields as null. */
function isAbsent(value: unknown): value is null | undefined {
  return value === undefined || value === null;
}

function readTimes(
  body: JsonObject,
  nowMillis: number,
  problems: Problems,
): { start: number; end: number; shape: ResponseShape } | undefined {
  const topLevel = !isAbsent(body.startTimeInSeconds) || !isAbsent(body.endTimeInSeconds);
  if (!isAbsent(body.timeRange)) {
    if (topLevel) {
      problems.add('timeRange', 'send either timeRange or top-level startTimeInSeconds/endTimeInSeconds, not both');
      return undefined;
    }
    if (!isJsonObject(body.timeRange)) {
      problems.add('timeRange', `expected an object {startTimeInSeconds, endTimeInSeconds?}, got ${describeType(body.timeRange)}`);
      return undefined;
    }
    const range = readRange(body.timeRange, nowMillis, problems, 'timeRange.');
    return range && { ...range, shape: 'report' };
  }
  if (!topLevel) {
    problems.add('startTimeInSeconds', 'is required (at the top level, or as timeRange.startTimeInSeconds)');
    return undefined;
  }
  const range = readRange(body, nowMillis, problems, '');
  return range && { ...range, shape: 'seed' };
}

function readRange(
  source: JsonObject,
  nowMillis: number,
  problems: Problems,
  path: string,
): { start: number; end: number } | undefined {
  if (path !== '') problems.nested(path).rejectUnknownFields(source, TIME_RANGE_FIELDS);
  let start: number | undefined;
  if (isAbsent(source.startTimeInSeconds)) problems.add(`${path}startTimeInSeconds`, 'is required');
  else start = checkSeconds(problems, `${path}startTimeInSeconds`, source.startTimeInSeconds);
  const end = isAbsent(source.endTimeInSeconds)
    ? undefined
    : checkSeconds(problems, `${path}endTimeInSeconds`, source.endTimeInSeconds);
  return checkRange(problems, start, end, nowMillis, path);
}

function checkSeconds(problems: Problems, field: string, value: unknown): number | undefined {
  const max = USAGE_REQUEST_LIMITS.maxTimeInSeconds;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    problems.add(field, `expected whole seconds since the epoch, got ${typeof value === 'number' ? value : describeType(value)}`);
    return undefined;
  }
  if (value < 0) {
    problems.add(field, `must not be before 1970 (got ${value})`);
    return undefined;
  }
  if (value > max) {
    const hint = value / 1000 <= max ? ': it looks like milliseconds, send seconds' : '';
    problems.add(field, `must be at most ${max} (9999-12-31T23:59:59Z), got ${value}${hint}`);
    return undefined;
  }
  return value;
}

/** Checks start < end, filling a missing end with now (rounded up to the second). */
function checkRange(
  problems: Problems,
  start: number | undefined,
  end: number | undefined,
  nowMillis: number,
  path: string,
): { start: number; end: number } | undefined {
  if (start === undefined) return undefined;
  if (end === undefined) {
    const now = Math.ceil(nowMillis / 1000);
    if (start >= now) {
      problems.add(`${path}startTimeInSeconds`, `${start} is not before now (${now}), which is the end when endTimeInSeconds is omitted`);
      return undefined;
    }
    return { start, end: now };
  }
  if (end < start) {
    problems.add(`${path}endTimeInSeconds`, `${end} is before startTimeInSeconds ${start}: the range is inverted`);
    return undefined;
  }
  if (end === start) {
    problems.add(`${path}endTimeInSeconds`, `equals startTimeInSeconds (${start}): the range is empty (the end is exclusive)`);
    return undefined;
  }
  return { start, end };
}

function readGroupBy(problems: Problems, value: unknown): string[] | undefined {
  return problems.stringArray('groupBy', value, { maxItems: MAX_KEYS, item: dimensionNameRule });
}

function readValues(problems: Problems, field: string, value: unknown): string[] | undefined {
  return problems.stringArray(field, value, {
    minItems: 1,
    maxItems: USAGE_REQUEST_LIMITS.maxFilterValues,
    item: valueRule,
  });
}

function readFilter(problems: Problems, value: unknown): Record<string, string[]> | undefined {
  if (isAbsent(value)) return {};
  if (!isJsonObject(value)) {
    problems.add('filter', `expected an object mapping customerId or a dimension to a list of values, got ${describeType(value)}`);
    return undefined;
  }
  const keys = Object.keys(value);
  if (keys.length > MAX_KEYS) {
    problems.add('filter', `must have at most ${MAX_KEYS} keys (customerId and the meter's dimensions), got ${keys.length}`);
    return undefined;
  }
  const before = problems.list.length;
  const entries: [string, string[]][] = [];
  for (const key of keys) {
    if (problems.checkString(`filter key "${key}"`, key, dimensionNameRule) === undefined) continue;
    const values = readValues(problems, `filter.${key}`, value[key]);
    if (values) entries.push([key, values]);
  }
  // fromEntries defines own properties, so even a key named __proto__ stays a key.
  return problems.list.length > before ? undefined : Object.fromEntries(entries);
}

function readTake(problems: Problems, value: unknown): UsageTake | undefined {
  if (isAbsent(value)) return undefined;
  if (!isJsonObject(value)) {
    problems.add('take', `expected an object {limit, isAscending?}, got ${describeType(value)}`);
    return undefined;
  }
  const before = problems.list.length;
  problems.nested('take.').rejectUnknownFields(value, TAKE_FIELDS);
  const { limit, isAscending } = value;
  if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_GROUPS) {
    problems.add('take.limit', `expected a whole number from 1 to ${MAX_GROUPS}, got ${JSON.stringify(limit) ?? 'nothing'}`);
  }
  if (!isAbsent(isAscending) && typeof isAscending !== 'boolean') {
    problems.add('take.isAscending', `expected true or false, got ${describeType(isAscending)}`);
  }
  if (problems.list.length > before) return undefined;
  return { limit: limit as number, isAscending: isAscending === true };
}

function readTimeZone(problems: Problems, source: JsonObject): string | undefined {
  const timeZone = problems.optionalString(source, 'timeZone', { maxLength: USAGE_REQUEST_LIMITS.timeZoneMaxLength });
  if (timeZone === undefined || isKnownTimeZone(timeZone)) return timeZone;
  problems.add('timeZone', unknownTimeZoneProblem(timeZone));
  return undefined;
}

/** A query checked against its meter: what to compute, over which buckets, for which rows. */
export interface UsagePlan {
  readonly query: UsageQuery;
  /** The requested aggregation or the meter type's default; what the report's metadata shows. */
  readonly aggregation: Aggregation;
  readonly measure: Measure;
  readonly grid: BucketGrid;
  /** Customers whose rows count (customerFilter and filter.customerId both apply); undefined: all. */
  readonly customerIds: ReadonlySet<string> | undefined;
  /** Dimension -> accepted values; a row lacking the dimension does not match. */
  readonly dimensionFilters: ReadonlyMap<string, ReadonlySet<string>>;
}

/**
 * Without `aggregation`, a SUM_OF_ALL_USAGE meter sums and a MAX_IN_PERIOD meter takes the
 * maximum. A UNIQUE_CUSTOMERS_COUNT meter always counts distinct customers, whatever the
 * aggregation; its default is shown as COUNT.
 */
export function defaultAggregation(type: MeterType): Aggregation {
  switch (type) {
    case 'SUM_OF_ALL_USAGE':
      return 'SUM';
    case 'MAX_IN_PERIOD':
      return 'MAX';
    case 'UNIQUE_CUSTOMERS_COUNT':
      return 'COUNT';
  }
}

/**
 * Checks a query against its meter (grouping and filtering only by customerId and declared
 * dimensions) and lays out its buckets. Throws a ValidationError naming what is wrong.
 */
export function planUsageQuery(query: UsageQuery, meter: MeterDefinition): UsagePlan {
  const problems = new Problems();
  const declared = meter.dimensions.length === 0 ? 'none' : meter.dimensions.join(', ');
  const checkKey = (where: string, key: string) => {
    if (key !== CUSTOMER_ID_KEY && !meter.dimensions.includes(key)) {
      problems.add(
        where,
        `"${key}" is not a declared dimension of meter "${meter.meterApiName}" (declared: ${declared}; ` +
          `${CUSTOMER_ID_KEY} is always available)`,
      );
    }
  };
  for (const key of query.groupBy) checkKey('groupBy', key);
  for (const key of Object.keys(query.filter)) checkKey('filter', key);
  if (!problems.empty) throw ValidationError.fromProblems('Undeclared dimension', problems.list);

  const aggregation = query.aggregation ?? defaultAggregation(meter.type);
  const grid = bucketGrid({
    startMillis: query.startTimeInSeconds * 1000,
    endMillis: query.endTimeInSeconds * 1000,
    interval: query.timeGroupingInterval,
    timeZone: query.timeZone,
  });
  const dimensionFilters = new Map(
    Object.entries(query.filter)
      .filter(([key]) => key !== CUSTOMER_ID_KEY)
      .map(([key, values]) => [key, new Set(values)] as const),
  );
  return {
    query,
    aggregation,
    measure: meter.type === 'UNIQUE_CUSTOMERS_COUNT' ? 'DISTINCT_CUSTOMERS' : aggregation,
    grid,
    customerIds: visibleCustomers(query),
    dimensionFilters,
  };
}

function visibleCustomers(query: UsageQuery): ReadonlySet<string> | undefined {
  const lists = [query.customerFilter, query.filter[CUSTOMER_ID_KEY]].filter((list) => list !== undefined);
  if (lists.length === 0) return undefined;
  return new Set(lists[0]!.filter((customerId) => lists.every((list) => list.includes(customerId))));
}
