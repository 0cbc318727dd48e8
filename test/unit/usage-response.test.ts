import { describe, expect, it } from 'vitest';
import type { MeterDefinition } from '../../functions/domain/meters.js';
import type { RollupRow } from '../../functions/domain/rollups.js';
import { aggregateUsage } from '../../functions/domain/usage-aggregation.js';
import { parseUsageRequest, planUsageQuery } from '../../functions/domain/usage-request.js';
import { percentagesFromPrevious, usageResponse } from '../../functions/domain/usage-response.js';

const NOW = Date.parse('2024-06-12T10:00:00Z');

const meter: MeterDefinition = {
  meterApiName: 'api-calls',
  displayName: 'API calls',
  label: 'api-calls',
  type: 'SUM_OF_ALL_USAGE',
  dimensions: ['region'],
  meterTimeInMillis: 0,
};

const rows: RollupRow[] = [
  { meterApiName: 'api-calls', hourStartMillis: Date.parse('2024-06-10T03:00:00Z'), customerId: 'c1', dimensions: {}, sum: 4040, count: 2, min: 40, max: 4000 },
  { meterApiName: 'api-calls', hourStartMillis: Date.parse('2024-06-11T03:00:00Z'), customerId: 'c1', dimensions: {}, sum: 19605, count: 3, min: 5, max: 19000 },
  { meterApiName: 'api-calls', hourStartMillis: Date.parse('2024-06-11T04:00:00Z'), customerId: 'c2', dimensions: { region: 'eu' }, sum: 1, count: 1, min: 1, max: 1 },
];

/** Runs a request body through parsing, planning, aggregation and shaping. */
function answer(body: Record<string, unknown>) {
  const request = parseUsageRequest(body, NOW);
  const plan = planUsageQuery(request.query, meter);
  return usageResponse(request, plan, aggregateUsage(plan, rows));
}

describe('percentagesFromPrevious', () => {
  it("matches the documentation's worked example", () => {
    expect(percentagesFromPrevious([0, 4040, 19605])).toEqual([0, 100, 385.2722772277228]);
  });

  it('is 0 for the first bucket and between zeros, and -100 on a drop to zero', () => {
    expect(percentagesFromPrevious([7, 0, 0, 3, 6, 3])).toEqual([0, -100, 0, 100, 100, -50]);
    expect(percentagesFromPrevious([])).toEqual([]);
  });

  it('follows the formula literally for negative values', () => {
    expect(percentagesFromPrevious([0, -5, -10, 10])).toEqual([0, -100, 100, -200]);
  });
});

describe('usageResponse in the seed shape', () => {
  const seedBody = {
    meterApiName: 'api-calls',
    startTimeInSeconds: Date.parse('2024-06-10T00:00:00Z') / 1000,
    endTimeInSeconds: Date.parse('2024-06-12T12:00:00Z') / 1000,
    aggregation: 'SUM',
    timeGroupingInterval: 'DAY',
  };

  it('maps the meter to one ungrouped entry with groupInfo {} and one record per bucket, zero-filled', () => {
    expect(answer(seedBody)).toEqual({
      clientMeters: {
        'api-calls': [{ groupInfo: {}, records: [{ '1717977600': 4040 }, { '1718064000': 19606 }, { '1718150400': 0 }] }],
      },
    });
  });

  it('lists one entry per group', () => {
    expect(answer({ ...seedBody, groupBy: ['customerId'] })).toEqual({
      clientMeters: {
        'api-calls': [
          { groupInfo: { customerId: 'c1' }, records: [{ '1717977600': 4040 }, { '1718064000': 19605 }, { '1718150400': 0 }] },
          { groupInfo: { customerId: 'c2' }, records: [{ '1717977600': 0 }, { '1718064000': 1 }, { '1718150400': 0 }] },
        ],
      },
    });
  });
});

describe('usageResponse in the report shape', () => {
  const sdkBody = {
    meterApiName: 'api-calls',
    aggregation: 'sum',
    timeGroupingInterval: 'day',
    timeRange: { startTimeInSeconds: Date.parse('2024-06-09T00:00:00Z') / 1000 },
    filter: { customerId: ['c1'] },
  };

  it('echoes the query with the end filled in and reports each bucket with its change from the previous', () => {
    expect(answer(sdkBody)).toEqual({
      metadata: {
        meterApiName: 'api-calls',
        aggregation: 'SUM',
        timeGroupingInterval: 'DAY',
        timeRange: { startTimeInSeconds: 1717891200, endTimeInSeconds: NOW / 1000 },
        filter: { customerId: ['c1'] },
      },
      secondsSinceEpochIntervals: [1717891200, 1717977600, 1718064000, 1718150400],
      clientMeters: [
        {
          group: null,
          groupValue: 23645,
          values: [
            { value: 0, secondsSinceEpochUtc: 1717891200, percentageFromPrevious: 0 },
            { value: 4040, secondsSinceEpochUtc: 1717977600, percentageFromPrevious: 100 },
            { value: 19605, secondsSinceEpochUtc: 1718064000, percentageFromPrevious: 385.2722772277228 },
            { value: 0, secondsSinceEpochUtc: 1718150400, percentageFromPrevious: -100 },
          ],
        },
      ],
    });
  });

  it('labels groups, and echoes grouping, customerFilter, take, time zone and the default aggregation', () => {
    const report = answer({
      meterApiName: 'api-calls',
      timeGroupingInterval: 'day',
      timeRange: sdkBody.timeRange,
      groupBy: ['region'],
      customerFilter: ['c1', 'c2'],
      take: { limit: 1 },
      timeZone: 'Europe/Berlin',
    });
    expect(report).toMatchObject({
      metadata: {
        aggregation: 'SUM',
        groupBy: ['region'],
        customerFilter: ['c1', 'c2'],
        take: { limit: 1, isAscending: false },
        timeZone: 'Europe/Berlin',
      },
      secondsSinceEpochIntervals: [1717884000, 1717970400, 1718056800, 1718143200],
      clientMeters: [{ group: { groupInfo: {} }, groupValue: 23645 }],
    });
  });
});
