import type { TestProject } from 'vitest/node';
import { startDynamoDBLocal } from '../../local/dynamodb-local.js';
import { localDynamoDBClient, localPaths } from '../../local/local-env.js';
import { startLocalQueue } from '../../local/queue.js';
import { ensureTables, localTableNames } from '../../local/tables.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    sqsEndpoint: string;
  }
}

export const TEST_TABLE_PREFIX = 'test';

/**
 * One in-memory DynamoDB Local with the stack's tables and one SQS emulator for the whole run,
 * on free ports. Each test file creates its own queues in it (see setup-env.ts).
 */
export default async function setup(project: TestProject) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const [database, queue] = await Promise.all([
    startDynamoDBLocal({ cacheDir: localPaths().cache, progress: (message) => console.log(message) }),
    startLocalQueue(),
  ]);
  const client = localDynamoDBClient(database.endpoint);
  await ensureTables(client, localTableNames(TEST_TABLE_PREFIX));
  client.destroy();
  project.provide('dynamodbEndpoint', database.endpoint);
  project.provide('sqsEndpoint', queue.endpoint);
  return async () => {
    await Promise.all([database.stop(), queue.stop()]);
  };
}
