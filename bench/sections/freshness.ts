import { generateApiKey, generateKeyId, hashApiKey, keyHint } from '../../functions/domain/api-keys.js';
import { ConfigStore } from '../../functions/store/config-store.js';
import { DEFAULT_PIPELINE_SETTINGS } from '../../lib/pipeline-settings.js';
import { loadHandler, startGateway, type Gateway } from '../../local/gateway.js';
import { describePollerProblem, startPoller, type SqsHandler } from '../../local/poller.js';
import { LOCAL_QUEUE_REGION } from '../../local/queue.js';
import { benchAccountConfiguration } from '../consumers.js';
import type { BenchSection, SectionResult } from '../harness.js';
import { formatCount, formatNumber } from '../report.js';
import { summarize } from '../stats.js';
import { DEFAULT_WORKLOAD, seededRandom } from '../workload.js';

interface FreshnessSize {
  readonly samples: number;
}

const ACCOUNT_ID = 'bench-freshness';
const METER = DEFAULT_WORKLOAD.meterApiName;
const EVENTS_PER_REQUEST = 10;
const WARM_UP_SAMPLES = 2;
/** Pause between two polls of POST /usage; with the query's own time it is the resolution of the measurement. */
const POLL_PAUSE_MILLIS = 10;
/** Up to this long between samples, drawn at random, so requests do not always meet the poller in the same phase. */
const MAX_GAP_MILLIS = 250;
const GIVE_UP_MILLIS = 30_000;
const P99_GOAL_MILLIS = 2_000;
const HOUR_MILLIS = 3_600_000;

interface Sample {
  readonly ingestMillis: number;
  readonly visibleMillis: number;
  readonly polls: number;
}

function apiRequest(gateway: Gateway, apiKey: string) {
  return async (path: string, body: unknown): Promise<unknown> => {
    const response = await fetch(`${gateway.url}${path}`, {
      method: 'POST',
      headers: { 'X-API-KEY': apiKey, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`POST ${path} answered ${response.status}: ${text}`);
    return JSON.parse(text);
  };
}

/** COUNT of one customer's events over the hours around `timeMillis`, from a seed-shaped usage response. */
function countQuery(customerId: string, timeMillis: number) {
  const hour = Math.floor(timeMillis / HOUR_MILLIS) * HOUR_MILLIS;
  return {
    meterApiName: METER,
    startTimeInSeconds: (hour - HOUR_MILLIS) / 1000,
    endTimeInSeconds: (hour + 2 * HOUR_MILLIS) / 1000,
    timeGroupingInterval: 'HOUR',
    aggregation: 'COUNT',
    customerFilter: [customerId],
  };
}

function countOf(response: unknown): number {
  const groups = (response as { clientMeters: Record<string, { records: Record<string, number>[] }[]> }).clientMeters[METER] ?? [];
  return groups.flatMap((group) => group.records.flatMap((record) => Object.values(record))).reduce((total, value) => total + value, 0);
}

export const freshness: BenchSection<FreshnessSize> = {
  name: 'freshness',
  title: '6. Freshness: from the 200 of POST /ingest to the events in POST /usage',
  sizes: { quick: { samples: 10 }, full: { samples: 50 } },
  async run(context, size) {
    const runtime = await context.handlers();
    const apiKey = generateApiKey();
    await new ConfigStore(context.ddb, runtime.tables.Config).createApiKey({
      keyId: generateKeyId(),
      accountId: ACCOUNT_ID,
      keyHash: hashApiKey(apiKey),
      hint: keyHint(apiKey),
      createdAtMillis: Date.now(),
    });
    const gateway = await startGateway(0, (error) => context.progress(`  local gateway: ${error}`));
    const consumer = await loadHandler<SqsHandler>('consumer');
    const invocationMillis: number[] = [];
    const settings = DEFAULT_PIPELINE_SETTINGS;
    // The poller exactly as `npm start` configures it; only timed from outside.
    const poller = startPoller({
      client: runtime.queue.client,
      queue: runtime.pair.queue,
      region: LOCAL_QUEUE_REGION,
      handler: async (event, lambda) => {
        const started = performance.now();
        try {
          return await consumer(event, lambda);
        } finally {
          invocationMillis.push(performance.now() - started);
        }
      },
      batchSize: settings.consumerBatchSize,
      batchingWindowMillis: settings.consumerBatchingWindowSeconds * 1000,
      visibilityTimeoutSeconds: runtime.pair.visibilityTimeoutSeconds,
      handlerTimeoutMillis: settings.consumerTimeoutSeconds * 1000,
      maxReceiveCount: runtime.pair.maxReceiveCount,
      onProblem: (problem) => context.progress(`  ${describePollerProblem(problem)}`),
    });
    try {
      const post = apiRequest(gateway, apiKey);
      await post('/meter-definition', benchAccountConfiguration(DEFAULT_WORKLOAD).meters[0]);
      const random = seededRandom(DEFAULT_WORKLOAD.seed);
      const sample = async (index: number): Promise<Sample> => {
        const customerId = `fresh-${index}`;
        const now = Date.now();
        const events = Array.from({ length: EVENTS_PER_REQUEST }, (_, position) => ({
          customerId,
          meterApiName: METER,
          meterValue: 1 + position,
          meterTimeInMillis: now,
          uniqueId: `fresh-${now}-${index}-${position}`,
          dimensions: { region: 'eu-west-1', plan: 'pro', feature: 'api' },
        }));
        const sent = performance.now();
        await post('/ingest', events);
        const acknowledged = performance.now();
        for (let polls = 1; ; polls++) {
          const count = countOf(await post('/usage', countQuery(customerId, now)));
          if (count === EVENTS_PER_REQUEST) return { ingestMillis: acknowledged - sent, visibleMillis: performance.now() - acknowledged, polls };
          if (count > EVENTS_PER_REQUEST) throw new Error(`customer ${customerId} shows ${count} events, ${EVENTS_PER_REQUEST} were sent`);
          if (performance.now() - acknowledged > GIVE_UP_MILLIS) throw new Error(`events of ${customerId} not visible after ${GIVE_UP_MILLIS} ms`);
          await new Promise((resolve) => setTimeout(resolve, POLL_PAUSE_MILLIS));
        }
      };

      context.progress(`  ${WARM_UP_SAMPLES} untimed samples, then ${size.samples} timed ones, one at a time`);
      for (let index = 0; index < WARM_UP_SAMPLES; index++) await sample(-1 - index);
      invocationMillis.length = 0;
      const samples: Sample[] = [];
      for (let index = 0; index < size.samples; index++) {
        await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * MAX_GAP_MILLIS)));
        samples.push(await sample(index));
      }
      return report(samples, invocationMillis);
    } finally {
      await poller.stop();
      await gateway.close();
    }
  },
};

function report(samples: readonly Sample[], invocationMillis: readonly number[]): SectionResult {
  const visible = summarize(samples.map((sample) => sample.visibleMillis));
  const ingest = summarize(samples.map((sample) => sample.ingestMillis));
  const polls = samples.reduce((total, sample) => total + sample.polls, 0);
  const pollMillis = samples.reduce((total, sample) => total + sample.visibleMillis, 0) / polls;
  const invocations = summarize(invocationMillis);
  const settings = DEFAULT_PIPELINE_SETTINGS;
  const ms = (value: number) => formatNumber(value, 0);
  return {
    headlines: [
      { metric: 'POST /ingest 200 -> visible in POST /usage, p99', value: `${ms(visible.p99)} ms`, goal: `< ${formatCount(P99_GOAL_MILLIS)} ms`, met: visible.p99 < P99_GOAL_MILLIS },
      { metric: 'POST /ingest 200 -> visible in POST /usage, p50', value: `${ms(visible.p50)} ms` },
    ],
    tables: [
      {
        title: `${samples.length} requests of ${EVENTS_PER_REQUEST} events through the local runtime (gateway, fauxqs, poller, consumer, DynamoDB Local)`,
        columns: ['milliseconds', 'p50', 'p95', 'p99', 'max', 'mean'],
        rows: [
          ['200 of POST /ingest -> all events counted in POST /usage', ms(visible.p50), ms(visible.p95), ms(visible.p99), ms(visible.max), ms(visible.mean)],
          ['POST /ingest itself (send -> 200)', ms(ingest.p50), ms(ingest.p95), ms(ingest.p99), ms(ingest.max), ms(ingest.mean)],
          ['one consumer invocation (inside the poller)', ms(invocations.p50), ms(invocations.p95), ms(invocations.p99), ms(invocations.max), ms(invocations.mean)],
        ],
      },
    ],
    notes: [
      `Method: the pieces \`npm start\` runs, started in-process: fauxqs with the event queue and its DLQ (local/queue.ts), the poller (local/poller.ts) feeding the real consumer handler with npm start's settings (batches of up to ${settings.consumerBatchSize} messages, a ${settings.consumerBatchingWindowSeconds} s batching window, a 2 s long poll when idle, ${LOCAL_QUEUE_REGION}), and the local gateway (local/gateway.ts) with the real authorizer, ingest and usage handlers, all on the run's DynamoDB Local. A fresh account, API key and meter; each sample POSTs ${EVENTS_PER_REQUEST} events of a customer of its own over HTTP, and from the moment the 200 arrives polls POST /usage (COUNT for that customer over the surrounding hours, every ${POLL_PAUSE_MILLIS} ms plus the query's own time, ${formatNumber(pollMillis, 0)} ms per poll on average) until all ${EVENTS_PER_REQUEST} are counted; the time until that answer arrives is the sample. Samples run one at a time, ${formatNumber(MAX_GAP_MILLIS, 0)} ms apart at most (at random), after ${WARM_UP_SAMPLES} untimed ones; with ${samples.length} samples, p99 is the maximum.`,
      `Reading: the batching window is the floor. The idle poller's 2 s long poll returns as soon as the message lands (max - p50 is ${ms(visible.max - visible.p50)} ms: no sample waited on it), then the poller keeps gathering more messages for ${settings.consumerBatchingWindowSeconds} s before it invokes the consumer, whose invocation took ${ms(invocations.p50)} ms at p50; the rest is the last poll. A busy pipeline fills batches of ${settings.consumerBatchSize} messages sooner and waits less; a backlog would add its own queueing time. Lambda's event source mapping waits the same way, up to the stack's MaximumBatchingWindowInSeconds of ${settings.consumerBatchingWindowSeconds} unless the batch fills first, so this is roughly the freshness on AWS too; a shorter window would trade it for smaller batches (more write units and invocations per event).`,
    ],
  };
}
