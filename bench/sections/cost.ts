import { DEFAULT_PIPELINE_SETTINGS } from '../../lib/pipeline-settings.js';
import { RETENTION_DAYS } from '../consumers.js';
import {
  AWS_LIST_PRICES,
  costPerMillionEvents,
  ingestDurationOnLambda,
  INGEST_MEMORY_MB,
  LAMBDA_MB_PER_VCPU,
  totalDollars,
  type CostInputs,
  type IngestDuration,
} from '../cost-model.js';
import type { BenchSection, Measurements } from '../harness.js';
import { formatDollars, formatNumber } from '../report.js';
import { DEFAULT_WORKLOAD, generateWorkload } from '../workload.js';

const CLIENT_BATCHES = [1, 100, 1_000] as const;
const COST_GOAL_DOLLARS = 2.5;
const GOAL_BATCH = 100;

/** When the ingest section did not run: a SendMessageBatch round trip and request handling, plus parsing at 20k events/s. */
const INGEST_ESTIMATE: IngestDuration = { fixedMillis: 25, millisPerEvent: 0.05 };
/** One SendMessageBatch within a region: the part of an ingest request the benchmark cannot measure locally. */
const SQS_SEND_ROUND_TRIP_MILLIS = 20;
const CONSUMER_MEMORY_MB = 1024;

function ingestDuration(measurements: Measurements): IngestDuration & { source: string } {
  if (!measurements.ingest) return { ...INGEST_ESTIMATE, source: 'estimate (the ingest section did not run)' };
  return {
    ...ingestDurationOnLambda(measurements.ingest, INGEST_MEMORY_MB, SQS_SEND_ROUND_TRIP_MILLIS),
    source: `measured handler work (section 3) x ${formatNumber(LAMBDA_MB_PER_VCPU / INGEST_MEMORY_MB, 2)} for the CPU share of ${INGEST_MEMORY_MB} MB, plus a ${SQS_SEND_ROUND_TRIP_MILLIS} ms SendMessageBatch round trip (estimate)`,
  };
}

/** JSON bytes per event as a client sends it (an Amberflo ingest event with uniqueId and dimensions). */
function requestBytesPerEvent(): number {
  const sample = generateWorkload({ ...DEFAULT_WORKLOAD, uniqueEvents: 1_000, idSource: 'client' }).uniqueEvents;
  const bytes = sample.map(({ eventId, customerId, meterApiName, meterValue, meterTimeInMillis, dimensions }) =>
    JSON.stringify({ customerId, meterApiName, meterValue, meterTimeInMillis, uniqueId: eventId, dimensions }).length,
  );
  return bytes.reduce((total, value) => total + value, 0) / bytes.length + 1;
}

function costInputs(measurements: Measurements, eventsPerRequest: number): CostInputs {
  const { consumer, writeUnits } = measurements;
  if (!consumer || !writeUnits) throw new Error('the cost model needs the consumer and write-unit sections to have run first');
  const ingest = ingestDuration(measurements);
  return {
    eventsPerRequest,
    requestBytesPerEvent: requestBytesPerEvent(),
    queuedEventBytes: consumer.queuedEventBytes,
    ingestMemoryMb: INGEST_MEMORY_MB,
    ingestFixedMillis: ingest.fixedMillis,
    ingestMillisPerEvent: ingest.millisPerEvent,
    consumerMemoryMb: CONSUMER_MEMORY_MB,
    consumerMillisPerEvent: consumer.millisPerEvent,
    consumerBatchMessages: DEFAULT_PIPELINE_SETTINGS.consumerBatchSize,
    writeUnitsPerEvent: writeUnits.writeUnitsPerEvent,
    readUnitsPerEvent: writeUnits.readUnitsPerEvent,
    eventItemBytes: writeUnits.eventItemBytes,
    pagesPerEvent: writeUnits.pagesPerEvent,
    pageBytesPerEvent: writeUnits.pageBytesPerEvent,
    retentionDays: RETENTION_DAYS,
    pointInTimeRecovery: true,
  };
}

export const costPerMillion: BenchSection<null> = {
  name: 'cost',
  title: '4. Cost per 1M events at AWS list prices',
  sizes: { quick: null, full: null },
  async run(context) {
    const byBatch = CLIENT_BATCHES.map((batch) => costPerMillionEvents(costInputs(context.measurements, batch)));
    const atGoalBatch = totalDollars(byBatch[CLIENT_BATCHES.indexOf(GOAL_BATCH)]!);
    const inputs = costInputs(context.measurements, GOAL_BATCH);
    const ingest = ingestDuration(context.measurements);
    const p = AWS_LIST_PRICES;
    return {
      headlines: [
        { metric: `cost per 1M events, client batches of ${GOAL_BATCH}`, value: formatDollars(atGoalBatch), goal: `<= ${formatDollars(COST_GOAL_DOLLARS)}`, met: atGoalBatch <= COST_GOAL_DOLLARS },
        ...CLIENT_BATCHES.filter((batch) => batch !== GOAL_BATCH).map((batch) => ({
          metric: `cost per 1M events, client batches of ${batch}`,
          value: formatDollars(totalDollars(byBatch[CLIENT_BATCHES.indexOf(batch)]!)),
        })),
      ],
      tables: [
        {
          title: `Dollars per 1M events, ${p.region}, by events per client request`,
          columns: ['component', ...CLIENT_BATCHES.map((batch) => `batch ${batch}`), `basis at batch ${GOAL_BATCH}`],
          rows: [
            ...byBatch[0]!.map((line, index) => [
              line.component,
              ...byBatch.map((lines) => formatDollars(lines[index]!.dollars)),
              byBatch[CLIENT_BATCHES.indexOf(GOAL_BATCH)]![index]!.basis,
            ]),
            ['**total**', ...byBatch.map((lines) => `**${formatDollars(totalDollars(lines))}**`), ''],
          ],
        },
        {
          title: 'Prices and inputs',
          columns: ['input', 'value', 'source'],
          rows: [
            ['API Gateway HTTP API', `$${p.apiGatewayHttpPerMillionRequests} per 1M requests (512 KB each)`, 'list price'],
            ['Lambda arm64', `$${p.lambdaArmPerGbSecond} per GB-s, $${p.lambdaPerMillionRequests} per 1M requests`, 'list price'],
            ['SQS standard', `$${p.sqsStandardPerMillionRequests} per 1M requests (64 KB chunks)`, 'list price'],
            ['DynamoDB on-demand', `$${p.dynamoDbPerMillionWriteUnits} per 1M WRU, $${p.dynamoDbPerMillionReadUnits} per 1M RRU`, 'list price'],
            ['DynamoDB storage / PITR', `$${p.dynamoDbStoragePerGbMonth} / $${p.dynamoDbPitrPerGbMonth} per GB-month`, 'list price'],
            ['WRU / RRU per event', `${formatNumber(inputs.writeUnitsPerEvent, 2)} / ${formatNumber(inputs.readUnitsPerEvent, 2)}`, 'measured, section 2'],
            ['consumer duration', `${formatNumber(inputs.consumerMillisPerEvent, 2)} ms per event at ${CONSUMER_MEMORY_MB} MB`, 'measured against DynamoDB Local, section 1 (pessimistic)'],
            ['ingest duration', `${formatNumber(ingest.fixedMillis, 1)} ms + ${formatNumber(ingest.millisPerEvent * 1000, 1)} µs per event at ${INGEST_MEMORY_MB} MB`, ingest.source],
            ['bytes per event: request / queued / stored item / event pages', `${formatNumber(inputs.requestBytesPerEvent, 0)} / ${formatNumber(inputs.queuedEventBytes, 0)} / ${inputs.eventItemBytes} / ${formatNumber(inputs.pageBytesPerEvent, 1)}`, 'measured, section 2'],
            ['raw retention', `${inputs.retentionDays} days, PITR on`, 'Tally defaults'],
          ],
        },
      ],
      notes: [
        `Prices: ${p.region}, ${p.asOf}. They are assumptions to re-check on the AWS pricing pages. Not included: free tiers, the authorizer (its result is cached per API key, so it runs once per key per cache period), CloudWatch logs and metrics, data transfer, and the SQS long-polling receives of an idle queue (a fixed few cents a month).`,
        'Storage is what one million events cost over their whole raw retention (event item and its share of event pages, each item with DynamoDB\'s 100-byte overhead, kept 90 days), so it is a per-event cost like the others; rollup items are few per event at any real traffic and left out. The consumer duration is measured against DynamoDB Local, where requests are serialized, so it is an upper bound of what the consumer would bill on AWS. WRU per event was measured with consumer batches of thousands of events; a stream of single-event requests fills consumer batches with only 100 events, so fewer events share each rollup item and its WRU per event would be higher than used here.',
      ],
    };
  },
};
