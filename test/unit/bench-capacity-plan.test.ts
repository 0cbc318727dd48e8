import { describe, expect, it } from 'vitest';
import {
  conflictProbability,
  consumerEventsPerSecond,
  DEFAULT_PLAN_INPUTS,
  hotItem,
  hotKeys,
  monthlyBill,
  nextPowerOfTwo,
  servicePlan,
  shardsFor,
  simulateConflicts,
  tablePlans,
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
});

describe('servicePlan', () => {
  it('derives API requests, Lambda concurrency and SQS messages from the peak rate', () => {
    const plan = servicePlan(inputs);
    expect(plan.apiRequestsPerSecond).toBe(1_000);
    expect(plan.ingestConcurrency).toBe(30);
    expect(plan.consumerConcurrency).toBe(Math.ceil(100_000 / consumerEventsPerSecond(inputs)));
    expect(plan.sqsMessagesPerSecond).toBe(1_000);
  });

  it('needs more consumers when the MIN/MAX step sends more updates per event', () => {
    expect(servicePlan({ ...inputs, minMaxUpdatesPerEvent: 3 }).consumerConcurrency).toBeGreaterThan(servicePlan(inputs).consumerConcurrency);
  });
});

describe('tablePlans and hotKeys', () => {
  it('spreads each table part over the partitions its write units need', () => {
    const [events, index, rollups] = tablePlans(inputs);
    const withInputs = tablePlans({ ...inputs, cancelledTransactionWru: 0.5, hourlyRollupWru: 1, dailyRollupWru: 1, minMaxWru: 1 });
    expect(withInputs[0]!.writeUnitsPerSecond).toBeCloseTo(225_000, 6);
    expect(withInputs[0]!.partitionsForThroughput).toBe(225);
    expect(withInputs[1]!.writeUnitsPerSecond).toBe(100_000);
    expect(withInputs[2]!.writeUnitsPerSecond).toBeCloseTo(325_000, 6);
    expect(events!.storedGb).toBe(index!.storedGb);
    expect(rollups!.readUnitsPerSecond).toBeCloseTo(100_000 * inputs.readUnitsPerEvent, 6);
  });

  it('finds the time index key of one meter and day far over a partition, and sizes its shards', () => {
    const [timeIndex] = hotKeys(inputs);
    expect(timeIndex!.perShardWriteUnits).toBe(100_000);
    expect(timeIndex!.shardsNeeded).toBe(256);
  });
});

describe('hotItem', () => {
  it('counts the transactions per second that touch the busiest rollup item', () => {
    const item = hotItem(inputs);
    expect(item.eventsPerSecond).toBeCloseTo(3_900, 6);
    // 390 events per batch need 4 transactions of at most 98 events; 10 batches per second.
    expect(item.transactionsPerSecond).toBe(40);
    expect(item.offeredLoad).toBeCloseTo(2, 6);
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
    const { eventPutWru, indexWru, hourlyRollupWru, dailyRollupWru, minMaxWru, cancelledTransactionWru } = inputs;
    expect(writes).toBeCloseTo(1_000 * (eventPutWru + indexWru + hourlyRollupWru + dailyRollupWru + minMaxWru + cancelledTransactionWru) * 0.625, 6);
    expect(writes / bill.total).toBeGreaterThan(0.5);
  });
});
