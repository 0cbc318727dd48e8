import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../functions/domain/errors.js';
import type { MeterDefinition } from '../../functions/domain/meters.js';
import {
  parseUsageAllParameters,
  parseUsageBatchRequest,
  parseUsageRequest,
  planUsageQuery,
  type UsageQuery,
} from '../../functions/domain/usage-request.js';
import { detailsOfError } from './support.js';

const NOW = Date.parse('2024-06-12T10:00:00.400Z');
const NOW_SECONDS = Math.ceil(NOW / 1000);

const seedExample = {
  meterApiName: 'api-calls',
  startTimeInSeconds: 1718100000,
  endTimeInSeconds: 1718186400,
  aggregation: 'SUM',
  timeGroupingInterval: 'DAY',
  groupBy: ['customerId'],
};

const sdkExample = {
  meterApiName: 'api-calls',
  aggregation: 'sum',
  timeGroupingInterval: 'day',
  timeRange: { startTimeInSeconds: 1718100000 },
};

const meter = (overrides: Partial<MeterDefinition> = {}): MeterDefinition => ({
  meterApiName: 'api-calls',
  displayName: 'API calls',
  label: 'api-calls',
  type: 'SUM_OF_ALL_USAGE',
  dimensions: ['region', 'tier'],
  meterTimeInMillis: 0,
  ...overrides,
});

const query = (overrides: Partial<UsageQuery> = {}): UsageQuery => ({
  meterApiName: 'api-calls',
  startTimeInSeconds: 1718100000,
  endTimeInSeconds: 1718186400,
  aggregation: undefined,
  timeGroupingInterval: 'DAY',
  groupBy: [],
  customerFilter: undefined,
  filter: {},
  take: undefined,
  timeZone: undefined,
  ...overrides,
});

const problemsOf = (body: unknown) => detailsOfError(() => parseUsageRequest(body, NOW), ValidationError);

describe('parseUsageRequest', () => {
  it("reads the seed's request with top-level times and asks for the seed shape", () => {
    expect(parseUsageRequest(seedExample, NOW)).toEqual({
      shape: 'seed',
      query: query({ aggregation: 'SUM', groupBy: ['customerId'] }),
    });
  });

  it('reads the SDK request with timeRange, lower-case enums and no end, and asks for the report shape', () => {
    expect(parseUsageRequest(sdkExample, NOW)).toEqual({
      shape: 'report',
      query: query({ aggregation: 'SUM', endTimeInSeconds: NOW_SECONDS }),
    });
  });

  it('accepts enums in any case and answers them in upper case', () => {
    const parsed = parseUsageRequest({ ...seedExample, aggregation: 'mIn', timeGroupingInterval: 'Week' }, NOW).query;
    expect([parsed.aggregation, parsed.timeGroupingInterval]).toEqual(['MIN', 'WEEK']);
    expect(parseUsageRequest({ ...seedExample, aggregation: 'count' }, NOW).query.aggregation).toBe('COUNT');
    expect(parseUsageRequest({ ...seedExample, aggregation: 'max', timeGroupingInterval: 'month' }, NOW).query.aggregation).toBe('MAX');
    expect(parseUsageRequest({ ...seedExample, timeGroupingInterval: 'hour' }, NOW).query.timeGroupingInterval).toBe('HOUR');
  });

  it('fills a missing top-level end with now, rounded up to the second', () => {
    const withoutEnd = { ...seedExample, endTimeInSeconds: undefined };
    expect(parseUsageRequest(withoutEnd, NOW)).toMatchObject({ shape: 'seed', query: { endTimeInSeconds: NOW_SECONDS } });
  });

  it('keeps an explicit end inside timeRange', () => {
    const parsed = parseUsageRequest({ ...sdkExample, timeRange: { startTimeInSeconds: 1718100000, endTimeInSeconds: 1718103600 } }, NOW);
    expect(parsed.query.endTimeInSeconds).toBe(1718103600);
  });

  it('leaves aggregation undefined when absent, for the meter type to decide', () => {
    const withoutAggregation = { ...seedExample, aggregation: undefined };
    expect(parseUsageRequest(withoutAggregation, NOW).query.aggregation).toBeUndefined();
  });

  it('reads grouping, filters, take and time zone', () => {
    const parsed = parseUsageRequest(
      {
        ...sdkExample,
        groupBy: ['region', 'customerId'],
        customerFilter: ['c1', 'c2'],
        filter: { tier: ['pro'], customerId: ['c2'] },
        take: { limit: 5, isAscending: true },
        timeZone: 'Europe/Berlin',
      },
      NOW,
    ).query;
    expect(parsed).toMatchObject({
      groupBy: ['region', 'customerId'],
      customerFilter: ['c1', 'c2'],
      filter: { tier: ['pro'], customerId: ['c2'] },
      take: { limit: 5, isAscending: true },
      timeZone: 'Europe/Berlin',
    });
    expect(parseUsageRequest({ ...sdkExample, take: { limit: 3 } }, NOW).query.take).toEqual({ limit: 3, isAscending: false });
  });

  it('treats null optional fields as absent, as SDKs send them', () => {
    const parsed = parseUsageRequest(
      { ...sdkExample, groupBy: null, filter: null, customerFilter: null, take: null, timeZone: null, aggregation: null, timeRange: { startTimeInSeconds: 1718100000, endTimeInSeconds: null } },
      NOW,
    ).query;
    expect(parsed).toEqual(query({ endTimeInSeconds: NOW_SECONDS }));
  });

  it.each([
    [{ ...seedExample, colour: 'red' }, 'colour: unknown field'],
    [{ ...sdkExample, timeRange: { startTimeInSeconds: 1718100000, end: 1 } }, 'timeRange.end: unknown field'],
    [{ ...sdkExample, take: { limit: 1, top: true } }, 'take.top: unknown field'],
    [{ ...seedExample, meterApiName: undefined }, 'meterApiName: is required'],
    [{ ...seedExample, meterApiName: 'bad name' }, 'meterApiName'],
    [{ ...seedExample, timeGroupingInterval: undefined }, 'timeGroupingInterval: is required (one of HOUR, DAY, WEEK, MONTH)'],
    [{ ...seedExample, timeGroupingInterval: 'YEAR' }, 'timeGroupingInterval: expected one of HOUR, DAY, WEEK, MONTH (any case), got "YEAR"'],
    [{ ...seedExample, aggregation: 'AVG' }, 'aggregation: expected one of SUM, MAX, MIN, COUNT'],
    [{ ...seedExample, timeRange: { startTimeInSeconds: 1 } }, 'timeRange: send either timeRange or top-level'],
    [{ meterApiName: 'api-calls', timeGroupingInterval: 'DAY' }, 'startTimeInSeconds: is required (at the top level, or as timeRange.startTimeInSeconds)'],
    [{ ...seedExample, startTimeInSeconds: undefined }, 'startTimeInSeconds: is required'],
    [{ ...sdkExample, timeRange: { endTimeInSeconds: 1718100000 } }, 'timeRange.startTimeInSeconds: is required'],
    [{ ...sdkExample, timeRange: [1718100000] }, 'timeRange: expected an object {startTimeInSeconds, endTimeInSeconds?}, got array'],
    [{ ...seedExample, startTimeInSeconds: '1718100000' }, 'startTimeInSeconds: expected whole seconds since the epoch, got string'],
    [{ ...seedExample, startTimeInSeconds: 1718100000.5 }, 'expected whole seconds since the epoch, got 1718100000.5'],
    [{ ...seedExample, startTimeInSeconds: -1 }, 'must not be before 1970'],
    [{ ...seedExample, endTimeInSeconds: 1718186400000 }, 'it looks like milliseconds, send seconds'],
    [{ ...seedExample, endTimeInSeconds: 1e300 }, 'must be at most 253402300799'],
    [{ ...seedExample, endTimeInSeconds: 1718000000 }, 'endTimeInSeconds: 1718000000 is before startTimeInSeconds 1718100000: the range is inverted'],
    [{ ...seedExample, endTimeInSeconds: 1718100000 }, 'the range is empty'],
    [{ ...sdkExample, timeRange: { startTimeInSeconds: NOW_SECONDS } }, `timeRange.startTimeInSeconds: ${NOW_SECONDS} is not before now`],
    [{ ...seedExample, groupBy: 'customerId' }, 'groupBy: expected an array of strings, got string'],
    [{ ...seedExample, groupBy: ['region', 'region'] }, 'groupBy[1]: "region" is listed twice'],
    [{ ...seedExample, groupBy: ['has space'] }, 'groupBy[0]'],
    [{ ...seedExample, groupBy: Array.from({ length: 12 }, (_, index) => `d${index}`) }, 'groupBy: must hold at most 11 items'],
    [{ ...seedExample, customerFilter: [] }, 'customerFilter: must hold at least 1 item'],
    [{ ...seedExample, customerFilter: [7] }, 'customerFilter[0]: expected a string, got number'],
    [{ ...seedExample, filter: ['region'] }, 'filter: expected an object mapping customerId or a dimension to a list of values, got array'],
    [{ ...seedExample, filter: { region: [] } }, 'filter.region: must hold at least 1 item'],
    [{ ...seedExample, filter: { region: 'eu' } }, 'filter.region: expected an array of strings, got string'],
    [{ ...seedExample, filter: { 'bad key': ['x'] } }, 'filter key "bad key"'],
    [{ ...seedExample, filter: Object.fromEntries(Array.from({ length: 12 }, (_, index) => [`d${index}`, ['x']])) }, 'filter: must have at most 11 keys'],
    [{ ...seedExample, take: 5 }, 'take: expected an object {limit, isAscending?}, got number'],
    [{ ...seedExample, take: { limit: 0 } }, 'take.limit: expected a whole number from 1 to 1000, got 0'],
    [{ ...seedExample, take: { limit: 1001 } }, 'take.limit: expected a whole number from 1 to 1000, got 1001'],
    [{ ...seedExample, take: {} }, 'take.limit: expected a whole number from 1 to 1000, got nothing'],
    [{ ...seedExample, take: { limit: 2, isAscending: 'yes' } }, 'take.isAscending: expected true or false, got string'],
    [{ ...seedExample, timeZone: 'Mars/Olympus' }, 'timeZone: "Mars/Olympus" is not an IANA time zone name'],
    [{ ...seedExample, timeZone: 5 }, 'timeZone: expected a string, got number'],
  ])('rejects %j naming the problem', (body, expected) => {
    expect(problemsOf(body)).toContain(expected);
  });

  it('lists every problem at once', () => {
    const details = problemsOf({ meterApiName: '', timeGroupingInterval: 'YEAR', timeRange: { startTimeInSeconds: 'x' }, take: { limit: 0 } });
    for (const field of ['meterApiName', 'timeGroupingInterval', 'timeRange.startTimeInSeconds', 'take.limit']) {
      expect(details).toContain(`${field}:`);
    }
  });

  it('rejects a body that is not an object', () => {
    expect(problemsOf([seedExample])).toBe('expected a JSON object, got array');
  });

  it('keeps a filter key named __proto__ as a key', () => {
    const parsed = parseUsageRequest(JSON.parse('{"meterApiName":"m","timeGroupingInterval":"DAY","startTimeInSeconds":1,"endTimeInSeconds":2,"filter":{"__proto__":["x"]}}'), NOW);
    expect(Object.keys(parsed.query.filter)).toEqual(['__proto__']);
    expect(detailsOfError(() => planUsageQuery(parsed.query, meter()), ValidationError)).toContain('filter: "__proto__" is not a declared dimension');
  });
});

describe('parseUsageBatchRequest', () => {
  it('parses each query and keeps their order and shapes', () => {
    const parsed = parseUsageBatchRequest([sdkExample, seedExample], NOW);
    expect(parsed.map((request) => request.shape)).toEqual(['report', 'seed']);
    expect(parsed[1]!.query.groupBy).toEqual(['customerId']);
  });

  it('names the index of each bad query', () => {
    const details = detailsOfError(
      () => parseUsageBatchRequest([sdkExample, { ...sdkExample, aggregation: 'AVG' }, 'x', { ...seedExample, take: { limit: 1, top: 1 } }], NOW),
      ValidationError,
    );
    expect(details).toContain('[1].aggregation: expected one of');
    expect(details).toContain('[2]: expected a JSON object, got string');
    expect(details).toContain('[3].take.top: unknown field');
    expect(details).not.toContain('[0]');
  });

  it.each([
    [{}, 'got object'],
    [[], 'got 0 queries'],
    [Array.from({ length: 21 }, () => sdkExample), 'expected a JSON array of 1 to 20 usage queries, got 21 queries'],
  ])('rejects %j as a batch', (body, expected) => {
    expect(detailsOfError(() => parseUsageBatchRequest(body, NOW), ValidationError)).toContain(expected);
  });
});

describe('parseUsageAllParameters', () => {
  const parameters = { startTimeInSeconds: '1718100000', endTimeInSeconds: '1718186400', timeGroupingInterval: 'day' };

  it('reads the query string into a query for every meter', () => {
    expect(parseUsageAllParameters(parameters, NOW)).toEqual({
      startTimeInSeconds: 1718100000,
      endTimeInSeconds: 1718186400,
      aggregation: undefined,
      timeGroupingInterval: 'DAY',
      groupBy: [],
      customerFilter: undefined,
      filter: {},
      take: undefined,
      timeZone: undefined,
    });
  });

  it('splits groupBy on commas, restricts to customerId and fills the end with now', () => {
    const parsed = parseUsageAllParameters(
      { startTimeInSeconds: '1718100000', timeGroupingInterval: 'HOUR', groupBy: 'customerId, region', customerId: 'c1', timeZone: 'UTC' },
      NOW,
    );
    expect(parsed).toMatchObject({ groupBy: ['customerId', 'region'], customerFilter: ['c1'], endTimeInSeconds: NOW_SECONDS, timeZone: 'UTC' });
  });

  it('ignores parameters that are present but undefined', () => {
    expect(parseUsageAllParameters({ ...parameters, customerId: undefined }, NOW).customerFilter).toBeUndefined();
  });

  it.each([
    [{ ...parameters, limit: '5' }, 'limit: unknown field'],
    [{ endTimeInSeconds: '1718186400', timeGroupingInterval: 'DAY' }, 'startTimeInSeconds: is required'],
    [{ ...parameters, startTimeInSeconds: '17181e5' }, 'startTimeInSeconds: expected whole seconds since the epoch, got "17181e5"'],
    [{ ...parameters, endTimeInSeconds: '1718000000' }, 'the range is inverted'],
    [{ ...parameters, timeGroupingInterval: undefined }, 'timeGroupingInterval: is required'],
    [{ ...parameters, groupBy: 'region,' }, 'groupBy[1]: must not be empty'],
    [{ ...parameters, customerId: '' }, 'customerId: must not be empty'],
    [{ ...parameters, timeZone: 'Nowhere' }, 'timeZone: "Nowhere" is not an IANA time zone name'],
  ])('rejects %j naming the problem', (input, expected) => {
    expect(detailsOfError(() => parseUsageAllParameters(input, NOW), ValidationError)).toContain(expected);
  });
});

describe('planUsageQuery', () => {
  it.each([
    ['SUM_OF_ALL_USAGE', 'SUM', 'SUM'],
    ['MAX_IN_PERIOD', 'MAX', 'MAX'],
    ['UNIQUE_CUSTOMERS_COUNT', 'COUNT', 'DISTINCT_CUSTOMERS'],
  ] as const)('defaults the aggregation of a %s meter to %s', (type, aggregation, measure) => {
    expect(planUsageQuery(query(), meter({ type }))).toMatchObject({ aggregation, measure });
  });

  it('keeps a requested aggregation, and counts distinct customers for a unique-customers meter whatever it asks', () => {
    expect(planUsageQuery(query({ aggregation: 'MIN' }), meter())).toMatchObject({ aggregation: 'MIN', measure: 'MIN' });
    expect(planUsageQuery(query({ aggregation: 'SUM' }), meter({ type: 'UNIQUE_CUSTOMERS_COUNT' }))).toMatchObject({
      aggregation: 'SUM',
      measure: 'DISTINCT_CUSTOMERS',
    });
  });

  it('lays out the buckets of the range', () => {
    const { grid } = planUsageQuery(query({ startTimeInSeconds: 1718100000, endTimeInSeconds: 1718186400 }), meter());
    expect(grid.startMillis).toBe(Date.parse('2024-06-11T00:00:00Z'));
    expect(grid.endMillis).toBe(Date.parse('2024-06-13T00:00:00Z'));
    expect(grid.bucketCount).toBe(2);
  });

  it('rejects grouping and filtering by undeclared dimensions, naming them and the declared ones', () => {
    const details = detailsOfError(
      () => planUsageQuery(query({ groupBy: ['customerId', 'zone'], filter: { colour: ['red'], region: ['eu'] } }), meter()),
      ValidationError,
    );
    expect(details).toBe(
      'groupBy: "zone" is not a declared dimension of meter "api-calls" (declared: region, tier; customerId is always available); ' +
        'filter: "colour" is not a declared dimension of meter "api-calls" (declared: region, tier; customerId is always available)',
    );
    expect(detailsOfError(() => planUsageQuery(query({ groupBy: ['region'] }), meter({ dimensions: [] })), ValidationError)).toContain(
      '(declared: none;',
    );
  });

  it('passes zone problems on', () => {
    expect(detailsOfError(() => planUsageQuery(query({ timeZone: 'Asia/Kolkata' }), meter()), ValidationError)).toContain(
      'Asia/Kolkata is UTC+05:30',
    );
  });

  it('intersects customerFilter with filter.customerId and keeps dimension filters apart', () => {
    const plan = planUsageQuery(query({ customerFilter: ['a', 'b', 'c'], filter: { customerId: ['b', 'c', 'd'], region: ['eu', 'us'] } }), meter());
    expect([...plan.customerIds!]).toEqual(['b', 'c']);
    expect([...plan.dimensionFilters]).toEqual([['region', new Set(['eu', 'us'])]]);
    expect(planUsageQuery(query({ filter: { customerId: ['x'] } }), meter()).customerIds).toEqual(new Set(['x']));
    expect(planUsageQuery(query(), meter()).customerIds).toBeUndefined();
  });
});
