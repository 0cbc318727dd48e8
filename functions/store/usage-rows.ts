import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RollupRow } from '../domain/rollups.js';
import type { UsagePlan } from '../domain/usage-request.js';
import { CUSTOMER_ID_KEY } from '../domain/usage-aggregation.js';
import { DAY_MILLIS, type Granularity } from './data-keys.js';
import { readRollupRows } from './rollup-reader.js';

/** Above this many filtered customers, one read of all customers beats one read per customer. */
export const MAX_PER_CUSTOMER_READS = 50;

/**
 * Customer-day items answer a grid whose boundaries are all UTC midnights (DAY, WEEK, MONTH in UTC,
 * or in a zone at UTC+0 over the range) when the query neither groups nor filters by a dimension:
 * at most one item per customer and day. Other grids, and dimension breakdowns, need hourly items.
 */
export function rollupGranularityFor(plan: Pick<UsagePlan, 'grid' | 'query' | 'dimensionFilters'>): Granularity {
  if (plan.grid.interval === 'HOUR') return 'HOUR';
  const needsDimensions = plan.query.groupBy.some((key) => key !== CUSTOMER_ID_KEY) || plan.dimensionFilters.size > 0;
  if (needsDimensions) return 'HOUR';
  return plan.grid.boundaries.every((boundary) => boundary % DAY_MILLIS === 0) ? 'DAY' : 'HOUR';
}

/** The rollup rows a usage plan needs: its range, at the coarsest granularity that fits its buckets. */
export async function readUsageRows(
  ddb: DynamoDBDocumentClient,
  table: string,
  accountId: string,
  plan: UsagePlan,
): Promise<RollupRow[]> {
  const range = {
    accountId,
    meterApiName: plan.query.meterApiName,
    granularity: rollupGranularityFor(plan),
    fromMillis: plan.grid.startMillis,
    toMillis: plan.grid.endMillis,
  };
  const customers = plan.customerIds;
  if (customers === undefined || customers.size > MAX_PER_CUSTOMER_READS) return readRollupRows(ddb, table, range);
  const perCustomer = await Promise.all([...customers].map((customerId) => readRollupRows(ddb, table, { ...range, customerId })));
  return perCustomer.flat();
}
