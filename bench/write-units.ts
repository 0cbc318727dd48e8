import type {
  BatchGetCommandInput,
  TransactWriteCommandInput,
  UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';

/**
 * What AWS would charge, in request units, for the writes and reads Tally sends, from the
 * documented rules rather than from DynamoDB Local (which reports transactional writes at twice
 * the documented rate):
 * - item size: attribute names plus values (strings in UTF-8 bytes, numbers 1 byte per two
 *   significant digits plus 1, booleans 1, maps and lists 3 bytes plus 1 per element);
 * - standard write: 1 WRU per started KB; transactional write: 2 WRU per started KB;
 * - a write whose condition fails still consumes 1 WRU;
 * - an eventually consistent read: 0.5 RRU per started 4 KB.
 * A transaction cancelled by a failed condition is charged here as if every item had been written
 * transactionally: an upper bound, because AWS does not document what a cancelled attempt costs.
 */
export const WRITE_UNIT_BYTES = 1024;
export const READ_UNIT_BYTES = 4096;
export const TRANSACTIONAL_FACTOR = 2;

export function attributeValueSize(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (value instanceof Uint8Array) return value.byteLength;
  if (typeof value === 'number') return numberSize(value);
  if (typeof value === 'boolean' || value === null) return 1;
  if (Array.isArray(value)) return 3 + value.reduce((total: number, element) => total + 1 + attributeValueSize(element), 0);
  if (value instanceof Set) return [...value].reduce((total: number, element) => total + attributeValueSize(element), 0);
  if (typeof value === 'object' && value !== undefined) {
    return 3 + Object.entries(value).reduce((total, [name, nested]) => total + 1 + Buffer.byteLength(name, 'utf8') + attributeValueSize(nested), 0);
  }
  return 0;
}

function numberSize(value: number): number {
  const digits = Math.abs(value)
    .toExponential()
    .replace(/e.*$/, '')
    .replace('.', '');
  const significant = digits.replace(/^0+/, '').replace(/0+$/, '').length || 1;
  return Math.ceil(significant / 2) + 1;
}

export function itemSizeBytes(item: Readonly<Record<string, unknown>>): number {
  return Object.entries(item).reduce(
    (total, [name, value]) => (value === undefined ? total : total + Buffer.byteLength(name, 'utf8') + attributeValueSize(value)),
    0,
  );
}

export const writeUnits = (sizeBytes: number) => Math.max(1, Math.ceil(sizeBytes / WRITE_UNIT_BYTES));
export const eventuallyConsistentReadUnits = (sizeBytes: number) => 0.5 * Math.max(1, Math.ceil(sizeBytes / READ_UNIT_BYTES));

export const WRITE_CATEGORIES = [
  'eventPut',
  'eventPage',
  'hourlyRollupAdd',
  'dailyRollupAdd',
  'cancelledTransaction',
  'otherWrite',
] as const;
export type WriteCategory = (typeof WRITE_CATEGORIES)[number];

export const WRITE_CATEGORY_LABELS: Record<WriteCategory, string> = {
  eventPut: 'event Put (transactional)',
  eventPage: 'event page Put (transactional)',
  hourlyRollupAdd: 'customer-hour (and combination) rollup updates (transactional)',
  dailyRollupAdd: 'customer-day rollup updates (transactional)',
  cancelledTransaction: 'cancelled transaction attempts (upper bound)',
  otherWrite: 'other writes',
};

export interface LedgerTables {
  readonly events: string;
  readonly rollups: string;
}

export interface LedgerTotals {
  readonly writeUnits: Readonly<Record<WriteCategory, number>>;
  readonly writeRequests: Readonly<Record<WriteCategory, number>>;
  readonly readUnits: number;
  readonly largestItemBytes: { readonly event: number; readonly page: number; readonly rollup: number };
  /** Event page items committed, and their bytes (before DynamoDB's per-item overhead). */
  readonly pages: { readonly items: number; readonly bytes: number };
}

/** Event pages share the Events table with the event items; their keys tell them apart. */
const isEventPage = (item: Item | undefined) => String(item?.pk ?? '').startsWith('EP#');

type Item = Readonly<Record<string, unknown>>;

/** Adds up request units per category as commands and their outcomes are reported to it. */
export class WriteUnitLedger {
  private readonly units = emptyTotals();
  private readonly requests = emptyTotals();
  private reads = 0;
  private largestEvent = 0;
  private largestPage = 0;
  private largestRollup = 0;
  private readonly knownSizes = new Map<string, number>();
  private pageItems = 0;
  private pageBytes = 0;

  constructor(private readonly tables: LedgerTables) {}

  /** The rollup items a transaction updates, for the caller to read their sizes after it commits. */
  rollupKeysOf(input: TransactWriteCommandInput): { table: string; key: Record<string, unknown> }[] {
    return (input.TransactItems ?? []).flatMap((action) =>
      action.Update?.TableName === this.tables.rollups ? [{ table: this.tables.rollups, key: action.Update.Key as Record<string, unknown> }] : [],
    );
  }

  /** `sizesAfter`: bytes of each updated rollup item after the commit, by "pk sk"; the image of the update otherwise. */
  transaction(input: TransactWriteCommandInput, outcome: 'committed' | 'cancelled', sizesAfter: ReadonlyMap<string, number> = new Map()): void {
    for (const action of input.TransactItems ?? []) {
      const size = action.Put
        ? this.sizeOfPut(action.Put)
        : this.sizeOfUpdate(action.Update ?? action.Delete ?? action.ConditionCheck ?? {}, outcome === 'committed' ? sizesAfter : new Map());
      const units = TRANSACTIONAL_FACTOR * writeUnits(size);
      if (outcome === 'cancelled') {
        this.add('cancelledTransaction', units);
        continue;
      }
      if (action.Put) {
        const page = action.Put.TableName === this.tables.events && isEventPage(action.Put.Item);
        this.add(action.Put.TableName !== this.tables.events ? 'otherWrite' : page ? 'eventPage' : 'eventPut', units);
        if (page) {
          this.pageItems += 1;
          this.pageBytes += size;
        }
      } else if (action.Update) {
        this.add(this.rollupCategory(action.Update), units);
      } else {
        this.add('otherWrite', units);
      }
    }
  }

  /** Single UpdateItems (the consumer sends them only to flag conflicts) cost 1 WRU per started KB, also when their condition fails. */
  update(input: UpdateCommandInput, outcome: 'applied' | 'conditionFailed'): void {
    this.add('otherWrite', outcome === 'conditionFailed' ? 1 : writeUnits(this.sizeOfUpdate(input, new Map())));
  }

  /** Event and rollup items are below 4 KB, so every key read costs the minimum: 0.5, or 1 strongly consistent (pages are read by Query, not here). */
  batchGet(input: BatchGetCommandInput): void {
    for (const request of Object.values(input.RequestItems ?? {})) {
      this.reads += (request.Keys?.length ?? 0) * eventuallyConsistentReadUnits(0) * (request.ConsistentRead ? 2 : 1);
    }
  }

  totals(): LedgerTotals {
    return {
      writeUnits: { ...this.units },
      writeRequests: { ...this.requests },
      readUnits: this.reads,
      largestItemBytes: { event: this.largestEvent, page: this.largestPage, rollup: this.largestRollup },
      pages: { items: this.pageItems, bytes: this.pageBytes },
    };
  }

  private add(category: WriteCategory, units: number): void {
    this.units[category] += units;
    this.requests[category] += 1;
  }

  private sizeOfPut(put: { TableName?: string; Item?: Item }): number {
    const size = itemSizeBytes(put.Item ?? {});
    if (put.TableName === this.tables.events && isEventPage(put.Item)) this.largestPage = Math.max(this.largestPage, size);
    else if (put.TableName === this.tables.events) this.largestEvent = Math.max(this.largestEvent, size);
    return size;
  }

  /**
   * An update is charged on the larger of the item before and after it. After: read back by the
   * caller when it can; else the key plus every value the update sets or adds, named after its
   * placeholder. Before: what this ledger last saw of the item.
   */
  private sizeOfUpdate(
    update: { TableName?: string; Key?: Item; ExpressionAttributeValues?: Item },
    sizesAfter: ReadonlyMap<string, number>,
  ): number {
    const id = `${String(update.Key?.pk)} ${String(update.Key?.sk)}`;
    const image: Record<string, unknown> = { ...update.Key };
    for (const [placeholder, value] of Object.entries(update.ExpressionAttributeValues ?? {})) image[placeholder.slice(1)] = value;
    const after = sizesAfter.get(id) ?? itemSizeBytes(image);
    const size = Math.max(after, this.knownSizes.get(id) ?? 0);
    if (sizesAfter.has(id)) this.knownSizes.set(id, after);
    if (update.TableName === this.tables.rollups) this.largestRollup = Math.max(this.largestRollup, size);
    return size;
  }

  private rollupCategory(update: { TableName?: string; Key?: Item }): WriteCategory {
    if (update.TableName !== this.tables.rollups) return 'otherWrite';
    const pk = String(update.Key?.pk ?? '');
    return pk.startsWith('RH#') ? 'hourlyRollupAdd' : pk.startsWith('RD#') ? 'dailyRollupAdd' : 'otherWrite';
  }
}

function emptyTotals(): Record<WriteCategory, number> {
  return Object.fromEntries(WRITE_CATEGORIES.map((category) => [category, 0])) as Record<WriteCategory, number>;
}
