import { describe, expect, it } from 'vitest';
import { DEFAULT_PIPELINE_SETTINGS } from '../../lib/pipeline-settings.js';
import { buildDeadLetterQueueInput, buildEventQueueInput } from '../../local/queue.js';

describe('local queue definitions', () => {
  it('creates the event queue with the pipeline settings and a redrive to the DLQ', () => {
    const dlqArn = 'arn:aws:sqs:us-east-1:000000000000:tally-events-dlq';
    expect(
      buildEventQueueInput('tally-events', DEFAULT_PIPELINE_SETTINGS, { deadLetterTargetArn: dlqArn, maxReceiveCount: 5, visibilityTimeoutSeconds: 7 }),
    ).toEqual({
      QueueName: 'tally-events',
      Attributes: {
        VisibilityTimeout: '7',
        MessageRetentionPeriod: String(DEFAULT_PIPELINE_SETTINGS.messageRetentionSeconds),
        MaximumMessageSize: '1048576',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 5 }),
      },
    });
  });

  it('keeps dead letters for the DLQ retention of the pipeline settings', () => {
    expect(buildDeadLetterQueueInput('tally-events-dlq', DEFAULT_PIPELINE_SETTINGS)).toEqual({
      QueueName: 'tally-events-dlq',
      Attributes: { MessageRetentionPeriod: String(DEFAULT_PIPELINE_SETTINGS.dlqRetentionSeconds), MaximumMessageSize: '1048576' },
    });
  });
});
