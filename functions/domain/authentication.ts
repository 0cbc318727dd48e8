import { API_KEY_MAX_LENGTH, hashApiKey } from './api-keys.js';

export type AuthenticationOutcome =
  | { readonly kind: 'accepted'; readonly accountId: string }
  | { readonly kind: 'rejected'; readonly reason: string };

export interface KeyOwner {
  readonly accountId: string;
  readonly revoked: boolean;
}

/** Decides whether a presented key is good. Lookup is by hash: the secret itself is never stored. */
export async function authenticate(
  apiKey: string | undefined,
  findOwner: (keyHash: string) => Promise<KeyOwner | undefined>,
): Promise<AuthenticationOutcome> {
  const key = apiKey?.trim();
  if (!key) return { kind: 'rejected', reason: 'the X-API-KEY header is missing' };
  if (key.length > API_KEY_MAX_LENGTH) return { kind: 'rejected', reason: 'the API key is not valid' };
  const owner = await findOwner(hashApiKey(key));
  if (!owner) return { kind: 'rejected', reason: 'the API key is not valid' };
  if (owner.revoked) return { kind: 'rejected', reason: 'the API key has been revoked' };
  return { kind: 'accepted', accountId: owner.accountId };
}
