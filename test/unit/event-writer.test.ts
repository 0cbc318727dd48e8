import {
  DynamoDBClient,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planMessage } from '../../functions/domain/consumption.js';
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
    expect(hourly.ExpressionAttributeValues).toMatchObject({ ':sum': 4, ':count': 2 });
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
    ddbMock.on(BatchGetCommand).resolves({ Responses: { events: [] }, UnprocessedKeys: unprocessed });
    ddbMock.on(TransactWriteCommand).resolves({});
    const outcome = await writer(3).write(events);
    const reads = ddbMock.commandCalls(BatchGetCommand);
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

describe('EventWriter.applyExtremes', () => {
  it('updates only the extremes that move, and treats a failed condition as done', async () => {
    const events = planned(2);
    const [hourly, daily] = events[0]!.rollups;
    ddbMock.on(BatchGetCommand).resolves({
      Responses: { rollups: [{ pk: hourly!.pk, sk: hourly!.sk, min: 1, max: 1 }, { pk: daily!.pk, sk: daily!.sk, min: 0, max: 10 }] },
    });
    ddbMock.on(UpdateCommand).resolves({});
    const failed = await writer().applyExtremes(events);
    expect(failed.size).toBe(0);
    const updates = ddbMock.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    // Hourly: min 1 already <= 1, max 1 -> 2. Daily: nothing moves.
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({ Key: { pk: hourly!.pk, sk: hourly!.sk }, UpdateExpression: 'SET #max = :value', ExpressionAttributeValues: { ':value': 2 } });
  });

  it('reports the events whose rollups could not be updated', async () => {
    const events = planned(1);
    ddbMock.on(BatchGetCommand).resolves({ Responses: { rollups: [] } });
    ddbMock.on(UpdateCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
    const failed = await writer(2).applyExtremes(events);
    expect([...failed]).toEqual(events);
  });
});
