import { ValidationError } from './errors.js';
import { HOUR_MILLIS } from './rollups.js';
import { checkTimeZone, formatOffset, offsetTimeline, type OffsetSegment } from './time-zones.js';

export const TIME_GROUPING_INTERVALS = ['HOUR', 'DAY', 'WEEK', 'MONTH'] as const;
export type TimeGroupingInterval = (typeof TIME_GROUPING_INTERVALS)[number];

/**
 * Buckets per query. 2,400 covers 100 days of HOUR buckets (any quarter, with room for partial
 * buckets at both ends), 6.5 years of DAY buckets and 200 years of MONTH buckets, while keeping a
 * response of one group under 300 kB. Responses also multiply buckets by groups, which has its own
 * caps in usage-aggregation.ts.
 */
export const MAX_BUCKETS = 2_400;

const DAY_MILLIS = 86_400_000;
const WEEK_MILLIS = 7 * DAY_MILLIS;

/** Longest bucket of each interval, for bounding work before the exact boundaries are known. */
const LONGEST_BUCKET_MILLIS: Record<TimeGroupingInterval, number> = {
  HOUR: HOUR_MILLIS,
  DAY: DAY_MILLIS,
  WEEK: WEEK_MILLIS,
  MONTH: 31 * DAY_MILLIS,
};

/**
 * Offsets differ from UTC by at most 14 hours and a zone's changes jump by at most a day, so the
 * local bucket around an instant starts and ends within this much of its UTC counterpart.
 */
const ZONE_SLACK_MILLIS = 2 * DAY_MILLIS;

/**
 * Consecutive time buckets covering a query's range. Bucket i is [boundaries[i], boundaries[i+1])
 * in epoch milliseconds; every boundary is the start of a UTC hour, so each hourly rollup lies in
 * exactly one bucket.
 */
export interface BucketGrid {
  readonly interval: TimeGroupingInterval;
  /** The IANA zone the boundaries follow; undefined when none was asked, and for HOUR buckets. */
  readonly timeZone: string | undefined;
  /** Bucket starts followed by the exclusive end of the last bucket, strictly increasing. */
  readonly boundaries: readonly number[];
  readonly bucketCount: number;
  /** Start of the first bucket (the query start floored). */
  readonly startMillis: number;
  /** Exclusive end of the last bucket (the query end ceiled). */
  readonly endMillis: number;
  /** Set when all buckets are equally long, so that a bucket is found by one division. */
  readonly fixedWidthMillis: number | undefined;
}

export interface BucketRange {
  readonly startMillis: number;
  /** Exclusive; must be after startMillis. */
  readonly endMillis: number;
  readonly interval: TimeGroupingInterval;
  readonly timeZone?: string | undefined;
}

/**
 * The buckets of a range: start floored and end ceiled to whole buckets of the interval, aligned
 * in UTC or in `timeZone` (DAY, WEEK starting Monday, calendar MONTH). HOUR buckets are UTC hours
 * whatever the zone. A zone must be a whole number of hours off UTC throughout the buckets, since
 * usage is rolled up per UTC hour; a local day is then 23, 24 or 25 whole UTC hours.
 */
export function bucketGrid(range: BucketRange): BucketGrid {
  const { startMillis, endMillis, interval } = range;
  if (!(endMillis > startMillis)) {
    throw new ValidationError('Invalid time range', 'the end of the range must be after its start');
  }
  const timeZone = range.timeZone;
  if (timeZone !== undefined) checkTimeZone(timeZone);
  if (interval === 'HOUR') return hourGrid(startMillis, endMillis);
  rejectIfSurelyTooMany(interval, endMillis - startMillis);
  const margin = LONGEST_BUCKET_MILLIS[interval] + ZONE_SLACK_MILLIS;
  const timeline =
    timeZone === undefined
      ? [{ fromMillis: -Infinity, offsetMillis: 0 }]
      : offsetTimeline(timeZone, startMillis - margin, endMillis + margin);
  const boundaries = localBoundaries(interval, timeline, startMillis, endMillis);
  const gridStart = boundaries[0]!;
  const gridEnd = boundaries[boundaries.length - 1]!;
  const segmentsInGrid = segmentsOverlapping(timeline, gridStart, gridEnd);
  if (timeZone !== undefined) rejectUnalignedBuckets(timeZone, interval, segmentsInGrid, boundaries);
  return {
    interval,
    timeZone,
    boundaries,
    bucketCount: boundaries.length - 1,
    startMillis: gridStart,
    endMillis: gridEnd,
    fixedWidthMillis:
      interval === 'MONTH' || segmentsInGrid.length > 1 ? undefined : interval === 'DAY' ? DAY_MILLIS : WEEK_MILLIS,
  };
}

/** Index of the bucket holding `timeMillis`, or -1 outside the grid. Called once per rollup row. */
export function bucketIndexOf(grid: BucketGrid, timeMillis: number): number {
  if (!(timeMillis >= grid.startMillis && timeMillis < grid.endMillis)) return -1;
  if (grid.fixedWidthMillis !== undefined) return Math.floor((timeMillis - grid.startMillis) / grid.fixedWidthMillis);
  const boundaries = grid.boundaries;
  // The last boundary at or before timeMillis: boundaries[low] <= timeMillis < boundaries[high].
  let low = 0;
  let high = boundaries.length - 1;
  while (high - low > 1) {
    const middle = (low + high) >>> 1;
    if (boundaries[middle]! <= timeMillis) low = middle;
    else high = middle;
  }
  return low;
}

function hourGrid(startMillis: number, endMillis: number): BucketGrid {
  const gridStart = Math.floor(startMillis / HOUR_MILLIS) * HOUR_MILLIS;
  const gridEnd = Math.ceil(endMillis / HOUR_MILLIS) * HOUR_MILLIS;
  const bucketCount = (gridEnd - gridStart) / HOUR_MILLIS;
  if (bucketCount > MAX_BUCKETS) throw tooManyBuckets('HOUR', bucketCount);
  return {
    interval: 'HOUR',
    timeZone: undefined,
    boundaries: Array.from({ length: bucketCount + 1 }, (_, index) => gridStart + index * HOUR_MILLIS),
    bucketCount,
    startMillis: gridStart,
    endMillis: gridEnd,
    fixedWidthMillis: HOUR_MILLIS,
  };
}

/** Refuses absurd ranges before reading a zone's offsets over all of them. */
function rejectIfSurelyTooMany(interval: TimeGroupingInterval, spanMillis: number): void {
  const fewestBuckets = Math.floor(spanMillis / LONGEST_BUCKET_MILLIS[interval]);
  if (fewestBuckets > MAX_BUCKETS) throw tooManyBuckets(interval, fewestBuckets, 'at least ');
}

function tooManyBuckets(interval: TimeGroupingInterval, count: number, qualifier = ''): ValidationError {
  return new ValidationError(
    'Too many time buckets',
    `the range holds ${qualifier}${count} ${interval} buckets; the limit is ${MAX_BUCKETS} per query: ` +
      'use a coarser timeGroupingInterval or a shorter range',
  );
}

/**
 * Boundaries of the local buckets covering [startMillis, endMillis): each is the first instant
 * whose local wall time reaches the bucket's first local midnight. A local day that a zone skipped
 * (Pacific/Apia, 2011-12-30) would be an empty bucket and is left out.
 */
function localBoundaries(
  interval: Exclude<TimeGroupingInterval, 'HOUR'>,
  timeline: readonly OffsetSegment[],
  startMillis: number,
  endMillis: number,
): number[] {
  const locator = new InstantLocator(timeline);
  let localStart = floorLocal(interval, startMillis + locator.offsetAt(startMillis));
  const boundaries = [locator.firstInstantReaching(localStart)];
  while (boundaries[boundaries.length - 1]! < endMillis) {
    localStart = nextLocal(interval, localStart);
    const boundary = locator.firstInstantReaching(localStart);
    if (boundary === boundaries[boundaries.length - 1]) continue;
    boundaries.push(boundary);
    if (boundaries.length - 1 > MAX_BUCKETS) throw tooManyBuckets(interval, MAX_BUCKETS, 'more than ');
  }
  return boundaries;
}

/** Walks a timeline forwards; queries must not go back before the previous answer's segment. */
class InstantLocator {
  private segmentIndex = 0;

  constructor(private readonly timeline: readonly OffsetSegment[]) {}

  offsetAt(instantMillis: number): number {
    let index = 0;
    while (index + 1 < this.timeline.length && this.timeline[index + 1]!.fromMillis <= instantMillis) index += 1;
    return this.timeline[index]!.offsetMillis;
  }

  /** The earliest instant whose local wall time (instant + offset) is at or after `localMillis`. */
  firstInstantReaching(localMillis: number): number {
    for (let index = this.segmentIndex; ; index += 1) {
      const segment = this.timeline[index]!;
      const next = this.timeline[index + 1];
      const candidate = Math.max(segment.fromMillis, localMillis - segment.offsetMillis);
      if (next === undefined || candidate < next.fromMillis) {
        this.segmentIndex = index;
        return candidate;
      }
    }
  }
}

/** Start of the local bucket holding a wall time, both as UTC-based milliseconds of the wall clock. */
function floorLocal(interval: Exclude<TimeGroupingInterval, 'HOUR'>, localMillis: number): number {
  const dayStart = Math.floor(localMillis / DAY_MILLIS) * DAY_MILLIS;
  switch (interval) {
    case 'DAY':
      return dayStart;
    case 'WEEK':
      // 1970-01-01 was a Thursday: days since the epoch + 3, modulo 7, counts days since Monday.
      return dayStart - mod(dayStart / DAY_MILLIS + 3, 7) * DAY_MILLIS;
    case 'MONTH': {
      const date = new Date(localMillis);
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
    }
  }
}

function nextLocal(interval: Exclude<TimeGroupingInterval, 'HOUR'>, localStart: number): number {
  switch (interval) {
    case 'DAY':
      return localStart + DAY_MILLIS;
    case 'WEEK':
      return localStart + WEEK_MILLIS;
    case 'MONTH': {
      const date = new Date(localStart);
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
    }
  }
}

function mod(value: number, divisor: number): number {
  return ((value % divisor) + divisor) % divisor;
}

function segmentsOverlapping(timeline: readonly OffsetSegment[], fromMillis: number, toMillis: number): OffsetSegment[] {
  return timeline.filter((segment, index) => {
    const next = timeline[index + 1];
    return segment.fromMillis < toMillis && (next === undefined || next.fromMillis > fromMillis);
  });
}

/**
 * Rollups are per UTC hour, so a local bucket must be made of whole UTC hours. A boundary is a
 * local midnight minus the offset in force, or the instant a forward jump skipped a local midnight:
 * whole-hour offsets make the first an hour start but not always the second (America/Toronto
 * jumped from 23:30 to 00:30 at 04:30 UTC on 1919-03-31). A zone that changes between whole-hour
 * offsets at other moments (America/Goose_Bay, at 00:01 local until 2011) is fine.
 */
function rejectUnalignedBuckets(
  timeZone: string,
  interval: TimeGroupingInterval,
  segments: readonly OffsetSegment[],
  boundaries: readonly number[],
): void {
  const fractional = segments.find((segment) => segment.offsetMillis % HOUR_MILLIS !== 0);
  const unaligned = boundaries.find((boundary) => boundary % HOUR_MILLIS !== 0);
  if (fractional === undefined && unaligned === undefined) return;
  const problem =
    fractional === undefined
      ? `starts a local ${interval.toLowerCase()} at ${new Date(unaligned!).toISOString()}, inside a UTC hour`
      : `is UTC${formatOffset(fractional.offsetMillis)} at ${new Date(Math.max(fractional.fromMillis, boundaries[0]!)).toISOString()}`;
  throw new ValidationError(
    'Time zone not supported for this interval',
    `timeZone: ${timeZone} ${problem}. Usage is rolled up per UTC hour, so ${interval} buckets must start on ` +
      'UTC hours: use HOUR buckets, UTC, or a zone whose offset is a whole number of hours throughout the range',
  );
}
