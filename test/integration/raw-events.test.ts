import { Logger } from '@aws-lambda-powertools/logger';
import { DeleteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { QueuedEvent } from '../../functions/domain/events.js';
import { consumeBatch } from '../../functions/pipeline/consume-batch.js';
import { AccountConfigCache } from '../../functions/store/account-config-cache.js';
import { eventKey } from '../../functions/store/data-keys.js';
import { EventWriter } from '../../functions/store/event-writer.js';
import { getRawEvent, listRawEvents, type RawEventPosition, type RawEventQuery } from '../../functions/store/raw-events.js';
import { messageBody, queuedEvent, sqsRecord } from '../support/events.js';
import { testConfigStore, testDocumentClient, testTables, uniqueAccountId } from './support.js';

const ddb = testDocumentClient();
const configStore = testConfigStore();
const START = Date.UTC(2026, 9, 30, 20);

/** Creates the account's meter and the consumer that stores its events. */
async function consumerFor(accountId: string) {
  await configStore.createMeter(accountId, { meterApiName: 'api-calls', displayName: 'API', label: 'api-calls', type: 'SUM_OF_ALL_USAGE', dimensions: [] }, Date.now());
  return {
    accounts: new AccountConfigCache((id) => configStore.loadAccountConfiguration(id)),
    writer: new EventWriter(ddb, { events: testTables.Events, rollups: testTables.Rollups }, { retentionDays: 90 }),
    log: new Logger({ logLevel: 'SILENT' }),
  };
}

describe('raw event listing on DynamoDB Local', () => {
  const accountId = uniqueAccountId('raw');
  const events: QueuedEvent[] = Array.from({ length: 23 }, (_, index) =>
    queuedEvent({
      customerId: `c${index % 3}`,
      meterValue: index,
      // Spread over three UTC days, with two events in the same millisecond.
      meterTimeInMillis: START + Math.floor(index / 2) * 3 * 3_600_000 + (index % 2),
    }),
  );

  beforeAll(async () => {
    const deps = await consumerFor(accountId);
    await consumeBatch([sqsRecord(messageBody(accountId, events, 1_000))], deps);
  });

  async function readAll(query: RawEventQuery) {
    const seen = [];
    let cursor: RawEventPosition | undefined;
    for (let page = 0; page < 50; page++) {
      const result = await listRawEvents(ddb, testTables.Events, query, cursor);
      expect(result.events.length).toBeLessThanOrEqual(query.limit);
      seen.push(...result.events);
      cursor = result.next;
      if (!cursor) return seen;
    }
    throw new Error('paging did not end');
  }

  const base: RawEventQuery = { accountId, meterApiName: 'api-calls', fromMillis: START, toMillis: START + 4 * 86_400_000, ascending: true, limit: 4 };

  it('pages through every event exactly once, in time order, both directions', async () => {
    const ascending = await readAll(base);
    expect(ascending.map((event) => event.meterValue)).toEqual(events.map((event) => event.meterValue));
    const descending = await readAll({ ...base, ascending: false });
    expect(descending.map((event) => event.meterTimeInMillis)).toEqual([...ascending].reverse().map((event) => event.meterTimeInMillis));
    expect(new Set(descending.map((event) => event.eventId)).size).toBe(events.length);
  });

  it('limits to one customer and to the time range', async () => {
    const from = events[4]!.meterTimeInMillis;
    const to = events[15]!.meterTimeInMillis;
    const listed = await readAll({ ...base, customerId: 'c1', fromMillis: from, toMillis: to });
    const expected = events.filter((event) => event.customerId === 'c1' && event.meterTimeInMillis >= from && event.meterTimeInMillis < to);
    expect(listed.map((event) => event.meterValue)).toEqual(expected.map((event) => event.meterValue));
  });

  it('stores the events of one transaction on one page per UTC hour', async () => {
    const result = await ddb.send(
      new QueryCommand({ TableName: testTables.Events, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `EP#${accountId}#api-calls#2026-10-30` } }),
    );
    // Events 0..5 fall on Oct 30 at 20:00, 23:00 (two each) and on Oct 31 at 02:00 onwards.
    expect(result.Items!.map((page) => [page.sk.slice(0, 3), page.entryCount])).toEqual([['20#', 2], ['23#', 2]]);
  });

  it('answers whether one event was counted, with what was ingested', async () => {
    const event = events[7]!;
    expect(await getRawEvent(ddb, testTables.Events, accountId, 'api-calls', event.eventId)).toEqual({
      meterApiName: 'api-calls',
      customerId: event.customerId,
      meterValue: event.meterValue,
      meterTimeInMillis: event.meterTimeInMillis,
      uniqueId: event.eventId,
      eventId: event.eventId,
      dimensions: {},
      ingestedAtMillis: 1_000,
      status: 'counted',
    });
    expect(await getRawEvent(ddb, testTables.Events, uniqueAccountId(), 'api-calls', event.eventId)).toBeUndefined();
  });
});

describe('raw event paging while events keep arriving', () => {
  it('returns every event that existed when paging began exactly once, in order', async () => {
    const accountId = uniqueAccountId('raw-live');
    const deps = await consumerFor(accountId);
    const time = (index: number) => START + index * 1_800_000;
    const before = Array.from({ length: 30 }, (_, index) => queuedEvent({ meterValue: index, meterTimeInMillis: time(index * 2) }));
    await consumeBatch([sqsRecord(messageBody(accountId, before))], deps);
    const query: RawEventQuery = { accountId, meterApiName: 'api-calls', fromMillis: START, toMillis: START + 3 * 86_400_000, ascending: true, limit: 4 };
    const seen: string[] = [];
    const times: number[] = [];
    let cursor: RawEventPosition | undefined;
    for (let page = 0; page < 100; page++) {
      // Between pages, new events land everywhere in the range, before and after the cursor.
      await consumeBatch([sqsRecord(messageBody(accountId, [queuedEvent({ meterValue: 1000 + page, meterTimeInMillis: time(page * 2 + 1) }), queuedEvent({ meterValue: 2000 + page, meterTimeInMillis: time(1) + page })]))], deps);
      const result = await listRawEvents(ddb, testTables.Events, query, cursor);
      seen.push(...result.events.map((event) => event.eventId));
      times.push(...result.events.map((event) => event.meterTimeInMillis));
      cursor = result.next;
      if (!cursor) break;
    }
    expect(cursor).toBeUndefined();
    expect(new Set(seen).size).toBe(seen.length);
    for (const event of before) expect(seen).toContain(event.eventId);
    expect(times).toEqual([...times].sort((x, y) => x - y));
  });
});

describe('raw event listing from several pages of one hour', () => {
  const accountId = uniqueAccountId('raw-pages');
  const HOUR = Date.UTC(2026, 9, 30, 10);
  const minute = (value: number) => HOUR + value * 60_000;
  // Two transactions in the same hour whose times interleave, and one page of the next UTC day.
  const first = [0, 20, 40, 50].map((at, index) => queuedEvent({ meterValue: at, customerId: `c${index % 2}`, meterTimeInMillis: minute(at) }));
  const second = [10, 30].map((at) => queuedEvent({ meterValue: at, customerId: 'c1', meterTimeInMillis: minute(at) }));
  const nextDay = [queuedEvent({ meterValue: 1_000, customerId: 'c0', meterTimeInMillis: HOUR + 86_400_000 })];
  const query: RawEventQuery = { accountId, meterApiName: 'api-calls', fromMillis: HOUR, toMillis: HOUR + 2 * 86_400_000, ascending: true, limit: 3 };

  beforeAll(async () => {
    const deps = await consumerFor(accountId);
    for (const batch of [first, second, nextDay]) await consumeBatch([sqsRecord(messageBody(accountId, batch, 1_000))], deps);
  });

  async function values(listing: RawEventQuery) {
    const pages: number[][] = [];
    let cursor: RawEventPosition | undefined;
    do {
      const result = await listRawEvents(ddb, testTables.Events, listing, cursor);
      pages.push(result.events.map((event) => event.meterValue));
      cursor = result.next;
    } while (cursor && pages.length < 20);
    return pages;
  }

  it('lists page by page, time order within a page, paging inside a page when the limit is smaller', async () => {
    expect(await values(query)).toEqual([[0, 20, 40], [50, 10, 30], [1_000]]);
  });

  it('reverses pages and entries when descending', async () => {
    expect(await values({ ...query, ascending: false })).toEqual([[1_000, 30, 10], [50, 40, 20], [0]]);
  });

  it('keeps only one customer and the range, across pages and days', async () => {
    expect(await values({ ...query, customerId: 'c1', limit: 2 })).toEqual([[20, 50], [10, 30]]);
    expect(await values({ ...query, customerId: 'c0', fromMillis: minute(5), limit: 2 })).toEqual([[40, 1_000]]);
    expect(await values({ ...query, fromMillis: minute(15), toMillis: minute(45), limit: 10 })).toEqual([[20, 40, 30]]);
  });

  it('returns the same fields as the event item holds', async () => {
    const { events } = await listRawEvents(ddb, testTables.Events, { ...query, limit: 1 });
    expect(events).toEqual([
      {
        meterApiName: 'api-calls',
        customerId: 'c0',
        meterValue: 0,
        meterTimeInMillis: HOUR,
        uniqueId: first[0]!.eventId,
        eventId: first[0]!.eventId,
        dimensions: {},
        ingestedAtMillis: 1_000,
        status: 'counted',
      },
    ]);
  });

  it('leaves out an entry whose event item is gone (expired)', async () => {
    const gone = uniqueAccountId('raw-gone');
    const deps = await consumerFor(gone);
    await consumeBatch([sqsRecord(messageBody(gone, first, 1_000))], deps);
    await ddb.send(new DeleteCommand({ TableName: testTables.Events, Key: eventKey(gone, 'api-calls', first[1]!.eventId) }));
    expect(await values({ ...query, accountId: gone, limit: 10 })).toEqual([[0, 40, 50]]);
  });
});
