import type { DynamoDBDocumentClient, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { itemParts } from '../domain/rollup-items.js';
import type { RollupRow } from '../domain/rollups.js';
import {
  customerSortPrefix,
  DAY_MILLIS,
  periodStartOf,
  ROLLUP_SHARDS,
  rollupPartitionKey,
  shardOf,
  type Granularity,
} from './data-keys.js';
import { queryAll } from './dynamo.js';
import { forEachLimited } from './retry.js';

export interface RollupRange {
  readonly accountId: string;
  readonly meterApiName: string;
  readonly granularity: Granularity;
  /** Inclusive start and exclusive end, epoch milliseconds. */
  readonly fromMillis: number;
  readonly toMillis: number;
  /** Read only this customer's items. */
  readonly customerId?: string;
}

/** Start of each partition period (UTC day for hourly items, UTC month for daily ones) overlapping the range. */
export function partitionPeriods(granularity: Granularity, fromMillis: number, toMillis: number): number[] {
  const periods: number[] = [];
  if (toMillis <= fromMillis) return periods;
  if (granularity === 'HOUR') {
    for (let day = periodStartOf('DAY', fromMillis); day < toMillis; day += DAY_MILLIS) periods.push(day);
    return periods;
  }
  const start = new Date(fromMillis);
  for (let month = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), 1); month < toMillis; ) {
    periods.push(month);
    const date = new Date(month);
    month = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  }
  return periods;
}

/** The Queries that read a range: one per partition period and shard, or one per period for a customer. */
export function buildRollupQueries(table: string, range: RollupRange): QueryCommandInput[] {
  const shards = range.customerId === undefined ? [...Array(ROLLUP_SHARDS).keys()] : [shardOf(range.customerId)];
  return partitionPeriods(range.granularity, range.fromMillis, range.toMillis).flatMap((period) =>
    shards.map((shard) => ({
      TableName: table,
      KeyConditionExpression:
        range.customerId === undefined ? 'pk = :pk' : 'pk = :pk AND begins_with(sk, :customer)',
      FilterExpression: 'periodStartMillis BETWEEN :from AND :lastStart',
      ExpressionAttributeValues: {
        ':pk': rollupPartitionKey(range.granularity, range.accountId, range.meterApiName, period, shard),
        ':from': range.fromMillis,
        ':lastStart': range.toMillis - 1,
        ...(range.customerId === undefined ? {} : { ':customer': customerSortPrefix(range.customerId) }),
      },
      // No projection: a customer-hour item's slots have names of their own (see rollup-items.ts).
    })),
  );
}

interface RollupItem {
  customerId: string;
  periodStartMillis: number;
  [attribute: string]: unknown;
}

/** Reads the rollup rows of a range; partitions are read in parallel. */
export async function readRollupRows(
  ddb: DynamoDBDocumentClient,
  table: string,
  range: RollupRange,
  concurrency = 8,
): Promise<RollupRow[]> {
  const rows: RollupRow[] = [];
  await forEachLimited(buildRollupQueries(table, range), concurrency, async (query) => {
    for (const item of await queryAll<RollupItem>(ddb, query)) {
      for (const part of itemParts(item)) {
        rows.push({
          meterApiName: range.meterApiName,
          hourStartMillis: item.periodStartMillis,
          customerId: item.customerId,
          dimensions: part.dimensions,
          sum: part.sum,
          count: part.count,
          // Items written before MIN and MAX moved into the transaction may lack them after a crash.
          min: part.min ?? Number.NaN,
          max: part.max ?? Number.NaN,
        });
      }
    }
  });
  return rows;
}
