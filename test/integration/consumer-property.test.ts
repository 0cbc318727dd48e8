import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSRecord } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { QueuedEvent } from '../../functions/domain/events.js';
import { consumeBatch } from '../../functions/pipeline/consume-batch.js';
import { AccountConfigCache } from '../../functions/store/account-config-cache.js';
import { EventWriter } from '../../functions/store/event-writer.js';
import { readRollupRows } from '../../functions/store/rollup-reader.js';
import { messageBody, queuedEvent, sqsRecord } from '../support/events.js';
import { testConfigStore, testDocumentClient, testTables, uniqueAccountId } from './support.js';

const ddb = testDocumentClient();
const configStore = testConfigStore();
const tables = { events: testTables.Events, rollups: testTables.Rollups };
const silent = new Logger({ logLevel: 'SILENT' });
const START = Date.UTC(2026, 2, 28, 22);

class InjectedCrash extends Error {}

/**
 * A client that dies on chosen calls, before or after the call reached DynamoDB: "after" is the
 * interesting case, a write that committed while its caller never learned of it.
 */
function crashingClient(plan: { crashAt: Set<number>; after: boolean }) {
  let calls = 0;
  let inFlight = 0;
  const client = {
    async send(command: Parameters<DynamoDBDocumentClient['send']>[0]) {
      const call = ++calls;
      inFlight++;
      try {
        if (plan.crashAt.has(call) && !plan.after) throw new InjectedCrash(`crash before call ${call}`);
        const result = await ddb.send(command as never);
        if (plan.crashAt.has(call) && plan.after) throw new InjectedCrash(`crash after call ${call}`);
        return result;
      } finally {
        inFlight--;
      }
    },
  };
  return { client: client as unknown as DynamoDBDocumentClient, idle: async () => { while (inFlight > 0) await new Promise((r) => setTimeout(r, 5)); } };
}

const eventSpec = fc.record({
  customer: fc.integer({ min: 0, max: 3 }),
  region: fc.constantFrom('us', 'eu', undefined),
  hour: fc.integer({ min: 0, max: 5 }),
  value: fc.integer({ min: -5, max: 20 }),
});

const scenario = fc.record({
  events: fc.array(eventSpec, { minLength: 1, maxLength: 30 }),
  /** For each message: indexes of events it carries (so events repeat across messages). */
  messageSizes: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 6 }),
  duplicatePicks: fc.array(fc.nat(), { maxLength: 10 }),
  redeliveries: fc.array(fc.nat(), { maxLength: 4 }),
  batchSize: fc.integer({ min: 1, max: 4 }),
  crashAt: fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { maxLength: 4 }),
  crashAfter: fc.boolean(),
});

describe('consumer exactly-once property', () => {
  it('rollups equal a reference over the unique events, whatever the duplicates, redeliveries and crashes', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const accountId = uniqueAccountId('prop');
        await configStore.createMeter(
          accountId,
          { meterApiName: 'api-calls', displayName: 'API', label: 'api-calls', type: 'SUM_OF_ALL_USAGE', dimensions: ['region'] },
          Date.now(),
        );
        const events: QueuedEvent[] = s.events.map((spec) =>
          queuedEvent({
            customerId: `c${spec.customer}`,
            meterValue: spec.value,
            meterTimeInMillis: START + spec.hour * 3_600_000 + 1_000,
            dimensions: spec.region ? { region: spec.region } : {},
          }),
        );
        // Every event goes out at least once; some also ride along in other messages.
        const messages: QueuedEvent[][] = [];
        let cursor = 0;
        for (const size of s.messageSizes) {
          if (cursor >= events.length) break;
          messages.push(events.slice(cursor, cursor + size));
          cursor += size;
        }
        if (cursor < events.length) messages.push(events.slice(cursor));
        for (const pick of s.duplicatePicks) messages[pick % messages.length]!.push(events[pick % events.length]!);
        const queue: SQSRecord[] = messages.map((carried) => sqsRecord(messageBody(accountId, carried)));
        for (const pick of s.redeliveries) queue.push(queue[pick % queue.length]!);

        const crashes = crashingClient({ crashAt: new Set(s.crashAt), after: s.crashAfter });
        const deps = {
          accounts: new AccountConfigCache((id) => configStore.loadAccountConfiguration(id), 60_000),
          writer: new EventWriter(crashes.client, tables, { retentionDays: 90 }),
          log: silent,
        };
        for (let round = 0; queue.length > 0; round++) {
          expect(round).toBeLessThan(100);
          const batch = queue.splice(0, s.batchSize);
          let failedIds: Set<string>;
          try {
            const response = await consumeBatch(batch, deps);
            failedIds = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
          } catch {
            failedIds = new Set(batch.map((record) => record.messageId));
          }
          await crashes.idle();
          queue.push(...batch.filter((record) => failedIds.has(record.messageId)));
        }

        const expected = new Map<string, { sum: number; count: number; min: number; max: number }>();
        for (const event of events) {
          const key = `${event.customerId}|${Math.floor(event.meterTimeInMillis / 3_600_000) * 3_600_000}|${event.dimensions.region ?? ''}`;
          const total = expected.get(key) ?? { sum: 0, count: 0, min: Infinity, max: -Infinity };
          expected.set(key, {
            sum: total.sum + event.meterValue,
            count: total.count + 1,
            min: Math.min(total.min, event.meterValue),
            max: Math.max(total.max, event.meterValue),
          });
        }
        const rows = await readRollupRows(ddb, tables.rollups, {
          accountId,
          meterApiName: 'api-calls',
          granularity: 'HOUR',
          fromMillis: START,
          toMillis: START + 6 * 3_600_000,
        });
        const actual = new Map(
          rows.map((row) => [`${row.customerId}|${row.hourStartMillis}|${row.dimensions.region ?? ''}`, { sum: row.sum, count: row.count, min: row.min, max: row.max }]),
        );
        expect(actual).toEqual(expected);
        const daily = await readRollupRows(ddb, tables.rollups, {
          accountId,
          meterApiName: 'api-calls',
          granularity: 'DAY',
          fromMillis: Date.UTC(2026, 2, 28),
          toMillis: Date.UTC(2026, 2, 30),
        });
        expect(daily.reduce((total, row) => total + row.count, 0)).toBe(events.length);
        expect(daily.reduce((total, row) => total + row.sum, 0)).toBe(events.reduce((total, event) => total + event.meterValue, 0));
      }),
      { numRuns: 25 },
    );
  });
});
