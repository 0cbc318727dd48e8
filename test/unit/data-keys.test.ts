import { describe, expect, it } from 'vitest';
import {
  customerSortPrefix,
  encodeDimensions,
  encodeKeyPart,
  eventKey,
  eventPagePartition,
  eventPageSortKey,
  parseEventKey,
  MAX_ENCODED_KEY_PART,
  rollupPartitionKey,
  rollupSortKey,
  shardOf,
} from '../../functions/store/data-keys.js';
import { roundForStorage, rollupDeltas, planMessage } from '../../functions/domain/consumption.js';
import { indexAccountConfiguration } from '../../functions/store/account-config-cache.js';
import { messageBody, queuedEvent } from '../support/events.js';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

describe('rollup keys', () => {
  it('lay out hourly items by UTC day and daily items by UTC month, customer first in the sort key', () => {
    const time = Date.UTC(2026, 1, 3, 7);
    expect(rollupPartitionKey('HOUR', 'a', 'm', time, 2)).toBe('RH#a#m#2026-02-03#2');
    expect(rollupPartitionKey('DAY', 'a', 'm', time, 2)).toBe('RD#a#m#2026-02#2');
    expect(rollupSortKey('HOUR', 'c#1', time, 'region=us')).toBe('c%231#07#region=us');
    expect(rollupSortKey('DAY', 'c#1', time, '')).toBe('c%231#03#');
    expect(rollupSortKey('HOUR', 'c#1', time, '').startsWith(customerSortPrefix('c#1'))).toBe(true);
  });

  it('spreads customers over shards deterministically', () => {
    const shards = new Set(Array.from({ length: 200 }, (_, index) => shardOf(`customer-${index}`)));
    expect(shards).toEqual(new Set([0, 1, 2, 3]));
    expect(shardOf('customer-7')).toBe(shardOf('customer-7'));
  });

  it('replaces long parts by a digest that cannot collide with an encoded value', () => {
    const long = 'é'.repeat(256);
    const digest = encodeKeyPart(long);
    expect(digest).toMatch(/^%h[A-Za-z0-9_-]{43}$/);
    expect(encodeKeyPart(`${long}x`)).not.toBe(digest);
    expect(encodeKeyPart('short')).toBe('short');
    expect(encodeKeyPart('x'.repeat(MAX_ENCODED_KEY_PART))).toBe('x'.repeat(MAX_ENCODED_KEY_PART));
  });

  it('keeps sort keys within DynamoDB limits for the longest values ingest accepts', () => {
    const dimensions = Object.fromEntries(Array.from({ length: 10 }, (_, index) => [`d${index}`.padEnd(64, 'x'), '€'.repeat(256)]));
    const encoded = encodeDimensions(Object.keys(dimensions), dimensions);
    const sortKey = rollupSortKey('HOUR', '😀'.repeat(128), Date.UTC(2026, 0, 1), encoded);
    expect(bytes(sortKey)).toBeLessThanOrEqual(1024);
    expect(bytes(eventKey('a'.repeat(64), 'm'.repeat(128), '😀'.repeat(256)).pk)).toBeLessThanOrEqual(2048);
  });

  it('tells apart dimension sets that differ only in a long value', () => {
    const order = ['a', 'b'];
    const first = encodeDimensions(order, { a: 'x'.repeat(200), b: '1' });
    const second = encodeDimensions(order, { a: 'x'.repeat(200), b: '2' });
    expect(first).not.toBe(second);
  });
});

describe('event keys', () => {
  it('read account, meter and event id back from an event key, the id taking every later #', () => {
    expect(parseEventKey(eventKey('acct_1', 'api.calls:v2', 'order#7#x').pk)).toEqual({ accountId: 'acct_1', meterApiName: 'api.calls:v2', eventId: 'order#7#x' });
    expect(parseEventKey('EV#a#m#')).toBeUndefined();
    expect(parseEventKey('EP#a#m#2026-01-01')).toBeUndefined();
    expect(parseEventKey('EV#a#m')).toBeUndefined();
  });

  it('lay out event pages by UTC day, sorted by hour and then by their earliest event', () => {
    const time = Date.UTC(2026, 1, 3, 7, 5, 1, 9);
    expect(eventPagePartition('a', 'm', time)).toBe('EP#a#m#2026-02-03');
    expect(eventPageSortKey(time, 'p1')).toBe(`07#${time}#p1`);
    expect(eventPageSortKey(0, 'p')).toBe('00#0000000000000#p');
    expect(eventPageSortKey(time, 'z') < eventPageSortKey(time + 1, 'a')).toBe(true);
  });
});

describe('roundForStorage', () => {
  it('drops binary noise and keeps 12 decimals', () => {
    expect(roundForStorage(0.1 + 0.2)).toBe(0.3);
    expect(roundForStorage(1e15 + 1.2345678901234567e-10)).toBe(1e15);
    expect(roundForStorage(1.000000000001)).toBe(1.000000000001);
  });

  it('is applied to rollup sums', () => {
    const account = indexAccountConfiguration({
      meters: [{ meterApiName: 'api-calls', displayName: 'x', label: 'x', type: 'SUM_OF_ALL_USAGE', dimensions: [], meterTimeInMillis: 0 }],
      rules: [],
    });
    const planned = planMessage(messageBody('a', [queuedEvent({ meterValue: 0.1 }), queuedEvent({ meterValue: 0.2 })]), 'm', account);
    expect(rollupDeltas(planned)[0]!.sum).toBe(0.3);
  });
});
