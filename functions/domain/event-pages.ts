import { gunzipSync, gzipSync } from 'node:zlib';
import { eventPagePartition, eventPageSortKey, periodStartOf } from '../store/data-keys.js';
import type { PlannedEvent } from './consumption.js';

/**
 * Event pages: what lists raw events by time. Each transaction that stores events also puts one
 * page per (account, meter, UTC hour) group of them, listing every event it stores whatever its
 * status. A page is written once and never changed: a cancelled transaction writes no page, and a
 * re-sent one only carries the events not stored yet, so every stored event is on exactly one page.
 * Pure: the page ids come from the caller.
 */
export interface EventPageEntry {
  readonly meterTimeInMillis: number;
  readonly eventId: string;
  readonly customerId: string;
}

export interface EventPage {
  readonly pk: string;
  readonly sk: string;
  /** In time order (ties by event id), as listing reads them. */
  readonly entries: readonly EventPageEntry[];
  /** The latest arrival among its events: the page expires with the last of them, never before. */
  readonly receivedAtMillis: number;
}

/** The page an event goes on within its transaction: one per account, meter and UTC hour. */
export function eventPageGroup(planned: Pick<PlannedEvent, 'accountId' | 'event'>): string {
  const { event } = planned;
  return `${planned.accountId}\u0000${event.meterApiName}\u0000${periodStartOf('HOUR', event.meterTimeInMillis)}`;
}

/** The pages of one transaction's events, one per group, in order of first appearance. */
export function eventPages(events: readonly PlannedEvent[], newPageId: () => string): EventPage[] {
  const groups = new Map<string, PlannedEvent[]>();
  for (const planned of events) {
    const group = eventPageGroup(planned);
    const members = groups.get(group);
    if (members) members.push(planned);
    else groups.set(group, [planned]);
  }
  return [...groups.values()].map((members) => {
    const entries = members
      .map(({ event }) => ({ meterTimeInMillis: event.meterTimeInMillis, eventId: event.eventId, customerId: event.customerId }))
      .sort(compareEntries);
    const { accountId, event } = members[0]!;
    const earliest = entries[0]!.meterTimeInMillis;
    return {
      pk: eventPagePartition(accountId, event.meterApiName, earliest),
      sk: eventPageSortKey(earliest, newPageId()),
      entries,
      receivedAtMillis: Math.max(...members.map((planned) => planned.receivedAtMillis)),
    };
  });
}

function compareEntries(a: EventPageEntry, b: EventPageEntry): number {
  if (a.meterTimeInMillis !== b.meterTimeInMillis) return a.meterTimeInMillis - b.meterTimeInMillis;
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}

/**
 * Entries as gzip of a JSON array of [meterTimeInMillis, eventId, customerId]. Customer ids and
 * the leading digits of times repeat within a page, which gzip folds away. At most 99 entries fit
 * in a transaction with their events, so even the longest ids ingest accepts stay far below
 * DynamoDB's 400 KB item size.
 */
export function encodePageEntries(entries: readonly EventPageEntry[]): Uint8Array {
  const tuples = entries.map((entry) => [entry.meterTimeInMillis, entry.eventId, entry.customerId]);
  return gzipSync(Buffer.from(JSON.stringify(tuples), 'utf8'));
}

export class CorruptPageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CorruptPageError';
  }
}

export function decodePageEntries(data: Uint8Array): EventPageEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(gunzipSync(data).toString('utf8'));
  } catch (error) {
    throw new CorruptPageError('event page entries are not gzipped JSON', { cause: error });
  }
  if (!Array.isArray(parsed)) throw new CorruptPageError('event page entries are not an array');
  return parsed.map((tuple: unknown) => {
    if (
      !Array.isArray(tuple) ||
      tuple.length !== 3 ||
      !Number.isInteger(tuple[0]) ||
      typeof tuple[1] !== 'string' ||
      typeof tuple[2] !== 'string'
    ) {
      throw new CorruptPageError('an event page entry is not [time, eventId, customerId]');
    }
    return { meterTimeInMillis: tuple[0] as number, eventId: tuple[1], customerId: tuple[2] };
  });
}
