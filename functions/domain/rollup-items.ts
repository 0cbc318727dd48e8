import { createHash } from 'node:crypto';

/**
 * The shape of a stored rollup item, and what it says about the counters a transaction may move.
 *
 * A customer-hour item holds one *slot* per combination of declared dimension values: the slot's
 * dimensions and its sum, count, min and max, as top-level attributes named by a short digest of
 * the combination (`d<id>`, `s<id>`, `n<id>`, `l<id>`, `h<id>`). All of a customer's events of an
 * hour share that one item, so a transaction writes one hourly item per customer instead of one
 * per combination. A slot is claimed once (its dimensions never change) and its extremes only
 * move outwards.
 *
 * Other items (customer-day items, and a combination that found no room in its customer-hour
 * item) keep the plain layout: top-level `sum`, `count`, `min`, `max` and `dimensions`.
 */
export const MAX_SLOTS_PER_ITEM = 8;

const SLOT_DIMENSIONS = /^d([A-Za-z0-9_-]{6})$/;

/** 36 bits of SHA-256: a clash inside one customer-hour is detected by comparing the stored dimensions. */
export function slotId(encodedDimensions: string): string {
  return createHash('sha256').update(encodedDimensions, 'utf8').digest('base64url').slice(0, 6);
}

export interface CounterNames {
  readonly sum: string;
  readonly count: string;
  readonly min: string;
  readonly max: string;
  /** Only slots store their dimensions under their own name. */
  readonly dimensions?: string;
}

export const PLAIN_COUNTERS: CounterNames = { sum: 'sum', count: 'count', min: 'min', max: 'max' };

export function slotCounters(slot: string): CounterNames {
  return { sum: `s${slot}`, count: `n${slot}`, min: `l${slot}`, max: `h${slot}`, dimensions: `d${slot}` };
}

export const countersOf = (slot: string | undefined): CounterNames => (slot === undefined ? PLAIN_COUNTERS : slotCounters(slot));

/** One counted combination of an item, as usage queries read it. */
export interface ItemPart {
  readonly slot?: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly sum: number;
  readonly count: number;
  readonly min?: number;
  readonly max?: number;
}

type StoredItem = Readonly<Record<string, unknown>>;

export function slotIdsOf(item: StoredItem): string[] {
  return Object.keys(item).flatMap((name) => {
    const match = SLOT_DIMENSIONS.exec(name);
    return match ? [match[1]!] : [];
  });
}

/** The parts of a stored item: one per slot of a customer-hour item, else the item itself. */
export function itemParts(item: StoredItem): ItemPart[] {
  const slots = slotIdsOf(item);
  if (slots.length === 0) {
    if (typeof item.sum !== 'number') return [];
    return [partOf(item, PLAIN_COUNTERS, (item.dimensions as Record<string, string> | undefined) ?? {})];
  }
  return slots.map((slot) => {
    const names = slotCounters(slot);
    return { slot, ...partOf(item, names, item[names.dimensions!] as Record<string, string>) };
  });
}

function partOf(item: StoredItem, names: CounterNames, dimensions: Record<string, string>): ItemPart {
  return {
    dimensions,
    sum: (item[names.sum] as number | undefined) ?? 0,
    count: (item[names.count] as number | undefined) ?? 0,
    ...(typeof item[names.min] === 'number' ? { min: item[names.min] as number } : {}),
    ...(typeof item[names.max] === 'number' ? { max: item[names.max] as number } : {}),
  };
}

/** What a transaction must know of one counter set before it moves it. */
export interface StoredCounters {
  /** The slot is claimed (a plain item: it has counted anything). */
  readonly present: boolean;
  readonly dimensions?: Readonly<Record<string, string>>;
  readonly min?: number;
  readonly max?: number;
}

export function storedCounters(item: StoredItem | undefined, slot: string | undefined): StoredCounters {
  if (!item) return { present: false };
  const names = countersOf(slot);
  const min = item[names.min];
  const max = item[names.max];
  const present = item[names.dimensions ?? names.sum] !== undefined;
  return {
    present,
    ...(names.dimensions === undefined ? {} : { dimensions: item[names.dimensions] as Record<string, string> | undefined }),
    ...(typeof min === 'number' ? { min } : {}),
    ...(typeof max === 'number' ? { max } : {}),
  };
}

export function sameDimensions(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>>): boolean {
  if (!a) return false;
  const keys = Object.keys(b);
  return Object.keys(a).length === keys.length && keys.every((key) => a[key] === b[key]);
}

export interface CounterDelta {
  readonly slot?: { readonly id: string };
  readonly dimensions: Readonly<Record<string, string>>;
  readonly sum: number;
  readonly count: number;
  readonly min: number;
  readonly max: number;
}

/**
 * The item after a committed transaction added these deltas: what the writer remembers of the items
 * it wrote, so its next transaction on them knows the extremes and slots without reading again.
 */
export function withDeltas(item: StoredItem | undefined, key: { pk: string; sk: string }, deltas: readonly CounterDelta[]): Record<string, unknown> {
  const next: Record<string, unknown> = { ...(item ?? key) };
  for (const delta of deltas) {
    const names = countersOf(delta.slot?.id);
    next[names.sum] = ((next[names.sum] as number | undefined) ?? 0) + delta.sum;
    next[names.count] = ((next[names.count] as number | undefined) ?? 0) + delta.count;
    const min = next[names.min] as number | undefined;
    const max = next[names.max] as number | undefined;
    next[names.min] = min === undefined ? delta.min : Math.min(min, delta.min);
    next[names.max] = max === undefined ? delta.max : Math.max(max, delta.max);
    if (names.dimensions !== undefined) next[names.dimensions] ??= delta.dimensions;
  }
  return next;
}
