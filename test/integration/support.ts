import { randomUUID } from 'node:crypto';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { expect, inject } from 'vitest';
import { generateApiKey, generateKeyId, hashApiKey, keyHint } from '../../functions/domain/api-keys.js';
import { ConfigStore } from '../../functions/store/config-store.js';
import { startGateway, type Gateway } from '../../local/gateway.js';
import { localDynamoDBClient } from '../../local/local-env.js';
import { localSqsClient } from '../../local/queue.js';
import { localTableNames } from '../../local/tables.js';

export const testTables = localTableNames('test');

export function testDocumentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(localDynamoDBClient(inject('dynamodbEndpoint')), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

export function testConfigStore(): ConfigStore {
  return new ConfigStore(testDocumentClient(), testTables.Config);
}

/** A fresh account id, so tests sharing the database never see each other's data. */
export function uniqueAccountId(label = 'acct'): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

export async function createApiKey(accountId: string, store = testConfigStore()): Promise<{ apiKey: string; keyId: string }> {
  const apiKey = generateApiKey();
  const keyId = generateKeyId();
  await store.createApiKey({ keyId, accountId, keyHash: hashApiKey(apiKey), hint: keyHint(apiKey), createdAtMillis: Date.now() });
  return { apiKey, keyId };
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
  readonly text: string;
}

export interface ApiClient {
  request(method: string, path: string, options?: { body?: unknown; rawBody?: string | Buffer; headers?: Record<string, string> }): Promise<ApiResponse>;
  get(path: string): Promise<ApiResponse>;
  post(path: string, body: unknown): Promise<ApiResponse>;
  put(path: string, body: unknown): Promise<ApiResponse>;
  delete(path: string): Promise<ApiResponse>;
}

export function apiClient(baseUrl: string, apiKey?: string): ApiClient {
  const request: ApiClient['request'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...(apiKey ? { 'X-API-KEY': apiKey } : {}), ...options.headers };
    let body: string | Buffer | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // Leave non-JSON bodies as text so tests can assert on them.
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  };
  return {
    request,
    get: (path) => request('GET', path),
    post: (path, body) => request('POST', path, { body }),
    put: (path, body) => request('PUT', path, { body }),
    delete: (path) => request('DELETE', path),
  };
}

export async function startTestGateway(): Promise<Gateway> {
  return startGateway(0);
}

export function testSqsClient(): SQSClient {
  return localSqsClient(inject('sqsEndpoint'));
}

/** This test file's event queue: the one POST /ingest sends to (created in setup-env.ts). */
export function ingestQueueUrl(): string {
  return process.env.TALLY_QUEUE_URL!;
}

/** Receives and deletes everything ready in a queue (SQS has accepted it all once a send returned). */
export async function takeAllMessages(client: SQSClient, queueUrl: string): Promise<Message[]> {
  const taken: Message[] = [];
  for (;;) {
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['All'] }),
    );
    if (Messages.length === 0) return taken;
    taken.push(...Messages);
    await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((message, index) => ({ Id: `d${index}`, ReceiptHandle: message.ReceiptHandle! })),
      }),
    );
  }
}

/** Polls `check` until it returns something other than undefined, or fails after `timeoutMillis`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMillis = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMillis;
  for (;;) {
    const result = await check();
    if (result !== undefined) return result;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMillis} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface TestAccount {
  readonly accountId: string;
  readonly apiKey: string;
  readonly keyId: string;
  /** A client that sends this account's key. */
  readonly api: ApiClient;
}

/** A fresh account with one API key, and a client for it. */
export async function newTestAccount(baseUrl: string, label = 'acct'): Promise<TestAccount> {
  const accountId = uniqueAccountId(label);
  const { apiKey, keyId } = await createApiKey(accountId);
  return { accountId, apiKey, keyId, api: apiClient(baseUrl, apiKey) };
}

/** Asserts the seed's ErrorResponse shape: exactly message, code and details, all strings. */
export function expectErrorResponse(response: ApiResponse, status: number, code: string): void {
  expect(response.status, response.text).toBe(status);
  expect(Object.keys(response.body ?? {}).sort(), response.text).toEqual(['code', 'details', 'message']);
  expect(response.body.code).toBe(code);
  expect(typeof response.body.message).toBe('string');
  expect(typeof response.body.details).toBe('string');
}
