import type { TestProject } from 'vitest/node';
import { startDynamoDBLocal } from '../../local/dynamodb-local.js';
import { localDynamoDBClient, localPaths } from '../../local/local-env.js';
import { ensureTables, localTableNames } from '../../local/tables.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}

export const TEST_TABLE_PREFIX = 'test';

/** One in-memory DynamoDB Local for the whole run, on a free port, with the stack's tables. */
export default async function setup(project: TestProject) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const database = await startDynamoDBLocal({
    cacheDir: localPaths().cache,
    progress: (message) => console.log(message),
  });
  const client = localDynamoDBClient(database.endpoint);
  await ensureTables(client, localTableNames(TEST_TABLE_PREFIX));
  client.destroy();
  project.provide('dynamodbEndpoint', database.endpoint);
  return async () => {
    await database.stop();
  };
}
