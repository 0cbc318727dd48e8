import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData, type IAlarmAction, type Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DeploySettings } from './deploy-settings.js';
import { DEFAULT_PIPELINE_SETTINGS, type PipelineSettings } from './pipeline-settings.js';
import type { Tables } from './tables.js';
import { TallyFunction } from './tally-function.js';

/** The pipeline settings with the deployer's choices applied. */
export function pipelineSettingsFor(settings: DeploySettings): PipelineSettings {
  const pipeline: PipelineSettings = {
    ...DEFAULT_PIPELINE_SETTINGS,
    consumerBatchSize: settings.consumerBatchSize,
    consumerBatchingWindowSeconds: settings.consumerBatchingWindowSeconds,
    consumerMaxConcurrency: settings.consumerMaxConcurrency,
  };
  // A message must not become visible again while a consumer may still be working on it.
  if (pipeline.visibilityTimeoutSeconds < 6 * pipeline.consumerTimeoutSeconds) {
    throw new Error(
      `lib/pipeline-settings.ts: visibilityTimeoutSeconds (${pipeline.visibilityTimeoutSeconds}) must be at least ` +
        `6x consumerTimeoutSeconds (${pipeline.consumerTimeoutSeconds})`,
    );
  }
  return pipeline;
}

export interface EventPipelineProps {
  readonly settings: DeploySettings;
  readonly tables: Tables;
}

/**
 * Accepted events travel from ingest to the consumer through a standard queue; messages the
 * consumer keeps failing move to a dead-letter queue after maxReceiveCount receives. Alarms say
 * when that happens, when the consumer throws, and when it falls behind.
 */
export class EventPipeline extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly consumer: TallyFunction;

  constructor(scope: Construct, id: string, props: EventPipelineProps) {
    super(scope, id);
    const { settings, tables } = props;
    const pipeline = pipelineSettingsFor(settings);

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      retentionPeriod: Duration.seconds(pipeline.dlqRetentionSeconds),
      maxMessageSizeBytes: pipeline.maxMessageSizeBytes,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.queue = new Queue(this, 'Queue', {
      visibilityTimeout: Duration.seconds(pipeline.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(pipeline.messageRetentionSeconds),
      maxMessageSizeBytes: pipeline.maxMessageSizeBytes,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: pipeline.maxReceiveCount },
    });

    this.consumer = new TallyFunction(this, 'consumer', {
      name: 'consumer',
      settings,
      tables,
      timeout: Duration.seconds(pipeline.consumerTimeoutSeconds),
      // A batch holds up to consumerBatchSize messages of up to 1 MiB each, decoded at once.
      memorySize: 1024,
    });
    this.consumer.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: pipeline.consumerBatchSize,
        maxBatchingWindow: Duration.seconds(pipeline.consumerBatchingWindowSeconds),
        maxConcurrency: pipeline.consumerMaxConcurrency,
        reportBatchItemFailures: true,
      }),
    );

    const action: IAlarmAction | undefined = settings.alarmTopicArn
      ? new SnsAction(Topic.fromTopicArn(this, 'AlarmTopic', settings.alarmTopicArn))
      : undefined;
    const period = Duration.minutes(5);
    // Each alarm fires on one 5-minute period at or over its threshold; no data means all is well.
    const alarm = (alarmId: string, description: string, metric: Metric, threshold: number) => {
      const created = new Alarm(this, alarmId, {
        alarmDescription: `Tally: ${description}`,
        metric,
        threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      if (action) {
        created.addAlarmAction(action);
        created.addOkAction(action);
      }
    };
    alarm(
      'DeadLetterQueueNotEmpty',
      'events the consumer could not process are waiting in the dead-letter queue',
      this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
      1,
    );
    alarm(
      'ConsumerErrors',
      'the consumer failed whole invocations (threw or timed out)',
      this.consumer.function.metricErrors({ period, statistic: 'Sum' }),
      1,
    );
    alarm(
      'QueueAge',
      `the oldest queued event waited over ${settings.queueAgeAlarmSeconds} s; the consumer is falling behind`,
      this.queue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum' }),
      settings.queueAgeAlarmSeconds,
    );
  }
}
