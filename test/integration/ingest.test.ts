import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { QueuedEvent, QueueMessageBody } from '../../functions/domain/events.js';
import { DAY_MILLIS, INGEST_LIMITS } from '../../functions/domain/ingest.js';
import type { Gateway } from '../../local/gateway.js';
import { queueDepth } from '../../local/queue.js';
import {
  apiClient,
  createApiKey,
  ingestQueueUrl,
  startTestGateway,
  takeAllMessages,
  testConfigStore,
  testSqsClient,
  uniqueAccountId,
  type ApiClient,
  type ApiResponse,
} from './support.js';

const sqs = testSqsClient();
const queueUrl = ingestQueueUrl();
const METERS = ['api-calls', 'storage-gb'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let gateway: Gateway;
let api: ApiClient;
let accountId: string;

beforeAll(async () => {
  gateway = await startTestGateway();
  accountId = uniqueAccountId('ingest');
  const store = testConfigStore();
  for (const meterApiName of METERS) {
    await store.createMeter(
      accountId,
      { meterApiName, displayName: meterApiName, label: meterApiName, type: 'SUM_OF_ALL_USAGE', dimensions: ['region'] },
      Date.now(),
    );
  }
  api = apiClient(gateway.url, (await createApiKey(accountId, store)).apiKey);
});

afterAll(async () => {
  await gateway.close();
});

beforeEach(async () => {
  await takeAllMessages(sqs, queueUrl);
});

const event = (overrides: Record<string, unknown> = {}) => ({
  meterApiName: 'api-calls',
  customerId: 'customer-1',
  meterValue: 1,
  meterTimeInMillis: Date.now() - 60_000,
  uniqueId: `u-${Math.random().toString(36).slice(2)}`,
  dimensions: { region: 'us-east-1' },
  ...overrides,
});

const post = (body: Buffer | string, headers: Record<string, string> = {}, path = '/ingest') =>
  api.request('POST', path, { rawBody: body, headers });

/** Every message on the file's queue, parsed, in no particular order. */
async function queuedMessages(): Promise<QueueMessageBody[]> {
  return (await takeAllMessages(sqs, queueUrl)).map((message) => JSON.parse(message.Body!) as QueueMessageBody);
}

const byEventId = (a: QueuedEvent, b: QueuedEvent) => `${a.eventId}/${a.meterApiName}`.localeCompare(`${b.eventId}/${b.meterApiName}`);

function expectErrorResponse(response: ApiResponse, status: number, code: string): void {
  expect(response.status, response.text).toBe(status);
  expect(response.body).toEqual({ message: expect.any(String), code, details: expect.any(String) });
  expect(response.body.details.length).toBeGreaterThan(0);
}

describe('POST /ingest', () => {
  it('accepts events for a meter created a moment after an earlier request of the account', async () => {
    expect((await api.post('/ingest', [event()])).status).toBe(200);
    const refused = await api.post('/ingest', [event({ meterApiName: 'just-created' })]);
    expectErrorResponse(refused, 400, 'VALIDATION_FAILED');
    await testConfigStore().createMeter(
      accountId,
      { meterApiName: 'just-created', displayName: 'New', label: 'just-created', type: 'SUM_OF_ALL_USAGE', dimensions: [] },
      Date.now(),
    );
    const accepted = await api.post('/ingest', [event({ meterApiName: 'just-created' })]);
    expect(accepted.status, accepted.text).toBe(200);
    expect((await queuedMessages()).flatMap((message) => message.events.map((queued) => queued.meterApiName)).sort()).toEqual([
      'api-calls',
      'just-created',
    ]);
  });

  it('enqueues the validated events, values expanded and ids stamped, and answers 200', async () => {
    const before = Date.now();
    const time = before - 3_600_000;
    const body = [
      event({ uniqueId: 'client-id-1', meterTimeInMillis: time, meterValue: 2.5, dimensions: { region: 'eu', extra: 'kept' } }),
      { customerId: 'customer-2', meterTimeInMillis: time, values: { 'api-calls': 3, 'storage-gb': 0.25 } },
      event({ uniqueId: undefined, customerId: 'kunde-ü', meterTimeInMillis: time, dimensions: undefined }),
    ];
    const response = await api.post('/ingest', body);
    expect(response.status).toBe(200);
    expect(response.body).toBe('3 records were ingested');

    const messages = await queuedMessages();
    expect(messages.length).toBeGreaterThan(0);
    for (const message of messages) {
      expect(message).toMatchObject({ v: 1, accountId });
      expect(message.receivedAtMillis).toBeGreaterThanOrEqual(before);
      expect(message.receivedAtMillis).toBeLessThanOrEqual(Date.now());
    }
    const events = messages.flatMap((message) => message.events);
    const stampedMulti = events.find((e) => e.customerId === 'customer-2')!.eventId;
    const stampedSingle = events.find((e) => e.customerId === 'kunde-ü')!.eventId;
    expect(stampedMulti).toMatch(UUID);
    expect(stampedSingle).toMatch(UUID);
    expect(stampedSingle).not.toBe(stampedMulti);
    const common = { meterTimeInMillis: time };
    const expected: QueuedEvent[] = [
      { ...common, eventId: 'client-id-1', idSource: 'client', meterApiName: 'api-calls', customerId: 'customer-1', meterValue: 2.5, dimensions: { region: 'eu', extra: 'kept' } },
      { ...common, eventId: stampedMulti, idSource: 'stamped', meterApiName: 'api-calls', customerId: 'customer-2', meterValue: 3, dimensions: {} },
      { ...common, eventId: stampedMulti, idSource: 'stamped', meterApiName: 'storage-gb', customerId: 'customer-2', meterValue: 0.25, dimensions: {} },
      { ...common, eventId: stampedSingle, idSource: 'stamped', meterApiName: 'api-calls', customerId: 'kunde-ü', meterValue: 1, dimensions: {} },
    ];
    expect([...events].sort(byEventId)).toEqual(expected.sort(byEventId));
  });

  it('accepts the trailing-slash path the Python SDK uses', async () => {
    const response = await api.post('/ingest/', [event({ uniqueId: 'slash' })]);
    expect(response.status).toBe(200);
    expect((await queuedMessages()).flatMap((m) => m.events.map((e) => e.eventId))).toEqual(['slash']);
  });

  it('accepts gzip-compressed NDJSON sent as application/octet-stream', async () => {
    const ndjson = [event({ uniqueId: 'gz-1' }), event({ uniqueId: 'gz-2' })].map((e) => JSON.stringify(e)).join('\n');
    const response = await post(gzipSync(ndjson), { 'content-type': 'application/octet-stream', 'content-encoding': 'gzip' });
    expect(response.status, response.text).toBe(200);
    expect(response.body).toBe('2 records were ingested');
    const ids = (await queuedMessages()).flatMap((m) => m.events.map((e) => e.eventId));
    expect(ids.sort()).toEqual(['gz-1', 'gz-2']);
  });

  it('accepts an uncompressed body whatever its Content-Type, or none', async () => {
    for (const [index, contentType] of ['application/octet-stream', 'text/plain', undefined].entries()) {
      const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
      const response = await post(Buffer.from(JSON.stringify(event({ uniqueId: `plain-${index}` }))), headers);
      expect(response.status, response.text).toBe(200);
    }
    const ids = (await queuedMessages()).flatMap((m) => m.events.map((e) => e.eventId));
    expect(ids.sort()).toEqual(['plain-0', 'plain-1', 'plain-2']);
  });

  it('answers each of 7 identical retries with 200, enqueuing the same event ids every time', async () => {
    const body = JSON.stringify([event({ uniqueId: 'retry-1' }), event({ uniqueId: 'retry-2', meterApiName: 'storage-gb' })]);
    const responses = await Promise.all(Array.from({ length: 7 }, () => post(body, { 'content-type': 'application/json' })));
    expect(responses.map((response) => response.status)).toEqual(Array(7).fill(200));
    const messages = await queuedMessages();
    expect(messages).toHaveLength(7);
    for (const message of messages) expect(message.events.map((e) => e.eventId)).toEqual(['retry-1', 'retry-2']);
  });

  it('spreads a large request over several messages without losing an event', async () => {
    const body = Array.from({ length: INGEST_LIMITS.maxRecordsPerRequest }, (_, i) =>
      event({ uniqueId: `bulk-${i}`, dimensions: { region: 'us-east-1', note: 'n'.repeat(200) } }),
    );
    const response = await api.post('/ingest', body);
    expect(response.status).toBe(200);
    const messages = await queuedMessages();
    expect(messages.length).toBeGreaterThan(1);
    const ids = messages.flatMap((m) => m.events.map((e) => e.eventId));
    expect(new Set(ids)).toEqual(new Set(body.map((e) => e.uniqueId)));
    expect(ids).toHaveLength(body.length);
  });

  it('answers an empty array with 200 and enqueues nothing', async () => {
    const response = await api.post('/ingest', []);
    expect(response.status).toBe(200);
    expect(response.body).toBe('0 records were ingested');
    expect(await queueDepth(sqs, queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('refuses requests without a valid API key before reading the body', async () => {
    expectErrorResponse(await apiClient(gateway.url).post('/ingest', [event()]), 401, 'UNAUTHORIZED');
    expectErrorResponse(await apiClient(gateway.url, 'not-a-real-key-000000').post('/ingest', [event()]), 401, 'UNAUTHORIZED');
    expect(await queueDepth(sqs, queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('answers 405 for other methods on the ingest path', async () => {
    const response = await api.get('/ingest');
    expectErrorResponse(response, 405, 'METHOD_NOT_ALLOWED');
    expect(response.headers.get('allow')).toBe('POST');
  });

  it('says that customerId is required when a client leaves it out', async () => {
    const response = await api.post('/ingest', [event(), event({ customerId: '' })]);
    expectErrorResponse(response, 400, 'VALIDATION_FAILED');
    expect(response.body.message).toBe('Invalid events: 1 of 2 rejected; nothing was ingested');
    expect(response.body.details).toMatch(/^events\[1\]\.customerId: is required: Tally meters usage per customer/);
  });
});

describe('POST /ingest with malformed requests', () => {
  // Built once: generating megabytes per run would only slow the test down.
  const HUGE = {
    overHandlerLimit: Buffer.from(`[${' '.repeat(INGEST_LIMITS.maxBodyBytes)}]`),
    overGatewayLimit: Buffer.alloc(10 * 1024 * 1024 + 1, 0x20),
    gzipBomb: gzipSync(Buffer.alloc(INGEST_LIMITS.maxBodyBytes + 1, 0x20)),
    tooManyEvents: JSON.stringify(Array.from({ length: INGEST_LIMITS.maxRecordsPerRequest + 1 }, () => event())),
  };

  interface Malformed {
    readonly kind: string;
    readonly body: Buffer | string;
    readonly headers?: Record<string, string>;
    readonly status: 400 | 413;
  }

  const start = Date.now();
  const validEvent = fc.record({
    meterApiName: fc.constantFrom(...METERS),
    customerId: fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== ''),
    meterValue: fc.double({ min: -1e6, max: 1e6, noNaN: true }).filter((v) => v === 0 || Math.abs(v) >= 1e-12),
    meterTimeInMillis: fc.integer({ min: start - 59 * DAY_MILLIS, max: start }),
    uniqueId: fc.uuid(),
    dimensions: fc.dictionary(fc.constantFrom('region', 'tier', 'zone'), fc.string({ maxLength: 20 }), { maxKeys: 3 }),
  });
  type Event = Record<string, unknown>;

  const wrongValue = fc.oneof(fc.integer(), fc.boolean(), fc.constant([]), fc.constant({}), fc.string({ minLength: 1 }));
  const wrongType: fc.Arbitrary<[string, unknown]> = fc.oneof(
    fc.tuple(fc.constant('meterApiName'), wrongValue.filter((v) => typeof v !== 'string')),
    fc.tuple(fc.constant('customerId'), fc.oneof(fc.integer(), fc.boolean(), fc.constant([]), fc.constant({}))),
    fc.tuple(fc.constant('meterValue'), fc.oneof(fc.string(), fc.boolean(), fc.constant([1]), fc.constant({}))),
    fc.tuple(fc.constant('meterTimeInMillis'), fc.oneof(fc.constant(String(start)), fc.constant(start + 0.5), fc.boolean(), fc.constant([start]))),
    fc.tuple(fc.constant('uniqueId'), fc.oneof(fc.integer(), fc.boolean(), fc.constant(['u']), fc.constant({ id: 'u' }))),
    fc.tuple(fc.constant('dimensions'), fc.oneof(fc.string(), fc.integer(), fc.constant(['region']), fc.constant({ region: 5 }))),
    fc.tuple(fc.constant('values'), fc.oneof(fc.string(), fc.integer(), fc.constant([1]), fc.constant({ 'api-calls': 'one' }))),
  );

  /** Ways to spoil one otherwise valid event; each must earn a 400. */
  const spoil: fc.Arbitrary<{ kind: string; apply: (e: Event) => Event | string }> = fc.oneof(
    wrongType.map(([field, value]) => ({
      kind: `wrong type of ${field}`,
      apply: (e: Event) => (field === 'values' ? { ...e, meterApiName: undefined, meterValue: undefined, values: value } : { ...e, [field]: value }),
    })),
    fc.constantFrom('customerId', 'meterTimeInMillis', 'meterApiName', 'meterValue').map((field) => ({
      kind: `missing ${field}`,
      apply: (e: Event) => ({ ...e, [field]: undefined }),
    })),
    fc.constantFrom('', '   ').map((customerId) => ({ kind: 'empty customerId', apply: (e: Event) => ({ ...e, customerId }) })),
    fc.string({ minLength: 1, maxLength: 20 })
      .filter((name) => !['meterApiName', 'customerId', 'meterValue', 'meterTimeInMillis', 'uniqueId', 'dimensions', 'values'].includes(name))
      .map((name) => ({ kind: 'unknown field', apply: (e: Event) => ({ ...e, [name]: 1 }) })),
    fc.string({ minLength: 1, maxLength: 30 }).map((name) => ({
      kind: 'unknown meter',
      apply: (e: Event) => ({ ...e, meterApiName: `nope-${name}` }),
    })),
    fc.string({ minLength: 1, maxLength: 30 }).map((name) => ({
      kind: 'unknown meter in values',
      apply: (e: Event) => ({ ...e, meterApiName: undefined, meterValue: undefined, values: { 'api-calls': 1, [`nope-${name}`]: 2 } }),
    })),
    fc.integer({ min: 10 * 60_000, max: 100 * 365 * DAY_MILLIS }).map((ahead) => ({
      kind: 'far-future time',
      apply: (e: Event) => ({ ...e, meterTimeInMillis: start + ahead }),
    })),
    fc.oneof(fc.integer({ min: 61 * DAY_MILLIS, max: start }).map((age) => start - age), fc.integer({ min: 0, max: Math.floor(start / 1000) })).map((time) => ({
      kind: 'too-old time',
      apply: (e: Event) => ({ ...e, meterTimeInMillis: time }),
    })),
    fc.constantFrom('1e999', '-1e999').map((raw) => ({
      kind: 'non-finite value',
      apply: (e: Event) => JSON.stringify({ ...e, meterValue: 0 }).replace('"meterValue":0', `"meterValue":${raw}`),
    })),
    fc.constantFrom('1e999', '-1e999').map((raw) => ({
      kind: 'non-finite value in values',
      apply: (e: Event) => JSON.stringify({ ...e, meterApiName: undefined, meterValue: undefined, values: { 'api-calls': 0 } }).replace('"api-calls":0', `"api-calls":${raw}`),
    })),
    fc.oneof(fc.double({ min: 1.0000001e15, max: 1e300, noNaN: true }), fc.double({ min: 1e-300, max: 9e-13, noNaN: true })).map((meterValue) => ({
      kind: 'value out of range',
      apply: (e: Event) => ({ ...e, meterValue }),
    })),
    fc.oneof(
      fc.constant({ ...Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`d${i}`, 'v'])) }),
      fc.constant({ ['k'.repeat(65)]: 'v' }),
      fc.constant({ region: 'v'.repeat(257) }),
      fc.constant({ '': 'v' }),
    ).map((dimensions) => ({ kind: 'oversized dimensions', apply: (e: Event) => ({ ...e, dimensions }) })),
    fc.constant({ kind: 'long uniqueId', apply: (e: Event) => ({ ...e, uniqueId: 'u'.repeat(257) }) }),
  );

  const asJson = (value: Event | string) => (typeof value === 'string' ? value : JSON.stringify(value));

  const malformed: fc.Arbitrary<Malformed> = fc.oneof(
    // One spoiled event, alone or somewhere in a batch of valid ones.
    { weight: 12, arbitrary: fc.tuple(spoil, validEvent).map(([s, e]) => ({ kind: s.kind, body: asJson(s.apply(e)), status: 400 as const })) },
    {
      weight: 8,
      arbitrary: fc.tuple(spoil, fc.array(validEvent, { minLength: 1, maxLength: 20 }), fc.nat()).map(([s, events, at]) => {
        const index = at % events.length;
        const parts = events.map((e, i) => (i === index ? asJson(s.apply(e)) : JSON.stringify(e)));
        return { kind: `${s.kind} in a batch`, body: `[${parts.join(',')}]`, status: 400 as const };
      }),
    },
    {
      weight: 4,
      arbitrary: fc
        .tuple(
          fc.array(validEvent, { minLength: 2, maxLength: 10 }),
          fc.nat(),
          fc.constantFrom('{"meterApiName": "api-calls",', '[1, 2]', '42', 'not json', '{"customerId": "c"}}', '"a string"'),
        )
        .map(([events, at, broken]) => {
          const lines = events.map((e) => JSON.stringify(e));
          lines.splice(at % lines.length, 0, broken);
          return { kind: 'bad NDJSON line', body: lines.join('\n'), headers: { 'content-type': 'application/x-ndjson' }, status: 400 as const };
        }),
    },
    {
      weight: 2,
      arbitrary: fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
        validEvent.map((e) => gzipSync(JSON.stringify(e)).subarray(0, 15)),
      ).map((body) => ({ kind: 'bad gzip', body, headers: { 'content-encoding': 'gzip' }, status: 400 as const })),
    },
    {
      weight: 2,
      arbitrary: fc.oneof(
        fc.string({ maxLength: 100 }).filter((text) => {
          try {
            JSON.parse(text);
            return false;
          } catch {
            return text.trim() !== '';
          }
        }),
        fc.constantFrom('42', 'null', '"event"', 'true', '[1, "x", null]', '', '  \n '),
        fc.constant(Buffer.from([0x7b, 0xc3, 0x28, 0x7d])),
      ).map((body) => ({ kind: 'not JSON or not events', body, status: 400 as const })),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom('br', 'deflate', 'compress').map((encoding) => ({
        kind: 'unsupported encoding',
        body: JSON.stringify(event()),
        headers: { 'content-encoding': encoding },
        status: 400 as const,
      })),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom<Malformed>(
        { kind: 'body over the ingest limit', body: HUGE.overHandlerLimit, status: 413 },
        { kind: 'body over the gateway limit', body: HUGE.overGatewayLimit, status: 413 },
        { kind: 'gzip bomb', body: HUGE.gzipBomb, headers: { 'content-encoding': 'gzip' }, status: 413 },
        { kind: 'too many events', body: HUGE.tooManyEvents, status: 413 },
      ),
    },
  );

  it('answers 1,000 generated malformed requests each with a 4xx ErrorResponse and enqueues nothing', async () => {
    const kinds = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(malformed, async (request) => {
        kinds.set(request.kind, (kinds.get(request.kind) ?? 0) + 1);
        const response = await post(request.body, request.headers);
        expectErrorResponse(response, request.status, request.status === 413 ? 'PAYLOAD_TOO_LARGE' : 'VALIDATION_FAILED');
      }),
      { numRuns: 1_000 },
    );
    expect(await queueDepth(sqs, queueUrl)).toEqual({ visible: 0, inFlight: 0 });
    expect([...kinds.values()].reduce((sum, count) => sum + count, 0)).toBe(1_000);
    for (const kind of ['bad gzip', 'bad NDJSON line', 'gzip bomb', 'far-future time', 'too-old time', 'unknown meter', 'non-finite value']) {
      expect(kinds.get(kind), kind).toBeGreaterThan(0);
    }
  });
});
