import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../functions/domain/errors.js';
import { describeType, isJsonObject, Problems, truncate } from '../../functions/domain/validation.js';

const rule = { maxLength: 5 };

describe('isJsonObject', () => {
  it.each([
    [{}, true],
    [{ a: 1 }, true],
    [[], false],
    [null, false],
    ['{}', false],
    [1, false],
    [undefined, false],
  ])('%j -> %s', (value, expected) => {
    expect(isJsonObject(value)).toBe(expected);
  });
});

describe('describeType', () => {
  it.each([
    [null, 'null'],
    [[1], 'array'],
    [{}, 'object'],
    ['s', 'string'],
    [1.5, 'number'],
    [false, 'boolean'],
    [undefined, 'undefined'],
  ])('%j is a %s', (value, expected) => {
    expect(describeType(value)).toBe(expected);
  });
});

describe('truncate', () => {
  it('keeps short text and cuts long text with an ellipsis', () => {
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcd', 3)).toBe('abc...');
    expect(truncate('x'.repeat(100))).toHaveLength(67);
  });
});

describe('Problems', () => {
  it('starts empty and prefixes every problem', () => {
    const problems = new Problems('events[3].');
    expect(problems.empty).toBe(true);
    problems.add('customerId', 'is required');
    expect(problems.empty).toBe(false);
    expect(problems.list).toEqual(['events[3].customerId: is required']);
  });

  it('rejects unknown fields by name and lists the allowed ones', () => {
    const problems = new Problems();
    problems.rejectUnknownFields({ a: 1, b: 2, c: 3 }, ['a']);
    expect(problems.list).toEqual(['b: unknown field (allowed: a)', 'c: unknown field (allowed: a)']);
  });

  it('treats a JSON "__proto__" key as an unknown field', () => {
    const problems = new Problems();
    problems.rejectUnknownFields(JSON.parse('{"__proto__": {"x": 1}}'), ['a']);
    expect(problems.list).toEqual(['__proto__: unknown field (allowed: a)']);
  });

  describe('checkString', () => {
    it.each([
      ['abcde', undefined],
      [5, 'f: expected a string, got number'],
      [null, 'f: expected a string, got null'],
      ['', 'f: must not be empty'],
      ['  \t', 'f: must not be empty'],
      ['abcdef', 'f: must be at most 5 characters, got 6'],
      ['a\ud800', 'f: must be valid Unicode text (it holds an unpaired UTF-16 surrogate)'],
      ['\udc00b', 'f: must be valid Unicode text (it holds an unpaired UTF-16 surrogate)'],
      ['\udc00\ud800', 'f: must be valid Unicode text (it holds an unpaired UTF-16 surrogate)'],
      ['😀', undefined],
      ['é\u0000', undefined],
    ])('%j -> %s', (value, problem) => {
      const problems = new Problems();
      const result = problems.checkString('f', value, rule);
      expect(problems.list).toEqual(problem ? [problem] : []);
      expect(result).toBe(problem ? undefined : value);
    });

    it('checks the pattern last and quotes a truncated value with the hint', () => {
      const problems = new Problems();
      expect(problems.checkString('f', `!${'x'.repeat(80)}`, { maxLength: 100, pattern: /^x+$/, patternHint: 'only x' })).toBeUndefined();
      expect(problems.list).toEqual([`f: "!${'x'.repeat(63)}..." is not valid: only x`]);
    });

    it('shows the pattern itself when there is no hint', () => {
      const problems = new Problems();
      problems.checkString('f', 'y', { maxLength: 10, pattern: /^x$/ });
      expect(problems.list).toEqual(['f: "y" is not valid: must match /^x$/']);
    });
  });

  describe('requiredString / optionalString', () => {
    it('requires the field to be present and not null', () => {
      const problems = new Problems();
      expect(problems.requiredString({}, 'a', rule)).toBeUndefined();
      expect(problems.requiredString({ a: null }, 'a', rule)).toBeUndefined();
      expect(problems.requiredString({ a: 'ok' }, 'a', rule)).toBe('ok');
      expect(problems.list).toEqual(['a: is required', 'a: is required']);
    });

    it('lets an optional field be absent or null but still checks a given value', () => {
      const problems = new Problems();
      expect(problems.optionalString({}, 'a', rule)).toBeUndefined();
      expect(problems.optionalString({ a: null }, 'a', rule)).toBeUndefined();
      expect(problems.optionalString({ a: 'too long' }, 'a', rule)).toBeUndefined();
      expect(problems.list).toEqual(['a: must be at most 5 characters, got 8']);
    });
  });

  describe('requiredEnum', () => {
    const colours = ['RED', 'GREEN'] as const;

    it.each([
      ['RED', 'RED'],
      ['red', 'RED'],
      [' gReEn ', 'GREEN'],
    ])('accepts %j as %s', (value, expected) => {
      const problems = new Problems();
      expect(problems.requiredEnum({ c: value }, 'c', colours)).toBe(expected);
      expect(problems.empty).toBe(true);
    });

    it.each([
      [{}, 'c: is required (one of RED, GREEN)'],
      [{ c: 'blue' }, 'c: expected one of RED, GREEN (any case), got "blue"'],
      [{ c: 1 }, 'c: expected one of RED, GREEN (any case), got 1'],
      [{ c: ['red'] }, 'c: expected one of RED, GREEN (any case), got ["red"]'],
    ])('rejects %j', (body, problem) => {
      const problems = new Problems();
      expect(problems.requiredEnum(body, 'c', colours)).toBeUndefined();
      expect(problems.list).toEqual([problem]);
    });
  });

  describe('stringArray', () => {
    const arrayRule = { minItems: 1, maxItems: 3, item: { maxLength: 4 } };

    it('returns the strings in order', () => {
      const problems = new Problems();
      expect(problems.stringArray('v', ['a', 'b'], arrayRule)).toEqual(['a', 'b']);
      expect(problems.empty).toBe(true);
    });

    it.each([
      ['a', ['v: expected an array of strings, got string']],
      [[], ['v: must hold at least 1 item(s)']],
      [['a', 'b', 'c', 'd'], ['v: must hold at most 3 items, got 4']],
      [['a', 7, 'toolong'], ['v[1]: expected a string, got number', 'v[2]: must be at most 4 characters, got 7']],
      [['a', 'b', 'a'], ['v[2]: "a" is listed twice']],
    ])('rejects %j', (value, expected) => {
      const problems = new Problems();
      expect(problems.stringArray('v', value, arrayRule)).toBeUndefined();
      expect(problems.list).toEqual(expected);
    });

    it('allows an empty array when there is no minimum', () => {
      const problems = new Problems();
      expect(problems.stringArray('v', [], { maxItems: 1, item: { maxLength: 1 } })).toEqual([]);
    });

    it('returns undefined only for its own problems, not for earlier ones', () => {
      const problems = new Problems();
      problems.add('other', 'broken');
      expect(problems.stringArray('v', ['a'], arrayRule)).toEqual(['a']);
    });
  });
});

describe('ValidationError.fromProblems', () => {
  it('joins the problems into details with a stable code', () => {
    const error = ValidationError.fromProblems('Invalid thing', ['a: x', 'b: y']);
    expect(error).toMatchObject({ message: 'Invalid thing', details: 'a: x; b: y', code: 'VALIDATION_FAILED', name: 'ValidationError' });
  });

  it('lists at most maxListed problems and counts the rest', () => {
    const problems = Array.from({ length: 25 }, (_, i) => `p${i}`);
    const error = ValidationError.fromProblems('Invalid', problems);
    expect(error.details.split('; ')).toHaveLength(21);
    expect(error.details).toMatch(/; p19; and 5 more$/);
    expect(ValidationError.fromProblems('Invalid', problems, 2).details).toBe('p0; p1; and 23 more');
  });
});
