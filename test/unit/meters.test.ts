import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../functions/domain/errors.js';
import {
  METER_LIMITS,
  parseMeterApiName,
  parseMeterDefinitionInput,
} from '../../functions/domain/meters.js';
import { detailsOfError } from './support.js';

const valid = { meterApiName: 'api-calls', displayName: 'API Calls', type: 'SUM_OF_ALL_USAGE' };

const detailsFor = (body: unknown) => detailsOfError(() => parseMeterDefinitionInput(body), ValidationError);

describe('parseMeterDefinitionInput', () => {
  it('accepts the seed example and fills label and dimensions', () => {
    expect(parseMeterDefinitionInput({ ...valid, dimensions: [] })).toEqual({
      meterApiName: 'api-calls',
      displayName: 'API Calls',
      label: 'api-calls',
      type: 'SUM_OF_ALL_USAGE',
      dimensions: [],
    });
  });

  it('keeps an explicit label and the declared dimensions in order', () => {
    const parsed = parseMeterDefinitionInput({ ...valid, label: 'Calls', dimensions: ['region', 'tier'] });
    expect(parsed.label).toBe('Calls');
    expect(parsed.dimensions).toEqual(['region', 'tier']);
  });

  it.each([
    ['sum_of_all_usage', 'SUM_OF_ALL_USAGE'],
    ['Max_In_Period', 'MAX_IN_PERIOD'],
    [' unique_customers_count ', 'UNIQUE_CUSTOMERS_COUNT'],
  ])('accepts type %j in any case and answers %s', (type, expected) => {
    expect(parseMeterDefinitionInput({ ...valid, type }).type).toBe(expected);
  });

  it('treats null dimensions and null label as absent', () => {
    expect(parseMeterDefinitionInput({ ...valid, dimensions: null, label: null })).toMatchObject({
      dimensions: [],
      label: 'api-calls',
    });
  });

  it('accepts meterTimeInMillis in a PUT body (it is ignored, creation time never changes)', () => {
    expect(parseMeterDefinitionInput({ ...valid, meterTimeInMillis: 1 })).not.toHaveProperty('meterTimeInMillis');
  });

  it('accepts names at the length limits', () => {
    const name = 'a'.repeat(METER_LIMITS.apiNameMaxLength);
    const dimensions = Array.from({ length: METER_LIMITS.maxDimensions }, (_, i) =>
      String(i).padStart(METER_LIMITS.dimensionNameMaxLength, 'd'),
    );
    const parsed = parseMeterDefinitionInput({
      ...valid,
      meterApiName: name,
      displayName: 'x'.repeat(METER_LIMITS.displayNameMaxLength),
      dimensions,
    });
    expect(parsed.meterApiName).toBe(name);
    expect(parsed.dimensions).toHaveLength(METER_LIMITS.maxDimensions);
  });

  it.each([
    [{ ...valid, meterApiName: undefined }, 'meterApiName: is required'],
    [{ ...valid, meterApiName: '' }, 'meterApiName: must not be empty'],
    [{ ...valid, meterApiName: 42 }, 'meterApiName: expected a string, got number'],
    [{ ...valid, meterApiName: '-leading-dash' }, 'meterApiName: "-leading-dash" is not valid'],
    [{ ...valid, meterApiName: 'has space' }, 'meterApiName: "has space" is not valid'],
    [{ ...valid, meterApiName: 'a/b' }, 'meterApiName: "a/b" is not valid'],
    [{ ...valid, meterApiName: 'a'.repeat(129) }, 'meterApiName: must be at most 128 characters, got 129'],
    [{ ...valid, displayName: undefined }, 'displayName: is required'],
    [{ ...valid, displayName: '   ' }, 'displayName: must not be empty'],
    [{ ...valid, displayName: 'x'.repeat(257) }, 'displayName: must be at most 256 characters'],
    [{ ...valid, label: 7 }, 'label: expected a string, got number'],
    [{ ...valid, type: undefined }, 'type: is required (one of SUM_OF_ALL_USAGE, MAX_IN_PERIOD, UNIQUE_CUSTOMERS_COUNT)'],
    [{ ...valid, type: 'AVERAGE' }, 'type: expected one of SUM_OF_ALL_USAGE, MAX_IN_PERIOD, UNIQUE_CUSTOMERS_COUNT (any case), got "AVERAGE"'],
    [{ ...valid, type: 1 }, 'type: expected one of'],
    [{ ...valid, dimensions: 'region' }, 'dimensions: expected an array of strings, got string'],
    [{ ...valid, dimensions: ['region', 'region'] }, 'dimensions[1]: "region" is listed twice'],
    [{ ...valid, dimensions: ['region', 3] }, 'dimensions[1]: expected a string, got number'],
    [{ ...valid, dimensions: [''] }, 'dimensions[0]: must not be empty'],
    [{ ...valid, dimensions: ['a b'] }, 'dimensions[0]: "a b" is not valid'],
    [{ ...valid, dimensions: ['d'.repeat(65)] }, 'dimensions[0]: must be at most 64 characters'],
    [{ ...valid, dimensions: Array.from({ length: 11 }, (_, i) => `d${i}`) }, 'dimensions: must hold at most 10 items, got 11'],
    [{ ...valid, dimensions: ['customerId'] }, 'dimensions[0]: "customerId" is reserved'],
    [{ ...valid, unit: 'ms' }, 'unit: unknown field (allowed: meterApiName, displayName, label, type, dimensions, meterTimeInMillis)'],
  ])('rejects %j naming the field', (body, expected) => {
    expect(detailsFor(body)).toContain(expected);
  });

  it('reports every problem of a body at once', () => {
    const details = detailsFor({ type: 'nope', dimensions: [1], extra: true });
    for (const field of ['extra: unknown field', 'meterApiName: is required', 'displayName: is required', 'type: expected', 'dimensions[0]']) {
      expect(details).toContain(field);
    }
  });

  it.each([null, [], 'meter', 3, true])('rejects a body that is not an object (%j)', (body) => {
    expect(detailsFor(body)).toMatch(/^expected a JSON object, got (null|array|string|number|boolean)$/);
  });

  it('uses the message "Invalid meter definition"', () => {
    expect(() => parseMeterDefinitionInput({})).toThrow('Invalid meter definition');
  });
});

describe('parseMeterApiName', () => {
  it('returns a valid name unchanged', () => {
    expect(parseMeterApiName('api.calls:v2_x-y', 'meterApiName')).toBe('api.calls:v2_x-y');
  });

  it.each([
    [undefined, 'meterApiName: must not be empty'],
    ['', 'meterApiName: must not be empty'],
    ['a b', 'meterApiName: "a b" is not valid'],
    ['_x', 'meterApiName: "_x" is not valid'],
    ['n'.repeat(129), 'must be at most 128 characters'],
  ])('rejects %j', (value, expected) => {
    expect(detailsOfError(() => parseMeterApiName(value, 'meterApiName'), ValidationError)).toContain(expected);
  });

  it('names the place the value came from', () => {
    expect(detailsOfError(() => parseMeterApiName('?', 'query meterApiName'), ValidationError)).toMatch(/^query meterApiName: /);
  });
});
