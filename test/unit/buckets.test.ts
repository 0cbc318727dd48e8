import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketGrid, bucketIndexOf, MAX_BUCKETS, type BucketGrid, type TimeGroupingInterval } from '../../functions/domain/buckets.js';
import { ValidationError } from '../../functions/domain/errors.js';
import { HOUR_MILLIS } from '../../functions/domain/rollups.js';
import { detailsOfError } from './support.js';

const at = (iso: string) => Date.parse(iso);
const isoOf = (millis: number) => new Date(millis).toISOString().replace('.000Z', 'Z');

function grid(start: string, end: string, interval: TimeGroupingInterval, timeZone?: string): BucketGrid {
  return bucketGrid({ startMillis: at(start), endMillis: at(end), interval, timeZone });
}

const boundariesOf = (buckets: BucketGrid) => buckets.boundaries.map(isoOf);
const hoursOf = (buckets: BucketGrid) =>
  buckets.boundaries.slice(1).map((end, index) => (end - buckets.boundaries[index]!) / HOUR_MILLIS);

const dateFormatters = new Map<string, Intl.DateTimeFormat>();

/** Local calendar date of an instant, read through Intl independently of the code under test. */
function localDate(timeZone: string, millis: number): string {
  let formatter = dateFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dateFormatters.set(timeZone, formatter);
  }
  return formatter.format(millis);
}

describe('bucketGrid in UTC', () => {
  it('floors a mid-hour start and ceils a mid-hour end for HOUR buckets', () => {
    const buckets = grid('2024-06-11T10:20:00Z', '2024-06-11T12:05:00Z', 'HOUR');
    expect(boundariesOf(buckets)).toEqual(['2024-06-11T10:00:00Z', '2024-06-11T11:00:00Z', '2024-06-11T12:00:00Z', '2024-06-11T13:00:00Z']);
    expect(buckets.bucketCount).toBe(3);
    expect(buckets.fixedWidthMillis).toBe(HOUR_MILLIS);
  });

  it('extends a range starting mid-day to whole days and keeps an end on a boundary', () => {
    const buckets = grid('2024-06-11T15:00:00Z', '2024-06-13T00:00:00Z', 'DAY');
    expect(boundariesOf(buckets)).toEqual(['2024-06-11T00:00:00Z', '2024-06-12T00:00:00Z', '2024-06-13T00:00:00Z']);
    expect(buckets.startMillis).toBe(at('2024-06-11T00:00:00Z'));
    expect(buckets.endMillis).toBe(at('2024-06-13T00:00:00Z'));
  });

  it('answers a range inside one bucket with that single bucket', () => {
    expect(boundariesOf(grid('2024-06-11T10:00:00Z', '2024-06-11T10:00:01Z', 'DAY'))).toEqual([
      '2024-06-11T00:00:00Z',
      '2024-06-12T00:00:00Z',
    ]);
    expect(grid('2024-06-03T00:00:00Z', '2024-06-09T23:59:59Z', 'WEEK').bucketCount).toBe(1);
    expect(grid('2024-02-01T00:00:00Z', '2024-03-01T00:00:00Z', 'MONTH').bucketCount).toBe(1);
  });

  it('starts weeks on Monday', () => {
    // 2024-01-03 is a Wednesday, 2024-01-07 a Sunday, 2024-01-08 a Monday.
    expect(boundariesOf(grid('2024-01-03T10:00:00Z', '2024-01-08T00:00:00Z', 'WEEK'))).toEqual([
      '2024-01-01T00:00:00Z',
      '2024-01-08T00:00:00Z',
    ]);
    expect(boundariesOf(grid('2024-01-07T23:00:00Z', '2024-01-08T00:00:01Z', 'WEEK'))).toEqual([
      '2024-01-01T00:00:00Z',
      '2024-01-08T00:00:00Z',
      '2024-01-15T00:00:00Z',
    ]);
    expect(boundariesOf(grid('2024-01-08T00:00:00Z', '2024-01-09T00:00:00Z', 'WEEK'))[0]).toBe('2024-01-08T00:00:00Z');
    for (const boundary of grid('1970-01-01T00:00:00Z', '1970-03-01T00:00:00Z', 'WEEK').boundaries) {
      expect(new Date(boundary).getUTCDay()).toBe(1);
    }
  });

  it('follows calendar month lengths, leap years included', () => {
    const buckets = grid('2023-01-31T12:00:00Z', '2024-04-01T00:00:00Z', 'MONTH');
    expect(hoursOf(buckets).map((hours) => hours / 24)).toEqual([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 31, 29, 31]);
    expect(boundariesOf(buckets)[1]).toBe('2023-02-01T00:00:00Z');
  });

  it('gives the leap day 2028-02-29 its own day and a 29-day February', () => {
    const days = grid('2028-02-28T00:00:00Z', '2028-03-02T00:00:00Z', 'DAY');
    expect(boundariesOf(days)).toEqual(['2028-02-28T00:00:00Z', '2028-02-29T00:00:00Z', '2028-03-01T00:00:00Z', '2028-03-02T00:00:00Z']);
    expect(bucketIndexOf(days, at('2028-02-29T23:00:00Z'))).toBe(1);
    const months = grid('2028-02-29T12:00:00Z', '2028-03-01T00:00:00Z', 'MONTH');
    expect(boundariesOf(months)).toEqual(['2028-02-01T00:00:00Z', '2028-03-01T00:00:00Z']);
  });

  it('treats the UTC zone like no zone', () => {
    expect(grid('2024-06-11T15:00:00Z', '2024-07-02T00:00:00Z', 'WEEK', 'UTC').boundaries).toEqual(
      grid('2024-06-11T15:00:00Z', '2024-07-02T00:00:00Z', 'WEEK').boundaries,
    );
  });
});

describe('bucketGrid in a time zone', () => {
  it('makes the spring-forward day 23 hours and the fall-back day 25 hours in Europe/Berlin', () => {
    const buckets = grid('2024-03-30T12:00:00Z', '2024-04-01T00:00:00Z', 'DAY', 'Europe/Berlin');
    expect(boundariesOf(buckets)).toEqual(['2024-03-29T23:00:00Z', '2024-03-30T23:00:00Z', '2024-03-31T22:00:00Z', '2024-04-01T22:00:00Z']);
    expect(hoursOf(buckets)).toEqual([24, 23, 24]);
    expect(hoursOf(grid('2024-10-26T12:00:00Z', '2024-10-28T12:00:00Z', 'DAY', 'Europe/Berlin'))).toEqual([24, 25, 24]);
    expect(grid('2024-03-30T12:00:00Z', '2024-04-01T00:00:00Z', 'DAY', 'Europe/Berlin').fixedWidthMillis).toBeUndefined();
  });

  it('makes DST days 23 and 25 hours in America/New_York', () => {
    expect(hoursOf(grid('2024-03-09T12:00:00Z', '2024-03-11T12:00:00Z', 'DAY', 'America/New_York'))).toEqual([24, 23, 24]);
    const fallBack = grid('2024-11-02T12:00:00Z', '2024-11-04T12:00:00Z', 'DAY', 'America/New_York');
    expect(boundariesOf(fallBack)).toEqual(['2024-11-02T04:00:00Z', '2024-11-03T04:00:00Z', '2024-11-04T05:00:00Z', '2024-11-05T05:00:00Z']);
  });

  it('starts local weeks on Monday and local months on the first, across DST', () => {
    expect(boundariesOf(grid('2024-03-27T00:00:00Z', '2024-04-02T00:00:00Z', 'WEEK', 'Europe/Berlin'))).toEqual([
      '2024-03-24T23:00:00Z',
      '2024-03-31T22:00:00Z',
      '2024-04-07T22:00:00Z',
    ]);
    expect(boundariesOf(grid('2024-01-15T00:00:00Z', '2024-05-01T00:00:00Z', 'MONTH', 'Europe/Berlin'))).toEqual([
      '2023-12-31T23:00:00Z',
      '2024-01-31T23:00:00Z',
      '2024-02-29T23:00:00Z',
      '2024-03-31T22:00:00Z',
      '2024-04-30T22:00:00Z',
      '2024-05-31T22:00:00Z',
    ]);
  });

  it('keeps equal-length local buckets arithmetic when the offset does not change', () => {
    const tokyo = grid('2024-03-01T00:00:00Z', '2024-04-01T00:00:00Z', 'DAY', 'Asia/Tokyo');
    expect(tokyo.fixedWidthMillis).toBe(24 * HOUR_MILLIS);
    expect(boundariesOf(tokyo)[0]).toBe('2024-02-29T15:00:00Z');
    expect(bucketIndexOf(tokyo, at('2024-03-01T14:00:00Z'))).toBe(0);
    expect(bucketIndexOf(tokyo, at('2024-03-01T15:00:00Z'))).toBe(1);
  });

  it('leaves out a local day the zone skipped (Pacific/Apia, 2011-12-30)', () => {
    const buckets = grid('2011-12-28T12:00:00Z', '2011-12-31T12:00:00Z', 'DAY', 'Pacific/Apia');
    const dates = buckets.boundaries.slice(0, -1).map((boundary) => localDate('Pacific/Apia', boundary));
    expect(dates).toEqual(['2011-12-28', '2011-12-29', '2011-12-31', '2012-01-01']);
    expect(hoursOf(buckets)).toEqual([24, 24, 24, 24]);
  });

  it('accepts whole-hour offsets that change at 00:01 local time (America/Goose_Bay, 2010)', () => {
    const buckets = grid('2010-03-13T12:00:00Z', '2010-03-15T12:00:00Z', 'DAY', 'America/Goose_Bay');
    expect(boundariesOf(buckets)).toEqual(['2010-03-13T04:00:00Z', '2010-03-14T04:00:00Z', '2010-03-15T03:00:00Z', '2010-03-16T03:00:00Z']);
  });

  it('rejects a zone whose forward jump skipped a local midnight inside a UTC hour (America/Toronto, 1919)', () => {
    const details = detailsOfError(() => grid('1919-03-30T12:00:00Z', '1919-04-01T12:00:00Z', 'DAY', 'America/Toronto'), ValidationError);
    expect(details).toContain('timeZone: America/Toronto starts a local day at 1919-03-31T04:30:00.000Z, inside a UTC hour');
    expect(details).toContain('rolled up per UTC hour');
  });

  it('ignores the zone for HOUR buckets, which are always UTC hours', () => {
    const buckets = grid('2024-01-01T10:30:00Z', '2024-01-01T12:00:00Z', 'HOUR', 'Asia/Kolkata');
    expect(boundariesOf(buckets)).toEqual(['2024-01-01T10:00:00Z', '2024-01-01T11:00:00Z', '2024-01-01T12:00:00Z']);
    expect(buckets.timeZone).toBeUndefined();
  });

  it.each([
    ['Asia/Kolkata', 'UTC+05:30'],
    ['Australia/Adelaide', 'UTC+10:30'],
    ['America/St_Johns', 'UTC-03:30'],
  ])('rejects %s, whose offset is not a whole hour, explaining that rollups are hourly', (timeZone, offset) => {
    for (const interval of ['DAY', 'WEEK', 'MONTH'] as const) {
      const details = detailsOfError(() => grid('2024-01-10T00:00:00Z', '2024-01-20T00:00:00Z', interval, timeZone), ValidationError);
      expect(details).toContain(`timeZone: ${timeZone} is ${offset}`);
      expect(details).toContain('rolled up per UTC hour');
      expect(details).toContain(`${interval} buckets`);
    }
  });

  it('accepts Australia/Lord_Howe while it is on +11:00 and rejects a range reaching its +10:30 winter', () => {
    expect(grid('2024-01-10T00:00:00Z', '2024-01-20T00:00:00Z', 'DAY', 'Australia/Lord_Howe').bucketCount).toBe(11);
    expect(detailsOfError(() => grid('2024-03-20T00:00:00Z', '2024-04-20T00:00:00Z', 'DAY', 'Australia/Lord_Howe'), ValidationError)).toContain(
      'is UTC+10:30 at 2024-04-06T15:00:00.000Z',
    );
  });

  it('rejects a zone still on local mean time in the range (Europe/Berlin in 1890)', () => {
    expect(detailsOfError(() => grid('1890-01-01T00:00:00Z', '1890-01-05T00:00:00Z', 'DAY', 'Europe/Berlin'), ValidationError)).toContain(
      'UTC+00:53:28',
    );
  });

  it('rejects an unknown zone by name, for HOUR buckets too', () => {
    expect(detailsOfError(() => grid('2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z', 'HOUR', 'Mars/Olympus'), ValidationError)).toContain(
      '"Mars/Olympus" is not an IANA time zone name',
    );
  });

  it('puts every boundary on a local midnight of the right weekday or month day (property)', () => {
    const zones = ['Europe/Berlin', 'America/New_York', 'Australia/Sydney', 'America/Santiago'];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.constantFrom('DAY' as const, 'WEEK' as const, 'MONTH' as const),
        fc.integer({ min: at('2020-01-01T00:00:00Z') / 1000, max: at('2030-01-01T00:00:00Z') / 1000 }),
        fc.integer({ min: 1, max: 120 * 86_400 }),
        (timeZone, interval, startSeconds, spanSeconds) => {
          const startMillis = startSeconds * 1000;
          const endMillis = startMillis + spanSeconds * 1000;
          const buckets = bucketGrid({ startMillis, endMillis, interval, timeZone });
          expect(buckets.startMillis).toBeLessThanOrEqual(startMillis);
          expect(buckets.boundaries[1]).toBeGreaterThan(startMillis);
          expect(buckets.endMillis).toBeGreaterThanOrEqual(endMillis);
          expect(buckets.boundaries[buckets.bucketCount - 1]).toBeLessThan(endMillis);
          let previousDate = '';
          for (const boundary of buckets.boundaries) {
            expect(boundary % HOUR_MILLIS).toBe(0);
            const date = localDate(timeZone, boundary);
            const justBefore = localDate(timeZone, boundary - 1000);
            expect(justBefore < date).toBe(true);
            if (interval === 'WEEK') expect(new Date(`${date}T00:00:00Z`).getUTCDay()).toBe(1);
            if (interval === 'MONTH') expect(date.endsWith('-01')).toBe(true);
            expect(date > previousDate).toBe(true);
            previousDate = date;
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('bucketGrid limits', () => {
  it('rejects an inverted or empty range', () => {
    expect(detailsOfError(() => grid('2024-01-02T00:00:00Z', '2024-01-01T00:00:00Z', 'DAY'), ValidationError)).toContain('after its start');
    expect(detailsOfError(() => grid('2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', 'HOUR'), ValidationError)).toContain('after its start');
  });

  it(`allows ${MAX_BUCKETS} buckets and rejects one more, naming the limit`, () => {
    const start = at('2024-01-01T00:00:00Z');
    expect(bucketGrid({ startMillis: start, endMillis: start + MAX_BUCKETS * HOUR_MILLIS, interval: 'HOUR' }).bucketCount).toBe(MAX_BUCKETS);
    const details = detailsOfError(
      () => bucketGrid({ startMillis: start, endMillis: start + MAX_BUCKETS * HOUR_MILLIS + 1, interval: 'HOUR' }),
      ValidationError,
    );
    expect(details).toContain(`${MAX_BUCKETS + 1} HOUR buckets; the limit is ${MAX_BUCKETS} per query`);
  });

  it('counts local buckets exactly at the limit', () => {
    // 2,400 Berlin days from 2020-01-01 end on 2026-07-28; the range ends inside the last one.
    expect(grid('2020-01-01T00:00:00Z', '2026-07-27T12:00:00Z', 'DAY', 'Europe/Berlin').bucketCount).toBe(MAX_BUCKETS);
    expect(detailsOfError(() => grid('2020-01-01T00:00:00Z', '2026-07-28T12:00:00Z', 'DAY', 'Europe/Berlin'), ValidationError)).toContain(
      `more than ${MAX_BUCKETS} DAY buckets`,
    );
  });

  it('rejects a range far beyond the limit before reading the zone over it', () => {
    expect(detailsOfError(() => grid('1970-01-01T00:00:00Z', '9999-01-01T00:00:00Z', 'MONTH', 'Europe/Berlin'), ValidationError)).toMatch(
      /at least \d+ MONTH buckets; the limit is 2400/,
    );
  });
});

describe('bucketIndexOf', () => {
  it('maps each hour to its bucket and outside hours to -1', () => {
    const buckets = grid('2024-03-30T00:00:00Z', '2024-04-01T00:00:00Z', 'DAY', 'Europe/Berlin');
    expect(bucketIndexOf(buckets, at('2024-03-29T22:00:00Z'))).toBe(-1);
    expect(bucketIndexOf(buckets, at('2024-03-29T23:00:00Z'))).toBe(0);
    expect(bucketIndexOf(buckets, at('2024-03-30T22:00:00Z'))).toBe(0);
    expect(bucketIndexOf(buckets, at('2024-03-30T23:00:00Z'))).toBe(1);
    expect(bucketIndexOf(buckets, at('2024-03-31T21:00:00Z'))).toBe(1);
    expect(bucketIndexOf(buckets, at('2024-03-31T22:00:00Z'))).toBe(2);
    expect(bucketIndexOf(buckets, buckets.endMillis)).toBe(-1);
  });

  it('agrees with a linear search over the boundaries (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<TimeGroupingInterval>('HOUR', 'DAY', 'WEEK', 'MONTH'),
        fc.constantFrom(undefined, 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo'),
        fc.integer({ min: 0, max: 20 * 365 * 24 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.array(fc.integer({ min: -3000, max: 6000 }), { maxLength: 50 }),
        (interval, timeZone, startHour, spanHours, probes) => {
          const startMillis = at('2015-01-01T00:00:00Z') + startHour * HOUR_MILLIS;
          const buckets = bucketGrid({ startMillis, endMillis: startMillis + spanHours * HOUR_MILLIS, interval, timeZone });
          for (const probe of probes) {
            const time = startMillis + probe * HOUR_MILLIS;
            const expected = buckets.boundaries.findIndex((boundary, index) => index < buckets.bucketCount && boundary <= time && time < buckets.boundaries[index + 1]!);
            expect(bucketIndexOf(buckets, time)).toBe(expected);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
