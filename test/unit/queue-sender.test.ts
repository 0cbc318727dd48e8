import {
  QueueDoesNotExist,
  RequestThrottled,
  SendMessageBatchCommand,
  SQSClient,
  SQSServiceException,
  type SendMessageBatchCommandInput,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ServiceUnavailableError } from '../../functions/domain/errors.js';
import {
  backoffMillis,
  buildSendMessageBatch,
  DEFAULT_SEND_RETRY,
  isRetryableSendError,
  QueueSender,
} from '../../functions/queue/queue-sender.js';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/tally-events';
const sqsMock = mockClient(SQSClient);
afterAll(() => sqsMock.restore());

let sleeps: number[];
let sender: QueueSender;

beforeEach(() => {
  sqsMock.reset();
  sleeps = [];
  sender = new QueueSender(new SQSClient({ region: 'us-east-1' }), QUEUE_URL, {
    sleep: async (millis) => {
      sleeps.push(millis);
    },
    random: () => 0.5,
  });
});

const messages = (count: number) => Array.from({ length: count }, (_, i) => `{"message":${i}}`);

/** The inputs of every SendMessageBatch call, in order. */
const sentInputs = () => sqsMock.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input as SendMessageBatchCommandInput);
const sentIds = () => sentInputs().map((input) => input.Entries!.map((entry) => entry.Id));

/** Accepts every entry except those whose Id the predicate picks, which fail as a server fault. */
function answer(fails: (id: string) => boolean = () => false) {
  return (input: SendMessageBatchCommandInput) => ({
    Successful: input.Entries!.filter((entry) => !fails(entry.Id!)).map((entry) => ({ Id: entry.Id!, MessageId: `mid-${entry.Id}`, MD5OfMessageBody: 'x' })),
    Failed: input.Entries!.filter((entry) => fails(entry.Id!)).map((entry) => ({ Id: entry.Id!, SenderFault: false, Code: 'InternalError' })),
  });
}

const throttled = () => new RequestThrottled({ message: 'slow down', $metadata: { httpStatusCode: 400 } });
const serverError = () => new SQSServiceException({ name: 'InternalError', $fault: 'server', message: 'boom', $metadata: { httpStatusCode: 500 } });

describe('buildSendMessageBatch', () => {
  it('builds one entry per message with its id and body', () => {
    expect(buildSendMessageBatch(QUEUE_URL, [{ id: 'm0', body: 'a' }, { id: 'm1', body: 'b' }])).toEqual({
      QueueUrl: QUEUE_URL,
      Entries: [
        { Id: 'm0', MessageBody: 'a' },
        { Id: 'm1', MessageBody: 'b' },
      ],
    });
  });
});

describe('backoffMillis', () => {
  it('waits a random share of a cap that doubles per attempt up to the maximum', () => {
    const policy = { maxAttempts: 10, baseDelayMillis: 50, maxDelayMillis: 800 };
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffMillis(attempt, policy, () => 0.999999))).toEqual([49, 99, 199, 399, 799, 799]);
    expect(backoffMillis(3, policy, () => 0)).toBe(0);
  });
});

describe('isRetryableSendError', () => {
  it.each([
    ['throttling', throttled(), true],
    ['a server fault', serverError(), true],
    ['an HTTP 503 without fault', Object.assign(new Error('x'), { $metadata: { httpStatusCode: 503 } }), true],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), true],
    ['a request timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' }), true],
    ['a missing queue', new QueueDoesNotExist({ message: 'no queue', $metadata: { httpStatusCode: 400 } }), false],
    ['denied access', new SQSServiceException({ name: 'AccessDenied', $fault: 'client', message: 'no', $metadata: { httpStatusCode: 403 } }), false],
    ['a programming error', new TypeError('undefined is not a function'), false],
    ['a non-error', 'boom', false],
  ])('answers for %s', (_, error, expected) => {
    expect(isRetryableSendError(error)).toBe(expected);
  });
});

describe('QueueSender', () => {
  it('sends every message once, in SendMessageBatch calls of at most 10', async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake(answer());
    await sender.send(messages(23));
    expect(sentIds()).toEqual([
      ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9'],
      ['m10', 'm11', 'm12', 'm13', 'm14', 'm15', 'm16', 'm17', 'm18', 'm19'],
      ['m20', 'm21', 'm22'],
    ]);
    expect(sentInputs().flatMap((input) => input.Entries!.map((entry) => entry.MessageBody))).toEqual(messages(23));
    expect(sentInputs().every((input) => input.QueueUrl === QUEUE_URL)).toBe(true);
    expect(sleeps).toEqual([]);
  });

  it('sends nothing for no messages', async () => {
    await sender.send([]);
    expect(sentInputs()).toEqual([]);
  });

  it('resends only the entries reported in Failed[] until they are accepted', async () => {
    let call = 0;
    sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
      call++;
      return answer((id) => (call === 1 && ['m1', 'm3'].includes(id)) || (call === 2 && id === 'm3'))(input);
    });
    await sender.send(messages(5));
    expect(sentIds()).toEqual([['m0', 'm1', 'm2', 'm3', 'm4'], ['m1', 'm3'], ['m3']]);
    expect(sleeps).toHaveLength(2);
  });

  it('resends an entry SQS neither confirmed nor reported as failed', async () => {
    let call = 0;
    sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
      call++;
      const result = answer()(input);
      return call === 1 ? { ...result, Successful: result.Successful.filter((entry) => entry.Id !== 'm2') } : result;
    });
    await sender.send(messages(3));
    expect(sentIds()).toEqual([['m0', 'm1', 'm2'], ['m2']]);
  });

  it('retries a throttled or failed call as a whole, then succeeds', async () => {
    sqsMock.on(SendMessageBatchCommand).rejectsOnce(throttled()).rejectsOnce(serverError()).callsFake(answer());
    await sender.send(messages(2));
    expect(sentIds()).toEqual([['m0', 'm1'], ['m0', 'm1'], ['m0', 'm1']]);
    expect(sleeps).toEqual([25, 50]);
  });

  it('answers 503 when the queue keeps refusing entries, after the whole retry budget', async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake(answer((id) => id === 'm1'));
    const error = await sender.send(messages(2)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as ServiceUnavailableError).details).toContain('did not accept 1 message(s) after 6 attempts');
    expect(sentIds()).toEqual([['m0', 'm1'], ...Array.from({ length: DEFAULT_SEND_RETRY.maxAttempts - 1 }, () => ['m1'])]);
    expect(sleeps).toHaveLength(DEFAULT_SEND_RETRY.maxAttempts - 1);
  });

  it('answers 503 when every call is throttled, keeping the last error as the cause', async () => {
    sqsMock.on(SendMessageBatchCommand).rejects(throttled());
    const error = await sender.send(messages(1)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as Error).cause).toBeInstanceOf(RequestThrottled);
    expect(sentInputs()).toHaveLength(DEFAULT_SEND_RETRY.maxAttempts);
  });

  it('does not retry an error that retrying cannot fix', async () => {
    sqsMock.on(SendMessageBatchCommand).rejects(new QueueDoesNotExist({ message: 'no queue', $metadata: { httpStatusCode: 400 } }));
    await expect(sender.send(messages(3))).rejects.toBeInstanceOf(QueueDoesNotExist);
    expect(sentInputs()).toHaveLength(1);
  });

  it('fails at once, as an internal error, when SQS calls a message invalid', async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({
      Successful: [{ Id: 'm0', MessageId: 'x', MD5OfMessageBody: 'x' }],
      Failed: [{ Id: 'm1', SenderFault: true, Code: 'InvalidMessageContents', Message: 'bad characters' }],
    });
    const error = await sender.send(messages(2)).catch((caught: unknown) => caught);
    expect(error).not.toBeInstanceOf(ServiceUnavailableError);
    expect((error as Error).message).toBe('SQS refused message m1 as invalid: InvalidMessageContents: bad characters');
    expect(sentInputs()).toHaveLength(1);
  });

  it('stops enqueueing the rest of a request once one of its batches is refused', async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake(answer((id) => id === 'm0'));
    await expect(sender.send(messages(100))).rejects.toBeInstanceOf(ServiceUnavailableError);
    const firstIds = new Set(sentIds().map((ids) => ids[0]));
    // The first four batches went out together; the six after them never did.
    expect(firstIds).toEqual(new Set(['m0', 'm10', 'm20', 'm30']));
  });
});
