import type { Headline, ResultTable, SectionOutcome } from './harness.js';

export const formatCount = (value: number) => Math.round(value).toLocaleString('en-US');
export const formatNumber = (value: number, digits: number) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
export const formatRatio = (value: number) => `${formatNumber(value, value < 10 ? 2 : 1)}x`;
export const formatDollars = (value: number) => `$${value < 0.01 && value > 0 ? value.toFixed(4) : value.toFixed(2)}`;

const verdictOf = (headline: Headline) => (headline.met === undefined ? '' : headline.met ? 'met' : 'NOT met');

/** A plain-text table with aligned columns, for the terminal. */
export function renderTextTable(columns: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((column, index) => Math.max(column.length, ...rows.map((row) => (row[index] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((cell, index) => cell.padEnd(widths[index]!)).join('  ').trimEnd();
  return [line(columns), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

export function renderMarkdownTable(table: ResultTable): string {
  const escape = (cell: string) => cell.replaceAll('|', '\\|');
  return [
    ...(table.title ? [`**${table.title}**`, ''] : []),
    `| ${table.columns.map(escape).join(' | ')} |`,
    `|${table.columns.map(() => '---').join('|')}|`,
    ...table.rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ].join('\n');
}

const SUMMARY_COLUMNS = ['section', 'metric', 'value', 'goal', 'verdict'];

function summaryRows(outcomes: readonly SectionOutcome[]): string[][] {
  return outcomes.flatMap(({ section, result, error }) =>
    error !== undefined
      ? [[section.name, 'section failed', error.slice(0, 120), '', '']]
      : (result?.headlines ?? []).map((headline) => [section.name, headline.metric, headline.value, headline.goal ?? '', verdictOf(headline)]),
  );
}

export function renderSummary(outcomes: readonly SectionOutcome[]): string {
  return renderTextTable(SUMMARY_COLUMNS, summaryRows(outcomes));
}

export interface RunFacts {
  readonly command: string;
  readonly mode: string;
  readonly startedAt: Date;
  readonly elapsedMillis: number;
  readonly machine: readonly (readonly [string, string])[];
}

export function renderResultsMarkdown(facts: RunFacts, outcomes: readonly SectionOutcome[]): string {
  const sections = outcomes.map(({ section, result, error, elapsedMillis }) => {
    const heading = `## ${section.title}\n\n_${formatNumber(elapsedMillis / 1000, 1)} s_`;
    if (error !== undefined) return `${heading}\n\nThe section failed: ${error}`;
    return [heading, ...(result?.tables ?? []).map(renderMarkdownTable), ...(result?.notes ?? [])].join('\n\n');
  });
  return [
    '# Benchmark results',
    '',
    `Written by \`${facts.command}\` (${facts.mode} run) on ${facts.startedAt.toISOString()}, in ${formatNumber(facts.elapsedMillis / 1000, 0)} s. Every ratio compares two measurements of this same run. A benchmark reports; it never fails a build. \`npm run bench -- --quick\` runs every section at a smoke-test size in about a minute and writes bench/RESULTS-quick.md instead.`,
    '',
    renderMarkdownTable({ columns: ['machine', ''], rows: facts.machine }),
    '',
    '## Summary',
    '',
    renderMarkdownTable({ columns: SUMMARY_COLUMNS, rows: summaryRows(outcomes) }),
    '',
    sections.join('\n\n'),
    '',
  ].join('\n');
}
