import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { planMessage } from '../../functions/domain/consumption.js';
import { CorruptPageError, decodePageEntries, encodePageEntries, eventPages } from '../../functions/domain/event-pages.js';
import { indexAccountConfiguration } from '../../functions/store/account-config-cache.js';
import { messageBody, queuedEvent } from '../support/events.js';

const account = indexAccountConfiguration({
  meters: [
    { meterApiName: 'api-calls', displayName: 'x', label: 'x', type: 'SUM_OF_ALL_USAGE', dimensions: [], meterTimeInMillis: 0 },
    { meterApiName: 'storage', displayName: 'x', label: 'x', type: 'SUM_OF_ALL_USAGE', dimensions: [], meterTimeInMillis: 0 },
  ],
  rules: [],
});
const HOUR = Date.UTC(2026, 2, 4, 23);

describe('eventPages', () => {
  it('makes one page per meter and UTC hour, entries in time order, keyed by its earliest event', () => {
    const events = [
      queuedEvent({ eventId: 'b', meterTimeInMillis: HOUR + 5 }),
      queuedEvent({ eventId: 'a', meterTimeInMillis: HOUR + 5, customerId: 'c2' }),
      queuedEvent({ eventId: 'c', meterTimeInMillis: HOUR + 1 }),
      queuedEvent({ eventId: 'd', meterTimeInMillis: HOUR + 3_600_000 }),
      queuedEvent({ eventId: 'e', meterTimeInMillis: HOUR + 9, meterApiName: 'storage' }),
    ];
    const ids = ['p1', 'p2', 'p3'];
    const pages = eventPages(planMessage(messageBody('acct', events, 7), 'm', account), () => ids.shift()!);
    expect(pages).toEqual([
      {
        pk: 'EP#acct#api-calls#2026-03-04',
        sk: `23#${HOUR + 1}#p1`,
        entries: [
          { meterTimeInMillis: HOUR + 1, eventId: 'c', customerId: 'customer-1' },
          { meterTimeInMillis: HOUR + 5, eventId: 'a', customerId: 'c2' },
          { meterTimeInMillis: HOUR + 5, eventId: 'b', customerId: 'customer-1' },
        ],
        receivedAtMillis: 7,
      },
      // The next hour is the next UTC day.
      { pk: 'EP#acct#api-calls#2026-03-05', sk: `00#${HOUR + 3_600_000}#p2`, entries: [expect.objectContaining({ eventId: 'd' })], receivedAtMillis: 7 },
      { pk: 'EP#acct#storage#2026-03-04', sk: `23#${HOUR + 9}#p3`, entries: [expect.objectContaining({ eventId: 'e' })], receivedAtMillis: 7 },
    ]);
  });

  it('makes no page for no events', () => {
    expect(eventPages([], () => 'p')).toEqual([]);
  });
});

describe('page entry encoding', () => {
  const entry = fc.record({
    meterTimeInMillis: fc.integer({ min: 0, max: 9_999_999_999_999 }),
    eventId: fc.string({ minLength: 1, maxLength: 256, unit: 'grapheme' }),
    customerId: fc.string({ minLength: 1, maxLength: 256, unit: 'grapheme' }),
  });

  it('round-trips any entries, ids with any characters included', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 99 }), (entries) => {
        expect(decodePageEntries(encodePageEntries(entries))).toEqual(entries);
      }),
      { numRuns: 100 },
    );
  });

  it('folds repeated customers and times: 99 entries of one customer take a few bytes each', () => {
    const entries = Array.from({ length: 99 }, (_, index) => ({
      meterTimeInMillis: HOUR + index * 1_000,
      eventId: `3f1c${index}a2e-7b4d-4c1a-9f00-${String(index).padStart(12, '0')}`,
      customerId: 'customer-000123',
    }));
    const plain = Buffer.byteLength(JSON.stringify(entries.map((e) => [e.meterTimeInMillis, e.eventId, e.customerId])));
    expect(encodePageEntries(entries).byteLength).toBeLessThan(plain / 2);
  });

  it('refuses data that is not a page', () => {
    expect(() => decodePageEntries(new Uint8Array([1, 2, 3]))).toThrow(CorruptPageError);
    expect(() => decodePageEntries(gzipSync('{"a":1}'))).toThrow(CorruptPageError);
    expect(() => decodePageEntries(gzipSync('[[1,"e"]]'))).toThrow(CorruptPageError);
    expect(() => decodePageEntries(gzipSync('[["1","e","c"]]'))).toThrow(CorruptPageError);
  });
});
