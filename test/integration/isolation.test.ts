import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../../local/gateway.js';
import { expectErrorResponse, newTestAccount, startTestGateway, type TestAccount } from './support.js';

/**
 * Account B knows the names and ids of account A's meters and rules and tries every route on them.
 * Each test ends by checking that A's data is exactly as A left it.
 */
let gateway: Gateway;
let a: TestAccount;
let b: TestAccount;

const meter = { meterApiName: 'shared-name', displayName: 'A meter', type: 'SUM_OF_ALL_USAGE', dimensions: ['region'] };
const rule = { ruleId: 'shared-rule', meterApiName: 'shared-name', dimensionName: 'region', dimensionValues: ['us'], action: 'INCLUDE' };
let aMeter: Record<string, unknown>;
const RULES = '/meter-event-filtering-rules';

beforeAll(async () => {
  gateway = await startTestGateway();
});

afterAll(async () => {
  await gateway.close();
});

beforeEach(async () => {
  a = await newTestAccount(gateway.url, 'tenant-a');
  b = await newTestAccount(gateway.url, 'tenant-b');
  aMeter = (await a.api.post('/meter-definition', meter)).body;
  expect((await a.api.post(RULES, rule)).body).toEqual(rule);
});

async function expectAUntouched(): Promise<void> {
  expect((await a.api.get('/meter-definition')).body).toEqual([aMeter]);
  expect((await a.api.get('/meter-definition/shared-name')).body).toEqual(aMeter);
  expect((await a.api.get(`${RULES}?meterApiName=shared-name`)).body).toEqual([rule]);
}

describe('two accounts', () => {
  it('GET /meter-definition: B does not see A’s meters', async () => {
    const response = await b.api.get('/meter-definition');
    expect(response.status).toBe(200);
    expect(response.body).toEqual([]);
    await expectAUntouched();
  });

  it('GET /meter-definition/{name}: B gets 404 for A’s meter', async () => {
    expectErrorResponse(await b.api.get('/meter-definition/shared-name'), 404, 'NOT_FOUND');
    await expectAUntouched();
  });

  it('PUT /meter-definition: B cannot change A’s meter', async () => {
    expectErrorResponse(await b.api.put('/meter-definition', { ...meter, displayName: 'Hijacked' }), 404, 'NOT_FOUND');
    await expectAUntouched();
  });

  it('DELETE /meter-definition/{name}: B cannot delete A’s meter or its rules', async () => {
    expectErrorResponse(await b.api.delete('/meter-definition/shared-name'), 404, 'NOT_FOUND');
    await expectAUntouched();
  });

  it('POST /meter-definition: B creates its own meter of the same name, apart from A’s', async () => {
    const response = await b.api.post('/meter-definition', { ...meter, displayName: 'B meter' });
    expect(response.status).toBe(200);
    expect((await b.api.get('/meter-definition')).body).toEqual([response.body]);
    await expectAUntouched();

    expect((await b.api.delete('/meter-definition/shared-name')).status).toBe(200);
    await expectAUntouched();
  });

  it('GET /meter-event-filtering-rules: B cannot list A’s rules', async () => {
    expectErrorResponse(await b.api.get(`${RULES}?meterApiName=shared-name`), 404, 'NOT_FOUND');
    await b.api.post('/meter-definition', meter);
    const response = await b.api.get(`${RULES}?meterApiName=shared-name`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual([]);
    await expectAUntouched();
  });

  it('POST /meter-event-filtering-rules: B cannot add a rule to A’s meter', async () => {
    const response = await b.api.post(RULES, { ...rule, ruleId: 'b-rule' });
    expectErrorResponse(response, 404, 'NOT_FOUND');
    await expectAUntouched();
  });

  it('POST /meter-event-filtering-rules: B cannot overwrite A’s rule by its ruleId', async () => {
    expectErrorResponse(await b.api.post(RULES, { ...rule, action: 'EXCLUDE' }), 404, 'NOT_FOUND');
    await b.api.post('/meter-definition', meter);
    const own = await b.api.post(RULES, { ...rule, action: 'EXCLUDE' });
    expect(own.status).toBe(200);
    expect((await b.api.get(`${RULES}?meterApiName=shared-name`)).body).toEqual([{ ...rule, action: 'EXCLUDE' }]);
    await expectAUntouched();
  });

  it('DELETE /meter-event-filtering-rules/{ruleId}: B cannot delete A’s rule', async () => {
    expectErrorResponse(await b.api.delete(`${RULES}/shared-rule`), 404, 'NOT_FOUND');
    await expectAUntouched();
  });

  it('A deleting its meter leaves B’s same-named meter and rule alone', async () => {
    await b.api.post('/meter-definition', meter);
    await b.api.post(RULES, rule);
    expect((await a.api.delete('/meter-definition/shared-name')).status).toBe(200);
    expect((await b.api.get(`${RULES}?meterApiName=shared-name`)).body).toEqual([rule]);
    expect((await b.api.get('/meter-definition')).body).toHaveLength(1);
  });
});
