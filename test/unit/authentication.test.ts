import { describe, expect, it, vi } from 'vitest';
import { API_KEY_MAX_LENGTH, hashApiKey } from '../../functions/domain/api-keys.js';
import { authenticate, type KeyOwner } from '../../functions/domain/authentication.js';

const KEY = 'tly_0123456789abcdefghij';

function ownerLookup(owners: Record<string, KeyOwner>) {
  return vi.fn(async (keyHash: string) => owners[keyHash]);
}

describe('authenticate', () => {
  it('accepts a known key and names its account', async () => {
    const findOwner = ownerLookup({ [hashApiKey(KEY)]: { accountId: 'acme', revoked: false } });
    await expect(authenticate(KEY, findOwner)).resolves.toEqual({ kind: 'accepted', accountId: 'acme' });
  });

  it('looks the key up by its SHA-256, never by the secret', async () => {
    const findOwner = ownerLookup({});
    await authenticate(KEY, findOwner);
    expect(findOwner).toHaveBeenCalledExactlyOnceWith(hashApiKey(KEY));
  });

  it('ignores whitespace around the key', async () => {
    const findOwner = ownerLookup({ [hashApiKey(KEY)]: { accountId: 'acme', revoked: false } });
    await expect(authenticate(`  ${KEY}\t`, findOwner)).resolves.toEqual({ kind: 'accepted', accountId: 'acme' });
  });

  it.each([undefined, '', '   '])('rejects a missing key (%j) without a lookup', async (key) => {
    const findOwner = ownerLookup({});
    await expect(authenticate(key, findOwner)).resolves.toEqual({
      kind: 'rejected',
      reason: 'the X-API-KEY header is missing',
    });
    expect(findOwner).not.toHaveBeenCalled();
  });

  it('rejects an over-long key without a lookup', async () => {
    const findOwner = ownerLookup({});
    await expect(authenticate('k'.repeat(API_KEY_MAX_LENGTH + 1), findOwner)).resolves.toEqual({
      kind: 'rejected',
      reason: 'the API key is not valid',
    });
    expect(findOwner).not.toHaveBeenCalled();
  });

  it('rejects an unknown key', async () => {
    await expect(authenticate(KEY, ownerLookup({}))).resolves.toEqual({ kind: 'rejected', reason: 'the API key is not valid' });
  });

  it('rejects a revoked key', async () => {
    const findOwner = ownerLookup({ [hashApiKey(KEY)]: { accountId: 'acme', revoked: true } });
    await expect(authenticate(KEY, findOwner)).resolves.toEqual({
      kind: 'rejected',
      reason: 'the API key has been revoked',
    });
  });

  it('is case-sensitive about the key itself', async () => {
    const findOwner = ownerLookup({ [hashApiKey(KEY)]: { accountId: 'acme', revoked: false } });
    await expect(authenticate(KEY.toUpperCase(), findOwner)).resolves.toMatchObject({ kind: 'rejected' });
  });

  it('lets a lookup failure propagate instead of treating it as a bad key', async () => {
    const failure = new Error('table unavailable');
    await expect(authenticate(KEY, async () => Promise.reject(failure))).rejects.toBe(failure);
  });
});
