import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TableNames } from '../local/tables.js';
import type { HandlerRuntime } from './handler-runtime.js';

/**
 * The contract between `npm run bench` and its sections. A section is a module in bench/sections
 * with a name, a size for the quick smoke run and one for the full run, and a `run` that returns
 * tables of results; the harness owns DynamoDB Local, progress, the summary and RESULTS.md.
 */
export type RunMode = 'quick' | 'full';

export interface ResultTable {
  readonly title?: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** One line of the summary: a number, and the goal it is read against when there is one. */
export interface Headline {
  readonly metric: string;
  readonly value: string;
  readonly goal?: string;
  readonly met?: boolean;
}

export interface SectionResult {
  readonly headlines: readonly Headline[];
  readonly tables: readonly ResultTable[];
  /** Method, caveats and reading of the numbers, one paragraph each. */
  readonly notes: readonly string[];
}

/** Numbers a section measured that later sections build on (the cost model uses them). */
export interface Measurements {
  consumer?: {
    /** Wall time per delivered event of Tally's consumer against DynamoDB Local. */
    readonly millisPerEvent: number;
    readonly eventsPerBatch: number;
    /** JSON bytes of one queued event inside a message body. */
    readonly queuedEventBytes: number;
  };
  ingest?: {
    /** Wall time of one POST /ingest handler invocation, without the SQS send: fixed part and part per event, on one core. */
    readonly fixedMillis: number;
    readonly millisPerEvent: number;
  };
  writeUnits?: {
    readonly writeUnitsPerEvent: number;
    readonly readUnitsPerEvent: number;
    readonly eventItemBytes: number;
    /** Event page items per event, and their bytes per event (both before DynamoDB's per-item overhead). */
    readonly pagesPerEvent: number;
    readonly pageBytesPerEvent: number;
  };
}

export interface BenchContext {
  readonly mode: RunMode;
  readonly client: DynamoDBClient;
  readonly ddb: DynamoDBDocumentClient;
  /** Creates a fresh set of Tally's tables under a prefix no other section or variant uses. */
  createTables(label: string): Promise<TableNames>;
  progress(message: string): void;
  readonly measurements: Measurements;
  /**
   * Points Tally's handler modules at a set of tables and a local event queue, started on first use
   * and stopped by the run; every section that imports a handler must call it first.
   */
  handlers(): Promise<HandlerRuntime>;
}

export interface BenchSection<Size> {
  readonly name: string;
  readonly title: string;
  readonly sizes: Readonly<Record<RunMode, Size>>;
  run(context: BenchContext, size: Size): Promise<SectionResult>;
}

/** Lets sections of different size types live in one registry. */
export type AnySection = BenchSection<any>;

export interface SectionOutcome {
  readonly section: Pick<AnySection, 'name' | 'title'>;
  readonly elapsedMillis: number;
  readonly result?: SectionResult;
  /** Set when the section threw: the run goes on and reports it. */
  readonly error?: string;
}

/** Runs the sections in order; a failing section is reported, never allowed to stop the rest. */
export async function runSections(sections: readonly AnySection[], context: BenchContext): Promise<SectionOutcome[]> {
  const outcomes: SectionOutcome[] = [];
  for (const section of sections) {
    const start = performance.now();
    context.progress(`== ${section.title}`);
    try {
      const result = await section.run(context, section.sizes[context.mode] as never);
      outcomes.push({ section, result, elapsedMillis: performance.now() - start });
    } catch (error) {
      context.progress(`section ${section.name} failed: ${(error as Error).stack ?? error}`);
      outcomes.push({ section, error: (error as Error).message ?? String(error), elapsedMillis: performance.now() - start });
    }
  }
  return outcomes;
}

/** Progress lines at most every `intervalMillis`, so a long phase shows it is alive without flooding. */
export function throttled(report: (message: string) => void, intervalMillis = 2_000): (message: () => string) => void {
  let last = -Infinity;
  return (message) => {
    const now = performance.now();
    if (now - last < intervalMillis) return;
    last = now;
    report(message());
  };
}
