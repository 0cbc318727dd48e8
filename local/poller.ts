import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type ChangeMessageVisibilityBatchCommandInput,
  type DeleteMessageBatchCommandInput,
  type Message,
  type ReceiveMessageCommandInput,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes } from 'aws-lambda';
import { chunks } from '../functions/store/retry.js';
import { lambdaContext } from './gateway.js';
import type { QueueRef } from './queue.js';

/**
 * What the Lambda event source mapping does for the consumer, locally: long-poll the queue,
 * gather a batch, invoke the handler with a real-shaped SQSEvent, delete what succeeded, and
 * leave the rest to the visibility timeout and the DLQ redrive.
 */

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

/** SQS hands out at most 10 messages per ReceiveMessage and takes 10 entries per batch call. */
const SQS_BATCH_MAX = 10;

export function buildReceiveMessage(queueUrl: string, maxMessages: number, waitTimeSeconds: number): ReceiveMessageCommandInput {
  return {
    QueueUrl: queueUrl,
    MaxNumberOfMessages: Math.min(SQS_BATCH_MAX, maxMessages),
    WaitTimeSeconds: waitTimeSeconds,
    MessageSystemAttributeNames: ['All'],
    MessageAttributeNames: ['All'],
  };
}

export function buildDeleteMessageBatches(queueUrl: string, messages: readonly Message[]): DeleteMessageBatchCommandInput[] {
  return chunks(messages, SQS_BATCH_MAX).map((chunk) => ({
    QueueUrl: queueUrl,
    Entries: chunk.map((message, index) => ({ Id: `d${index}`, ReceiptHandle: message.ReceiptHandle! })),
  }));
}

export function buildExtendVisibilityBatches(
  queueUrl: string,
  messages: readonly Message[],
  visibilityTimeoutSeconds: number,
): ChangeMessageVisibilityBatchCommandInput[] {
  return chunks(messages, SQS_BATCH_MAX).map((chunk) => ({
    QueueUrl: queueUrl,
    Entries: chunk.map((message, index) => ({
      Id: `v${index}`,
      ReceiptHandle: message.ReceiptHandle!,
      VisibilityTimeout: visibilityTimeoutSeconds,
    })),
  }));
}

/** The event Lambda builds from received messages (payload of an SQS event source mapping). */
export function buildSqsEvent(messages: readonly Message[], source: { queueArn: string; region: string }): SQSEvent {
  return {
    Records: messages.map((message) => {
      const attributes = message.Attributes ?? {};
      const messageAttributes: SQSMessageAttributes = {};
      for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
        messageAttributes[name] = {
          dataType: value.DataType!,
          ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
          ...(value.BinaryValue !== undefined ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') } : {}),
          stringListValues: [],
          binaryListValues: [],
        };
      }
      return {
        messageId: message.MessageId!,
        receiptHandle: message.ReceiptHandle!,
        body: message.Body ?? '',
        attributes: {
          ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
          SentTimestamp: attributes.SentTimestamp ?? '',
          SenderId: attributes.SenderId ?? '',
          ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? '',
        },
        messageAttributes,
        md5OfBody: message.MD5OfBody ?? '',
        eventSource: 'aws:sqs',
        eventSourceARN: source.queueArn,
        awsRegion: source.region,
      };
    }),
  };
}

export type BatchOutcome =
  | { readonly kind: 'processed'; readonly failedMessageIds: ReadonlySet<string> }
  | { readonly kind: 'failed'; readonly reason: string };

/**
 * Reads the handler's answer the way Lambda does: no answer or an empty list is full success;
 * an answer that names an unknown, empty or malformed item fails the whole batch.
 */
export function settleBatch(messageIds: readonly string[], response: unknown): BatchOutcome {
  if (response === undefined || response === null) return { kind: 'processed', failedMessageIds: new Set() };
  if (typeof response !== 'object' || Array.isArray(response)) {
    return { kind: 'failed', reason: 'the handler returned something other than an SQSBatchResponse' };
  }
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'processed', failedMessageIds: new Set() };
  if (!Array.isArray(failures)) return { kind: 'failed', reason: 'batchItemFailures is not a list' };
  const known = new Set(messageIds);
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !known.has(id)) {
      return { kind: 'failed', reason: `batchItemFailures names ${JSON.stringify(id)}, which is not a message of this batch` };
    }
    failed.add(id);
  }
  return { kind: 'processed', failedMessageIds: failed };
}

export type PollerProblem =
  | { readonly kind: 'receive-failed' | 'delete-failed' | 'extend-failed' | 'handler-threw'; readonly error: unknown }
  | { readonly kind: 'handler-timed-out' | 'invalid-response'; readonly detail: string }
  /** A message failed its last allowed receive; the next receive moves it to the DLQ. */
  | { readonly kind: 'dead-lettered'; readonly messageId: string; readonly receiveCount: number };

export interface PollerOptions {
  readonly client: SQSClient;
  readonly queue: QueueRef;
  readonly region: string;
  readonly handler: SqsHandler;
  /** Messages per invocation (up to the event source's batch size). */
  readonly batchSize: number;
  /** How long to keep gathering a batch once its first message arrived. */
  readonly batchingWindowMillis: number;
  /** The queue's visibility timeout; extended by this much while the handler runs. */
  readonly visibilityTimeoutSeconds: number;
  /** The consumer's timeout: a slower invocation counts as failed, like on Lambda. */
  readonly handlerTimeoutMillis: number;
  readonly maxReceiveCount: number;
  /**
   * Long-poll wait of an idle poller, and so the longest stop() waits. A receive is never
   * abandoned: an abandoned long poll can still take a message, which then sits invisible.
   */
  readonly waitTimeSeconds?: number;
  readonly onProblem?: (problem: PollerProblem) => void;
}

export interface Poller {
  /** Lets the receive under way return, processes what it brought, then stops. */
  stop(): Promise<void>;
}

const HANDLER_TIMED_OUT = Symbol('handler timed out');

const DEFAULT_WAIT_TIME_SECONDS = 2;

export function startPoller(options: PollerOptions): Poller {
  const report = options.onProblem ?? (() => {});
  let stopping = false;
  const receive = async (maxMessages: number, waitTimeSeconds: number): Promise<Message[]> => {
    const output = await options.client.send(
      new ReceiveMessageCommand(buildReceiveMessage(options.queue.url, maxMessages, waitTimeSeconds)),
    );
    return output.Messages ?? [];
  };

  const gatherBatch = async (): Promise<Message[]> => {
    const batch = await receive(options.batchSize, options.waitTimeSeconds ?? DEFAULT_WAIT_TIME_SECONDS);
    if (batch.length === 0) return batch;
    const deadline = Date.now() + options.batchingWindowMillis;
    while (batch.length < options.batchSize && !stopping) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      let more: Message[];
      try {
        more = await receive(options.batchSize - batch.length, Math.floor(remaining / 1000));
      } catch (error) {
        // A failed receive ends the window early; the batch in hand is still processed.
        report({ kind: 'receive-failed', error });
        break;
      }
      if (more.length === 0 && remaining < 1000) await pause(Math.min(remaining, 50));
      batch.push(...more);
    }
    return batch;
  };

  const settle = async (messages: readonly Message[], outcome: BatchOutcome): Promise<void> => {
    const failed = (message: Message) => outcome.kind === 'failed' || outcome.failedMessageIds.has(message.MessageId!);
    for (const message of messages.filter(failed)) {
      const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? 1);
      if (receiveCount >= options.maxReceiveCount) report({ kind: 'dead-lettered', messageId: message.MessageId!, receiveCount });
    }
    const succeeded = messages.filter((message) => !failed(message));
    for (const input of buildDeleteMessageBatches(options.queue.url, succeeded)) {
      try {
        const output = await options.client.send(new DeleteMessageBatchCommand(input));
        // An undeleted message comes back after the visibility timeout; the consumer deduplicates it.
        if (output.Failed?.length) report({ kind: 'delete-failed', error: output.Failed });
      } catch (error) {
        report({ kind: 'delete-failed', error });
      }
    }
  };

  const invoke = async (messages: readonly Message[]): Promise<BatchOutcome> => {
    const event = buildSqsEvent(messages, { queueArn: options.queue.arn, region: options.region });
    // Keep the batch invisible while the handler works, as a long visibility timeout does on AWS.
    const extend = setInterval(() => {
      for (const input of buildExtendVisibilityBatches(options.queue.url, messages, options.visibilityTimeoutSeconds)) {
        options.client
          .send(new ChangeMessageVisibilityBatchCommand(input))
          .catch((error: unknown) => report({ kind: 'extend-failed', error }));
      }
    }, (options.visibilityTimeoutSeconds * 1000) / 3);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<typeof HANDLER_TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(HANDLER_TIMED_OUT), options.handlerTimeoutMillis);
    });
    try {
      const response = await Promise.race([
        options.handler(event, lambdaContext('consumer', options.handlerTimeoutMillis)),
        timedOut,
      ]);
      if (response === HANDLER_TIMED_OUT) {
        const detail =
          `the handler did not finish within ${options.handlerTimeoutMillis} ms; ` +
          `its ${messages.length} message(s) will be redelivered`;
        report({ kind: 'handler-timed-out', detail });
        return { kind: 'failed', reason: detail };
      }
      const outcome = settleBatch(messages.map((message) => message.MessageId!), response);
      if (outcome.kind === 'failed') report({ kind: 'invalid-response', detail: outcome.reason });
      return outcome;
    } catch (error) {
      report({ kind: 'handler-threw', error });
      return { kind: 'failed', reason: 'the handler threw' };
    } finally {
      clearInterval(extend);
      clearTimeout(timer);
    }
  };

  const loop = (async () => {
    while (!stopping) {
      let messages: Message[];
      try {
        messages = await gatherBatch();
      } catch (error) {
        report({ kind: 'receive-failed', error });
        await pause(1_000);
        continue;
      }
      if (messages.length > 0) await settle(messages, await invoke(messages));
    }
  })();

  return {
    stop: async () => {
      stopping = true;
      await loop;
    },
  };
}

const pause = (millis: number) => new Promise<void>((resolve) => setTimeout(resolve, millis));

/** One line for a person watching `npm start`. */
export function describePollerProblem(problem: PollerProblem): string {
  switch (problem.kind) {
    case 'dead-lettered':
      return `consumer: message ${problem.messageId} failed its receive #${problem.receiveCount}, the last allowed; it moves to the DLQ`;
    case 'handler-timed-out':
    case 'invalid-response':
      return `consumer: ${problem.detail}`;
    case 'handler-threw':
      return `consumer: the handler threw, the whole batch will be redelivered: ${errorText(problem.error)}`;
    default:
      return `queue poller: ${problem.kind}: ${errorText(problem.error)}`;
  }
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.stack ?? error.message;
  return JSON.stringify(error);
}
