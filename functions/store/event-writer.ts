import { TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { keyString, packTransactions, placeSlots, rollupDeltas, type PlannedEvent, type TransactionPlan } from '../domain/consumption.js';
import { withDeltas } from '../domain/rollup-items.js';
import { eventPages } from '../domain/event-pages.js';
import {
  buildEventTransaction,
  buildFlagConflict,
  rollupItemGroups,
  type DataTables,
} from './event-commands.js';
import { BATCH_GET_LIMIT, batchGetItems, buildBatchRead, cancellationReasons, isConditionFailure } from './dynamo.js';
import {
  backoffDelay,
  chunks,
  DEFAULT_BACKOFF,
  forEachExclusive,
  forEachLimited,
  isRetryableError,
  RETRYABLE_CANCELLATION_CODES,
  sleep,
  type Backoff,
} from './retry.js';

/** An event whose key was already stored, with the stored item as DynamoDB returned it. */
export interface StoredDuplicate {
  readonly planned: PlannedEvent;
  readonly stored: Record<string, unknown>;
}

export interface WriteOutcome {
  /** Written by this call (counted, filtered or unknown-meter). */
  readonly committed: PlannedEvent[];
  readonly duplicates: StoredDuplicate[];
  /** Could not be written within the retry budget: their messages must come back. */
  readonly failed: PlannedEvent[];
}

export interface EventWriterOptions {
  readonly retentionDays: number;
  readonly backoff?: Backoff;
  /** Transactions in flight at once within one batch. */
  readonly concurrency?: number;
  readonly now?: () => number;
  readonly sleep?: (millis: number) => Promise<void>;
  readonly random?: () => number;
  /** Ids of new event pages; random so that two transactions never write the same page key. */
  readonly newPageId?: () => string;
}


/**
 * Writes planned events exactly once: events found stored by a read first are duplicates; each
 * transaction then marks the rest and adds them to the rollups atomically (MIN and MAX included),
 * and an event stored between the read and the transaction is dropped from it when its condition
 * fails and it is re-sent.
 */
export class EventWriter {
  private readonly backoff: Backoff;
  private readonly concurrency: number;
  private readonly now: () => number;
  private readonly sleep: (millis: number) => Promise<void>;
  private readonly random: () => number;
  private readonly newPageId: () => string;

  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly tables: DataTables,
    private readonly options: EventWriterOptions,
  ) {
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.concurrency = options.concurrency ?? 4;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleep;
    this.random = options.random ?? Math.random;
    this.newPageId = options.newPageId ?? randomUUID;
  }

  async write(events: readonly PlannedEvent[]): Promise<WriteOutcome> {
    const outcome: WriteOutcome = { committed: [], duplicates: [], failed: [] };
    const stored = await this.readStoredEvents(events);
    const fresh = events.filter((planned) => {
      const item = stored.get(keyString(planned.key));
      if (item) outcome.duplicates.push({ planned, stored: item });
      return !item;
    });
    const known = await this.readRollups(fresh);
    const placed = placeSlots(fresh, known);
    // Combinations that found no room are in items of their own, which the first read did not name.
    for (const [key, item] of await this.readRollups(placed, known)) known.set(key, item);
    // Transactions that write the same rollup item must not overlap: DynamoDB cancels the second
    // with TransactionConflict. A busy customer's events span consecutive transactions that share
    // its customer-day item, so without this they would conflict with each other in every batch.
    const plans = packTransactions(placed, undefined, this.newPageId);
    await forEachExclusive(plans, this.concurrency, (plan) => plan.rollups.map(keyString), async (plan) => {
      await this.commit(plan, known, outcome);
    });
    return outcome;
  }

  private async commit(plan: TransactionPlan, known: Map<string, Record<string, unknown> | undefined>, outcome: WriteOutcome): Promise<void> {
    let pending = [...plan.events];
    // The packing already built the first attempt's pages and summed its deltas; they change only
    // when events drop out or move.
    let pages = plan.pages;
    let rollups = plan.rollups;
    let attempt = 0;
    while (pending.length > 0) {
      const input = buildEventTransaction(this.tables, { events: pending, pages, rollups }, known, this.options.retentionDays);
      try {
        await this.ddb.send(new TransactWriteCommand(input));
        for (const { key, deltas } of rollupItemGroups(rollups)) known.set(keyString(key), withDeltas(known.get(keyString(key)), key, deltas));
        outcome.committed.push(...pending);
        return;
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (reasons) {
          // Event Puts come first, one per pending event, so reason i < pending.length is event i.
          const stored = pending.flatMap((planned, index) =>
            reasons[index]?.Code === 'ConditionalCheckFailed' ? [{ planned, reason: reasons[index]! }] : [],
          );
          if (stored.length > 0) {
            // Each round removes at least one event, so this loop ends without spending retry budget.
            for (const { planned, reason } of stored) {
              outcome.duplicates.push({ planned, stored: reason.Item ? unmarshall(reason.Item) : {} });
            }
            const storedSet = new Set(stored.map(({ planned }) => planned));
            pending = pending.filter((planned) => !storedSet.has(planned));
            pages = eventPages(pending, this.newPageId);
            rollups = rollupDeltas(pending);
            continue;
          }
          // Then the page Puts, which have no condition, then one update per rollup item.
          const firstRollup = pending.length + pages.length;
          const moved = rollupItemGroups(rollups).flatMap(({ key }, index) => {
            const reason = reasons[firstRollup + index];
            return reason?.Code === 'ConditionalCheckFailed' ? [{ key, reason }] : [];
          });
          if (moved.length > 0) {
            // Another writer changed an item since it was read: learn it from the cancellation, then
            // place the slots again (a digest clash sends a combination to its own item).
            for (const { key, reason } of moved) known.set(keyString(key), reason.Item ? unmarshall(reason.Item) : undefined);
            attempt += 1;
            if (attempt >= this.backoff.maxAttempts) {
              outcome.failed.push(...pending);
              return;
            }
            const replanned = packTransactions(placeSlots(pending, known), undefined, this.newPageId);
            if (replanned.length > 1) {
              for (const part of replanned) await this.commit(part, known, outcome);
              return;
            }
            pending = [...replanned[0]!.events];
            pages = replanned[0]!.pages;
            rollups = replanned[0]!.rollups;
            continue;
          }
          if (!reasons.some((reason) => RETRYABLE_CANCELLATION_CODES.has(reason.Code ?? ''))) throw error;
        } else if (!isRetryableError(error)) {
          throw error;
        }
        attempt += 1;
        if (attempt >= this.backoff.maxAttempts) {
          outcome.failed.push(...pending);
          return;
        }
        await this.sleep(backoffDelay(this.backoff, attempt, this.random));
      }
    }
  }

  /**
   * The rollup items the events' targets name, as stored now, but those in `skip`. They tell the
   * transactions which guards to carry; eventually consistent, because a copy a moment stale costs
   * at most a cancelled attempt and never wrong data: DynamoDB checks every guard.
   */
  private async readRollups(
    events: readonly PlannedEvent[],
    skip: ReadonlyMap<string, unknown> = new Map(),
  ): Promise<Map<string, Record<string, unknown> | undefined>> {
    const keys = new Map<string, { pk: string; sk: string }>();
    for (const event of events) {
      for (const target of event.rollups) if (!skip.has(keyString(target))) keys.set(keyString(target), { pk: target.pk, sk: target.sk });
    }
    return this.readItems(this.tables.rollups, [...keys.values()]);
  }

  /**
   * Which of a batch's events are stored already, before any transaction: a transaction that holds
   * one stored event is cancelled whole (and charged), so finding duplicates first keeps
   * redeliveries from costing a cancelled transaction each. Eventually consistent is enough: an
   * event stored a moment ago and missed here still fails its Put's condition.
   */
  private readStoredEvents(events: readonly PlannedEvent[]): Promise<Map<string, Record<string, unknown> | undefined>> {
    return this.readItems(this.tables.events, events.map((planned) => planned.key));
  }

  /**
   * Items by keyString, every key present: undefined when absent, or when it stayed unread after the
   * retry budget, which callers treat as absent (always safe: the transactions' conditions decide).
   */
  private async readItems(table: string, keys: readonly { pk: string; sk: string }[]): Promise<Map<string, Record<string, unknown> | undefined>> {
    const found = new Map<string, Record<string, unknown> | undefined>(keys.map((key) => [keyString(key), undefined]));
    await forEachLimited(chunks(keys, BATCH_GET_LIMIT), this.concurrency, async (chunk) => {
      const { items } = await batchGetItems(this.ddb, table, buildBatchRead(table, chunk), { backoff: this.backoff, sleep: this.sleep, random: this.random });
      for (const item of items) found.set(keyString(item as { pk: string; sk: string }), item);
    });
    return found;
  }

  /** True when the update was applied or had nothing to change; false when it kept failing. */
  private async sendIdempotentUpdate(update: ReturnType<typeof buildFlagConflict>): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.ddb.send(new UpdateCommand(update));
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return true;
        if (!isRetryableError(error) || attempt >= this.backoff.maxAttempts) return false;
        await this.sleep(backoffDelay(this.backoff, attempt, this.random));
      }
    }
  }

  /** Best effort: the event is counted either way; the flag only informs. */
  async flagConflicts(conflicts: readonly Pick<StoredDuplicate, 'planned'>[]): Promise<void> {
    await forEachLimited(conflicts, this.concurrency, async ({ planned }) => {
      await this.sendIdempotentUpdate(buildFlagConflict(this.tables.events, planned.key, planned.payloadHash, this.now()));
    });
  }
}

