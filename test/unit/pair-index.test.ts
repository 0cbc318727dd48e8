import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PairIndex } from '../../functions/domain/pair-index.js';

describe('PairIndex', () => {
  it('numbers pairs in order of first sight and finds them again', () => {
    const pairs = new PairIndex();
    expect(pairs.indexOf(3, 7)).toBe(0);
    expect(pairs.indexOf(7, 3)).toBe(1);
    expect(pairs.indexOf(3, 7)).toBe(0);
    expect(pairs.size).toBe(2);
    expect([pairs.first(1), pairs.second(1)]).toEqual([7, 3]);
  });

  it('tells whether add saw a new pair', () => {
    const pairs = new PairIndex();
    expect(pairs.add(0, 0)).toBe(true);
    expect(pairs.add(0, 0)).toBe(false);
    expect(pairs.add(0, 1)).toBe(true);
  });

  it('keeps every pair while growing far past its initial capacity', () => {
    const pairs = new PairIndex();
    for (let first = 0; first < 300; first += 1) {
      for (let second = 0; second < 20; second += 1) expect(pairs.indexOf(first, second)).toBe(first * 20 + second);
    }
    expect(pairs.size).toBe(6000);
    expect(pairs.indexOf(123, 19)).toBe(123 * 20 + 19);
    expect([pairs.first(5999), pairs.second(5999)]).toEqual([299, 19]);
  });

  it('agrees with a Map keyed by the pair (property)', () => {
    const index = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(index, index), { maxLength: 3000 }), (sequence) => {
        const pairs = new PairIndex();
        const expected = new Map<string, number>();
        for (const [first, second] of sequence) {
          const key = `${first},${second}`;
          if (!expected.has(key)) expected.set(key, expected.size);
          expect(pairs.indexOf(first, second)).toBe(expected.get(key));
        }
        expect(pairs.size).toBe(expected.size);
      }),
      { numRuns: 60 },
    );
  });
});
