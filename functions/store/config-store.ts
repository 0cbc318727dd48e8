import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { ApiKeyRecord } from '../domain/api-keys.js';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.js';
import { newRuleId, type FilteringRule, type FilteringRuleInput } from '../domain/filtering-rules.js';
import { METER_LIMITS, type MeterDefinition, type MeterDefinitionInput } from '../domain/meters.js';
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
  type MeterItem,
  type NewApiKey,
  type RuleItem,
} from './config-commands.js';
import { SORT_PREFIX } from './config-keys.js';
import { cancellationReasons, failedCondition, isConditionFailure, queryAll } from './dynamo.js';

export interface AccountConfiguration {
  readonly meters: readonly MeterDefinition[];
  readonly rules: readonly FilteringRule[];
}

export interface ApiKeyOwner {
  readonly accountId: string;
  readonly keyId: string;
  readonly revoked: boolean;
}

/** A meter delete races with rule writes only briefly; a few rereads settle it. */
const DELETE_METER_ATTEMPTS = 5;

export function toMeterDefinition(item: MeterItem): MeterDefinition {
  return {
    meterApiName: item.meterApiName,
    displayName: item.displayName,
    label: item.label,
    type: item.type,
    dimensions: item.dimensions ?? [],
    meterTimeInMillis: item.meterTimeInMillis,
  };
}

export function toFilteringRule(item: RuleItem): FilteringRule {
  return {
    ruleId: item.ruleId,
    meterApiName: item.meterApiName,
    dimensionName: item.dimensionName,
    dimensionValues: item.dimensionValues,
    action: item.action,
  };
}

const meterNotFound = (name: string) =>
  new NotFoundError('Meter definition not found', `no meter named "${name}" exists in this account`);

/** Sends the Config-table commands and turns failed conditions into typed errors. */
export class ConfigStore {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async createMeter(accountId: string, input: MeterDefinitionInput, nowMillis: number): Promise<MeterDefinition> {
    const meter: MeterDefinition = { ...input, meterTimeInMillis: nowMillis };
    try {
      await this.ddb.send(new PutCommand(buildCreateMeter(this.table, accountId, meter)));
    } catch (error) {
      if (isConditionFailure(error)) {
        throw new ConflictError(
          'Meter definition already exists',
          `a meter named "${input.meterApiName}" already exists; use PUT /meter-definition to change it`,
          { cause: error },
        );
      }
      throw error;
    }
    return meter;
  }

  async updateMeter(accountId: string, input: MeterDefinitionInput, nowMillis: number): Promise<MeterDefinition> {
    try {
      const result = await this.ddb.send(new UpdateCommand(buildUpdateMeter(this.table, accountId, input, nowMillis)));
      return toMeterDefinition(result.Attributes as MeterItem);
    } catch (error) {
      if (isConditionFailure(error)) throw meterNotFound(input.meterApiName);
      throw error;
    }
  }

  async getMeter(accountId: string, meterApiName: string): Promise<MeterDefinition> {
    return toMeterDefinition(await this.getMeterItem(accountId, meterApiName));
  }

  private async getMeterItem(accountId: string, meterApiName: string): Promise<MeterItem> {
    const result = await this.ddb.send(new GetCommand(buildGetMeter(this.table, accountId, meterApiName)));
    if (!result.Item) throw meterNotFound(meterApiName);
    return result.Item as MeterItem;
  }

  async listMeters(accountId: string): Promise<MeterDefinition[]> {
    const items = await queryAll<MeterItem>(this.ddb, buildListMeters(this.table, accountId));
    return items.map(toMeterDefinition);
  }

  /** Deletes the meter and all of its rules; returns the deleted definition. */
  async deleteMeter(accountId: string, meterApiName: string): Promise<MeterDefinition> {
    for (let attempt = 1; ; attempt++) {
      const item = await this.getMeterItem(accountId, meterApiName);
      try {
        await this.ddb.send(new TransactWriteCommand(buildDeleteMeterWithRules(this.table, accountId, item)));
        return toMeterDefinition(item);
      } catch (error) {
        const reasons = cancellationReasons(error);
        // The meter changed under us (a rule was added or removed, or it was deleted): read again.
        if (reasons && failedCondition(reasons, 0) && attempt < DELETE_METER_ATTEMPTS) continue;
        if (reasons && failedCondition(reasons, 0)) {
          throw new ConflictError(
            'Meter definition is changing',
            `the filtering rules of "${meterApiName}" kept changing during the delete; retry`,
            { cause: error },
          );
        }
        throw error;
      }
    }
  }

  async putRule(accountId: string, input: FilteringRuleInput, nowMillis: number): Promise<FilteringRule> {
    const rule: FilteringRule = { ...input, ruleId: input.ruleId ?? newRuleId() };
    const { ruleId, ...rest } = rule;
    try {
      await this.ddb.send(new TransactWriteCommand(buildPutRule(this.table, accountId, rule, nowMillis)));
      return { ruleId, ...rest };
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (!reasons) throw error;
      if (failedCondition(reasons, PUT_RULE_ACTION.rule)) {
        const existing = reasons[PUT_RULE_ACTION.rule]?.Item;
        const owner = existing ? unmarshall(existing).meterApiName : 'another meter';
        throw new ConflictError(
          'Filtering rule belongs to another meter',
          `rule "${rule.ruleId}" already exists for meter "${owner}"; a rule cannot move between meters, create a new ruleId instead`,
          { cause: error },
        );
      }
      if (failedCondition(reasons, PUT_RULE_ACTION.meter)) {
        if (!reasons[PUT_RULE_ACTION.meter]?.Item) throw meterNotFound(rule.meterApiName);
        throw new ValidationError(
          'Too many filtering rules',
          `meter "${rule.meterApiName}" already has ${METER_LIMITS.maxRulesPerMeter} rules, the most a meter may have`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  async listRules(accountId: string, meterApiName: string): Promise<FilteringRule[]> {
    await this.getMeterItem(accountId, meterApiName);
    const items = await queryAll<RuleItem>(this.ddb, buildListRulesOfMeter(this.table, accountId, meterApiName));
    return items.map(toFilteringRule);
  }

  /** Deletes a rule; returns it as it was. */
  async deleteRule(accountId: string, ruleId: string): Promise<FilteringRule> {
    const found = await this.ddb.send(new GetCommand(buildGetRule(this.table, accountId, ruleId)));
    const notFound = () =>
      new NotFoundError('Filtering rule not found', `no filtering rule with ruleId "${ruleId}" exists in this account`);
    if (!found.Item) throw notFound();
    const rule = toFilteringRule(found.Item as RuleItem);
    try {
      await this.ddb.send(new TransactWriteCommand(buildDeleteRule(this.table, accountId, rule)));
      return rule;
    } catch (error) {
      if (cancellationReasons(error)) throw notFound();
      throw error;
    }
  }

  async loadAccountConfiguration(accountId: string): Promise<AccountConfiguration> {
    const items = await queryAll<MeterItem | RuleItem>(this.ddb, buildLoadAccountConfiguration(this.table, accountId));
    const meters: MeterDefinition[] = [];
    const rules: FilteringRule[] = [];
    for (const item of items) {
      if (item.sk.startsWith(SORT_PREFIX.meter)) meters.push(toMeterDefinition(item as MeterItem));
      else rules.push(toFilteringRule(item as RuleItem));
    }
    return { meters, rules };
  }

  async createApiKey(key: NewApiKey): Promise<void> {
    try {
      await this.ddb.send(new TransactWriteCommand(buildCreateApiKey(this.table, key)));
    } catch (error) {
      if (cancellationReasons(error)) {
        throw new ConflictError('API key already exists', 'this API key is already registered', { cause: error });
      }
      throw error;
    }
  }

  async findApiKeyOwner(keyHash: string): Promise<ApiKeyOwner | undefined> {
    const result = await this.ddb.send(new GetCommand(buildGetApiKeyByHash(this.table, keyHash)));
    if (!result.Item) return undefined;
    return {
      accountId: result.Item.accountId as string,
      keyId: result.Item.keyId as string,
      revoked: result.Item.revokedAtMillis !== undefined,
    };
  }

  async listApiKeys(accountId: string): Promise<ApiKeyRecord[]> {
    const items = await queryAll<ApiKeyRecord>(this.ddb, buildListApiKeys(this.table, accountId));
    return items.map(({ keyId, accountId: owner, createdAtMillis, revokedAtMillis, hint }) => ({
      keyId,
      accountId: owner,
      createdAtMillis,
      hint,
      ...(revokedAtMillis === undefined ? {} : { revokedAtMillis }),
    }));
  }

  async revokeApiKey(keyId: string, nowMillis: number): Promise<ApiKeyRecord> {
    const found = await this.ddb.send(new GetCommand(buildGetApiKeyById(this.table, keyId)));
    if (!found.Item) throw new NotFoundError('API key not found', `no API key with id "${keyId}" exists`);
    const key = found.Item as ApiKeyRecord & { keyHash: string };
    try {
      await this.ddb.send(new TransactWriteCommand(buildRevokeApiKey(this.table, key, nowMillis)));
    } catch (error) {
      if (cancellationReasons(error)) {
        throw new ConflictError('API key already revoked', `API key "${keyId}" was revoked before`, { cause: error });
      }
      throw error;
    }
    return { keyId, accountId: key.accountId, createdAtMillis: key.createdAtMillis, hint: key.hint, revokedAtMillis: nowMillis };
  }
}
