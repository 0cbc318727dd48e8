import {
  BatchGetCommand,
  TransactWriteCommand,
  UpdateCommand,
  type BatchGetCommandInput,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  keyString,
  packTransactions,
  rollupDeltas,
  type PlannedEvent,
  type RollupDelta,
  type TransactionPlan,
} from '../domain/consumption.js';
import { eventPages } from '../domain/event-pages.js';
import {
  buildEventTransaction,
  buildFlagConflict,
  buildLowerMin,
  buildRaiseMax,
  buildReadExtremes,
  buildReadStoredEvents,
  type DataTables,
} from './event-commands.js';
import { cancellationReasons, isConditionFailure } from './dynamo.js';
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

const BATCH_GET_LIMIT = 100;

/**
 * Writes planned events exactly once: events found stored by a read first are duplicates; each
 * transaction then marks the rest and adds them to the rollups atomically, and an event stored
 * between the read and the transaction is dropped from it when its condition fails and it is re-sent.
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
    // Transactions that write the same rollup item must not overlap: DynamoDB cancels the second
    // with TransactionConflict. A busy customer's events span consecutive transactions that share
    // its customer-day item, so without this they would conflict with each other in every batch.
    const plans = packTransactions(fresh, undefined, this.newPageId);
    await forEachExclusive(plans, this.concurrency, (plan) => plan.rollups.map(keyString), async (plan) => {
      await this.commit(plan, outcome);
    });
    return outcome;
  }

  private async commit(plan: TransactionPlan, outcome: WriteOutcome): Promise<void> {
    let pending = [...plan.events];
    // The packing already built the first attempt's pages and summed its deltas; they change only
    // when stored events drop out.
    let pages = plan.pages;
    let rollups = plan.rollups;
    let attempt = 0;
    while (pending.length > 0) {
      const input = buildEventTransaction(this.tables, { events: pending, pages, rollups }, this.options.retentionDays);
      try {
        await this.ddb.send(new TransactWriteCommand(input));
        outcome.committed.push(...pending);
        return;
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (reasons) {
          // Event Puts come first, one per pending event, so reason i < pending.length is event i;
          // the page Puts and rollup updates after them have no condition to fail.
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
   * Applies MIN/MAX of counted events to their rollups. Callers pass both the events they just
   * committed and the stored duplicates, whose earlier delivery may have crashed between its commit
   * and this step. Returns the events whose rollups could not be updated.
   */
  async applyExtremes<T extends Pick<PlannedEvent, 'event' | 'rollups'>>(contributors: readonly T[]): Promise<Set<T>> {
    const deltas = rollupDeltas(contributors);
    const failedItems = new Set<string>();
    for (const chunk of chunks(deltas, BATCH_GET_LIMIT)) {
      const current = await this.readExtremes(chunk);
      await forEachLimited(chunk, this.concurrency * 4, async (delta) => {
        const stored = current.get(keyString(delta));
        const key = { pk: delta.pk, sk: delta.sk };
        const updates = [];
        if (stored?.min === undefined || delta.min < stored.min) updates.push(buildLowerMin(this.tables.rollups, key, delta.min));
        if (stored?.max === undefined || delta.max > stored.max) updates.push(buildRaiseMax(this.tables.rollups, key, delta.max));
        for (const update of updates) {
          if (!(await this.sendIdempotentUpdate(update))) failedItems.add(keyString(delta));
        }
      });
    }
    return new Set(contributors.filter((event) => event.rollups.some((target) => failedItems.has(keyString(target)))));
  }

  /** The stored items among the events' keys; a key left unread counts as absent, which is always safe. */
  private async readStoredEvents(events: readonly PlannedEvent[]): Promise<Map<string, Record<string, unknown>>> {
    const found = new Map<string, Record<string, unknown>>();
    await forEachLimited(chunks(events, BATCH_GET_LIMIT), this.concurrency, async (chunk) => {
      const input = buildReadStoredEvents(this.tables.events, chunk.map((planned) => planned.key));
      for (const item of await this.batchGet(input.RequestItems!, this.tables.events)) found.set(keyString(item as { pk: string; sk: string }), item);
    });
    return found;
  }

  /** BatchGetItem with UnprocessedKeys retried while the budget lasts; what stays unread is left out. */
  private async batchGet(requestItems: NonNullable<BatchGetCommandInput['RequestItems']>, table: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let request: BatchGetCommandInput['RequestItems'] = requestItems;
    for (let attempt = 1; request && Object.keys(request).length > 0; attempt++) {
      const result: BatchGetCommandOutput = await this.ddb.send(new BatchGetCommand({ RequestItems: request }));
      items.push(...(result.Responses?.[table] ?? []));
      request = result.UnprocessedKeys;
      if (attempt >= this.backoff.maxAttempts) break;
      if (request && Object.keys(request).length > 0) await this.sleep(backoffDelay(this.backoff, attempt, this.random));
    }
    return items;
  }

  private async readExtremes(deltas: readonly RollupDelta[]): Promise<Map<string, { min?: number; max?: number }>> {
    const found = new Map<string, { min?: number; max?: number }>();
    // Unread items are simply updated under their condition, which is always safe.
    for (const item of await this.batchGet(buildReadExtremes(this.tables.rollups, deltas).RequestItems!, this.tables.rollups)) {
      found.set(keyString(item as { pk: string; sk: string }), { min: item.min as number, max: item.max as number });
    }
    return found;
  }

  /** True when the update was applied or had nothing to change; false when it kept failing. */
  private async sendIdempotentUpdate(update: ReturnType<typeof buildLowerMin>): Promise<boolean> {
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

