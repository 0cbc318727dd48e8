import type { MeterDefinition } from './meters.js';

/** Rollups are hourly; every coarser bucket is made of whole hours. */
export const HOUR_MILLIS = 3_600_000;

/**
 * One rollup row as the usage queries see it: the counted events of one meter, in one UTC hour,
 * for one customer and one combination of the meter's declared dimension values.
 */
export interface RollupRow {
  readonly meterApiName: string;
  /** Start of the UTC hour, epoch milliseconds. */
  readonly hourStartMillis: number;
  readonly customerId: string;
  /** Declared dimensions only; a declared dimension the event lacked is absent here. */
  readonly dimensions: Readonly<Record<string, string>>;
  readonly sum: number;
  readonly count: number;
  readonly min: number;
  readonly max: number;
}

export function hourStartOf(timeMillis: number): number {
  return Math.floor(timeMillis / HOUR_MILLIS) * HOUR_MILLIS;
}

/** The declared dimensions of an event, the only ones a rollup keeps. */
export function declaredDimensions(
  meter: Pick<MeterDefinition, 'dimensions'>,
  dimensions: Readonly<Record<string, string>>,
): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of meter.dimensions) {
    if (Object.hasOwn(dimensions, name)) kept[name] = dimensions[name]!;
  }
  return kept;
}
