/**
 * Settings of the event pipeline (queue, DLQ, consumer event source), in one plain-data module:
 * the CDK stack deploys them and the local runtime mirrors them with its SQS emulator.
 * Deployer-tunable values are overridable through stack props/context; these are the defaults.
 */
export interface PipelineSettings {
  /** The consumer Lambda's timeout. */
  readonly consumerTimeoutSeconds: number;
  /** At least 6x the consumer timeout, as AWS recommends for SQS event sources. */
  readonly visibilityTimeoutSeconds: number;
  /** Receives before a message moves to the DLQ. */
  readonly maxReceiveCount: number;
  readonly messageRetentionSeconds: number;
  readonly dlqRetentionSeconds: number;
  /** SQS accepts up to 1 MiB per message (and per SendMessageBatch call). */
  readonly maxMessageSizeBytes: number;
  /** Messages per consumer invocation. */
  readonly consumerBatchSize: number;
  readonly consumerBatchingWindowSeconds: number;
  /** Concurrent consumer invocations the event source may drive (2..1000). */
  readonly consumerMaxConcurrency: number;
}

export const DEFAULT_PIPELINE_SETTINGS: PipelineSettings = {
  consumerTimeoutSeconds: 30,
  visibilityTimeoutSeconds: 180,
  maxReceiveCount: 5,
  messageRetentionSeconds: 4 * 24 * 3600,
  dlqRetentionSeconds: 14 * 24 * 3600,
  maxMessageSizeBytes: 1_048_576,
  consumerBatchSize: 100,
  consumerBatchingWindowSeconds: 1,
  consumerMaxConcurrency: 20,
};
