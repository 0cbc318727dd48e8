import { describe, expect, it } from 'vitest';
import { placeSlots, rollupDeltas, rollupTargets } from '../../functions/domain/consumption.js';
import { itemParts, slotCounters, slotId, storedCounters, withDeltas } from '../../functions/domain/rollup-items.js';
import { buildRollupUpdate, rollupItemGroups } from '../../functions/store/event-commands.js';
import { queuedEvent } from '../support/events.js';

const DIMENSIONS = ['region', 'plan'];
const event = (region: string, meterValue = 1) => queuedEvent({ meterValue, dimensions: { region, plan: 'pro', ignored: 'x' } });
const contributor = (region: string, meterValue = 1) => {
  const queued = event(region, meterValue);
  return { event: queued, rollups: rollupTargets('acct', queued, DIMENSIONS) };
};

describe('rollupTargets', () => {
  it('names the customer-hour item with a slot per declared combination, and the customer-day item', () => {
    const [hourly, daily] = contributor('eu').rollups;
    expect(hourly).toMatchObject({ sk: 'customer-1#10#*', dimensions: { region: 'eu', plan: 'pro' }, slot: { id: slotId('region=eu&plan=pro'), spillSk: 'customer-1#10#region=eu&plan=pro' } });
    expect(daily).toMatchObject({ sk: 'customer-1#20#', dimensions: {} });
    expect(daily!.slot).toBeUndefined();
  });
});

describe('placeSlots', () => {
  it('keeps combinations in the customer-hour item up to its room, then gives the rest their own items', () => {
    const events = ['a', 'b', 'c', 'a'].map((region) => contributor(region));
    const placed = placeSlots(events, new Map(), 2);
    expect(placed.map((placedEvent) => placedEvent.rollups[0]!.sk)).toEqual([
      'customer-1#10#*',
      'customer-1#10#*',
      'customer-1#10#region=c&plan=pro',
      'customer-1#10#*',
    ]);
    expect(placed[2]!.rollups[0]!.slot).toBeUndefined();
    expect(placed.map((placedEvent) => placedEvent.rollups[1])).toEqual(events.map((original) => original.rollups[1]));
  });

  it('counts the slots an item holds already, and moves a combination whose digest another one holds', () => {
    const [hourly] = contributor('a').rollups;
    const key = `${hourly!.pk}\u0000${hourly!.sk}`;
    const clashing = { pk: hourly!.pk, sk: hourly!.sk, [slotCounters(hourly!.slot!.id).dimensions!]: { region: 'other' } };
    expect(placeSlots([contributor('a')], new Map([[key, clashing]]), 8)[0]!.rollups[0]!.sk).toBe('customer-1#10#region=a&plan=pro');
    const full = { pk: hourly!.pk, sk: hourly!.sk, dAAAAAA: { region: 'x' }, dBBBBBB: { region: 'y' } };
    expect(placeSlots([contributor('a')], new Map([[key, full]]), 2)[0]!.rollups[0]!.sk).toBe('customer-1#10#region=a&plan=pro');
    const holding = { ...full, [slotCounters(hourly!.slot!.id).dimensions!]: { region: 'a', plan: 'pro' } };
    expect(placeSlots([contributor('a')], new Map([[key, holding]]), 2)[0]!.rollups[0]!.sk).toBe('customer-1#10#*');
  });
});

describe('buildRollupUpdate', () => {
  const deltasOf = (...events: ReturnType<typeof contributor>[]) => rollupItemGroups(rollupDeltas(events))[0]!;
  const parts = (update: ReturnType<typeof buildRollupUpdate>) => ({
    names: update.ExpressionAttributeNames!,
    values: update.ExpressionAttributeValues!,
    condition: update.ConditionExpression,
  });

  it('claims an unknown slot only if it is still absent, with its dimensions and extremes', () => {
    const { key, deltas } = deltasOf(contributor('eu', 2), contributor('eu', 5));
    const update = buildRollupUpdate('rollups', key, deltas, undefined);
    const { names, values, condition } = parts(update);
    const counters = slotCounters(deltas[0]!.slot!.id);
    const token = (attribute: string) => Object.keys(names).filter((name) => names[name] === attribute);
    expect(condition).toBe(`attribute_not_exists(${token(counters.dimensions!)[0]})`);
    expect(update.UpdateExpression).toContain(`ADD ${token(counters.sum)[0]} `);
    expect(Object.values(values)).toEqual(expect.arrayContaining([7, 2, 5, { region: 'eu', plan: 'pro' }]));
    expect(update.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
  });

  it('only adds when the stored extremes already cover the deltas, so nothing can cancel it', () => {
    const { key, deltas } = deltasOf(contributor('eu', 3));
    const counters = slotCounters(deltas[0]!.slot!.id);
    const stored = { ...key, [counters.dimensions!]: {}, [counters.min]: 1, [counters.max]: 9 };
    const update = buildRollupUpdate('rollups', key, deltas, stored);
    expect(update.ConditionExpression).toBeUndefined();
    expect(Object.values(update.ExpressionAttributeNames!)).not.toContain(counters.min);
  });

  it('moves an extreme only from the value it saw', () => {
    const { key, deltas } = deltasOf(contributor('eu', 0));
    const counters = slotCounters(deltas[0]!.slot!.id);
    const update = buildRollupUpdate('rollups', key, deltas, { ...key, [counters.dimensions!]: {}, [counters.min]: 4, [counters.max]: 9 });
    const { names, values, condition } = parts(update);
    const minToken = Object.keys(names).find((name) => names[name] === counters.min)!;
    const seen = Object.keys(values).find((name) => values[name] === 4)!;
    expect(condition).toBe(`${minToken} = ${seen}`);
    expect(update.UpdateExpression).toContain(`${minToken} = `);
  });

  it('guards a plain item by its sum when it was not known to exist', () => {
    const daily = rollupItemGroups(rollupDeltas([contributor('eu', 4)]))[1]!;
    const update = buildRollupUpdate('rollups', daily.key, daily.deltas, undefined);
    const names = update.ExpressionAttributeNames!;
    expect(update.ConditionExpression).toMatch(/^attribute_not_exists\((#a\d+)\)$/);
    expect(names[/\((#a\d+)\)/.exec(update.ConditionExpression!)![1]!]).toBe('sum');
  });
});

describe('stored rollup items', () => {
  it('read back as one part per slot, or one part for a plain item', () => {
    const { key, deltas } = rollupItemGroups(rollupDeltas([contributor('eu', 2), contributor('us', 5), contributor('eu', 4)]))[0]!;
    const item = withDeltas(undefined, key, deltas);
    expect(itemParts(item).sort((a, b) => a.sum - b.sum)).toEqual([
      { slot: expect.any(String), dimensions: { region: 'us', plan: 'pro' }, sum: 5, count: 1, min: 5, max: 5 },
      { slot: expect.any(String), dimensions: { region: 'eu', plan: 'pro' }, sum: 6, count: 2, min: 2, max: 4 },
    ]);
    expect(itemParts({ pk: 'p', sk: 's', sum: 3, count: 1, min: 3, max: 3, dimensions: { region: 'eu' } })).toEqual([
      { dimensions: { region: 'eu' }, sum: 3, count: 1, min: 3, max: 3 },
    ]);
    expect(itemParts({ pk: 'p', sk: 's' })).toEqual([]);
  });

  it('tell whether a slot is claimed and what its extremes are', () => {
    const counters = slotCounters('abcdef');
    expect(storedCounters(undefined, 'abcdef')).toEqual({ present: false });
    expect(storedCounters({ [counters.dimensions!]: { a: 'b' }, [counters.min]: 1, [counters.max]: 2 }, 'abcdef')).toEqual({
      present: true,
      dimensions: { a: 'b' },
      min: 1,
      max: 2,
    });
    expect(storedCounters({ sum: 1 }, undefined)).toEqual({ present: true });
  });

  it('after more deltas, keep the widest extremes and the first dimensions of a slot', () => {
    const first = rollupItemGroups(rollupDeltas([contributor('eu', 5)]))[0]!;
    const second = rollupItemGroups(rollupDeltas([contributor('eu', 1), contributor('eu', 7)]))[0]!;
    const item = withDeltas(withDeltas(undefined, first.key, first.deltas), second.key, second.deltas);
    expect(itemParts(item)).toEqual([{ slot: first.deltas[0]!.slot!.id, dimensions: { region: 'eu', plan: 'pro' }, sum: 13, count: 3, min: 1, max: 7 }]);
  });
});
