import { describe, expect, it } from 'vitest';
import { benchAccountConfiguration } from '../../bench/consumers.js';
import { expectedRollupTotals } from '../../bench/rollup-totals.js';
import { applyUpdate, generateUsageDataset, rawEventItems, rollupItems, type UsageDatasetSpec } from '../../bench/usage-dataset.js';
import { DECLARED_DIMENSIONS } from '../../bench/workload.js';
import { itemParts } from '../../functions/domain/rollup-items.js';
import { indexAccountConfiguration } from '../../functions/store/account-config-cache.js';
import { queuedEvent } from '../support/events.js';

const DAY = 86_400_000;
const spec: UsageDatasetSpec = {
  seed: 7,
  accountId: 'acct',
  meterApiName: 'api-calls',
  customers: 50,
  days: 3,
  endMillis: Date.UTC(2026, 10, 20),
  eventsPerCustomerDay: 2,
  historyCustomerRank: 1,
  historyDays: 10,
};

describe('generateUsageDataset', () => {
  it('is the same for the same seed', () => {
    expect(generateUsageDataset(spec)).toEqual(generateUsageDataset(spec));
    expect(generateUsageDataset({ ...spec, seed: 8 }).events[0]).not.toEqual(generateUsageDataset(spec).events[0]);
  });

  it('spreads customers x days x rate events over the window, and only the history customer before it', () => {
    const dataset = generateUsageDataset(spec);
    const windowStart = spec.endMillis - spec.days * DAY;
    const inWindow = dataset.events.filter((event) => event.meterTimeInMillis >= windowStart);
    const before = dataset.events.filter((event) => event.meterTimeInMillis < windowStart);
    expect(inWindow).toHaveLength(spec.customers * spec.eventsPerCustomerDay * spec.days);
    expect(new Set(before.map((event) => event.customerId))).toEqual(new Set([dataset.historyCustomerId]));
    // Rank 1 of 50 under Zipf(1): 100 events a day / 2 / H(50) = 11.
    expect(dataset.historyEventsPerDay).toBe(11);
    expect(before).toHaveLength(11 * (spec.historyDays - spec.days));
    expect(Math.min(...dataset.events.map((event) => event.meterTimeInMillis))).toBeGreaterThanOrEqual(spec.endMillis - spec.historyDays * DAY);
    expect(Math.max(...dataset.events.map((event) => event.meterTimeInMillis))).toBeLessThan(spec.endMillis);
    const times = dataset.events.map((event) => event.meterTimeInMillis);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(new Set(dataset.events.map((event) => event.eventId)).size).toBe(dataset.events.length);
  });

  it('refuses an end that is not a UTC midnight and history shorter than the window', () => {
    expect(() => generateUsageDataset({ ...spec, endMillis: spec.endMillis + 1 })).toThrow('midnight');
    expect(() => generateUsageDataset({ ...spec, historyDays: 2 })).toThrow('historyDays');
  });
});

describe('rawEventItems', () => {
  it('builds the counted event items and the pages of the consumer batches they arrive in', () => {
    const account = indexAccountConfiguration(benchAccountConfiguration({ meterApiName: 'api-calls' }));
    const hour = Date.UTC(2026, 10, 19, 8);
    const events = [0, 1, 2, 3, 4].map((index) => queuedEvent({ eventId: `e-${index}`, meterTimeInMillis: hour + index * 1_000, dimensions: { region: 'eu-west-1' } }));
    let pages = 0;
    const items = rawEventItems('acct', events, account, Date.UTC(2026, 10, 20), 90, () => `p${++pages}`, 2);
    expect(items.events).toHaveLength(5);
    expect(items.events[0]).toMatchObject({ pk: 'EV#acct#api-calls#e-0', sk: 'EVENT', status: 'counted', customerId: 'customer-1', dimensions: { region: 'eu-west-1' } });
    // Batches of two: three batches, one page each.
    expect(items.pages.map((page) => [page.pk, page.sk, page.entryCount])).toEqual([
      ['EP#acct#api-calls#2026-11-19', `08#${hour}#p1`, 2],
      ['EP#acct#api-calls#2026-11-19', `08#${hour + 2_000}#p2`, 2],
      ['EP#acct#api-calls#2026-11-19', `08#${hour + 4_000}#p3`, 1],
    ]);
  });

  it('refuses events the consumer would not count', () => {
    const account = indexAccountConfiguration(benchAccountConfiguration({ meterApiName: 'api-calls' }));
    expect(() => rawEventItems('acct', [queuedEvent({ meterApiName: 'other' })], account, 0, 90, () => 'p')).toThrow('unknown-meter');
  });
});

describe('rollupItems', () => {
  it('holds per customer-hour slot and customer-day item what the consumer adds up', () => {
    const events = [
      queuedEvent({ meterValue: 4, dimensions: { region: 'eu-west-1', feature: 'api' } }),
      queuedEvent({ meterValue: 1, meterTimeInMillis: Date.UTC(2026, 10, 20, 10, 50), dimensions: { region: 'eu-west-1', feature: 'api' } }),
      queuedEvent({ meterValue: 2, meterTimeInMillis: Date.UTC(2026, 10, 20, 10, 55), dimensions: { region: 'us-east-1', feature: 'api' } }),
      queuedEvent({ meterValue: 7, meterTimeInMillis: Date.UTC(2026, 10, 20, 23), dimensions: { region: 'eu-west-1', feature: 'api' } }),
    ];
    const items = rollupItems('rollups', 'acct', events, DECLARED_DIMENSIONS);
    // Two customer-hour items (10:00 with two slots, 23:00 with one) and one customer-day item.
    expect(items.map((item) => item.sk).sort()).toEqual(['customer-1#10#*', 'customer-1#20#', 'customer-1#23#*']);
    const ten = items.find((item) => item.sk === 'customer-1#10#*')!;
    expect(itemParts(ten).sort((a, b) => a.sum - b.sum)).toEqual([
      { slot: expect.any(String), dimensions: { region: 'us-east-1', feature: 'api' }, sum: 2, count: 1, min: 2, max: 2 },
      { slot: expect.any(String), dimensions: { region: 'eu-west-1', feature: 'api' }, sum: 5, count: 2, min: 1, max: 4 },
    ]);
    expect(ten).toMatchObject({ customerId: 'customer-1', periodStartMillis: Date.UTC(2026, 10, 20, 10) });
    const daily = items.find((item) => item.sk === 'customer-1#20#')!;
    expect(daily).toMatchObject({ sum: 14, count: 4, min: 1, max: 7, periodStartMillis: Date.UTC(2026, 10, 20) });
    expect(expectedRollupTotals('acct', events, DECLARED_DIMENSIONS).size).toBe(4);
  });
});

describe('applyUpdate', () => {
  const update = {
    Key: { pk: 'p', sk: 's' },
    UpdateExpression: 'ADD #sum :sum, hits :one SET label = :label',
    ExpressionAttributeNames: { '#sum': 'sum' },
    ExpressionAttributeValues: { ':sum': 5, ':one': 1, ':label': 'x' },
  };

  it('creates an absent item from the key and adds to an existing one', () => {
    const created = applyUpdate(undefined, update);
    expect(created).toEqual({ pk: 'p', sk: 's', sum: 5, hits: 1, label: 'x' });
    expect(applyUpdate(created, update)).toEqual({ pk: 'p', sk: 's', sum: 10, hits: 2, label: 'x' });
  });

  it('sets an attribute with if_not_exists only where it is absent', () => {
    expect(applyUpdate(undefined, { ...update, UpdateExpression: 'SET a = if_not_exists(a, :label)' })).toMatchObject({ a: update.ExpressionAttributeValues![':label'] });
    expect(applyUpdate({ a: 'kept' }, { ...update, UpdateExpression: 'SET a = if_not_exists(a, :label)' })).toMatchObject({ a: 'kept' });
  });

  it('refuses what it does not understand instead of guessing', () => {
    expect(() => applyUpdate(undefined, { ...update, UpdateExpression: 'SET a = :label REMOVE b' })).toThrow('unsupported');
    expect(() => applyUpdate(undefined, { ...update, UpdateExpression: 'SET a = if_not_exists(b, :label)' })).toThrow('unsupported');
    expect(() => applyUpdate(undefined, { ...update, UpdateExpression: 'SET a = list_append(a, :label)' })).toThrow('unsupported');
    expect(() => applyUpdate(undefined, { ...update, UpdateExpression: 'SET a = :missing' })).toThrow(':missing');
    expect(() => applyUpdate(undefined, { ...update, UpdateExpression: 'SET #other = :label' })).toThrow('#other');
  });
});
