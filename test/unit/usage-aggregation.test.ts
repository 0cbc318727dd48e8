import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TimeGroupingInterval } from '../../functions/domain/buckets.js';
import { ValidationError } from '../../functions/domain/errors.js';
import type { MeterDefinition, MeterType } from '../../functions/domain/meters.js';
import { HOUR_MILLIS, type RollupRow } from '../../functions/domain/rollups.js';
import { aggregateUsage, MAX_GROUPS, MAX_VALUES, UsageAggregator, type UsageGroup } from '../../functions/domain/usage-aggregation.js';
import { planUsageQuery, type Aggregation, type UsageQuery } from '../../functions/domain/usage-request.js';
import { detailsOfError } from './support.js';

const at = (iso: string) => Date.parse(iso);
const seconds = (iso: string) => at(iso) / 1000;

const meter = (type: MeterType = 'SUM_OF_ALL_USAGE'): MeterDefinition => ({
  meterApiName: 'api-calls',
  displayName: 'API calls',
  label: 'api-calls',
  type,
  dimensions: ['region', 'tier'],
  meterTimeInMillis: 0,
});

const query = (overrides: Partial<UsageQuery> = {}): UsageQuery => ({
  meterApiName: 'api-calls',
  startTimeInSeconds: seconds('2024-06-10T00:00:00Z'),
  endTimeInSeconds: seconds('2024-06-13T00:00:00Z'),
  aggregation: undefined,
  timeGroupingInterval: 'DAY',
  groupBy: [],
  customerFilter: undefined,
  filter: {},
  take: undefined,
  timeZone: undefined,
  ...overrides,
});

const row = (overrides: Partial<RollupRow> & { hour: string }): RollupRow => {
  const { hour, ...rest } = overrides;
  return {
    meterApiName: 'api-calls',
    hourStartMillis: at(hour),
    customerId: 'c1',
    dimensions: {},
    sum: 1,
    count: 1,
    min: 1,
    max: 1,
    ...rest,
  };
};

function aggregate(overrides: Partial<UsageQuery>, rows: RollupRow[], type: MeterType = 'SUM_OF_ALL_USAGE'): UsageGroup[] {
  return aggregateUsage(planUsageQuery(query(overrides), meter(type)), rows);
}

const sample: RollupRow[] = [
  row({ hour: '2024-06-10T01:00:00Z', customerId: 'c1', dimensions: { region: 'eu' }, sum: 10, count: 2, min: 3, max: 7 }),
  row({ hour: '2024-06-10T05:00:00Z', customerId: 'c2', dimensions: { region: 'us', tier: 'pro' }, sum: 5, count: 1, min: 5, max: 5 }),
  row({ hour: '2024-06-10T05:00:00Z', customerId: 'c1', dimensions: { region: 'us' }, sum: 0, count: 0, min: -100, max: 100 }),
  row({ hour: '2024-06-12T23:00:00Z', customerId: 'c2', dimensions: { region: 'eu' }, sum: 4, count: 4, min: 1, max: 2 }),
];

describe('aggregateUsage', () => {
  it.each([
    ['SUM', [15, 0, 4], 19],
    ['COUNT', [3, 0, 4], 7],
    ['MAX', [7, 0, 2], 7],
    ['MIN', [3, 0, 1], 1],
  ] as const)('computes %s per bucket and over the whole range, zero-filling empty buckets', (aggregation, values, total) => {
    expect(aggregate({ aggregation }, sample)).toEqual([{ groupInfo: {}, total, values }]);
  });

  it('ignores rows without counted events for MAX and MIN', () => {
    const onlyEmpty = [row({ hour: '2024-06-11T00:00:00Z', count: 0, sum: 0, min: -5, max: 50 })];
    expect(aggregate({ aggregation: 'MAX' }, onlyEmpty)).toEqual([{ groupInfo: {}, total: 0, values: [0, 0, 0] }]);
    expect(aggregate({ aggregation: 'MIN' }, onlyEmpty)).toEqual([{ groupInfo: {}, total: 0, values: [0, 0, 0] }]);
  });

  it('keeps negative extremes', () => {
    const negative = [row({ hour: '2024-06-11T00:00:00Z', min: -8, max: -2 }), row({ hour: '2024-06-11T03:00:00Z', min: -1, max: -1 })];
    expect(aggregate({ aggregation: 'MAX' }, negative)[0]!.values).toEqual([0, -1, 0]);
    expect(aggregate({ aggregation: 'MIN' }, negative)[0]!.total).toBe(-8);
  });

  it('counts distinct customers per bucket and over the range, never a sum of buckets', () => {
    const rows = [
      row({ hour: '2024-06-10T01:00:00Z', customerId: 'c1' }),
      row({ hour: '2024-06-10T02:00:00Z', customerId: 'c1' }),
      row({ hour: '2024-06-10T03:00:00Z', customerId: 'c2' }),
      row({ hour: '2024-06-11T03:00:00Z', customerId: 'c1' }),
      row({ hour: '2024-06-12T03:00:00Z', customerId: 'c3', count: 0, sum: 0 }),
    ];
    expect(aggregate({}, rows, 'UNIQUE_CUSTOMERS_COUNT')).toEqual([{ groupInfo: {}, total: 2, values: [2, 1, 0] }]);
    expect(aggregate({ aggregation: 'SUM', groupBy: ['customerId'] }, rows, 'UNIQUE_CUSTOMERS_COUNT')).toEqual([
      { groupInfo: { customerId: 'c1' }, total: 1, values: [1, 1, 0] },
      { groupInfo: { customerId: 'c2' }, total: 1, values: [1, 0, 0] },
      { groupInfo: { customerId: 'c3' }, total: 0, values: [0, 0, 0] },
    ]);
  });

  it('groups by customerId and dimensions, leaving out a dimension the usage lacked and ordering by key', () => {
    expect(aggregate({ aggregation: 'SUM', groupBy: ['region', 'tier'] }, sample)).toEqual([
      { groupInfo: { region: 'eu' }, total: 14, values: [10, 0, 4] },
      { groupInfo: { region: 'us' }, total: 0, values: [0, 0, 0] },
      { groupInfo: { region: 'us', tier: 'pro' }, total: 5, values: [5, 0, 0] },
    ]);
    expect(aggregate({ groupBy: ['tier', 'customerId'] }, sample).map((group) => group.groupInfo)).toEqual([
      { customerId: 'c1' },
      { customerId: 'c2' },
      { tier: 'pro', customerId: 'c2' },
    ]);
  });

  it('labels a group by a dimension named __proto__ with an own key', () => {
    const plan = planUsageQuery(query({ groupBy: ['__proto__'] }), { ...meter(), dimensions: ['__proto__'] });
    const dimensions = JSON.parse('{"__proto__":"x"}') as Record<string, string>;
    const [group] = aggregateUsage(plan, [row({ hour: '2024-06-11T00:00:00Z', dimensions })]);
    expect(Object.keys(group!.groupInfo)).toEqual(['__proto__']);
    expect(group!.groupInfo.__proto__).toBe('x');
  });

  it('applies customerFilter and filter before grouping; a row lacking a filtered dimension does not match', () => {
    expect(aggregate({ customerFilter: ['c2'] }, sample)[0]!.values).toEqual([5, 0, 4]);
    expect(aggregate({ filter: { customerId: ['c1'] } }, sample)[0]!.values).toEqual([10, 0, 0]);
    expect(aggregate({ filter: { region: ['eu'] }, groupBy: ['customerId'] }, sample).map((group) => group.total)).toEqual([10, 4]);
    expect(aggregate({ filter: { tier: ['pro', 'free'] } }, sample)[0]!.total).toBe(5);
    expect(aggregate({ customerFilter: ['c1'], filter: { customerId: ['c2'] } }, sample)[0]!.total).toBe(0);
  });

  it('ignores rows outside the range and rows of other meters', () => {
    const rows = [
      row({ hour: '2024-06-09T23:00:00Z', sum: 100 }),
      row({ hour: '2024-06-13T00:00:00Z', sum: 100 }),
      row({ hour: '2024-06-11T00:00:00Z', sum: 100, meterApiName: 'other' }),
      row({ hour: '2024-06-11T00:00:00Z', sum: 3 }),
    ];
    expect(aggregate({}, rows)).toEqual([{ groupInfo: {}, total: 3, values: [0, 3, 0] }]);
  });

  it('answers an ungrouped query without usage with one zero series, and a grouped one with no groups', () => {
    expect(aggregate({}, [])).toEqual([{ groupInfo: {}, total: 0, values: [0, 0, 0] }]);
    expect(aggregate({ groupBy: ['customerId'] }, [])).toEqual([]);
  });

  it('buckets by local days in a time zone', () => {
    const rows = [row({ hour: '2024-06-10T21:00:00Z', sum: 1 }), row({ hour: '2024-06-10T22:00:00Z', sum: 2 })];
    expect(aggregate({ timeZone: 'Europe/Berlin' }, rows)[0]!.values).toEqual([1, 2, 0, 0]);
  });

  it('takes the top groups by whole-range value, descending by default, ties in key order', () => {
    const rows = ['c1', 'c2', 'c3', 'c4'].map((customerId, index) =>
      row({ hour: '2024-06-11T00:00:00Z', customerId, sum: [5, 9, 5, 1][index]! }),
    );
    const top = (take: UsageQuery['take']) => aggregate({ groupBy: ['customerId'], take }, rows).map((group) => group.groupInfo.customerId);
    expect(top({ limit: 3, isAscending: false })).toEqual(['c2', 'c1', 'c3']);
    expect(top({ limit: 2, isAscending: true })).toEqual(['c4', 'c1']);
    expect(top({ limit: 10, isAscending: false })).toEqual(['c2', 'c1', 'c3', 'c4']);
  });

  it('gives the same answer when rows arrive in pages and in any order', () => {
    const plan = planUsageQuery(query({ groupBy: ['region'], aggregation: 'MIN' }), meter());
    const aggregator = new UsageAggregator(plan);
    aggregator.add(sample.slice(2).reverse());
    aggregator.add(sample.slice(0, 2));
    expect(aggregator.finish()).toEqual(aggregateUsage(plan, sample));
  });

  it('handles thousands of groups and cells', () => {
    const rows = Array.from({ length: 6000 }, (_, index) =>
      row({ hour: `2024-06-1${index % 3}T0${index % 10}:00:00Z`, customerId: `c${index % 3000}`, sum: index }),
    );
    const groups = aggregate({ groupBy: ['customerId'], take: { limit: 2, isAscending: false } }, rows);
    expect(groups).toEqual([
      { groupInfo: { customerId: 'c2999' }, total: 2999 + 5999, values: [0, 0, 5999 + 2999] },
      { groupInfo: { customerId: 'c2998' }, total: 2998 + 5998, values: [0, 5998 + 2998, 0] },
    ]);
  });
});

describe('aggregateUsage caps', () => {
  const manyCustomers = Array.from({ length: MAX_GROUPS + 1 }, (_, index) =>
    row({ hour: '2024-06-11T00:00:00Z', customerId: `c${String(index).padStart(4, '0')}`, sum: index }),
  );

  it(`rejects more than ${MAX_GROUPS} groups, suggesting a filter or take`, () => {
    expect(aggregate({ groupBy: ['customerId'] }, manyCustomers.slice(0, MAX_GROUPS))).toHaveLength(MAX_GROUPS);
    const details = detailsOfError(() => aggregate({ groupBy: ['customerId'] }, manyCustomers), ValidationError);
    expect(details).toContain(`${MAX_GROUPS + 1} groups; the limit is ${MAX_GROUPS} per response`);
    expect(details).toContain('take');
    expect(details).toContain('filter');
  });

  it('lets take keep the top groups among more than the cap', () => {
    const groups = aggregate({ groupBy: ['customerId'], take: { limit: 2, isAscending: false } }, manyCustomers);
    expect(groups.map((group) => group.total)).toEqual([MAX_GROUPS, MAX_GROUPS - 1]);
  });

  it(`rejects more than ${MAX_VALUES} values per response, naming groups and buckets`, () => {
    const hourly = { timeGroupingInterval: 'HOUR' as const, endTimeInSeconds: seconds('2024-06-10T00:00:00Z') + 2400 * 3600, groupBy: ['customerId'] };
    const customers = (count: number) => manyCustomers.slice(0, count);
    expect(aggregate(hourly, customers(16))).toHaveLength(16);
    expect(detailsOfError(() => aggregate(hourly, customers(17)), ValidationError)).toBe(
      `17 groups x 2400 buckets = 40800 values; the limit is ${MAX_VALUES} per response: use a coarser ` +
        'timeGroupingInterval, a shorter range, a filter, or a smaller take.limit',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Property: the aggregation equals a brute-force reference computed directly from the rows, with
// buckets labelled by local calendar dates that Intl computes independently of buckets.ts.

const BASE = at('2024-02-20T00:00:00Z');
const SPAN_HOURS = 270 * 24;
const CUSTOMERS = ['c1', 'c2', 'c3', 'c4', 'c5'];
const REGIONS = ['eu', 'us', 'ap'];
const TIERS = ['free', 'pro'];

const labelFormatters = new Map<string, Intl.DateTimeFormat>();
const labelCaches = new Map<string, Map<number, string>>();

/** The bucket an instant falls in, named by its local calendar (or UTC hour for HOUR). */
function bucketLabel(interval: TimeGroupingInterval, timeZone: string | undefined, millis: number): string {
  const cacheId = `${interval} ${timeZone}`;
  let cache = labelCaches.get(cacheId);
  if (!cache) {
    cache = new Map();
    labelCaches.set(cacheId, cache);
  }
  let label = cache.get(millis);
  if (label === undefined) {
    label = computeBucketLabel(interval, timeZone, millis);
    cache.set(millis, label);
  }
  return label;
}

function computeBucketLabel(interval: TimeGroupingInterval, timeZone: string | undefined, millis: number): string {
  if (interval === 'HOUR') return new Date(Math.floor(millis / HOUR_MILLIS) * HOUR_MILLIS).toISOString();
  const zone = timeZone ?? 'UTC';
  let formatter = labelFormatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' });
    labelFormatters.set(zone, formatter);
  }
  const date = formatter.format(millis);
  if (interval === 'DAY') return date;
  if (interval === 'MONTH') return date.slice(0, 7);
  const day = new Date(`${date}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() - ((day.getUTCDay() + 6) % 7));
  return day.toISOString().slice(0, 10);
}

/** Shorter than the shortest bucket of each interval (a 23-hour day, a week, a 28-day month), in hours. */
const LABEL_STEP_HOURS: Record<TimeGroupingInterval, number> = { HOUR: 1, DAY: 22, WEEK: 166, MONTH: 670 };

/** Labels of the buckets from the one holding the start to the one holding the last instant. */
function referenceLabels(q: UsageQuery): string[] {
  const found: string[] = [];
  const last = bucketLabel(q.timeGroupingInterval, q.timeZone, q.endTimeInSeconds * 1000 - 1);
  const step = LABEL_STEP_HOURS[q.timeGroupingInterval] * HOUR_MILLIS;
  found.push(bucketLabel(q.timeGroupingInterval, q.timeZone, q.startTimeInSeconds * 1000));
  for (let hour = Math.ceil(q.startTimeInSeconds / 3600) * HOUR_MILLIS; found[found.length - 1] !== last; hour += step) {
    const label = bucketLabel(q.timeGroupingInterval, q.timeZone, hour);
    if (found[found.length - 1] !== label) found.push(label);
  }
  return found;
}

function measureOf(rows: readonly RollupRow[], measure: Aggregation | 'DISTINCT_CUSTOMERS'): number {
  const counted = rows.filter((candidate) => candidate.count > 0);
  switch (measure) {
    case 'SUM':
      return rows.reduce((total, candidate) => total + candidate.sum, 0);
    case 'COUNT':
      return rows.reduce((total, candidate) => total + candidate.count, 0);
    case 'MAX':
      return counted.length === 0 ? 0 : Math.max(...counted.map((candidate) => candidate.max));
    case 'MIN':
      return counted.length === 0 ? 0 : Math.min(...counted.map((candidate) => candidate.min));
    case 'DISTINCT_CUSTOMERS':
      return new Set(counted.map((candidate) => candidate.customerId)).size;
  }
}

function reference(q: UsageQuery, type: MeterType, rows: readonly RollupRow[]): UsageGroup[] {
  const bucketLabels = referenceLabels(q);
  const inRange = new Set(bucketLabels);
  const labelOf = (candidate: RollupRow) => bucketLabel(q.timeGroupingInterval, q.timeZone, candidate.hourStartMillis);
  const measure = type === 'UNIQUE_CUSTOMERS_COUNT' ? 'DISTINCT_CUSTOMERS' : (q.aggregation ?? (type === 'MAX_IN_PERIOD' ? 'MAX' : 'SUM'));
  const keyOf = (candidate: RollupRow) =>
    q.groupBy.map((key) => (key === 'customerId' ? candidate.customerId : (candidate.dimensions[key] ?? null)));
  const matches = rows.filter(
    (candidate) =>
      candidate.meterApiName === q.meterApiName &&
      inRange.has(labelOf(candidate)) &&
      (q.customerFilter === undefined || q.customerFilter.includes(candidate.customerId)) &&
      Object.entries(q.filter).every(([key, values]) =>
        values.includes((key === 'customerId' ? candidate.customerId : candidate.dimensions[key]) as string),
      ),
  );
  const groups = new Map<string, (string | null)[]>(q.groupBy.length === 0 ? [['[]', []]] : []);
  for (const candidate of matches) groups.set(JSON.stringify(keyOf(candidate)), keyOf(candidate));
  const compare = (a: (string | null)[], b: (string | null)[]) => {
    for (let index = 0; index < a.length; index += 1) {
      if (a[index] === b[index]) continue;
      if (a[index] === null) return -1;
      if (b[index] === null) return 1;
      return a[index]! < b[index]! ? -1 : 1;
    }
    return 0;
  };
  let result = [...groups.entries()]
    .sort(([, a], [, b]) => compare(a, b))
    .map(([id, key]) => {
      const inGroup = matches.filter((candidate) => JSON.stringify(keyOf(candidate)) === id);
      const byLabel = new Map<string, RollupRow[]>();
      for (const candidate of inGroup) byLabel.set(labelOf(candidate), [...(byLabel.get(labelOf(candidate)) ?? []), candidate]);
      return {
        groupInfo: Object.fromEntries(q.groupBy.map((name, index) => [name, key[index]]).filter(([, value]) => value !== null)),
        total: measureOf(inGroup, measure),
        values: bucketLabels.map((label) => (byLabel.has(label) ? measureOf(byLabel.get(label)!, measure) : 0)),
      };
    });
  if (q.take) {
    const direction = q.take.isAscending ? 1 : -1;
    result = result.sort((a, b) => direction * (a.total - b.total)).slice(0, q.take.limit);
  }
  return result;
}

const rowArbitrary = fc
  .record({
    meterApiName: fc.constantFrom('api-calls', 'api-calls', 'api-calls', 'other'),
    hour: fc.integer({ min: 0, max: SPAN_HOURS }),
    customerId: fc.constantFrom(...CUSTOMERS),
    region: fc.option(fc.constantFrom(...REGIONS), { nil: undefined }),
    tier: fc.option(fc.constantFrom(...TIERS), { nil: undefined }),
    count: fc.integer({ min: 0, max: 3 }),
    sum: fc.integer({ min: -20, max: 100 }),
    low: fc.integer({ min: -50, max: 50 }),
    spread: fc.integer({ min: 0, max: 30 }),
  })
  .map(
    (input): RollupRow => ({
      meterApiName: input.meterApiName,
      hourStartMillis: BASE + input.hour * HOUR_MILLIS,
      customerId: input.customerId,
      dimensions: {
        ...(input.region === undefined ? {} : { region: input.region }),
        ...(input.tier === undefined ? {} : { tier: input.tier }),
      },
      sum: input.sum,
      count: input.count,
      min: input.low,
      max: input.low + input.spread,
    }),
  );

const queryArbitrary = fc
  .record({
    interval: fc.constantFrom<TimeGroupingInterval>('HOUR', 'DAY', 'WEEK', 'MONTH'),
    timeZone: fc.constantFrom(undefined, 'UTC', 'Europe/Berlin', 'America/New_York'),
    startOffsetSeconds: fc.integer({ min: 0, max: SPAN_HOURS * 3600 }),
    spanSeconds: fc.integer({ min: 1, max: SPAN_HOURS * 3600 }),
    aggregation: fc.constantFrom<Aggregation | undefined>(undefined, 'SUM', 'MAX', 'MIN', 'COUNT'),
    groupBy: fc.shuffledSubarray(['customerId', 'region', 'tier']),
    customerFilter: fc.option(fc.subarray(CUSTOMERS, { minLength: 1 }), { nil: undefined }),
    regionFilter: fc.option(fc.subarray(REGIONS, { minLength: 1 }), { nil: undefined }),
    customerIdFilter: fc.option(fc.subarray(CUSTOMERS, { minLength: 1 }), { nil: undefined }),
    take: fc.option(fc.record({ limit: fc.integer({ min: 1, max: 6 }), isAscending: fc.boolean() }), { nil: undefined }),
  })
  .map((input): UsageQuery => {
    const start = BASE / 1000 + input.startOffsetSeconds;
    // HOUR buckets stay within the bucket cap.
    const span = input.interval === 'HOUR' ? Math.min(input.spanSeconds, 2000 * 3600) : input.spanSeconds;
    return {
      meterApiName: 'api-calls',
      startTimeInSeconds: start,
      endTimeInSeconds: start + span,
      aggregation: input.aggregation,
      timeGroupingInterval: input.interval,
      groupBy: input.groupBy,
      customerFilter: input.customerFilter,
      filter: {
        ...(input.regionFilter ? { region: input.regionFilter } : {}),
        ...(input.customerIdFilter ? { customerId: input.customerIdFilter } : {}),
      },
      take: input.take,
      timeZone: input.timeZone,
    };
  });

describe('aggregateUsage against a brute-force reference (property)', () => {
  it('agrees for every aggregation, interval, grouping, filter, take and time zone', () => {
    fc.assert(
      fc.property(
        queryArbitrary,
        fc.constantFrom<MeterType>('SUM_OF_ALL_USAGE', 'MAX_IN_PERIOD', 'UNIQUE_CUSTOMERS_COUNT'),
        fc.array(rowArbitrary, { maxLength: 120 }),
        fc.nat(),
        (q, type, rows, pageSplit) => {
          const plan = planUsageQuery(q, meter(type));
          const expected = reference(q, type, rows);
          expect(plan.grid.boundaries.slice(0, -1).map((boundary) => bucketLabel(q.timeGroupingInterval, q.timeZone, boundary))).toEqual(
            referenceLabels(q),
          );
          const aggregator = new UsageAggregator(plan);
          const split = rows.length === 0 ? 0 : pageSplit % rows.length;
          aggregator.add(rows.slice(0, split));
          aggregator.add(rows.slice(split));
          expect(aggregator.finish()).toEqual(expected);
        },
      ),
      { numRuns: 400 },
    );
  });
});
