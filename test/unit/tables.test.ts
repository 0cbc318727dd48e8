import { describe, expect, it } from 'vitest';
import { configTable, tableDefinitions, type TableDefinition } from '../../lib/table-definitions.js';
import { buildCreateTable, localTableNames } from '../../local/tables.js';

describe('buildCreateTable', () => {
  it('builds the Config table with its keys, on demand', () => {
    expect(buildCreateTable(configTable, 'tally-config')).toEqual({
      TableName: 'tally-config',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    });
  });

  it('builds every shared definition with its partition key first', () => {
    for (const definition of tableDefinitions) {
      const input = buildCreateTable(definition, `t-${definition.id}`);
      expect(input.TableName).toBe(`t-${definition.id}`);
      expect(input.KeySchema![0]).toEqual({ AttributeName: definition.partitionKey.name, KeyType: 'HASH' });
      expect(input.GlobalSecondaryIndexes?.length ?? 0).toBe(definition.globalSecondaryIndexes.length);
    }
  });

  it('declares each key attribute once, including index keys, and projects indexes as defined', () => {
    const definition: TableDefinition = {
      id: 'Events',
      partitionKey: { name: 'pk', type: 'S' },
      globalSecondaryIndexes: [
        { indexName: 'byTime', partitionKey: { name: 'shard', type: 'S' }, sortKey: { name: 'time', type: 'N' }, nonKeyAttributes: ['value'] },
        { indexName: 'byShard', partitionKey: { name: 'shard', type: 'S' } },
      ],
    };
    expect(buildCreateTable(definition, 'events')).toEqual({
      TableName: 'events',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'shard', AttributeType: 'S' },
        { AttributeName: 'time', AttributeType: 'N' },
      ],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byTime',
          KeySchema: [
            { AttributeName: 'shard', KeyType: 'HASH' },
            { AttributeName: 'time', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['value'] },
        },
        {
          IndexName: 'byShard',
          KeySchema: [{ AttributeName: 'shard', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
  });
});

describe('localTableNames', () => {
  it('names one table per definition under a prefix', () => {
    expect(localTableNames()).toEqual({ Config: 'tally-config', Events: 'tally-events', Rollups: 'tally-rollups' });
    expect(Object.keys(localTableNames('test')).sort()).toEqual(tableDefinitions.map((d) => d.id).sort());
  });
});
