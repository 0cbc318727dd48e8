import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { rollupDeltas, rollupTargets } from '../functions/domain/consumption.js';
import type { QueuedEvent } from '../functions/domain/events.js';

/** Totals of one rollup item, keyed by its table key. */
export interface RollupTotals {
  readonly sum: number;
  readonly count: number;
  readonly min?: number;
  readonly max?: number;
}

export type TotalsByItem = ReadonlyMap<string, RollupTotals>;

const itemKey = (pk: string, sk: string) => `${pk} ${sk}`;

/** What the rollups must hold when every event was counted exactly once. */
export function expectedRollupTotals(
  accountId: string,
  events: readonly QueuedEvent[],
  declaredDimensions: readonly string[],
): TotalsByItem {
  const deltas = rollupDeltas(events.map((event) => ({ event, rollups: rollupTargets(accountId, event, declaredDimensions) })));
  return new Map(deltas.map(({ pk, sk, sum, count, min, max }) => [itemKey(pk, sk), { sum, count, min, max }]));
}

/** Items whose totals differ, or that only one side has; `fields` says which totals to compare. */
export function rollupDifferences(
  expected: TotalsByItem,
  actual: TotalsByItem,
  fields: readonly (keyof RollupTotals)[],
): string[] {
  const differences: string[] = [];
  for (const [key, totals] of expected) {
    const found = actual.get(key);
    if (!found) differences.push(`missing ${key}`);
    else if (fields.some((field) => found[field] !== totals[field])) {
      differences.push(`${key}: expected ${JSON.stringify(totals)}, found ${JSON.stringify(found)}`);
    }
  }
  for (const key of actual.keys()) if (!expected.has(key)) differences.push(`unexpected ${key}`);
  return differences;
}

/** Reads a whole (benchmark-only) rollup table. */
export async function scanRollupTotals(ddb: DynamoDBDocumentClient, table: string): Promise<TotalsByItem> {
  const totals = new Map<string, RollupTotals>();
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await ddb.send(new ScanCommand({ TableName: table, ExclusiveStartKey: startKey }));
    for (const item of page.Items ?? []) {
      totals.set(itemKey(item.pk, item.sk), { sum: item.sum, count: item.count, min: item.min, max: item.max });
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return totals;
}
