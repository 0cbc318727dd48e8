import { describe, expect, it } from 'vitest';
import { DEFAULT_DEPLOY_SETTINGS, resolveDeploySettings } from '../../../lib/deploy-settings.js';
import { pipelineSettingsFor } from '../../../lib/event-pipeline.js';
import { DEFAULT_PIPELINE_SETTINGS } from '../../../lib/pipeline-settings.js';
import { functionLogicalId, synthesize } from './support.js';

const { stack, template } = synthesize();
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
const queues = Object.entries(template.findResources('AWS::SQS::Queue'));
const [dlqId] = queues.find(([id]) => id.includes('DeadLetter'))!;
const [queueId, queue] = queues.find(([id]) => !id.includes('DeadLetter'))!;
const consumerId = functionLogicalId(stack, 'consumer');

describe('event queue', () => {
  it('is a standard queue with explicit message size, retention and SSE', () => {
    expect(queue.Properties).toMatchObject({
      MaximumMessageSize: DEFAULT_PIPELINE_SETTINGS.maxMessageSizeBytes,
      MessageRetentionPeriod: DEFAULT_PIPELINE_SETTINGS.messageRetentionSeconds,
      SqsManagedSseEnabled: true,
    });
    expect(queue.Properties.FifoQueue).toBeUndefined();
  });

  it('keeps a message hidden for at least 6x the consumer timeout', () => {
    const timeout = resources[consumerId]!.Properties.Timeout as number;
    expect(timeout).toBe(DEFAULT_PIPELINE_SETTINGS.consumerTimeoutSeconds);
    expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout);
  });

  it('moves a message to the DLQ after maxReceiveCount receives', () => {
    expect(queue.Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
      maxReceiveCount: DEFAULT_PIPELINE_SETTINGS.maxReceiveCount,
    });
    expect(resources[dlqId]!.Properties).toMatchObject({
      MaximumMessageSize: DEFAULT_PIPELINE_SETTINGS.maxMessageSizeBytes,
      MessageRetentionPeriod: DEFAULT_PIPELINE_SETTINGS.dlqRetentionSeconds,
      SqsManagedSseEnabled: true,
    });
  });

  it('refuses requests without TLS on both queues', () => {
    const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy'));
    expect(policies.map((p) => p.Properties.Queues[0].Ref).sort()).toEqual([dlqId, queueId].sort());
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });
});

describe('consumer event source', () => {
  it('batches, bounds concurrency and reports partial batch failures', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: { Ref: consumerId },
      BatchSize: DEFAULT_DEPLOY_SETTINGS.consumerBatchSize,
      MaximumBatchingWindowInSeconds: DEFAULT_DEPLOY_SETTINGS.consumerBatchingWindowSeconds,
      ScalingConfig: { MaximumConcurrency: DEFAULT_DEPLOY_SETTINGS.consumerMaxConcurrency },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });
});

describe('pipeline alarms', () => {
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
  const alarmOn = (metric: string) => alarms.find((a) => a.MetricName === metric)!;

  it('raises when the DLQ holds any message', () => {
    expect(alarmOn('ApproximateNumberOfMessagesVisible')).toMatchObject({
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('raises when the consumer fails an invocation', () => {
    expect(alarmOn('Errors')).toMatchObject({
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: consumerId } }],
      Threshold: 1,
    });
  });

  it('raises when the oldest queued message is older than the configured age', () => {
    expect(alarmOn('ApproximateAgeOfOldestMessage')).toMatchObject({
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Threshold: DEFAULT_DEPLOY_SETTINGS.queueAgeAlarmSeconds,
    });
  });

  it('has no actions unless an alarm topic is given', () => {
    expect(alarms).toHaveLength(3);
    for (const alarm of alarms) expect(alarm.AlarmActions).toBeUndefined();
    expect(alarms.every((a) => a.TreatMissingData === 'notBreaching')).toBe(true);
  });
});

describe('pipelineSettingsFor', () => {
  it('applies the deployer\'s batch and concurrency settings', () => {
    const settings = resolveDeploySettings({ consumerBatchSize: 10, consumerBatchingWindowSeconds: 0, consumerMaxConcurrency: 5 });
    expect(pipelineSettingsFor(settings)).toMatchObject({ consumerBatchSize: 10, consumerBatchingWindowSeconds: 0, consumerMaxConcurrency: 5 });
  });
});
