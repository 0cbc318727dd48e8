/**
 * The one description of Tally's tables. The CDK stack turns it into DynamoDB tables and the
 * local runtime and the tests turn it into CreateTable calls, so both always agree on keys,
 * indexes and TTL. Plain data: nothing here imports the CDK or the SDK.
 */
export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N';
}

export interface IndexDefinition {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** Attributes copied into the index besides the keys; all when omitted. */
  readonly nonKeyAttributes?: readonly string[];
}

export interface TableDefinition {
  /** Used in construct ids and in local table names. */
  readonly id: 'Config' | 'Events' | 'Rollups';
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly timeToLiveAttribute?: string;
  readonly globalSecondaryIndexes: readonly IndexDefinition[];
}

const pk: KeyAttribute = { name: 'pk', type: 'S' };
const sk: KeyAttribute = { name: 'sk', type: 'S' };

/** Accounts, API keys, meter definitions and filtering rules. */
export const configTable: TableDefinition = {
  id: 'Config',
  partitionKey: pk,
  sortKey: sk,
  globalSecondaryIndexes: [],
};

/**
 * One item per accepted event (the deduplication marker and the raw record at once) and the event
 * pages that list them by time; see functions/store/data-keys.ts for the key layout. No index: the
 * pages are written in the events' own transaction, which costs a fraction of an index copy each.
 */
export const eventsTable: TableDefinition = {
  id: 'Events',
  partitionKey: pk,
  sortKey: sk,
  timeToLiveAttribute: 'expiresAt',
  globalSecondaryIndexes: [],
};

/** Pre-aggregated usage per meter, hour, customer and declared dimension values. */
export const rollupsTable: TableDefinition = {
  id: 'Rollups',
  partitionKey: pk,
  sortKey: sk,
  globalSecondaryIndexes: [],
};

export const tableDefinitions: readonly TableDefinition[] = [configTable, eventsTable, rollupsTable];
