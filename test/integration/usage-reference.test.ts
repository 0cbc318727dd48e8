import type { Context, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PIPELINE_SETTINGS } from '../../lib/pipeline-settings.js';
import type { Gateway } from '../../local/gateway.js';
import { startPoller, type Poller } from '../../local/poller.js';
import { LOCAL_QUEUE_REGION, queueDepth } from '../../local/queue.js';
import { apiClient, createApiKey, eventually, ingestQueueUrl, startTestGateway, testSqsClient, uniqueAccountId, type ApiClient } from './support.js';

/**
 * The whole read path against a brute-force reference: random events (several customers,
 * dimensions, duplicates, three meter types, timestamps over two DST changes and month ends) go
 * through POST /ingest, the queue and the consumer; sampled combinations of aggregation x
 * interval x groupBy x filter x time zone x request shape are then answered by POST /usage and
 * compared with an answer computed directly from the unique events.
 */

/** Small, seeded, good enough to sample combinations reproducibly. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)), pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]! };
}

const WINDOW_START = Date.UTC(2026, 1, 20);
const WINDOW_END = Date.UTC(2026, 3, 10);
const METERS = [
  { meterApiName: 'calls', type: 'SUM_OF_ALL_USAGE', dimensions: ['region', 'tier'] },
  { meterApiName: 'peak', type: 'MAX_IN_PERIOD', dimensions: ['region'] },
  { meterApiName: 'actives', type: 'UNIQUE_CUSTOMERS_COUNT', dimensions: ['region'] },
] as const;

interface SentEvent {
  meterApiName: string;
  customerId: string;
  meterValue: number;
  meterTimeInMillis: number;
  uniqueId: string;
  dimensions: Record<string, string>;
}

const localParts = (timeMillis: number, timeZone: string) => {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', weekday: 'short', hourCycle: 'h23' })
      .formatToParts(new Date(timeMillis))
      .map((part) => [part.type, part.value]),
  );
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), weekday: parts.weekday as string };
};

/** The bucket an instant falls in, named independently of the code under test. */
function bucketLabel(timeMillis: number, interval: string, timeZone: string): string {
  if (interval === 'HOUR') return String(Math.floor(timeMillis / 3_600_000));
  const { year, month, day, weekday } = localParts(timeMillis, timeZone);
  if (interval === 'DAY') return `${year}-${month}-${day}`;
  if (interval === 'MONTH') return `${year}-${month}`;
  const back = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(weekday);
  const monday = new Date(Date.UTC(year, month - 1, day - back));
  return `${monday.getUTCFullYear()}-${monday.getUTCMonth() + 1}-${monday.getUTCDate()}`;
}

/** Each seed is its own dataset and its own sample of query combinations; TALLY_REFERENCE_SEEDS adds more. */
const SEEDS = (process.env.TALLY_REFERENCE_SEEDS ?? '20261122,7').split(',').map(Number);
const COMBINATIONS_PER_SEED = 70;

describe.each(SEEDS)('usage queries against a brute-force reference, seed %i', (seed) => {
  const accountId = uniqueAccountId('reference');
  const rng = random(seed);
  let gateway: Gateway;
  let poller: Poller;
  let api: ApiClient;
  let unique: SentEvent[] = [];
  const sqs = testSqsClient();
  const latenessBefore = process.env.TALLY_LATENESS_LIMIT_DAYS;

  beforeAll(async () => {
    // The dataset lies in early 2026 on purpose (two DST changes); let ingest accept it.
    process.env.TALLY_LATENESS_LIMIT_DAYS = '3650';
    gateway = await startTestGateway();
    api = apiClient(gateway.url, (await createApiKey(accountId)).apiKey);
    for (const meter of METERS) {
      expect((await api.post('/meter-definition', { ...meter, displayName: meter.meterApiName })).status).toBe(200);
    }
    const consumer = (await import('../../functions/consumer.js')).handler as (event: SQSEvent, context: Context) => Promise<unknown>;
    const url = ingestQueueUrl();
    const name = url.split('/').pop()!;
    poller = startPoller({
      client: sqs,
      queue: { name, url, arn: `arn:aws:sqs:${LOCAL_QUEUE_REGION}:000000000000:${name}` },
      region: LOCAL_QUEUE_REGION,
      handler: consumer as never,
      batchSize: 10,
      batchingWindowMillis: 50,
      visibilityTimeoutSeconds: 5,
      handlerTimeoutMillis: DEFAULT_PIPELINE_SETTINGS.consumerTimeoutSeconds * 1000,
      maxReceiveCount: 5,
      waitTimeSeconds: 1,
    });

    unique = Array.from({ length: 400 }, (_, index) => {
      const meter = rng.pick(METERS);
      const region = rng.pick(['us', 'eu', 'ap', undefined]);
      const tier = rng.pick(['free', 'pro', undefined]);
      return {
        meterApiName: meter.meterApiName,
        customerId: `customer-${rng.int(0, 6)}`,
        meterValue: rng.int(-3, 20),
        meterTimeInMillis: rng.int(WINDOW_START, WINDOW_END - 1),
        uniqueId: `event-${index}`,
        dimensions: { ...(region ? { region } : {}), ...(tier ? { tier } : {}) },
      };
    });
    // Client retries resend some events: the same uniqueId and payload again.
    const sent = [...unique, ...unique.filter(() => rng.next() < 0.1)];
    for (let start = 0; start < sent.length; start += 100) {
      const response = await api.post('/ingest', sent.slice(start, start + 100));
      expect(response.status, response.text).toBe(200);
    }
    const expectedCount = unique.filter((event) => event.meterApiName === 'calls').length;
    await eventually(async () => {
      const response = await api.post('/usage', {
        meterApiName: 'calls',
        startTimeInSeconds: WINDOW_START / 1000,
        endTimeInSeconds: WINDOW_END / 1000,
        aggregation: 'COUNT',
        timeGroupingInterval: 'MONTH',
      });
      const total = Object.values(response.body.clientMeters.calls[0].records as Record<string, number>[]).reduce(
        (sum, record) => sum + Object.values(record)[0]!,
        0,
      );
      return total === expectedCount ? true : undefined;
    }, 60_000);
    // Counts are visible at commit; MIN/MAX land just after it, before the message is deleted.
    await eventually(async () => {
      const depth = await queueDepth(sqs, ingestQueueUrl());
      return depth.visible + depth.inFlight === 0 ? true : undefined;
    }, 60_000);
  }, 240_000);

  afterAll(async () => {
    await poller?.stop();
    await gateway?.close();
    if (latenessBefore === undefined) delete process.env.TALLY_LATENESS_LIMIT_DAYS;
    else process.env.TALLY_LATENESS_LIMIT_DAYS = latenessBefore;
  });

  function reference(query: {
    meter: (typeof METERS)[number];
    aggregation: string;
    interval: string;
    timeZone: string;
    groupBy: string[];
    customerFilter?: string[];
    filter?: Record<string, string[]>;
    labels: string[];
  }) {
    const labels = new Set(query.labels);
    const groups = new Map<string, { groupInfo: Record<string, string>; events: SentEvent[] }>();
    for (const event of unique) {
      if (event.meterApiName !== query.meter.meterApiName) continue;
      if (!labels.has(bucketLabel(event.meterTimeInMillis, query.interval, query.timeZone))) continue;
      if (query.customerFilter && !query.customerFilter.includes(event.customerId)) continue;
      const declared = Object.fromEntries(Object.entries(event.dimensions).filter(([name]) => (query.meter.dimensions as readonly string[]).includes(name)));
      const fields: Record<string, string | undefined> = { ...declared, customerId: event.customerId };
      if (Object.entries(query.filter ?? {}).some(([name, values]) => !values.includes(fields[name] ?? '\u0000'))) continue;
      const groupInfo = Object.fromEntries(query.groupBy.filter((key) => fields[key] !== undefined).map((key) => [key, fields[key]!]));
      const key = JSON.stringify(groupInfo);
      const group = groups.get(key) ?? { groupInfo, events: [] };
      group.events.push(event);
      groups.set(key, group);
    }
    const measure = (events: SentEvent[]) => {
      if (events.length === 0) return 0;
      if (query.meter.type === 'UNIQUE_CUSTOMERS_COUNT') return new Set(events.map((event) => event.customerId)).size;
      const values = events.map((event) => event.meterValue);
      switch (query.aggregation) {
        case 'SUM': return values.reduce((a, b) => a + b, 0);
        case 'COUNT': return values.length;
        case 'MAX': return Math.max(...values);
        default: return Math.min(...values);
      }
    };
    if (query.groupBy.length === 0 && groups.size === 0) groups.set('{}', { groupInfo: {}, events: [] });
    return new Map(
      [...groups].map(([key, group]) => [
        key,
        {
          total: measure(group.events),
          values: query.labels.map((label) => measure(group.events.filter((event) => bucketLabel(event.meterTimeInMillis, query.interval, query.timeZone) === label))),
        },
      ]),
    );
  }

  it('answers every sampled combination exactly like the reference, in both response shapes', async () => {
    for (let index = 0; index < COMBINATIONS_PER_SEED; index++) {
      const meter = rng.pick(METERS);
      const interval = rng.pick(['HOUR', 'DAY', 'WEEK', 'MONTH']);
      const aggregation = rng.pick(['SUM', 'MAX', 'MIN', 'COUNT']);
      const timeZone = interval === 'HOUR' ? 'UTC' : rng.pick(['UTC', 'Europe/Berlin', 'America/New_York']);
      const groupBy = rng.pick([[], ['customerId'], ['region'], ['customerId', 'region'], ...(meter.dimensions.length > 1 ? [['tier', 'region']] : [])]);
      const filterChoice = rng.pick(['none', 'region', 'customers', 'customerKey']);
      const customerFilter = filterChoice === 'customers' ? ['customer-1', 'customer-4'] : undefined;
      const filter: Record<string, string[]> | undefined =
        filterChoice === 'region' ? { region: ['us', 'ap'] } : filterChoice === 'customerKey' ? { customerId: ['customer-2'] } : undefined;
      const startMillis = rng.int(WINDOW_START - 2 * 86_400_000, WINDOW_END - 86_400_000);
      const span = interval === 'HOUR' ? rng.int(1, 72) * 3_600_000 : rng.int(1, 60) * 86_400_000;
      const startTimeInSeconds = Math.floor(startMillis / 1000);
      const endTimeInSeconds = Math.floor((startMillis + span) / 1000);
      const report = rng.next() < 0.5;
      const body = {
        meterApiName: meter.meterApiName,
        ...(report ? { timeRange: { startTimeInSeconds, endTimeInSeconds } } : { startTimeInSeconds, endTimeInSeconds }),
        aggregation: report ? aggregation.toLowerCase() : aggregation,
        timeGroupingInterval: interval,
        groupBy,
        ...(customerFilter ? { customerFilter } : {}),
        ...(filter ? { filter } : {}),
        ...(timeZone === 'UTC' ? {} : { timeZone }),
      };
      const response = await api.post('/usage', body);
      const context = JSON.stringify(body);
      expect(response.status, `${context} -> ${response.text}`).toBe(200);

      let bucketStarts: number[];
      let actual: Map<string, { total?: number; values: number[] }>;
      if (report) {
        bucketStarts = response.body.secondsSinceEpochIntervals;
        actual = new Map(
          response.body.clientMeters.map((group: { group: { groupInfo: Record<string, string> } | null; groupValue: number; values: { value: number }[] }) => [
            JSON.stringify(group.group?.groupInfo ?? {}),
            { total: group.groupValue, values: group.values.map((value) => value.value) },
          ]),
        );
      } else {
        const series = response.body.clientMeters[meter.meterApiName] as { groupInfo: Record<string, string>; records: Record<string, number>[] }[];
        bucketStarts = series.length > 0 ? series[0]!.records.map((record) => Number(Object.keys(record)[0])) : [];
        actual = new Map(series.map((group) => [JSON.stringify(group.groupInfo), { values: group.records.map((record) => Object.values(record)[0]!) }]));
      }
      if (bucketStarts.length === 0) {
        expect(actual.size, context).toBe(0);
        continue;
      }
      const labels = bucketStarts.map((start) => bucketLabel(start * 1000, interval, timeZone));
      // Buckets are consecutive and cover the requested range: the first holds the start, the last the end.
      expect(new Set(labels).size, context).toBe(labels.length);
      expect(labels[0], context).toBe(bucketLabel(startTimeInSeconds * 1000, interval, timeZone));
      expect(labels.at(-1), context).toBe(bucketLabel(endTimeInSeconds * 1000 - 1, interval, timeZone));
      const expected = reference({ meter, aggregation, interval, timeZone, groupBy, customerFilter, filter, labels });
      const comparable = new Map([...expected].map(([key, value]) => [key, report ? value : { values: value.values }]));
      expect(actual, context).toEqual(comparable);
    }
  }, 240_000);
});
