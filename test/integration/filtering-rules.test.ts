import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { METER_LIMITS } from '../../functions/domain/meters.js';
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
  ({ api } = await newTestAccount(gateway.url, 'rules'));
  expect((await api.post('/meter-definition', { meterApiName: 'api-calls', displayName: 'API Calls', type: 'SUM_OF_ALL_USAGE' })).status).toBe(200);
});

const RULES = '/meter-event-filtering-rules';
const regionRule = { meterApiName: 'api-calls', dimensionName: 'region', dimensionValues: ['us-east-1', 'eu-west-1'], action: 'INCLUDE' };
const listRules = async (meterApiName = 'api-calls') => (await api.get(`${RULES}?meterApiName=${meterApiName}`)).body;

describe('POST /meter-event-filtering-rules', () => {
  it('creates a rule with a generated ruleId', async () => {
    const response = await api.post(RULES, { ...regionRule, action: 'include' });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ...regionRule, ruleId: expect.stringMatching(/^rule-[0-9a-f-]{36}$/) });
    expect(await listRules()).toEqual([response.body]);
  });

  it('generates a different ruleId for each rule without one', async () => {
    const first = (await api.post(RULES, regionRule)).body;
    const second = (await api.post(RULES, { ...regionRule, action: 'exclude' })).body;
    expect(first.ruleId).not.toBe(second.ruleId);
    expect(await listRules()).toHaveLength(2);
  });

  it('creates a rule under the client’s ruleId, then updates it in place', async () => {
    const created = await api.post(RULES, { ...regionRule, ruleId: 'only-us' });
    expect(created.body).toEqual({ ...regionRule, ruleId: 'only-us' });
    const update = { ruleId: 'only-us', meterApiName: 'api-calls', dimensionName: 'tier', dimensionValues: ['free'], action: 'Exclude' };
    const updated = await api.post(RULES, update);
    expect(updated.status).toBe(200);
    expect(updated.body).toEqual({ ...update, action: 'EXCLUDE' });
    expect(await listRules()).toEqual([{ ...update, action: 'EXCLUDE' }]);
  });

  it('answers 404 NOT_FOUND for a rule whose meter does not exist', async () => {
    const response = await api.post(RULES, { ...regionRule, meterApiName: 'no-such-meter' });
    expectErrorResponse(response, 404, 'NOT_FOUND');
    expect(response.body.details).toBe('no meter named "no-such-meter" exists in this account');
  });

  it('answers 409 CONFLICT when a ruleId of one meter is posted for another', async () => {
    await api.post('/meter-definition', { meterApiName: 'other', displayName: 'Other', type: 'SUM_OF_ALL_USAGE' });
    await api.post(RULES, { ...regionRule, ruleId: 'r1' });
    const response = await api.post(RULES, { ...regionRule, ruleId: 'r1', meterApiName: 'other' });
    expectErrorResponse(response, 409, 'CONFLICT');
    expect(response.body.details).toContain('rule "r1" already exists for meter "api-calls"');
    expect(await listRules('other')).toEqual([]);
    expect(await listRules()).toEqual([{ ...regionRule, ruleId: 'r1' }]);
  });

  it.each([
    [{ ...regionRule, meterApiName: undefined }, 'meterApiName: is required'],
    [{ ...regionRule, dimensionName: undefined }, 'dimensionName: is required'],
    [{ ...regionRule, dimensionValues: [] }, 'dimensionValues: must hold at least 1 item(s)'],
    [{ ...regionRule, dimensionValues: undefined }, 'dimensionValues: is required'],
    [{ ...regionRule, dimensionValues: 'us-east-1' }, 'dimensionValues: expected an array of strings, got string'],
    [{ ...regionRule, action: undefined }, 'action: is required (one of INCLUDE, EXCLUDE)'],
    [{ ...regionRule, action: 'DROP' }, 'action: expected one of INCLUDE, EXCLUDE (any case), got "DROP"'],
    [{ ...regionRule, ruleId: 'bad id' }, 'ruleId: "bad id" is not valid'],
    [{ ...regionRule, priority: 1 }, 'priority: unknown field'],
    ['a rule', 'expected a JSON object, got string'],
  ])('answers 400 VALIDATION_FAILED for %j', async (body, expected) => {
    const response = await api.post(RULES, body);
    expectErrorResponse(response, 400, 'VALIDATION_FAILED');
    expect(response.body.details).toContain(expected);
    expect(await listRules()).toEqual([]);
  });

  it('answers 400 for malformed JSON', async () => {
    expectErrorResponse(await api.request('POST', RULES, { rawBody: '{"meterApiName"' }), 400, 'VALIDATION_FAILED');
  });

  it(`allows ${METER_LIMITS.maxRulesPerMeter} rules per meter, then answers 400 until one is deleted`, async () => {
    const rule = (i: number) => ({ ...regionRule, ruleId: `r${String(i).padStart(2, '0')}` });
    for (let i = 0; i < METER_LIMITS.maxRulesPerMeter; i++) {
      expect((await api.post(RULES, rule(i))).status).toBe(200);
    }
    const tooMany = await api.post(RULES, rule(METER_LIMITS.maxRulesPerMeter));
    expectErrorResponse(tooMany, 400, 'VALIDATION_FAILED');
    expect(tooMany.body.details).toBe(`meter "api-calls" already has ${METER_LIMITS.maxRulesPerMeter} rules, the most a meter may have`);
    expect(await listRules()).toHaveLength(METER_LIMITS.maxRulesPerMeter);

    expect((await api.post(RULES, { ...rule(7), action: 'EXCLUDE' })).status).toBe(200);
    expect((await api.delete(`${RULES}/r07`)).status).toBe(200);
    expect((await api.post(RULES, rule(METER_LIMITS.maxRulesPerMeter))).status).toBe(200);

    // A meter at the limit still deletes in one go, with all of its rules.
    expect((await api.delete('/meter-definition/api-calls')).status).toBe(200);
    await api.post('/meter-definition', { meterApiName: 'api-calls', displayName: 'API Calls', type: 'SUM_OF_ALL_USAGE' });
    expect(await listRules()).toEqual([]);
  });
});

describe('GET /meter-event-filtering-rules', () => {
  it('lists only the rules of the meter asked for', async () => {
    await api.post('/meter-definition', { meterApiName: 'other', displayName: 'Other', type: 'SUM_OF_ALL_USAGE' });
    const mine = (await api.post(RULES, regionRule)).body;
    await api.post(RULES, { ...regionRule, meterApiName: 'other' });
    expect(await listRules()).toEqual([mine]);
  });

  it('answers [] for a meter without rules', async () => {
    const response = await api.get(`${RULES}?meterApiName=api-calls`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual([]);
  });

  it.each([RULES, `${RULES}?meterApiName=`, `${RULES}?meter=api-calls`])('answers 400 when meterApiName is missing (%s)', async (path) => {
    const response = await api.get(path);
    expectErrorResponse(response, 400, 'VALIDATION_FAILED');
    expect(response.body.details).toMatch(/meterApiName/);
  });

  it('answers 404 NOT_FOUND for a meter that does not exist', async () => {
    expectErrorResponse(await api.get(`${RULES}?meterApiName=nope`), 404, 'NOT_FOUND');
  });

  it('answers 400 for an invalid meter name', async () => {
    expectErrorResponse(await api.get(`${RULES}?meterApiName=a%20b`), 400, 'VALIDATION_FAILED');
  });
});

describe('DELETE /meter-event-filtering-rules/{ruleId}', () => {
  it('deletes the rule and answers it', async () => {
    const rule = (await api.post(RULES, regionRule)).body;
    const response = await api.delete(`${RULES}/${rule.ruleId}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual(rule);
    expect(await listRules()).toEqual([]);
  });

  it('answers 404 NOT_FOUND for a missing rule, also on a second delete', async () => {
    const rule = (await api.post(RULES, regionRule)).body;
    await api.delete(`${RULES}/${rule.ruleId}`);
    const again = await api.delete(`${RULES}/${rule.ruleId}`);
    expectErrorResponse(again, 404, 'NOT_FOUND');
    expect(again.body.details).toBe(`no filtering rule with ruleId "${rule.ruleId}" exists in this account`);
  });

  it('answers 400 for an invalid ruleId', async () => {
    expectErrorResponse(await api.delete(`${RULES}/a%20b`), 400, 'VALIDATION_FAILED');
  });

  it('lets the meter be deleted cleanly afterwards', async () => {
    const rule = (await api.post(RULES, regionRule)).body;
    await api.delete(`${RULES}/${rule.ruleId}`);
    expect((await api.delete('/meter-definition/api-calls')).status).toBe(200);
  });
});

describe('methods', () => {
  it.each([
    ['PUT', RULES, 'GET, POST'],
    ['GET', `${RULES}/r1`, 'DELETE'],
    ['POST', `${RULES}/r1`, 'DELETE'],
  ])('%s %s answers 405 with Allow: %s', async (method, path, allow) => {
    const response = await api.request(method, path);
    expectErrorResponse(response, 405, 'METHOD_NOT_ALLOWED');
    expect(response.headers.get('allow')).toBe(allow);
  });
});
