import { describe, expect, it } from 'vitest';
import { attributeValueSize, eventuallyConsistentReadUnits, itemSizeBytes, WriteUnitLedger, writeUnits } from '../../bench/write-units.js';

describe('itemSizeBytes', () => {
  it('adds attribute names and values as DynamoDB documents them', () => {
    // "pk" 2 + "abc" 3; "n" 1 + 123.45 (5 significant digits -> 3 bytes + 1); "ok" 2 + 1
    expect(itemSizeBytes({ pk: 'abc', n: 123.45, ok: true })).toBe(5 + 5 + 3);
  });

  it('counts UTF-8 bytes and the overhead of maps and lists', () => {
    expect(attributeValueSize('é')).toBe(2);
    // map: 3 + per element (1 + name + value)
    expect(attributeValueSize({ region: 'eu' })).toBe(3 + 1 + 6 + 2);
    expect(attributeValueSize([1, 'ab'])).toBe(3 + (1 + 2) + (1 + 2));
  });

  it('counts binary values by their bytes', () => {
    expect(attributeValueSize(new Uint8Array(300))).toBe(300);
    expect(itemSizeBytes({ entries: Buffer.alloc(10) })).toBe(7 + 10);
  });

  it('trims leading and trailing zeros of numbers', () => {
    expect(attributeValueSize(1_000_000)).toBe(2);
    expect(attributeValueSize(0.001)).toBe(2);
    expect(attributeValueSize(1_763_650_800_000)).toBe(attributeValueSize(17_636_508));
  });
});

describe('request units', () => {
  it('rounds writes up per started KB and reads per started 4 KB, with a minimum of one unit', () => {
    expect(writeUnits(10)).toBe(1);
    expect(writeUnits(1024)).toBe(1);
    expect(writeUnits(1025)).toBe(2);
    expect(eventuallyConsistentReadUnits(0)).toBe(0.5);
    expect(eventuallyConsistentReadUnits(4097)).toBe(1);
  });
});

describe('WriteUnitLedger', () => {
  const tables = { events: 'events', rollups: 'rollups' };
  const eventPut = (id: string) => ({ Put: { TableName: 'events', Item: { pk: `EV#a#m#${id}`, sk: 'EVENT' } } });
  const pagePut = (bytes: number) => ({
    Put: { TableName: 'events', Item: { pk: 'EP#a#m#2026-11-20', sk: `13#1763650800000#p`, entries: new Uint8Array(bytes) } },
  });
  const rollupAdd = (pk: string) => ({
    Update: { TableName: 'rollups', Key: { pk, sk: 'c#13#' }, UpdateExpression: 'ADD #sum :sum', ExpressionAttributeValues: { ':sum': 3 } },
  });

  it('charges a committed transaction 2 units per started KB of each item, by category', () => {
    const ledger = new WriteUnitLedger(tables);
    ledger.transaction(
      { TransactItems: [eventPut('1'), eventPut('2'), pagePut(1_500), rollupAdd('RH#a#m#2026-11-20#0'), rollupAdd('RD#a#m#2026-11#0')] },
      'committed',
    );
    const { writeUnits: units, pages } = ledger.totals();
    expect(units).toMatchObject({ eventPut: 4, eventPage: 4, hourlyRollupAdd: 2, dailyRollupAdd: 2, cancelledTransaction: 0 });
    expect(pages).toEqual({ items: 1, bytes: itemSizeBytes(pagePut(1_500).Put.Item) });
  });

  it('charges a cancelled transaction as a whole and counts no page as written', () => {
    const ledger = new WriteUnitLedger(tables);
    ledger.transaction({ TransactItems: [eventPut('1'), pagePut(10), rollupAdd('RH#a#m#2026-11-20#0')] }, 'cancelled');
    expect(ledger.totals().writeUnits).toMatchObject({ cancelledTransaction: 6, eventPut: 0, eventPage: 0 });
    expect(ledger.totals().pages).toEqual({ items: 0, bytes: 0 });
  });

  it('charges single updates as other writes, 1 unit also when their condition failed', () => {
    const ledger = new WriteUnitLedger(tables);
    const update = { TableName: 'events', Key: { pk: 'EV#x', sk: 'EVENT' }, UpdateExpression: 'SET flag = :value', ConditionExpression: 'c', ExpressionAttributeValues: { ':value': 1 } };
    ledger.update(update, 'applied');
    ledger.update(update, 'conditionFailed');
    expect(ledger.totals().writeUnits).toMatchObject({ otherWrite: 2 });
    expect(ledger.totals().writeRequests).toMatchObject({ otherWrite: 2 });
  });

  it('charges a rollup update by the whole item, the larger of before and after', () => {
    const ledger = new WriteUnitLedger(tables);
    const update = rollupAdd('RH#a#m#2026-11-20#0');
    const id = `${String(update.Update!.Key!.pk)} ${String(update.Update!.Key!.sk)}`;
    expect(ledger.rollupKeysOf({ TransactItems: [eventPut('1'), update] })).toEqual([{ table: 'rollups', key: update.Update!.Key }]);
    ledger.transaction({ TransactItems: [update] }, 'committed', new Map([[id, 1500]]));
    // The item after this one shrank (it cannot, but the rule is the larger of both): still 2 KB.
    ledger.transaction({ TransactItems: [update] }, 'committed', new Map([[id, 300]]));
    expect(ledger.totals().writeUnits.hourlyRollupAdd).toBe(2 * 2 + 2 * 2);
  });

  it('charges a strongly consistent read twice the units of an eventually consistent one', () => {
    const ledger = new WriteUnitLedger(tables);
    ledger.batchGet({ RequestItems: { rollups: { Keys: [{ pk: 'a', sk: 'b' }], ConsistentRead: true } } });
    expect(ledger.totals().readUnits).toBe(1);
  });

  it('charges half a read unit per key read with BatchGetItem', () => {
    const ledger = new WriteUnitLedger(tables);
    ledger.batchGet({ RequestItems: { rollups: { Keys: [{ pk: 'a', sk: 'b' }, { pk: 'c', sk: 'd' }, { pk: 'e', sk: 'f' }] } } });
    expect(ledger.totals().readUnits).toBe(1.5);
  });

  it('tracks the largest event, page and rollup items it sized', () => {
    const ledger = new WriteUnitLedger(tables);
    ledger.transaction({ TransactItems: [eventPut('1'), eventPut('12345'), pagePut(40), rollupAdd('RH#a')] }, 'committed');
    const { largestItemBytes } = ledger.totals();
    expect(largestItemBytes.event).toBe(itemSizeBytes(eventPut('12345').Put.Item));
    expect(largestItemBytes.page).toBe(itemSizeBytes(pagePut(40).Put.Item));
    expect(largestItemBytes.rollup).toBe(itemSizeBytes({ pk: 'RH#a', sk: 'c#13#', sum: 3 }));
  });
});
