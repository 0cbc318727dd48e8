/**
 * Latency summaries. Percentiles are nearest-rank: the value below which at least p% of the
 * samples fall, always one of the samples, so with fewer than 100 samples p99 is the maximum.
 */
export function percentile(samples: readonly number[], fraction: number): number {
  if (samples.length === 0) throw new Error('no samples');
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`percentile fraction must be in (0, 1], got ${fraction}`);
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.ceil(fraction * sorted.length) - 1]!;
}

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly mean: number;
  readonly max: number;
}

export function summarize(samples: readonly number[]): LatencySummary {
  return {
    count: samples.length,
    p50: percentile(samples, 0.5),
    p95: percentile(samples, 0.95),
    p99: percentile(samples, 0.99),
    mean: samples.reduce((total, value) => total + value, 0) / samples.length,
    max: Math.max(...samples),
  };
}

/** Least-squares line through (x, y) points: what a duration costs per unit of x and at x = 0. */
export function fitLine(points: readonly (readonly [number, number])[]): { intercept: number; slope: number } {
  if (points.length < 2) throw new Error('a line needs at least two points');
  const n = points.length;
  const meanX = points.reduce((total, [x]) => total + x, 0) / n;
  const meanY = points.reduce((total, [, y]) => total + y, 0) / n;
  const spreadX = points.reduce((total, [x]) => total + (x - meanX) ** 2, 0);
  if (spreadX === 0) throw new Error('a line needs at least two distinct x values');
  const slope = points.reduce((total, [x, y]) => total + (x - meanX) * (y - meanY), 0) / spreadX;
  return { intercept: meanY - slope * meanX, slope };
}
