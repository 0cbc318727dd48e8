/** Full-jitter exponential backoff: spreads retries of colliding writers apart. */
export interface Backoff {
  readonly maxAttempts: number;
  readonly baseDelayMillis: number;
  readonly maxDelayMillis: number;
}

export const DEFAULT_BACKOFF: Backoff = { maxAttempts: 8, baseDelayMillis: 20, maxDelayMillis: 1_000 };

export function backoffDelay(backoff: Backoff, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.maxDelayMillis, backoff.baseDelayMillis * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

export const sleep = (millis: number) => new Promise<void>((resolve) => setTimeout(resolve, millis));

const RETRYABLE_ERROR_NAMES = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TransactionInProgressException',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
]);

/** Throttling, service-side and network failures: the same request may succeed later. */
export function isRetryableError(error: unknown): boolean {
  const candidate = error as { name?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown; code?: string };
  if (candidate?.name && RETRYABLE_ERROR_NAMES.has(candidate.name)) return true;
  if (candidate?.$retryable) return true;
  if ((candidate?.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  return ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE'].includes(candidate?.code ?? '');
}

/** Cancellation reasons that say "try again", as opposed to a failed condition. */
export const RETRYABLE_CANCELLATION_CODES = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded']);

/** Consecutive slices of at most `size` items: the batches of a BatchGetItem or SQS batch call. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

/** Runs `task` over `items` with at most `limit` in flight. */
export async function forEachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await task(item);
    }
  });
  await Promise.all(workers);
}

/**
 * Like forEachLimited, but never runs two items that share a key at the same time: items are
 * started in order as soon as a slot is free and none of their keys is held by a running item.
 */
export async function forEachExclusive<T>(
  items: readonly T[],
  limit: number,
  keysOf: (item: T) => readonly string[],
  task: (item: T) => Promise<void>,
): Promise<void> {
  const waiting = items.map((item) => ({ item, keys: keysOf(item) }));
  const held = new Set<string>();
  let running = 0;
  await new Promise<void>((resolve, reject) => {
    let failed = false;
    const startReady = () => {
      if (failed) return;
      if (waiting.length === 0 && running === 0) {
        resolve();
        return;
      }
      for (let index = 0; index < waiting.length && running < limit; ) {
        const next = waiting[index]!;
        if (next.keys.some((key) => held.has(key))) {
          index++;
          continue;
        }
        waiting.splice(index, 1);
        for (const key of next.keys) held.add(key);
        running++;
        task(next.item).then(
          () => {
            running--;
            for (const key of next.keys) held.delete(key);
            startReady();
          },
          (error: unknown) => {
            failed = true;
            reject(error);
          },
        );
      }
    };
    startReady();
  });
}
