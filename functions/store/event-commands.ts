import type { TransactWriteCommandInput, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { keyString, type PlannedEvent, type RollupDelta, type TransactionPlan } from '../domain/consumption.js';
import { encodePageEntries, type EventPage } from '../domain/event-pages.js';
import { countersOf, storedCounters } from '../domain/rollup-items.js';

/**
 * Pure builders of the consumer's writes. The state machine of an event item:
 *   absent --(transaction: Put if absent + page Put + rollup ADDs)--> stored with its status, listed on one page
 *   stored --(same key again)--> unchanged; the rollups are not touched (the Put's condition fails
 *     and cancels the whole transaction, which is then re-sent without that event)
 *   stored --(same key, other payload)--> flagged duplicateConflict, still counted once
 * Invariant: an event's contribution is in the rollups if and only if its item exists with status
 * `counted`, and it is on exactly one event page if and only if its item exists, because all of
 * them are written by one transaction.
 */
export interface DataTables {
  readonly events: string;
  readonly rollups: string;
}

const EVENT_ABSENT = 'attribute_not_exists(pk)';
const ITEM_PRESENT = 'attribute_exists(pk)';

const SECONDS_PER_DAY = 86_400;

/** Raw retention is also the dedup window, counted from arrival so a late event gets all of it. */
function expiresAt(receivedAtMillis: number, retentionDays: number): number {
  return Math.floor(receivedAtMillis / 1000) + retentionDays * SECONDS_PER_DAY;
}

/**
 * The event item holds what the listing returns, what the rollups were given (for duplicates) and
 * the payload hash (for conflicts). Account, meter and event id are read back from the key.
 */
export function eventItem(planned: PlannedEvent, retentionDays: number): Record<string, unknown> {
  const { event } = planned;
  return {
    ...planned.key,
    idSource: event.idSource,
    customerId: event.customerId,
    meterValue: event.meterValue,
    meterTimeInMillis: event.meterTimeInMillis,
    dimensions: event.dimensions,
    status: planned.status,
    receivedAtMillis: planned.receivedAtMillis,
    expiresAt: expiresAt(planned.receivedAtMillis, retentionDays),
  };
}

/** The deltas of a transaction by rollup item, in first-seen order: one Update per item. */
export function rollupItemGroups(rollups: readonly RollupDelta[]): { key: { pk: string; sk: string }; deltas: RollupDelta[] }[] {
  const groups = new Map<string, { key: { pk: string; sk: string }; deltas: RollupDelta[] }>();
  for (const delta of rollups) {
    const id = keyString(delta);
    const group = groups.get(id) ?? { key: { pk: delta.pk, sk: delta.sk }, deltas: [] };
    group.deltas.push(delta);
    groups.set(id, group);
  }
  return [...groups.values()];
}

/** What the writer knows of rollup items, by keyString; absent means "assume it does not exist". */
export type KnownRollups = ReadonlyMap<string, Readonly<Record<string, unknown>> | undefined>;

export function eventPageItem(page: EventPage, retentionDays: number): Record<string, unknown> {
  return {
    pk: page.pk,
    sk: page.sk,
    entryCount: page.entries.length,
    entries: encodePageEntries(page.entries),
    expiresAt: expiresAt(page.receivedAtMillis, retentionDays),
  };
}

/**
 * Event Puts come first, one per event, so cancellation reason i is event i. Then the page Puts,
 * without a condition: a page key is new by construction, and a page is only ever written together
 * with the events it lists. Then one Update per rollup item, in rollupItemGroups order.
 */
export function buildEventTransaction(
  tables: DataTables,
  plan: TransactionPlan,
  known: KnownRollups,
  retentionDays: number,
): TransactWriteCommandInput {
  return {
    TransactItems: [
      ...plan.events.map((planned) => ({
        Put: {
          TableName: tables.events,
          Item: eventItem(planned, retentionDays),
          ConditionExpression: EVENT_ABSENT,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
        },
      })),
      ...plan.pages.map((page) => ({ Put: { TableName: tables.events, Item: eventPageItem(page, retentionDays) } })),
      ...rollupItemGroups(plan.rollups).map(({ key, deltas }) => ({
        Update: buildRollupUpdate(tables.rollups, key, deltas, known.get(keyString(key))),
      })),
    ],
  };
}

type RollupUpdate = UpdateCommandInput & { UpdateExpression: string };

/**
 * One item's share of a transaction. Sums and counts are ADDed: commutative, so they need no
 * condition. Extremes and slots follow a small state machine, each step guarded by what the
 * writer last saw of the item:
 *   counters absent  --SET min, max (and a slot's dimensions)-->  present   [if still absent]
 *   min = m          --SET min = v, for v < m-->                    min = v  [if min still = m]
 *   max = m          --SET max = v, for v > m-->                    max = v  [if max still = m]
 * Invariant: a stored extreme is always the extreme of the events counted in that slot, because an
 * extreme only ever replaces the value the writer compared it with. A failed guard cancels the
 * transaction; the writer then learns the item from the cancellation and sends it again.
 */
export function buildRollupUpdate(
  table: string,
  key: { pk: string; sk: string },
  deltas: readonly RollupDelta[],
  stored: Readonly<Record<string, unknown>> | undefined,
): RollupUpdate {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const add: string[] = [];
  const set: string[] = [];
  const conditions: string[] = [];
  let counter = 0;
  const name = (attribute: string) => {
    const token = `#a${counter++}`;
    names[token] = attribute;
    return token;
  };
  const value = (content: unknown) => {
    const token = `:v${Object.keys(values).length}`;
    values[token] = content;
    return token;
  };
  const first = deltas[0]!;
  set.push(`${name('customerId')} = ${value(first.customerId)}`, `${name('periodStartMillis')} = ${value(first.periodStartMillis)}`);
  if (first.slot === undefined && first.granularity === 'HOUR') set.push(`${name('dimensions')} = ${value(first.dimensions)}`);
  for (const delta of deltas) {
    const counters = countersOf(delta.slot?.id);
    add.push(`${name(counters.sum)} ${value(delta.sum)}`, `${name(counters.count)} ${value(delta.count)}`);
    const seen = storedCounters(stored, delta.slot?.id);
    if (!seen.present) {
      if (counters.dimensions === undefined) conditions.push(`attribute_not_exists(${name(counters.sum)})`);
      else {
        const dimensions = name(counters.dimensions);
        conditions.push(`attribute_not_exists(${dimensions})`);
        set.push(`${dimensions} = ${value(delta.dimensions)}`);
      }
      set.push(`${name(counters.min)} = ${value(delta.min)}`, `${name(counters.max)} = ${value(delta.max)}`);
      continue;
    }
    if (seen.min === undefined || delta.min < seen.min) {
      const min = name(counters.min);
      conditions.push(seen.min === undefined ? `attribute_not_exists(${min})` : `${min} = ${value(seen.min)}`);
      set.push(`${min} = ${value(delta.min)}`);
    }
    if (seen.max === undefined || delta.max > seen.max) {
      const max = name(counters.max);
      conditions.push(seen.max === undefined ? `attribute_not_exists(${max})` : `${max} = ${value(seen.max)}`);
      set.push(`${max} = ${value(delta.max)}`);
    }
  }
  return {
    TableName: table,
    Key: key,
    UpdateExpression: `ADD ${add.join(', ')} SET ${set.join(', ')}`,
    ...(conditions.length > 0 ? { ConditionExpression: conditions.join(' AND ') } : {}),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/** The stored event stays counted once; the flag tells its owner the id was reused with other data. */
export function buildFlagConflict(
  table: string,
  key: { pk: string; sk: string },
  conflictingPayloadHash: string,
  nowMillis: number,
): UpdateCommandInput {
  return {
    TableName: table,
    Key: key,
    UpdateExpression: 'SET duplicateConflict = :true, conflictingPayloadHash = :hash, conflictSeenAtMillis = :now',
    ConditionExpression: ITEM_PRESENT,
    ExpressionAttributeValues: { ':true': true, ':hash': conflictingPayloadHash, ':now': nowMillis },
  };
}
