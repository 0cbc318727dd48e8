import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  API_KEY_MAX_LENGTH,
  API_KEY_MIN_LENGTH,
  generateApiKey,
  generateKeyId,
  hashApiKey,
  keyHint,
  parseAccountId,
  parseChosenApiKey,
} from '../../functions/domain/api-keys.js';
import { ValidationError } from '../../functions/domain/errors.js';
import { detailsOfError } from './support.js';

describe('generateApiKey', () => {
  it('makes a prefixed url-safe key with 256 bits of randomness', () => {
    const key = generateApiKey();
    expect(key).toMatch(/^tly_[A-Za-z0-9_-]{43}$/);
  });

  it('never repeats', () => {
    const keys = new Set(Array.from({ length: 1000 }, generateApiKey));
    expect(keys.size).toBe(1000);
  });

  it('is accepted as a chosen key', () => {
    const key = generateApiKey();
    expect(parseChosenApiKey(key)).toBe(key);
  });
});

describe('generateKeyId', () => {
  it('is a short public id unrelated to the secret', () => {
    expect(generateKeyId()).toMatch(/^key_[0-9a-f]{16}$/);
    expect(generateKeyId()).not.toBe(generateKeyId());
  });
});

describe('hashApiKey', () => {
  it('is the hex SHA-256 of the key', () => {
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('hashes UTF-8 bytes', () => {
    expect(hashApiKey('clé')).toBe(createHash('sha256').update(Buffer.from('clé', 'utf8')).digest('hex'));
  });

  it('never contains the key', () => {
    const key = generateApiKey();
    expect(hashApiKey(key)).not.toContain(key.slice(4, 12));
  });
});

describe('keyHint', () => {
  it('shows only the last four characters', () => {
    expect(keyHint('tly_secretABCD')).toBe('...ABCD');
  });
});

describe('parseAccountId', () => {
  it.each(['dev', 'acme-prod_2', 'A'.repeat(64)])('accepts %s', (id) => {
    expect(parseAccountId(id)).toBe(id);
  });

  it.each([
    [undefined, 'accountId: must not be empty'],
    ['', 'accountId: must not be empty'],
    ['a b', 'accountId: "a b" is not valid: letters, digits, _ and - only'],
    ['acct#1', 'is not valid'],
    ['a'.repeat(65), 'accountId: must be at most 64 characters, got 65'],
  ])('rejects %j', (id, expected) => {
    expect(detailsOfError(() => parseAccountId(id), ValidationError)).toContain(expected);
  });
});

describe('parseChosenApiKey', () => {
  it.each(['x'.repeat(API_KEY_MIN_LENGTH), '!~'.repeat(API_KEY_MAX_LENGTH / 2)])('accepts printable keys within the length bounds', (key) => {
    expect(parseChosenApiKey(key)).toBe(key);
  });

  it.each([
    ['too short', 'x'.repeat(API_KEY_MIN_LENGTH - 1)],
    ['too long', 'x'.repeat(API_KEY_MAX_LENGTH + 1)],
    ['with a space', 'my development key'],
    ['with a newline', `${'x'.repeat(20)}\n`],
    ['not ASCII', `${'x'.repeat(20)}é`],
  ])('rejects a key %s', (_, key) => {
    expect(detailsOfError(() => parseChosenApiKey(key), ValidationError)).toBe(
      `an API key must be ${API_KEY_MIN_LENGTH} to ${API_KEY_MAX_LENGTH} printable ASCII characters without spaces`,
    );
  });
});
