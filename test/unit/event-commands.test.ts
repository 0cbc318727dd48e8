import { describe, expect, it } from 'vitest';
import { packTransactions, planMessage, rollupDeltas } from '../../functions/domain/consumption.js';
import { decodePageEntries, eventPages } from '../../functions/domain/event-pages.js';
import { indexAccountConfiguration } from '../../functions/store/account-config-cache.js';
import {
  buildEventTransaction,
  buildFlagConflict,
  eventItem,
  eventPageItem,
} from '../../functions/store/event-commands.js';
import {
  buildEventPageDayQuery,
  dayPartitions,
  isPositionOf,
  pageSortKeyBounds,
  toRawEvent,
} from '../../functions/store/raw-events.js';
import { buildBatchRead } from '../../functions/store/dynamo.js';
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
  const input = buildEventTransaction(tables, { events: planned, pages: eventPages(planned, () => 'p1'), rollups: rollupDeltas(planned) }, new Map(), 90);

  it('puts each event first, only if absent, asking for the stored item when it is not', () => {
    const put = input.TransactItems![0]!.Put!;
    expect(put.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(put.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
    expect(put.Item).toEqual({
      pk: 'EV#acct#api-calls#e-1',
      sk: 'EVENT',
      idSource: 'client',
      customerId: 'customer-1',
      meterValue: 3,
      meterTimeInMillis: TIME,
      dimensions: { region: 'us' },
      status: 'counted',
      receivedAtMillis: Date.UTC(2026, 10, 20, 11),
      expiresAt: Date.UTC(2026, 10, 20, 11) / 1000 + 90 * 86_400,
    });
  });

  it('then puts the page of its meter-hour, unconditionally, expiring with its events', () => {
    const put = input.TransactItems![1]!.Put!;
    expect(put.TableName).toBe('events');
    expect(put.ConditionExpression).toBeUndefined();
    expect(put.Item).toMatchObject({
      pk: 'EP#acct#api-calls#2026-11-20',
      sk: `10#${TIME}#p1`,
      entryCount: 1,
      expiresAt: Date.UTC(2026, 10, 20, 11) / 1000 + 90 * 86_400,
    });
    expect(decodePageEntries(put.Item!.entries as Uint8Array)).toEqual([{ meterTimeInMillis: TIME, eventId: 'e-1', customerId: 'customer-1' }]);
  });

  it('then updates the customer-hour item (in the slot of its dimensions) and the customer-day item', () => {
    const updates = input.TransactItems!.slice(2).map((item) => item.Update!);
    expect(updates.map((update) => update.Key)).toEqual([
      { pk: expect.stringMatching(/^RH#acct#api-calls#2026-11-20#\d$/), sk: 'customer-1#10#*' },
      { pk: expect.stringMatching(/^RD#acct#api-calls#2026-11#\d$/), sk: 'customer-1#20#' },
    ]);
    // Nothing was known of either item, so each update claims its counters only if they are still absent.
    for (const update of updates) expect(update.ConditionExpression).toMatch(/^attribute_not_exists\(#a\d+\)$/);
  });

  it('writes a transaction whose events span two hours as event Puts, two pages, then the rollups', () => {
    const events = [
      queuedEvent({ eventId: 'a', meterTimeInMillis: TIME + 20 * 60_000 }),
      queuedEvent({ eventId: 'b', meterTimeInMillis: TIME + 40 * 60_000 }),
      queuedEvent({ eventId: 'c', meterTimeInMillis: TIME }),
    ];
    const ids = ['p1', 'p2'];
    const [plan] = packTransactions(planMessage(messageBody('acct', events, 5_000), 'm', account), 100, () => ids.shift()!);
    const items = buildEventTransaction(tables, plan!, new Map(), 90).TransactItems!;
    const kinds = items.map((item) => (item.Update ? 'rollup' : String(item.Put!.Item!.sk).startsWith('EVENT') ? 'event' : 'page'));
    expect(kinds).toEqual(['event', 'event', 'event', 'page', 'page', 'rollup', 'rollup', 'rollup']);
    const pages = items.filter((_, index) => kinds[index] === 'page').map((item) => item.Put!.Item!);
    expect(pages.map((page) => [page.pk, page.sk, page.entryCount])).toEqual([
      ['EP#acct#api-calls#2026-11-20', `10#${TIME}#p1`, 2],
      ['EP#acct#api-calls#2026-11-20', `11#${TIME + 40 * 60_000}#p2`, 1],
    ]);
    expect(decodePageEntries(pages[0]!.entries as Uint8Array).map((entry) => entry.eventId)).toEqual(['c', 'a']);
  });
});

describe('event items', () => {
  it('are read back as raw events, meter and id from the key (an id may hold #)', () => {
    const [planned] = planMessage(messageBody('acct', [queuedEvent({ eventId: 'order#7', meterTimeInMillis: TIME, meterValue: 2 })], 9), 'm', account);
    expect(toRawEvent(eventItem(planned!, 90))).toEqual({
      meterApiName: 'api-calls',
      customerId: 'customer-1',
      meterValue: 2,
      meterTimeInMillis: TIME,
      uniqueId: 'order#7',
      eventId: 'order#7',
      dimensions: {},
      ingestedAtMillis: 9,
      status: 'counted',
    });
  });

  it('list no uniqueId for a stamped id, and expose a conflict flag', () => {
    const [planned] = planMessage(messageBody('acct', [queuedEvent({ eventId: 's-1', idSource: 'stamped' })], 9), 'm', account);
    const raw = toRawEvent({ ...eventItem(planned!, 90), duplicateConflict: true });
    expect(raw).not.toHaveProperty('uniqueId');
    expect(raw).toMatchObject({ eventId: 's-1', duplicateConflict: true });
  });

  it('page an uncounted event too, and expire a page with the latest of its events', () => {
    const planned = [
      ...planMessage(messageBody('acct', [queuedEvent({ eventId: 'x', meterApiName: 'gone' })], 1_000), 'm1', account),
      ...planMessage(messageBody('acct', [queuedEvent({ eventId: 'y', meterApiName: 'gone' })], 9_000), 'm2', account),
    ];
    const pages = eventPages(planned, () => 'p');
    expect(pages).toHaveLength(1);
    expect(eventPageItem(pages[0]!, 1)).toMatchObject({ pk: 'EP#acct#gone#2026-11-20', entryCount: 2, expiresAt: 9 + 86_400 });
  });
});

describe('buildBatchRead', () => {
  it('reads whole items of one table by key, eventually consistent', () => {
    const keys = [{ pk: 'EV#a#m#1', sk: 'EVENT' }];
    expect(buildBatchRead('events', keys)).toEqual({ events: { Keys: keys } });
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
  const query = { accountId: 'a', meterApiName: 'm', fromMillis: Date.UTC(2026, 0, 1, 12, 30), toMillis: Date.UTC(2026, 0, 3), ascending: false, limit: 10 };
  const pad = (millis: number) => String(millis).padStart(13, '0');

  it('list day partitions in the listing order', () => {
    expect(dayPartitions(query.fromMillis, query.toMillis, false)).toEqual([Date.UTC(2026, 0, 2), Date.UTC(2026, 0, 1)]);
  });

  it('query one day of pages, from the hour the range starts in to the last page starting inside it', () => {
    expect(buildEventPageDayQuery('t', { ...query, customerId: 'c' }, Date.UTC(2026, 0, 1), 4)).toEqual({
      TableName: 't',
      KeyConditionExpression: 'pk = :day AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':day': 'EP#a#m#2026-01-01', ':from': '12#', ':to': `23#${pad(Date.UTC(2026, 0, 2) - 1)}$` },
      ScanIndexForward: false,
      Limit: 4,
    });
    expect(pageSortKeyBounds(query, Date.UTC(2026, 0, 2))).toEqual({ from: '00#', to: `23#${pad(query.toMillis - 1)}$` });
    expect(pageSortKeyBounds({ ...query, toMillis: Date.UTC(2026, 0, 1, 14, 5) }, Date.UTC(2026, 0, 1))).toEqual({
      from: '12#',
      to: `14#${pad(Date.UTC(2026, 0, 1, 14, 5) - 1)}$`,
    });
  });

  it('resume at a page itself: as the lower bound ascending, as the upper bound descending', () => {
    const day = Date.UTC(2026, 0, 1);
    const descending = buildEventPageDayQuery('t', query, day, 4, { resumeAt: '15#x' });
    expect(descending.ExpressionAttributeValues).toMatchObject({ ':from': '12#', ':to': '15#x' });
    const ascending = buildEventPageDayQuery('t', { ...query, ascending: true }, day, 4, { resumeAt: '15#x', exclusiveStartKey: { pk: 'p', sk: 's' } });
    expect(ascending.ExpressionAttributeValues).toMatchObject({ ':from': '15#x', ':to': `23#${pad(Date.UTC(2026, 0, 2) - 1)}$` });
    expect(ascending.ExclusiveStartKey).toEqual({ pk: 'p', sk: 's' });
  });

  it('accept only positions of this account, meter and range', () => {
    const time = Date.UTC(2026, 0, 2, 5);
    const position = { pk: 'EP#a#m#2026-01-02', sk: `05#${pad(time)}#p1`, entry: 3 };
    expect(isPositionOf(query, position)).toBe(true);
    // A page of the hour the range starts in may start before the range.
    expect(isPositionOf(query, { pk: 'EP#a#m#2026-01-01', sk: `12#${pad(Date.UTC(2026, 0, 1, 12, 10))}#p1`, entry: 0 })).toBe(true);
    expect(isPositionOf(query, { pk: 'EP#a#m#2026-01-01', sk: `11#${pad(Date.UTC(2026, 0, 1, 11, 10))}#p1`, entry: 0 })).toBe(false);
    expect(isPositionOf({ ...query, accountId: 'b' }, position)).toBe(false);
    expect(isPositionOf({ ...query, meterApiName: 'n' }, position)).toBe(false);
    expect(isPositionOf(query, { ...position, pk: 'EP#a#m#2026-01-03' })).toBe(false);
    expect(isPositionOf(query, { ...position, pk: 'EV#a#m#2026-01-02' })).toBe(false);
    expect(isPositionOf({ ...query, toMillis: time }, position)).toBe(false);
    expect(isPositionOf(query, { ...position, sk: `06#${pad(time)}#p1` })).toBe(false);
    expect(isPositionOf(query, { ...position, sk: 'garbage' })).toBe(false);
    expect(isPositionOf(query, { ...position, entry: -1 })).toBe(false);
    expect(isPositionOf(query, { ...position, entry: 1.5 })).toBe(false);
    expect(isPositionOf(query, { ...position, entry: '3' as unknown as number })).toBe(false);
  });
});
