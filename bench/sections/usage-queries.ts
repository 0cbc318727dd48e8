import { BatchGetCommand, BatchWriteCommand, QueryCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseUsageRequest, planUsageQuery } from '../../functions/domain/usage-request.js';
import type { MeterDefinition } from '../../functions/domain/meters.js';
import { indexAccountConfiguration } from '../../functions/store/account-config-cache.js';
import { ConfigStore } from '../../functions/store/config-store.js';
import { chunks, forEachLimited } from '../../functions/store/retry.js';
import { readUsageRows } from '../../functions/store/usage-rows.js';
import { lambdaContext } from '../../local/gateway.js';
import { benchAccountConfiguration, RETENTION_DAYS } from '../consumers.js';
import { apiGatewayEvent, type HttpLambda } from '../handler-runtime.js';
import { throttled, type BenchContext, type BenchSection, type SectionResult } from '../harness.js';
import { usageFromRawEvents } from '../raw-usage.js';
import { formatCount, formatNumber, formatRatio } from '../report.js';
import { summarize, type LatencySummary } from '../stats.js';
import { DATASET_EVENTS_PER_CONSUMER_BATCH, generateUsageDataset, rawEventItems, rollupItems, type UsageDataset } from '../usage-dataset.js';
import { DECLARED_DIMENSIONS, DEFAULT_WORKLOAD } from '../workload.js';

interface UsageSize {
  readonly customers: number;
  readonly eventsPerCustomerDay: number;
  /** Timed rounds; each round runs every query once both ways. */
  readonly rounds: number;
}

const ACCOUNT_ID = 'bench-usage';
const METER = DEFAULT_WORKLOAD.meterApiName;
const DAY_MILLIS = 86_400_000;
const DAYS = 30;
const HISTORY_DAYS = 90;
/** The customer of the one-customer query: the 10th busiest, a large customer but not the outlier. */
const HISTORY_CUSTOMER_RANK = 9;
/** A fixed end, so the dataset and its partitions are the same on every run. */
const DATASET_END = Date.UTC(2026, 10, 20);
const WRITE_CONCURRENCY = 16;
const BATCH_WRITE_ITEMS = 25;
const RATIO_GOAL = 20;
/** Days at the end of the dataset the HOUR query reads; hourly items elsewhere are never read. */
const HOURLY_DAYS = 2;
const ONE_CUSTOMER_GOAL_MILLIS = 100;

interface UsageQueryCase {
  readonly name: string;
  readonly label: string;
  readonly body: string;
}

function queryCases(dataset: UsageDataset): UsageQueryCase[] {
  const seconds = (millis: number) => millis / 1000;
  const range = (days: number) => ({ startTimeInSeconds: seconds(DATASET_END - days * DAY_MILLIS), endTimeInSeconds: seconds(DATASET_END) });
  return [
    {
      name: 'by customer',
      label: `DAY, ${DAYS} days, groupBy customerId (every customer)`,
      body: JSON.stringify({ meterApiName: METER, ...range(DAYS), timeGroupingInterval: 'DAY', groupBy: ['customerId'] }),
    },
    {
      name: 'one customer',
      label: `DAY, ${HISTORY_DAYS} days, one customer (customerFilter), ungrouped`,
      body: JSON.stringify({ meterApiName: METER, ...range(HISTORY_DAYS), timeGroupingInterval: 'DAY', customerFilter: [dataset.historyCustomerId] }),
    },
    {
      name: 'hourly',
      label: 'HOUR, 2 days, every customer, ungrouped',
      body: JSON.stringify({ meterApiName: METER, ...range(2), timeGroupingInterval: 'HOUR' }),
    },
  ];
}

async function writeItems(ddb: DynamoDBDocumentClient, table: string, items: readonly Record<string, unknown>[], onWritten: (count: number) => void) {
  await forEachLimited(chunks(items, BATCH_WRITE_ITEMS), WRITE_CONCURRENCY, async (chunk) => {
    let pending = chunk.map((Item) => ({ PutRequest: { Item } }));
    while (pending.length > 0) {
      const output = await ddb.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      pending = (output.UnprocessedItems?.[table] ?? []) as typeof pending;
    }
    onWritten(chunk.length);
  });
}

/**
 * A document client that adds up what was read through it: the items DynamoDB read for Queries
 * (ScannedCount) and the items BatchGetItem returned (the raw path's event items).
 */
function scanCounting(ddb: DynamoDBDocumentClient) {
  const counts = { queries: 0, scanned: 0, fetched: 0 };
  const client = new Proxy(ddb, {
    get: (target, property, receiver) =>
      property === 'send'
        ? async (command: Parameters<DynamoDBDocumentClient['send']>[0]) => {
            const output = await target.send(command);
            if (command instanceof QueryCommand) {
              counts.queries++;
              counts.scanned += (output as { ScannedCount?: number }).ScannedCount ?? 0;
            }
            if (command instanceof BatchGetCommand) {
              for (const items of Object.values((output as BatchGetCommandOutput).Responses ?? {})) counts.fetched += items.length;
            }
            return output;
          }
        : Reflect.get(target, property, receiver),
  });
  return { client, counts };
}

const plural = (count: number, noun: string) => `${formatCount(count)} ${noun}${count === 1 ? '' : 's'}`;

/** Sum of every value of a seed-shaped usage response. */
function responseTotal(body: string): number {
  const { clientMeters } = JSON.parse(body) as { clientMeters: Record<string, { records: Record<string, number>[] }[]> };
  let total = 0;
  for (const groups of Object.values(clientMeters)) {
    for (const group of groups) for (const record of group.records) for (const value of Object.values(record)) total += value;
  }
  return total;
}

interface CaseResult {
  readonly query: UsageQueryCase;
  readonly rollup: LatencySummary;
  readonly raw: LatencySummary;
  readonly rollupItemsRead: number;
  readonly rollupQueries: number;
  /** Event items the raw path read (BatchGetItem), and the event pages its Queries read before. */
  readonly rawEventsRead: number;
  readonly rawPagesRead: number;
  readonly rawQueries: number;
  readonly groups: number;
  readonly responseBytes: number;
}

/** Events are turned into items a slice at a time, so the load never holds them all and generating overlaps writing. */
const LOAD_SLICE_EVENTS = 50_000;

async function loadDataset(context: BenchContext, tables: { Events: string; Rollups: string }, dataset: UsageDataset) {
  const account = indexAccountConfiguration(benchAccountConfiguration(DEFAULT_WORKLOAD));
  // No query here reads hourly partitions before the HOUR query's days; leaving them out of the load
  // changes no answer and no timing (a Query reads only its own partition), and saves most of the load.
  const hourlyFrom = DATASET_END - HOURLY_DAYS * DAY_MILLIS;
  const rollups = rollupItems(
    tables.Rollups,
    ACCOUNT_ID,
    dataset.events,
    DECLARED_DIMENSIONS,
    (target) => target.granularity === 'DAY' || target.periodStartMillis >= hourlyFrom,
  );
  let total = dataset.events.length + rollups.length;
  context.progress(`  writing ${formatCount(dataset.events.length)} event items, their event pages and ${formatCount(rollups.length)} rollup items with BatchWriteItem`);
  const started = performance.now();
  let written = 0;
  const report = throttled(context.progress, 10_000);
  const onWritten = (count: number) => {
    written += count;
    report(() => `  ${formatCount(written)} of ${formatCount(total)} items written, ${formatNumber((written / (performance.now() - started)) * 1000, 0)} items/s`);
  };
  let writing = writeItems(context.ddb, tables.Rollups, rollups, onWritten);
  let pages = 0;
  for (let start = 0; start < dataset.events.length; start += LOAD_SLICE_EVENTS) {
    // Slices hold whole consumer batches, so the pages are those of one pass over the stream.
    const items = rawEventItems(ACCOUNT_ID, dataset.events.slice(start, start + LOAD_SLICE_EVENTS), account, DATASET_END, RETENTION_DAYS, () => {
      pages += 1;
      return String(pages);
    });
    total += items.pages.length;
    await writing;
    writing = writeItems(context.ddb, tables.Events, [...items.events, ...items.pages], onWritten);
  }
  await writing;
  const seconds = (performance.now() - started) / 1000;
  context.progress(`  loaded in ${formatNumber(seconds, 1)} s (${formatNumber(total / seconds, 0)} items/s)`);
  return {
    eventItems: dataset.events.length,
    pageItems: pages,
    hourlyItems: rollups.filter((item) => item.granularity === 'HOUR').length,
    dailyItems: rollups.filter((item) => item.granularity === 'DAY').length,
    seconds,
  };
}

export const usageQueries: BenchSection<UsageSize> = {
  name: 'usage',
  title: '5. Usage queries: rollups vs the same answer from raw events',
  sizes: {
    quick: { customers: 100, eventsPerCustomerDay: 2, rounds: 3 },
    full: { customers: 1_000, eventsPerCustomerDay: 12, rounds: 3 },
  },
  async run(context, size) {
    const runtime = await context.handlers();
    const tables = runtime.tables;
    const configStore = new ConfigStore(context.ddb, tables.Config);
    await configStore.createMeter(ACCOUNT_ID, benchAccountConfiguration(DEFAULT_WORKLOAD).meters[0]!, Date.now());
    const dataset = generateUsageDataset({
      seed: DEFAULT_WORKLOAD.seed,
      accountId: ACCOUNT_ID,
      meterApiName: METER,
      customers: size.customers,
      days: DAYS,
      endMillis: DATASET_END,
      eventsPerCustomerDay: size.eventsPerCustomerDay,
      historyCustomerRank: HISTORY_CUSTOMER_RANK,
      historyDays: HISTORY_DAYS,
    });
    const loaded = await loadDataset(context, tables, dataset);

    const { handler } = (await import('../../functions/usage.js')) as unknown as { handler: HttpLambda };
    const getMeter = (meterApiName: string) => configStore.getMeter(ACCOUNT_ID, meterApiName);
    const fromRollups = async (body: string) => {
      const response = await handler(apiGatewayEvent({ routeKey: 'POST /usage', accountId: ACCOUNT_ID, body }), lambdaContext('usage'));
      if (response.statusCode !== 200) throw new Error(`POST /usage answered ${response.statusCode}: ${response.body}`);
      return response.body!;
    };
    const fromRawEvents = (body: string, ddb: DynamoDBDocumentClient) => usageFromRawEvents(ddb, tables.Events, ACCOUNT_ID, body, getMeter);

    const cases = queryCases(dataset);
    const results: CaseResult[] = [];
    for (const query of cases) results.push(await measureCase(context, size, dataset, query, { fromRollups, fromRawEvents, getMeter, tables }));
    return report(size, dataset, loaded, results);
  },
};

interface Answerers {
  fromRollups(body: string): Promise<string>;
  fromRawEvents(body: string, ddb: DynamoDBDocumentClient): Promise<string>;
  getMeter(meterApiName: string): Promise<MeterDefinition>;
  readonly tables: { Events: string; Rollups: string };
}

async function measureCase(context: BenchContext, size: UsageSize, dataset: UsageDataset, query: UsageQueryCase, answer: Answerers): Promise<CaseResult> {
  context.progress(`  ${query.label}: ${size.rounds} rounds, rollups and raw events in turns`);
  // Untimed first: warms the rollup path up and counts what it reads. The raw path reads far more,
  // so its first timed round is its warm-up and every round counts what it reads.
  const request = parseUsageRequest(JSON.parse(query.body), Date.now());
  const meter = await answer.getMeter(METER);
  const plan = planUsageQuery(request.query, meter);
  const rollupCount = scanCounting(context.ddb);
  await readUsageRows(rollupCount.client, answer.tables.Rollups, ACCOUNT_ID, plan);
  const rawCount = scanCounting(context.ddb);
  const reference = await answer.fromRollups(query.body);
  checkAgainstDataset(dataset, query, reference, plan.grid.startMillis, plan.grid.endMillis, plan.customerIds);

  const rollupMillis: number[] = [];
  const rawMillis: number[] = [];
  const timed = async (work: () => Promise<string>, into: number[]) => {
    const started = performance.now();
    const body = await work();
    into.push(performance.now() - started);
    if (body !== reference) throw new Error(`${query.name}: the answers from rollups and from raw events differ`);
  };
  for (let round = 0; round < size.rounds; round++) {
    const rollup = () => timed(() => answer.fromRollups(query.body), rollupMillis);
    const raw = () => timed(() => answer.fromRawEvents(query.body, rawCount.client), rawMillis);
    // Alternate which goes first, so neither always runs on the other's warm caches.
    if (round % 2 === 0) await rollup().then(raw);
    else await raw().then(rollup);
  }
  const result = {
    query,
    rollup: summarize(rollupMillis),
    raw: summarize(rawMillis),
    rollupItemsRead: rollupCount.counts.scanned,
    rollupQueries: rollupCount.counts.queries,
    rawEventsRead: rawCount.counts.fetched / size.rounds,
    rawPagesRead: rawCount.counts.scanned / size.rounds,
    rawQueries: rawCount.counts.queries / size.rounds,
    groups: Object.values((JSON.parse(reference) as { clientMeters: Record<string, unknown[]> }).clientMeters)[0]!.length,
    responseBytes: reference.length,
  };
  context.progress(
    `    rollups p50 ${formatNumber(result.rollup.p50, 1)} ms, raw events p50 ${formatNumber(result.raw.p50, 1)} ms: ${formatRatio(result.raw.p50 / result.rollup.p50)}`,
  );
  return result;
}

/** Both answers are compared with each other every round; this ties them to the generated events too. */
function checkAgainstDataset(
  dataset: UsageDataset,
  query: UsageQueryCase,
  body: string,
  fromMillis: number,
  toMillis: number,
  customers: ReadonlySet<string> | undefined,
): void {
  const expected = dataset.events
    .filter((event) => event.meterTimeInMillis >= fromMillis && event.meterTimeInMillis < toMillis)
    .filter((event) => customers === undefined || customers.has(event.customerId))
    .reduce((total, event) => total + event.meterValue, 0);
  const total = responseTotal(body);
  if (total !== expected) throw new Error(`${query.name}: the answer adds up to ${total}, the generated events to ${expected}`);
}

function report(size: UsageSize, dataset: UsageDataset, loaded: Awaited<ReturnType<typeof loadDataset>>, results: readonly CaseResult[]): SectionResult {
  const ratio = (result: CaseResult) => result.raw.p50 / result.rollup.p50;
  const [byCustomer, oneCustomer, hourly] = results as [CaseResult, CaseResult, CaseResult];
  const windowEvents = size.customers * size.eventsPerCustomerDay * DAYS;
  const windowStart = DATASET_END - DAYS * DAY_MILLIS;
  const activeCustomerDays = new Set(
    dataset.events
      .filter((event) => event.meterTimeInMillis >= windowStart)
      .map((event) => `${event.customerId} ${Math.floor(event.meterTimeInMillis / DAY_MILLIS)}`),
  ).size;
  const micros = (millis: number, items: number) => formatNumber((millis / items) * 1000, 0);
  const eventsPerItem = byCustomer.rawEventsRead / byCustomer.rollupItemsRead;
  const perItemCostRatio = byCustomer.rollup.p50 / byCustomer.rollupItemsRead / (byCustomer.raw.p50 / byCustomer.rawEventsRead);
  const neededEventsPerItem = RATIO_GOAL * perItemCostRatio;
  return {
    headlines: [
      {
        metric: `${DAYS} days DAY by customerId: raw events / rollups, p50`,
        value: formatRatio(ratio(byCustomer)),
        goal: `>= ${RATIO_GOAL}x`,
        met: ratio(byCustomer) >= RATIO_GOAL,
      },
      {
        metric: `one customer, ${HISTORY_DAYS} days DAY, p50 / p95`,
        value: `${formatNumber(oneCustomer.rollup.p50, 1)} / ${formatNumber(oneCustomer.rollup.p95, 1)} ms`,
        goal: `p95 < ${ONE_CUSTOMER_GOAL_MILLIS} ms`,
        met: oneCustomer.rollup.p95 < ONE_CUSTOMER_GOAL_MILLIS,
      },
      { metric: `one customer, ${HISTORY_DAYS} days: raw events / rollups, p50`, value: formatRatio(ratio(oneCustomer)) },
      { metric: 'HOUR over 2 days: raw events / rollups, p50', value: formatRatio(ratio(hourly)) },
      { metric: 'answers from rollups and from raw events identical', value: 'yes' },
    ],
    tables: [
      {
        title: `POST /usage from rollups (the handler) vs the same answer from raw events, ${size.rounds} timed rounds each`,
        columns: ['query', 'rollups p50 / p95 ms', 'raw events p50 / p95 ms', 'raw / rollups (p50)', 'items read: rollups / raw (event pages + events)', 'Queries: rollups / raw', 'groups, response bytes'],
        rows: results.map((result) => [
          result.query.label,
          `${formatNumber(result.rollup.p50, 1)} / ${formatNumber(result.rollup.p95, 1)}`,
          `${formatNumber(result.raw.p50, 1)} / ${formatNumber(result.raw.p95, 1)}`,
          formatRatio(ratio(result)),
          `${formatCount(result.rollupItemsRead)} / ${formatCount(result.rawPagesRead)} + ${formatCount(result.rawEventsRead)}`,
          `${formatCount(result.rollupQueries)} / ${formatCount(result.rawQueries)}`,
          `${formatCount(result.groups)}, ${formatCount(result.responseBytes)}`,
        ]),
      },
    ],
    notes: [
      `Dataset (seed ${dataset.spec.seed}): ${formatCount(size.customers)} customers x ${DAYS} days ending ${new Date(DATASET_END).toISOString().slice(0, 10)}, ${plural(size.eventsPerCustomerDay, 'event')} per customer-day on average (${formatCount(windowEvents)} events; customers skewed Zipf(1) as in the consumer workload, so the busiest sends thousands a day and the quietest a few; the same 3 declared dimensions, values 1-5, times uniform over each day), plus ${HISTORY_DAYS - DAYS} earlier days of the one customer the one-customer query reads (${dataset.historyCustomerId}, the ${HISTORY_CUSTOMER_RANK + 1}th busiest, ${formatCount(dataset.historyEventsPerDay)} events a day). From that one event stream: ${formatCount(loaded.eventItems)} event items and ${formatCount(loaded.pageItems)} event pages (${formatNumber(loaded.eventItems / loaded.pageItems, 1)} entries each: functions/store/event-commands.ts eventItem and eventPageItem, the pages of consumer batches of ${DATASET_EVENTS_PER_CONSUMER_BATCH} consecutive events packed as the consumer packs them), ${formatCount(loaded.dailyItems)} customer-day items and the ${formatCount(loaded.hourlyItems)} hourly items of the last ${HOURLY_DAYS} days (rollupTargets, placeSlots and rollupDeltas, then the consumer's own buildRollupUpdate applied in memory), written with BatchWriteItem in ${formatNumber(loaded.seconds, 0)} s (${formatNumber((loaded.eventItems + loaded.pageItems + loaded.hourlyItems + loaded.dailyItems) / loaded.seconds, 0)} items/s). Hourly items of earlier days are left out of the load: no query here reads their partitions, so they would change no answer and no timing, and at this volume they would take most of the load time.`,
      `Reading, about the key design. A query that neither groups nor filters by a dimension reads customer-day items: one per customer and day with any event, however many events and dimension combinations stand behind it. The ${DAYS}-day query grouped by customer read ${formatCount(byCustomer.rollupItemsRead)} of them (${formatCount(activeCustomerDays)} active customer-days) for ${formatCount(byCustomer.rawEventsRead)} events, ${formatNumber(eventsPerItem, 1)} events per item. A rollup item cost ${micros(byCustomer.rollup.p50, byCustomer.rollupItemsRead)} µs and a raw event ${micros(byCustomer.raw.p50, byCustomer.rawEventsRead)} µs at p50 (DynamoDB Local, the SDK and the aggregation together), so the ratio, ${formatRatio(ratio(byCustomer))}, follows that compression: ${RATIO_GOAL}x takes about ${formatNumber(neededEventsPerItem, 0)} events per item read, and the goal ${ratio(byCustomer) >= RATIO_GOAL ? 'is met' : 'is not met'} here. The compression grows with the traffic per customer and day, not with the number of customers or days; at a lower volume (the quick run has ${formatCount(usageQueries.sizes.quick.eventsPerCustomerDay)} events per customer-day) the ratio is lower, at real metering volumes higher. Items per dimension combination would not compress like this: a customer-day spreads its events over up to 32 combinations of region and feature, which is why dimension breakdowns read hourly items instead of a third item per event.`,
      `The one-customer query shows the other half of the layout: the customer leads the rollup sort key, so it read only its own ${formatCount(oneCustomer.rollupItemsRead)} customer-day items with ${formatCount(oneCustomer.rollupQueries)} Queries (one month partition each, one shard), in ${formatNumber(oneCustomer.rollup.p50, 0)} ms at p50, while the raw listing, partitioned by meter and day, has to read every event of every customer in ${formatCount(oneCustomer.rawQueries)} day partitions: ${formatRatio(ratio(oneCustomer))}, a gap that grows with the number of customers. It is understated here: the ${HISTORY_DAYS - DAYS} earlier days hold only this customer's events. The HOUR query reads hourly items per customer and dimension combination (${formatCount(hourly.rollupItemsRead)} items for ${formatCount(hourly.rawEventsRead)} events, ${formatNumber(hourly.rawEventsRead / hourly.rollupItemsRead, 1)} per item) over 4 shards per day (${formatCount(hourly.rollupQueries)} Queries against ${formatCount(hourly.rawQueries)}): ${formatRatio(ratio(hourly))}.`,
      'Method: "rollups" is the real POST /usage Lambda handler (functions/usage.ts) invoked in-process with an API-Gateway-shaped event: request parsing, the meter read, planUsageQuery, readUsageRows (customer-day items for these DAY queries, hourly items for HOUR, 4 shards per period, partitions read 8 at a time), aggregateUsage, usageResponse and the JSON body. "Raw events" answers the same request with the same parsing, meter read, plan, aggregation and response, but reads every raw event of the range as GET /usage/events does: the event pages of each day partition (the Query of functions/store/raw-events.ts, every 1 MB page, 8 partitions at a time), then the event items of the entries in range with BatchGetItem (readListedEvents; the one-customer query keeps only that customer\'s entries, so it still reads every page of the day but only its own event items). The HOUR query is ungrouped because grouped by customer it would be 48,000 values, above the 40,000 one response may hold. The rollup answer is computed once untimed (a warm-up) and its total checked against the sum of the generated events in its range; every timed answer of both is compared byte for byte with it. The two take turns query by query, alternating which goes first; the raw path\'s first timed round is also its first run. With so few rounds, p95 is the maximum. "Items read" is DynamoDB\'s ScannedCount over the Queries of one answer, plus for the raw path the event items BatchGetItem returned.',
    ],
  };
}
