import type { Message } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import {
  buildDeleteMessageBatches,
  buildExtendVisibilityBatches,
  buildReceiveMessage,
  buildSqsEvent,
  describePollerProblem,
  settleBatch,
} from '../../local/poller.js';

const QUEUE_URL = 'http://127.0.0.1:4566/000000000000/tally-events';
const QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:tally-events';

const message = (index: number, overrides: Partial<Message> = {}): Message => ({
  MessageId: `id-${index}`,
  ReceiptHandle: `rh-${index}`,
  Body: `{"n":${index}}`,
  MD5OfBody: `md5-${index}`,
  Attributes: {
    ApproximateReceiveCount: '2',
    SentTimestamp: '1795000000000',
    SenderId: '000000000000',
    ApproximateFirstReceiveTimestamp: '1795000000100',
  },
  ...overrides,
});

describe('buildReceiveMessage', () => {
  it('asks for at most 10 messages with all system attributes', () => {
    expect(buildReceiveMessage(QUEUE_URL, 100, 20)).toEqual({
      QueueUrl: QUEUE_URL,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 20,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    });
    expect(buildReceiveMessage(QUEUE_URL, 3, 0).MaxNumberOfMessages).toBe(3);
  });
});

describe('buildDeleteMessageBatches', () => {
  it('deletes by receipt handle in calls of at most 10 entries', () => {
    const batches = buildDeleteMessageBatches(QUEUE_URL, Array.from({ length: 12 }, (_, i) => message(i)));
    expect(batches.map((batch) => batch.Entries!.map((entry) => entry.ReceiptHandle))).toEqual([
      Array.from({ length: 10 }, (_, i) => `rh-${i}`),
      ['rh-10', 'rh-11'],
    ]);
    for (const batch of batches) {
      expect(batch.QueueUrl).toBe(QUEUE_URL);
      expect(new Set(batch.Entries!.map((entry) => entry.Id)).size).toBe(batch.Entries!.length);
    }
  });

  it('makes no call for no messages', () => {
    expect(buildDeleteMessageBatches(QUEUE_URL, [])).toEqual([]);
  });
});

describe('buildExtendVisibilityBatches', () => {
  it('sets every message of the batch to the full visibility timeout again', () => {
    expect(buildExtendVisibilityBatches(QUEUE_URL, [message(1), message(2)], 5)).toEqual([
      {
        QueueUrl: QUEUE_URL,
        Entries: [
          { Id: 'v0', ReceiptHandle: 'rh-1', VisibilityTimeout: 5 },
          { Id: 'v1', ReceiptHandle: 'rh-2', VisibilityTimeout: 5 },
        ],
      },
    ]);
  });
});

describe('buildSqsEvent', () => {
  it('builds the records Lambda hands an SQS consumer', () => {
    const event = buildSqsEvent(
      [message(1, { MessageAttributes: { trace: { DataType: 'String', StringValue: 'abc' }, blob: { DataType: 'Binary', BinaryValue: Uint8Array.from([1, 2]) } } })],
      { queueArn: QUEUE_ARN, region: 'us-east-1' },
    );
    expect(event).toEqual({
      Records: [
        {
          messageId: 'id-1',
          receiptHandle: 'rh-1',
          body: '{"n":1}',
          attributes: {
            ApproximateReceiveCount: '2',
            SentTimestamp: '1795000000000',
            SenderId: '000000000000',
            ApproximateFirstReceiveTimestamp: '1795000000100',
          },
          messageAttributes: {
            trace: { dataType: 'String', stringValue: 'abc', stringListValues: [], binaryListValues: [] },
            blob: { dataType: 'Binary', binaryValue: 'AQI=', stringListValues: [], binaryListValues: [] },
          },
          md5OfBody: 'md5-1',
          eventSource: 'aws:sqs',
          eventSourceARN: QUEUE_ARN,
          awsRegion: 'us-east-1',
        },
      ],
    });
  });

  it('keeps the order of the received messages', () => {
    const event = buildSqsEvent([message(3), message(1), message(2)], { queueArn: QUEUE_ARN, region: 'us-east-1' });
    expect(event.Records.map((record) => record.messageId)).toEqual(['id-3', 'id-1', 'id-2']);
  });
});

describe('settleBatch', () => {
  const ids = ['a', 'b', 'c'];

  it.each([undefined, null, {}, { batchItemFailures: [] }, { batchItemFailures: null }])(
    'reads %j as every message processed',
    (response) => {
      expect(settleBatch(ids, response)).toEqual({ kind: 'processed', failedMessageIds: new Set() });
    },
  );

  it('reads the listed messages as failed and the rest as processed', () => {
    expect(settleBatch(ids, { batchItemFailures: [{ itemIdentifier: 'b' }, { itemIdentifier: 'c' }] })).toEqual({
      kind: 'processed',
      failedMessageIds: new Set(['b', 'c']),
    });
  });

  it.each([
    [{ batchItemFailures: [{ itemIdentifier: 'z' }] }, '"z", which is not a message of this batch'],
    [{ batchItemFailures: [{ itemIdentifier: '' }] }, '""'],
    [{ batchItemFailures: [{ itemIdentifier: null }] }, 'null'],
    [{ batchItemFailures: [{ id: 'a' }] }, 'undefined'],
    [{ batchItemFailures: [null] }, 'undefined'],
    [{ batchItemFailures: 'a' }, 'batchItemFailures is not a list'],
    ['ok', 'something other than an SQSBatchResponse'],
    [[{ itemIdentifier: 'a' }], 'something other than an SQSBatchResponse'],
  ])('fails the whole batch, as Lambda does, for %j', (response, reason) => {
    const outcome = settleBatch(ids, response);
    expect(outcome.kind).toBe('failed');
    expect(outcome.kind === 'failed' && outcome.reason).toContain(reason);
  });
});

describe('describePollerProblem', () => {
  it('says when a message is about to land in the DLQ', () => {
    expect(describePollerProblem({ kind: 'dead-lettered', messageId: 'm-1', receiveCount: 5 })).toBe(
      'consumer: message m-1 failed its receive #5, the last allowed; it moves to the DLQ',
    );
  });

  it('includes the error of a failed call', () => {
    expect(describePollerProblem({ kind: 'receive-failed', error: new Error('connection refused') })).toContain(
      'queue poller: receive-failed: Error: connection refused',
    );
  });
});
