import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_BODY_BYTES } from '../../functions/http/http-handler.js';
import type { Gateway } from '../../local/gateway.js';
import { expectErrorResponse, newTestAccount, startTestGateway, type ApiClient } from './support.js';

let gateway: Gateway;
let api: ApiClient;

beforeAll(async () => {
  gateway = await startTestGateway();
});

afterAll(async () => {
  await gateway.close();
});

beforeEach(async () => {
  ({ api } = await newTestAccount(gateway.url, 'meters'));
});

const apiCalls = { meterApiName: 'api-calls', displayName: 'API Calls', type: 'SUM_OF_ALL_USAGE', dimensions: ['region'] };

describe('POST /meter-definition', () => {
  it('creates a meter: label defaults to the name, creation time is stamped', async () => {
    const before = Date.now();
    const response = await api.post('/meter-definition', apiCalls);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ...apiCalls, label: 'api-calls', meterTimeInMillis: expect.any(Number) });
    expect(response.body.meterTimeInMillis).toBeGreaterThanOrEqual(before);
    expect(response.body.meterTimeInMillis).toBeLessThanOrEqual(Date.now());
  });

  it('accepts the type in any case and answers it in the seed enum', async () => {
    const response = await api.post('/meter-definition', { ...apiCalls, type: 'max_in_period' });
    expect(response.body.type).toBe('MAX_IN_PERIOD');
    expect((await api.get('/meter-definition/api-calls')).body.type).toBe('MAX_IN_PERIOD');
  });

  it('stores any valid Unicode text in displayName and label', async () => {
    const text = { displayName: 'Appels API 😀 — 呼び出し', label: 'naïve\u0000label' };
    expect((await api.post('/meter-definition', { ...apiCalls, ...text })).status).toBe(200);
    expect((await api.get('/meter-definition/api-calls')).body).toMatchObject(text);
  });

  it('keeps an explicit label and defaults missing dimensions to none', async () => {
    const response = await api.post('/meter-definition', { meterApiName: 'm', displayName: 'M', type: 'SUM_OF_ALL_USAGE', label: 'Meter M' });
    expect(response.body).toMatchObject({ label: 'Meter M', dimensions: [] });
  });

  it('answers 409 CONFLICT for a name that exists, leaving the meter as it was', async () => {
    await api.post('/meter-definition', apiCalls);
    const response = await api.post('/meter-definition', { ...apiCalls, displayName: 'Other' });
    expectErrorResponse(response, 409, 'CONFLICT');
    expect(response.body.details).toContain('"api-calls" already exists');
    expect((await api.get('/meter-definition/api-calls')).body.displayName).toBe('API Calls');
  });

  it.each([
    [{ ...apiCalls, meterApiName: 'has space' }, 'meterApiName: "has space" is not valid'],
    [{ ...apiCalls, meterApiName: 'x'.repeat(129) }, 'meterApiName: must be at most 128 characters'],
    [{ ...apiCalls, displayName: undefined }, 'displayName: is required'],
    [{ ...apiCalls, type: 'AVERAGE' }, 'type: expected one of SUM_OF_ALL_USAGE, MAX_IN_PERIOD, UNIQUE_CUSTOMERS_COUNT'],
    [{ ...apiCalls, dimensions: ['a', 'a'] }, 'dimensions[1]: "a" is listed twice'],
    [{ ...apiCalls, dimensions: [1] }, 'dimensions[0]: expected a string, got number'],
    [{ ...apiCalls, dimensions: Array.from({ length: 11 }, (_, i) => `d${i}`) }, 'dimensions: must hold at most 10 items'],
    [{ ...apiCalls, colour: 'blue' }, 'colour: unknown field'],
    [{ ...apiCalls, displayName: 'bad \ud800 text' }, 'displayName: must be valid Unicode text'],
    [[apiCalls], 'expected a JSON object, got array'],
  ])('answers 400 VALIDATION_FAILED for %j', async (body, expected) => {
    const response = await api.post('/meter-definition', body);
    expectErrorResponse(response, 400, 'VALIDATION_FAILED');
    expect(response.body.details).toContain(expected);
    expect((await api.get('/meter-definition')).body).toEqual([]);
  });

  it.each([
    ['malformed JSON', '{"meterApiName": ', 'the body is not valid JSON'],
    ['an empty body', '', 'this request needs a JSON body'],
  ])('answers 400 for %s', async (_, rawBody, expected) => {
    const response = await api.request('POST', '/meter-definition', { rawBody, headers: { 'content-type': 'application/json' } });
    expectErrorResponse(response, 400, 'VALIDATION_FAILED');
    expect(response.body.details).toContain(expected);
  });

  it('accepts a gzip body', async () => {
    const response = await api.request('POST', '/meter-definition', {
      rawBody: gzipSync(JSON.stringify(apiCalls)),
      headers: { 'content-encoding': 'gzip', 'content-type': 'application/json' },
    });
    expect(response.status).toBe(200);
    expect(response.body.meterApiName).toBe('api-calls');
  });

  it('answers 400 for a body declared gzip that is not', async () => {
    const response = await api.request('POST', '/meter-definition', {
      rawBody: JSON.stringify(apiCalls),
      headers: { 'content-encoding': 'gzip' },
    });
    expectErrorResponse(response, 400, 'VALIDATION_FAILED');
  });

  it('answers 413 PAYLOAD_TOO_LARGE above the body limit', async () => {
    const response = await api.post('/meter-definition', { ...apiCalls, displayName: 'x'.repeat(DEFAULT_MAX_BODY_BYTES) });
    expectErrorResponse(response, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('does not depend on the Content-Type', async () => {
    const response = await api.request('POST', '/meter-definition', {
      rawBody: Buffer.from(JSON.stringify(apiCalls)),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(response.status).toBe(200);
  });
});

describe('GET /meter-definition', () => {
  it('answers [] for an account without meters', async () => {
    const response = await api.get('/meter-definition');
    expect(response.status).toBe(200);
    expect(response.body).toEqual([]);
  });

  it('lists every meter of the account by name', async () => {
    const created = [];
    for (const name of ['zeta', 'alpha', 'mid']) {
      created.push((await api.post('/meter-definition', { ...apiCalls, meterApiName: name })).body);
    }
    const response = await api.get('/meter-definition');
    expect(response.body).toEqual([...created].sort((a, b) => a.meterApiName.localeCompare(b.meterApiName)));
  });
});

describe('GET /meter-definition/{meterApiName}', () => {
  it('answers the meter as created', async () => {
    const created = (await api.post('/meter-definition', apiCalls)).body;
    const response = await api.get('/meter-definition/api-calls');
    expect(response.status).toBe(200);
    expect(response.body).toEqual(created);
  });

  it('answers 404 NOT_FOUND for a missing meter', async () => {
    const response = await api.get('/meter-definition/nope');
    expectErrorResponse(response, 404, 'NOT_FOUND');
    expect(response.body.details).toBe('no meter named "nope" exists in this account');
  });

  it('answers 400 for a name that could never exist', async () => {
    expectErrorResponse(await api.get('/meter-definition/has%20space'), 400, 'VALIDATION_FAILED');
    expectErrorResponse(await api.get(`/meter-definition/${'x'.repeat(129)}`), 400, 'VALIDATION_FAILED');
  });

  it('decodes a percent-encoded name', async () => {
    await api.post('/meter-definition', { ...apiCalls, meterApiName: 'calls:v2' });
    expect((await api.get('/meter-definition/calls%3Av2')).body.meterApiName).toBe('calls:v2');
  });
});

describe('PUT /meter-definition', () => {
  it('updates every editable field and keeps the creation time', async () => {
    const created = (await api.post('/meter-definition', apiCalls)).body;
    const update = { meterApiName: 'api-calls', displayName: 'Calls', label: 'calls', type: 'unique_customers_count', dimensions: ['tier'] };
    const response = await api.put('/meter-definition', { ...update, meterTimeInMillis: 1 });
    expect(response.status).toBe(200);
    const expected = { ...update, type: 'UNIQUE_CUSTOMERS_COUNT', meterTimeInMillis: created.meterTimeInMillis };
    expect(response.body).toEqual(expected);
    expect((await api.get('/meter-definition/api-calls')).body).toEqual(expected);
  });

  it('answers 404 NOT_FOUND for a meter that does not exist, creating nothing', async () => {
    const response = await api.put('/meter-definition', apiCalls);
    expectErrorResponse(response, 404, 'NOT_FOUND');
    expect((await api.get('/meter-definition')).body).toEqual([]);
  });

  it('answers 400 for an invalid definition, changing nothing', async () => {
    const created = (await api.post('/meter-definition', apiCalls)).body;
    const response = await api.put('/meter-definition', { ...apiCalls, displayName: '' });
    expectErrorResponse(response, 400, 'VALIDATION_FAILED');
    expect(response.body.details).toContain('displayName: must not be empty');
    expect((await api.get('/meter-definition/api-calls')).body).toEqual(created);
  });
});

describe('DELETE /meter-definition/{meterApiName}', () => {
  it('deletes the meter and answers it', async () => {
    const created = (await api.post('/meter-definition', apiCalls)).body;
    const response = await api.delete('/meter-definition/api-calls');
    expect(response.status).toBe(200);
    expect(response.body).toEqual(created);
    expectErrorResponse(await api.get('/meter-definition/api-calls'), 404, 'NOT_FOUND');
    expect((await api.get('/meter-definition')).body).toEqual([]);
  });

  it('answers 404 NOT_FOUND for a missing meter, also on a second delete', async () => {
    await api.post('/meter-definition', apiCalls);
    await api.delete('/meter-definition/api-calls');
    expectErrorResponse(await api.delete('/meter-definition/api-calls'), 404, 'NOT_FOUND');
    expectErrorResponse(await api.delete('/meter-definition/never'), 404, 'NOT_FOUND');
  });

  it('deletes the meter’s rules with it, so a new meter of that name starts without rules', async () => {
    await api.post('/meter-definition', apiCalls);
    const rules = [];
    for (const region of ['us', 'eu']) {
      rules.push(
        (await api.post('/meter-event-filtering-rules', { meterApiName: 'api-calls', dimensionName: 'region', dimensionValues: [region], action: 'EXCLUDE' })).body,
      );
    }
    expect((await api.get('/meter-event-filtering-rules?meterApiName=api-calls')).body).toHaveLength(2);

    expect((await api.delete('/meter-definition/api-calls')).status).toBe(200);

    await api.post('/meter-definition', apiCalls);
    expect((await api.get('/meter-event-filtering-rules?meterApiName=api-calls')).body).toEqual([]);
    for (const rule of rules) {
      expectErrorResponse(await api.delete(`/meter-event-filtering-rules/${rule.ruleId}`), 404, 'NOT_FOUND');
    }
  });

  it('leaves other meters and their rules alone', async () => {
    await api.post('/meter-definition', apiCalls);
    await api.post('/meter-definition', { ...apiCalls, meterApiName: 'other' });
    const rule = { ruleId: 'keep-me', meterApiName: 'other', dimensionName: 'region', dimensionValues: ['us'], action: 'INCLUDE' };
    await api.post('/meter-event-filtering-rules', rule);
    await api.delete('/meter-definition/api-calls');
    expect((await api.get('/meter-definition')).body.map((m: { meterApiName: string }) => m.meterApiName)).toEqual(['other']);
    expect((await api.get('/meter-event-filtering-rules?meterApiName=other')).body).toEqual([rule]);
  });
});

describe('methods and routes', () => {
  it.each([
    ['PATCH', '/meter-definition', 'GET, POST, PUT'],
    ['DELETE', '/meter-definition', 'GET, POST, PUT'],
    ['POST', '/meter-definition/api-calls', 'GET, DELETE'],
    ['PUT', '/meter-definition/api-calls', 'GET, DELETE'],
  ])('%s %s answers 405 with Allow: %s', async (method, path, allow) => {
    const response = await api.request(method, path);
    expectErrorResponse(response, 405, 'METHOD_NOT_ALLOWED');
    expect(response.headers.get('allow')).toBe(allow);
  });

  it.each(['/meter-definitions', '/meter-definition/a/b', '/meter-definition/', '/'])('answers 404 for the unknown path %s', async (path) => {
    expectErrorResponse(await api.get(path), 404, 'NOT_FOUND');
  });
});
