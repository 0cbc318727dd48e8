import { QueueDoesNotExist, RequestThrottled, SendMessageBatchCommand, SQSClient, type SendMessageBatchCommandInput } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../../local/gateway.js';
import { apiClient, createApiKey, startTestGateway, testConfigStore, uniqueAccountId, type ApiClient } from './support.js';

// The emulator never refuses a send; these faults are injected into the ingest handler's SQS client.
const sqsMock = mockClient(SQSClient);

let gateway: Gateway;
let api: ApiClient;

beforeAll(async () => {
  gateway = await startTestGateway();
  const accountId = uniqueAccountId('faults');
  const store = testConfigStore();
  await store.createMeter(accountId, { meterApiName: 'api-calls', displayName: 'API calls', label: 'api-calls', type: 'SUM_OF_ALL_USAGE', dimensions: [] }, Date.now());
  api = apiClient(gateway.url, (await createApiKey(accountId, store)).apiKey);
});

afterAll(async () => {
  sqsMock.restore();
  await gateway.close();
});

beforeEach(() => sqsMock.reset());

const body = () => [{ meterApiName: 'api-calls', customerId: 'c', meterValue: 1, meterTimeInMillis: Date.now(), uniqueId: 'u-1' }];

describe('POST /ingest when the queue misbehaves', () => {
  it('answers 503 with Retry-After when the queue keeps throttling, so the client retries', async () => {
    sqsMock.on(SendMessageBatchCommand).rejects(new RequestThrottled({ message: 'slow down', $metadata: { httpStatusCode: 400 } }));
    const response = await api.post('/ingest', body());
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(response.body).toEqual({
      message: 'Event queue unavailable',
      code: 'SERVICE_UNAVAILABLE',
      details: expect.stringContaining('retry the request'),
    });
    expect(sqsMock.commandCalls(SendMessageBatchCommand).length).toBeGreaterThan(1);
  });

  it('answers 200 once entries the queue first refused are accepted on a retry', async () => {
    let calls = 0;
    sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
      calls++;
      const entries = input.Entries!;
      return calls === 1
        ? { Successful: [], Failed: entries.map((entry) => ({ Id: entry.Id!, SenderFault: false, Code: 'InternalError' })) }
        : { Successful: entries.map((entry) => ({ Id: entry.Id!, MessageId: 'm', MD5OfMessageBody: 'x' })), Failed: [] };
    });
    const response = await api.post('/ingest', body());
    expect(response.status).toBe(200);
    expect(calls).toBe(2);
  });

  it('answers a broken queue configuration with a 500 that names no internal resource', async () => {
    sqsMock.on(SendMessageBatchCommand).rejects(new QueueDoesNotExist({ message: 'The specified queue does not exist.', $metadata: { httpStatusCode: 400 } }));
    const response = await api.post('/ingest', body());
    expect(response.status).toBe(500);
    expect(response.body.code).toBe('INTERNAL_ERROR');
    expect(response.text).not.toMatch(/queue|test-events|sqs/i);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
  });
});
