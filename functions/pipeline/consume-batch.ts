import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import {
  decodeMessageBody,
  dedupInBatch,
  isUnflaggedConflict,
  keyString,
  planMessage,
  type PlannedEvent,
  type StoredEventFields,
} from '../domain/consumption.js';
import type { AccountConfigCache, AccountMeters } from '../store/account-config-cache.js';
import type { EventWriter } from '../store/event-writer.js';

/** What a batch did, for the operational metrics. */
export interface BatchCounts {
  counted: number;
  filtered: number;
  unknownMeter: number;
  /** Dropped because the same event was in the batch already or stored before. */
  duplicates: number;
  /** Duplicates whose payload differed from the stored one. */
  conflicts: number;
  failedMessages: number;
}

export interface ConsumeDependencies {
  readonly accounts: Pick<AccountConfigCache, 'getWithMeters'>;
  readonly writer: Pick<EventWriter, 'write' | 'flagConflicts'>;
  readonly log: Pick<Logger, 'warn' | 'error'>;
  readonly onCounts?: (counts: BatchCounts) => void;
}

const keyOf = (event: Pick<PlannedEvent, 'key'>) => keyString(event.key);

export class WholeBatchFailedError extends Error {
  constructor(count: number, options?: { cause?: unknown }) {
    super(`none of the ${count} messages of the batch could be processed`, options);
    this.name = 'WholeBatchFailedError';
  }
}

/**
 * One SQS batch, exactly once: decode, plan under each account's meters and rules, drop in-batch
 * duplicates, commit, then flag conflicts. A message is reported in batchItemFailures
 * when any of its events could not be fully applied; its redelivery is safe because committed
 * events come back as duplicates. Throws only when the whole batch failed.
 */
export async function consumeBatch(records: readonly SQSRecord[], deps: ConsumeDependencies): Promise<SQSBatchResponse> {
  const failed = new Set<string>();
  const planned: PlannedEvent[] = [];
  const accounts = new Map<string, AccountMeters>();

  for (const record of records) {
    try {
      const message = decodeMessageBody(record.body);
      const meterNames = message.events.map((event) => event.meterApiName);
      let account = accounts.get(message.accountId);
      if (!account || meterNames.some((name) => !account!.meters.has(name))) {
        account = await deps.accounts.getWithMeters(message.accountId, meterNames);
        accounts.set(message.accountId, account);
      }
      planned.push(...planMessage(message, record.messageId, account));
    } catch (error) {
      failed.add(record.messageId);
      deps.log.error('message could not be decoded or planned', {
        messageId: record.messageId,
        receiveCount: record.attributes?.ApproximateReceiveCount,
        error: error as Error,
      });
    }
  }

  const { unique, duplicates: inBatchDuplicates } = dedupInBatch(planned);
  const counts: BatchCounts = { counted: 0, filtered: 0, unknownMeter: 0, duplicates: inBatchDuplicates.length, conflicts: 0, failedMessages: 0 };
  try {
    const outcome = await deps.writer.write(unique);
    for (const event of outcome.failed) failed.add(event.messageId);
    for (const event of outcome.committed) {
      if (event.status === 'counted') counts.counted++;
      else if (event.status === 'filtered') counts.filtered++;
      else counts.unknownMeter++;
    }
    counts.duplicates += outcome.duplicates.length;

    // What is now stored under each key this batch wrote or found, to judge the dropped copies by.
    const storedByKey = new Map<string, StoredEventFields>();
    for (const event of outcome.committed) storedByKey.set(keyOf(event), event.event);
    for (const { planned: event, stored } of outcome.duplicates) storedByKey.set(keyOf(event), stored);
    const candidates = [
      ...outcome.duplicates,
      ...inBatchDuplicates.flatMap((event) => {
        const stored = storedByKey.get(keyOf(event));
        return stored ? [{ planned: event, stored }] : [];
      }),
    ];
    const flagged = new Set<string>();
    const conflicts = candidates.filter(({ planned: event, stored }) => {
      const id = `${keyOf(event)}\u0000${event.payloadHash}`;
      if (!isUnflaggedConflict(event, stored) || flagged.has(id)) return false;
      flagged.add(id);
      return true;
    });
    counts.conflicts = conflicts.length;
    for (const { planned: event } of conflicts) {
      deps.log.warn('duplicate event id with a different payload: counted once, flagged', {
        accountId: event.accountId,
        meterApiName: event.event.meterApiName,
        eventId: event.event.eventId,
      });
    }
    await deps.writer.flagConflicts(conflicts);
  } catch (error) {
    // An unexpected storage error: every message that had events in play must come back.
    for (const event of unique) failed.add(event.messageId);
    deps.log.error('batch write failed', { error: error as Error });
    counts.failedMessages = failed.size;
    deps.onCounts?.(counts);
    if (failed.size === records.length) throw new WholeBatchFailedError(records.length, { cause: error });
  }

  counts.failedMessages = failed.size;
  deps.onCounts?.(counts);
  if (records.length > 0 && failed.size === records.length) throw new WholeBatchFailedError(records.length);
  return { batchItemFailures: [...failed].map((itemIdentifier) => ({ itemIdentifier })) };
}
