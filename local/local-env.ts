import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS } from '../functions/runtime.js';
import { startDynamoDBLocal, type RunningDynamoDBLocal } from './dynamodb-local.js';
import { tallyHome } from './paths.js';
import { ensureTables, localTableNames, type TableNames } from './tables.js';

/** Where the local runtime keeps things, all under the git-ignored Tally home. */
export function localPaths(home = tallyHome()) {
  return {
    home,
    cache: join(home, 'cache'),
    data: join(home, 'data'),
    devApiKey: join(home, 'dev-api-key'),
    /** Written while `npm start` runs, so other commands reach the same database. */
    runtimeFile: join(home, 'runtime.json'),
  };
}

export const LOCAL_REGION = 'us-east-1';

export interface RuntimeFile {
  readonly pid: number;
  readonly dynamodbEndpoint: string;
  readonly tables: TableNames;
}

/** The environment the handler modules read their config from (see functions/config.ts). */
export function handlerEnvironment(
  dynamodbEndpoint: string,
  tables: TableNames,
  queue: { readonly endpoint: string; readonly queueUrl: string },
): Record<string, string> {
  return {
    AWS_REGION: LOCAL_REGION,
    TALLY_DYNAMODB_ENDPOINT: dynamodbEndpoint,
    TALLY_CONFIG_TABLE: tables.Config,
    TALLY_EVENTS_TABLE: tables.Events,
    TALLY_ROLLUPS_TABLE: tables.Rollups,
    TALLY_SQS_ENDPOINT: queue.endpoint,
    TALLY_QUEUE_URL: queue.queueUrl,
  };
}

export function localDynamoDBClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ region: LOCAL_REGION, endpoint, credentials: LOCAL_CREDENTIALS });
}

export function writeRuntimeFile(path: string, contents: RuntimeFile): void {
  writeFileSync(path, JSON.stringify(contents, null, 2));
}

export function removeRuntimeFile(path: string): void {
  rmSync(path, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The DynamoDB Local of a running `npm start`, if there is one. */
export function runningLocalTally(path: string): RuntimeFile | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const contents = JSON.parse(readFileSync(path, 'utf8')) as RuntimeFile;
    return isAlive(contents.pid) ? contents : undefined;
  } catch {
    return undefined;
  }
}

export interface LocalDatabase {
  readonly endpoint: string;
  readonly tables: TableNames;
  readonly client: DynamoDBClient;
  /** Stops DynamoDB Local if this call started it. */
  close(): Promise<void>;
}

/**
 * Reaches the local database: the one `npm start` is serving if it runs, otherwise a DynamoDB
 * Local started here on the same data folder (never two processes on one folder).
 */
export async function openLocalDatabase(progress: (message: string) => void): Promise<LocalDatabase> {
  const paths = localPaths();
  const running = runningLocalTally(paths.runtimeFile);
  let started: RunningDynamoDBLocal | undefined;
  let endpoint = running?.dynamodbEndpoint;
  const tables = running?.tables ?? localTableNames();
  if (!endpoint) {
    mkdirSync(paths.home, { recursive: true });
    started = await startDynamoDBLocal({ cacheDir: paths.cache, dataDir: paths.data, progress });
    endpoint = started.endpoint;
  }
  const client = localDynamoDBClient(endpoint);
  await ensureTables(client, tables);
  return {
    endpoint,
    tables,
    client,
    close: async () => {
      client.destroy();
      await started?.stop();
    },
  };
}
