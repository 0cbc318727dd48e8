import { describe, expect, it } from 'vitest';
import { rawEventRow } from '../../bench/raw-usage.js';

describe('rawEventRow', () => {
  const meter = { dimensions: ['region', 'plan'] };
  const item = {
    meterApiName: 'api-calls',
    customerId: 'customer-1',
    meterValue: 4,
    meterTimeInMillis: Date.UTC(2026, 10, 20, 10, 42, 7),
    dimensions: { region: 'eu-west-1', feature: 'api' },
    status: 'counted',
  };

  it('makes a counted event a one-event row of its hour, with only the declared dimensions', () => {
    expect(rawEventRow(item, meter)).toEqual({
      meterApiName: 'api-calls',
      hourStartMillis: Date.UTC(2026, 10, 20, 10),
      customerId: 'customer-1',
      dimensions: { region: 'eu-west-1' },
      sum: 4,
      count: 1,
      min: 4,
      max: 4,
    });
  });

  it('leaves out events that were not counted', () => {
    expect(rawEventRow({ ...item, status: 'filtered' }, meter)).toBeUndefined();
    expect(rawEventRow({ ...item, status: 'unknown-meter' }, meter)).toBeUndefined();
  });
});
