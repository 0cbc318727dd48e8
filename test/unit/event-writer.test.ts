import {
  DynamoDBClient,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, TransactWriteCommand, type BatchGetCommandInput, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planMessage } from '../../functions/domain/consumption.js';
import { slotCounters } from '../../functions/domain/rollup-items.js';
import { decodePageEntries } from '../../functions/domain/event-pages.js';
import { indexAccountConfiguration } from '../../functions/store/account-config-cache.js';
import { EventWriter } from '../../functions/store/event-writer.js';
import { messageBody, queuedEvent } from '../support/events.js';

const ddbMock = mockClient(DynamoDBDocumentClient);
const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const tables = { events: 'events', rollups: 'rollups' };
const account = indexAccountConfiguration({
  meters: [{ meterApiName: 'api-calls', displayName: 'x', label: 'x', type: 'SUM_OF_ALL_USAGE', dimensions: [], meterTimeInMillis: 0 }],
  rules: [],
});
const sleeps: number[] = [];

function writer(maxAttempts = 5) {
  let pages = 0;
  return new EventWriter(ddb, tables, {
    retentionDays: 90,
    newPageId: () => `p${++pages}`,
    backoff: { maxAttempts, baseDelayMillis: 10, maxDelayMillis: 100 },
    sleep: async (millis) => {
      sleeps.push(millis);
    },
    random: () => 0.5,
  });
}

const cancelled = (codes: string[], items: Record<number, Record<string, unknown>> = {}) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code, index) => ({ Code, ...(items[index] ? { Item: marshall(items[index]!) } : {}) })),
  });

/** What an update's ADD clause adds, by attribute name. */
function added(update: { UpdateExpression?: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, unknown> }) {
  const clause = /^ADD (.+?) SET /.exec(update.UpdateExpression!)![1]!;
  return Object.fromEntries(
    clause.split(', ').map((part) => {
      const [name, value] = part.split(' ');
      return [update.ExpressionAttributeNames![name!]!, update.ExpressionAttributeValues![value!]];
    }),
  );
}

function planned(count: number) {
  return planMessage(messageBody('acct', Array.from({ length: count }, (_, index) => queuedEvent({ meterValue: index + 1 }))), 'msg', account);
}

beforeEach(() => {
  ddbMock.reset();
  // Nothing stored unless a test says otherwise.
  ddbMock.on(BatchGetCommand).resolves({});
  sleeps.length = 0;
});
afterEach(() => ddbMock.reset());

describe('EventWriter.write', () => {
  it('retries a transaction cancelled by TransactionConflict and commits everything', async () => {
    ddbMock.on(TransactWriteCommand).rejectsOnce(cancelled(['None', 'TransactionConflict', 'None', 'None'])).resolves({});
    const events = planned(2);
    const outcome = await writer().write(events);
    expect(outcome.committed).toEqual(events);
    expect(outcome.failed).toEqual([]);
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(2);
    expect(sleeps).toEqual([5]);
  });

  it('retries throttling with growing jittered delays', async () => {
    const throttled = new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
    ddbMock.on(TransactWriteCommand).rejectsOnce(throttled).rejectsOnce(throttled).rejectsOnce(cancelled(['ThrottlingError'])).resolves({});
    const outcome = await writer().write(planned(1));
    expect(outcome.committed).toHaveLength(1);
    expect(sleeps).toEqual([5, 10, 20]);
  });

  it('gives the events back as failed when conflicts outlast the retry budget, committing nothing twice', async () => {
    ddbMock.on(TransactWriteCommand).rejects(cancelled(['TransactionConflict', 'None', 'None']));
    const events = planned(1);
    const outcome = await writer(3).write(events);
    expect(outcome.failed).toEqual(events);
    expect(outcome.committed).toEqual([]);
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(3);
  });

  it('drops events whose key is already stored and re-sends the rest without them', async () => {
    const events = planned(3);
    ddbMock
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(['None', 'ConditionalCheckFailed', 'None', 'None', 'None'], { 1: { status: 'counted', meterValue: 2 } }))
      .resolves({});
    const outcome = await writer().write(events);
    expect(outcome.duplicates.map((duplicate) => duplicate.planned)).toEqual([events[1]]);
    expect(outcome.duplicates[0]!.stored).toMatchObject({ status: 'counted', meterValue: 2 });
    expect(outcome.committed).toEqual([events[0], events[2]]);
    const resent = ddbMock.commandCalls(TransactWriteCommand)[1]!.args[0].input.TransactItems!;
    const puts = resent.filter((item) => item.Put?.Item!.sk === 'EVENT');
    expect(puts.map((item) => item.Put!.Item!.meterValue)).toEqual([1, 3]);
    // So is the page: it lists only the two events being written, under a new key.
    const pages = resent.filter((item) => item.Put && item.Put.Item!.sk !== 'EVENT').map((item) => item.Put!.Item!);
    expect(pages.map((page) => [page.sk, page.entryCount])).toEqual([[expect.stringMatching(/#p2$/), 2]]);
    expect(decodePageEntries(pages[0]!.entries as Uint8Array).map((entry) => entry.eventId).sort()).toEqual(
      [events[0]!.event.eventId, events[2]!.event.eventId].sort(),
    );
    expect(resent.slice(0, 3).every((item) => item.Put)).toBe(true);
    // The rollup delta is recomputed without the duplicate: 1 + 3, two events.
    const hourly = resent.find((item) => item.Update)!.Update!;
    expect(Object.values(added(hourly))).toEqual([4, 2]);
    expect(sleeps).toEqual([]);
  });

  it('reads which events are stored first and leaves them out of every transaction', async () => {
    const events = planned(3);
    ddbMock.on(BatchGetCommand).resolves({ Responses: { events: [{ ...events[2]!.key, status: 'counted', meterValue: 9 }] } });
    ddbMock.on(TransactWriteCommand).resolves({});
    const outcome = await writer().write(events);
    const read = ddbMock.commandCalls(BatchGetCommand)[0]!.args[0].input.RequestItems!.events!.Keys;
    expect(read).toEqual(events.map((event) => event.key));
    expect(outcome.duplicates).toEqual([{ planned: events[2], stored: expect.objectContaining({ meterValue: 9 }) }]);
    expect(outcome.committed).toEqual([events[0], events[1]]);
    const transactions = ddbMock.commandCalls(TransactWriteCommand);
    expect(transactions).toHaveLength(1);
    expect(transactions[0]!.args[0].input.TransactItems!.filter((item) => item.Put?.Item!.sk === 'EVENT').map((item) => item.Put!.Item!.meterValue)).toEqual([1, 2]);
  });

  it('sends no transaction when every event is stored already', async () => {
    const events = planned(2);
    ddbMock.on(BatchGetCommand).resolves({ Responses: { events: events.map((event) => ({ ...event.key, status: 'counted' })) } });
    const outcome = await writer().write(events);
    expect(outcome.duplicates.map((duplicate) => duplicate.planned)).toEqual(events);
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('retries unprocessed keys of the read, and writes keys it never read under the Put condition', async () => {
    const events = planned(2);
    const unprocessed = { events: { Keys: [events[1]!.key] } };
    ddbMock
      .on(BatchGetCommand)
      .callsFake((input: BatchGetCommandInput) => (input.RequestItems!.events ? { Responses: { events: [] }, UnprocessedKeys: unprocessed } : {}));
    ddbMock.on(TransactWriteCommand).resolves({});
    const outcome = await writer(3).write(events);
    const reads = ddbMock.commandCalls(BatchGetCommand).filter((call) => call.args[0].input.RequestItems!.events);
    expect(reads).toHaveLength(3);
    expect(reads[1]!.args[0].input.RequestItems).toEqual(unprocessed);
    expect(outcome.committed).toEqual(events);
  });

  it('never has two transactions that write the same rollup item in flight at once', async () => {
    // 150 events of one customer and hour: more than one transaction, all writing the same two items.
    const events = planned(150);
    let inFlight = 0;
    let maxInFlight = 0;
    ddbMock.on(TransactWriteCommand).callsFake(async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return {};
    });
    const outcome = await writer().write(events);
    expect(ddbMock.commandCalls(TransactWriteCommand).length).toBeGreaterThan(1);
    expect(maxInFlight).toBe(1);
    expect(outcome.committed).toHaveLength(150);
  });

  it('lets errors that retrying cannot fix escape', async () => {
    ddbMock.on(TransactWriteCommand).rejects(new ResourceNotFoundException({ message: 'no table', $metadata: {} }));
    await expect(writer().write(planned(1))).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });
});

describe('EventWriter.write, rollup guards', () => {
  const hourlyUpdate = (items: NonNullable<TransactWriteCommandInput['TransactItems']>) =>
    items.find((item) => String(item.Update?.Key?.sk ?? '').endsWith('#*'))!.Update!;
  const hourlyOf = (events: ReturnType<typeof planned>) => events[0]!.rollups[0]!;

  it('guards each extreme with the value it read, and moves only the ones that change', async () => {
    const events = planned(2);
    const hourly = hourlyOf(events);
    const counters = slotCounters(hourly.slot!.id);
    ddbMock.on(BatchGetCommand).callsFake((input: BatchGetCommandInput) =>
      input.RequestItems!.rollups
        ? { Responses: { rollups: [{ pk: hourly.pk, sk: hourly.sk, [counters.dimensions!]: {}, [counters.sum]: 1, [counters.count]: 1, [counters.min]: 1, [counters.max]: 1 }] } }
        : {},
    );
    ddbMock.on(TransactWriteCommand).resolves({});
    const outcome = await writer().write(events);
    expect(outcome.committed).toHaveLength(2);
    const update = hourlyUpdate(ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!);
    // Values 1 and 2 against a stored min 1 and max 1: only the max moves, and only if it is still 1.
    const names = update.ExpressionAttributeNames!;
    const maxToken = Object.keys(names).find((token) => names[token] === counters.max)!;
    expect(update.ConditionExpression).toBe(`${maxToken} = :v${Object.values(update.ExpressionAttributeValues!).indexOf(1, 4)}`);
    expect(Object.values(names)).not.toContain(counters.min);
  });

  it('learns an item another writer changed from the cancellation and sends the transaction again', async () => {
    const events = planned(1);
    const hourly = hourlyOf(events);
    const counters = slotCounters(hourly.slot!.id);
    const moved = { pk: hourly.pk, sk: hourly.sk, [counters.dimensions!]: {}, [counters.sum]: 5, [counters.count]: 1, [counters.min]: 0, [counters.max]: 9 };
    // Event Put, page Put, customer-hour update, customer-day update.
    ddbMock.on(TransactWriteCommand).rejectsOnce(cancelled(['None', 'None', 'ConditionalCheckFailed', 'None'], { 2: moved })).resolves({});
    const outcome = await writer().write(events);
    expect(outcome.committed).toEqual(events);
    const [first, second] = ddbMock.commandCalls(TransactWriteCommand).map((call) => hourlyUpdate(call.args[0].input.TransactItems!));
    expect(first!.ConditionExpression).toMatch(/^attribute_not_exists/);
    // The stored extremes (0 and 9) already cover the value 1: the second attempt only adds.
    expect(second!.ConditionExpression).toBeUndefined();
    expect(second!.UpdateExpression).toMatch(/^ADD /);
  });

  it('gives the events back as failed when the guards keep failing', async () => {
    const events = planned(1);
    ddbMock.on(TransactWriteCommand).rejects(cancelled(['None', 'None', 'ConditionalCheckFailed', 'None']));
    const outcome = await writer(3).write(events);
    expect(outcome.failed).toEqual(events);
    expect(outcome.committed).toEqual([]);
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(3);
  });
});
