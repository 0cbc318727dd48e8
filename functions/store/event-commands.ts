import type { BatchGetCommandInput, TransactWriteCommandInput, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { PlannedEvent, RollupDelta, TransactionPlan } from '../domain/consumption.js';
import { encodePageEntries, type EventPage } from '../domain/event-pages.js';

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
const MIN_WOULD_DROP = 'attribute_not_exists(#min) OR #min > :value';
const MAX_WOULD_RISE = 'attribute_not_exists(#max) OR #max < :value';

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
    payloadHash: planned.payloadHash,
    receivedAtMillis: planned.receivedAtMillis,
    expiresAt: expiresAt(planned.receivedAtMillis, retentionDays),
  };
}

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
 * with the events it lists. Then the rollup updates.
 */
export function buildEventTransaction(tables: DataTables, plan: TransactionPlan, retentionDays: number): TransactWriteCommandInput {
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
      ...plan.rollups.map((delta) => ({ Update: buildRollupAdd(tables.rollups, delta) })),
    ],
  };
}

type RollupAdd = UpdateCommandInput & { UpdateExpression: string };

/**
 * ADD is commutative and needs no condition, so concurrent batches never cancel each other here.
 * An item this transaction creates also takes its MIN and MAX (`if_not_exists` cannot fail), so
 * the conditional MIN/MAX step after the commit only has work where a stored extreme must move.
 */
export function buildRollupAdd(table: string, delta: RollupDelta): RollupAdd {
  return {
    TableName: table,
    Key: { pk: delta.pk, sk: delta.sk },
    UpdateExpression:
      'ADD #sum :sum, #count :count SET #min = if_not_exists(#min, :min), #max = if_not_exists(#max, :max), accountId = :accountId, meterApiName = :meterApiName, customerId = :customerId, dimensions = :dimensions, periodStartMillis = :periodStartMillis, granularity = :granularity',
    ExpressionAttributeNames: { '#sum': 'sum', '#count': 'count', '#min': 'min', '#max': 'max' },
    ExpressionAttributeValues: {
      ':sum': delta.sum,
      ':count': delta.count,
      ':min': delta.min,
      ':max': delta.max,
      ':accountId': delta.accountId,
      ':meterApiName': delta.meterApiName,
      ':customerId': delta.customerId,
      ':dimensions': delta.dimensions,
      ':periodStartMillis': delta.periodStartMillis,
      ':granularity': delta.granularity,
    },
  };
}

/**
 * Reads which of a batch's events are stored already, before any transaction: a transaction that
 * holds one stored event is cancelled whole (and charged), so finding duplicates first keeps
 * redeliveries from costing a cancelled transaction each. Eventually consistent is enough: an
 * event stored a moment ago and missed here still fails its Put's condition.
 */
export function buildReadStoredEvents(table: string, keys: readonly { pk: string; sk: string }[]): BatchGetCommandInput {
  return { RequestItems: { [table]: { Keys: keys.map(({ pk, sk }) => ({ pk, sk })) } } };
}

export function buildReadExtremes(table: string, keys: readonly { pk: string; sk: string }[]): BatchGetCommandInput {
  return {
    RequestItems: {
      [table]: {
        Keys: keys.map(({ pk, sk }) => ({ pk, sk })),
        ProjectionExpression: 'pk, sk, #min, #max',
        ExpressionAttributeNames: { '#min': 'min', '#max': 'max' },
      },
    },
  };
}

/**
 * MIN and MAX only ever move one way, so these updates are idempotent and may be repeated after a
 * crash. They stay out of the transaction because their failing condition (nothing to change) would
 * cancel it. The item must exist: the transaction that counted the events created it.
 */
export function buildLowerMin(table: string, key: { pk: string; sk: string }, value: number): UpdateCommandInput {
  return {
    TableName: table,
    Key: key,
    UpdateExpression: 'SET #min = :value',
    ConditionExpression: `${ITEM_PRESENT} AND (${MIN_WOULD_DROP})`,
    ExpressionAttributeNames: { '#min': 'min' },
    ExpressionAttributeValues: { ':value': value },
  };
}

export function buildRaiseMax(table: string, key: { pk: string; sk: string }, value: number): UpdateCommandInput {
  return {
    TableName: table,
    Key: key,
    UpdateExpression: 'SET #max = :value',
    ConditionExpression: `${ITEM_PRESENT} AND (${MAX_WOULD_RISE})`,
    ExpressionAttributeNames: { '#max': 'max' },
    ExpressionAttributeValues: { ':value': value },
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
