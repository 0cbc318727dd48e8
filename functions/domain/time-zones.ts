import { ValidationError } from './errors.js';

/**
 * UTC offsets of IANA time zones, read from the runtime's own time zone database through
 * Intl.DateTimeFormat: no dependency to keep current, and the same data the runtime uses anywhere.
 * Offsets are east-positive: local wall time = instant + offset.
 */

/** One stretch of constant offset; it lasts until the next segment of its timeline starts. */
export interface OffsetSegment {
  readonly fromMillis: number;
  readonly offsetMillis: number;
}

/**
 * How far apart the timeline samples the zone. From 1900 to 2050, no zone in the tz database
 * changes its offset within 6 days of a previous change (the closest pairs, America/Recife in 2000
 * and Asia/Gaza in 2040, are 6 days 23 hours apart), so a sample cannot step over a change and its
 * reversal, and a 200-year range costs about 12,000 samples.
 */
const SAMPLE_STEP_MILLIS = 6 * 86_400_000;

/** The tz database records changes to the second. */
const TRANSITION_PRECISION_MILLIS = 1_000;

const OFFSET_PATTERN = /GMT(?:([+-])(\d{2}):(\d{2})(?::(\d{2}))?)?$/;

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

export function isKnownTimeZone(timeZone: string): boolean {
  try {
    offsetFormatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

export function unknownTimeZoneProblem(timeZone: string): string {
  return `"${timeZone}" is not an IANA time zone name (e.g. UTC, Europe/Berlin, America/New_York)`;
}

/** Throws a ValidationError when `timeZone` is not a zone name Intl knows (any case). */
export function checkTimeZone(timeZone: string): void {
  if (!isKnownTimeZone(timeZone)) {
    throw new ValidationError('Unknown time zone', `timeZone: ${unknownTimeZoneProblem(timeZone)}`);
  }
}

/** Cached per zone, keyed in lower case so that spellings of one zone cannot grow the cache. */
function offsetFormatter(timeZone: string): Intl.DateTimeFormat {
  const key = timeZone.toLowerCase();
  let formatter = offsetFormatters.get(key);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    offsetFormatters.set(key, formatter);
  }
  return formatter;
}

function offsetAt(timeZone: string, instantMillis: number): number {
  const match = OFFSET_PATTERN.exec(offsetFormatter(timeZone).format(instantMillis));
  if (!match) throw new Error(`unexpected offset format for ${timeZone}`);
  if (match[1] === undefined) return 0;
  const magnitude = (Number(match[2]) * 3600 + Number(match[3]) * 60 + Number(match[4] ?? 0)) * 1000;
  return match[1] === '-' ? -magnitude : magnitude;
}

/**
 * The zone's offsets over [fromMillis, toMillis] widened to whole seconds, as segments in time
 * order (the first starts at the widened start). Samples once a day and bisects each change down
 * to the second.
 */
export function offsetTimeline(timeZone: string, fromMillis: number, toMillis: number): OffsetSegment[] {
  const start = Math.floor(fromMillis / TRANSITION_PRECISION_MILLIS) * TRANSITION_PRECISION_MILLIS;
  const end = Math.ceil(toMillis / TRANSITION_PRECISION_MILLIS) * TRANSITION_PRECISION_MILLIS;
  const segments: OffsetSegment[] = [{ fromMillis: start, offsetMillis: offsetAt(timeZone, start) }];
  let cursor = start;
  let cursorOffset = segments[0]!.offsetMillis;
  while (cursor < end) {
    const sample = Math.min(cursor + SAMPLE_STEP_MILLIS, end);
    const sampleOffset = offsetAt(timeZone, sample);
    if (sampleOffset === cursorOffset) {
      cursor = sample;
      continue;
    }
    // Invariant: the offset at `before` is cursorOffset, the offset at `after` is not; both are
    // whole seconds, so while they are more than a second apart a whole second lies between.
    let before = cursor;
    let after = sample;
    while (after - before > TRANSITION_PRECISION_MILLIS) {
      const middle = before + Math.floor((after - before) / (2 * TRANSITION_PRECISION_MILLIS)) * TRANSITION_PRECISION_MILLIS;
      if (offsetAt(timeZone, middle) === cursorOffset) before = middle;
      else after = middle;
    }
    cursorOffset = offsetAt(timeZone, after);
    segments.push({ fromMillis: after, offsetMillis: cursorOffset });
    cursor = after;
  }
  return segments;
}

/** `+05:30`, `-03:30`, `+00:53:28`: how people read an offset. */
export function formatOffset(offsetMillis: number): string {
  const sign = offsetMillis < 0 ? '-' : '+';
  const totalSeconds = Math.abs(offsetMillis) / 1000;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${sign}${pad(hours)}:${pad(minutes)}${seconds === 0 ? '' : `:${pad(seconds)}`}`;
}
