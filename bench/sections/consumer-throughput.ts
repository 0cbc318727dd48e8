import type { TableNames } from '../../local/tables.js';
import { eventPutsOnly, naiveConsumer, runInTurns, tallyConsumer, type ConsumerRun } from '../consumers.js';
import { throttled, type BenchContext, type BenchSection } from '../harness.js';
import { formatCount, formatNumber, formatRatio } from '../report.js';
import { expectedRollupTotals, rollupDifferences, scanRollupTotals } from '../rollup-totals.js';
import { DECLARED_DIMENSIONS, DEFAULT_WORKLOAD, describeWorkload, generateWorkload, type Workload } from '../workload.js';

interface ConsumerSize {
  readonly uniqueEvents: number;
  /** Events both consumers process first, untimed, so neither pays DynamoDB Local's JIT warm-up. */
  readonly warmUpEvents: number;
  /** Transactions the naive consumer keeps in flight. */
  readonly naiveConcurrency: number;
}

const THROUGHPUT_GOAL = 10;
const ALL_COMMANDS = ['TransactWrite', 'BatchGet', 'Update'];

const dataTables = (names: TableNames) => ({ events: names.Events, rollups: names.Rollups });
const eventsPerSecond = (run: Pick<ConsumerRun, 'deliveredEvents'>, millis: number) => (run.deliveredEvents / millis) * 1000;

function progressReporter(context: BenchContext, label: string) {
  const report = throttled(context.progress);
  return (stored: number, elapsedMillis: number) =>
    report(() => `  ${label}: ${formatCount(stored)} events stored, ${formatNumber((stored / elapsedMillis) * 1000, 0)} events/s so far`);
}

function reportRun(context: BenchContext, label: string, run: ConsumerRun): void {
  context.progress(`  ${label}: ${formatCount(run.deliveredEvents)} events delivered in ${formatNumber(run.elapsedMillis / 1000, 1)} s, ${formatNumber(eventsPerSecond(run, run.elapsedMillis), 0)} events/s`);
}

async function warmUp(context: BenchContext, uniqueEvents: number, naiveConcurrency: number): Promise<void> {
  context.progress(`  warming DynamoDB Local up with ${formatCount(uniqueEvents)} other events through both consumers (not timed)`);
  const workload = generateWorkload({ ...DEFAULT_WORKLOAD, seed: DEFAULT_WORKLOAD.seed + 1, uniqueEvents, idSource: 'client' });
  await runInTurns(workload.batches, [
    tallyConsumer(workload.spec, context.ddb, dataTables(await context.createTables('consumer-warmup-tally')), progressReporter(context, 'warm-up, tally')),
    naiveConsumer(
      workload.spec,
      context.ddb,
      dataTables(await context.createTables('consumer-warmup-naive')),
      naiveConcurrency,
      progressReporter(context, 'warm-up, naive'),
    ),
  ]);
}

function verdict(wholeRatio: number): string {
  return wholeRatio >= THROUGHPUT_GOAL
    ? `The whole consumer meets the ${THROUGHPUT_GOAL}x goal.`
    : `The whole consumer stays below the ${THROUGHPUT_GOAL}x goal here.`;
}

async function verifyTotals(context: BenchContext, workload: Workload, tally: TableNames, naive: TableNames): Promise<void> {
  context.progress('  checking that both consumers left the same rollups, equal to the unique events');
  const expected = expectedRollupTotals(workload.spec.accountId, workload.uniqueEvents, DECLARED_DIMENSIONS);
  const problems = [
    ...rollupDifferences(expected, await scanRollupTotals(context.ddb, tally.Rollups), ['sum', 'count', 'min', 'max']).map((p) => `Tally: ${p}`),
    ...rollupDifferences(expected, await scanRollupTotals(context.ddb, naive.Rollups), ['sum', 'count']).map((p) => `naive: ${p}`),
  ];
  if (problems.length > 0) {
    throw new Error(`rollups differ from the unique events (${problems.length}): ${problems.slice(0, 3).join('; ')}`);
  }
}

export const consumerThroughput: BenchSection<ConsumerSize> = {
  name: 'consumer',
  title: '1. Consumer throughput: exactly-once consumer vs one transaction per event',
  sizes: {
    quick: { uniqueEvents: 500, warmUpEvents: 150, naiveConcurrency: 8 },
    full: { uniqueEvents: 20_000, warmUpEvents: 2_000, naiveConcurrency: 8 },
  },
  async run(context, size) {
    await warmUp(context, size.warmUpEvents, size.naiveConcurrency);
    const workload = generateWorkload({ ...DEFAULT_WORKLOAD, uniqueEvents: size.uniqueEvents, idSource: 'client' });
    const tallyTables = await context.createTables('consumer-tally');
    const naiveTables = await context.createTables('consumer-naive');
    const ceilingTables = await context.createTables('consumer-ceiling');

    context.progress(
      `  ${workload.batches.length} batches, each through Tally's consumer (consumeBatch + EventWriter) and then the naive one ` +
        `(one TransactWriteItems per event, ${size.naiveConcurrency} in flight), each timed on its own clock`,
    );
    const tallyUnderTest = tallyConsumer(workload.spec, context.ddb, dataTables(tallyTables), progressReporter(context, 'tally'));
    const naiveUnderTest = naiveConsumer(workload.spec, context.ddb, dataTables(naiveTables), size.naiveConcurrency, progressReporter(context, 'naive'));
    const ceilingUnderTest = eventPutsOnly(workload.spec, context.ddb, dataTables(ceilingTables));
    await runInTurns(workload.batches, [tallyUnderTest, naiveUnderTest, ceilingUnderTest]);
    const tally = tallyUnderTest.result();
    const naive = naiveUnderTest.result();
    const ceiling = ceilingUnderTest.result();
    const ceilingRate = eventsPerSecond(ceiling, ceiling.elapsedMillis);
    reportRun(context, 'tally', tally);
    reportRun(context, 'naive', naive);
    await verifyTotals(context, workload, tallyTables, naiveTables);

    const tallyRate = eventsPerSecond(tally, tally.elapsedMillis);
    const naiveRate = eventsPerSecond(naive, naive.elapsedMillis);
    const writePhaseRate = eventsPerSecond(tally, tally.writeMillis);
    const ratio = tallyRate / naiveRate;
    const bodyBytes = workload.batches.flat().reduce((total, message) => total + JSON.stringify(message.body).length, 0);
    context.measurements.consumer = {
      millisPerEvent: tally.elapsedMillis / tally.deliveredEvents,
      eventsPerBatch: tally.deliveredEvents / workload.batches.length,
      queuedEventBytes: bodyBytes / workload.deliveredEvents,
    };

    const row = (label: string, run: ConsumerRun, millis: number, requestsByCommand: Readonly<Record<string, number>>) => {
      const requests = Object.entries(requestsByCommand).sort(([a], [b]) => ALL_COMMANDS.indexOf(a) - ALL_COMMANDS.indexOf(b));
      const count = requests.reduce((total, [, value]) => total + value, 0);
      return [
        label,
        formatNumber(millis / 1000, 1),
        formatNumber(eventsPerSecond(run, millis), 0),
        formatRatio(eventsPerSecond(run, millis) / naiveRate),
        requests.map(([name, value]) => `${name} ${formatCount(value)}`).join(', '),
        formatNumber(count / run.deliveredEvents, 2),
      ];
    };
    return {
      headlines: [
        { metric: 'Tally consumer vs naive, events/s ratio', value: formatRatio(ratio), goal: `>= ${THROUGHPUT_GOAL}x`, met: ratio >= THROUGHPUT_GOAL },
        { metric: 'Tally consumer, events/s (DynamoDB Local)', value: formatNumber(tallyRate, 0) },
        { metric: 'naive consumer, events/s (DynamoDB Local)', value: formatNumber(naiveRate, 0) },
        { metric: 'Tally transaction phase alone vs naive', value: formatRatio(writePhaseRate / naiveRate) },
        { metric: 'ceiling: event Puts and pages alone vs naive', value: formatRatio(ceilingRate / naiveRate) },
        { metric: 'rollups equal to the unique events, both consumers', value: 'yes' },
      ],
      tables: [
        {
          title: `Same ${formatCount(workload.deliveredEvents)} delivered events (${formatCount(workload.uniqueEvents.length)} unique) through each consumer`,
          columns: ['consumer', 'seconds', 'events/s', 'vs naive', 'DynamoDB requests', 'requests/event'],
          rows: [
            row('naive: one TransactWriteItems per event', naive, naive.elapsedMillis, naive.requests),
            row('Tally: whole consumer (consumeBatch)', tally, tally.elapsedMillis, tally.requests),
            row('Tally: stored-event and rollup reads, exactly-once transactions (EventWriter.write)', tally, tally.writeMillis, tally.writeRequests),
            row('ceiling: the same event Puts and pages, no rollups, no reads', ceiling, ceiling.elapsedMillis, ceiling.requests),
          ],
        },
      ],
      notes: [
        describeWorkload(workload),
        `Tally's consumer is the real one: consumeBatch with EventWriter (4 transactions in flight per batch) against DynamoDB Local, fed one event-source batch at a time as one consumer invocation takes them; the two consumers take turns batch by batch and each is timed only while it works, so background load on the machine falls on both alike. Tally's mean batch took ${formatNumber(tally.elapsedMillis / workload.batches.length / 1000, 2)} s for ${formatCount(Math.round(tally.deliveredEvents / workload.batches.length))} events. The naive consumer sends, per event, one TransactWriteItems with the event Put (attribute_not_exists) and the ADDs to its customer-hour slot and customer-day item (the same items and counters Tally writes) and does no MIN/MAX, so it does strictly less work. After both runs every rollup item was read back: sums and counts per customer, period and combination of both consumers (and Tally's MIN/MAX) equal those computed from the unique events.`,
        `DynamoDB Local serializes transactions whatever the concurrency (here the naive consumer's 3-item transactions ran at ${formatNumber(naiveRate, 0)}/s), and a single-item UpdateItem costs it about as much as a small transaction. That is the regime where batching matters: the comparison counts requests more than bytes. On AWS both consumers would run many invocations in parallel and DynamoDB would not serialize them, so the absolute events/s here say nothing about AWS; the ratio and the requests per event do.`,
        `Reading: the transaction phase packs about ${formatNumber(tally.deliveredEvents / (tally.requests.TransactWrite ?? 1), 0)} events per TransactWriteItems and is ${formatRatio(writePhaseRate / naiveRate)} the naive consumer; MIN and MAX ride in the same transactions (guarded by the extremes read just before), so the consumer sends no UpdateItem of its own. ${verdict(ratio)} The ceiling row sends nothing but the event Puts and pages Tally sends, packed the same way, with no rollups and no reads (it is not exactly-once; it skips events it wrote before): ${formatRatio(ceilingRate / naiveRate)} the naive consumer. No consumer that writes one item per counted event inside a transaction, which exactly-once needs, can beat that here, because DynamoDB Local's cost is per item written in a transaction (${formatNumber(ceilingRate, 0)} events a second at best when each costs one Put, against ${formatNumber(naiveRate * 3, 0)} items a second in the naive consumer's 3-item transactions). Tally reaches ${formatNumber((tallyRate / ceilingRate) * 100, 0)}% of that ceiling while also keeping the rollups and reading what it needs.`,
      ],
    };
  },
};
