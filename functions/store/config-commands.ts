import type {
  GetCommandInput,
  PutCommandInput,
  QueryCommandInput,
  TransactWriteCommandInput,
  UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { FilteringRule } from '../domain/filtering-rules.js';
import { METER_LIMITS, type MeterDefinition, type MeterDefinitionInput } from '../domain/meters.js';
import { configKeys, SINGLETON_SK, SORT_PREFIX } from './config-keys.js';

/**
 * Pure builders of Config-table command inputs. They decide the shape of every read and write
 * (keys, conditions, projections); the store sends them and interprets failures.
 */

// Named condition clauses: each transition below states the item state it requires.
const ITEM_ABSENT = 'attribute_not_exists(pk)';
const ITEM_PRESENT = 'attribute_exists(pk)';

type Key = { pk: string; sk: string };

const meterKey = (accountId: string, meterApiName: string): Key => ({
  pk: configKeys.account(accountId),
  sk: configKeys.meter(meterApiName),
});

const ruleKey = (accountId: string, ruleId: string): Key => ({
  pk: configKeys.account(accountId),
  sk: configKeys.rule(ruleId),
});

export interface MeterItem extends MeterDefinition {
  readonly pk: string;
  readonly sk: string;
  readonly updatedAtMillis: number;
  /** Ids of the meter's rules, maintained in the same transactions that write the rules. */
  readonly ruleIds?: ReadonlySet<string>;
  /** Bumped by every rule change, so a meter delete can prove it saw all of the meter's rules. */
  readonly rulesVersion?: number;
}

export interface RuleItem extends FilteringRule {
  readonly pk: string;
  readonly sk: string;
  readonly updatedAtMillis: number;
}

/** absent -> present. A second create of the same name fails the condition: 409. */
export function buildCreateMeter(table: string, accountId: string, meter: MeterDefinition): PutCommandInput {
  const item: MeterItem = { ...meterKey(accountId, meter.meterApiName), ...meter, updatedAtMillis: meter.meterTimeInMillis };
  return { TableName: table, Item: item, ConditionExpression: ITEM_ABSENT };
}

/** present -> present with new attributes; creation time and rule bookkeeping stay untouched. */
export function buildUpdateMeter(
  table: string,
  accountId: string,
  meter: MeterDefinitionInput,
  nowMillis: number,
): UpdateCommandInput {
  return {
    TableName: table,
    Key: meterKey(accountId, meter.meterApiName),
    UpdateExpression:
      'SET displayName = :displayName, label = :label, #type = :type, dimensions = :dimensions, updatedAtMillis = :now',
    ConditionExpression: ITEM_PRESENT,
    ExpressionAttributeNames: { '#type': 'type' },
    ExpressionAttributeValues: {
      ':displayName': meter.displayName,
      ':label': meter.label,
      ':type': meter.type,
      ':dimensions': meter.dimensions,
      ':now': nowMillis,
    },
    ReturnValues: 'ALL_NEW',
  };
}

export function buildGetMeter(table: string, accountId: string, meterApiName: string): GetCommandInput {
  return { TableName: table, Key: meterKey(accountId, meterApiName), ConsistentRead: true };
}

export function buildListMeters(
  table: string,
  accountId: string,
  exclusiveStartKey?: Record<string, unknown>,
): QueryCommandInput {
  return {
    TableName: table,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': configKeys.account(accountId), ':prefix': SORT_PREFIX.meter },
    ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
  };
}

/** Every meter and rule of an account in one Query (the consumer's per-account configuration). */
export function buildLoadAccountConfiguration(
  table: string,
  accountId: string,
  exclusiveStartKey?: Record<string, unknown>,
): QueryCommandInput {
  return {
    TableName: table,
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
    ExpressionAttributeValues: {
      ':pk': configKeys.account(accountId),
      ':from': SORT_PREFIX.meter,
      ':to': SORT_PREFIX.ruleRangeEnd,
    },
    ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
  };
}

/**
 * present (with exactly the rules seen) -> absent, together with those rules. The rulesVersion
 * clause makes a rule written concurrently cancel the delete instead of surviving as an orphan
 * that would silently apply to a future meter of the same name.
 */
export function buildDeleteMeterWithRules(
  table: string,
  accountId: string,
  meter: Pick<MeterItem, 'meterApiName' | 'ruleIds' | 'rulesVersion'>,
): TransactWriteCommandInput {
  const rulesUnchanged =
    meter.rulesVersion === undefined ? 'attribute_not_exists(rulesVersion)' : 'rulesVersion = :rulesVersion';
  return {
    TransactItems: [
      {
        Delete: {
          TableName: table,
          Key: meterKey(accountId, meter.meterApiName),
          ConditionExpression: `${ITEM_PRESENT} AND ${rulesUnchanged}`,
          ...(meter.rulesVersion === undefined
            ? {}
            : { ExpressionAttributeValues: { ':rulesVersion': meter.rulesVersion } }),
        },
      },
      ...[...(meter.ruleIds ?? [])].map((ruleId) => ({
        Delete: { TableName: table, Key: ruleKey(accountId, ruleId) },
      })),
    ],
  };
}

/** Index of each action in {@link buildPutRule}'s transaction, for reading CancellationReasons. */
export const PUT_RULE_ACTION = { rule: 0, meter: 1 } as const;

/**
 * Rule: absent | present-for-the-same-meter -> present. Meter: must exist and stay within the
 * per-meter rule limit (a rule already listed does not count twice). Both in one transaction, so a
 * rule never exists without its meter knowing about it.
 */
export function buildPutRule(
  table: string,
  accountId: string,
  rule: FilteringRule,
  nowMillis: number,
): TransactWriteCommandInput {
  const item: RuleItem = { ...ruleKey(accountId, rule.ruleId), ...rule, updatedAtMillis: nowMillis };
  const RULE_NEW_OR_SAME_METER = `${ITEM_ABSENT} OR meterApiName = :meterApiName`;
  const METER_HAS_ROOM =
    'attribute_not_exists(ruleIds) OR size(ruleIds) < :maxRules OR contains(ruleIds, :ruleId)';
  return {
    TransactItems: [
      {
        Put: {
          TableName: table,
          Item: item,
          ConditionExpression: RULE_NEW_OR_SAME_METER,
          ExpressionAttributeValues: { ':meterApiName': rule.meterApiName },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      {
        Update: {
          TableName: table,
          Key: meterKey(accountId, rule.meterApiName),
          UpdateExpression: 'ADD ruleIds :ruleIdSet, rulesVersion :one',
          ConditionExpression: `${ITEM_PRESENT} AND (${METER_HAS_ROOM})`,
          ExpressionAttributeValues: {
            ':ruleIdSet': new Set([rule.ruleId]),
            ':ruleId': rule.ruleId,
            ':one': 1,
            ':maxRules': METER_LIMITS.maxRulesPerMeter,
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
    ],
  };
}

export function buildGetRule(table: string, accountId: string, ruleId: string): GetCommandInput {
  return { TableName: table, Key: ruleKey(accountId, ruleId), ConsistentRead: true };
}

export function buildListRulesOfMeter(
  table: string,
  accountId: string,
  meterApiName: string,
  exclusiveStartKey?: Record<string, unknown>,
): QueryCommandInput {
  return {
    TableName: table,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    FilterExpression: 'meterApiName = :meterApiName',
    ExpressionAttributeValues: {
      ':pk': configKeys.account(accountId),
      ':prefix': SORT_PREFIX.rule,
      ':meterApiName': meterApiName,
    },
    ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
  };
}

/** Rule: present for the meter read -> absent; the meter forgets it in the same transaction. */
export function buildDeleteRule(
  table: string,
  accountId: string,
  rule: Pick<FilteringRule, 'ruleId' | 'meterApiName'>,
): TransactWriteCommandInput {
  return {
    TransactItems: [
      {
        Delete: {
          TableName: table,
          Key: ruleKey(accountId, rule.ruleId),
          ConditionExpression: `${ITEM_PRESENT} AND meterApiName = :meterApiName`,
          ExpressionAttributeValues: { ':meterApiName': rule.meterApiName },
        },
      },
      {
        Update: {
          TableName: table,
          Key: meterKey(accountId, rule.meterApiName),
          UpdateExpression: 'DELETE ruleIds :ruleIdSet ADD rulesVersion :one',
          ConditionExpression: ITEM_PRESENT,
          ExpressionAttributeValues: { ':ruleIdSet': new Set([rule.ruleId]), ':one': 1 },
        },
      },
    ],
  };
}

export interface NewApiKey {
  readonly keyId: string;
  readonly accountId: string;
  readonly keyHash: string;
  readonly hint: string;
  readonly createdAtMillis: number;
}

/** Three views of one key, written together: lookup by hash, listing by account, revoke by id. */
export function buildCreateApiKey(table: string, key: NewApiKey): TransactWriteCommandInput {
  const common = { keyId: key.keyId, accountId: key.accountId, createdAtMillis: key.createdAtMillis, hint: key.hint };
  return {
    TransactItems: [
      {
        Put: {
          TableName: table,
          Item: { pk: configKeys.apiKeyByHash(key.keyHash), sk: SINGLETON_SK.apiKeyByHash, ...common },
          ConditionExpression: ITEM_ABSENT,
        },
      },
      {
        Put: {
          TableName: table,
          Item: {
            pk: configKeys.account(key.accountId),
            sk: configKeys.accountApiKey(key.keyId),
            ...common,
          },
          ConditionExpression: ITEM_ABSENT,
        },
      },
      {
        Put: {
          TableName: table,
          Item: {
            pk: configKeys.apiKeyById(key.keyId),
            sk: SINGLETON_SK.apiKeyById,
            ...common,
            keyHash: key.keyHash,
          },
          ConditionExpression: ITEM_ABSENT,
        },
      },
    ],
  };
}

export function buildGetApiKeyByHash(table: string, keyHash: string): GetCommandInput {
  return {
    TableName: table,
    Key: { pk: configKeys.apiKeyByHash(keyHash), sk: SINGLETON_SK.apiKeyByHash },
    ProjectionExpression: 'accountId, keyId, revokedAtMillis',
  };
}

export function buildGetApiKeyById(table: string, keyId: string): GetCommandInput {
  return {
    TableName: table,
    Key: { pk: configKeys.apiKeyById(keyId), sk: SINGLETON_SK.apiKeyById },
    ConsistentRead: true,
  };
}

export function buildListApiKeys(
  table: string,
  accountId: string,
  exclusiveStartKey?: Record<string, unknown>,
): QueryCommandInput {
  return {
    TableName: table,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': configKeys.account(accountId), ':prefix': SORT_PREFIX.accountApiKey },
    ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
  };
}

/** Active -> revoked on all three views at once; revoking twice fails the condition. */
export function buildRevokeApiKey(
  table: string,
  key: { keyId: string; accountId: string; keyHash: string },
  nowMillis: number,
): TransactWriteCommandInput {
  const keys: Key[] = [
    { pk: configKeys.apiKeyByHash(key.keyHash), sk: SINGLETON_SK.apiKeyByHash },
    { pk: configKeys.account(key.accountId), sk: configKeys.accountApiKey(key.keyId) },
    { pk: configKeys.apiKeyById(key.keyId), sk: SINGLETON_SK.apiKeyById },
  ];
  return {
    TransactItems: keys.map((Key) => ({
      Update: {
        TableName: table,
        Key,
        UpdateExpression: 'SET revokedAtMillis = :now',
        ConditionExpression: `${ITEM_PRESENT} AND attribute_not_exists(revokedAtMillis)`,
        ExpressionAttributeValues: { ':now': nowMillis },
      },
    })),
  };
}

