import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadConfig, type TallyConfig } from './config.js';

/** The AWS clients and configuration shared by every handler in one container. */
export interface Runtime {
  readonly config: TallyConfig;
  readonly ddb: DynamoDBDocumentClient;
}

/** DynamoDB Local accepts any credentials but the SDK insists on having some. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export function createRuntime(config: TallyConfig): Runtime {
  const client = new DynamoDBClient({
    region: config.region,
    ...(config.dynamodbEndpoint
      ? { endpoint: config.dynamodbEndpoint, credentials: LOCAL_CREDENTIALS }
      : {}),
  });
  const ddb = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  return { config, ddb };
}

let shared: Runtime | undefined;

/** Created on first use, which is module load of a handler: a cold start that fails fast. */
export function runtime(): Runtime {
  shared ??= createRuntime(loadConfig(process.env));
  return shared;
}
