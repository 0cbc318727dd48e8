import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../local/gateway.js';
import { apiClient, newTestAccount, startTestGateway, type ApiClient, type TestAccount } from './support.js';

/**
 * Random methods, paths, query strings, headers and bodies against the configuration routes.
 * Whatever arrives, Tally answers below 500, and every error is an ErrorResponse.
 */
let gateway: Gateway;
let account: TestAccount;
let clients: Record<'valid' | 'none' | 'bogus', ApiClient>;

beforeAll(async () => {
  gateway = await startTestGateway();
  account = await newTestAccount(gateway.url, 'fuzz');
  clients = { valid: account.api, none: apiClient(gateway.url), bogus: apiClient(gateway.url, 'tly_bogus-key-for-fuzzing') };
});

afterAll(async () => {
  await gateway.close();
});

/** Strings that have broken parsers, stores and encoders before. */
const nastyStrings = fc.constantFrom(
  'api-calls',
  '',
  ' ',
  'x'.repeat(129),
  'y'.repeat(5000),
  '\ud800',
  'a\udfffb',
  '\u0000',
  '😀',
  '../..',
  '__proto__',
  'constructor',
  'null',
  '%',
  'ACCT#other',
  'METER#api-calls',
);
const anyString = fc.oneof(nastyStrings, fc.string({ maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 30 }));
const anyJson = fc.jsonValue({ maxDepth: 3 });
const fieldValue = fc.oneof(anyString, anyJson);

/** Mostly a plausible value, sometimes anything at all. */
const mostly = <T>(plausible: fc.Arbitrary<T>) => fc.oneof({ arbitrary: plausible, weight: 6 }, { arbitrary: fieldValue, weight: 1 });

const meterLike = fc.record(
  {
    meterApiName: mostly(fc.constantFrom('api-calls', 'fuzz-meter', 'm.1:x')),
    displayName: mostly(anyString),
    label: mostly(anyString),
    type: mostly(fc.constantFrom('sum_of_all_usage', 'MAX_IN_PERIOD', 'Unique_Customers_Count')),
    dimensions: mostly(fc.uniqueArray(fc.constantFrom('region', 'tier', 'zone', 'customerId'), { maxLength: 4 })),
    meterTimeInMillis: fieldValue,
  },
  { requiredKeys: ['meterApiName', 'displayName', 'type'] },
);

const ruleLike = fc.record(
  {
    ruleId: mostly(fc.constantFrom('r1', 'fuzz-rule')),
    meterApiName: mostly(fc.constantFrom('api-calls', 'fuzz-meter', 'missing')),
    dimensionName: mostly(fc.constantFrom('region', 'tier')),
    dimensionValues: mostly(fc.array(anyString, { maxLength: 5 })),
    action: mostly(fc.constantFrom('include', 'EXCLUDE')),
  },
  { requiredKeys: ['meterApiName', 'dimensionName', 'dimensionValues', 'action'] },
);

const bodyText = fc.oneof(
  { arbitrary: meterLike.map((value) => JSON.stringify(value)), weight: 3 },
  { arbitrary: ruleLike.map((value) => JSON.stringify(value)), weight: 3 },
  { arbitrary: anyJson.map((value) => JSON.stringify(value)), weight: 1 },
  { arbitrary: anyString, weight: 1 },
);

const body = fc.oneof(
  { arbitrary: bodyText.map((text) => Buffer.from(text, 'utf8')), weight: 8 },
  { arbitrary: fc.constant(undefined), weight: 1 },
  { arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)), weight: 1 },
);

/** Like encodeURIComponent, but also for lone surrogates (sent as the UTF-8 replacement character). */
function percentEncode(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((byte) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).padStart(2, '0').toUpperCase()}`))
    .join('');
}

const segment = fc.oneof(
  { arbitrary: fc.constantFrom('api-calls', 'fuzz-meter', 'r1', 'fuzz-rule'), weight: 3 },
  { arbitrary: fc.constantFrom('%20', '%2F', '%ZZ', '%00', '..', '.', 'a'.repeat(300)), weight: 1 },
  { arbitrary: anyString.map(percentEncode), weight: 1 },
);

const path = fc.oneof(
  { arbitrary: fc.constantFrom('/meter-definition', '/meter-event-filtering-rules'), weight: 6 },
  { arbitrary: segment.map((s) => `/meter-definition/${s}`), weight: 3 },
  { arbitrary: segment.map((s) => `/meter-event-filtering-rules/${s}`), weight: 2 },
  { arbitrary: fc.constantFrom('/meter-definition/', '/health/', '//meter-definition', '/meter-definitions'), weight: 1 },
  { arbitrary: fc.tuple(segment, segment).map(([first, second]) => `/meter-definition/${first}/${second}`), weight: 1 },
  { arbitrary: segment.map((s) => `/${s}`), weight: 1 },
);

const query = fc.oneof(
  { arbitrary: segment.map((s) => `?meterApiName=${s}`), weight: 3 },
  { arbitrary: fc.constant(''), weight: 2 },
  { arbitrary: fc.tuple(segment, segment).map(([first, second]) => `?meterApiName=${first}&meterApiName=${second}`), weight: 1 },
  { arbitrary: segment.map((s) => `?${s}`), weight: 1 },
);

const anyMethod = fc.oneof(
  { arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'), weight: 8 },
  { arbitrary: fc.constantFrom('PATCH', 'OPTIONS'), weight: 1 },
);

const asText = (arbitrary: fc.Arbitrary<unknown>) => arbitrary.map((value) => Buffer.from(JSON.stringify(value), 'utf8'));

/** Requests shaped like real calls to each route, with odd values inside. */
const routeShaped = fc.oneof(
  fc.record({ method: fc.constantFrom('POST', 'PUT'), path: fc.constant('/meter-definition'), query: fc.constant(''), body: asText(meterLike) }),
  fc.record({ method: fc.constant('POST'), path: fc.constant('/meter-event-filtering-rules'), query: fc.constant(''), body: asText(ruleLike) }),
  fc.record({ method: fc.constantFrom('GET', 'DELETE'), path: segment.map((s) => `/meter-definition/${s}`), query: fc.constant(''), body: fc.constant(undefined) }),
  fc.record({ method: fc.constant('GET'), path: fc.constantFrom('/meter-definition', '/meter-event-filtering-rules'), query, body: fc.constant(undefined) }),
  fc.record({ method: fc.constant('DELETE'), path: segment.map((s) => `/meter-event-filtering-rules/${s}`), query: fc.constant(''), body: fc.constant(undefined) }),
);

const anything = fc.record({ method: anyMethod, path, query, body });

const request = fc.record({
  shape: fc.oneof({ arbitrary: routeShaped, weight: 3 }, { arbitrary: anything, weight: 2 }),
  key: fc.constantFrom('valid', 'valid', 'valid', 'valid', 'valid', 'valid', 'none', 'bogus'),
  encoding: fc.constantFrom('none', 'none', 'none', 'none', 'none', 'gzip', 'gzip', 'declared-gzip', 'br'),
  contentType: fc.constantFrom(undefined, 'application/json', 'text/plain', 'application/octet-stream', 'application/x-ndjson'),
});

describe('configuration routes under random input', () => {
  it('answer below 500, and every error is an ErrorResponse {message, code, details}', async () => {
    await account.api.post('/meter-definition', { meterApiName: 'api-calls', displayName: 'API Calls', type: 'SUM_OF_ALL_USAGE' });
    await fc.assert(
      fc.asyncProperty(request, async ({ shape: { method, path, query, body }, key, encoding, contentType }) => {
        const headers: Record<string, string> = {};
        if (contentType) headers['content-type'] = contentType;
        let rawBody: Buffer | undefined = method === 'GET' ? undefined : body;
        if (rawBody !== undefined && encoding === 'gzip') rawBody = gzipSync(rawBody);
        if (encoding === 'gzip' || encoding === 'declared-gzip') headers['content-encoding'] = 'gzip';
        if (encoding === 'br') headers['content-encoding'] = 'br';

        const response = await clients[key].request(method, `${path}${query}`, { rawBody, headers });

        expect(response.status, `${method} ${path}${query}: ${response.text}`).toBeLessThan(500);
        if (response.status >= 400) {
          expect(Object.keys(response.body ?? {}).sort(), response.text).toEqual(['code', 'details', 'message']);
          for (const field of ['message', 'code', 'details']) expect(typeof response.body[field]).toBe('string');
        } else {
          expect(() => JSON.parse(response.text)).not.toThrow();
        }
      }),
      { numRuns: 300 },
    );
  });
});
