import {
  CreateTableCommand,
  UpdateTableCommand,
  type GlobalSecondaryIndexDescription,
  DescribeTableCommand,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { tableDefinitions, type TableDefinition } from '../lib/table-definitions.js';

export type TableNames = Record<TableDefinition['id'], string>;

export function localTableNames(prefix = 'tally'): TableNames {
  return { Config: `${prefix}-config`, Events: `${prefix}-events`, Rollups: `${prefix}-rollups` };
}

/** The CreateTable input for a definition: the same keys and indexes the CDK stack deploys. */
export function buildCreateTable(definition: TableDefinition, tableName: string): CreateTableCommandInput {
  const attributes = new Map<string, AttributeDefinition>();
  const keys = [definition.partitionKey, definition.sortKey];
  for (const index of definition.globalSecondaryIndexes) keys.push(index.partitionKey, index.sortKey);
  for (const key of keys) {
    if (key) attributes.set(key.name, { AttributeName: key.name, AttributeType: key.type });
  }
  const keySchema = (partition: { name: string }, sort?: { name: string }) => [
    { AttributeName: partition.name, KeyType: 'HASH' as const },
    ...(sort ? [{ AttributeName: sort.name, KeyType: 'RANGE' as const }] : []),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes.values()],
    KeySchema: keySchema(definition.partitionKey, definition.sortKey),
    ...(definition.globalSecondaryIndexes.length > 0
      ? {
          GlobalSecondaryIndexes: definition.globalSecondaryIndexes.map((index) => ({
            IndexName: index.indexName,
            KeySchema: keySchema(index.partitionKey, index.sortKey),
            Projection: index.nonKeyAttributes
              ? { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...index.nonKeyAttributes] }
              : { ProjectionType: 'ALL' as const },
          })),
        }
      : {}),
  };
}

/**
 * Creates the tables that do not exist yet, and adds indexes that a newer definition declares to
 * tables kept from an earlier run, so a persistent local database follows the definitions. An
 * index a definition no longer declares is left in place: nothing reads it, and a local database
 * loses nothing by keeping it.
 */
export async function ensureTables(
  client: DynamoDBClient,
  names: TableNames,
  definitions: readonly TableDefinition[] = tableDefinitions,
): Promise<void> {
  for (const definition of definitions) {
    const tableName = names[definition.id];
    try {
      const existing = await client.send(new DescribeTableCommand({ TableName: tableName }));
      await addMissingIndexes(client, definition, tableName, existing.Table?.GlobalSecondaryIndexes ?? []);
      continue;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    await client.send(new CreateTableCommand(buildCreateTable(definition, tableName)));
    if (definition.timeToLiveAttribute) {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: tableName,
          TimeToLiveSpecification: { AttributeName: definition.timeToLiveAttribute, Enabled: true },
        }),
      );
    }
  }
}

async function addMissingIndexes(
  client: DynamoDBClient,
  definition: TableDefinition,
  tableName: string,
  existing: readonly GlobalSecondaryIndexDescription[],
): Promise<void> {
  const create = buildCreateTable(definition, tableName);
  for (const index of create.GlobalSecondaryIndexes ?? []) {
    if (existing.some((present) => present.IndexName === index.IndexName)) continue;
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: create.AttributeDefinitions,
        GlobalSecondaryIndexUpdates: [{ Create: index }],
      }),
    );
  }
}
