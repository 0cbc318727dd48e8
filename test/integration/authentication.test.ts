import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../functions/domain/api-keys.js';
import { matchRoute, routeKeyOf, routes } from '../../functions/routes.js';
import type { Gateway } from '../../local/gateway.js';
import {
  apiClient,
  createApiKey,
  expectErrorResponse,
  newTestAccount,
  startTestGateway,
  testConfigStore,
  testDocumentClient,
  testTables,
  type TestAccount,
} from './support.js';

let gateway: Gateway;
let account: TestAccount;

beforeAll(async () => {
  gateway = await startTestGateway();
  account = await newTestAccount(gateway.url, 'auth');
  await account.api.post('/meter-definition', { meterApiName: 'api-calls', displayName: 'API Calls', type: 'SUM_OF_ALL_USAGE' });
});

afterAll(async () => {
  await gateway.close();
});

const usageQuery = {
  meterApiName: 'api-calls',
  startTimeInSeconds: Math.floor(Date.now() / 1000) - 86_400,
  endTimeInSeconds: Math.floor(Date.now() / 1000),
  aggregation: 'SUM',
  timeGroupingInterval: 'DAY',
};

/** Every authenticated route, with concrete paths and bodies that would succeed with a good key. */
const authenticatedRequests: ReadonlyArray<{ method: string; path: string; body?: unknown }> = [
  { method: 'GET', path: '/meter-definition' },
  { method: 'POST', path: '/meter-definition', body: { meterApiName: 'new-meter', displayName: 'New', type: 'SUM_OF_ALL_USAGE' } },
  { method: 'PUT', path: '/meter-definition', body: { meterApiName: 'api-calls', displayName: 'Changed', type: 'SUM_OF_ALL_USAGE' } },
  { method: 'GET', path: '/meter-definition/api-calls' },
  { method: 'DELETE', path: '/meter-definition/api-calls' },
  { method: 'GET', path: '/meter-event-filtering-rules?meterApiName=api-calls' },
  {
    method: 'POST',
    path: '/meter-event-filtering-rules',
    body: { meterApiName: 'api-calls', dimensionName: 'region', dimensionValues: ['us'], action: 'INCLUDE' },
  },
  { method: 'DELETE', path: '/meter-event-filtering-rules/some-rule' },
  ...['/ingest', '/ingest/'].map((path) => ({
    method: 'POST',
    path,
    body: [{ meterApiName: 'api-calls', customerId: 'c1', meterValue: 1, meterTimeInMillis: Date.now() }],
  })),
  ...['/usage', '/usage/'].map((path) => ({ method: 'POST', path, body: usageQuery })),
  ...['/usage/batch', '/usage/batch/'].map((path) => ({ method: 'POST', path, body: [usageQuery] })),
  ...['/usage/all', '/usage/all/'].map((path) => ({
    method: 'GET',
    path: `${path}?startTimeInSeconds=${usageQuery.startTimeInSeconds}&timeGroupingInterval=DAY`,
  })),
  ...['/usage/events', '/usage/events/'].map((path) => ({ method: 'GET', path: `${path}?meterApiName=api-calls` })),
];

describe('API keys on every authenticated route', () => {
  it('covers every authenticated route of the route table', () => {
    const covered = authenticatedRequests.map(({ method, path }) => {
      const match = matchRoute(method, path.split('?')[0]!);
      return match.kind === 'route' ? routeKeyOf(match.route) : `unmatched ${method} ${path}`;
    });
    expect(covered.sort()).toEqual(routes.filter((r) => r.authenticated).map(routeKeyOf).sort());
  });

  it.each(authenticatedRequests)('$method $path answers 401 UNAUTHORIZED without a key', async ({ method, path, body }) => {
    const response = await apiClient(gateway.url).request(method, path, body === undefined ? {} : { body });
    expectErrorResponse(response, 401, 'UNAUTHORIZED');
    expect(response.body.details).toBe('the X-API-KEY header is missing');
  });

  it.each(authenticatedRequests)('$method $path answers 401 UNAUTHORIZED for an unknown key', async ({ method, path, body }) => {
    const response = await apiClient(gateway.url, 'tly_not-a-key-anyone-has').request(method, path, body === undefined ? {} : { body });
    expectErrorResponse(response, 401, 'UNAUTHORIZED');
    expect(response.body.details).toBe('the API key is not valid');
  });

  it('answers 401 and touches nothing, even with a valid body', async () => {
    await apiClient(gateway.url, 'tly_wrong-key-0000000').post('/meter-definition', { meterApiName: 'sneaky', displayName: 'S', type: 'SUM_OF_ALL_USAGE' });
    expectErrorResponse(await account.api.get('/meter-definition/sneaky'), 404, 'NOT_FOUND');
  });

  it('answers 401 for an empty or blank key', async () => {
    for (const key of ['', '   ']) {
      const response = await apiClient(gateway.url).request('GET', '/meter-definition', { headers: { 'X-API-KEY': key } });
      expectErrorResponse(response, 401, 'UNAUTHORIZED');
    }
  });

  it('answers 401 for an over-long key', async () => {
    expectErrorResponse(await apiClient(gateway.url, 'k'.repeat(5000)).get('/meter-definition'), 401, 'UNAUTHORIZED');
  });
});

describe('header name', () => {
  it.each(['X-API-KEY', 'x-api-key', 'X-Api-Key', 'x-API-key'])('accepts the key in %s', async (name) => {
    const response = await apiClient(gateway.url).request('GET', '/meter-definition', { headers: { [name]: account.apiKey } });
    expect(response.status).toBe(200);
    expect(response.body.map((m: { meterApiName: string }) => m.meterApiName)).toContain('api-calls');
  });
});

describe('revoked keys', () => {
  it('answer 401 on every route once revoked, while the account’s other keys keep working', async () => {
    const owner = await newTestAccount(gateway.url, 'revoke');
    const spare = await newTestAccount(gateway.url, 'unused');
    const store = testConfigStore();
    const second = await createApiKey(owner.accountId, store);
    expect((await owner.api.get('/meter-definition')).status).toBe(200);

    await store.revokeApiKey(owner.keyId, Date.now());

    for (const { method, path, body } of authenticatedRequests) {
      const response = await owner.api.request(method, path, body === undefined ? {} : { body });
      expectErrorResponse(response, 401, 'UNAUTHORIZED');
      expect(response.body.details).toBe('the API key has been revoked');
    }
    expect((await apiClient(gateway.url, second.apiKey).get('/meter-definition')).status).toBe(200);
    expect((await spare.api.get('/meter-definition')).status).toBe(200);
  });
});

describe('GET /health', () => {
  it('answers 200 without a key, and with any key', async () => {
    for (const key of [undefined, 'tly_garbage']) {
      const response = await apiClient(gateway.url, key).get('/health');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ status: 'ok', service: 'tally' });
    }
  });

  it('answers 405 for another method', async () => {
    const response = await apiClient(gateway.url).request('POST', '/health');
    expectErrorResponse(response, 405, 'METHOD_NOT_ALLOWED');
    expect(response.headers.get('allow')).toBe('GET');
  });
});

describe('key storage', () => {
  it('keeps only the SHA-256 of a key, never the key itself', async () => {
    const fresh = await newTestAccount(gateway.url, 'stored');
    const items = [];
    let startKey: Record<string, unknown> | undefined;
    const ddb = testDocumentClient();
    do {
      const page = await ddb.send(new ScanCommand({ TableName: testTables.Config, ExclusiveStartKey: startKey }));
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    const dump = JSON.stringify(items);
    expect(dump).toContain(hashApiKey(fresh.apiKey));
    expect(dump).not.toContain(fresh.apiKey);
    expect(dump).not.toContain(fresh.apiKey.slice(4, 24));
  });
});
