import { createHash, randomUUID } from 'node:crypto';
import type { AccountMeters } from '../store/account-config-cache.js';
import {
  customerHourSortKey,
  encodeDimensions,
  eventKey,
  periodStartOf,
  rollupPartitionKey,
  rollupSortKey,
  shardOf,
  type Granularity,
} from '../store/data-keys.js';
import { eventPageGroup, eventPages, type EventPage } from './event-pages.js';
import { QUEUE_MESSAGE_VERSION, type QueuedEvent, type QueueMessageBody } from './events.js';
import { rulesKeep } from './filtering-rules.js';
import { MAX_SLOTS_PER_ITEM, sameDimensions, slotId, slotIdsOf, storedCounters } from './rollup-items.js';
import { declaredDimensions } from './rollups.js';
import { isJsonObject } from './validation.js';

/**
 * What the consumer decides about each event before touching storage: its status, its dedup key,
 * the rollup items it adds to, and how events are packed into transactions. Pure.
 */
export type EventStatus = 'counted' | 'filtered' | 'unknown-meter';

export interface RollupTarget {
  readonly granularity: Granularity;
  readonly pk: string;
  readonly sk: string;
  readonly accountId: string;
  readonly meterApiName: string;
  readonly customerId: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly periodStartMillis: number;
  /**
   * Set on an hourly target inside the customer-hour item: its slot, and the item of its own the
   * combination falls back to when the customer-hour item has no room left for it.
   */
  readonly slot?: { readonly id: string; readonly spillSk: string };
}

export interface PlannedEvent {
  readonly accountId: string;
  readonly event: QueuedEvent;
  readonly status: EventStatus;
  readonly payloadHash: string;
  readonly receivedAtMillis: number;
  /** The SQS message it came in, reported back when the event cannot be stored. */
  readonly messageId: string;
  readonly key: { readonly pk: string; readonly sk: string };
  /** Empty unless counted. */
  readonly rollups: readonly RollupTarget[];
}

export interface RollupDelta extends RollupTarget {
  readonly sum: number;
  readonly count: number;
  readonly min: number;
  readonly max: number;
}

export interface TransactionPlan {
  readonly events: readonly PlannedEvent[];
  /** One per meter-hour group of the events; see event-pages.ts. */
  readonly pages: readonly EventPage[];
  readonly rollups: readonly RollupDelta[];
}

export class CorruptMessageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CorruptMessageError';
  }
}

/** DynamoDB's TransactWriteItems limit. */
export const MAX_TRANSACTION_ACTIONS = 100;

/** Parses one SQS message body; anything that is not a known message format is corrupt. */
export function decodeMessageBody(body: string): QueueMessageBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new CorruptMessageError('message body is not JSON', { cause: error });
  }
  if (!isJsonObject(parsed) || parsed.v !== QUEUE_MESSAGE_VERSION) {
    throw new CorruptMessageError(`message is not a version ${QUEUE_MESSAGE_VERSION} event batch`);
  }
  if (typeof parsed.accountId !== 'string' || parsed.accountId === '' || !Array.isArray(parsed.events)) {
    throw new CorruptMessageError('message lacks accountId or events');
  }
  if (typeof parsed.receivedAtMillis !== 'number' || !parsed.events.every(isQueuedEvent)) {
    throw new CorruptMessageError('message holds malformed events');
  }
  return parsed as unknown as QueueMessageBody;
}

function isQueuedEvent(value: unknown): value is QueuedEvent {
  if (!isJsonObject(value)) return false;
  return (
    typeof value.eventId === 'string' &&
    value.eventId !== '' &&
    (value.idSource === 'client' || value.idSource === 'stamped') &&
    typeof value.meterApiName === 'string' &&
    typeof value.customerId === 'string' &&
    typeof value.meterValue === 'number' &&
    Number.isFinite(value.meterValue) &&
    Number.isInteger(value.meterTimeInMillis) &&
    isJsonObject(value.dimensions) &&
    Object.values(value.dimensions).every((dimension) => typeof dimension === 'string')
  );
}

/** Identifies the content of an event, to tell a true duplicate from a reused id with other data. */
export function payloadHash(event: Pick<QueuedEvent, 'customerId' | 'meterValue' | 'meterTimeInMillis' | 'dimensions'>): string {
  const dimensions = Object.keys(event.dimensions)
    .sort()
    .map((name) => [name, event.dimensions[name]]);
  const canonical = JSON.stringify([event.customerId, event.meterValue, event.meterTimeInMillis, dimensions]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

/**
 * Every counted event updates two items: its customer-hour, in the slot of its declared dimension
 * values, and its customer-day, keyed by customer alone. The customer-day is what long queries that
 * neither group nor filter by a dimension read (one item per active customer and day, however many
 * dimension combinations stand behind it). Every event of a customer in a batch shares both.
 */
export function rollupTargets(
  accountId: string,
  event: Pick<QueuedEvent, 'meterApiName' | 'customerId' | 'meterTimeInMillis' | 'dimensions'>,
  declaredDimensionOrder: readonly string[],
): RollupTarget[] {
  const dimensions = declaredDimensions({ dimensions: declaredDimensionOrder }, event.dimensions);
  const shard = shardOf(event.customerId);
  const base = (granularity: Granularity) => {
    const periodStartMillis = periodStartOf(granularity, event.meterTimeInMillis);
    return {
      granularity,
      pk: rollupPartitionKey(granularity, accountId, event.meterApiName, periodStartMillis, shard),
      accountId,
      meterApiName: event.meterApiName,
      customerId: event.customerId,
      periodStartMillis,
    };
  };
  const hour = base('HOUR');
  const day = base('DAY');
  const encoded = encodeDimensions(declaredDimensionOrder, dimensions);
  return [
    {
      ...hour,
      sk: customerHourSortKey(event.customerId, hour.periodStartMillis),
      dimensions,
      slot: { id: slotId(encoded), spillSk: rollupSortKey('HOUR', event.customerId, hour.periodStartMillis, encoded) },
    },
    { ...day, sk: rollupSortKey('DAY', event.customerId, day.periodStartMillis, ''), dimensions: {} },
  ];
}

/**
 * Decides, for each slot target, whether its combination lives in the customer-hour item: yes if
 * the item holds it already or has room (`maxSlots`) for another, no if the item is full or holds
 * another combination under the same digest; then the target moves to the combination's own item.
 * `stored` is what the writer knows of the items (a missing entry counts as an empty item: the
 * transaction's conditions catch whatever it did not know). Deterministic for the same input.
 */
export function placeSlots<T extends Pick<PlannedEvent, 'rollups'>>(
  events: readonly T[],
  stored: ReadonlyMap<string, Readonly<Record<string, unknown>> | undefined>,
  maxSlots = MAX_SLOTS_PER_ITEM,
): T[] {
  const claimed = new Map<string, Map<string, Readonly<Record<string, string>>>>();
  const slotsOf = (target: RollupTarget) => {
    const key = keyString(target);
    let slots = claimed.get(key);
    if (!slots) {
      const item = stored.get(key);
      slots = new Map(item ? slotIdsOf(item).map((id) => [id, storedCounters(item, id).dimensions ?? {}] as const) : []);
      claimed.set(key, slots);
    }
    return slots;
  };
  return events.map((event) => {
    if (!event.rollups.some((target) => target.slot)) return event;
    const rollups = event.rollups.map((target) => {
      if (!target.slot) return target;
      const slots = slotsOf(target);
      const holder = slots.get(target.slot.id);
      if (holder ? sameDimensions(holder, target.dimensions) : slots.size < maxSlots) {
        slots.set(target.slot.id, target.dimensions);
        return target;
      }
      const { slot, ...spilled } = target;
      return { ...spilled, sk: slot.spillSk };
    });
    return { ...event, rollups };
  });
}

/** Status and rollup targets of each event of one message, under the account's current meters and rules. */
export function planMessage(message: QueueMessageBody, messageId: string, account: AccountMeters): PlannedEvent[] {
  return message.events.map((event) => {
    const meter = account.meters.get(event.meterApiName);
    const status: EventStatus = !meter
      ? 'unknown-meter'
      : rulesKeep(account.rulesByMeter.get(event.meterApiName) ?? [], event.dimensions)
        ? 'counted'
        : 'filtered';
    return {
      accountId: message.accountId,
      event,
      status,
      payloadHash: payloadHash(event),
      receivedAtMillis: message.receivedAtMillis,
      messageId,
      key: eventKey(message.accountId, event.meterApiName, event.eventId),
      rollups: status === 'counted' ? rollupTargets(message.accountId, event, meter!.dimensions) : [],
    };
  });
}

/** One string per DynamoDB item key, for sets and maps of items. */
export const keyString = (key: { readonly pk: string; readonly sk: string }) => `${key.pk}\u0000${key.sk}`;

/** The first occurrence of each event key wins; later ones in the same batch are dropped. */
export function dedupInBatch(events: readonly PlannedEvent[]): {
  unique: PlannedEvent[];
  duplicates: PlannedEvent[];
} {
  const seen = new Set<string>();
  const unique: PlannedEvent[] = [];
  const duplicates: PlannedEvent[] = [];
  for (const event of events) {
    const key = keyString(event.key);
    if (seen.has(key)) duplicates.push(event);
    else {
      seen.add(key);
      unique.push(event);
    }
  }
  return { unique, duplicates };
}

/** Sum, count, min and max per rollup item over the given events. */
export function rollupDeltas(
  events: readonly Pick<PlannedEvent, 'event' | 'rollups'>[],
): RollupDelta[] {
  const deltas = new Map<string, { target: RollupTarget; sum: number; count: number; min: number; max: number }>();
  for (const { event, rollups } of events) {
    for (const target of rollups) {
      const key = `${keyString(target)}\u0000${target.slot?.id ?? ''}`;
      const delta = deltas.get(key);
      if (delta) {
        delta.sum += event.meterValue;
        delta.count += 1;
        delta.min = Math.min(delta.min, event.meterValue);
        delta.max = Math.max(delta.max, event.meterValue);
      } else {
        deltas.set(key, { target, sum: event.meterValue, count: 1, min: event.meterValue, max: event.meterValue });
      }
    }
  }
  return [...deltas.values()].map(({ target, ...totals }) => ({ ...target, ...totals, sum: roundForStorage(totals.sum) }));
}

/**
 * DynamoDB numbers carry 38 significant digits and an ADD whose exact result needs more fails.
 * Ingest bounds values to 1e-12..1e15 in size, so rounding sums to 12 decimals keeps every stored
 * sum exact to that precision and well inside 38 digits; it also drops binary noise such as
 * 0.1 + 0.2 = 0.30000000000000004.
 */
export const SUM_DECIMALS = 12;

export function roundForStorage(value: number): number {
  return Number(value.toFixed(SUM_DECIMALS));
}

/**
 * Packs events into transactions of at most `maxActions` actions: one Put per event, one page Put
 * per meter-hour group among its events, plus one update per distinct rollup item its events
 * touch. Events are ordered by their rollup items first, so events that share items travel
 * together and each item is written as few times as possible.
 */
export function packTransactions(
  events: readonly PlannedEvent[],
  maxActions = MAX_TRANSACTION_ACTIONS,
  newPageId: () => string = randomUUID,
): TransactionPlan[] {
  const ordered = [...events].sort((a, b) => compareStrings(rollupOrderKey(a), rollupOrderKey(b)));
  const plans: TransactionPlan[] = [];
  let current: PlannedEvent[] = [];
  let currentItems = new Set<string>();
  let currentPages = new Set<string>();
  const flush = () => {
    if (current.length > 0) plans.push({ events: current, pages: eventPages(current, newPageId), rollups: rollupDeltas(current) });
    current = [];
    currentItems = new Set();
    currentPages = new Set();
  };
  for (const event of ordered) {
    const newItems = event.rollups.map(keyString).filter((key) => !currentItems.has(key));
    const newPage = currentPages.has(eventPageGroup(event)) ? 0 : 1;
    if (current.length + currentPages.size + currentItems.size + 1 + newPage + newItems.length > maxActions) flush();
    current.push(event);
    currentPages.add(eventPageGroup(event));
    for (const target of event.rollups) currentItems.add(keyString(target));
  }
  flush();
  return plans;
}

/**
 * Uncounted events (no rollups) sort last, where they fill whatever room the counted ones left;
 * among them, those of one meter-hour sort together so they share pages.
 */
function rollupOrderKey(event: PlannedEvent): string {
  const hourly = event.rollups[0];
  return hourly ? `0${keyString(hourly)}` : `1${eventPageGroup(event)}`;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The fields of a stored event item that tell a true duplicate from a reused id. The item keeps
 * the payload itself, so its hash is computed from it rather than stored next to it.
 */
export interface StoredEventFields {
  readonly customerId?: unknown;
  readonly meterValue?: unknown;
  readonly meterTimeInMillis?: unknown;
  readonly dimensions?: unknown;
  /** Items written before the hash was derived carry it. */
  readonly payloadHash?: unknown;
  readonly conflictingPayloadHash?: unknown;
}

/** The payload hash of a stored event, or undefined when the item lacks the payload. */
export function storedPayloadHash(stored: StoredEventFields): string | undefined {
  if (typeof stored.payloadHash === 'string') return stored.payloadHash;
  const { customerId, meterValue, meterTimeInMillis, dimensions } = stored;
  if (typeof customerId !== 'string' || typeof meterValue !== 'number' || typeof meterTimeInMillis !== 'number' || !isJsonObject(dimensions)) {
    return undefined;
  }
  return payloadHash({ customerId, meterValue, meterTimeInMillis, dimensions: dimensions as Record<string, string> });
}

/** A duplicate whose payload differs from the stored one and has not been flagged yet. */
export function isUnflaggedConflict(planned: Pick<PlannedEvent, 'payloadHash'>, stored: StoredEventFields): boolean {
  const storedHash = storedPayloadHash(stored);
  return storedHash !== undefined && storedHash !== planned.payloadHash && stored.conflictingPayloadHash !== planned.payloadHash;
}
