import { GetCommand, QueryCommand, type DynamoDBDocumentClient, type GetCommandInput, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { EVENTS_BY_METER_TIME_INDEX } from '../../lib/table-definitions.js';
import { DAY_MILLIS, EVENT_SK, eventKey, eventTimePartition } from './data-keys.js';

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

/**
 * Where a listing stopped: the index key of the last event returned. It is always a valid
 * ExclusiveStartKey in its own day partition, and the day is read back from it.
 */
export interface RawEventPosition {
  readonly pk: string;
  readonly sk: string;
  readonly timePk: string;
  readonly timeSk: string;
}

export const RAW_EVENT_POSITION_ATTRIBUTES = ['pk', 'sk', 'timePk', 'timeSk'] as const;

export interface RawEventPage {
  readonly events: RawEvent[];
  readonly next?: RawEventPosition;
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

function positionOf(item: Record<string, unknown>): RawEventPosition {
  return { pk: item.pk as string, sk: item.sk as string, timePk: item.timePk as string, timeSk: item.timeSk as string };
}

function timeOfPosition(position: RawEventPosition): number {
  return Number(position.timeSk.slice(0, 13));
}

/**
 * Whether a position (from a client's page token) is one this query could have produced: its keys
 * must be those of an event of this account and meter inside the range. Anything else would make
 * DynamoDB refuse the start key, or start the listing somewhere it does not belong.
 */
export function isPositionOf(query: RawEventQuery, position: RawEventPosition): boolean {
  const match = /^(\d{13})#(.+)$/.exec(position.timeSk);
  if (!match) return false;
  const time = Number(match[1]);
  const eventId = match[2]!;
  return (
    time >= query.fromMillis &&
    time < query.toMillis &&
    position.timePk === eventTimePartition(query.accountId, query.meterApiName, time) &&
    position.pk === eventKey(query.accountId, query.meterApiName, eventId).pk &&
    position.sk === EVENT_SK
  );
}

/** Reads raw events in time order across day partitions, up to `limit`, continuing after `after`. */
export async function listRawEvents(
  ddb: DynamoDBDocumentClient,
  table: string,
  query: RawEventQuery,
  after?: RawEventPosition,
): Promise<RawEventPage> {
  const events: RawEvent[] = [];
  const days = dayPartitions(query.fromMillis, query.toMillis, query.ascending);
  let dayIndex = after ? days.indexOf(Math.floor(timeOfPosition(after) / DAY_MILLIS) * DAY_MILLIS) : 0;
  if (dayIndex < 0) return { events };
  let startKey: Record<string, string> | undefined = after ? { ...after } : undefined;
  let last: RawEventPosition | undefined;
  while (dayIndex < days.length) {
    const page = await ddb.send(
      new QueryCommand(buildRawEventDayQuery(table, query, days[dayIndex]!, query.limit - events.length, startKey)),
    );
    for (const item of page.Items ?? []) {
      events.push(toRawEvent(item));
      last = positionOf(item);
    }
    startKey = page.LastEvaluatedKey as Record<string, string> | undefined;
    if (!startKey) dayIndex++;
    if (events.length >= query.limit) {
      const more = startKey !== undefined || dayIndex < days.length;
      return more ? { events, next: last! } : { events };
    }
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
