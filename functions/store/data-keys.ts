import { createHash } from 'node:crypto';
import { HOUR_MILLIS } from '../domain/rollups.js';

/**
 * Key layout of the Events and Rollups tables.
 *
 * Events: one item per (account, meter, eventId). The key depends on nothing but the event id, so a
 * redelivered or retried event always lands on the same key whatever else it carries; that is what
 * makes `attribute_not_exists(pk)` a dedup check.
 *   pk = EV#<account>#<meter>#<eventId>   sk = EVENT
 *
 * Account ids and meter api names cannot contain `#` (see functions/domain), event ids can: the
 * event id is everything after the meter, which is how `parseEventKey` reads a key back.
 *
 * Event pages list raw events in time order. The transaction that stores a group of events of one
 * meter and UTC hour also puts one page item listing them (time, id, customer), so listing reads a
 * few pages instead of one index entry per event:
 *   pk = EP#<account>#<meter>#<yyyy-mm-dd>   sk = <hh>#<earliest meterTimeInMillis, 13 digits>#<pageId>
 * One partition per meter and UTC day bounds what a time-range listing reads; within it, pages sort
 * by hour and then by their earliest event, and the random page id keeps two pages apart.
 *
 * Rollups: customer-hour items per (account, meter, customer), with one slot per combination of
 * declared dimension values (functions/domain/rollup-items.ts), and customer-day items per
 * (account, meter, customer), which leave the dimensions out. A combination that finds no room in
 * its customer-hour item gets an hourly item of its own (the `<dims>` form).
 *   customer-hour  pk = RH#<account>#<meter>#<yyyy-mm-dd>#<shard>   sk = <customer>#<hh>#*
 *   combination    pk = RH#<account>#<meter>#<yyyy-mm-dd>#<shard>   sk = <customer>#<hh>#<dims>
 *   daily          pk = RD#<account>#<meter>#<yyyy-mm>#<shard>      sk = <customer>#<dd>#
 * - The period in the partition key bounds what a time-range query reads (a day of hours, a month of
 *   days); the shard (a hash of the customer) spreads one busy meter over several partitions.
 * - The customer leads the sort key, so a one-customer query reads only that customer's items
 *   (`begins_with`, or BETWEEN over its periods), in one partition per period.
 * - Customer and dimension values are percent-encoded, so a `#` inside them cannot shift the fields.
 *   An encoded combination is empty, holds `=` or starts with `%h`: never the customer-hour item's `*`.
 */
export const ROLLUP_SHARDS = 4;
export const EVENT_SK = 'EVENT';

export type Granularity = 'HOUR' | 'DAY';

export function eventKey(accountId: string, meterApiName: string, eventId: string): { pk: string; sk: string } {
  return { pk: `EV#${accountId}#${meterApiName}#${eventId}`, sk: EVENT_SK };
}

/** The parts of an event item's pk; undefined for anything that is not one. */
export function parseEventKey(pk: string): { accountId: string; meterApiName: string; eventId: string } | undefined {
  const match = /^EV#([^#]+)#([^#]+)#(.+)$/s.exec(pk);
  return match ? { accountId: match[1]!, meterApiName: match[2]!, eventId: match[3]! } : undefined;
}

/** Every event page partition key of an account starts with this and a `#`. */
export function eventPageAccountKey(accountId: string): string {
  return `EP#${accountId}`;
}

export function eventPagePartition(accountId: string, meterApiName: string, timeMillis: number): string {
  return `${eventPageAccountKey(accountId)}#${meterApiName}#${utcParts(timeMillis).day}`;
}

export const pad13 = (millis: number) => String(millis).padStart(13, '0');

/** The sort-key prefix of every page of the UTC hour that holds `timeMillis`. */
export function eventPageHourPrefix(timeMillis: number): string {
  return `${utcParts(timeMillis).hourOfDay}#`;
}

export function eventPageSortKey(earliestTimeMillis: number, pageId: string): string {
  return `${eventPageHourPrefix(earliestTimeMillis)}${pad13(earliestTimeMillis)}#${pageId}`;
}

/** FNV-1a: cheap, stable across runtimes, and good enough to spread customers over a few shards. */
export function shardOf(customerId: string, shards = ROLLUP_SHARDS): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < customerId.length; index++) {
    hash ^= customerId.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

const pad2 = (value: number) => String(value).padStart(2, '0');

function utcParts(timeMillis: number) {
  const date = new Date(timeMillis);
  return {
    month: `${date.getUTCFullYear()}-${pad2(date.getUTCMonth() + 1)}`,
    day: `${date.getUTCFullYear()}-${pad2(date.getUTCMonth() + 1)}-${pad2(date.getUTCDate())}`,
    hourOfDay: pad2(date.getUTCHours()),
    dayOfMonth: pad2(date.getUTCDate()),
  };
}

/**
 * A sort key is at most 1,024 bytes. Customer ids and dimension values can be long (and percent
 * encoding triples non-ASCII), so a part above this length is replaced by a digest. `%h` can never
 * come out of encodeURIComponent (it always writes % and two hex digits), so a digest cannot
 * collide with an encoded value. The items keep the real values as attributes.
 */
export const MAX_ENCODED_KEY_PART = 240;

export function encodeKeyPart(value: string): string {
  const encoded = encodeURIComponent(value);
  if (encoded.length <= MAX_ENCODED_KEY_PART) return encoded;
  return `%h${createHash('sha256').update(value, 'utf8').digest('base64url')}`;
}

/** Declared dimension values in the meter's declared order; absent ones are left out. */
export function encodeDimensions(dimensionOrder: readonly string[], dimensions: Readonly<Record<string, string>>): string {
  const encoded = dimensionOrder
    .filter((name) => Object.hasOwn(dimensions, name))
    .map((name) => `${encodeKeyPart(name)}=${encodeKeyPart(dimensions[name]!)}`)
    .join('&');
  return encoded.length <= MAX_ENCODED_KEY_PART ? encoded : encodeKeyPart(encoded);
}

export const DAY_MILLIS = 24 * HOUR_MILLIS;

export function periodStartOf(granularity: Granularity, timeMillis: number): number {
  const size = granularity === 'HOUR' ? HOUR_MILLIS : DAY_MILLIS;
  return Math.floor(timeMillis / size) * size;
}

export function rollupPartitionKey(
  granularity: Granularity,
  accountId: string,
  meterApiName: string,
  periodStartMillis: number,
  shard: number,
): string {
  const parts = utcParts(periodStartMillis);
  return granularity === 'HOUR'
    ? `RH#${accountId}#${meterApiName}#${parts.day}#${shard}`
    : `RD#${accountId}#${meterApiName}#${parts.month}#${shard}`;
}

export function rollupSortKey(
  granularity: Granularity,
  customerId: string,
  periodStartMillis: number,
  encodedDimensions: string,
): string {
  const parts = utcParts(periodStartMillis);
  const period = granularity === 'HOUR' ? parts.hourOfDay : parts.dayOfMonth;
  return `${encodeKeyPart(customerId)}#${period}#${encodedDimensions}`;
}

export function customerHourSortKey(customerId: string, hourStartMillis: number): string {
  return `${encodeKeyPart(customerId)}#${utcParts(hourStartMillis).hourOfDay}#*`;
}

/** The sort-key prefix of all of one customer's items in a rollup partition. */
export function customerSortPrefix(customerId: string): string {
  return `${encodeKeyPart(customerId)}#`;
}
