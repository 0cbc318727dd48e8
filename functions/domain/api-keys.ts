import { createHash, randomBytes } from 'node:crypto';
import { ValidationError } from './errors.js';
import { Problems } from './validation.js';

/**
 * API keys are random secrets shown once. Only their SHA-256 is stored, so a leaked table does not
 * leak working keys; the hash is also what the authorizer looks the key up by.
 */
export interface ApiKeyRecord {
  readonly keyId: string;
  readonly accountId: string;
  readonly createdAtMillis: number;
  readonly revokedAtMillis?: number;
  /** The last characters of the key, so a person can tell keys apart in a listing. */
  readonly hint: string;
}

export const ACCOUNT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const API_KEY_MAX_LENGTH = 256;
/** Keys shorter than this are too guessable to protect billing data. */
export const API_KEY_MIN_LENGTH = 16;

export function generateApiKey(): string {
  return `tly_${randomBytes(32).toString('base64url')}`;
}

export function generateKeyId(): string {
  return `key_${randomBytes(8).toString('hex')}`;
}

export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey, 'utf8').digest('hex');
}

export function keyHint(apiKey: string): string {
  return `...${apiKey.slice(-4)}`;
}

export function parseAccountId(value: string | undefined): string {
  const problems = new Problems();
  problems.checkString('accountId', value ?? '', {
    maxLength: 64,
    pattern: ACCOUNT_ID_PATTERN,
    patternHint: 'letters, digits, _ and - only, at most 64 characters',
  });
  if (!problems.empty) throw ValidationError.fromProblems('Invalid account id', problems.list);
  return value!;
}

/** For keys chosen by a person (TALLY_API_KEY): long enough and printable. */
export function parseChosenApiKey(value: string): string {
  if (value.length < API_KEY_MIN_LENGTH || value.length > API_KEY_MAX_LENGTH || !/^[\x21-\x7e]+$/.test(value)) {
    throw new ValidationError(
      'Invalid API key',
      `an API key must be ${API_KEY_MIN_LENGTH} to ${API_KEY_MAX_LENGTH} printable ASCII characters without spaces`,
    );
  }
  return value;
}
