import { describe, expect, it } from 'vitest';
import { runInTurns } from '../../bench/consumers.js';
import { runSections, throttled, type BenchContext, type BenchSection } from '../../bench/harness.js';
import type { WorkloadMessage } from '../../bench/workload.js';

function context(mode: BenchContext['mode'] = 'quick'): BenchContext & { lines: string[] } {
  const lines: string[] = [];
  return {
    mode,
    client: undefined as never,
    ddb: undefined as never,
    createTables: async () => {
      throw new Error('not used');
    },
    progress: (line) => lines.push(line),
    measurements: {},
    handlers: async () => {
      throw new Error('not used');
    },
    lines,
  };
}

const result = (value: string) => ({ headlines: [{ metric: 'm', value }], tables: [], notes: [] });

describe('runSections', () => {
  it('runs each section with the size of the mode and keeps going after a failure', async () => {
    const seen: number[] = [];
    const sized: BenchSection<number> = {
      name: 'sized',
      title: 'Sized',
      sizes: { quick: 1, full: 100 },
      run: async (_context, size) => {
        seen.push(size);
        return result(String(size));
      },
    };
    const failing: BenchSection<null> = {
      name: 'failing',
      title: 'Failing',
      sizes: { quick: null, full: null },
      run: async () => {
        throw new Error('boom');
      },
    };
    const outcomes = await runSections([failing, sized], context('full'));
    expect(seen).toEqual([100]);
    expect(outcomes.map(({ section, error, result: output }) => [section.name, error, output?.headlines[0]?.value])).toEqual([
      ['failing', 'boom', undefined],
      ['sized', undefined, '100'],
    ]);
  });

  it('lets a later section read what an earlier one measured', async () => {
    const producer: BenchSection<null> = {
      name: 'producer',
      title: 'Producer',
      sizes: { quick: null, full: null },
      run: async (ctx) => {
        ctx.measurements.writeUnits = { writeUnitsPerEvent: 3, readUnitsPerEvent: 0.5, eventItemBytes: 500, pagesPerEvent: 0.1, pageBytesPerEvent: 20 };
        return result('done');
      },
    };
    const consumer: BenchSection<null> = {
      name: 'consumer',
      title: 'Consumer',
      sizes: { quick: null, full: null },
      run: async (ctx) => result(String(ctx.measurements.writeUnits?.writeUnitsPerEvent)),
    };
    const outcomes = await runSections([producer, consumer], context());
    expect(outcomes[1]!.result!.headlines[0]!.value).toBe('3');
  });
});

describe('throttled', () => {
  it('reports the first message and drops those that follow within the interval', () => {
    const lines: string[] = [];
    const report = throttled((line) => lines.push(line), 60_000);
    report(() => 'first');
    report(() => 'second');
    expect(lines).toEqual(['first']);
  });
});

describe('runInTurns', () => {
  it('hands every batch to each consumer in turn, in order', async () => {
    const calls: string[] = [];
    const consumer = (name: string) => ({
      consume: async (batch: readonly WorkloadMessage[]) => {
        calls.push(`${name}:${batch[0]!.messageId}`);
      },
      result: () => ({ deliveredEvents: 0, elapsedMillis: 0, requests: {} }),
    });
    const message = (messageId: string): WorkloadMessage => ({ messageId, body: { v: 1, accountId: 'a', receivedAtMillis: 0, events: [] } });
    await runInTurns([[message('m1')], [message('m2')]], [consumer('tally'), consumer('naive')]);
    expect(calls).toEqual(['tally:m1', 'naive:m1', 'tally:m2', 'naive:m2']);
  });
});
