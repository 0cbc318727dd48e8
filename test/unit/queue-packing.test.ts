import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError } from '../../functions/domain/errors.js';
import type { QueuedEvent, QueueMessageBody } from '../../functions/domain/events.js';
import { INGEST_LIMITS } from '../../functions/domain/ingest.js';
import { METER_LIMITS } from '../../functions/domain/meters.js';
import { asciiJson, groupIntoBatches, PACKING_LIMITS, packMessages, SQS_LIMITS } from '../../functions/queue/packing.js';
import { DEFAULT_PIPELINE_SETTINGS } from '../../lib/pipeline-settings.js';

const header = { accountId: 'acct-1', receivedAtMillis: 1_795_000_000_000 };

function queuedEvent(index: number, overrides: Partial<QueuedEvent> = {}): QueuedEvent {
  return {
    eventId: `e-${index}`,
    idSource: 'client',
    meterApiName: 'api-calls',
    customerId: `customer-${index % 7}`,
    meterValue: index,
    meterTimeInMillis: 1_794_000_000_000 + index,
    dimensions: { region: 'us-east-1' },
    ...overrides,
  };
}

const parse = (message: string) => JSON.parse(message) as QueueMessageBody;
const eventsOf = (messages: readonly string[]) => messages.flatMap((message) => parse(message).events);
const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

const queuedEventArbitrary: fc.Arbitrary<QueuedEvent> = fc.record({
  eventId: fc.string({ minLength: 1, maxLength: 40, unit: 'binary' }),
  idSource: fc.constantFrom('client' as const, 'stamped' as const),
  meterApiName: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
  customerId: fc.string({ minLength: 1, maxLength: 60, unit: 'binary' }),
  meterValue: fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e15, max: 1e15 }),
  meterTimeInMillis: fc.integer({ min: 0, max: 2e12 }),
  dimensions: fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 300, unit: 'binary' }), { maxKeys: 5 }),
});

describe('asciiJson', () => {
  it('escapes every non-ASCII character and still parses back to the same value', () => {
    const value = { text: 'ü€😀\uffff\u007f', control: '\u0001', lone: '\ud800' };
    const json = asciiJson(value);
    expect(json).toMatch(/^[\x20-\x7e]*$/);
    expect(json).toContain('\\u00fc');
    expect(json).toContain('\\ud83d\\ude00');
    expect(json).toContain('\\uffff');
    expect(JSON.parse(json)).toEqual(value);
  });

  it('round-trips any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        const json = asciiJson({ text });
        expect(bytes(json)).toBe(json.length);
        expect(JSON.parse(json).text).toBe(text);
      }),
    );
  });
});

describe('packMessages', () => {
  it('makes no message for no events', () => {
    expect(packMessages(header, [])).toEqual([]);
  });

  it('writes each message as a version-1 QueueMessageBody of the account, events in order', () => {
    const events = Array.from({ length: 5 }, (_, i) => queuedEvent(i, { customerId: i === 2 ? 'kunde-ü-😀' : `c${i}` }));
    const messages = packMessages(header, events);
    expect(messages).toHaveLength(1);
    expect(parse(messages[0]!)).toEqual({ v: 1, accountId: 'acct-1', receivedAtMillis: header.receivedAtMillis, events });
    expect(messages[0]).toMatch(/^[\x20-\x7e]*$/);
  });

  it('fills a message up to exactly the target size and starts a new one for a byte more', () => {
    const events = [queuedEvent(1), queuedEvent(2), queuedEvent(3)];
    const exact = bytes(packMessages(header, events)[0]!);
    const limits = { targetBytes: exact, maxMessageBytes: SQS_LIMITS.maxMessageBytes, maxRequestBytes: PACKING_LIMITS.maxRequestBytes };
    expect(packMessages(header, events, limits)).toHaveLength(1);
    const split = packMessages(header, events, { ...limits, targetBytes: exact - 1 });
    expect(split.map((message) => parse(message).events.length)).toEqual([2, 1]);
    expect(eventsOf(split)).toEqual(events);
  });

  it('sends an event larger than the target alone, and carries on packing after it', () => {
    const huge = queuedEvent(1, { dimensions: { blob: 'x'.repeat(100_000) } });
    const events = [queuedEvent(0), huge, queuedEvent(2), queuedEvent(3)];
    const messages = packMessages(header, events);
    expect(messages.map((message) => parse(message).events.map((event) => event.eventId))).toEqual([['e-0'], ['e-1'], ['e-2', 'e-3']]);
    expect(bytes(messages[1]!)).toBeGreaterThan(PACKING_LIMITS.targetMessageBytes);
  });

  it('fits the largest event validation lets through into one SQS message', () => {
    // Every limit at its maximum, every character non-ASCII (6 bytes once escaped).
    const wide = (length: number, seed: number) => Array.from({ length }, (_, i) => String.fromCharCode(0x4e00 + ((seed + i) % 1000))).join('');
    const dimensions = Object.fromEntries(
      Array.from({ length: INGEST_LIMITS.maxDimensions }, (_, i) => [wide(INGEST_LIMITS.dimensionNameMaxLength, i * 97), wide(INGEST_LIMITS.dimensionValueMaxLength, i)]),
    );
    const largest = queuedEvent(0, {
      eventId: wide(INGEST_LIMITS.uniqueIdMaxLength, 1),
      customerId: wide(INGEST_LIMITS.customerIdMaxLength, 2),
      meterApiName: 'm'.repeat(METER_LIMITS.apiNameMaxLength),
      meterValue: -1.2345678901234567e-12,
      dimensions,
    });
    const [message] = packMessages({ accountId: wide(64, 3), receivedAtMillis: header.receivedAtMillis }, [largest]);
    expect(parse(message!).events).toEqual([largest]);
    expect(bytes(message!)).toBeLessThan(SQS_LIMITS.maxMessageBytes / 4);
  });

  it('refuses an event that no SQS message could hold', () => {
    const limits = { targetBytes: 500, maxMessageBytes: 1_000, maxRequestBytes: 10_000 };
    expect(() => packMessages(header, [queuedEvent(0, { dimensions: { blob: 'x'.repeat(1_000) } })], limits)).toThrow(
      /more than one SQS message holds/,
    );
  });

  it('refuses with 413 a request whose messages together exceed the request limit, and accepts one exactly at it', () => {
    const events = Array.from({ length: 40 }, (_, i) => queuedEvent(i));
    const unlimited = { targetBytes: 1_000, maxMessageBytes: 10_000, maxRequestBytes: Number.MAX_SAFE_INTEGER };
    const total = packMessages(header, events, unlimited).reduce((sum, message) => sum + bytes(message), 0);
    expect(packMessages(header, events, { ...unlimited, maxRequestBytes: total })).toHaveLength(packMessages(header, events, unlimited).length);
    expect(() => packMessages(header, events, { ...unlimited, maxRequestBytes: total - 1 })).toThrow(PayloadTooLargeError);
  });

  it('packs 10,000 events into messages near the target size, losing none', () => {
    const events = Array.from({ length: 10_000 }, (_, i) => queuedEvent(i));
    const messages = packMessages(header, events);
    expect(eventsOf(messages)).toEqual(events);
    for (const message of messages.slice(0, -1)) {
      expect(bytes(message)).toBeLessThanOrEqual(PACKING_LIMITS.targetMessageBytes);
      expect(bytes(message)).toBeGreaterThan(PACKING_LIMITS.targetMessageBytes - 300);
    }
  });

  it('keeps every event, in order, within the limits, for any events and target', () => {
    fc.assert(
      fc.property(fc.array(queuedEventArbitrary, { maxLength: 40 }), fc.integer({ min: 200, max: 20_000 }), (events, targetBytes) => {
        const limits = { targetBytes, maxMessageBytes: 1_048_576, maxRequestBytes: Number.MAX_SAFE_INTEGER };
        const messages = packMessages(header, events, limits);
        expect(eventsOf(messages)).toEqual(events.map((event) => JSON.parse(JSON.stringify(event))));
        for (const message of messages) {
          expect(bytes(message)).toBe(message.length);
          if (parse(message).events.length > 1) expect(bytes(message)).toBeLessThanOrEqual(targetBytes);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('never packs messages larger than the queue accepts', () => {
    expect(PACKING_LIMITS.targetMessageBytes).toBeLessThanOrEqual(DEFAULT_PIPELINE_SETTINGS.maxMessageSizeBytes);
    expect(SQS_LIMITS.maxMessageBytes).toBeLessThanOrEqual(DEFAULT_PIPELINE_SETTINGS.maxMessageSizeBytes);
  });
});

describe('groupIntoBatches', () => {
  const message = (size: number) => 'x'.repeat(size);

  it('puts at most 10 messages in a batch', () => {
    expect(groupIntoBatches(Array.from({ length: 23 }, () => message(10)))).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      [10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
      [20, 21, 22],
    ]);
  });

  it('fills a batch up to exactly the byte limit and not a byte more', () => {
    const tenth = SQS_LIMITS.maxBatchBytes / 8;
    expect(groupIntoBatches(Array.from({ length: 8 }, () => message(tenth)))).toHaveLength(1);
    expect(groupIntoBatches([...Array.from({ length: 7 }, () => message(tenth)), message(tenth + 1)])).toEqual([
      [0, 1, 2, 3, 4, 5, 6],
      [7],
    ]);
  });

  it('sends a message of the full SQS size in a batch of its own', () => {
    expect(groupIntoBatches([message(10), message(SQS_LIMITS.maxMessageBytes), message(10)])).toEqual([[0], [1], [2]]);
  });

  it('covers every message once, in order, within both limits', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 60 }), fc.integer({ min: 300, max: 2_000 }), (sizes, maxBatchBytes) => {
        const messages = sizes.map(message);
        const batches = groupIntoBatches(messages, { maxBatchEntries: 10, maxBatchBytes });
        expect(batches.flat()).toEqual(sizes.map((_, index) => index));
        for (const batch of batches) {
          expect(batch.length).toBeLessThanOrEqual(10);
          expect(batch.reduce((sum, index) => sum + sizes[index]!, 0)).toBeLessThanOrEqual(maxBatchBytes);
        }
      }),
    );
  });
});
