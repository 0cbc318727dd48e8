import { randomUUID } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';
import type { QueuedEvent, QueueMessageBody } from '../../functions/domain/events.js';

export function queuedEvent(overrides: Partial<QueuedEvent> = {}): QueuedEvent {
  return {
    eventId: randomUUID(),
    idSource: 'client',
    meterApiName: 'api-calls',
    customerId: 'customer-1',
    meterValue: 1,
    meterTimeInMillis: Date.UTC(2026, 10, 20, 10, 30),
    dimensions: {},
    ...overrides,
  };
}

export function messageBody(accountId: string, events: readonly QueuedEvent[], receivedAtMillis = Date.now()): QueueMessageBody {
  return { v: 1, accountId, receivedAtMillis, events };
}

/** An SQS record as the Lambda event source delivers it. */
export function sqsRecord(body: string | QueueMessageBody, messageId: string = randomUUID(), receiveCount = 1): SQSRecord {
  return {
    messageId,
    receiptHandle: `handle-${messageId}-${receiveCount}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(Date.now()),
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:tally-events',
    awsRegion: 'us-east-1',
  };
}
