import { describe, expect, it } from 'vitest';
import type { FilteringRule } from '../../functions/domain/filtering-rules.js';
import { METER_LIMITS, type MeterDefinition } from '../../functions/domain/meters.js';
import {
  buildCreateApiKey,
  buildCreateMeter,
  buildDeleteMeterWithRules,
  buildDeleteRule,
  buildGetApiKeyByHash,
  buildGetApiKeyById,
  buildGetMeter,
  buildGetRule,
  buildListApiKeys,
  buildListMeters,
  buildListRulesOfMeter,
  buildLoadAccountConfiguration,
  buildPutRule,
  buildRevokeApiKey,
  buildUpdateMeter,
  PUT_RULE_ACTION,
} from '../../functions/store/config-commands.js';
import { configKeys, SORT_PREFIX } from '../../functions/store/config-keys.js';

const TABLE = 'tally-config';
const NOW = 1_700_000_000_000;

const meter: MeterDefinition = {
  meterApiName: 'api-calls',
  displayName: 'API Calls',
  label: 'api-calls',
  type: 'SUM_OF_ALL_USAGE',
  dimensions: ['region'],
  meterTimeInMillis: NOW,
};

const rule: FilteringRule = {
  ruleId: 'rule-1',
  meterApiName: 'api-calls',
  dimensionName: 'region',
  dimensionValues: ['us-east-1'],
  action: 'INCLUDE',
};

const METER_KEY = { pk: 'ACCT#acme', sk: 'METER#api-calls' };
const RULE_KEY = { pk: 'ACCT#acme', sk: 'RULE#rule-1' };

describe('config keys', () => {
  it('puts everything an account owns under its partition', () => {
    expect(configKeys.account('acme')).toBe('ACCT#acme');
    expect(configKeys.meter('m')).toBe('METER#m');
    expect(configKeys.rule('r')).toBe('RULE#r');
    expect(configKeys.accountApiKey('key_1')).toBe('KEY#key_1');
  });

  it('orders sort-key prefixes so meters and rules form one range after the keys', () => {
    const sorted = [SORT_PREFIX.ruleRangeEnd, SORT_PREFIX.rule, SORT_PREFIX.meter, SORT_PREFIX.accountApiKey].sort();
    expect(sorted).toEqual([SORT_PREFIX.accountApiKey, SORT_PREFIX.meter, SORT_PREFIX.rule, SORT_PREFIX.ruleRangeEnd]);
    expect(configKeys.rule('~~~~') < SORT_PREFIX.ruleRangeEnd).toBe(true);
  });
});

describe('meter commands', () => {
  it('creates a meter only where none exists', () => {
    expect(buildCreateMeter(TABLE, 'acme', meter)).toEqual({
      TableName: TABLE,
      Item: { ...METER_KEY, ...meter, updatedAtMillis: NOW },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('updates only the editable attributes of an existing meter and returns the new item', () => {
    const { meterTimeInMillis: _created, ...input } = meter;
    expect(buildUpdateMeter(TABLE, 'acme', { ...input, displayName: 'Calls' }, NOW + 1)).toEqual({
      TableName: TABLE,
      Key: METER_KEY,
      UpdateExpression:
        'SET displayName = :displayName, label = :label, #type = :type, dimensions = :dimensions, updatedAtMillis = :now',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#type': 'type' },
      ExpressionAttributeValues: {
        ':displayName': 'Calls',
        ':label': 'api-calls',
        ':type': 'SUM_OF_ALL_USAGE',
        ':dimensions': ['region'],
        ':now': NOW + 1,
      },
      ReturnValues: 'ALL_NEW',
    });
  });

  it('reads one meter consistently', () => {
    expect(buildGetMeter(TABLE, 'acme', 'api-calls')).toEqual({ TableName: TABLE, Key: METER_KEY, ConsistentRead: true });
  });

  it('lists meters with a key condition on the account partition', () => {
    expect(buildListMeters(TABLE, 'acme')).toEqual({
      TableName: TABLE,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': 'ACCT#acme', ':prefix': 'METER#' },
    });
    expect(buildListMeters(TABLE, 'acme', METER_KEY).ExclusiveStartKey).toEqual(METER_KEY);
  });

  it('loads all meters and rules of an account in one range', () => {
    expect(buildLoadAccountConfiguration(TABLE, 'acme')).toEqual({
      TableName: TABLE,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': 'ACCT#acme', ':from': 'METER#', ':to': 'RULE#\uffff' },
    });
  });

  it('deletes a meter that never had rules, insisting it still has none', () => {
    expect(buildDeleteMeterWithRules(TABLE, 'acme', { meterApiName: 'api-calls' })).toEqual({
      TransactItems: [
        {
          Delete: {
            TableName: TABLE,
            Key: METER_KEY,
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(rulesVersion)',
          },
        },
      ],
    });
  });

  it('deletes a meter with exactly the rules it was read with', () => {
    const input = buildDeleteMeterWithRules(TABLE, 'acme', {
      meterApiName: 'api-calls',
      ruleIds: new Set(['r1', 'r2']),
      rulesVersion: 3,
    });
    expect(input).toEqual({
      TransactItems: [
        {
          Delete: {
            TableName: TABLE,
            Key: METER_KEY,
            ConditionExpression: 'attribute_exists(pk) AND rulesVersion = :rulesVersion',
            ExpressionAttributeValues: { ':rulesVersion': 3 },
          },
        },
        { Delete: { TableName: TABLE, Key: { pk: 'ACCT#acme', sk: 'RULE#r1' } } },
        { Delete: { TableName: TABLE, Key: { pk: 'ACCT#acme', sk: 'RULE#r2' } } },
      ],
    });
  });

  it('stays within one transaction for a meter at the rule limit', () => {
    const ruleIds = new Set(Array.from({ length: METER_LIMITS.maxRulesPerMeter }, (_, i) => `r${i}`));
    const input = buildDeleteMeterWithRules(TABLE, 'acme', { meterApiName: 'm', ruleIds, rulesVersion: 1 });
    expect(input.TransactItems).toHaveLength(METER_LIMITS.maxRulesPerMeter + 1);
    expect(input.TransactItems!.length).toBeLessThanOrEqual(100);
  });
});

describe('rule commands', () => {
  it('writes the rule and registers it on its meter in one transaction', () => {
    const input = buildPutRule(TABLE, 'acme', rule, NOW);
    expect(input).toEqual({
      TransactItems: [
        {
          Put: {
            TableName: TABLE,
            Item: { ...RULE_KEY, ...rule, updatedAtMillis: NOW },
            ConditionExpression: 'attribute_not_exists(pk) OR meterApiName = :meterApiName',
            ExpressionAttributeValues: { ':meterApiName': 'api-calls' },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
        {
          Update: {
            TableName: TABLE,
            Key: METER_KEY,
            UpdateExpression: 'ADD ruleIds :ruleIdSet, rulesVersion :one',
            ConditionExpression:
              'attribute_exists(pk) AND (attribute_not_exists(ruleIds) OR size(ruleIds) < :maxRules OR contains(ruleIds, :ruleId))',
            ExpressionAttributeValues: {
              ':ruleIdSet': new Set(['rule-1']),
              ':ruleId': 'rule-1',
              ':one': 1,
              ':maxRules': METER_LIMITS.maxRulesPerMeter,
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
      ],
    });
  });

  it('exposes the index of each action for reading cancellation reasons', () => {
    const items = buildPutRule(TABLE, 'acme', rule, NOW).TransactItems!;
    expect(items[PUT_RULE_ACTION.rule]!.Put).toBeDefined();
    expect(items[PUT_RULE_ACTION.meter]!.Update).toBeDefined();
  });

  it('reads one rule consistently', () => {
    expect(buildGetRule(TABLE, 'acme', 'rule-1')).toEqual({ TableName: TABLE, Key: RULE_KEY, ConsistentRead: true });
  });

  it("lists a meter's rules within the account partition only", () => {
    expect(buildListRulesOfMeter(TABLE, 'acme', 'api-calls')).toEqual({
      TableName: TABLE,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: 'meterApiName = :meterApiName',
      ExpressionAttributeValues: { ':pk': 'ACCT#acme', ':prefix': 'RULE#', ':meterApiName': 'api-calls' },
    });
  });

  it('deletes the rule of the meter it was read with and unregisters it', () => {
    expect(buildDeleteRule(TABLE, 'acme', rule)).toEqual({
      TransactItems: [
        {
          Delete: {
            TableName: TABLE,
            Key: RULE_KEY,
            ConditionExpression: 'attribute_exists(pk) AND meterApiName = :meterApiName',
            ExpressionAttributeValues: { ':meterApiName': 'api-calls' },
          },
        },
        {
          Update: {
            TableName: TABLE,
            Key: METER_KEY,
            UpdateExpression: 'DELETE ruleIds :ruleIdSet ADD rulesVersion :one',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':ruleIdSet': new Set(['rule-1']), ':one': 1 },
          },
        },
      ],
    });
  });
});

describe('API key commands', () => {
  const key = { keyId: 'key_1', accountId: 'acme', keyHash: 'f00d', hint: '...ABCD', createdAtMillis: NOW };
  const common = { keyId: 'key_1', accountId: 'acme', createdAtMillis: NOW, hint: '...ABCD' };

  it('writes the hash lookup, the account listing and the id lookup together, each only once', () => {
    expect(buildCreateApiKey(TABLE, key)).toEqual({
      TransactItems: [
        { Put: { TableName: TABLE, Item: { pk: 'APIKEY#f00d', sk: 'APIKEY', ...common }, ConditionExpression: 'attribute_not_exists(pk)' } },
        { Put: { TableName: TABLE, Item: { pk: 'ACCT#acme', sk: 'KEY#key_1', ...common }, ConditionExpression: 'attribute_not_exists(pk)' } },
        {
          Put: {
            TableName: TABLE,
            Item: { pk: 'KEYID#key_1', sk: 'KEYID', ...common, keyHash: 'f00d' },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ],
    });
  });

  it('keeps the hash out of the listing item an account can see', () => {
    const listing = buildCreateApiKey(TABLE, key).TransactItems![1]!.Put!.Item!;
    expect(Object.values(listing)).not.toContain('f00d');
  });

  it('looks a key up by hash reading only what the authorizer needs', () => {
    expect(buildGetApiKeyByHash(TABLE, 'f00d')).toEqual({
      TableName: TABLE,
      Key: { pk: 'APIKEY#f00d', sk: 'APIKEY' },
      ProjectionExpression: 'accountId, keyId, revokedAtMillis',
    });
  });

  it('looks a key up by id consistently', () => {
    expect(buildGetApiKeyById(TABLE, 'key_1')).toEqual({
      TableName: TABLE,
      Key: { pk: 'KEYID#key_1', sk: 'KEYID' },
      ConsistentRead: true,
    });
  });

  it("lists an account's keys from its own partition", () => {
    expect(buildListApiKeys(TABLE, 'acme')).toEqual({
      TableName: TABLE,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': 'ACCT#acme', ':prefix': 'KEY#' },
    });
  });

  it('revokes all three views of an active key at once', () => {
    const update = (Key: Record<string, string>) => ({
      Update: {
        TableName: TABLE,
        Key,
        UpdateExpression: 'SET revokedAtMillis = :now',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAtMillis)',
        ExpressionAttributeValues: { ':now': NOW },
      },
    });
    expect(buildRevokeApiKey(TABLE, key, NOW)).toEqual({
      TransactItems: [
        update({ pk: 'APIKEY#f00d', sk: 'APIKEY' }),
        update({ pk: 'ACCT#acme', sk: 'KEY#key_1' }),
        update({ pk: 'KEYID#key_1', sk: 'KEYID' }),
      ],
    });
  });
});
