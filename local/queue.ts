import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SQSClient,
  type CreateQueueCommandInput,
} from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { LOCAL_CREDENTIALS } from '../functions/runtime.js';
import { DEFAULT_PIPELINE_SETTINGS, type PipelineSettings } from '../lib/pipeline-settings.js';

/**
 * The local stand-in for SQS: fauxqs, embedded and bound to loopback, with the event queue and
 * its DLQ created from the same pipeline settings the stack deploys. Messages live in memory.
 */

/**
 * The stack waits 180 s (6x the consumer timeout) before a failed message comes back. Locally
 * that would make every retry a three-minute wait, so the visibility timeout is short and the
 * poller keeps extending it while the consumer works (see local/poller.ts): a failed message
 * is retried within seconds, and a slow batch is still never handed out twice.
 */
export const LOCAL_VISIBILITY_TIMEOUT_SECONDS = 5;

export const LOCAL_QUEUE_REGION = 'us-east-1';

export interface QueueRef {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
}

export interface QueuePair {
  readonly queue: QueueRef;
  readonly deadLetterQueue: QueueRef;
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
}

export interface QueuePairOptions {
  readonly settings?: PipelineSettings;
  /** Overrides settings.visibilityTimeoutSeconds. */
  readonly visibilityTimeoutSeconds?: number;
  /** Overrides settings.maxReceiveCount. */
  readonly maxReceiveCount?: number;
}

export function buildDeadLetterQueueInput(name: string, settings: PipelineSettings): CreateQueueCommandInput {
  return {
    QueueName: name,
    Attributes: {
      MessageRetentionPeriod: String(settings.dlqRetentionSeconds),
      MaximumMessageSize: String(settings.maxMessageSizeBytes),
    },
  };
}

export function buildEventQueueInput(
  name: string,
  settings: PipelineSettings,
  redrive: { deadLetterTargetArn: string; maxReceiveCount: number; visibilityTimeoutSeconds: number },
): CreateQueueCommandInput {
  return {
    QueueName: name,
    Attributes: {
      VisibilityTimeout: String(redrive.visibilityTimeoutSeconds),
      MessageRetentionPeriod: String(settings.messageRetentionSeconds),
      MaximumMessageSize: String(settings.maxMessageSizeBytes),
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: redrive.deadLetterTargetArn,
        maxReceiveCount: redrive.maxReceiveCount,
      }),
    },
  };
}

/** The emulator's queue URLs name a host that does not resolve, so the endpoint is always explicit. */
export function localSqsClient(endpoint: string): SQSClient {
  return new SQSClient({ region: LOCAL_QUEUE_REGION, endpoint, credentials: LOCAL_CREDENTIALS });
}

async function createQueue(client: SQSClient, input: CreateQueueCommandInput): Promise<QueueRef> {
  const { QueueUrl } = await client.send(new CreateQueueCommand(input));
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return { name: input.QueueName!, url: QueueUrl!, arn: Attributes!.QueueArn! };
}

/** Creates `name` and `name-dlq`, redriving after maxReceiveCount receives. */
export async function createQueuePair(client: SQSClient, name: string, options: QueuePairOptions = {}): Promise<QueuePair> {
  const settings = options.settings ?? DEFAULT_PIPELINE_SETTINGS;
  const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? settings.visibilityTimeoutSeconds;
  const maxReceiveCount = options.maxReceiveCount ?? settings.maxReceiveCount;
  const deadLetterQueue = await createQueue(client, buildDeadLetterQueueInput(`${name}-dlq`, settings));
  const queue = await createQueue(
    client,
    buildEventQueueInput(name, settings, { deadLetterTargetArn: deadLetterQueue.arn, maxReceiveCount, visibilityTimeoutSeconds }),
  );
  return { queue, deadLetterQueue, visibilityTimeoutSeconds, maxReceiveCount };
}

export interface QueueDepth {
  /** Ready to be received. */
  readonly visible: number;
  /** Received and not yet deleted or returned. */
  readonly inFlight: number;
}

export async function queueDepth(client: SQSClient, url: string): Promise<QueueDepth> {
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

export interface LocalQueue {
  readonly endpoint: string;
  readonly client: SQSClient;
  stop(): Promise<void>;
}

/** Starts fauxqs on 127.0.0.1 (a free port unless one is given). */
export async function startLocalQueue(port = 0): Promise<LocalQueue> {
  const app = buildApp({ logger: false, defaultRegion: LOCAL_QUEUE_REGION });
  const endpoint = await app.listen({ host: '127.0.0.1', port });
  const client = localSqsClient(endpoint);
  return {
    endpoint,
    client,
    stop: async () => {
      client.destroy();
      await app.close();
    },
  };
}

/**
 * Waits until the queue holds nothing, ready or in flight, or until `timeoutMillis` pass; returns
 * what is left. Used at shutdown: the emulator keeps messages in memory only.
 */
export async function drainQueue(client: SQSClient, url: string, timeoutMillis: number): Promise<QueueDepth> {
  const deadline = Date.now() + timeoutMillis;
  for (;;) {
    const depth = await queueDepth(client, url);
    if (depth.visible + depth.inFlight === 0 || Date.now() >= deadline) return depth;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
