import { CreateTableCommand, DescribeTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { inject, describe, expect, it } from 'vitest';
import { eventsTable, tableDefinitions, type TableDefinition } from '../../lib/table-definitions.js';
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
    await ensureTables(client, names);
    const withIndex: TableDefinition = {
      ...eventsTable,
      globalSecondaryIndexes: [{ indexName: 'byCustomer', partitionKey: { name: 'customerId', type: 'S' } }],
    };
    await ensureTables(client, names, [withIndex]);
    const { Table } = await client.send(new DescribeTableCommand({ TableName: names.Events }));
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual(['byCustomer']);
  });

  it('keeps a table whose index a newer definition dropped, and writes to it as before', async () => {
    const names = localTableNames(`dropped-${Date.now()}`);
    const withIndex: TableDefinition = {
      ...eventsTable,
      globalSecondaryIndexes: [{ indexName: 'byMeterTime', partitionKey: { name: 'timePk', type: 'S' }, sortKey: { name: 'timeSk', type: 'S' } }],
    };
    await client.send(new CreateTableCommand(buildCreateTable(withIndex, names.Events)));
    await ensureTables(client, names);
    await client.send(new PutItemCommand({ TableName: names.Events, Item: { pk: { S: 'EV#a#m#e' }, sk: { S: 'EVENT' } } }));
    const { Item } = await client.send(new GetItemCommand({ TableName: names.Events, Key: { pk: { S: 'EV#a#m#e' }, sk: { S: 'EVENT' } } }));
    expect(Item?.pk).toEqual({ S: 'EV#a#m#e' });
    const { Table } = await client.send(new DescribeTableCommand({ TableName: names.Events }));
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual(['byMeterTime']);
  });
});
