import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../functions/domain/errors.js';
import { checkTimeZone, formatOffset, isKnownTimeZone, offsetTimeline } from '../../functions/domain/time-zones.js';
import { detailsOfError } from './support.js';

const at = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;

describe('offsetTimeline', () => {
  it("finds both of Europe/Berlin's 2024 DST changes to the second", () => {
    expect(offsetTimeline('Europe/Berlin', at('2024-01-01T00:00:00Z'), at('2025-01-01T00:00:00Z'))).toEqual([
      { fromMillis: at('2024-01-01T00:00:00Z'), offsetMillis: HOUR },
      { fromMillis: at('2024-03-31T01:00:00Z'), offsetMillis: 2 * HOUR },
      { fromMillis: at('2024-10-27T01:00:00Z'), offsetMillis: HOUR },
    ]);
  });

  it('finds changes between fractional offsets (Asia/Kathmandu, +05:30 to +05:45 in 1986)', () => {
    expect(offsetTimeline('asia/kathmandu', at('1985-12-01T00:00:00Z'), at('1986-02-01T00:00:00Z'))).toEqual([
      { fromMillis: at('1985-12-01T00:00:00Z'), offsetMillis: 5.5 * HOUR },
      { fromMillis: at('1985-12-31T18:30:00Z'), offsetMillis: 5.75 * HOUR },
    ]);
  });

  it('finds changes a week apart (America/Recife, October 2000)', () => {
    const changes = offsetTimeline('America/Recife', at('2000-10-01T00:00:00Z'), at('2000-10-31T00:00:00Z')).slice(1);
    expect(changes.map((segment) => new Date(segment.fromMillis).toISOString())).toEqual(['2000-10-08T03:00:00.000Z', '2000-10-15T02:00:00.000Z']);
  });

  it('gives one segment for a zone without changes, widened to whole seconds', () => {
    expect(offsetTimeline('UTC', at('2024-01-01T00:00:00.250Z'), at('2024-03-01T00:00:00Z'))).toEqual([
      { fromMillis: at('2024-01-01T00:00:00Z'), offsetMillis: 0 },
    ]);
  });
});

describe('formatOffset', () => {
  it.each([
    [0, '+00:00'],
    [5.5 * HOUR, '+05:30'],
    [-3.5 * HOUR, '-03:30'],
    [14 * HOUR, '+14:00'],
    [(53 * 60 + 28) * 1000, '+00:53:28'],
    [-(44 * 60 + 30) * 1000, '-00:44:30'],
  ])('writes %i ms as %s', (offset, text) => {
    expect(formatOffset(offset)).toBe(text);
  });
});

describe('time zone names', () => {
  it('accepts IANA names in any case and refuses others', () => {
    expect(isKnownTimeZone('Europe/Berlin')).toBe(true);
    expect(isKnownTimeZone('europe/BERLIN')).toBe(true);
    expect(isKnownTimeZone('UTC')).toBe(true);
    expect(isKnownTimeZone('Europe/Atlantis')).toBe(false);
    expect(isKnownTimeZone('')).toBe(false);
  });

  it('throws a ValidationError naming an unknown zone', () => {
    expect(detailsOfError(() => checkTimeZone('Europe/Atlantis'), ValidationError)).toBe(
      'timeZone: "Europe/Atlantis" is not an IANA time zone name (e.g. UTC, Europe/Berlin, America/New_York)',
    );
    expect(() => checkTimeZone('America/New_York')).not.toThrow();
  });
});
