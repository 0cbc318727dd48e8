import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
  type CancellationReason,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  QueryCommand,
  type BatchGetCommandInput,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { backoffDelay, type Backoff } from './retry.js';

/** Reads every page of a Query. Only for result sets bounded by design (an account's config). */
export async function queryAll<T>(ddb: DynamoDBDocumentClient, input: QueryCommandInput): Promise<T[]> {
  const items: T[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await ddb.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    items.push(...((page.Items ?? []) as T[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

export function isConditionFailure(error: unknown): error is ConditionalCheckFailedException {
  return error instanceof ConditionalCheckFailedException || (error as Error)?.name === 'ConditionalCheckFailedException';
}

/** The cancellation reasons of a failed transaction, indexed like its actions; undefined otherwise. */
export function cancellationReasons(error: unknown): CancellationReason[] | undefined {
  if (error instanceof TransactionCanceledException || (error as Error)?.name === 'TransactionCanceledException') {
    return (error as TransactionCanceledException).CancellationReasons ?? [];
  }
  return undefined;
}

export function failedCondition(reasons: readonly CancellationReason[], index: number): boolean {
  return reasons[index]?.Code === 'ConditionalCheckFailed';
}

/** Keys one BatchGetItem may name. */
export const BATCH_GET_LIMIT = 100;

/** Whole items of one table by key, eventually consistent; keys must be distinct (BatchGetItem refuses repeats). */
export function buildBatchRead(table: string, keys: readonly { pk: string; sk: string }[]): NonNullable<BatchGetCommandInput['RequestItems']> {
  return { [table]: { Keys: keys.map(({ pk, sk }) => ({ pk, sk })) } };
}

export interface BatchGetRetry {
  readonly backoff: Backoff;
  readonly sleep: (millis: number) => Promise<void>;
  readonly random?: () => number;
}

/**
 * One table's BatchGetItem, its UnprocessedKeys sent again with backoff while the budget lasts.
 * `complete` says whether every key was read; what an unread key means is the caller's to decide.
 */
export async function batchGetItems(
  ddb: DynamoDBDocumentClient,
  table: string,
  requestItems: NonNullable<BatchGetCommandInput['RequestItems']>,
  retry: BatchGetRetry,
): Promise<{ items: Record<string, unknown>[]; complete: boolean }> {
  const items: Record<string, unknown>[] = [];
  let request: BatchGetCommandInput['RequestItems'] = requestItems;
  for (let attempt = 1; ; attempt++) {
    const result: BatchGetCommandOutput = await ddb.send(new BatchGetCommand({ RequestItems: request }));
    items.push(...(result.Responses?.[table] ?? []));
    request = result.UnprocessedKeys;
    if (!request || Object.keys(request).length === 0) return { items, complete: true };
    if (attempt >= retry.backoff.maxAttempts) return { items, complete: false };
    await retry.sleep(backoffDelay(retry.backoff, attempt, retry.random));
  }
}
