import { GetCommand, QueryCommand, type DynamoDBDocumentClient, type GetCommandInput, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { EVENTS_BY_METER_TIME_INDEX } from '../../lib/table-definitions.js';
import { DAY_MILLIS, eventKey, eventTimePartition } from './data-keys.js';

/** A raw event as stored: what was ingested, when, and what became of it. */
export interface RawEvent {
  readonly meterApiName: string;
  readonly customerId: string;
  readonly meterValue: number;
  readonly meterTimeInMillis: number;
  /** The client's uniqueId; absent when the id was stamped at ingest. */
  readonly uniqueId?: string;
  readonly eventId: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly ingestedAtMillis: number;
  readonly status: string;
  /** Set when the same id came again with a different payload; the first payload is the one counted. */
  readonly duplicateConflict?: boolean;
}

export interface RawEventQuery {
  readonly accountId: string;
  readonly meterApiName: string;
  readonly customerId?: string;
  /** Inclusive start, exclusive end, epoch milliseconds. */
  readonly fromMillis: number;
  readonly toMillis: number;
  readonly ascending: boolean;
  readonly limit: number;
}

/** Where a listing stopped: the day partition and DynamoDB's key within it. */
export interface RawEventCursor {
  readonly dayStartMillis: number;
  readonly lastEvaluatedKey?: Record<string, string>;
}

export interface RawEventPage {
  readonly events: RawEvent[];
  readonly next?: RawEventCursor;
}

const pad13 = (millis: number) => String(millis).padStart(13, '0');

/** One day partition of the byMeterTime index, bounded to the query's range. */
export function buildRawEventDayQuery(
  table: string,
  query: RawEventQuery,
  dayStartMillis: number,
  limit: number,
  exclusiveStartKey?: Record<string, string>,
): QueryCommandInput {
  return {
    TableName: table,
    IndexName: EVENTS_BY_METER_TIME_INDEX,
    // '$' sorts after '#', so the upper bound takes every event id of the last millisecond.
    KeyConditionExpression: 'timePk = :day AND timeSk BETWEEN :from AND :to',
    ExpressionAttributeValues: {
      ':day': eventTimePartition(query.accountId, query.meterApiName, dayStartMillis),
      ':from': pad13(query.fromMillis),
      ':to': `${pad13(query.toMillis - 1)}$`,
      ...(query.customerId === undefined ? {} : { ':customer': query.customerId }),
    },
    ...(query.customerId === undefined ? {} : { FilterExpression: 'customerId = :customer' }),
    ScanIndexForward: query.ascending,
    Limit: limit,
    ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
  };
}

export function buildGetRawEvent(table: string, accountId: string, meterApiName: string, eventId: string): GetCommandInput {
  return { TableName: table, Key: eventKey(accountId, meterApiName, eventId) };
}

export function toRawEvent(item: Record<string, unknown>): RawEvent {
  return {
    meterApiName: item.meterApiName as string,
    customerId: item.customerId as string,
    meterValue: item.meterValue as number,
    meterTimeInMillis: item.meterTimeInMillis as number,
    ...(item.idSource === 'client' ? { uniqueId: item.eventId as string } : {}),
    eventId: item.eventId as string,
    dimensions: (item.dimensions as Record<string, string>) ?? {},
    ingestedAtMillis: item.receivedAtMillis as number,
    status: item.status as string,
    ...(item.duplicateConflict ? { duplicateConflict: true } : {}),
  };
}

/** The day partitions of a range, in listing order. */
export function dayPartitions(fromMillis: number, toMillis: number, ascending: boolean): number[] {
  const days: number[] = [];
  for (let day = Math.floor(fromMillis / DAY_MILLIS) * DAY_MILLIS; day < toMillis; day += DAY_MILLIS) days.push(day);
  return ascending ? days : days.reverse();
}

/** Reads raw events in time order across day partitions, up to `limit`, resuming from a cursor. */
export async function listRawEvents(
  ddb: DynamoDBDocumentClient,
  table: string,
  query: RawEventQuery,
  cursor?: RawEventCursor,
): Promise<RawEventPage> {
  const events: RawEvent[] = [];
  const days = dayPartitions(query.fromMillis, query.toMillis, query.ascending);
  let dayIndex = cursor ? days.indexOf(cursor.dayStartMillis) : 0;
  if (dayIndex < 0) return { events };
  let startKey = cursor?.lastEvaluatedKey;
  while (dayIndex < days.length) {
    const day = days[dayIndex]!;
    const page = await ddb.send(
      new QueryCommand(buildRawEventDayQuery(table, query, day, query.limit - events.length, startKey)),
    );
    events.push(...(page.Items ?? []).map(toRawEvent));
    startKey = page.LastEvaluatedKey as Record<string, string> | undefined;
    if (events.length >= query.limit) {
      if (startKey) return { events, next: { dayStartMillis: day, lastEvaluatedKey: startKey } };
      return dayIndex + 1 < days.length ? { events, next: { dayStartMillis: days[dayIndex + 1]! } } : { events };
    }
    if (!startKey) dayIndex++;
  }
  return { events };
}

export async function getRawEvent(
  ddb: DynamoDBDocumentClient,
  table: string,
  accountId: string,
  meterApiName: string,
  eventId: string,
): Promise<RawEvent | undefined> {
  const result = await ddb.send(new GetCommand(buildGetRawEvent(table, accountId, meterApiName, eventId)));
  return result.Item ? toRawEvent(result.Item) : undefined;
}
