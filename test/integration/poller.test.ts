import { createHash, randomUUID } from 'node:crypto';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { startPoller, type PollerOptions, type PollerProblem } from '../../local/poller.js';
import { createQueuePair, queueDepth, type QueuePair } from '../../local/queue.js';
import { eventually, takeAllMessages, testSqsClient } from './support.js';

const sqs = testSqsClient();
afterAll(() => sqs.destroy());

/** What the fake consumer saw: one entry per record per invocation. */
interface Seen {
  readonly invocation: number;
  readonly body: string;
  readonly receiveCount: number;
  readonly record: SQSRecord;
}

type FakeConsumer = (records: readonly SQSRecord[], invocation: number) => Promise<SQSBatchResponse | void>;

interface Harness {
  readonly pair: QueuePair;
  readonly seen: Seen[];
  readonly problems: PollerProblem[];
  send(bodies: readonly string[]): Promise<void>;
  timesSeen(body: string): number;
}

/**
 * Runs `test` against a fresh queue pair and a poller feeding `consumer`, and always stops the
 * poller. Visibility timeouts are 1 s, so a failed message comes back quickly.
 */
async function withPoller(
  consumer: FakeConsumer,
  test: (harness: Harness) => Promise<void>,
  options: Partial<Pick<PollerOptions, 'batchSize' | 'batchingWindowMillis' | 'handlerTimeoutMillis' | 'waitTimeSeconds'>> & {
    readonly maxReceiveCount?: number;
    readonly sendBeforeStart?: readonly string[];
  } = {},
): Promise<void> {
  const pair = await createQueuePair(sqs, `poller-${randomUUID().slice(0, 8)}`, {
    visibilityTimeoutSeconds: 1,
    maxReceiveCount: options.maxReceiveCount ?? 3,
  });
  const seen: Seen[] = [];
  const problems: PollerProblem[] = [];
  let invocations = 0;
  const send = async (bodies: readonly string[]) => {
    const { Failed } = await sqs.send(
      new SendMessageBatchCommand({ QueueUrl: pair.queue.url, Entries: bodies.map((body, i) => ({ Id: `e${i}`, MessageBody: body })) }),
    );
    expect(Failed ?? []).toEqual([]);
  };
  for (let start = 0; start < (options.sendBeforeStart ?? []).length; start += 10) {
    await send(options.sendBeforeStart!.slice(start, start + 10));
  }
  const poller = startPoller({
    client: sqs,
    queue: pair.queue,
    region: 'us-east-1',
    handler: async (event: SQSEvent) => {
      const invocation = ++invocations;
      for (const record of event.Records) {
        seen.push({ invocation, body: record.body, receiveCount: Number(record.attributes.ApproximateReceiveCount), record });
      }
      return consumer(event.Records, invocation);
    },
    batchSize: options.batchSize ?? 10,
    batchingWindowMillis: options.batchingWindowMillis ?? 0,
    visibilityTimeoutSeconds: pair.visibilityTimeoutSeconds,
    handlerTimeoutMillis: options.handlerTimeoutMillis ?? 10_000,
    maxReceiveCount: pair.maxReceiveCount,
    waitTimeSeconds: options.waitTimeSeconds ?? 1,
    onProblem: (problem) => problems.push(problem),
  });
  try {
    await test({ pair, seen, problems, send, timesSeen: (body) => seen.filter((entry) => entry.body === body).length });
  } finally {
    await poller.stop();
  }
}

const failing = (records: readonly SQSRecord[], predicate: (record: SQSRecord) => boolean): SQSBatchResponse => ({
  batchItemFailures: records.filter(predicate).map((record) => ({ itemIdentifier: record.messageId })),
});

async function queueIsEmpty(pair: QueuePair): Promise<true | undefined> {
  const depth = await queueDepth(sqs, pair.queue.url);
  return depth.visible + depth.inFlight === 0 ? true : undefined;
}

/** Longer than the 1 s visibility timeout: anything not deleted would have come back by then. */
const pastVisibilityTimeout = () => new Promise((resolve) => setTimeout(resolve, 2_200));

describe.concurrent('local queue poller', () => {
  it('hands the consumer a real-shaped SQSEvent and deletes what it processed', async () => {
    await withPoller(
      async () => ({ batchItemFailures: [] }),
      async ({ pair, seen, send, timesSeen }) => {
        await send(['a', 'b', 'c']);
        await eventually(() => (seen.length >= 3 ? true : undefined));
        await eventually(() => queueIsEmpty(pair));
        await pastVisibilityTimeout();
        expect(['a', 'b', 'c'].map(timesSeen)).toEqual([1, 1, 1]);
        const record = seen.find((entry) => entry.body === 'b')!.record;
        expect(record).toMatchObject({
          body: 'b',
          eventSource: 'aws:sqs',
          eventSourceARN: pair.queue.arn,
          awsRegion: 'us-east-1',
          md5OfBody: createHash('md5').update('b').digest('hex'),
          attributes: { ApproximateReceiveCount: '1', SenderId: expect.any(String), SentTimestamp: expect.stringMatching(/^\d+$/) },
        });
        expect(record.messageId).toEqual(expect.any(String));
        expect(record.receiptHandle).toEqual(expect.any(String));
      },
    );
  });

  it('redelivers the messages listed in batchItemFailures after the visibility timeout, and only those', async () => {
    await withPoller(
      async (records) => failing(records, (record) => record.body === 'b' && record.attributes.ApproximateReceiveCount === '1'),
      async ({ pair, seen, send, timesSeen }) => {
        await send(['a', 'b', 'c']);
        await eventually(() => (timesSeen('b') >= 2 ? true : undefined));
        await eventually(() => queueIsEmpty(pair));
        expect(['a', 'b', 'c'].map(timesSeen)).toEqual([1, 2, 1]);
        expect(seen.filter((entry) => entry.body === 'b').map((entry) => entry.receiveCount)).toEqual([1, 2]);
      },
    );
  });

  it('moves a message that fails maxReceiveCount times to the DLQ without holding back the rest of its batch', async () => {
    await withPoller(
      async (records) => failing(records, (record) => record.body === 'poison'),
      async ({ pair, seen, problems, send, timesSeen }) => {
        await send(['ok-1', 'poison', 'ok-2']);
        const deadLetters = await eventually(async () => {
          const taken = await takeAllMessages(sqs, pair.deadLetterQueue.url);
          return taken.length > 0 ? taken : undefined;
        });
        expect(deadLetters.map((message) => message.Body)).toEqual(['poison']);
        expect(timesSeen('poison')).toBe(2);
        // The good messages were processed and deleted with the first batch, never retried.
        expect(seen.filter((entry) => entry.body.startsWith('ok')).map((entry) => [entry.body, entry.invocation, entry.receiveCount])).toEqual([
          ['ok-1', 1, 1],
          ['ok-2', 1, 1],
        ]);
        expect(await queueIsEmpty(pair)).toBe(true);
        expect(problems).toContainEqual({ kind: 'dead-lettered', messageId: expect.any(String), receiveCount: 2 });
      },
      { maxReceiveCount: 2 },
    );
  });

  it('deletes nothing when the handler throws: the whole batch comes back', async () => {
    await withPoller(
      async (_, invocation) => {
        if (invocation === 1) throw new Error('consumer crashed');
      },
      async ({ pair, seen, problems, send, timesSeen }) => {
        await send(['a', 'b']);
        await eventually(() => (timesSeen('a') >= 2 && timesSeen('b') >= 2 ? true : undefined));
        await eventually(() => queueIsEmpty(pair));
        expect(seen.map((entry) => [entry.body, entry.receiveCount]).sort()).toEqual([
          ['a', 1],
          ['a', 2],
          ['b', 1],
          ['b', 2],
        ]);
        expect(problems).toContainEqual({ kind: 'handler-threw', error: new Error('consumer crashed') });
      },
    );
  });

  it('fails the whole batch when the answer names a message that is not in it, as Lambda does', async () => {
    await withPoller(
      async (_, invocation) => (invocation === 1 ? { batchItemFailures: [{ itemIdentifier: 'not-a-message' }] } : undefined),
      async ({ pair, problems, send, timesSeen }) => {
        await send(['a', 'b']);
        await eventually(() => (timesSeen('a') >= 2 && timesSeen('b') >= 2 ? true : undefined));
        await eventually(() => queueIsEmpty(pair));
        expect(problems.map((problem) => problem.kind)).toContain('invalid-response');
      },
    );
  });

  it('keeps a batch invisible while a handler slower than the visibility timeout works on it', async () => {
    await withPoller(
      async (_, invocation) => {
        if (invocation === 1) await new Promise((resolve) => setTimeout(resolve, 3_000));
      },
      async ({ pair, send, timesSeen }) => {
        await send(['slow-1', 'slow-2']);
        await eventually(() => (timesSeen('slow-1') >= 1 ? true : undefined));
        await eventually(() => queueIsEmpty(pair));
        await pastVisibilityTimeout();
        expect([timesSeen('slow-1'), timesSeen('slow-2')]).toEqual([1, 1]);
      },
    );
  });

  it('counts a handler that outlives the consumer timeout as failed and redelivers its batch', async () => {
    await withPoller(
      async (_, invocation) => {
        if (invocation === 1) await new Promise((resolve) => setTimeout(resolve, 4_000));
      },
      async ({ pair, problems, send, timesSeen }) => {
        await send(['late']);
        await eventually(() => (timesSeen('late') >= 2 ? true : undefined));
        await eventually(() => queueIsEmpty(pair));
        expect(problems.map((problem) => problem.kind)).toContain('handler-timed-out');
      },
      { handlerTimeoutMillis: 300 },
    );
  });

  it('gathers up to the batch size within the batching window, in receives of at most 10', async () => {
    const bodies = Array.from({ length: 25 }, (_, i) => `m-${i}`);
    await withPoller(
      async () => undefined,
      async ({ pair, seen }) => {
        await eventually(() => queueIsEmpty(pair));
        expect(seen.filter((entry) => entry.invocation === 1)).toHaveLength(25);
        expect(new Set(seen.map((entry) => entry.body))).toEqual(new Set(bodies));
      },
      { batchSize: 25, batchingWindowMillis: 3_000, sendBeforeStart: bodies },
    );
  });

  it('never hands the consumer more messages than the batch size', async () => {
    const bodies = Array.from({ length: 12 }, (_, i) => `m-${i}`);
    await withPoller(
      async () => undefined,
      async ({ pair, seen }) => {
        await eventually(() => queueIsEmpty(pair));
        const sizes = new Map<number, number>();
        for (const entry of seen) sizes.set(entry.invocation, (sizes.get(entry.invocation) ?? 0) + 1);
        expect(Math.max(...sizes.values())).toBeLessThanOrEqual(5);
        expect(seen).toHaveLength(12);
      },
      { batchSize: 5, sendBeforeStart: bodies },
    );
  });

  it('stops after the receive under way and takes no message afterwards', async () => {
    const pair = await createQueuePair(sqs, `poller-${randomUUID().slice(0, 8)}`, { visibilityTimeoutSeconds: 1 });
    let invoked = 0;
    const poller = startPoller({
      client: sqs,
      queue: pair.queue,
      region: 'us-east-1',
      handler: async () => {
        invoked++;
      },
      batchSize: 10,
      batchingWindowMillis: 0,
      visibilityTimeoutSeconds: 1,
      handlerTimeoutMillis: 1_000,
      maxReceiveCount: 3,
      waitTimeSeconds: 1,
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await poller.stop();
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: pair.queue.url, Entries: [{ Id: 'a', MessageBody: 'after stop' }] }));
    await pastVisibilityTimeout();
    expect(invoked).toBe(0);
    expect(await queueDepth(sqs, pair.queue.url)).toEqual({ visible: 1, inFlight: 0 });
  });
});
