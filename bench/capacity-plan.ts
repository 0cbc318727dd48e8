import { pathToFileURL } from 'node:url';
import { AWS_LIST_PRICES, costPerMillionEvents, totalDollars, type CostInputs } from './cost-model.js';
import { seededRandom } from './workload.js';

/**
 * The capacity plan of docs/SCALING.md as calculations: what 100,000 events/s for one account
 * (and 1B events a month) asks of API Gateway, Lambda, SQS and DynamoDB, where keys get hot, and
 * what hot rollup items do to transactions with and without writer sub-shards.
 * `npx tsx bench/capacity-plan.ts` prints every number the document quotes.
 */
export interface PlanInputs {
  readonly peakEventsPerSecond: number;
  readonly eventsPerMonth: number;
  readonly eventsPerRequest: number;
  readonly ingestMillisPerRequest: number;
  /** Events one consumer invocation takes: batch size x events per message. */
  readonly eventsPerConsumerBatch: number;
  /** Measured request mix of the consumer, per unique event (bench/RESULTS.md, section 2). */
  readonly transactionsPerEvent: number;
  readonly minMaxUpdatesPerEvent: number;
  /** Measured WRU per event by table part. */
  readonly eventPutWru: number;
  readonly indexWru: number;
  readonly hourlyRollupWru: number;
  readonly dailyRollupWru: number;
  readonly minMaxWru: number;
  /** Transactions cancelled by an already-stored event, charged in full (upper bound); half their items are event Puts. */
  readonly cancelledTransactionWru: number;
  readonly readUnitsPerEvent: number;
  readonly eventItemBytes: number;
  /** Latencies on AWS (assumptions): a 100-action TransactWriteItems and a single UpdateItem. */
  readonly transactionMillis: number;
  readonly updateMillis: number;
  readonly transactionsInFlight: number;
  readonly updatesInFlight: number;
  readonly retentionDays: number;
  /** Share of all events from the busiest customer, and share of its events on its busiest rollup item. */
  readonly hotCustomerShare: number;
  readonly hotItemShareOfCustomer: number;
  /** Events of one rollup item a transaction can carry (100 actions minus the item's own ADDs). */
  readonly maxEventsPerTransactionPerItem: number;
  readonly rollupShards: number;
}

/** Defaults: the targets, the full run of bench/RESULTS.md, and AWS latencies as assumptions. */
export const DEFAULT_PLAN_INPUTS: PlanInputs = {
  peakEventsPerSecond: 100_000,
  eventsPerMonth: 1_000_000_000,
  eventsPerRequest: 100,
  ingestMillisPerRequest: 30,
  eventsPerConsumerBatch: 100 * 100,
  transactionsPerEvent: 1 / 51,
  minMaxUpdatesPerEvent: 1.36,
  eventPutWru: 2,
  indexWru: 1,
  hourlyRollupWru: 0.9,
  dailyRollupWru: 0.9,
  minMaxWru: 1.36,
  cancelledTransactionWru: 0.51,
  readUnitsPerEvent: 0.46,
  eventItemBytes: 514,
  transactionMillis: 50,
  updateMillis: 6,
  transactionsInFlight: 4,
  updatesInFlight: 16,
  retentionDays: 90,
  hotCustomerShare: 0.13,
  hotItemShareOfCustomer: 0.3,
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
const DAYS_PER_MONTH = 365.25 / 12;
const SECONDS_PER_MONTH = DAYS_PER_MONTH * 86_400;

export const nextPowerOfTwo = (value: number) => 2 ** Math.ceil(Math.log2(Math.max(1, value)));

/** Partition-key shards so no key takes more than the target share of one partition's write limit. */
export function shardsFor(writeUnitsPerSecond: number, utilization = TARGET_UTILIZATION): number {
  return nextPowerOfTwo(writeUnitsPerSecond / (AWS_DEFAULT_QUOTAS.dynamoDbPartitionWriteUnitsPerSecond * utilization));
}

/** Events/s one consumer invocation sustains on AWS: its transactions and its MIN/MAX updates run one after the other. */
export function consumerEventsPerSecond(inputs: PlanInputs): number {
  const transactionSeconds = (inputs.transactionsPerEvent * inputs.transactionMillis) / 1000 / inputs.transactionsInFlight;
  const updateSeconds = (inputs.minMaxUpdatesPerEvent * inputs.updateMillis) / 1000 / inputs.updatesInFlight;
  return 1 / (transactionSeconds + updateSeconds);
}

export interface TablePlan {
  readonly table: string;
  readonly writeUnitsPerSecond: number;
  readonly readUnitsPerSecond: number;
  readonly storedGb: number;
  readonly partitionsForThroughput: number;
  readonly partitionsForStorage: number;
}

export function tablePlans(inputs: PlanInputs): TablePlan[] {
  const rate = inputs.peakEventsPerSecond;
  const storedEvents = (inputs.eventsPerMonth / DAYS_PER_MONTH) * inputs.retentionDays;
  const eventGb = (storedEvents * (inputs.eventItemBytes + 100)) / 2 ** 30;
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
    plan('Events', rate * (inputs.eventPutWru + inputs.cancelledTransactionWru / 2), 0, eventGb),
    plan('Events index byMeterTime', rate * inputs.indexWru, 0, eventGb),
    plan(
      'Rollups',
      rate * (inputs.hourlyRollupWru + inputs.dailyRollupWru + inputs.minMaxWru + inputs.cancelledTransactionWru / 2),
      rate * inputs.readUnitsPerEvent,
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
  const minMaxHalf = inputs.minMaxWru / 2;
  const key = (name: string, writeUnitsPerSecond: number, todayShards: number): HotKey => ({
    key: name,
    writeUnitsPerSecond,
    todayShards,
    perShardWriteUnits: writeUnitsPerSecond / todayShards,
    shardsNeeded: shardsFor(writeUnitsPerSecond),
  });
  return [
    key('byMeterTime index: <account>#<meter>#<day>', rate * inputs.indexWru, 1),
    key('hourly rollups: RH#<account>#<meter>#<day>#<shard>', rate * (inputs.hourlyRollupWru + minMaxHalf), inputs.rollupShards),
    key('daily rollups: RD#<account>#<meter>#<month>#<shard>', rate * (inputs.dailyRollupWru + minMaxHalf), inputs.rollupShards),
  ];
}

export interface HotItem {
  readonly eventsPerSecond: number;
  readonly eventsPerBatch: number;
  readonly transactionsPerSecond: number;
  readonly writeUnitsPerSecond: number;
  /** Share of the time some transaction holds the item: above 1 it is saturated. */
  readonly offeredLoad: number;
}

/** The busiest single rollup item: the hot customer's busiest dimension combination, hour item. */
export function hotItem(inputs: PlanInputs): HotItem {
  const eventsPerSecond = inputs.peakEventsPerSecond * inputs.hotCustomerShare * inputs.hotItemShareOfCustomer;
  const batchesPerSecond = inputs.peakEventsPerSecond / inputs.eventsPerConsumerBatch;
  const eventsPerBatch = eventsPerSecond / batchesPerSecond;
  const transactionsPerSecond = Math.ceil(eventsPerBatch / inputs.maxEventsPerTransactionPerItem) * batchesPerSecond;
  return {
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

export interface ServicePlan {
  readonly apiRequestsPerSecond: number;
  readonly ingestConcurrency: number;
  readonly consumerEventsPerSecond: number;
  readonly consumerConcurrency: number;
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
    ingestConcurrency: Math.ceil((apiRequestsPerSecond * inputs.ingestMillisPerRequest) / 1000),
    consumerEventsPerSecond: perInvocation,
    consumerConcurrency,
    sqsMessagesPerSecond,
    sqsInFlightMessages: Math.ceil(sqsMessagesPerSecond * batchSeconds),
  };
}

/** The monthly bill of `eventsPerMonth` at the plan's batch size, with the consumer time AWS would bill. */
export function monthlyBill(inputs: PlanInputs): { lines: { component: string; dollars: number }[]; total: number } {
  const costInputs: CostInputs = {
    eventsPerRequest: inputs.eventsPerRequest,
    requestBytesPerEvent: 230,
    queuedEventBytes: 250,
    ingestMemoryMb: 512,
    ingestFixedMillis: inputs.ingestMillisPerRequest - 0.05 * inputs.eventsPerRequest,
    ingestMillisPerEvent: 0.05,
    consumerMemoryMb: 1024,
    consumerMillisPerEvent: 1000 / consumerEventsPerSecond(inputs),
    consumerBatchMessages: 100,
    writeUnitsPerEvent:
      inputs.eventPutWru + inputs.indexWru + inputs.hourlyRollupWru + inputs.dailyRollupWru + inputs.minMaxWru + inputs.cancelledTransactionWru,
    readUnitsPerEvent: inputs.readUnitsPerEvent,
    eventItemBytes: inputs.eventItemBytes,
    eventIndexCopies: 1,
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
  const services = servicePlan(inputs);
  console.log(`Capacity plan: ${fmt(inputs.peakEventsPerSecond)} events/s peak for one account, ${fmt(inputs.eventsPerMonth)} events/month (average ${fmt(averageEventsPerSecond(inputs))}/s)\n`);
  console.log('Services');
  console.log(`  API Gateway: ${fmt(services.apiRequestsPerSecond)} requests/s at ${inputs.eventsPerRequest} events/request (default quota ${fmt(AWS_DEFAULT_QUOTAS.apiGatewayRequestsPerSecond)}/s; single-event requests would need ${fmt(inputs.peakEventsPerSecond)}/s)`);
  console.log(`  Lambda ingest: ${fmt(services.ingestConcurrency)} concurrent at ${inputs.ingestMillisPerRequest} ms/request`);
  console.log(`  Lambda consumer: ${fmt(services.consumerEventsPerSecond)} events/s per invocation -> ${fmt(services.consumerConcurrency)} concurrent (event source maxConcurrency today 20)`);
  console.log(`  SQS: ${fmt(services.sqsMessagesPerSecond)} messages/s, ~${fmt(services.sqsInFlightMessages)} in flight (standard-queue limit ${fmt(AWS_DEFAULT_QUOTAS.sqsStandardInFlightMessages)})`);
  console.log('\nDynamoDB tables');
  for (const table of tablePlans(inputs)) {
    console.log(
      `  ${table.table}: ${fmt(table.writeUnitsPerSecond)} WRU/s, ${fmt(table.readUnitsPerSecond)} RRU/s (table default ${fmt(AWS_DEFAULT_QUOTAS.dynamoDbTableWriteUnitsPerSecond)}), ` +
        `>= ${fmt(table.partitionsForThroughput)} partitions for throughput, ${fmt(table.partitionsForStorage)} for ${fmt(table.storedGb)} GB`,
    );
  }
  console.log(`\nHot partition keys of one meter (limit ${fmt(AWS_DEFAULT_QUOTAS.dynamoDbPartitionWriteUnitsPerSecond)} WCU per partition, planned at ${TARGET_UTILIZATION * 100}%)`);
  for (const key of hotKeys(inputs)) {
    console.log(`  ${key.key}: ${fmt(key.writeUnitsPerSecond)} WRU/s over ${key.todayShards} key(s) = ${fmt(key.perShardWriteUnits)} per key -> ${fmt(key.shardsNeeded)} shards`);
  }
  const item = hotItem(inputs);
  console.log(`\nHottest rollup item (busiest customer ${inputs.hotCustomerShare * 100}% of traffic, ${inputs.hotItemShareOfCustomer * 100}% of it on one item)`);
  console.log(`  ${fmt(item.eventsPerSecond)} events/s, ${fmt(item.eventsPerBatch)} per consumer batch, ${fmt(item.transactionsPerSecond)} transactions/s, ${fmt(item.writeUnitsPerSecond)} WRU/s, offered load ${fmt(item.offeredLoad, 2)} (transactions of ${inputs.transactionMillis} ms)`);
  for (const subShards of [1, 2, 4, 8, 16]) {
    const simulated = simulateConflicts({ transactionsPerSecond: item.transactionsPerSecond, holdMillis: inputs.transactionMillis, subShards, transactions: 20_000, seed: 7 });
    console.log(
      `  ${String(subShards).padStart(2)} writer sub-shard(s): conflict on first try ${fmt(conflictProbability(item.offeredLoad, subShards) * 100, 1)}% (Erlang B), ` +
        `simulated ${fmt(simulated.firstTryConflictRate * 100, 1)}%, ${fmt(simulated.attemptsPerCommit, 2)} attempts per commit, ${fmt(simulated.exhausted)} of 20,000 out of retries`,
    );
  }
  const bill = monthlyBill(inputs);
  console.log(`\nMonthly bill for ${fmt(inputs.eventsPerMonth)} events at ${inputs.eventsPerRequest} events/request (${AWS_LIST_PRICES.region}, ${AWS_LIST_PRICES.asOf})`);
  for (const line of bill.lines) console.log(`  ${line.component}: $${fmt(line.dollars)}`);
  console.log(`  total: $${fmt(bill.total)}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) printPlan(DEFAULT_PLAN_INPUTS);
