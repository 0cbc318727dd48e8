import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError, ValidationError } from '../../functions/domain/errors.js';
import {
  DAY_MILLIS,
  ingestReceipt,
  INGEST_LIMITS,
  parseIngestBody,
  referencedMeterNames,
  validateIngestRecords,
  type IngestContext,
  type IngestRecord,
} from '../../functions/domain/ingest.js';
import { detailsOfError } from './support.js';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const METER_NAMES = ['api-calls', 'storage-gb', ...Array.from({ length: 20 }, (_, i) => `m${i}`)];
const meters = new Map(METER_NAMES.map((name) => [name, {}]));

function context(overrides: Partial<IngestContext> = {}): IngestContext {
  let next = 0;
  return { meters, nowMillis: NOW, latenessLimitDays: 60, newEventId: () => `stamped-${++next}`, ...overrides };
}

const event = {
  meterApiName: 'api-calls',
  customerId: 'customer-1',
  meterValue: 2.5,
  meterTimeInMillis: NOW - 60_000,
  uniqueId: 'u-1',
  dimensions: { region: 'us-east-1', tier: 'pro' },
};

const bytes = (text: string) => Buffer.from(text, 'utf8');
const parseText = (text: string) => parseIngestBody(bytes(text));
const ingest = (body: unknown, ctx = context()) =>
  validateIngestRecords(parseText(typeof body === 'string' ? body : JSON.stringify(body)), ctx);
/** The details of the 400 an invalid single event gets. */
const problemsOf = (body: unknown, ctx = context()) => detailsOfError(() => ingest(body, ctx), ValidationError);

function errorOf(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the action to throw');
}

describe('parseIngestBody', () => {
  it('reads a single event object', () => {
    expect(parseText(JSON.stringify(event))).toEqual([{ where: '', value: event }]);
  });

  it('reads a pretty-printed object spread over several lines as one event', () => {
    expect(parseText(JSON.stringify(event, null, 2))).toEqual([{ where: '', value: event }]);
  });

  it('reads a JSON array, naming each record by index', () => {
    const records = parseText(`  \n${JSON.stringify([event, { ...event, uniqueId: 'u-2' }])}`);
    expect(records.map((record) => record.where)).toEqual(['events[0]', 'events[1]']);
    expect(records[1]!.value).toMatchObject({ uniqueId: 'u-2' });
  });

  it('reads NDJSON, skipping blank lines, accepting CRLF, naming each record by line number', () => {
    const text = `${JSON.stringify(event)}\r\n\r\n${JSON.stringify({ ...event, uniqueId: 'u-2' })}\n`;
    const records = parseText(text);
    expect(records.map((record) => record.where)).toEqual(['line 1', 'line 3']);
    expect(records.map((record) => (record.value as { uniqueId: string }).uniqueId)).toEqual(['u-1', 'u-2']);
  });

  it('accepts an empty array as a request with no events', () => {
    expect(parseText('[]')).toEqual([]);
  });

  it('ignores a UTF-8 byte order mark', () => {
    expect(parseIngestBody(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes(JSON.stringify(event))]))).toHaveLength(1);
  });

  it.each(['', '   ', '\n\n'])('rejects the empty body %j', (text) => {
    expect(errorOf(() => parseText(text))).toMatchObject({ message: 'Missing body' });
  });

  it.each([
    ['42', 'number'],
    ['"hello"', 'string'],
    ['null', 'null'],
    ['true', 'boolean'],
  ])('rejects the JSON value %s that is not an event', (text, type) => {
    expect(detailsOfError(() => parseText(text), ValidationError)).toContain(`got a JSON ${type}`);
  });

  it('rejects a malformed one-line body as malformed JSON', () => {
    expect(errorOf(() => parseText('{"meterApiName": "api-calls",}'))).toMatchObject({ message: 'Malformed JSON' });
  });

  it('rejects a malformed array as malformed JSON', () => {
    expect(detailsOfError(() => parseText('[{"a": 1},'), ValidationError)).toMatch(/^the body is not valid JSON/);
  });

  it('names each bad NDJSON line and what is wrong with it', () => {
    const text = [JSON.stringify(event), '{"meterApiName": ', '[1, 2]', JSON.stringify(event), '7'].join('\n');
    const details = detailsOfError(() => parseText(text), ValidationError);
    expect(details).toContain('line 2: not valid JSON');
    expect(details).toContain('line 3: expected an event object, got array');
    expect(details).toContain('line 5: expected an event object, got number');
    expect(details).not.toContain('line 1');
    expect(errorOf(() => parseText(text)).message).toMatch(/3 of 5 lines/);
  });

  it('reports a multi-line body where no line is JSON as malformed, not as many bad lines', () => {
    const details = detailsOfError(() => parseText('{\n  "meterApiName": "api-calls",\n}'), ValidationError);
    expect(details).toMatch(/^the body is neither JSON nor NDJSON/);
  });

  it('rejects bytes that are not UTF-8', () => {
    expect(detailsOfError(() => parseIngestBody(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), ValidationError)).toContain('not valid UTF-8');
  });

  it('tells a client that sent gzip without saying so how to fix it', () => {
    expect(detailsOfError(() => parseIngestBody(gzipSync(JSON.stringify(event))), ValidationError)).toContain(
      'Content-Encoding: gzip',
    );
  });

  it(`accepts ${INGEST_LIMITS.maxRecordsPerRequest} events and refuses one more with 413, as an array and as NDJSON`, () => {
    const many = (count: number) => Array.from({ length: count }, () => event);
    expect(parseText(JSON.stringify(many(INGEST_LIMITS.maxRecordsPerRequest)))).toHaveLength(INGEST_LIMITS.maxRecordsPerRequest);
    const ndjson = (count: number) => many(count).map((e) => JSON.stringify(e)).join('\n');
    expect(parseText(ndjson(INGEST_LIMITS.maxRecordsPerRequest))).toHaveLength(INGEST_LIMITS.maxRecordsPerRequest);
    for (const text of [JSON.stringify(many(1_001)), ndjson(1_001)]) {
      const error = errorOf(() => parseText(text));
      expect(error).toBeInstanceOf(PayloadTooLargeError);
      expect((error as PayloadTooLargeError).details).toContain('holds 1001');
    }
  });
});

describe('validateIngestRecords', () => {
  it('turns a valid event into a queued event carrying its uniqueId', () => {
    expect(ingest(event)).toEqual([
      {
        eventId: 'u-1',
        idSource: 'client',
        meterApiName: 'api-calls',
        customerId: 'customer-1',
        meterValue: 2.5,
        meterTimeInMillis: NOW - 60_000,
        dimensions: { region: 'us-east-1', tier: 'pro' },
      },
    ]);
  });

  it.each([
    ['absent', undefined],
    ['null', null],
    ['an empty string (what the Go SDK sends when none is set)', ''],
  ])('stamps a fresh id on each event whose uniqueId is %s', (_, uniqueId) => {
    const queued = ingest([{ ...event, uniqueId }, { ...event, uniqueId }]);
    expect(queued.map((e) => [e.eventId, e.idSource])).toEqual([
      ['stamped-1', 'stamped'],
      ['stamped-2', 'stamped'],
    ]);
  });

  it('treats absent or null dimensions as none', () => {
    expect(ingest({ ...event, dimensions: undefined })[0]!.dimensions).toEqual({});
    expect(ingest({ ...event, dimensions: null })[0]!.dimensions).toEqual({});
  });

  it('keeps both events when one request repeats a uniqueId (the consumer deduplicates)', () => {
    expect(ingest([event, event]).map((e) => e.eventId)).toEqual(['u-1', 'u-1']);
  });

  it('accepts negative and zero values', () => {
    expect(ingest([{ ...event, meterValue: -3 }, { ...event, meterValue: 0 }]).map((e) => e.meterValue)).toEqual([-3, 0]);
  });

  describe('values (multi-meter events)', () => {
    const multi = { customerId: 'c', meterTimeInMillis: NOW, uniqueId: 'u-9', dimensions: { a: 'b' }, values: { 'api-calls': 3, 'storage-gb': 0.5 } };

    it('expands into one event per meter sharing id, customer, time and dimensions', () => {
      expect(ingest(multi)).toEqual([
        { eventId: 'u-9', idSource: 'client', meterApiName: 'api-calls', customerId: 'c', meterValue: 3, meterTimeInMillis: NOW, dimensions: { a: 'b' } },
        { eventId: 'u-9', idSource: 'client', meterApiName: 'storage-gb', customerId: 'c', meterValue: 0.5, meterTimeInMillis: NOW, dimensions: { a: 'b' } },
      ]);
    });

    it('stamps one id shared by all meters of an event without uniqueId', () => {
      const queued = ingest([{ ...multi, uniqueId: undefined }, { ...multi, uniqueId: undefined }]);
      expect(queued.map((e) => e.eventId)).toEqual(['stamped-1', 'stamped-1', 'stamped-2', 'stamped-2']);
    });

    it(`accepts ${INGEST_LIMITS.maxMetersPerRecord} meters and refuses more`, () => {
      const values = (count: number) => Object.fromEntries(METER_NAMES.slice(0, count).map((name) => [name, 1]));
      expect(ingest({ ...multi, values: values(INGEST_LIMITS.maxMetersPerRecord) })).toHaveLength(INGEST_LIMITS.maxMetersPerRecord);
      expect(problemsOf({ ...multi, values: values(INGEST_LIMITS.maxMetersPerRecord + 1) })).toContain('values: may name at most 20 meters, got 21');
    });

    it.each([
      [{ values: [1] }, 'values: expected an object mapping meterApiName to a number, got array'],
      [{ values: 'api-calls' }, 'values: expected an object mapping meterApiName to a number, got string'],
      [{ values: {} }, 'values: must name at least one meter'],
      [{ values: { nope: 1 } }, 'values.nope: no meter named "nope" exists in this account'],
      [{ values: { 'api-calls': '1' } }, 'values.api-calls: expected a number, got string'],
      [{ values: { 'api-calls': 1 }, meterApiName: 'api-calls' }, 'meterApiName: cannot be combined with `values`'],
      [{ values: { 'api-calls': 1 }, meterValue: 1 }, 'meterValue: cannot be combined with `values`'],
    ])('rejects %j', (overrides, expected) => {
      expect(problemsOf({ ...multi, ...overrides })).toContain(expected);
    });

    it('reads values: null as no values, so a meterApiName is then required', () => {
      expect(problemsOf({ ...multi, values: null })).toContain('meterApiName: is required');
    });

    it('rejects a non-finite value written in the JSON text', () => {
      expect(problemsOf('{"customerId":"c","meterTimeInMillis":' + NOW + ',"values":{"api-calls":1e999}}')).toContain(
        'values.api-calls: must be a finite number, got Infinity',
      );
    });
  });

  describe('customerId', () => {
    it.each([
      ['missing', undefined],
      ['null', null],
      ['empty', ''],
    ])('is required when %s, and the 400 says why', (_, customerId) => {
      expect(problemsOf({ ...event, customerId })).toMatch(/customerId: is required: Tally meters usage per customer/);
    });

    it.each([
      ['   ', 'must not be empty'],
      [42, 'expected a string, got number'],
      ['x'.repeat(INGEST_LIMITS.customerIdMaxLength + 1), 'must be at most 256 characters'],
      ['bad\ud800', 'unpaired UTF-16 surrogate'],
    ])('rejects %j', (customerId, expected) => {
      expect(problemsOf({ ...event, customerId })).toContain(expected);
    });

    it('accepts the longest allowed id and any Unicode', () => {
      expect(ingest({ ...event, customerId: 'x'.repeat(INGEST_LIMITS.customerIdMaxLength) })).toHaveLength(1);
      expect(ingest({ ...event, customerId: 'kunde-ü-😀' })[0]!.customerId).toBe('kunde-ü-😀');
    });
  });

  describe('meterTimeInMillis', () => {
    const at = (meterTimeInMillis: unknown, ctx = context()) => () => ingest({ ...event, meterTimeInMillis }, ctx);

    it('accepts times up to 5 minutes ahead and refuses one millisecond more', () => {
      expect(at(NOW + INGEST_LIMITS.maxFutureMillis)()).toHaveLength(1);
      expect(detailsOfError(at(NOW + INGEST_LIMITS.maxFutureMillis + 1), ValidationError)).toContain(
        'ahead of the server clock; events may be at most 5 minutes in the future',
      );
    });

    it('accepts times back to the lateness limit and refuses one millisecond older', () => {
      expect(at(NOW - 60 * DAY_MILLIS)()).toHaveLength(1);
      expect(detailsOfError(at(NOW - 60 * DAY_MILLIS - 1), ValidationError)).toContain(
        'is older than the lateness limit of 60 days',
      );
    });

    it('uses the configured lateness limit', () => {
      const ctx = context({ latenessLimitDays: 7 });
      expect(at(NOW - 7 * DAY_MILLIS, ctx)()).toHaveLength(1);
      expect(detailsOfError(at(NOW - 7 * DAY_MILLIS - 1, ctx), ValidationError)).toContain('lateness limit of 7 days');
    });

    it('says so when a timestamp looks like seconds', () => {
      expect(detailsOfError(at(Math.floor(NOW / 1000)), ValidationError)).toContain('it looks like seconds; send milliseconds');
    });

    it('names the far-future time and how far ahead it is', () => {
      expect(detailsOfError(at(NOW + 3 * DAY_MILLIS), ValidationError)).toContain('2026-11-25T12:00:00.000Z is 3 days ahead');
    });

    const notAnInteger = 'meterTimeInMillis: expected an integer number of epoch milliseconds, got';
    it.each([
      [undefined, 'meterTimeInMillis: is required'],
      [null, 'meterTimeInMillis: is required'],
      [String(NOW), `${notAnInteger} string`],
      [NOW + 0.5, `${notAnInteger} ${NOW + 0.5}`],
      [[NOW], `${notAnInteger} array`],
      [9e300, `${notAnInteger} 9e+300`],
    ])('rejects %j', (value, expected) => {
      expect(detailsOfError(at(value), ValidationError)).toContain(expected);
    });

    it('rejects an infinite time written in the JSON text', () => {
      expect(problemsOf(JSON.stringify(event).replace(/"meterTimeInMillis":\d+/, '"meterTimeInMillis":1e999'))).toContain(
        'meterTimeInMillis: expected an integer number of epoch milliseconds, got Infinity',
      );
    });
  });

  describe('meterApiName and meterValue', () => {
    it.each([
      [{ meterApiName: undefined }, 'meterApiName: is required (or send `values`'],
      [{ meterApiName: 'unknown-meter' }, 'meterApiName: no meter named "unknown-meter" exists in this account; create it first'],
      [{ meterApiName: 'API-CALLS' }, 'no meter named "API-CALLS"'],
      [{ meterApiName: 7 }, 'meterApiName: expected a meterApiName (non-empty string), got number'],
      [{ meterApiName: '' }, 'got an empty string'],
      [{ meterValue: undefined }, 'meterValue: is required'],
      [{ meterValue: '1' }, 'meterValue: expected a number, got string'],
      [{ meterValue: true }, 'meterValue: expected a number, got boolean'],
      [{ meterValue: 1e16 }, 'meterValue: 10000000000000000 is out of range'],
      [{ meterValue: -1e16 }, 'out of range'],
      [{ meterValue: 1e-13 }, 'out of range'],
    ])('rejects %j', (overrides, expected) => {
      expect(problemsOf({ ...event, ...overrides })).toContain(expected);
    });

    it('accepts values at the edges of the range', () => {
      const values = [INGEST_LIMITS.maxAbsMeterValue, -INGEST_LIMITS.maxAbsMeterValue, INGEST_LIMITS.minAbsNonZeroMeterValue];
      expect(ingest(values.map((meterValue) => ({ ...event, meterValue }))).map((e) => e.meterValue)).toEqual(values);
    });

    it.each(['1e999', '-1e999'])('rejects the non-finite value %s written in the JSON text', (raw) => {
      expect(problemsOf(JSON.stringify(event).replace('"meterValue":2.5', `"meterValue":${raw}`))).toContain(
        'meterValue: must be a finite number',
      );
    });
  });

  describe('uniqueId', () => {
    it.each([
      [7, 'uniqueId: expected a string, got number'],
      ['  ', 'uniqueId: must not be empty'],
      ['u'.repeat(INGEST_LIMITS.uniqueIdMaxLength + 1), 'uniqueId: must be at most 256 characters'],
      ['\udc00x', 'uniqueId: must be valid Unicode text (it holds an unpaired UTF-16 surrogate)'],
    ])('rejects %j', (uniqueId, expected) => {
      expect(problemsOf({ ...event, uniqueId })).toContain(expected);
    });

    it('accepts the longest allowed uniqueId', () => {
      const uniqueId = 'u'.repeat(INGEST_LIMITS.uniqueIdMaxLength);
      expect(ingest({ ...event, uniqueId })[0]!.eventId).toBe(uniqueId);
    });
  });

  describe('dimensions', () => {
    const many = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`d${i}`, 'v']));

    it('accepts the limits exactly', () => {
      const dimensions = {
        ...many(INGEST_LIMITS.maxDimensions - 2),
        ['k'.repeat(INGEST_LIMITS.dimensionNameMaxLength)]: 'v',
        long: 'v'.repeat(INGEST_LIMITS.dimensionValueMaxLength),
      };
      expect(ingest({ ...event, dimensions })[0]!.dimensions).toEqual(dimensions);
    });

    it('accepts an empty value and dimension names outside the meter naming rules', () => {
      const dimensions = { 'aflo.cancel_previous_resource_event': 'true', 'has space': '' };
      expect(ingest({ ...event, dimensions })[0]!.dimensions).toEqual(dimensions);
    });

    it.each([
      [[], 'dimensions: expected an object of string values, got array'],
      ['region=us', 'dimensions: expected an object of string values, got string'],
      [many(INGEST_LIMITS.maxDimensions + 1), 'dimensions: may hold at most 50 entries, got 51'],
      [{ port: 8080 }, 'dimensions.port: expected a string value, got number'],
      [{ region: null }, 'dimensions.region: expected a string value, got null'],
      [{ '': 'x' }, 'dimensions: a dimension name must not be empty'],
      [{ ['k'.repeat(65)]: 'x' }, 'the name must be at most 64 characters, got 65'],
      [{ region: 'v'.repeat(257) }, 'dimensions.region: the value must be at most 256 characters, got 257'],
      [{ region: '\ud800' }, 'dimensions.region: must be valid Unicode text (it holds an unpaired UTF-16 surrogate)'],
    ])('rejects %j', (dimensions, expected) => {
      expect(problemsOf({ ...event, dimensions })).toContain(expected);
    });

    it('keeps a dimension named __proto__ as an ordinary dimension', () => {
      const queued = ingest('{"meterApiName":"api-calls","customerId":"c","meterValue":1,"meterTimeInMillis":' + NOW + ',"dimensions":{"__proto__":"x"}}');
      expect(Object.keys(queued[0]!.dimensions)).toEqual(['__proto__']);
      expect(JSON.stringify(queued[0]!.dimensions)).toBe('{"__proto__":"x"}');
    });
  });

  it('rejects unknown fields by name and lists the allowed ones', () => {
    const details = problemsOf({ ...event, customerName: 'Acme', meter_value: 1 });
    expect(details).toContain('customerName: unknown field (allowed: meterApiName, customerId, meterValue, meterTimeInMillis, uniqueId, dimensions, values)');
    expect(details).toContain('meter_value: unknown field');
  });

  it('lists every problem of every event, prefixed by where the event is', () => {
    const error = errorOf(() => ingest([event, { ...event, customerId: undefined, colour: 'red' }, event]));
    expect(error.message).toBe('Invalid events: 1 of 3 rejected; nothing was ingested');
    expect((error as ValidationError).details).toMatch(/^events\[1\]\.colour: unknown field .*; events\[1\]\.customerId: is required/);
  });

  it('prefixes NDJSON problems with the line number and single-event problems with nothing', () => {
    expect(problemsOf([JSON.stringify(event), JSON.stringify({ ...event, meterValue: 'x' })].join('\n'))).toMatch(/^line 2: meterValue:/);
    expect(problemsOf({ ...event, meterValue: 'x' })).toMatch(/^meterValue:/);
  });

  it('names array items that are not objects', () => {
    expect(problemsOf([event, 5, null])).toBe('events[1]: expected an event object, got number; events[2]: expected an event object, got null');
  });

  it('lists at most 20 problems and counts the rest', () => {
    const details = problemsOf(Array.from({ length: 30 }, () => ({ ...event, customerId: 5 })));
    expect(details.match(/customerId: expected a string/g)).toHaveLength(20);
    expect(details).toMatch(/; and 10 more$/);
  });

  it(`refuses with 413 a request that expands to more than ${INGEST_LIMITS.maxEventsPerRequest} meter events`, () => {
    const values = Object.fromEntries(METER_NAMES.slice(0, 20).map((name) => [name, 1]));
    const records = (count: number): IngestRecord[] =>
      Array.from({ length: count }, (_, i) => ({ where: `events[${i}]`, value: { customerId: 'c', meterTimeInMillis: NOW, values } }));
    expect(validateIngestRecords(records(500), context())).toHaveLength(10_000);
    const error = errorOf(() => validateIngestRecords(records(501), context()));
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect((error as PayloadTooLargeError).details).toContain('10020 meter events');
  });

  it('accepts every well-formed event and carries it over unchanged', () => {
    const validEvent = fc.record(
      {
        meterApiName: fc.constantFrom(...METER_NAMES),
        customerId: fc.string({ minLength: 1, maxLength: 256 }).filter((s) => s.trim() !== ''),
        meterValue: fc.oneof(fc.integer({ min: -1e6, max: 1e6 }), fc.double({ min: 1e-6, max: 1e9, noNaN: true })),
        meterTimeInMillis: fc.integer({ min: NOW - 60 * DAY_MILLIS, max: NOW + 5 * 60_000 }),
        uniqueId: fc.uuid(),
        dimensions: fc.dictionary(fc.string({ minLength: 1, maxLength: 64 }).filter((s) => s.trim() !== ''), fc.string({ maxLength: 256 }), { maxKeys: 10 }),
      },
      { requiredKeys: ['meterApiName', 'customerId', 'meterValue', 'meterTimeInMillis'] },
    );
    fc.assert(
      fc.property(fc.array(validEvent, { minLength: 1, maxLength: 20 }), (events) => {
        const queued = ingest(events);
        expect(queued).toHaveLength(events.length);
        for (const [index, original] of events.entries()) {
          expect(queued[index]).toMatchObject({
            meterApiName: original.meterApiName,
            customerId: original.customerId,
            meterValue: original.meterValue,
            meterTimeInMillis: original.meterTimeInMillis,
            dimensions: original.dimensions ?? {},
            idSource: original.uniqueId ? 'client' : 'stamped',
          });
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('ingestReceipt', () => {
  it("answers in the real service's words", () => {
    expect(ingestReceipt(3)).toBe('3 records were ingested');
  });
});

describe('referencedMeterNames', () => {
  it('collects meterApiName and the keys of values, ignoring what is not an event object', () => {
    const records = parseIngestBody(
      Buffer.from(JSON.stringify([{ meterApiName: 'a' }, { values: { b: 1, c: 2 } }, 'x', { meterApiName: 3 }, { meterApiName: 'a' }])),
    );
    expect([...referencedMeterNames(records)].sort()).toEqual(['a', 'b', 'c']);
  });
});
