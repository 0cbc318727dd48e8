import { describe, expect, it, vi } from 'vitest';
import type * as Definitions from '../../../lib/table-definitions.js';
import { grantsByResource, policyStatements, synthesize, tableLogicalIds } from './support.js';

// The definitions as another engineer might extend them: a GSI on Events must reach the stack
// (and the read grants) without touching the construct.
vi.mock('../../../lib/table-definitions.js', async (importOriginal) => {
  const original = await importOriginal<typeof Definitions>();
  const eventsTable: Definitions.TableDefinition = {
    ...original.eventsTable,
    globalSecondaryIndexes: [
      {
        indexName: 'byCustomer',
        partitionKey: { name: 'gsi1pk', type: 'S' },
        sortKey: { name: 'gsi1sk', type: 'N' },
        nonKeyAttributes: ['meterValue'],
      },
    ],
  };
  return { ...original, eventsTable, tableDefinitions: [original.configTable, eventsTable, original.rollupsTable] };
});

const { tableDefinitions } = await import('../../../lib/table-definitions.js');
const { stack, template } = synthesize();
const ids = tableLogicalIds(stack);
const resources = template.toJSON().Resources as Record<string, { Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;

describe('DynamoDB tables', () => {
  it('creates one table per definition, keyed as defined', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', tableDefinitions.length);
    for (const definition of tableDefinitions) {
      expect(resources[ids[definition.id]!]!.Properties.KeySchema).toEqual([
        { AttributeName: definition.partitionKey.name, KeyType: 'HASH' },
        ...(definition.sortKey ? [{ AttributeName: definition.sortKey.name, KeyType: 'RANGE' }] : []),
      ]);
    }
  });

  it('bills on demand with point-in-time recovery and deletion protection', () => {
    for (const id of Object.values(ids)) {
      expect(resources[id]!.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      });
    }
  });

  it('keeps the data when the stack is deleted or a table replaced', () => {
    for (const id of Object.values(ids)) {
      expect(resources[id]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
  });

  it('expires raw events by their TTL attribute and nothing else', () => {
    for (const definition of tableDefinitions) {
      const ttl = resources[ids[definition.id]!]!.Properties.TimeToLiveSpecification;
      expect(ttl).toEqual(definition.timeToLiveAttribute ? { AttributeName: definition.timeToLiveAttribute, Enabled: true } : undefined);
    }
    expect(resources[ids.Events!]!.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });

  it('picks up a GSI added to the definitions, with its keys and projection', () => {
    const events = resources[ids.Events!]!.Properties;
    expect(events.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'byCustomer',
        KeySchema: [
          { AttributeName: 'gsi1pk', KeyType: 'HASH' },
          { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['meterValue'] },
      },
    ]);
    expect(events.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: 'gsi1pk', AttributeType: 'S' },
        { AttributeName: 'gsi1sk', AttributeType: 'N' },
      ]),
    );
  });

  it('grants reads on that index by name, and writes on the table only', () => {
    const grants = grantsByResource(policyStatements(stack, template, 'consumer'));
    const [indexArn, indexActions] = Object.entries(grants).find(([resource]) => resource.includes('/index/'))!;
    expect(indexArn).toContain(ids.Events);
    expect(indexArn).toContain('/index/byCustomer');
    expect(indexActions).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query']);
    expect(grants[`${ids.Events}.Arn`]).toContain('dynamodb:PutItem');
    expect(Object.keys(grants).filter((resource) => resource.includes('index/*'))).toEqual([]);
  });

  it('outputs every table name', () => {
    for (const definition of tableDefinitions) {
      template.hasOutput(`${definition.id}TableName`, { Value: { Ref: ids[definition.id] } });
    }
  });
});
