import type { AnySection } from '../harness.js';
import { consumerThroughput } from './consumer-throughput.js';
import { costPerMillion } from './cost.js';
import { freshness } from './freshness.js';
import { ingestThroughput } from './ingest-throughput.js';
import { usageQueries } from './usage-queries.js';
import { writeUnitsPerEvent } from './write-units-per-event.js';

/**
 * The sections of `npm run bench`, in run order. Later sections may read what earlier ones put in
 * `context.measurements`. Ingest throughput, usage queries and freshness join here as their code lands.
 */
export const SECTIONS: readonly AnySection[] = [consumerThroughput, writeUnitsPerEvent, ingestThroughput, costPerMillion, usageQueries, freshness];
