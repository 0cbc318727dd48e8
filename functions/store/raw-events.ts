import {
  GetCommand,
  QueryCommand,
  type DynamoDBDocumentClient,
  type GetCommandInput,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { MAX_TRANSACTION_ACTIONS } from '../domain/consumption.js';
import { decodePageEntries, type EventPageEntry } from '../domain/event-pages.js';
import { DAY_MILLIS, eventKey, eventPageHourPrefix, eventPagePartition, pad13, parseEventKey } from './data-keys.js';
import { BATCH_GET_LIMIT, batchGetItems, buildBatchRead } from './dynamo.js';
import { chunks, DEFAULT_BACKOFF, forEachLimited, sleep } from './retry.js';

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
 * Where a listing stopped: the key of an event page and the index, in listing order (reversed
 * when descending), of the next entry of that page to return. Pages never change once written,
 * so a position stays valid while new events arrive.
 */
export interface RawEventPosition {
  readonly pk: string;
  readonly sk: string;
  readonly entry: number;
}

export const RAW_EVENT_POSITION_ATTRIBUTES = ['pk', 'sk', 'entry'] as const;

export interface RawEventPage {
  readonly events: RawEvent[];
  readonly next?: RawEventPosition;
}

/**
 * The sort-key bounds of one day partition's pages for a range: from the first page of the hour
 * the range starts in (its earliest event may precede the range while later ones fall inside) to
 * the last page whose earliest event is inside the range. '$' sorts after '#', so the upper bound
 * takes every page id of the last millisecond.
 */
export function pageSortKeyBounds(query: RawEventQuery, dayStartMillis: number): { from: string; to: string } {
  const first = Math.max(query.fromMillis, dayStartMillis);
  const last = Math.min(query.toMillis, dayStartMillis + DAY_MILLIS) - 1;
  return { from: eventPageHourPrefix(first), to: `${eventPageHourPrefix(last)}${pad13(last)}$` };
}

/**
 * One day partition of event pages, bounded to the query's range. A listing that resumes at a
 * page starts the bound at that page itself (inclusive), to take its remaining entries.
 */
export function buildEventPageDayQuery(
  table: string,
  query: RawEventQuery,
  dayStartMillis: number,
  limit: number,
  options: { resumeAt?: string; exclusiveStartKey?: Record<string, unknown> } = {},
): QueryCommandInput {
  const bounds = pageSortKeyBounds(query, dayStartMillis);
  const from = options.resumeAt !== undefined && query.ascending ? options.resumeAt : bounds.from;
  const to = options.resumeAt !== undefined && !query.ascending ? options.resumeAt : bounds.to;
  return {
    TableName: table,
    KeyConditionExpression: 'pk = :day AND sk BETWEEN :from AND :to',
    ExpressionAttributeValues: {
      ':day': eventPagePartition(query.accountId, query.meterApiName, dayStartMillis),
      ':from': from,
      ':to': to,
    },
    ScanIndexForward: query.ascending,
    Limit: limit,
    ...(options.exclusiveStartKey ? { ExclusiveStartKey: options.exclusiveStartKey } : {}),
  };
}

export function buildGetRawEvent(table: string, accountId: string, meterApiName: string, eventId: string): GetCommandInput {
  return { TableName: table, Key: eventKey(accountId, meterApiName, eventId) };
}

/** Meter and event id come from the item's key, which holds them. */
export function toRawEvent(item: Record<string, unknown>): RawEvent {
  const key = parseEventKey(item.pk as string);
  if (!key) throw new Error('not an event item key');
  return {
    meterApiName: key.meterApiName,
    customerId: item.customerId as string,
    meterValue: item.meterValue as number,
    meterTimeInMillis: item.meterTimeInMillis as number,
    ...(item.idSource === 'client' ? { uniqueId: key.eventId } : {}),
    eventId: key.eventId,
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

const PAGE_SORT_KEY = /^(\d{2})#(\d{13})#[^#]+$/;

/**
 * Whether a position (from a client's page token) is one this query could have produced: a page
 * key in a day partition of this account, meter and range, within that day's sort-key bounds,
 * and an entry index a page can have. Anything else would start the listing somewhere it does
 * not belong, or make DynamoDB refuse the key condition.
 */
export function isPositionOf(query: RawEventQuery, position: RawEventPosition): boolean {
  const day = dayPartitions(query.fromMillis, query.toMillis, true).find(
    (start) => eventPagePartition(query.accountId, query.meterApiName, start) === position.pk,
  );
  const match = PAGE_SORT_KEY.exec(position.sk);
  if (day === undefined || !match || eventPageHourPrefix(Number(match[2])) !== `${match[1]}#`) return false;
  const bounds = pageSortKeyBounds(query, day);
  return (
    position.sk >= bounds.from &&
    position.sk <= bounds.to &&
    Number.isInteger(position.entry) &&
    position.entry >= 0 &&
    position.entry < MAX_TRANSACTION_ACTIONS
  );
}

/** Whether a page entry is inside the query's range and of its customer, when it names one. */
export function isEntryOf(query: RawEventQuery, entry: EventPageEntry): boolean {
  return (
    entry.meterTimeInMillis >= query.fromMillis &&
    entry.meterTimeInMillis < query.toMillis &&
    (query.customerId === undefined || entry.customerId === query.customerId)
  );
}

/**
 * The page entries of a listing, up to `limit`, continuing at `after`: day partitions in listing
 * order, pages in sort-key order within a day, entries in time order within a page (all reversed
 * when descending). Pages of one hour may overlap in time, so this is time order per page, not
 * across the pages of an hour. The next position is that of the next matching entry, so a
 * position is only returned when there is more to list.
 */
async function listPageEntries(
  ddb: DynamoDBDocumentClient,
  table: string,
  query: RawEventQuery,
  after?: RawEventPosition,
): Promise<{ entries: EventPageEntry[]; next?: RawEventPosition }> {
  const entries: EventPageEntry[] = [];
  const days = dayPartitions(query.fromMillis, query.toMillis, query.ascending);
  const firstDay = after ? days.findIndex((day) => eventPagePartition(query.accountId, query.meterApiName, day) === after.pk) : 0;
  if (firstDay < 0) return { entries };
  for (let dayIndex = firstDay; dayIndex < days.length; dayIndex++) {
    const resume = dayIndex === firstDay ? after : undefined;
    let startKey: Record<string, unknown> | undefined;
    do {
      // Every page holds at least one entry, so this many pages are enough when all entries match.
      const input = buildEventPageDayQuery(table, query, days[dayIndex]!, query.limit - entries.length + 1, {
        resumeAt: resume?.sk,
        exclusiveStartKey: startKey,
      });
      const result = await ddb.send(new QueryCommand(input));
      for (const page of result.Items ?? []) {
        const ordered = decodePageEntries(page.entries as Uint8Array);
        if (!query.ascending) ordered.reverse();
        const first = resume && page.sk === resume.sk ? resume.entry : 0;
        for (let index = first; index < ordered.length; index++) {
          const entry = ordered[index]!;
          if (!isEntryOf(query, entry)) continue;
          if (entries.length === query.limit) return { entries, next: { pk: page.pk as string, sk: page.sk as string, entry: index } };
          entries.push(entry);
        }
      }
      startKey = result.LastEvaluatedKey;
    } while (startKey);
  }
  return { entries };
}


/**
 * The event items of listed entries, in the entries' order. An entry whose item is gone (expired)
 * or holds another time (an id reused after its first item expired) is left out. Keys that stay
 * unprocessed fail the listing rather than silently shorten it.
 */
export async function readListedEvents(
  ddb: DynamoDBDocumentClient,
  table: string,
  query: Pick<RawEventQuery, 'accountId' | 'meterApiName'>,
  entries: readonly EventPageEntry[],
): Promise<RawEvent[]> {
  const keyOf = (entry: EventPageEntry) => eventKey(query.accountId, query.meterApiName, entry.eventId);
  const distinct = [...new Map(entries.map((entry) => [keyOf(entry).pk, keyOf(entry)])).values()];
  const items = new Map<string, Record<string, unknown>>();
  await forEachLimited(chunks(distinct, BATCH_GET_LIMIT), 4, async (keys) => {
    const read = await batchGetItems(ddb, table, buildBatchRead(table, keys), { backoff: DEFAULT_BACKOFF, sleep });
    if (!read.complete) throw new Error('raw event items stayed unprocessed; retry the listing');
    for (const item of read.items) items.set(item.pk as string, item);
  });
  return entries.flatMap((entry) => {
    const item = items.get(keyOf(entry).pk);
    return item && item.meterTimeInMillis === entry.meterTimeInMillis ? [toRawEvent(item)] : [];
  });
}

/** Reads raw events across day partitions, up to `limit`, continuing at `after`. */
export async function listRawEvents(
  ddb: DynamoDBDocumentClient,
  table: string,
  query: RawEventQuery,
  after?: RawEventPosition,
): Promise<RawEventPage> {
  const listed = await listPageEntries(ddb, table, query, after);
  const events = await readListedEvents(ddb, table, query, listed.entries);
  return listed.next ? { events, next: listed.next } : { events };
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
