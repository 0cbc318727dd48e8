import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { inject, describe, expect, it } from 'vitest';
import { eventsTable, tableDefinitions } from '../../lib/table-definitions.js';
import { localDynamoDBClient } from '../../local/local-env.js';
import { buildCreateTable, ensureTables, localTableNames } from '../../local/tables.js';

describe('ensureTables', () => {
  const client = localDynamoDBClient(inject('dynamodbEndpoint'));

  it('creates every defined table with its keys, indexes and TTL', async () => {
    const names = localTableNames(`fresh-${Date.now()}`);
    await ensureTables(client, names);
    for (const definition of tableDefinitions) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: names[definition.id] }));
      expect(Table?.KeySchema?.map((key) => key.AttributeName)).toEqual(['pk', 'sk']);
      expect((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName)).toEqual(
        definition.globalSecondaryIndexes.map((index) => index.indexName),
      );
    }
  });

  it('adds an index a newer definition declares to a table kept from an earlier run', async () => {
    const names = localTableNames(`upgrade-${Date.now()}`);
    const { GlobalSecondaryIndexes: _indexes, ...withoutIndexes } = buildCreateTable(eventsTable, names.Events);
    await client.send(new CreateTableCommand({ ...withoutIndexes, AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }] }));
    await ensureTables(client, names);
    const { Table } = await client.send(new DescribeTableCommand({ TableName: names.Events }));
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual(['byMeterTime']);
  });
});
