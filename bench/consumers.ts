import { Logger } from '@aws-lambda-powertools/logger';
import { TransactWriteCommand, type DynamoDBDocumentClient, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { packTransactions, planMessage, rollupDeltas, type PlannedEvent, type RollupDelta } from '../functions/domain/consumption.js';
import { consumeBatch, type ConsumeDependencies } from '../functions/pipeline/consume-batch.js';
import { AccountConfigCache, type AccountMeters } from '../functions/store/account-config-cache.js';
import { countersOf } from '../functions/domain/rollup-items.js';
import { buildEventTransaction, eventItem, type DataTables } from '../functions/store/event-commands.js';
import { EventWriter } from '../functions/store/event-writer.js';
import { cancellationReasons } from '../functions/store/dynamo.js';
import { forEachLimited } from '../functions/store/retry.js';
import { DECLARED_DIMENSIONS, type WorkloadMessage, type WorkloadSpec } from './workload.js';

export const RETENTION_DAYS = 90;

/** The one meter the workload reports to, with its three declared dimensions. */
export function benchAccountConfiguration(spec: Pick<WorkloadSpec, 'meterApiName'>) {
  return {
    meters: [
      {
        meterApiName: spec.meterApiName,
        displayName: 'API calls',
        label: 'calls',
        type: 'SUM_OF_ALL_USAGE' as const,
        dimensions: [...DECLARED_DIMENSIONS],
        meterTimeInMillis: 0,
      },
    ],
    rules: [],
  };
}

/** An SQS record as the Lambda event source hands it over; only the body and id matter here. */
export function sqsRecordOf(message: WorkloadMessage): SQSRecord {
  return {
    messageId: message.messageId,
    receiptHandle: message.messageId,
    body: JSON.stringify(message.body),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(message.body.receivedAtMillis),
      SenderId: 'bench',
      ApproximateFirstReceiveTimestamp: String(message.body.receivedAtMillis),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:tally-events',
    awsRegion: 'us-east-1',
  };
}

export interface ConsumerRun {
  readonly deliveredEvents: number;
  readonly elapsedMillis: number;
  /** DynamoDB requests sent, by command name. */
  readonly requests: Readonly<Record<string, number>>;
}

export interface TallyRun extends ConsumerRun {
  /** Time inside the stored-event and rollup reads and the exactly-once transactions (EventWriter.write). */
  readonly writeMillis: number;
  /** The requests of that step, by command name. */
  readonly writeRequests: Readonly<Record<string, number>>;
}

const countInto = (requests: Record<string, number>) => (name: string) => {
  requests[name] = (requests[name] ?? 0) + 1;
};

/** Called as events get stored: events stored so far (Tally: committed, naive: processed) and time since the start. */
export type Progress = (eventsStored: number, elapsedMillis: number) => void;

/** Counts the requests a consumer sends, by command, and the event Puts its committed transactions carried. */
function countingClient(
  ddb: DynamoDBDocumentClient,
  onRequest: (commandName: string) => void,
  onCommitted: (eventPuts: number) => void = () => {},
): DynamoDBDocumentClient {
  return new Proxy(ddb, {
    get: (target, property, receiver) =>
      property === 'send'
        ? async (command: Parameters<DynamoDBDocumentClient['send']>[0]) => {
            onRequest(command.constructor.name.replace(/Command$/, ''));
            const output = await target.send(command);
            if (command instanceof TransactWriteCommand) onCommitted(command.input.TransactItems?.filter((action) => action.Put).length ?? 0);
            return output;
          }
        : Reflect.get(target, property, receiver),
  });
}

/**
 * A consumer under test. It takes event-source batches one at a time and counts only its own busy
 * time, so several consumers can take turns on the same machine and share its background noise.
 */
export interface BenchConsumer<Run extends ConsumerRun = ConsumerRun> {
  consume(batch: readonly WorkloadMessage[]): Promise<void>;
  result(): Run;
}

/** Hands each batch to every consumer in turn, so none of them runs under quieter conditions than another. */
export async function runInTurns(batches: readonly (readonly WorkloadMessage[])[], consumers: readonly BenchConsumer[]): Promise<void> {
  for (const batch of batches) {
    for (const consumer of consumers) await consumer.consume(batch);
  }
}

/** A clock that runs only inside `measure`. */
function busyClock() {
  let busyMillis = 0;
  let since: number | undefined;
  return {
    elapsed: () => busyMillis + (since === undefined ? 0 : performance.now() - since),
    async measure(work: () => Promise<void>): Promise<void> {
      since = performance.now();
      try {
        await work();
      } finally {
        busyMillis += performance.now() - since;
        since = undefined;
      }
    },
  };
}

const eventCount = (batch: readonly WorkloadMessage[]) => batch.reduce((total, message) => total + message.body.events.length, 0);

/** Tally's consumer exactly as the Lambda handler runs it: consumeBatch with the real EventWriter. */
export function tallyConsumer(
  spec: WorkloadSpec,
  ddb: DynamoDBDocumentClient,
  tables: DataTables,
  onProgress: Progress = () => {},
): BenchConsumer<TallyRun> {
  const configuration = benchAccountConfiguration(spec);
  const accounts = new AccountConfigCache(async () => configuration);
  const requests: Record<string, number> = {};
  const phaseRequests = { writeMillis: {} as Record<string, number> };
  // consumeBatch runs its steps one after the other, so every request belongs to the step under way.
  let phase: keyof typeof phaseRequests | undefined;
  const clock = busyClock();
  let committed = 0;
  const client = countingClient(
    ddb,
    (name) => {
      countInto(requests)(name);
      if (phase) countInto(phaseRequests[phase])(name);
    },
    (eventPuts) => {
      committed += eventPuts;
      onProgress(committed, clock.elapsed());
    },
  );
  const writer = new EventWriter(client, tables, { retentionDays: RETENTION_DAYS });
  const phases = { writeMillis: 0 };
  const timed = async <T>(step: keyof typeof phases, work: () => Promise<T>): Promise<T> => {
    const phaseStart = performance.now();
    phase = step;
    try {
      return await work();
    } finally {
      phase = undefined;
      phases[step] += performance.now() - phaseStart;
    }
  };
  const timedWriter: ConsumeDependencies['writer'] = {
    write: (events) => timed('writeMillis', () => writer.write(events)),
    flagConflicts: (conflicts) => writer.flagConflicts(conflicts),
  };
  const log = new Logger({ logLevel: 'SILENT' });
  let delivered = 0;
  return {
    consume: (batch) =>
      clock.measure(async () => {
        const response = await consumeBatch(batch.map(sqsRecordOf), { accounts, writer: timedWriter, log });
        if (response.batchItemFailures.length > 0) {
          throw new Error(`Tally's consumer reported ${response.batchItemFailures.length} failed messages`);
        }
        delivered += eventCount(batch);
      }),
    result: () => ({
      deliveredEvents: delivered,
      elapsedMillis: clock.elapsed(),
      requests: { ...requests },
      ...phases,
      writeRequests: { ...phaseRequests.writeMillis },
    }),
  };
}

/**
 * The baseline: one TransactWriteItems per event, holding its marker Put (if absent) and the ADDs
 * to its customer-hour slot and customer-day rollup, the same items Tally writes. A failed condition
 * means the event was seen before. No MIN/MAX and no event page, so the baseline does strictly less
 * work than Tally.
 */
export function naiveConsumer(
  spec: WorkloadSpec,
  ddb: DynamoDBDocumentClient,
  tables: DataTables,
  concurrency: number,
  onProgress: Progress = () => {},
): BenchConsumer {
  const account = naiveAccount(spec);
  const requests: Record<string, number> = {};
  const counted = countingClient(ddb, countInto(requests));
  const clock = busyClock();
  let processed = 0;
  return {
    consume: (batch) =>
      clock.measure(async () => {
        const events = batch.flatMap((message) => planMessage(message.body, message.messageId, account));
        await forEachLimited(events, concurrency, async (planned) => {
          await writeOneEvent(counted, tables, planned);
          processed += 1;
          onProgress(processed, clock.elapsed());
        });
      }),
    result: () => ({ deliveredEvents: processed, elapsedMillis: clock.elapsed(), requests: { ...requests } }),
  };
}

/**
 * Not a consumer: the ceiling of any exactly-once consumer that keeps one item per event. It sends
 * only the transactions of event Puts and pages Tally would send (packed the same way, 4 in
 * flight), with no rollups and no reads, and skips events it already wrote. What DynamoDB Local
 * does with that alone bounds the ratio any such design can reach here.
 */
export function eventPutsOnly(spec: WorkloadSpec, ddb: DynamoDBDocumentClient, tables: DataTables): BenchConsumer {
  const account = naiveAccount(spec);
  const requests: Record<string, number> = {};
  const counted = countingClient(ddb, countInto(requests));
  const clock = busyClock();
  const written = new Set<string>();
  let delivered = 0;
  return {
    consume: (batch) =>
      clock.measure(async () => {
        const events = batch
          .flatMap((message) => planMessage(message.body, message.messageId, account))
          .filter((planned) => !written.has(planned.key.pk) && written.add(planned.key.pk))
          .map((planned) => ({ ...planned, rollups: [] }));
        await forEachLimited(packTransactions(events), 4, async (plan) => {
          await counted.send(new TransactWriteCommand(buildEventTransaction(tables, plan, new Map(), RETENTION_DAYS)));
        });
        delivered += eventCount(batch);
      }),
    result: () => ({ deliveredEvents: delivered, elapsedMillis: clock.elapsed(), requests: { ...requests } }),
  };
}

function naiveAccount(spec: WorkloadSpec): AccountMeters {
  const configuration = benchAccountConfiguration(spec);
  return { meters: new Map(configuration.meters.map((meter) => [meter.meterApiName, meter])), rulesByMeter: new Map() };
}

async function writeOneEvent(ddb: DynamoDBDocumentClient, tables: DataTables, planned: PlannedEvent): Promise<void> {
  try {
    await ddb.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: tables.events,
              Item: eventItem(planned, RETENTION_DAYS),
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          ...rollupDeltas([planned]).map((delta) => ({ Update: naiveRollupAdd(tables.rollups, delta) })),
        ],
      }),
    );
  } catch (error) {
    if (cancellationReasons(error)?.[0]?.Code !== 'ConditionalCheckFailed') throw error;
  }
}

/**
 * The baseline's share of an event in its rollup items: the same items and counters Tally writes
 * (every combination in its customer-hour slot), added without a condition and without MIN/MAX.
 */
function naiveRollupAdd(table: string, delta: RollupDelta): UpdateCommandInput & { UpdateExpression: string } {
  const counters = countersOf(delta.slot?.id);
  return {
    TableName: table,
    Key: { pk: delta.pk, sk: delta.sk },
    UpdateExpression: `ADD #sum :sum, #count :count SET customerId = :customerId, periodStartMillis = :period${counters.dimensions ? ', #dimensions = if_not_exists(#dimensions, :dimensions)' : ''}`,
    ExpressionAttributeNames: { '#sum': counters.sum, '#count': counters.count, ...(counters.dimensions ? { '#dimensions': counters.dimensions } : {}) },
    ExpressionAttributeValues: {
      ':sum': delta.sum,
      ':count': delta.count,
      ':customerId': delta.customerId,
      ':period': delta.periodStartMillis,
      ...(counters.dimensions ? { ':dimensions': delta.dimensions } : {}),
    },
  };
}
