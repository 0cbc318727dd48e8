import { pathToFileURL } from 'node:url';
import { dedupInBatch, keyString, packTransactions, planMessage } from '../functions/domain/consumption.js';
import type { AccountMeters } from '../functions/store/account-config-cache.js';
import { AWS_LIST_PRICES, costPerMillionEvents, ingestDurationOnLambda, INGEST_MEMORY_MB, totalDollars, type CostInputs } from './cost-model.js';
import { DECLARED_DIMENSIONS, DEFAULT_WORKLOAD, generateWorkload, seededRandom } from './workload.js';

/**
 * The capacity plan of docs/SCALING.md as calculations: what 100,000 events/s for one account
 * (and 1B events a month) asks of API Gateway, Lambda, SQS and DynamoDB, where keys get hot, and
 * what hot rollup items do to transactions with and without writer sub-shards, and how many shared
 * rollup items the transactions of a consumer batch write.
 * `npx tsx bench/capacity-plan.ts` prints every number the document quotes.
 */
export interface PlanInputs {
  readonly peakEventsPerSecond: number;
  readonly eventsPerMonth: number;
  readonly eventsPerRequest: number;
  /** Ingest duration on Lambda per request: a fixed part plus a part per event. */
  readonly ingestFixedMillis: number;
  readonly ingestMillisPerEvent: number;
  /** Events one consumer invocation takes: batch size x events per message. */
  readonly eventsPerConsumerBatch: number;
  /** Measured request mix of the consumer, per event (bench/RESULTS.md, sections 1 and 2). */
  readonly storedEventReadsPerEvent: number;
  readonly transactionsPerEvent: number;
  /** BatchGetItems of rollup items before the transactions (so they carry the right guards). */
  readonly rollupReadsPerEvent: number;
  /** Measured WRU per event by table part. */
  readonly eventPutWru: number;
  /** The event page Put, one per meter-hour of a transaction, shared by its events (Events table, EP# keys). */
  readonly pageWru: number;
  readonly hourlyRollupWru: number;
  readonly customerDayRollupWru: number;
  /** Measured RRU per event, all reads; the stored-event read (on the Events table) is part of it, the rest reads rollup items. */
  readonly readUnitsPerEvent: number;
  readonly storedEventReadRru: number;
  readonly eventItemBytes: number;
  /** Event page items per event, and their bytes per event. */
  readonly pagesPerEvent: number;
  readonly pageBytesPerEvent: number;
  /** Latencies on AWS (assumptions): a 100-action TransactWriteItems, a 100-key BatchGetItem. */
  readonly transactionMillis: number;
  readonly batchGetMillis: number;
  /** Requests in flight within one invocation: reads and transactions. */
  readonly transactionsInFlight: number;
  readonly retentionDays: number;
  /** Share of all events from the busiest customer, and share of its events on its busiest hourly item (its customer-hour item). */
  readonly hotCustomerShare: number;
  readonly hotHourlyItemShareOfCustomer: number;
  /** Events of one rollup item a transaction can carry (100 actions minus the page and the rollup updates). */
  readonly maxEventsPerTransactionPerItem: number;
  readonly rollupShards: number;
}

/**
 * The handler work measured on one core (bench/RESULTS.md, section 3: 0.04 ms + 3.3 µs per event)
 * as the cost section prices it on a 512 MB Lambda, with the same estimated SendMessageBatch round trip.
 */
const SQS_SEND_ROUND_TRIP_MILLIS = 20;
const INGEST_ON_LAMBDA = ingestDurationOnLambda({ fixedMillis: 0.04, millisPerEvent: 0.0033 }, INGEST_MEMORY_MB, SQS_SEND_ROUND_TRIP_MILLIS);

/** Defaults: the issue's targets, the full run of bench/RESULTS.md, and AWS latencies as assumptions. */
export const DEFAULT_PLAN_INPUTS: PlanInputs = {
  peakEventsPerSecond: 100_000,
  eventsPerMonth: 1_000_000_000,
  eventsPerRequest: 100,
  // 20.1 ms + 11.4 µs per event: 21 ms for a request of 100 events (section 4, "Lambda ingest").
  ingestFixedMillis: INGEST_ON_LAMBDA.fixedMillis,
  ingestMillisPerEvent: INGEST_ON_LAMBDA.millisPerEvent,
  eventsPerConsumerBatch: 100 * 100,
  // One eventually consistent BatchGetItem per 100 events, before the transactions.
  storedEventReadsPerEvent: 1 / 100,
  // Section 1: 21,100 delivered events in 282 TransactWriteItems (about 75 each) and 278 BatchGetItems,
  // 215 of them the stored-event reads (43 per batch of 4,220 events), the other 63 of rollup items.
  transactionsPerEvent: 282 / 21_100,
  rollupReadsPerEvent: 63 / 21_100,
  eventPutWru: 2,
  // Section 2: 0.07 WRU, 0.02 pages and 29 page bytes per event.
  pageWru: 0.07,
  hourlyRollupWru: 0.49,
  customerDayRollupWru: 0.43,
  // No WRU for cancelled transactions: the events already stored are read first (0.5 RRU each)
  // and kept out of them, and the rollup items too, so the guards hold on the first try.
  readUnitsPerEvent: 0.73,
  storedEventReadRru: 0.5,
  eventItemBytes: 263,
  pagesPerEvent: 0.02,
  pageBytesPerEvent: 29.3,
  transactionMillis: 50,
  batchGetMillis: 10,
  transactionsInFlight: 4,
  retentionDays: 90,
  hotCustomerShare: 0.13,
  hotHourlyItemShareOfCustomer: 1,
  maxEventsPerTransactionPerItem: 98,
  rollupShards: 4,
};

/** AWS defaults the plan checks against (per region and account unless noted). */
export const AWS_DEFAULT_QUOTAS = {
  apiGatewayRequestsPerSecond: 10_000,
  lambdaConcurrentExecutions: 1_000,
  sqsStandardInFlightMessages: 120_000,
  dynamoDbTableWriteUnitsPerSecond: 40_000,
  dynamoDbTableReadUnitsPerSecond: 40_000,
  dynamoDbPartitionWriteUnitsPerSecond: 1_000,
  dynamoDbPartitionReadUnitsPerSecond: 3_000,
  dynamoDbPartitionStorageBytes: 10 * 2 ** 30,
} as const;

/** Keep partitions at this share of their limit, so bursts and uneven hashing fit. */
export const TARGET_UTILIZATION = 0.7;
/** The consumer's maxConcurrency setting leaves this much room above the computed need, for AWS latencies above the assumed ones. */
export const CONSUMER_CONCURRENCY_HEADROOM = 1.5;
const DAYS_PER_MONTH = 365.25 / 12;
const SECONDS_PER_MONTH = DAYS_PER_MONTH * 86_400;

export const nextPowerOfTwo = (value: number) => 2 ** Math.ceil(Math.log2(Math.max(1, value)));

/** Partition-key shards so no key takes more than the target share of one partition's write limit. */
export function shardsFor(writeUnitsPerSecond: number, utilization = TARGET_UTILIZATION): number {
  return nextPowerOfTwo(writeUnitsPerSecond / (AWS_DEFAULT_QUOTAS.dynamoDbPartitionWriteUnitsPerSecond * utilization));
}

/** Partition-key shards so no key takes more than the target share of one partition's read limit. */
export function readShardsFor(readUnitsPerSecond: number, utilization = TARGET_UTILIZATION): number {
  return nextPowerOfTwo(readUnitsPerSecond / (AWS_DEFAULT_QUOTAS.dynamoDbPartitionReadUnitsPerSecond * utilization));
}

/** Milliseconds of one consumer invocation per event, by step, on AWS. */
export interface ConsumerTime {
  readonly storedEventReads: number;
  readonly rollupReads: number;
  readonly transactions: number;
  readonly total: number;
}

/**
 * The consumer's steps run one after the other, each `transactionsInFlight` requests at a time: the
 * stored-event reads, the rollup reads, then the transactions (MIN and MAX ride in them).
 */
export function consumerMillisPerEvent(inputs: PlanInputs): ConsumerTime {
  const storedEventReads = (inputs.storedEventReadsPerEvent * inputs.batchGetMillis) / inputs.transactionsInFlight;
  const rollupReads = (inputs.rollupReadsPerEvent * inputs.batchGetMillis) / inputs.transactionsInFlight;
  const transactions = (inputs.transactionsPerEvent * inputs.transactionMillis) / inputs.transactionsInFlight;
  return { storedEventReads, rollupReads, transactions, total: storedEventReads + rollupReads + transactions };
}

/** Events/s one consumer invocation sustains on AWS. */
export function consumerEventsPerSecond(inputs: PlanInputs): number {
  return 1000 / consumerMillisPerEvent(inputs).total;
}

export const ingestMillisPerRequest = (inputs: PlanInputs, eventsPerRequest = inputs.eventsPerRequest) =>
  inputs.ingestFixedMillis + inputs.ingestMillisPerEvent * eventsPerRequest;

export interface TablePlan {
  readonly table: string;
  readonly writeUnitsPerSecond: number;
  readonly readUnitsPerSecond: number;
  readonly storedGb: number;
  readonly partitionsForThroughput: number;
  readonly partitionsForStorage: number;
}

/** The reads of rollup items before the transactions: all reads but the stored-event read. */
export const rollupReadUnitsPerEvent = (inputs: PlanInputs) => inputs.readUnitsPerEvent - inputs.storedEventReadRru;

export function tablePlans(inputs: PlanInputs): TablePlan[] {
  const rate = inputs.peakEventsPerSecond;
  const storedEvents = (inputs.eventsPerMonth / DAYS_PER_MONTH) * inputs.retentionDays;
  // Event items and their pages, each item with DynamoDB's 100-byte overhead.
  const eventGb = (storedEvents * (inputs.eventItemBytes + 100 + inputs.pageBytesPerEvent + inputs.pagesPerEvent * 100)) / 2 ** 30;
  const plan = (table: string, writeUnitsPerSecond: number, readUnitsPerSecond: number, storedGb: number): TablePlan => ({
    table,
    writeUnitsPerSecond,
    readUnitsPerSecond,
    storedGb,
    partitionsForThroughput: Math.ceil(
      Math.max(
        writeUnitsPerSecond / AWS_DEFAULT_QUOTAS.dynamoDbPartitionWriteUnitsPerSecond,
        readUnitsPerSecond / AWS_DEFAULT_QUOTAS.dynamoDbPartitionReadUnitsPerSecond,
      ),
    ),
    partitionsForStorage: Math.ceil((storedGb * 2 ** 30) / AWS_DEFAULT_QUOTAS.dynamoDbPartitionStorageBytes),
  });
  return [
    plan('Events', rate * (inputs.eventPutWru + inputs.pageWru), rate * inputs.storedEventReadRru, eventGb),
    plan(
      'Rollups',
      rate * (inputs.hourlyRollupWru + inputs.customerDayRollupWru),
      rate * rollupReadUnitsPerEvent(inputs),
      0,
    ),
  ];
}

export interface HotKey {
  readonly key: string;
  readonly writeUnitsPerSecond: number;
  readonly todayShards: number;
  readonly perShardWriteUnits: number;
  readonly shardsNeeded: number;
}

/** One busy meter: the partition keys all of its events write to. */
export function hotKeys(inputs: PlanInputs): HotKey[] {
  const rate = inputs.peakEventsPerSecond;
  const key = (name: string, writeUnitsPerSecond: number, todayShards: number): HotKey => ({
    key: name,
    writeUnitsPerSecond,
    todayShards,
    perShardWriteUnits: writeUnitsPerSecond / todayShards,
    shardsNeeded: shardsFor(writeUnitsPerSecond),
  });
  return [
    key('event pages: EP#<account>#<meter>#<day>', rate * inputs.pageWru, 1),
    key('hourly rollups: RH#<account>#<meter>#<day>#<shard>', rate * inputs.hourlyRollupWru, inputs.rollupShards),
    key('customer-day rollups: RD#<account>#<meter>#<month>#<shard>', rate * inputs.customerDayRollupWru, inputs.rollupShards),
  ];
}

/** The rollup reads of one meter, all on one kind of key (the worst case): shards they alone would need. */
export function hotRollupReads(inputs: PlanInputs): { readUnitsPerSecond: number; shardsNeeded: number } {
  const readUnitsPerSecond = inputs.peakEventsPerSecond * rollupReadUnitsPerEvent(inputs);
  return { readUnitsPerSecond, shardsNeeded: readShardsFor(readUnitsPerSecond) };
}

export interface HotItem {
  readonly item: string;
  readonly eventsPerSecond: number;
  readonly eventsPerBatch: number;
  readonly transactionsPerSecond: number;
  readonly writeUnitsPerSecond: number;
  /** Share of the time some transaction holds the item: above 1 it is saturated. */
  readonly offeredLoad: number;
}

/**
 * The busiest rollup items, hottest first: the busiest customer's customer-day item, which every one
 * of its events updates, and its busiest hourly item (its customer-hour item, which holds up to 8
 * dimension combinations).
 */
export function hotItems(inputs: PlanInputs): HotItem[] {
  const customerEvents = inputs.peakEventsPerSecond * inputs.hotCustomerShare;
  return [
    rollupItemLoad(inputs, 'customer-day item', customerEvents),
    rollupItemLoad(inputs, 'hourly item', customerEvents * inputs.hotHourlyItemShareOfCustomer),
  ];
}

/** The hottest single rollup item. */
export const hotItem = (inputs: PlanInputs): HotItem => hotItems(inputs)[0]!;

/** Any rollup item with an event in every consumer batch, such as the customer-day item of each customer in every batch: one transaction per batch. */
export const everyBatchItem = (inputs: PlanInputs): HotItem =>
  rollupItemLoad(inputs, 'item in every batch', inputs.peakEventsPerSecond / inputs.eventsPerConsumerBatch);

function rollupItemLoad(inputs: PlanInputs, item: string, eventsPerSecond: number): HotItem {
  const batchesPerSecond = inputs.peakEventsPerSecond / inputs.eventsPerConsumerBatch;
  const eventsPerBatch = eventsPerSecond / batchesPerSecond;
  const transactionsPerSecond = Math.ceil(eventsPerBatch / inputs.maxEventsPerTransactionPerItem) * batchesPerSecond;
  return {
    item,
    eventsPerSecond,
    eventsPerBatch,
    transactionsPerSecond,
    writeUnitsPerSecond: transactionsPerSecond * 2,
    offeredLoad: (transactionsPerSecond * inputs.transactionMillis) / 1000,
  };
}

/**
 * Share of transactions that find their item held by another one (Erlang B with one server per
 * sub-shard): with S writer sub-shards chosen at random, each sub-shard sees 1/S of the load.
 */
export function conflictProbability(offeredLoad: number, subShards: number): number {
  const perShard = offeredLoad / subShards;
  return perShard / (1 + perShard);
}

/**
 * Share of transactions cancelled on their first try when each writes `items` items, each held by
 * another transaction at the rate of `item` (Erlang B per item, items taken as independent): an estimate.
 */
export function transactionConflictEstimate(item: Pick<HotItem, 'offeredLoad'>, items: number, subShards = 1): number {
  return 1 - (1 - conflictProbability(item.offeredLoad, subShards)) ** items;
}

export interface ConflictSimulation {
  readonly attempts: number;
  readonly firstTryConflictRate: number;
  /** Attempts per committed transaction, retries included. */
  readonly attemptsPerCommit: number;
  /** Committed transactions whose retries ran out (their messages come back through SQS). */
  readonly exhausted: number;
}

/**
 * Transactions arriving at random (Poisson) on one hot rollup item, each holding it for a fixed
 * time; one that finds its sub-shard held is cancelled with TransactionConflict and retried after a
 * full-jitter backoff, as EventWriter does. Deterministic for a seed.
 */
export function simulateConflicts(options: {
  readonly transactionsPerSecond: number;
  readonly holdMillis: number;
  readonly subShards: number;
  readonly transactions: number;
  readonly seed: number;
  readonly maxAttempts?: number;
  readonly baseDelayMillis?: number;
  readonly maxDelayMillis?: number;
}): ConflictSimulation {
  const { transactionsPerSecond, holdMillis, subShards, transactions, seed } = options;
  const maxAttempts = options.maxAttempts ?? 8;
  const baseDelay = options.baseDelayMillis ?? 20;
  const maxDelay = options.maxDelayMillis ?? 1_000;
  const random = seededRandom(seed);
  const busyUntil = Array.from({ length: subShards }, () => 0);
  // Pending attempts ordered by time: [time, attempt].
  const queue: [number, number][] = [];
  let clock = 0;
  for (let index = 0; index < transactions; index++) {
    clock += (-Math.log(1 - random()) / transactionsPerSecond) * 1000;
    queue.push([clock, 1]);
  }
  queue.sort((a, b) => a[0] - b[0]);
  let attempts = 0;
  let firstTryConflicts = 0;
  let exhausted = 0;
  for (let next = 0; next < queue.length; next++) {
    const [time, attempt] = queue[next]!;
    attempts += 1;
    const shard = Math.floor(random() * subShards);
    if (busyUntil[shard]! <= time) {
      busyUntil[shard] = time + holdMillis;
      continue;
    }
    if (attempt === 1) firstTryConflicts += 1;
    if (attempt >= maxAttempts) {
      exhausted += 1;
      continue;
    }
    const retryAt = time + random() * Math.min(maxDelay, baseDelay * 2 ** (attempt - 1));
    queue.splice(insertionIndex(queue, retryAt), 0, [retryAt, attempt + 1]);
  }
  return {
    attempts,
    firstTryConflictRate: firstTryConflicts / transactions,
    attemptsPerCommit: attempts / Math.max(1, transactions - exhausted),
    exhausted,
  };
}

/** First position whose time is later than `time`, by binary search. */
function insertionIndex(queue: readonly [number, number][], time: number): number {
  let low = 0;
  let high = queue.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (queue[middle]![0] <= time) low = middle + 1;
    else high = middle;
  }
  return low;
}

export interface BatchPacking {
  readonly batches: number;
  /** Distinct customers with events in a batch, on average. */
  readonly customersPerBatch: number;
  readonly transactions: number;
  /** Distinct customer-day items a transaction writes, on average. */
  readonly customerDayItemsPerTransaction: number;
  /** Transactions that write a rollup item the transaction packed just before them also writes. */
  readonly sharingWithPrevious: number;
  /** Of those, the ones that share a customer-day item. */
  readonly sharingCustomerDayItem: number;
}

/**
 * Consumer batches of the benchmark's workload (bench/workload.ts: 1,000 Zipf-skewed customers, 3
 * dimensions), packed into transactions as the consumer packs them: how many customer-day items a
 * transaction writes, and how often it shares a rollup item with the one before it (EventWriter
 * never runs two such transactions at once, or they would conflict with each other).
 */
export function batchPacking(eventsPerBatch: number, batches = 3): BatchPacking {
  const spec = { ...DEFAULT_WORKLOAD, duplicateRate: 0, idSource: 'client' as const, uniqueEvents: eventsPerBatch * batches };
  const messagesPerBatch = Math.ceil(eventsPerBatch / spec.eventsPerMessage);
  const workload = generateWorkload({ ...spec, minMessagesPerBatch: messagesPerBatch, maxMessagesPerBatch: messagesPerBatch });
  const meter = { meterApiName: spec.meterApiName, displayName: 'API calls', label: 'calls', type: 'SUM_OF_ALL_USAGE' as const, dimensions: DECLARED_DIMENSIONS, meterTimeInMillis: 0 };
  const account: AccountMeters = { meters: new Map([[meter.meterApiName, meter]]), rulesByMeter: new Map() };
  let customers = 0;
  let customerDayItems = 0;
  let transactions = 0;
  let sharingWithPrevious = 0;
  let sharingCustomerDayItem = 0;
  for (const batch of workload.batches) {
    const { unique } = dedupInBatch(batch.flatMap((message) => planMessage(message.body, message.messageId, account)));
    customers += new Set(unique.map((planned) => planned.event.customerId)).size;
    const items = packTransactions(unique).map((plan) => plan.rollups.map(keyString));
    transactions += items.length;
    customerDayItems += items.reduce((total, keys) => total + keys.filter((key) => key.startsWith('RD#')).length, 0);
    for (let index = 1; index < items.length; index++) {
      const previous = new Set(items[index - 1]);
      const shared = items[index]!.filter((key) => previous.has(key));
      if (shared.length > 0) sharingWithPrevious += 1;
      if (shared.some((key) => key.startsWith('RD#'))) sharingCustomerDayItem += 1;
    }
  }
  return {
    batches: workload.batches.length,
    customersPerBatch: customers / workload.batches.length,
    transactions,
    customerDayItemsPerTransaction: customerDayItems / transactions,
    sharingWithPrevious,
    sharingCustomerDayItem,
  };
}

export interface ServicePlan {
  readonly apiRequestsPerSecond: number;
  readonly ingestConcurrency: number;
  /** Ingest concurrency if every request carried one event. */
  readonly singleEventIngestConcurrency: number;
  readonly consumerEventsPerSecond: number;
  readonly consumerConcurrency: number;
  /** The event source's maxConcurrency to set: the need with headroom, in a power of two. */
  readonly consumerMaxConcurrencySetting: number;
  readonly sqsMessagesPerSecond: number;
  readonly sqsInFlightMessages: number;
}

export function servicePlan(inputs: PlanInputs): ServicePlan {
  const apiRequestsPerSecond = inputs.peakEventsPerSecond / inputs.eventsPerRequest;
  const perInvocation = consumerEventsPerSecond(inputs);
  const consumerConcurrency = Math.ceil(inputs.peakEventsPerSecond / perInvocation);
  const sqsMessagesPerSecond = apiRequestsPerSecond * Math.ceil(inputs.eventsPerRequest / 100);
  const batchSeconds = inputs.eventsPerConsumerBatch / perInvocation;
  return {
    apiRequestsPerSecond,
    ingestConcurrency: Math.ceil((apiRequestsPerSecond * ingestMillisPerRequest(inputs)) / 1000),
    singleEventIngestConcurrency: Math.ceil((inputs.peakEventsPerSecond * ingestMillisPerRequest(inputs, 1)) / 1000),
    consumerEventsPerSecond: perInvocation,
    consumerConcurrency,
    consumerMaxConcurrencySetting: nextPowerOfTwo(consumerConcurrency * CONSUMER_CONCURRENCY_HEADROOM),
    sqsMessagesPerSecond,
    sqsInFlightMessages: Math.ceil(sqsMessagesPerSecond * batchSeconds),
  };
}

export const writeUnitsPerEvent = (inputs: PlanInputs) =>
  inputs.eventPutWru + inputs.pageWru + inputs.hourlyRollupWru + inputs.customerDayRollupWru;

/** The monthly bill of `eventsPerMonth` at the plan's batch size, with the consumer time AWS would bill. */
export function monthlyBill(inputs: PlanInputs): { lines: { component: string; dollars: number }[]; total: number } {
  const costInputs: CostInputs = {
    eventsPerRequest: inputs.eventsPerRequest,
    requestBytesPerEvent: 230,
    queuedEventBytes: 250,
    ingestMemoryMb: 512,
    ingestFixedMillis: inputs.ingestFixedMillis,
    ingestMillisPerEvent: inputs.ingestMillisPerEvent,
    consumerMemoryMb: 1024,
    consumerMillisPerEvent: consumerMillisPerEvent(inputs).total,
    consumerBatchMessages: 100,
    writeUnitsPerEvent: writeUnitsPerEvent(inputs),
    readUnitsPerEvent: inputs.readUnitsPerEvent,
    eventItemBytes: inputs.eventItemBytes,
    pagesPerEvent: inputs.pagesPerEvent,
    pageBytesPerEvent: inputs.pageBytesPerEvent,
    retentionDays: inputs.retentionDays,
    pointInTimeRecovery: true,
  };
  const millions = inputs.eventsPerMonth / 1_000_000;
  const lines = costPerMillionEvents(costInputs).map((line) => ({ component: line.component, dollars: line.dollars * millions }));
  return { lines, total: totalDollars(lines) };
}

export const averageEventsPerSecond = (inputs: PlanInputs) => inputs.eventsPerMonth / SECONDS_PER_MONTH;

function printPlan(inputs: PlanInputs): void {
  const fmt = (value: number, digits = 0) => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const percent = (share: number) => `${fmt(share * 100)}%`;
  const services = servicePlan(inputs);
  console.log(`Capacity plan: ${fmt(inputs.peakEventsPerSecond)} events/s peak for one account, ${fmt(inputs.eventsPerMonth)} events/month (average ${fmt(averageEventsPerSecond(inputs))}/s)\n`);
  console.log('Services');
  console.log(`  API Gateway: ${fmt(services.apiRequestsPerSecond)} requests/s at ${inputs.eventsPerRequest} events/request (default quota ${fmt(AWS_DEFAULT_QUOTAS.apiGatewayRequestsPerSecond)}/s; single-event requests would need ${fmt(inputs.peakEventsPerSecond)}/s)`);
  console.log(
    `  Lambda ingest: ${fmt(services.ingestConcurrency)} concurrent at ${fmt(ingestMillisPerRequest(inputs), 1)} ms/request ` +
      `(${fmt(inputs.ingestFixedMillis, 1)} ms + ${fmt(inputs.ingestMillisPerEvent * 1000, 1)} µs/event); single-event requests: ${fmt(services.singleEventIngestConcurrency)} concurrent at ${fmt(ingestMillisPerRequest(inputs, 1), 1)} ms/request`,
  );
  const time = consumerMillisPerEvent(inputs);
  console.log(
    `  Lambda consumer: ${fmt(services.consumerEventsPerSecond)} events/s per invocation -> ${fmt(services.consumerConcurrency)} concurrent; ` +
      `maxConcurrency to set ${fmt(services.consumerMaxConcurrencySetting)} (x${CONSUMER_CONCURRENCY_HEADROOM} headroom; today 20)`,
  );
  console.log(
    `    time per event ${fmt(time.total * 1000)} µs: stored-event reads ${fmt(time.storedEventReads * 1000)} (${percent(time.storedEventReads / time.total)}), ` +
      `rollup reads ${fmt(time.rollupReads * 1000)} (${percent(time.rollupReads / time.total)}), transactions ${fmt(time.transactions * 1000)} (${percent(time.transactions / time.total)}); ` +
      `${fmt(inputs.eventsPerConsumerBatch)} events per invocation take ${fmt((inputs.eventsPerConsumerBatch * time.total) / 1000, 1)} s`,
  );
  console.log(`  SQS: ${fmt(services.sqsMessagesPerSecond)} messages/s, ~${fmt(services.sqsInFlightMessages)} in flight (standard-queue limit ${fmt(AWS_DEFAULT_QUOTAS.sqsStandardInFlightMessages)})`);
  console.log(`  Lambda total: ${fmt(services.ingestConcurrency + services.consumerConcurrency)} concurrent (account default ${fmt(AWS_DEFAULT_QUOTAS.lambdaConcurrentExecutions)}); with single-event requests ${fmt(services.singleEventIngestConcurrency + services.consumerConcurrency)}`);
  console.log(`\nDynamoDB tables (WRU ${fmt(writeUnitsPerEvent(inputs), 2)} and RRU ${fmt(inputs.readUnitsPerEvent, 2)} per event)`);
  for (const table of tablePlans(inputs)) {
    console.log(
      `  ${table.table}: ${fmt(table.writeUnitsPerSecond)} WRU/s, ${fmt(table.readUnitsPerSecond)} RRU/s (table defaults ${fmt(AWS_DEFAULT_QUOTAS.dynamoDbTableWriteUnitsPerSecond)} / ${fmt(AWS_DEFAULT_QUOTAS.dynamoDbTableReadUnitsPerSecond)}), ` +
        `>= ${fmt(table.partitionsForThroughput)} partitions for throughput, ${fmt(table.partitionsForStorage)} for ${fmt(table.storedGb)} GB`,
    );
  }
  console.log(`\nHot partition keys of one meter (limit ${fmt(AWS_DEFAULT_QUOTAS.dynamoDbPartitionWriteUnitsPerSecond)} WCU per partition, planned at ${TARGET_UTILIZATION * 100}%)`);
  for (const key of hotKeys(inputs)) {
    console.log(`  ${key.key}: ${fmt(key.writeUnitsPerSecond)} WRU/s over ${key.todayShards} key(s) = ${fmt(key.perShardWriteUnits)} per key -> ${fmt(key.shardsNeeded)} shards`);
  }
  const reads = hotRollupReads(inputs);
  console.log(
    `  rollup reads (before the transactions): ${fmt(reads.readUnitsPerSecond)} RRU/s over ${inputs.rollupShards} key(s) = ${fmt(reads.readUnitsPerSecond / inputs.rollupShards)} per key; ` +
      `all on one kind of key they would need ${fmt(reads.shardsNeeded)} shards (limit ${fmt(AWS_DEFAULT_QUOTAS.dynamoDbPartitionReadUnitsPerSecond)} RCU per partition)`,
  );
  const items = hotItems(inputs);
  console.log(`\nHottest rollup items (busiest customer ${inputs.hotCustomerShare * 100}% of traffic, ${inputs.hotHourlyItemShareOfCustomer * 100}% of it on its customer-hour item)`);
  for (const item of items) {
    console.log(
      `  ${item.item}: ${fmt(item.eventsPerSecond)} events/s, ${fmt(item.eventsPerBatch)} per consumer batch, ${fmt(item.transactionsPerSecond)} transactions/s, ` +
        `${fmt(item.writeUnitsPerSecond)} WRU/s, offered load ${fmt(item.offeredLoad, 2)} (transactions of ${inputs.transactionMillis} ms)`,
    );
  }
  const conflictLine = (item: HotItem, subShards: number) => {
    const simulated = simulateConflicts({ transactionsPerSecond: item.transactionsPerSecond, holdMillis: inputs.transactionMillis, subShards, transactions: 20_000, seed: 7 });
    return (
      `${String(subShards).padStart(2)} writer sub-shard(s): conflict on first try ${fmt(conflictProbability(item.offeredLoad, subShards) * 100, 1)}% (Erlang B), ` +
      `simulated ${fmt(simulated.firstTryConflictRate * 100, 1)}%, ${fmt(simulated.attemptsPerCommit, 2)} attempts per commit, ${fmt(simulated.exhausted)} of 20,000 out of retries`
    );
  };
  const hottest = items[0]!;
  console.log(`  ${hottest.item}, by writer sub-shards:`);
  for (const subShards of [1, 2, 4, 8, 16, 32, 64]) console.log(`    ${conflictLine(hottest, subShards)}`);
  const everyBatch = everyBatchItem(inputs);
  console.log(`  ${everyBatch.item} (one transaction per batch): ${fmt(everyBatch.transactionsPerSecond)} transactions/s, offered load ${fmt(everyBatch.offeredLoad, 2)}`);
  console.log(`    ${conflictLine(everyBatch, 1)}`);
  const packing = batchPacking(inputs.eventsPerConsumerBatch);
  console.log(
    `\nConsumer batches of the benchmark's workload (${fmt(packing.batches)} of ${fmt(inputs.eventsPerConsumerBatch)} events, packed as the consumer packs them): ` +
      `${fmt(packing.customersPerBatch)} customers per batch; ${fmt(packing.transactions)} transactions of ${fmt((packing.batches * inputs.eventsPerConsumerBatch) / packing.transactions)} events, ` +
      `each writing ${fmt(packing.customerDayItemsPerTransaction, 1)} customer-day items`,
  );
  console.log(
    `  ${fmt(packing.sharingWithPrevious)} of ${fmt(packing.transactions)} transactions (${percent(packing.sharingWithPrevious / packing.transactions)}) share a rollup item with the one packed before them ` +
      `(${fmt(packing.sharingCustomerDayItem)} of them a customer-day item), so EventWriter runs them one after the other`,
  );
  for (const subShards of [1, 8, 32]) {
    console.log(
      `  transactions cancelled on first try by other invocations, if every customer-day item is ${subShards === 1 ? 'one item' : `split into ${subShards} writer sub-shards`}: ` +
        `about ${percent(transactionConflictEstimate(everyBatch, packing.customerDayItemsPerTransaction, subShards))} (estimate: ${fmt(packing.customerDayItemsPerTransaction, 1)} items each at offered load ${fmt(everyBatch.offeredLoad / subShards, 2)})`,
    );
  }
  const bill = monthlyBill(inputs);
  console.log(`\nMonthly bill for ${fmt(inputs.eventsPerMonth)} events at ${inputs.eventsPerRequest} events/request (${AWS_LIST_PRICES.region}, ${AWS_LIST_PRICES.asOf})`);
  for (const line of bill.lines) console.log(`  ${line.component}: $${fmt(line.dollars)} (${percent(line.dollars / bill.total)})`);
  console.log(`  total: $${fmt(bill.total)}; each WRU per event is $${fmt((inputs.eventsPerMonth / 1_000_000) * AWS_LIST_PRICES.dynamoDbPerMillionWriteUnits)} a month`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) printPlan(DEFAULT_PLAN_INPUTS);
