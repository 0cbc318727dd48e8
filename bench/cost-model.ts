/**
 * What one million events cost on AWS at list prices, from the pipeline's shape and measured
 * inputs. Pure: the prices are data, the inputs come from the benchmark run.
 */
export const AWS_LIST_PRICES = {
  region: 'us-east-1',
  /** Assumptions to re-check on the AWS pricing pages before quoting them. */
  asOf: 'list prices as published in mid-2025 (DynamoDB on-demand after its November 2024 price cut), free tiers ignored',
  apiGatewayHttpPerMillionRequests: 1.0,
  /** An HTTP API request is metered in 512 KB increments. */
  apiGatewayMeteringBytes: 512 * 1024,
  lambdaArmPerGbSecond: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  sqsStandardPerMillionRequests: 0.4,
  /** Every 64 KB chunk of a request's payload is billed as one request. */
  sqsChunkBytes: 64 * 1024,
  dynamoDbPerMillionWriteUnits: 0.625,
  dynamoDbPerMillionReadUnits: 0.125,
  dynamoDbStoragePerGbMonth: 0.25,
  dynamoDbPitrPerGbMonth: 0.2,
} as const;

export type Prices = typeof AWS_LIST_PRICES;

/** DynamoDB bills 100 bytes of indexing overhead per stored item, in the table and in each GSI. */
export const DYNAMODB_ITEM_OVERHEAD_BYTES = 100;
const SQS_MAX_MESSAGE_BYTES = 1024 * 1024;
const SQS_MESSAGES_PER_CALL = 10;
const DAYS_PER_MONTH = 365.25 / 12;
const EVENTS = 1_000_000;

export interface CostInputs {
  readonly eventsPerRequest: number;
  /** JSON bytes a client sends per event. */
  readonly requestBytesPerEvent: number;
  /** JSON bytes of an event inside an SQS message body. */
  readonly queuedEventBytes: number;
  readonly ingestMemoryMb: number;
  /** Ingest duration per request: a fixed part plus a part per event. */
  readonly ingestFixedMillis: number;
  readonly ingestMillisPerEvent: number;
  readonly consumerMemoryMb: number;
  readonly consumerMillisPerEvent: number;
  /** Messages per consumer invocation (the event source's batch size). */
  readonly consumerBatchMessages: number;
  readonly writeUnitsPerEvent: number;
  readonly readUnitsPerEvent: number;
  /** Stored bytes per event item, before DynamoDB's per-item overhead. */
  readonly eventItemBytes: number;
  /** Event page items per event (a page lists the events of one meter-hour of a transaction). */
  readonly pagesPerEvent: number;
  /** Stored event page bytes per event, before DynamoDB's per-item overhead. */
  readonly pageBytesPerEvent: number;
  readonly retentionDays: number;
  readonly pointInTimeRecovery: boolean;
}

export interface CostLine {
  readonly component: string;
  readonly dollars: number;
  readonly basis: string;
}

const perMillion = (count: number, price: number) => (count / 1_000_000) * price;
const gbSeconds = (millis: number, memoryMb: number) => (millis / 1000) * (memoryMb / 1024);

/** Events one SQS message carries: one request's events, split only where a message would pass 1 MiB. */
export function eventsPerMessage(inputs: Pick<CostInputs, 'eventsPerRequest' | 'queuedEventBytes'>): number {
  return Math.max(1, Math.min(inputs.eventsPerRequest, Math.floor(SQS_MAX_MESSAGE_BYTES / inputs.queuedEventBytes)));
}

export function costPerMillionEvents(inputs: CostInputs, prices: Prices = AWS_LIST_PRICES): CostLine[] {
  const requests = EVENTS / inputs.eventsPerRequest;
  const requestBytes = inputs.eventsPerRequest * inputs.requestBytesPerEvent;
  const meteredRequests = requests * Math.ceil(requestBytes / prices.apiGatewayMeteringBytes);

  const ingestMillis = inputs.ingestFixedMillis + inputs.ingestMillisPerEvent * inputs.eventsPerRequest;
  const ingestGbSeconds = requests * gbSeconds(ingestMillis, inputs.ingestMemoryMb);

  const messagesPerRequest = Math.ceil(inputs.eventsPerRequest / eventsPerMessage(inputs));
  const messages = requests * messagesPerRequest;
  const payloadBytesPerRequest = inputs.eventsPerRequest * inputs.queuedEventBytes;
  const chunksPerRequest = Math.ceil(payloadBytesPerRequest / prices.sqsChunkBytes);
  const sendCalls = requests * Math.max(Math.ceil(messagesPerRequest / SQS_MESSAGES_PER_CALL), chunksPerRequest);
  const receiveCalls = Math.max(messages / SQS_MESSAGES_PER_CALL, requests * chunksPerRequest);
  const deleteCalls = messages / SQS_MESSAGES_PER_CALL;

  const invocations = messages / inputs.consumerBatchMessages;
  const consumerGbSeconds = gbSeconds(EVENTS * inputs.consumerMillisPerEvent, inputs.consumerMemoryMb);

  // Event items and their pages are both table data (no index copy), so PITR covers all of it.
  const pageBytesPerEvent = inputs.pageBytesPerEvent + inputs.pagesPerEvent * DYNAMODB_ITEM_OVERHEAD_BYTES;
  const storedBytes = EVENTS * (inputs.eventItemBytes + DYNAMODB_ITEM_OVERHEAD_BYTES + pageBytesPerEvent);
  const storedGbMonths = (storedBytes / 2 ** 30) * (inputs.retentionDays / DAYS_PER_MONTH);
  const tableGbMonths = storedGbMonths;

  return [
    {
      component: 'API Gateway HTTP API',
      dollars: perMillion(meteredRequests, prices.apiGatewayHttpPerMillionRequests),
      basis: `${fmt(meteredRequests)} requests of ${fmt(requestBytes / 1024, 1)} KB`,
    },
    {
      component: 'Lambda ingest',
      dollars: perMillion(requests, prices.lambdaPerMillionRequests) + ingestGbSeconds * prices.lambdaArmPerGbSecond,
      basis: `${fmt(requests)} invocations x ${fmt(ingestMillis)} ms at ${inputs.ingestMemoryMb} MB`,
    },
    {
      component: 'SQS requests',
      dollars: perMillion(sendCalls + receiveCalls + deleteCalls, prices.sqsStandardPerMillionRequests),
      basis: `${fmt(messages)} messages; ${fmt(sendCalls)} send + ${fmt(receiveCalls)} receive + ${fmt(deleteCalls)} delete billed requests`,
    },
    {
      component: 'Lambda consumer',
      dollars: perMillion(invocations, prices.lambdaPerMillionRequests) + consumerGbSeconds * prices.lambdaArmPerGbSecond,
      basis: `${fmt(invocations)} invocations, ${fmt(consumerGbSeconds)} GB-s at ${inputs.consumerMemoryMb} MB`,
    },
    {
      component: 'DynamoDB writes',
      dollars: perMillion(EVENTS * inputs.writeUnitsPerEvent, prices.dynamoDbPerMillionWriteUnits),
      basis: `${fmt(inputs.writeUnitsPerEvent, 2)} WRU per event`,
    },
    {
      component: 'DynamoDB reads',
      dollars: perMillion(EVENTS * inputs.readUnitsPerEvent, prices.dynamoDbPerMillionReadUnits),
      basis: `${fmt(inputs.readUnitsPerEvent, 2)} RRU per event`,
    },
    {
      component: 'DynamoDB storage',
      dollars: storedGbMonths * prices.dynamoDbStoragePerGbMonth,
      basis: `${fmt(storedGbMonths, 2)} GB-months: event item ${inputs.eventItemBytes} B + 100 B overhead, and ${fmt(pageBytesPerEvent, 1)} B of event pages per event, kept ${inputs.retentionDays} days`,
    },
    ...(inputs.pointInTimeRecovery
      ? [
          {
            component: 'DynamoDB PITR',
            dollars: tableGbMonths * prices.dynamoDbPitrPerGbMonth,
            basis: `${fmt(tableGbMonths, 2)} GB-months of table data`,
          },
        ]
      : []),
  ];
}

/** Lambda gives a function CPU in proportion to its memory: the equivalent of one vCPU at 1,769 MB. */
export const LAMBDA_MB_PER_VCPU = 1_769;

/** The ingest function runs with the stack's default memory (FUNCTION_DEFAULTS in lib/tally-function.ts). */
export const INGEST_MEMORY_MB = 512;

/** Ingest duration per request: a fixed part plus a part per event, in milliseconds. */
export interface IngestDuration {
  readonly fixedMillis: number;
  readonly millisPerEvent: number;
}

/**
 * What an ingest request lasts on Lambda, from the handler's work measured on one full core with the
 * queue send replaced by a sink: the work stretched by the CPU share the function's memory buys
 * (CPU-bound work takes 1,769 / memory times longer below one vCPU), plus the send's round trip.
 */
export function ingestDurationOnLambda(measured: IngestDuration, memoryMb: number, sendRoundTripMillis: number): IngestDuration {
  const stretch = Math.max(1, LAMBDA_MB_PER_VCPU / memoryMb);
  return { fixedMillis: sendRoundTripMillis + measured.fixedMillis * stretch, millisPerEvent: measured.millisPerEvent * stretch };
}

export const totalDollars = (lines: readonly Pick<CostLine, 'dollars'>[]) => lines.reduce((total, line) => total + line.dollars, 0);

function fmt(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
