import { describe, expect, it } from 'vitest';
import { fitLine, percentile, summarize } from '../../bench/stats.js';

describe('percentile', () => {
  it('is nearest-rank: always one of the samples, whatever their order', () => {
    const samples = [5, 1, 4, 2, 3];
    expect(percentile(samples, 0.5)).toBe(3);
    expect(percentile(samples, 0.2)).toBe(1);
    expect(percentile(samples, 0.21)).toBe(2);
    expect(percentile(samples, 1)).toBe(5);
  });

  it('makes p99 of fewer than 100 samples the maximum', () => {
    const samples = Array.from({ length: 50 }, (_, index) => index);
    expect(percentile(samples, 0.99)).toBe(49);
    expect(percentile(samples, 0.95)).toBe(47);
  });

  it('refuses no samples and fractions outside (0, 1]', () => {
    expect(() => percentile([], 0.5)).toThrow('no samples');
    expect(() => percentile([1], 0)).toThrow();
    expect(() => percentile([1], 1.5)).toThrow();
  });
});

describe('summarize', () => {
  it('gives count, percentiles, mean and maximum', () => {
    const summary = summarize([10, 20, 30, 40]);
    expect(summary).toEqual({ count: 4, p50: 20, p95: 40, p99: 40, mean: 25, max: 40 });
  });
});

describe('fitLine', () => {
  it('goes through two points exactly', () => {
    const line = fitLine([
      [100, 1.5],
      [1_000, 6],
    ]);
    expect(line.slope).toBeCloseTo(0.005, 12);
    expect(line.intercept).toBeCloseTo(1, 12);
  });

  it('fits more points by least squares and refuses a single x', () => {
    const line = fitLine([
      [0, 1],
      [1, 3],
      [2, 5],
      [3, 7.3],
    ]);
    expect(line.slope).toBeCloseTo(2.09, 2);
    expect(() => fitLine([[1, 2]])).toThrow();
    expect(() => fitLine([[1, 2], [1, 3]])).toThrow();
  });
});
