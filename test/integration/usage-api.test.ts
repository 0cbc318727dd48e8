import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueuedEvent } from '../../functions/domain/events.js';
import { consumeBatch } from '../../functions/pipeline/consume-batch.js';
import { AccountConfigCache } from '../../functions/store/account-config-cache.js';
import { EventWriter } from '../../functions/store/event-writer.js';
import type { Gateway } from '../../local/gateway.js';
import { messageBody, queuedEvent, sqsRecord } from '../support/events.js';
import { apiClient, createApiKey, startTestGateway, testConfigStore, testDocumentClient, testTables, uniqueAccountId, type ApiClient } from './support.js';

const ddb = testDocumentClient();
const configStore = testConfigStore();
const deps = {
  accounts: new AccountConfigCache((id) => configStore.loadAccountConfiguration(id), 0),
  writer: new EventWriter(ddb, { events: testTables.Events, rollups: testTables.Rollups }, { retentionDays: 90 }),
  log: new Logger({ logLevel: 'SILENT' }),
};
const DAY = 86_400;
const now = Math.floor(Date.now() / 1000);
const start = now - 2 * DAY;

async function consume(accountId: string, events: QueuedEvent[]) {
  const response = await consumeBatch([sqsRecord(messageBody(accountId, events))], deps);
  expect(response.batchItemFailures).toEqual([]);
}

describe('usage routes', () => {
  let gateway: Gateway;
  let a: ApiClient;
  let b: ApiClient;
  const accountA = uniqueAccountId('usage-a');
  const accountB = uniqueAccountId('usage-b');
  const events = Array.from({ length: 7 }, (_, index) =>
    queuedEvent({ customerId: `c${index % 2}`, meterValue: index + 1, meterTimeInMillis: (start + index * 3600) * 1000, dimensions: { region: index % 3 ? 'us' : 'eu' } }),
  );

  beforeAll(async () => {
    gateway = await startTestGateway();
    a = apiClient(gateway.url, (await createApiKey(accountA)).apiKey);
    b = apiClient(gateway.url, (await createApiKey(accountB)).apiKey);
    for (const client of [a, b]) {
      await client.post('/meter-definition', { meterApiName: 'api-calls', displayName: 'API calls', type: 'SUM_OF_ALL_USAGE', dimensions: ['region'] });
    }
    await consume(accountA, events);
  });
  afterAll(() => gateway.close());

  const sumQuery = { meterApiName: 'api-calls', startTimeInSeconds: start, endTimeInSeconds: now, aggregation: 'SUM', timeGroupingInterval: 'DAY' };
  const total = (body: { clientMeters: Record<string, { records: Record<string, number>[] }[]> }) =>
    body.clientMeters['api-calls']!.flatMap((group) => group.records.map((record) => Object.values(record)[0]!)).reduce((x, y) => x + y, 0);

  it('answers POST /usage and /usage/ alike', async () => {
    const plain = await a.post('/usage', sumQuery);
    const slashed = await a.post('/usage/', sumQuery);
    expect(plain.status).toBe(200);
    expect(total(plain.body)).toBe(28);
    expect(slashed.body).toEqual(plain.body);
  });

  it('keeps accounts apart: the same meter name in another account shows only its own usage', async () => {
    const response = await b.post('/usage', sumQuery);
    expect(response.status).toBe(200);
    expect(total(response.body)).toBe(0);
    const events = await b.get(`/usage/events?meterApiName=api-calls&startTimeInSeconds=${start}`);
    expect(events.body.events).toEqual([]);
  });

  it('answers a batch in order, and names the failing query of a batch', async () => {
    const response = await a.post('/usage/batch', [sumQuery, { ...sumQuery, aggregation: 'COUNT' }]);
    expect(response.status).toBe(200);
    expect(response.body.map(total)).toEqual([28, 7]);
    const failing = await a.post('/usage/batch', [sumQuery, { ...sumQuery, meterApiName: 'missing' }]);
    expect(failing.status).toBe(404);
    expect(failing.body.details).toMatch(/^\[1\] /);
  });

  it('answers GET /usage/all with one report per meter', async () => {
    const response = await a.get(`/usage/all/?startTimeInSeconds=${start}&endTimeInSeconds=${now}&timeGroupingInterval=DAY&groupBy=customerId`);
    expect(response.status).toBe(200);
    expect(response.body).toHaveLength(1);
    expect(response.body[0].metadata.meterApiName).toBe('api-calls');
    expect(response.body[0].clientMeters.map((group: { group: { groupInfo: { customerId: string } } }) => group.group.groupInfo.customerId)).toEqual(['c0', 'c1']);
  });

  it.each([
    [{ ...sumQuery, meterApiName: 'missing' }, 404, 'NOT_FOUND'],
    [{ ...sumQuery, groupBy: ['tier'] }, 400, 'VALIDATION_FAILED'],
    [{ ...sumQuery, startTimeInSeconds: now, endTimeInSeconds: start }, 400, 'VALIDATION_FAILED'],
    [{ ...sumQuery, timeGroupingInterval: 'HOUR', startTimeInSeconds: now - 400 * DAY }, 400, 'VALIDATION_FAILED'],
    [{ ...sumQuery, timeZone: 'Asia/Kolkata' }, 400, 'VALIDATION_FAILED'],
    [{ ...sumQuery, colour: 'red' }, 400, 'VALIDATION_FAILED'],
  ])('refuses %j with %i %s', async (body, status, code) => {
    const response = await a.post('/usage', body);
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ code, message: expect.any(String), details: expect.any(String) });
  });

  it('needs a key', async () => {
    const response = await apiClient(gateway.url, 'tly_not-a-key-of-anyone-at-all').post('/usage', sumQuery);
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('UNAUTHORIZED');
  });
});

describe('raw event route', () => {
  let gateway: Gateway;
  let a: ApiClient;
  let b: ApiClient;
  const accountA = uniqueAccountId('raw-a');
  const accountB = uniqueAccountId('raw-b');
  const events = Array.from({ length: 9 }, (_, index) => queuedEvent({ meterValue: index, meterTimeInMillis: (start + index * 600) * 1000 }));

  beforeAll(async () => {
    gateway = await startTestGateway();
    a = apiClient(gateway.url, (await createApiKey(accountA)).apiKey);
    b = apiClient(gateway.url, (await createApiKey(accountB)).apiKey);
    for (const client of [a, b]) {
      await client.post('/meter-definition', { meterApiName: 'api-calls', displayName: 'API calls', type: 'SUM_OF_ALL_USAGE' });
    }
    await consume(accountA, events);
  });
  afterAll(() => gateway.close());

  const listing = `/usage/events?meterApiName=api-calls&startTimeInSeconds=${start}&isAscending=true&limit=4`;

  it('pages with nextPageToken through every event once, in order', async () => {
    const seen: number[] = [];
    let path = listing;
    for (let page = 0; page < 10; page++) {
      const response = await a.get(path);
      expect(response.status).toBe(200);
      seen.push(...response.body.events.map((event: { meterValue: number }) => event.meterValue));
      if (!response.body.nextPageToken) break;
      path = `${listing}&nextPageToken=${response.body.nextPageToken}`;
    }
    expect(seen).toEqual(events.map((event) => event.meterValue));
  });

  it('keeps paging a listing that ends now, as the clock moves on', async () => {
    const open = `/usage/events?meterApiName=api-calls&startTimeInSeconds=${start}&isAscending=true&limit=5`;
    const first = await a.get(open);
    expect(first.body.events).toHaveLength(5);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const second = await a.get(`${open}&nextPageToken=${first.body.nextPageToken}`);
    expect(second.status).toBe(200);
    expect(second.body.events.map((event: { meterValue: number }) => event.meterValue)).toEqual([5, 6, 7, 8]);
  });

  it('finds one event by uniqueId with its status', async () => {
    const response = await a.get(`/usage/events/?meterApiName=api-calls&uniqueId=${events[3]!.eventId}`);
    expect(response.body.events).toEqual([expect.objectContaining({ uniqueId: events[3]!.eventId, status: 'counted', meterValue: 3 })]);
  });

  it('refuses a token used by another account, for another query, or tampered with', async () => {
    const first = await a.get(listing);
    const token = first.body.nextPageToken as string;
    const otherAccount = await b.get(`${listing}&nextPageToken=${token}`);
    expect(otherAccount.status).toBe(400);
    const otherQuery = await a.get(`${listing.replace('limit=4', 'limit=4&customerId=x')}&nextPageToken=${token}`);
    expect(otherQuery.status).toBe(400);
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString());
    expect(decoded.k).toEqual({ pk: { s: expect.stringMatching(/^EP#/) }, sk: { s: expect.any(String) }, entry: { n: expect.any(Number) } });
    decoded.k.pk.s = decoded.k.pk.s.replace(accountA, accountB);
    const forged = Buffer.from(JSON.stringify(decoded)).toString('base64url');
    // Rewritten to B's own partitions, a token can only name a position inside B's data.
    const rewritten = await b.get(`${listing}&nextPageToken=${forged}`);
    expect(rewritten.status).toBe(200);
    expect(rewritten.body.events).toEqual([]);
    const tampered = (change: (key: Record<string, Record<string, unknown>>) => void) => {
      const payload = JSON.parse(Buffer.from(token, 'base64url').toString());
      change(payload.k);
      return a.get(`${listing}&nextPageToken=${Buffer.from(JSON.stringify(payload)).toString('base64url')}`);
    };
    for (const change of [
      (key: Record<string, Record<string, unknown>>) => (key.pk!.s = String(key.pk!.s).replace('api-calls', 'other')),
      (key: Record<string, Record<string, unknown>>) => (key.pk!.s = String(key.pk!.s).replace(/\d{4}-\d{2}-\d{2}$/, '2001-01-01')),
      (key: Record<string, Record<string, unknown>>) => (key.sk!.s = `99#${key.sk!.s}`),
      (key: Record<string, Record<string, unknown>>) => (key.entry = { n: -1 }),
      (key: Record<string, Record<string, unknown>>) => (key.entry = { s: '1' }),
      (key: Record<string, Record<string, unknown>>) => delete key.entry,
    ]) {
      const moved = await tampered(change);
      expect(moved.status).toBe(400);
      expect(moved.body.code).toBe('VALIDATION_FAILED');
    }
  });

  it.each([
    ['/usage/events', 400],
    ['/usage/events?meterApiName=missing', 404],
    ['/usage/events?meterApiName=api-calls&limit=0', 400],
    ['/usage/events?meterApiName=api-calls&isAscending=maybe', 400],
    ['/usage/events?meterApiName=api-calls&startTimeInSeconds=1&endTimeInSeconds=999999999', 400],
    ['/usage/events?meterApiName=api-calls&nextPageToken=garbage', 400],
  ])('answers %s with %i', async (path, status) => {
    const response = await a.get(path);
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ code: expect.any(String), details: expect.any(String) });
  });
});
