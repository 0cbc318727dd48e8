import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../functions/domain/errors.js';
import { parseRawEventRequest, RAW_EVENT_LIMITS } from '../../functions/domain/raw-event-request.js';
import { detailsOfError } from './support.js';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0, 500);

describe('parseRawEventRequest', () => {
  it('defaults to the last day until now, newest first, 100 per page', () => {
    expect(parseRawEventRequest({ meterApiName: 'api-calls' }, NOW)).toEqual({
      meterApiName: 'api-calls',
      fromMillis: (Math.ceil(NOW / 1000) - 86_400) * 1000,
      toMillis: Math.ceil(NOW / 1000) * 1000,
      ascending: false,
      limit: RAW_EVENT_LIMITS.defaultPageSize,
      requestedRange: {},
    });
  });

  it('takes every parameter, limit or pageSize, and isAscending in any case', () => {
    const parsed = parseRawEventRequest(
      { meterApiName: 'm', customerId: 'c', uniqueId: 'u', startTimeInSeconds: '100', endTimeInSeconds: '200', isAscending: 'TRUE', pageSize: '7', nextPageToken: 't' },
      NOW,
    );
    expect(parsed).toEqual({
      meterApiName: 'm',
      customerId: 'c',
      uniqueId: 'u',
      nextPageToken: 't',
      fromMillis: 100_000,
      toMillis: 200_000,
      ascending: true,
      limit: 7,
      requestedRange: { startTimeInSeconds: 100, endTimeInSeconds: 200 },
    });
    expect(parseRawEventRequest({ meterApiName: 'm', limit: '7', pageSize: '7' }, NOW).limit).toBe(7);
  });

  it.each([
    [{}, 'meterApiName: is required'],
    [{ meterApiName: 'm', startTimeInSeconds: '1.5' }, 'startTimeInSeconds: expected whole epoch seconds'],
    [{ meterApiName: 'm', startTimeInSeconds: '200', endTimeInSeconds: '100' }, 'must be before endTimeInSeconds'],
    [{ meterApiName: 'm', startTimeInSeconds: '0', endTimeInSeconds: String(101 * 86_400) }, 'at most 100 days'],
    [{ meterApiName: 'm', limit: '1001' }, 'limit: expected a whole number from 1 to 1000'],
    [{ meterApiName: 'm', limit: '0' }, 'limit'],
    [{ meterApiName: 'm', limit: '5', pageSize: '6' }, 'not two different values'],
    [{ meterApiName: 'm', isAscending: 'yes' }, 'isAscending: expected true or false'],
    [{ meterApiName: 'm', colour: 'red' }, 'colour: unknown field'],
    [{ meterApiName: 'bad name' }, 'meterApiName'],
  ])('refuses %j naming the problem', (parameters, expected) => {
    expect(detailsOfError(() => parseRawEventRequest(parameters, NOW), ValidationError)).toContain(expected);
  });
});
