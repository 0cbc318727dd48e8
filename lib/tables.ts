import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, type Attribute } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { tableDefinitions, type KeyAttribute, type TableDefinition } from './table-definitions.js';

type TableId = TableDefinition['id'];

const attribute = (key: KeyAttribute): Attribute => ({
  name: key.name,
  type: key.type === 'S' ? AttributeType.STRING : AttributeType.NUMBER,
});

/**
 * The DynamoDB tables, one per definition in lib/table-definitions.ts, with their indexes and TTL.
 * The data outlives the stack: tables are retained on stack deletion and protected from deletion.
 * Construct ids are the definition ids and must never change: a new id would orphan the old table
 * and start an empty one.
 */
export class Tables extends Construct {
  private readonly byId = new Map<TableId, { table: Table; definition: TableDefinition }>();

  constructor(scope: Construct, id: string) {
    super(scope, id);
    for (const definition of tableDefinitions) {
      const table = new Table(this, definition.id, {
        partitionKey: attribute(definition.partitionKey),
        sortKey: definition.sortKey && attribute(definition.sortKey),
        billingMode: BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        timeToLiveAttribute: definition.timeToLiveAttribute,
        deletionProtection: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      for (const index of definition.globalSecondaryIndexes) {
        table.addGlobalSecondaryIndex({
          indexName: index.indexName,
          partitionKey: attribute(index.partitionKey),
          sortKey: index.sortKey && attribute(index.sortKey),
          ...(index.nonKeyAttributes
            ? { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...index.nonKeyAttributes] }
            : { projectionType: ProjectionType.ALL }),
        });
      }
      this.byId.set(definition.id, { table, definition });
    }
  }

  table(id: TableId): Table {
    return this.entry(id).table;
  }

  /** ARNs of the table's indexes by name: reads are granted on exactly these, never on `index/*`. */
  indexArns(id: TableId): string[] {
    const { table, definition } = this.entry(id);
    return definition.globalSecondaryIndexes.map((index) => `${table.tableArn}/index/${index.indexName}`);
  }

  private entry(id: TableId) {
    const entry = this.byId.get(id);
    if (!entry) throw new Error(`no table "${id}" in lib/table-definitions.ts`);
    return entry;
  }
}
