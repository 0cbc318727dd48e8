import { writeFileSync } from 'node:fs';
import { cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DYNAMODB_LOCAL_VERSION, startDynamoDBLocal } from '../local/dynamodb-local.js';
import { localDynamoDBClient, localPaths } from '../local/local-env.js';
import { projectRoot } from '../local/paths.js';
import { ensureTables, localTableNames } from '../local/tables.js';
import { startHandlerRuntime, type HandlerRuntime } from './handler-runtime.js';
import { runSections, type BenchContext, type RunMode } from './harness.js';
import { formatNumber, renderResultsMarkdown, renderSummary } from './report.js';
import { SECTIONS } from './sections/index.js';

/**
 * `npm run bench [-- --quick]`: starts an in-memory DynamoDB Local, runs every section, prints a
 * summary and writes the results with the machine's facts. The full run writes bench/RESULTS.md;
 * the quick smoke run writes bench/RESULTS-quick.md and a run of some sections
 * bench/RESULTS-partial.md, so neither replaces the committed results.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const mode: RunMode = process.argv.includes('--quick') ? 'quick' : 'full';
// `--only=usage,write-units` runs some sections, for work on one of them; it never writes the run's results file.
const only = process.argv.find((argument) => argument.startsWith('--only='))?.slice('--only='.length).split(',');
const unknown = only?.filter((name) => !SECTIONS.some((section) => section.name === name)) ?? [];
if (unknown.length > 0) {
  console.error(`unknown section ${unknown.join(', ')}; sections: ${SECTIONS.map((section) => section.name).join(', ')}`);
  process.exit(2);
}
const sections = only ? SECTIONS.filter((section) => only.includes(section.name)) : SECTIONS;
const flags = [...(mode === 'quick' ? ['--quick'] : []), ...(only ? [`--only=${only.join(',')}`] : [])];
const command = `npm run bench${flags.length > 0 ? ` -- ${flags.join(' ')}` : ''}`;
const outputFile = join(projectRoot, 'bench', only ? 'RESULTS-partial.md' : mode === 'quick' ? 'RESULTS-quick.md' : 'RESULTS.md');

const startedAt = new Date();
const runStart = performance.now();
const progress = (message: string) => {
  const seconds = formatNumber((performance.now() - runStart) / 1000, 1).padStart(6);
  console.log(`[${seconds}s] ${message}`);
};

progress(`${command}: starting DynamoDB Local ${DYNAMODB_LOCAL_VERSION} in memory`);
const database = await startDynamoDBLocal({ cacheDir: localPaths().cache, progress });
const client = localDynamoDBClient(database.endpoint);
let handlerRuntime: Promise<HandlerRuntime> | undefined;
try {
  const tablePrefixes = new Set<string>();
  const context: BenchContext = {
    mode,
    client,
    ddb: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
    async createTables(label) {
      if (tablePrefixes.has(label)) throw new Error(`table prefix ${label} is already used in this run`);
      tablePrefixes.add(label);
      const names = localTableNames(`bench-${label}`);
      await ensureTables(client, names);
      return names;
    },
    progress,
    measurements: {},
    handlers() {
      handlerRuntime ??= context.createTables('handlers').then((names) => startHandlerRuntime(database.endpoint, names));
      return handlerRuntime;
    },
  };
  const outcomes = await runSections(sections, context);
  const elapsedMillis = performance.now() - runStart;
  const cpuList = cpus();
  const markdown = renderResultsMarkdown(
    {
      command,
      mode,
      startedAt,
      elapsedMillis,
      machine: [
        ['CPU', `${cpuList.length} x ${cpuList[0]?.model ?? 'unknown'}`],
        ['memory', `${formatNumber(totalmem() / 2 ** 30, 1)} GiB`],
        ['OS', `${platform()} ${release()}`],
        ['Node.js', process.version],
        ['DynamoDB Local', `${DYNAMODB_LOCAL_VERSION} (in memory, -sharedDb)`],
      ],
    },
    outcomes,
  );
  writeFileSync(outputFile, markdown);
  console.log(`\n${renderSummary(outcomes)}\n`);
  progress(`done in ${formatNumber(elapsedMillis / 1000, 0)} s; results written to ${outputFile}`);
} finally {
  await handlerRuntime?.then(
    (runtime) => runtime.queue.stop(),
    () => undefined,
  );
  client.destroy();
  await database.stop();
}
