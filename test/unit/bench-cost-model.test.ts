import { describe, expect, it } from 'vitest';
import { AWS_LIST_PRICES, costPerMillionEvents, eventsPerMessage, ingestDurationOnLambda, totalDollars, type CostInputs } from '../../bench/cost-model.js';

const inputs: CostInputs = {
  eventsPerRequest: 100,
  requestBytesPerEvent: 200,
  queuedEventBytes: 250,
  ingestMemoryMb: 512,
  ingestFixedMillis: 25,
  ingestMillisPerEvent: 0.05,
  consumerMemoryMb: 1024,
  consumerMillisPerEvent: 1,
  consumerBatchMessages: 100,
  writeUnitsPerEvent: 3,
  readUnitsPerEvent: 0.5,
  eventItemBytes: 412,
  pagesPerEvent: 0.1,
  pageBytesPerEvent: 20,
  retentionDays: 90,
  pointInTimeRecovery: false,
};

const line = (lines: ReturnType<typeof costPerMillionEvents>, component: string) => lines.find((entry) => entry.component === component)!.dollars;

describe('costPerMillionEvents', () => {
  it('charges one API Gateway request per client request below 512 KB', () => {
    expect(line(costPerMillionEvents(inputs), 'API Gateway HTTP API')).toBeCloseTo(10_000 / 1e6, 10);
    expect(line(costPerMillionEvents({ ...inputs, eventsPerRequest: 1 }), 'API Gateway HTTP API')).toBeCloseTo(1, 10);
    // 3,000 events of 200 B = 586 KB: two metered requests each.
    expect(line(costPerMillionEvents({ ...inputs, eventsPerRequest: 3_000 }), 'API Gateway HTTP API')).toBeCloseTo((2 * 1e6) / 3_000 / 1e6, 10);
  });

  it('charges DynamoDB writes and reads at the on-demand unit prices', () => {
    const lines = costPerMillionEvents(inputs);
    expect(line(lines, 'DynamoDB writes')).toBeCloseTo(3 * AWS_LIST_PRICES.dynamoDbPerMillionWriteUnits, 10);
    expect(line(lines, 'DynamoDB reads')).toBeCloseTo(0.5 * AWS_LIST_PRICES.dynamoDbPerMillionReadUnits, 10);
  });

  it('charges the consumer for its measured time and one request per invocation', () => {
    // 1M events x 1 ms at 1 GB = 1,000 GB-s; 10,000 messages / 100 per invocation = 100 invocations.
    expect(line(costPerMillionEvents(inputs), 'Lambda consumer')).toBeCloseTo(1_000 * AWS_LIST_PRICES.lambdaArmPerGbSecond + (100 / 1e6) * 0.2, 10);
  });

  it('bills SQS per 64 KB chunk and per call of up to 10 messages', () => {
    // 10,000 messages of 25 KB: 10,000 sends, 10,000 receive chunks, 1,000 deletes.
    expect(line(costPerMillionEvents(inputs), 'SQS requests')).toBeCloseTo((21_000 / 1e6) * 0.4, 10);
  });

  it('stores each event and its share of event pages, each item with its overhead, for the retention period', () => {
    const storage = line(costPerMillionEvents(inputs), 'DynamoDB storage');
    // 412 + 100 B per event item, plus 20 B of pages and a tenth of a page's 100 B overhead.
    const expected = ((1e6 * (512 + 20 + 10)) / 2 ** 30) * (90 / (365.25 / 12)) * 0.25;
    expect(storage).toBeCloseTo(expected, 10);
    const withoutPages = line(costPerMillionEvents({ ...inputs, pagesPerEvent: 0, pageBytesPerEvent: 0 }), 'DynamoDB storage');
    expect(withoutPages).toBeCloseTo((expected * 512) / 542, 10);
  });

  it('adds PITR only when it is on, and totals every line', () => {
    expect(costPerMillionEvents(inputs).some((entry) => entry.component === 'DynamoDB PITR')).toBe(false);
    const lines = costPerMillionEvents({ ...inputs, pointInTimeRecovery: true });
    // Pages are table data, so PITR covers exactly what storage holds.
    expect(line(lines, 'DynamoDB PITR') / line(lines, 'DynamoDB storage')).toBeCloseTo(AWS_LIST_PRICES.dynamoDbPitrPerGbMonth / AWS_LIST_PRICES.dynamoDbStoragePerGbMonth, 10);
    expect(totalDollars(lines)).toBeCloseTo(lines.reduce((total, entry) => total + entry.dollars, 0), 12);
  });

  it('costs less per event with larger client batches', () => {
    const total = (eventsPerRequest: number) => totalDollars(costPerMillionEvents({ ...inputs, eventsPerRequest }));
    expect(total(1)).toBeGreaterThan(total(100));
    expect(total(100)).toBeGreaterThan(total(1_000));
  });
});

describe('eventsPerMessage', () => {
  it('keeps a request in one message unless it would pass 1 MiB', () => {
    expect(eventsPerMessage({ eventsPerRequest: 100, queuedEventBytes: 250 })).toBe(100);
    expect(eventsPerMessage({ eventsPerRequest: 10_000, queuedEventBytes: 250 })).toBe(4_194);
  });
});

describe('ingestDurationOnLambda', () => {
  it('stretches the measured work by the CPU share of the memory and adds the send round trip', () => {
    // 512 MB buys 512 / 1,769 of a vCPU: CPU-bound work takes 3.455x longer than on a full core.
    const duration = ingestDurationOnLambda({ fixedMillis: 1, millisPerEvent: 0.01 }, 512, 20);
    expect(duration.fixedMillis).toBeCloseTo(20 + 1769 / 512, 10);
    expect(duration.millisPerEvent).toBeCloseTo((0.01 * 1769) / 512, 10);
  });

  it('never makes the work faster than a full core at or above one vCPU of memory', () => {
    expect(ingestDurationOnLambda({ fixedMillis: 1, millisPerEvent: 0.01 }, 3_008, 0)).toEqual({ fixedMillis: 1, millisPerEvent: 0.01 });
  });
});
