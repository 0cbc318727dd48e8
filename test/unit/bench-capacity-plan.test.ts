import { describe, expect, it } from 'vitest';
import {
  batchPacking,
  conflictProbability,
  consumerEventsPerSecond,
  consumerMillisPerEvent,
  DEFAULT_PLAN_INPUTS,
  everyBatchItem,
  hotItem,
  hotItems,
  hotKeys,
  hotRollupReads,
  monthlyBill,
  nextPowerOfTwo,
  readShardsFor,
  servicePlan,
  shardsFor,
  simulateConflicts,
  tablePlans,
  writeUnitsPerEvent,
} from '../../bench/capacity-plan.js';

const inputs = DEFAULT_PLAN_INPUTS;

describe('shardsFor', () => {
  it('keeps every key under the planned share of 1,000 WCU, in a power of two', () => {
    expect(shardsFor(500)).toBe(1);
    expect(shardsFor(700)).toBe(1);
    expect(shardsFor(701)).toBe(2);
    expect(shardsFor(100_000)).toBe(256);
    expect(nextPowerOfTwo(129)).toBe(256);
  });

  it('does the same for reads against 3,000 RCU', () => {
    expect(readShardsFor(2_100)).toBe(1);
    expect(readShardsFor(34_000)).toBe(32);
  });
});

describe('consumerMillisPerEvent', () => {
  it('adds the steps of one invocation, each divided by the requests it has in flight', () => {
    const time = consumerMillisPerEvent(inputs);
    expect(time.total).toBeCloseTo(time.storedEventReads + time.rollupReads + time.transactions, 10);
    expect(time.storedEventReads).toBeCloseTo((0.01 * inputs.batchGetMillis) / inputs.transactionsInFlight, 10);
    expect(time.transactions).toBeCloseTo((inputs.transactionsPerEvent * inputs.transactionMillis) / inputs.transactionsInFlight, 10);
    expect(time.rollupReads).toBeCloseTo((inputs.rollupReadsPerEvent * inputs.batchGetMillis) / inputs.transactionsInFlight, 10);
    expect(consumerEventsPerSecond(inputs)).toBeCloseTo(1000 / time.total, 6);
  });
});

describe('servicePlan', () => {
  it('derives API requests, Lambda concurrency and SQS messages from the peak rate', () => {
    const plan = servicePlan(inputs);
    expect(plan.apiRequestsPerSecond).toBe(1_000);
    // 1,000 requests/s of 20.1 ms + 100 x 11.4 µs.
    expect(plan.ingestConcurrency).toBe(22);
    expect(plan.singleEventIngestConcurrency).toBe(2_015);
    expect(plan.consumerConcurrency).toBe(Math.ceil(100_000 / consumerEventsPerSecond(inputs)));
    expect(plan.consumerMaxConcurrencySetting).toBeGreaterThanOrEqual(plan.consumerConcurrency * 1.5);
    expect(plan.sqsMessagesPerSecond).toBe(1_000);
  });

  it('needs more consumers when the rollup reads take more requests per event', () => {
    expect(servicePlan({ ...inputs, rollupReadsPerEvent: 0.05 }).consumerConcurrency).toBeGreaterThan(servicePlan(inputs).consumerConcurrency);
  });
});

describe('tablePlans and hotKeys', () => {
  it('spreads each table part over the partitions its write units need', () => {
    const withInputs = tablePlans({ ...inputs, eventPutWru: 2.5, pageWru: 0.5, hourlyRollupWru: 1, customerDayRollupWru: 0.5 });
    expect(withInputs.map((plan) => plan.table)).toEqual(['Events', 'Rollups']);
    expect(withInputs[0]!.writeUnitsPerSecond).toBeCloseTo(300_000, 6);
    expect(withInputs[0]!.partitionsForThroughput).toBe(300);
    expect(withInputs[1]!.writeUnitsPerSecond).toBeCloseTo(150_000, 6);
  });

  it('stores event items and their pages, each item with its overhead', () => {
    const [events] = tablePlans(inputs);
    const [withoutPages] = tablePlans({ ...inputs, pagesPerEvent: 0, pageBytesPerEvent: 0 });
    const perEvent = inputs.eventItemBytes + 100 + inputs.pageBytesPerEvent + inputs.pagesPerEvent * 100;
    expect(events!.storedGb / withoutPages!.storedGb).toBeCloseTo(perEvent / (inputs.eventItemBytes + 100), 10);
  });

  it('puts the stored-event read on the Events table and the rest of the reads on the rollups', () => {
    const [events, rollups] = tablePlans(inputs);
    expect(events!.readUnitsPerSecond).toBeCloseTo(100_000 * inputs.storedEventReadRru, 6);
    expect(rollups!.readUnitsPerSecond).toBeCloseTo(100_000 * (inputs.readUnitsPerEvent - inputs.storedEventReadRru), 6);
    expect(hotRollupReads(inputs).readUnitsPerSecond).toBeCloseTo(rollups!.readUnitsPerSecond, 6);
  });

  it('sizes the event page key of one meter and day by the page write units alone', () => {
    const [pages] = hotKeys(inputs);
    expect(pages!.key).toMatch(/^event pages: EP#/);
    expect(pages!.perShardWriteUnits).toBeCloseTo(100_000 * inputs.pageWru, 6);
    expect(hotKeys({ ...inputs, pageWru: 1 })[0]!.shardsNeeded).toBe(256);
  });

  it('puts the rollup units of each granularity on its own keys, sharded to stay under the partition limit', () => {
    const [, hourly, customerDay] = hotKeys(inputs);
    expect(hourly!.writeUnitsPerSecond).toBeCloseTo(100_000 * inputs.hourlyRollupWru, 6);
    expect(customerDay!.writeUnitsPerSecond).toBeCloseTo(100_000 * inputs.customerDayRollupWru, 6);
    for (const key of [hourly!, customerDay!]) {
      expect(key.writeUnitsPerSecond / key.shardsNeeded).toBeLessThanOrEqual(700);
      expect(key.writeUnitsPerSecond / (key.shardsNeeded / 2)).toBeGreaterThan(700);
    }
  });
});

describe('hotItems', () => {
  it('counts the transactions per second that touch the busiest rollup items', () => {
    const [customerDay, hourly] = hotItems(inputs);
    // Every event of the busiest customer: 1,300 per batch need 14 transactions of at most 98 events; 10 batches per second.
    expect(hotItem(inputs)).toEqual(customerDay);
    expect(customerDay!.eventsPerSecond).toBeCloseTo(13_000, 6);
    expect(customerDay!.transactionsPerSecond).toBe(140);
    expect(customerDay!.offeredLoad).toBeCloseTo(7, 6);
    // All of them on its customer-hour item, which holds its dimension combinations: as hot.
    expect(hourly!.eventsPerSecond).toBeCloseTo(13_000, 6);
    expect(hourly!.transactionsPerSecond).toBe(140);
    expect(hotItems({ ...inputs, hotHourlyItemShareOfCustomer: 0.3 })[1]!.transactionsPerSecond).toBe(40);
  });
});

describe('everyBatchItem', () => {
  it('takes one transaction per consumer batch: 10 a second at the peak', () => {
    const item = everyBatchItem(inputs);
    expect(item.transactionsPerSecond).toBe(10);
    expect(item.offeredLoad).toBeCloseTo(0.5, 6);
  });
});

describe('batchPacking', () => {
  it('counts transactions that share a rollup item with the one packed before them', () => {
    const sharing = batchPacking(1_000, 2);
    expect(sharing.batches).toBe(2);
    expect(sharing.customersPerBatch).toBeGreaterThan(1);
    expect(sharing.customersPerBatch).toBeLessThanOrEqual(1_000);
    expect(sharing.transactions).toBeGreaterThan(2);
    expect(sharing.sharingWithPrevious).toBeLessThanOrEqual(sharing.transactions - sharing.batches);
    expect(sharing.sharingCustomerDayItem).toBeLessThanOrEqual(sharing.sharingWithPrevious);
    expect(sharing.sharingCustomerDayItem).toBeGreaterThan(0);
  });
});

describe('conflicts on a hot item', () => {
  it('falls with more writer sub-shards (Erlang B per sub-shard)', () => {
    expect(conflictProbability(2, 1)).toBeCloseTo(2 / 3, 10);
    expect(conflictProbability(2, 8)).toBeCloseTo(0.2, 10);
  });

  it('simulates about the Erlang B rate at light load, and fewer retries with sub-shards', () => {
    const light = simulateConflicts({ transactionsPerSecond: 2, holdMillis: 50, subShards: 1, transactions: 20_000, seed: 3 });
    expect(light.firstTryConflictRate).toBeGreaterThan(conflictProbability(0.1, 1) * 0.8);
    expect(light.firstTryConflictRate).toBeLessThan(conflictProbability(0.1, 1) * 1.3);
    const hot = { transactionsPerSecond: 40, holdMillis: 50, transactions: 5_000, seed: 3 };
    const single = simulateConflicts({ ...hot, subShards: 1 });
    const sharded = simulateConflicts({ ...hot, subShards: 16 });
    expect(sharded.attemptsPerCommit).toBeLessThan(single.attemptsPerCommit);
    expect(sharded.exhausted).toBeLessThan(single.exhausted);
  });

  it('is deterministic for a seed', () => {
    const options = { transactionsPerSecond: 40, holdMillis: 50, subShards: 4, transactions: 2_000, seed: 9 };
    expect(simulateConflicts(options)).toEqual(simulateConflicts(options));
  });
});

describe('monthlyBill', () => {
  it('scales the per-million cost to the month and is dominated by DynamoDB writes', () => {
    const bill = monthlyBill(inputs);
    const writes = bill.lines.find((line) => line.component === 'DynamoDB writes')!.dollars;
    const { eventPutWru, pageWru, hourlyRollupWru, customerDayRollupWru } = inputs;
    expect(writeUnitsPerEvent(inputs)).toBeCloseTo(eventPutWru + pageWru + hourlyRollupWru + customerDayRollupWru, 10);
    expect(writes).toBeCloseTo(1_000 * writeUnitsPerEvent(inputs) * 0.625, 6);
    expect(writes / bill.total).toBeGreaterThan(0.5);
  });
});
