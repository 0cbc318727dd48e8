import {
  SendMessageBatchCommand,
  type SendMessageBatchCommandInput,
  type SendMessageBatchCommandOutput,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { ServiceUnavailableError } from '../domain/errors.js';
import { groupIntoBatches } from './packing.js';

export interface SendRetryPolicy {
  /** Sends of one batch, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMillis: number;
  readonly maxDelayMillis: number;
}

/** Worst case about 1.5 s of waiting: short enough for a synchronous API, long enough for a throttling blip. */
export const DEFAULT_SEND_RETRY: SendRetryPolicy = { maxAttempts: 6, baseDelayMillis: 50, maxDelayMillis: 800 };

/** Batches in flight at once for one request. */
const SEND_CONCURRENCY = 4;

export interface BatchEntry {
  /** Unique within the batch: the message's index in the request. */
  readonly id: string;
  readonly body: string;
}

export function buildSendMessageBatch(queueUrl: string, entries: readonly BatchEntry[]): SendMessageBatchCommandInput {
  return { QueueUrl: queueUrl, Entries: entries.map((entry) => ({ Id: entry.id, MessageBody: entry.body })) };
}

/** Full jitter: a random wait up to an exponentially growing cap, so retrying senders spread out. */
export function backoffMillis(attempt: number, policy: SendRetryPolicy, random: () => number): number {
  return Math.floor(random() * Math.min(policy.maxDelayMillis, policy.baseDelayMillis * 2 ** (attempt - 1)));
}

const THROTTLING_ERRORS = new Set([
  'ThrottlingException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'KmsThrottled',
]);
const NETWORK_ERROR_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * Worth sending again: throttling, a server-side fault, or no answer at all. Anything else (a
 * missing queue, denied access) will not heal by retrying and surfaces as an internal error.
 */
export function isRetryableSendError(error: unknown): boolean {
  const candidate = error as {
    name?: string;
    code?: string;
    $fault?: string;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
  };
  if (candidate === null || typeof candidate !== 'object') return false;
  if (candidate.$retryable || THROTTLING_ERRORS.has(candidate.name ?? '')) return true;
  const status = candidate.$metadata?.httpStatusCode;
  if (candidate.$fault === 'server' || (status !== undefined && (status >= 500 || status === 429))) return true;
  return candidate.name === 'TimeoutError' || NETWORK_ERROR_CODES.has(candidate.code ?? '');
}

export interface QueueSenderOptions {
  readonly retry?: SendRetryPolicy;
  readonly sleep?: (millis: number) => Promise<void>;
  readonly random?: () => number;
}

const realSleep = (millis: number) => new Promise<void>((resolve) => setTimeout(resolve, millis));

/**
 * Sends message texts to the event queue. It returns only when SQS has accepted every one of
 * them, which is what a 200 from POST /ingest promises. Entries SQS reports in `Failed[]` and
 * retryable errors are retried with backoff; only what is still unaccepted is sent again.
 */
export class QueueSender {
  private readonly retry: SendRetryPolicy;
  private readonly sleep: (millis: number) => Promise<void>;
  private readonly random: () => number;

  constructor(
    private readonly sqs: Pick<SQSClient, 'send'>,
    private readonly queueUrl: string,
    options: QueueSenderOptions = {},
  ) {
    this.retry = options.retry ?? DEFAULT_SEND_RETRY;
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
  }

  async send(messages: readonly string[]): Promise<void> {
    const batches = groupIntoBatches(messages).map((indexes) =>
      indexes.map((index) => ({ id: `m${index}`, body: messages[index]! })),
    );
    const results: PromiseSettledResult<void>[] = [];
    for (let start = 0; start < batches.length; start += SEND_CONCURRENCY) {
      const slice = batches.slice(start, start + SEND_CONCURRENCY);
      results.push(...(await Promise.allSettled(slice.map((batch) => this.sendBatch(batch)))));
      // Once a batch is refused the request fails anyway: do not enqueue more of it.
      if (results.some((result) => result.status === 'rejected')) break;
    }
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure) throw failure.reason;
  }

  private async sendBatch(entries: readonly BatchEntry[]): Promise<void> {
    let pending = entries;
    let lastProblem: unknown;
    for (let attempt = 1; ; attempt++) {
      let output: SendMessageBatchCommandOutput | undefined;
      try {
        output = await this.sqs.send(new SendMessageBatchCommand(buildSendMessageBatch(this.queueUrl, pending)));
      } catch (error) {
        if (!isRetryableSendError(error)) throw error;
        lastProblem = error;
      }
      if (output) {
        const senderFault = output.Failed?.find((failed) => failed.SenderFault);
        if (senderFault) {
          throw new Error(`SQS refused message ${senderFault.Id} as invalid: ${senderFault.Code}: ${senderFault.Message}`);
        }
        // Whatever SQS did not confirm is sent again; a message it accepted is never resent.
        const accepted = new Set((output.Successful ?? []).map((entry) => entry.Id));
        pending = pending.filter((entry) => !accepted.has(entry.id));
        if (pending.length === 0) return;
        lastProblem = output.Failed?.[0];
      }
      if (attempt >= this.retry.maxAttempts) break;
      await this.sleep(backoffMillis(attempt, this.retry, this.random));
    }
    throw new ServiceUnavailableError(
      'Event queue unavailable',
      `the event queue did not accept ${pending.length} message(s) after ${this.retry.maxAttempts} attempts; ` +
        'retry the request (events that carry a uniqueId are counted once however often they are sent)',
      { cause: lastProblem },
    );
  }
}
