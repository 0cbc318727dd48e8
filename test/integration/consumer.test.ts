import { GetCommand, ScanCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSRecord } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import type { QueuedEvent } from '../../functions/domain/events.js';
import type { MeterDefinitionInput } from '../../functions/domain/meters.js';
import { MAX_SLOTS_PER_ITEM } from '../../functions/domain/rollup-items.js';
import { consumeBatch, WholeBatchFailedError } from '../../functions/pipeline/consume-batch.js';
import { AccountConfigCache } from '../../functions/store/account-config-cache.js';
import { eventKey } from '../../functions/store/data-keys.js';
import { EventWriter } from '../../functions/store/event-writer.js';
import { readRollupRows } from '../../functions/store/rollup-reader.js';
import { messageBody, queuedEvent, sqsRecord } from '../support/events.js';
import { testConfigStore, testDocumentClient, testTables, uniqueAccountId } from './support.js';

const ddb = testDocumentClient();
const configStore = testConfigStore();
const tables = { events: testTables.Events, rollups: testTables.Rollups };
const silent = new Logger({ logLevel: 'SILENT' });
const HOUR = Date.UTC(2026, 10, 20, 10);

function dependencies(writer = new EventWriter(ddb, tables, { retentionDays: 90 })) {
  return {
    accounts: new AccountConfigCache((accountId) => configStore.loadAccountConfiguration(accountId), 0),
    writer,
    log: silent,
  };
}

async function setUpAccount(meter: Partial<MeterDefinitionInput> = {}): Promise<string> {
  const accountId = uniqueAccountId('consumer');
  await configStore.createMeter(
    accountId,
    { meterApiName: 'api-calls', displayName: 'API calls', label: 'api-calls', type: 'SUM_OF_ALL_USAGE', dimensions: ['region'], ...meter },
    Date.now(),
  );
  return accountId;
}

async function hourlyRows(accountId: string, meterApiName = 'api-calls') {
  const rows = await readRollupRows(ddb, tables.rollups, {
    accountId,
    meterApiName,
    granularity: 'HOUR',
    fromMillis: Date.UTC(2026, 10, 1),
    toMillis: Date.UTC(2026, 11, 1),
  });
  return rows.sort((a, b) => `${a.customerId}${a.hourStartMillis}${JSON.stringify(a.dimensions)}`.localeCompare(`${b.customerId}${b.hourStartMillis}${JSON.stringify(b.dimensions)}`));
}

async function dailyTotals(accountId: string) {
  const rows = await readRollupRows(ddb, tables.rollups, {
    accountId,
    meterApiName: 'api-calls',
    granularity: 'DAY',
    fromMillis: Date.UTC(2026, 10, 1),
    toMillis: Date.UTC(2026, 11, 1),
  });
  return { sum: rows.reduce((total, row) => total + row.sum, 0), count: rows.reduce((total, row) => total + row.count, 0) };
}

async function storedEvent(accountId: string, event: QueuedEvent) {
  const result = await ddb.send(new GetCommand({ TableName: tables.events, Key: eventKey(accountId, event.meterApiName, event.eventId) }));
  return result.Item;
}

describe('consumer against DynamoDB Local', () => {
  let accountId: string;
  beforeAll(async () => {
    accountId = await setUpAccount();
  });

  it('counts a message into hourly and daily rollups with sum, count, min and max', async () => {
    const account = await setUpAccount();
    const events = [
      queuedEvent({ meterValue: 3, dimensions: { region: 'us', tier: 'pro' } }),
      queuedEvent({ meterValue: 5, dimensions: { region: 'us', tier: 'free' } }),
      queuedEvent({ meterValue: 2, dimensions: { region: 'eu' }, meterTimeInMillis: HOUR + 59 * 60_000 }),
      queuedEvent({ meterValue: 7, customerId: 'customer-2', meterTimeInMillis: HOUR + 3_600_000 }),
    ];
    const response = await consumeBatch([sqsRecord(messageBody(account, events))], dependencies());
    expect(response.batchItemFailures).toEqual([]);
    const rows = await hourlyRows(account);
    expect(rows.map(({ customerId, hourStartMillis, dimensions, sum, count, min, max }) => ({ customerId, hourStartMillis, dimensions, sum, count, min, max }))).toEqual([
      { customerId: 'customer-1', hourStartMillis: HOUR, dimensions: { region: 'eu' }, sum: 2, count: 1, min: 2, max: 2 },
      // `tier` is not declared, so both events share the region=us rollup.
      { customerId: 'customer-1', hourStartMillis: HOUR, dimensions: { region: 'us' }, sum: 8, count: 2, min: 3, max: 5 },
      { customerId: 'customer-2', hourStartMillis: HOUR + 3_600_000, dimensions: {}, sum: 7, count: 1, min: 7, max: 7 },
    ]);
    expect(await dailyTotals(account)).toEqual({ sum: 17, count: 4 });
    expect(await storedEvent(account, events[0]!)).toMatchObject({ status: 'counted', meterValue: 3, dimensions: { region: 'us', tier: 'pro' } });
  });

  it('counts duplicates within a message, across messages of a batch, and across redeliveries once', async () => {
    const account = await setUpAccount();
    const event = queuedEvent({ meterValue: 4 });
    const other = queuedEvent({ meterValue: 6 });
    const first = sqsRecord(messageBody(account, [event, event, other]));
    const second = sqsRecord(messageBody(account, [event]));
    expect((await consumeBatch([first, second], dependencies())).batchItemFailures).toEqual([]);
    // The same message delivered twice more, e.g. after a crash before it was acknowledged.
    for (let delivery = 2; delivery <= 3; delivery++) {
      expect((await consumeBatch([{ ...first, attributes: { ...first.attributes, ApproximateReceiveCount: String(delivery) } }], dependencies())).batchItemFailures).toEqual([]);
    }
    const rows = await hourlyRows(account);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ sum: 10, count: 2, min: 4, max: 6 });
  });

  it('counts a burst of 7 identical requests once', async () => {
    const account = await setUpAccount();
    const events = [queuedEvent({ meterValue: 1 }), queuedEvent({ meterValue: 2 })];
    const records = Array.from({ length: 7 }, () => sqsRecord(messageBody(account, events)));
    await Promise.all(records.map((record) => consumeBatch([record], dependencies())));
    expect(await dailyTotals(account)).toEqual({ sum: 3, count: 2 });
  });

  it('stores filtered events without counting them, and applies a rule added while events flow', async () => {
    const account = await setUpAccount();
    const deps = dependencies();
    await consumeBatch([sqsRecord(messageBody(account, [queuedEvent({ meterValue: 1, dimensions: { region: 'us' } })]))], deps);
    await configStore.putRule(account, { ruleId: 'only-eu', meterApiName: 'api-calls', dimensionName: 'region', dimensionValues: ['eu'], action: 'INCLUDE' }, Date.now());
    const usEvent = queuedEvent({ meterValue: 10, dimensions: { region: 'us' } });
    const euEvent = queuedEvent({ meterValue: 100, dimensions: { region: 'eu' } });
    const noRegion = queuedEvent({ meterValue: 1000 });
    await consumeBatch([sqsRecord(messageBody(account, [usEvent, euEvent, noRegion]))], deps);
    expect(await dailyTotals(account)).toEqual({ sum: 101, count: 2 });
    expect(await storedEvent(account, usEvent)).toMatchObject({ status: 'filtered' });
    expect(await storedEvent(account, noRegion)).toMatchObject({ status: 'filtered' });
    expect(await storedEvent(account, euEvent)).toMatchObject({ status: 'counted' });
  });

  it('applies INCLUDE and EXCLUDE rules together', async () => {
    const account = await setUpAccount();
    await configStore.putRule(account, { meterApiName: 'api-calls', dimensionName: 'region', dimensionValues: ['us', 'eu'], action: 'INCLUDE' }, Date.now());
    await configStore.putRule(account, { meterApiName: 'api-calls', dimensionName: 'tier', dimensionValues: ['internal'], action: 'EXCLUDE' }, Date.now());
    const events = [
      queuedEvent({ meterValue: 1, dimensions: { region: 'us', tier: 'pro' } }),
      queuedEvent({ meterValue: 2, dimensions: { region: 'us', tier: 'internal' } }),
      queuedEvent({ meterValue: 4, dimensions: { region: 'ap', tier: 'pro' } }),
      queuedEvent({ meterValue: 8, dimensions: { region: 'eu' } }),
    ];
    await consumeBatch([sqsRecord(messageBody(account, events))], dependencies());
    expect(await dailyTotals(account)).toEqual({ sum: 9, count: 2 });
  });

  it('records events of a meter that does not exist instead of retrying them', async () => {
    const event = queuedEvent({ meterApiName: 'deleted-meter' });
    const response = await consumeBatch([sqsRecord(messageBody(accountId, [event]))], dependencies());
    expect(response.batchItemFailures).toEqual([]);
    expect(await storedEvent(accountId, event)).toMatchObject({ status: 'unknown-meter' });
  });

  it('reports a corrupt message without holding back the rest of its batch', async () => {
    const account = await setUpAccount();
    const corrupt = sqsRecord('{"not": "an event batch"}', 'corrupt-1');
    const good = sqsRecord(messageBody(account, [queuedEvent({ meterValue: 5 })]));
    const response = await consumeBatch([corrupt, good], dependencies());
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'corrupt-1' }]);
    expect(await dailyTotals(account)).toEqual({ sum: 5, count: 1 });
  });

  it('throws when the whole batch failed', async () => {
    await expect(consumeBatch([sqsRecord('garbage')], dependencies())).rejects.toBeInstanceOf(WholeBatchFailedError);
  });

  it('counts a reused id with a different payload once and flags it', async () => {
    const account = await setUpAccount();
    const original = queuedEvent({ meterValue: 5 });
    await consumeBatch([sqsRecord(messageBody(account, [original]))], dependencies());
    await consumeBatch([sqsRecord(messageBody(account, [{ ...original, meterValue: 500 }]))], dependencies());
    const rows = await hourlyRows(account);
    expect(rows[0]).toMatchObject({ sum: 5, count: 1, min: 5, max: 5 });
    expect(await storedEvent(account, original)).toMatchObject({ meterValue: 5, duplicateConflict: true });
  });

  it('moves MIN and MAX of an existing item in the counting transaction itself', async () => {
    const account = await setUpAccount();
    await consumeBatch([sqsRecord(messageBody(account, [queuedEvent({ meterValue: 3 }), queuedEvent({ meterValue: 9 })]))], dependencies());
    expect((await hourlyRows(account))[0]).toMatchObject({ sum: 12, count: 2, min: 3, max: 9 });
    const record = sqsRecord(messageBody(account, [queuedEvent({ meterValue: 1 }), queuedEvent({ meterValue: 20 })]));
    expect((await consumeBatch([record], dependencies())).batchItemFailures).toEqual([]);
    expect((await hourlyRows(account))[0]).toMatchObject({ sum: 33, count: 4, min: 1, max: 20 });
    expect(await dailyTotals(account)).toEqual({ sum: 33, count: 4 });
  });

  it('sends its transaction again when another writer moved an extreme after it read the item', async () => {
    const account = await setUpAccount();
    await consumeBatch([sqsRecord(messageBody(account, [queuedEvent({ meterValue: 3 }), queuedEvent({ meterValue: 9 })]))], dependencies());
    const competitor = sqsRecord(messageBody(account, [queuedEvent({ meterValue: 50 })]));
    let transactions = 0;
    // The competing batch commits between this writer's read of the rollups and its transaction.
    const interleaved = new Proxy(ddb, {
      get: (target, property, receiver) =>
        property === 'send'
          ? async (command: Parameters<typeof ddb.send>[0]) => {
              if (command instanceof TransactWriteCommand && transactions++ === 0) await consumeBatch([competitor], dependencies());
              return target.send(command);
            }
          : Reflect.get(target, property, receiver),
    });
    const record = sqsRecord(messageBody(account, [queuedEvent({ meterValue: 1 }), queuedEvent({ meterValue: 20 })]));
    expect((await consumeBatch([record], dependencies(new EventWriter(interleaved, tables, { retentionDays: 90 })))).batchItemFailures).toEqual([]);
    expect(transactions).toBe(2);
    expect((await hourlyRows(account))[0]).toMatchObject({ sum: 83, count: 5, min: 1, max: 50 });
  });

  it('gives combinations beyond the room of a customer-hour item items of their own, and counts each once', async () => {
    const account = await setUpAccount();
    const combinations = MAX_SLOTS_PER_ITEM + 4;
    const batch = (value: number) =>
      sqsRecord(messageBody(account, Array.from({ length: combinations }, (_, index) => queuedEvent({ meterValue: value, dimensions: { region: `r${index}` } }))));
    await consumeBatch([batch(1)], dependencies());
    await consumeBatch([batch(2)], dependencies());
    const rows = await hourlyRows(account);
    expect(rows).toHaveLength(combinations);
    for (const row of rows) expect(row).toMatchObject({ sum: 3, count: 2, min: 1, max: 2 });
    const items = (await ddb.send(new ScanCommand({ TableName: tables.rollups, FilterExpression: 'begins_with(pk, :pk)', ExpressionAttributeValues: { ':pk': `RH#${account}#` } }))).Items!;
    expect(items.map((item) => item.sk as string).filter((sk) => sk.endsWith('#*'))).toHaveLength(1);
    expect(items).toHaveLength(1 + combinations - MAX_SLOTS_PER_ITEM);
    expect(await dailyTotals(account)).toEqual({ sum: 3 * combinations, count: 2 * combinations });
  });

  it('keeps events of a large batch within transaction limits and counts them all', async () => {
    const account = await setUpAccount();
    const events: QueuedEvent[] = Array.from({ length: 450 }, (_, index) =>
      queuedEvent({ customerId: `customer-${index % 37}`, meterValue: index, dimensions: { region: index % 2 ? 'us' : 'eu' } }),
    );
    const records: SQSRecord[] = [0, 150, 300].map((start) => sqsRecord(messageBody(account, events.slice(start, start + 150))));
    expect((await consumeBatch(records, dependencies())).batchItemFailures).toEqual([]);
    expect(await dailyTotals(account)).toEqual({ sum: (449 * 450) / 2, count: 450 });
  });
});

describe('consumer at the edges of what ingest accepts', () => {
  it('counts extreme values and the longest customer ids and dimension values without failing', async () => {
    const account = await setUpAccount({ dimensions: ['region', 'plan'] });
    const customerId = '😀'.repeat(128);
    const dimensions = { region: 'é'.repeat(256), plan: '€'.repeat(256) };
    const events = [
      queuedEvent({ customerId, dimensions, meterValue: 1e15 }),
      queuedEvent({ customerId, dimensions, meterValue: 1.2345678901234567e-10 }),
      queuedEvent({ customerId, dimensions, meterValue: -1e15 }),
    ];
    const response = await consumeBatch([sqsRecord(messageBody(account, events))], dependencies());
    expect(response.batchItemFailures).toEqual([]);
    const rows = await readRollupRows(ddb, tables.rollups, {
      accountId: account,
      meterApiName: 'api-calls',
      granularity: 'HOUR',
      fromMillis: HOUR,
      toMillis: HOUR + 3_600_000,
      customerId,
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ customerId, dimensions, count: 3, min: -1e15, max: 1e15 });
    expect(rows[0]!.sum).toBeCloseTo(0, 9);
  });
});

describe('consumer batch counts', () => {
  it('reports counted, filtered, unknown-meter, duplicate and conflicting events for the metrics', async () => {
    const account = await setUpAccount();
    await configStore.putRule(account, { meterApiName: 'api-calls', dimensionName: 'region', dimensionValues: ['internal'], action: 'EXCLUDE' }, Date.now());
    const stored = queuedEvent({ meterValue: 1 });
    await consumeBatch([sqsRecord(messageBody(account, [stored]))], dependencies());
    const counted = queuedEvent();
    const counts: unknown[] = [];
    await consumeBatch(
      [
        sqsRecord(messageBody(account, [counted, counted, queuedEvent({ dimensions: { region: 'internal' } }), queuedEvent({ meterApiName: 'gone' })])),
        sqsRecord(messageBody(account, [{ ...stored, meterValue: 2 }])),
        sqsRecord('corrupt', 'corrupt-2'),
      ],
      { ...dependencies(), onCounts: (batch) => counts.push(batch) },
    );
    expect(counts).toEqual([{ counted: 1, filtered: 1, unknownMeter: 1, duplicates: 2, conflicts: 1, failedMessages: 1 }]);
  });
});

describe('conflicts inside one batch', () => {
  it('flags an id reused with another payload in the same batch, counting the first payload once', async () => {
    const account = await setUpAccount();
    const first = queuedEvent({ meterValue: 5 });
    const counts: { conflicts: number }[] = [];
    await consumeBatch(
      [sqsRecord(messageBody(account, [first])), sqsRecord(messageBody(account, [{ ...first, meterValue: 50 }, { ...first, meterValue: 50 }]))],
      { ...dependencies(), onCounts: (batch) => counts.push(batch) },
    );
    expect(counts.map((batch) => batch.conflicts)).toEqual([1]);
    expect((await hourlyRows(account))[0]).toMatchObject({ sum: 5, count: 1 });
    expect(await storedEvent(account, first)).toMatchObject({ meterValue: 5, duplicateConflict: true });
  });
});

describe('meters created a moment ago', () => {
  it('counts the first events of a meter the cached configuration did not know yet', async () => {
    const account = await setUpAccount();
    const deps = { ...dependencies(), accounts: new AccountConfigCache((id) => configStore.loadAccountConfiguration(id), 60_000) };
    await consumeBatch([sqsRecord(messageBody(account, [queuedEvent()]))], deps);
    await configStore.createMeter(account, { meterApiName: 'storage', displayName: 'Storage', label: 'storage', type: 'SUM_OF_ALL_USAGE', dimensions: [] }, Date.now());
    const event = queuedEvent({ meterApiName: 'storage', meterValue: 7 });
    await consumeBatch([sqsRecord(messageBody(account, [event]))], deps);
    expect(await storedEvent(account, event)).toMatchObject({ status: 'counted' });
    expect((await hourlyRows(account, 'storage'))[0]).toMatchObject({ sum: 7, count: 1 });
  });
});
