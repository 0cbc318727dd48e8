import { describe, expect, it } from 'vitest';
import { renderMarkdownTable, renderResultsMarkdown, renderSummary, renderTextTable } from '../../bench/report.js';
import { expectedRollupTotals, rollupDifferences } from '../../bench/rollup-totals.js';
import { queuedEvent } from '../support/events.js';

describe('rollupDifferences', () => {
  const expected = expectedRollupTotals('acct', [queuedEvent({ meterValue: 2 }), queuedEvent({ meterValue: 5 })], []);

  it('finds nothing when the totals agree on the compared fields', () => {
    const actual = new Map([...expected].map(([key, totals]) => [key, { sum: totals.sum, count: totals.count }]));
    expect(rollupDifferences(expected, actual, ['sum', 'count'])).toEqual([]);
    expect([...expected.values()]).toContainEqual({ sum: 7, count: 2, min: 2, max: 5 });
  });

  it('reports items that differ, are missing or should not exist', () => {
    const [key, totals] = [...expected][0]!;
    const one = new Map([[key, totals]]);
    expect(rollupDifferences(one, new Map([[key, { ...totals, sum: 8 }]]), ['sum'])).toHaveLength(1);
    expect(rollupDifferences(one, new Map(), ['sum'])).toEqual([`missing ${key}`]);
    expect(rollupDifferences(new Map(), one, ['sum'])).toEqual([`unexpected ${key}`]);
  });
});

describe('report rendering', () => {
  const outcomes = [
    {
      section: { name: 'consumer', title: '1. Consumer' },
      elapsedMillis: 1500,
      result: {
        headlines: [{ metric: 'ratio', value: '12.0x', goal: '>= 10x', met: true }, { metric: 'rate', value: '100' }],
        tables: [{ title: 'runs', columns: ['a', 'b'], rows: [['x|y', '2']] }],
        notes: ['A note.'],
      },
    },
    { section: { name: 'broken', title: '2. Broken' }, elapsedMillis: 10, error: 'it fell over' },
  ];

  it('aligns text columns', () => {
    expect(renderTextTable(['a', 'long'], [['wide cell', 'x']]).split('\n')).toEqual(['a          long', '---------  ----', 'wide cell  x']);
  });

  it('escapes pipes in markdown cells', () => {
    expect(renderMarkdownTable({ columns: ['a'], rows: [['x|y']] })).toContain('x\\|y');
  });

  it('summarises headlines with their verdict and failed sections with their error', () => {
    const summary = renderSummary(outcomes);
    expect(summary).toMatch(/consumer\s+ratio\s+12\.0x\s+>= 10x\s+met/);
    expect(summary).toMatch(/broken\s+section failed\s+it fell over/);
  });

  it('writes machine facts, the command, the tables and the notes', () => {
    const markdown = renderResultsMarkdown(
      { command: 'npm run bench', mode: 'full', startedAt: new Date(Date.UTC(2026, 10, 22)), elapsedMillis: 60_000, machine: [['CPU', '2 x test']] },
      outcomes,
    );
    expect(markdown).toContain('`npm run bench`');
    expect(markdown).toContain('| CPU | 2 x test |');
    expect(markdown).toContain('**runs**');
    expect(markdown).toContain('A note.');
    expect(markdown).toContain('The section failed: it fell over');
  });
});
