import { mkdirSync } from 'node:fs';
import { relative } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_PIPELINE_SETTINGS } from '../lib/pipeline-settings.js';
import { ConfigStore } from '../functions/store/config-store.js';
import { ensureDevApiKey, DEV_ACCOUNT_ID } from './dev-api-key.js';
import { checkJava, JavaMissingError, startDynamoDBLocal, type RunningDynamoDBLocal } from './dynamodb-local.js';
import { loadHandler, startGateway, type Gateway } from './gateway.js';
import {
  handlerEnvironment,
  localDynamoDBClient,
  localPaths,
  removeRuntimeFile,
  runningLocalTally,
  writeRuntimeFile,
} from './local-env.js';
import { projectRoot } from './paths.js';
import { describePollerProblem, startPoller, type Poller, type SqsHandler } from './poller.js';
import {
  createQueuePair,
  drainQueue,
  LOCAL_QUEUE_REGION,
  LOCAL_VISIBILITY_TIMEOUT_SECONDS,
  queueDepth,
  startLocalQueue,
  type LocalQueue,
  type QueuePair,
} from './queue.js';
import { ensureTables, localTableNames } from './tables.js';

/**
 * `npm start`: Tally on one machine. DynamoDB Local (persistent unless --in-memory), the tables
 * from the stack's own definitions, the HTTP API behind a local stand-in for API Gateway, and the
 * event queue with a poller that feeds the consumer as the Lambda event source mapping does.
 */
const log = (message: string) => console.log(message);

/** At Ctrl-C the consumer gets this long to finish what is queued: the local queue is in memory. */
const SHUTDOWN_DRAIN_MILLIS = 10_000;

async function stopPipeline(queue: LocalQueue, pair: QueuePair, poller: Poller): Promise<void> {
  const left = await drainQueue(queue.client, pair.queue.url, SHUTDOWN_DRAIN_MILLIS);
  await poller.stop();
  const dead = await queueDepth(queue.client, pair.deadLetterQueue.url);
  if (left.visible + left.inFlight > 0) {
    log(`warning: ${left.visible + left.inFlight} queue message(s) were not consumed in time and are lost with the in-memory queue`);
  }
  if (dead.visible > 0) log(`warning: ${dead.visible} message(s) in the DLQ are lost with the in-memory queue`);
}

function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv) {
  const unknown = argv.filter((arg) => arg !== '--in-memory');
  if (unknown.length > 0) {
    throw new UsageError(`unknown option ${unknown.join(' ')} (supported: --in-memory)`);
  }
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`PORT must be a port number, got "${env.PORT}"`);
  return {
    port,
    inMemory: argv.includes('--in-memory') || ['1', 'true'].includes(env.TALLY_IN_MEMORY ?? ''),
    chosenApiKey: env.TALLY_API_KEY || undefined,
  };
}

class UsageError extends Error {}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env);
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  // CloudWatch metric lines mean nothing on one machine.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  checkJava();
  const paths = localPaths();
  mkdirSync(paths.home, { recursive: true });
  const alreadyRunning = runningLocalTally(paths.runtimeFile);
  if (alreadyRunning && !options.inMemory) {
    throw new UsageError(`Tally is already running (pid ${alreadyRunning.pid}) on this data folder; stop it first`);
  }

  let database: RunningDynamoDBLocal | undefined;
  let gateway: Gateway | undefined;
  let queue: LocalQueue | undefined;
  let pipeline: { pair: QueuePair; poller: Poller } | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`\n${signal} received, stopping...`);
    await gateway?.close();
    if (queue && pipeline) {
      log('Finishing queued events...');
      await stopPipeline(queue, pipeline.pair, pipeline.poller);
    }
    await queue?.stop();
    await database?.stop();
    if (!options.inMemory) removeRuntimeFile(paths.runtimeFile);
    log('Tally stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  database = await startDynamoDBLocal({
    cacheDir: paths.cache,
    ...(options.inMemory ? {} : { dataDir: paths.data }),
    progress: log,
  });
  const tables = localTableNames();
  const client = localDynamoDBClient(database.endpoint);
  await ensureTables(client, tables);
  queue = await startLocalQueue();
  const pair = await createQueuePair(queue.client, 'tally-events', { visibilityTimeoutSeconds: LOCAL_VISIBILITY_TIMEOUT_SECONDS });
  Object.assign(process.env, handlerEnvironment(database.endpoint, tables, { endpoint: queue.endpoint, queueUrl: pair.queue.url }));

  const store = new ConfigStore(DynamoDBDocumentClient.from(client), tables.Config);
  const devKey = await ensureDevApiKey(store, {
    chosenKey: options.chosenApiKey,
    ...(options.inMemory ? {} : { savedKeyFile: paths.devApiKey }),
    nowMillis: Date.now(),
  });

  // Loaded now, after its environment is set, so a broken consumer stops the start instead of the first event.
  const consumer = await loadHandler<SqsHandler>('consumer');
  const settings = DEFAULT_PIPELINE_SETTINGS;
  const poller = startPoller({
    client: queue.client,
    queue: pair.queue,
    region: LOCAL_QUEUE_REGION,
    handler: consumer,
    batchSize: settings.consumerBatchSize,
    batchingWindowMillis: settings.consumerBatchingWindowSeconds * 1000,
    visibilityTimeoutSeconds: pair.visibilityTimeoutSeconds,
    handlerTimeoutMillis: settings.consumerTimeoutSeconds * 1000,
    maxReceiveCount: pair.maxReceiveCount,
    onProblem: (problem) => console.error(describePollerProblem(problem)),
  });
  pipeline = { pair, poller };

  gateway = await startGateway(options.port, (error) => console.error('request failed:', error));
  if (!options.inMemory) {
    writeRuntimeFile(paths.runtimeFile, { pid: process.pid, dynamodbEndpoint: database.endpoint, tables });
  }

  const where = options.inMemory ? 'in memory (gone when Tally stops)' : `in ${relative(projectRoot, paths.data) || paths.data}`;
  log(`DynamoDB Local ${database.endpoint}, data ${where}`);
  log(
    `Event queue ${queue.endpoint} (in memory): failed messages retried after ${pair.visibilityTimeoutSeconds} s, ` +
      `moved to the DLQ after ${pair.maxReceiveCount} receives`,
  );
  log(`Development API key for account "${DEV_ACCOUNT_ID}" (${devKey.source}): ${devKey.apiKey}`);
  log(`Tally listening on ${gateway.url} (Ctrl-C stops)`);
}

main().catch((error: unknown) => {
  if (error instanceof JavaMissingError || error instanceof UsageError) {
    console.error(`tally: ${error.message}`);
  } else {
    console.error('tally: failed to start:', error);
  }
  process.exit(1);
});
