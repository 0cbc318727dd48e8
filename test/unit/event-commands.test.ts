import { describe, expect, it } from 'vitest';
import { planMessage, rollupDeltas } from '../../functions/domain/consumption.js';
import { indexAccountConfiguration } from '../../functions/store/account-config-cache.js';
import {
  buildEventTransaction,
  buildFlagConflict,
  buildReadStoredEvents,
} from '../../functions/store/event-commands.js';
import { buildRawEventDayQuery, dayPartitions, isPositionOf } from '../../functions/store/raw-events.js';
import { buildRollupQueries, partitionPeriods } from '../../functions/store/rollup-reader.js';
import { rollupGranularityFor } from '../../functions/store/usage-rows.js';
import { bucketGrid } from '../../functions/domain/buckets.js';
import type { UsagePlan } from '../../functions/domain/usage-request.js';
import { messageBody, queuedEvent } from '../support/events.js';

const account = indexAccountConfiguration({
  meters: [{ meterApiName: 'api-calls', displayName: 'x', label: 'x', type: 'SUM_OF_ALL_USAGE', dimensions: ['region'], meterTimeInMillis: 0 }],
  rules: [],
});
const tables = { events: 'events', rollups: 'rollups' };
const TIME = Date.UTC(2026, 10, 20, 10, 30);

describe('buildEventTransaction', () => {
  const event = queuedEvent({ eventId: 'e-1', meterValue: 3, dimensions: { region: 'us' }, meterTimeInMillis: TIME });
  const planned = planMessage(messageBody('acct', [event], Date.UTC(2026, 10, 20, 11)), 'm', account);
  const input = buildEventTransaction(tables, planned, rollupDeltas(planned), new Map(), 1_000, 90);

  it('puts each event first, only if absent, asking for the stored item when it is not', () => {
    const put = input.TransactItems![0]!.Put!;
    expect(put.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(put.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
    expect(put.Item).toMatchObject({
      pk: 'EV#acct#api-calls#e-1',
      sk: 'EVENT',
      timePk: 'EV#acct#api-calls#2026-11-20',
      timeSk: `${TIME}#e-1`,
      status: 'counted',
      meterValue: 3,
      processedAtMillis: 1_000,
      expiresAt: Date.UTC(2026, 10, 20, 11) / 1000 + 90 * 86_400,
    });
  });

  it('then updates the customer-hour item (in the slot of its dimensions) and the customer-day item', () => {
    const updates = input.TransactItems!.slice(1).map((item) => item.Update!);
    expect(updates.map((update) => update.Key)).toEqual([
      { pk: expect.stringMatching(/^RH#acct#api-calls#2026-11-20#\d$/), sk: 'customer-1#10#*' },
      { pk: expect.stringMatching(/^RD#acct#api-calls#2026-11#\d$/), sk: 'customer-1#20#' },
    ]);
    // Nothing was known of either item, so each update claims its counters only if they are still absent.
    for (const update of updates) expect(update.ConditionExpression).toMatch(/^attribute_not_exists\(#a\d+\)$/);
  });
});

describe('buildReadStoredEvents', () => {
  it('reads whole event items by key, eventually consistent', () => {
    const keys = [{ pk: 'EV#a#m#1', sk: 'EVENT' }];
    expect(buildReadStoredEvents('events', keys)).toEqual({ RequestItems: { events: { Keys: keys } } });
  });
});

describe('buildFlagConflict', () => {
  it('flags conflicts on existing events only', () => {
    expect(buildFlagConflict('t', { pk: 'p', sk: 's' }, 'h', 5)).toMatchObject({ ConditionExpression: 'attribute_exists(pk)', ExpressionAttributeValues: { ':hash': 'h' } });
  });
});

describe('rollup reads', () => {
  it('cover the partition periods of a range: UTC days for hours, UTC months for days', () => {
    expect(partitionPeriods('HOUR', Date.UTC(2026, 0, 1, 23), Date.UTC(2026, 0, 3, 1))).toEqual([Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 2), Date.UTC(2026, 0, 3)]);
    expect(partitionPeriods('DAY', Date.UTC(2026, 0, 31), Date.UTC(2026, 2, 1))).toEqual([Date.UTC(2026, 0, 1), Date.UTC(2026, 1, 1)]);
    expect(partitionPeriods('DAY', 5, 5)).toEqual([]);
  });

  it('query every shard for all customers, and one shard with a sort-key prefix for one customer', () => {
    const range = { accountId: 'a', meterApiName: 'm', granularity: 'DAY' as const, fromMillis: Date.UTC(2026, 0, 5), toMillis: Date.UTC(2026, 0, 9) };
    const all = buildRollupQueries('t', range);
    expect(all.map((query) => query.ExpressionAttributeValues![':pk'])).toEqual(['RD#a#m#2026-01#0', 'RD#a#m#2026-01#1', 'RD#a#m#2026-01#2', 'RD#a#m#2026-01#3']);
    const one = buildRollupQueries('t', { ...range, customerId: 'c#1' });
    expect(one).toHaveLength(1);
    expect(one[0]).toMatchObject({ KeyConditionExpression: 'pk = :pk AND begins_with(sk, :customer)', ExpressionAttributeValues: { ':customer': 'c%231#' } });
  });

  it('read customer-day items only for grids of whole UTC days that break nothing down by dimension', () => {
    const plan = (
      interval: 'HOUR' | 'DAY' | 'WEEK' | 'MONTH',
      options: { timeZone?: string; groupBy?: string[]; dimensionFilters?: Map<string, Set<string>> } = {},
    ) => ({
      grid: bucketGrid({ startMillis: Date.UTC(2026, 0, 5), endMillis: Date.UTC(2026, 2, 5), interval, timeZone: options.timeZone }),
      query: { groupBy: options.groupBy ?? [] } as unknown as UsagePlan['query'],
      dimensionFilters: options.dimensionFilters ?? new Map<string, Set<string>>(),
    });
    expect(rollupGranularityFor(plan('DAY'))).toBe('DAY');
    expect(rollupGranularityFor(plan('WEEK'))).toBe('DAY');
    expect(rollupGranularityFor(plan('MONTH', { groupBy: ['customerId'] }))).toBe('DAY');
    expect(rollupGranularityFor(plan('HOUR'))).toBe('HOUR');
    expect(rollupGranularityFor(plan('DAY', { timeZone: 'Europe/Berlin' }))).toBe('HOUR');
    expect(rollupGranularityFor(plan('DAY', { groupBy: ['customerId', 'region'] }))).toBe('HOUR');
    expect(rollupGranularityFor(plan('MONTH', { dimensionFilters: new Map([['region', new Set(['eu'])]]) }))).toBe('HOUR');
  });
});

describe('raw event reads', () => {
  const query = { accountId: 'a', meterApiName: 'm', fromMillis: Date.UTC(2026, 0, 1, 12), toMillis: Date.UTC(2026, 0, 3), ascending: false, limit: 10 };

  it('list day partitions in the listing order', () => {
    expect(dayPartitions(query.fromMillis, query.toMillis, false)).toEqual([Date.UTC(2026, 0, 2), Date.UTC(2026, 0, 1)]);
  });

  it('query one day of the time index, bounded to the range, with the customer as a filter', () => {
    expect(buildRawEventDayQuery('t', { ...query, customerId: 'c' }, Date.UTC(2026, 0, 1), 4)).toMatchObject({
      IndexName: 'byMeterTime',
      KeyConditionExpression: 'timePk = :day AND timeSk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':day': 'EV#a#m#2026-01-01', ':from': String(query.fromMillis), ':to': `${query.toMillis - 1}$`, ':customer': 'c' },
      FilterExpression: 'customerId = :customer',
      ScanIndexForward: false,
      Limit: 4,
    });
  });

  it('accept only positions of this account, meter and range', () => {
    const time = Date.UTC(2026, 0, 2, 5);
    const position = { pk: 'EV#a#m#e1', sk: 'EVENT', timePk: 'EV#a#m#2026-01-02', timeSk: `${time}#e1` };
    expect(isPositionOf(query, position)).toBe(true);
    expect(isPositionOf({ ...query, accountId: 'b' }, position)).toBe(false);
    expect(isPositionOf(query, { ...position, timePk: 'EV#a#m#2026-01-01' })).toBe(false);
    expect(isPositionOf(query, { ...position, pk: 'EV#a#m#e2' })).toBe(false);
    expect(isPositionOf({ ...query, toMillis: time }, position)).toBe(false);
    expect(isPositionOf(query, { ...position, timeSk: 'garbage' })).toBe(false);
  });
});
