/**
 * Throughput of the pure usage aggregation on synthetic rollup rows (no storage):
 * `npx tsx bench/usage-aggregation.ts [rows]`. Reports rows per second per query kind.
 */
import type { MeterDefinition } from '../functions/domain/meters.js';
import type { RollupRow } from '../functions/domain/rollups.js';
import { aggregateUsage } from '../functions/domain/usage-aggregation.js';
import { planUsageQuery, type UsageQuery } from '../functions/domain/usage-request.js';

const rowCount = Number(process.argv[2] ?? 500_000);
const start = Date.parse('2024-01-01T00:00:00Z');
const hours = 90 * 24;
const customers = 20_000;
const regions = ['eu', 'us', 'ap', 'sa'];

const rows: RollupRow[] = Array.from({ length: rowCount }, (_, index) => ({
  meterApiName: 'api-calls',
  hourStartMillis: start + (index % hours) * 3_600_000,
  customerId: `customer-${(index * 7919) % customers}`,
  dimensions: { region: regions[index % regions.length]!, tier: index % 3 === 0 ? 'free' : 'pro' },
  sum: index % 100,
  count: 1 + (index % 3),
  min: 1,
  max: index % 100,
}));

const meter = (type: MeterDefinition['type']): MeterDefinition => ({
  meterApiName: 'api-calls',
  displayName: 'API calls',
  label: 'api-calls',
  type,
  dimensions: ['region', 'tier'],
  meterTimeInMillis: 0,
});

const query = (overrides: Partial<UsageQuery>): UsageQuery => ({
  meterApiName: 'api-calls',
  startTimeInSeconds: start / 1000,
  endTimeInSeconds: start / 1000 + hours * 3600,
  aggregation: undefined,
  timeGroupingInterval: 'DAY',
  groupBy: [],
  customerFilter: undefined,
  filter: {},
  take: undefined,
  timeZone: undefined,
  ...overrides,
});

const scenarios: [string, UsageQuery, MeterDefinition][] = [
  ['SUM, DAY, ungrouped', query({}), meter('SUM_OF_ALL_USAGE')],
  ['MAX, DAY in Europe/Berlin, by region and tier', query({ aggregation: 'MAX', timeZone: 'Europe/Berlin', groupBy: ['region', 'tier'] }), meter('SUM_OF_ALL_USAGE')],
  ['SUM, HOUR, by customerId, take 10', query({ timeGroupingInterval: 'HOUR', groupBy: ['customerId'], take: { limit: 10, isAscending: false } }), meter('SUM_OF_ALL_USAGE')],
  ['distinct customers, WEEK, by region', query({ timeGroupingInterval: 'WEEK', groupBy: ['region'] }), meter('UNIQUE_CUSTOMERS_COUNT')],
  ['distinct customers, MONTH, filtered', query({ timeGroupingInterval: 'MONTH', filter: { region: ['eu', 'us'] } }), meter('UNIQUE_CUSTOMERS_COUNT')],
];

console.log(`usage aggregation, ${rowCount} rows, ${customers} customers, ${hours} hours`);
for (const [name, usageQuery, usageMeter] of scenarios) {
  const plan = planUsageQuery(usageQuery, usageMeter);
  aggregateUsage(plan, rows.slice(0, 10_000));
  const began = performance.now();
  const groups = aggregateUsage(plan, rows);
  const millis = performance.now() - began;
  console.log(`  ${name}: ${millis.toFixed(0)} ms, ${((rowCount / millis) * 1000).toFixed(0)} rows/s, ${groups.length} groups`);
}
