import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { rollupDeltas, rollupTargets } from '../functions/domain/consumption.js';
import type { QueuedEvent } from '../functions/domain/events.js';
import { itemParts } from '../functions/domain/rollup-items.js';

/**
 * Totals of one counted combination: granularity, customer, period and declared dimension values.
 * Compared by combination rather than by item, because where a combination lives (a slot of its
 * customer-hour item or an item of its own) depends on what else that hour held.
 */
export interface RollupTotals {
  readonly sum: number;
  readonly count: number;
  readonly min?: number;
  readonly max?: number;
}

export type TotalsByItem = ReadonlyMap<string, RollupTotals>;

const combinationKey = (granularity: string, customerId: unknown, periodStartMillis: unknown, dimensions: Readonly<Record<string, string>>) =>
  `${granularity} ${String(customerId)} ${String(periodStartMillis)} ${JSON.stringify(Object.entries(dimensions).sort(([a], [b]) => (a < b ? -1 : 1)))}`;

/** What the rollups must hold when every event was counted exactly once. */
export function expectedRollupTotals(
  accountId: string,
  events: readonly QueuedEvent[],
  declaredDimensions: readonly string[],
): TotalsByItem {
  const deltas = rollupDeltas(events.map((event) => ({ event, rollups: rollupTargets(accountId, event, declaredDimensions) })));
  return new Map(
    deltas.map(({ granularity, customerId, periodStartMillis, dimensions, sum, count, min, max }) => [
      combinationKey(granularity, customerId, periodStartMillis, dimensions),
      { sum, count, min, max },
    ]),
  );
}

/** Combinations whose totals differ, or that only one side has; `fields` says which totals to compare. */
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
      const granularity = String(item.pk).startsWith('RH#') ? 'HOUR' : 'DAY';
      for (const part of itemParts(item)) {
        const key = combinationKey(granularity, item.customerId, item.periodStartMillis, part.dimensions);
        const seen = totals.get(key);
        totals.set(
          key,
          seen
            ? { sum: seen.sum + part.sum, count: seen.count + part.count, min: Math.min(seen.min!, part.min!), max: Math.max(seen.max!, part.max!) }
            : { sum: part.sum, count: part.count, min: part.min, max: part.max },
        );
      }
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return totals;
}
