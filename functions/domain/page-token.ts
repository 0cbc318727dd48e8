import { createHash } from 'node:crypto';
import { ValidationError } from './errors.js';
import { isJsonObject } from './validation.js';

/**
 * Opaque `nextPageToken`s for raw-event paging: a listing position (the key of the item to resume
 * at, plus plain numbers such as an index within it) and a fingerprint of the query it belongs to,
 * as base64url JSON.
 *
 * Why a client cannot page into another account's data without any secret: the storage layer
 * builds every Query's partition key from the authenticated account, and every partition key
 * attribute embeds that account (`ACCT#<id>` or `ACCT#<id>#...`). A decoded position must carry exactly
 * the listing's attributes, and each account-scoped one must be the requesting account's key or
 * start with it followed by `#`; account ids cannot contain `#`, so `ACCT#ab` never admits
 * `ACCT#abc`. A forged token can therefore only name a starting position inside the requester's
 * own partitions, where the Query's key condition confines the results anyway. The fingerprint
 * makes a token continue only the query that issued it.
 */

/** DynamoDB keys of the tables hold string and number attributes only. */
export type PageKey = Readonly<Record<string, string | number>>;

export interface PageTokenScope {
  /** The requesting account's key as the storage layer writes it, e.g. `ACCT#a1`. */
  readonly accountKey: string;
  /** Every attribute of the position: a token must carry exactly these. */
  readonly keyAttributes: readonly string[];
  /** The key attributes that embed the account (partition keys). */
  readonly accountScopedAttributes: readonly string[];
  /** The parameters of the query being paged; a token only continues this query. */
  readonly query: Readonly<Record<string, string | number | boolean | undefined>>;
}

/** Keys are at most a few hundred bytes; anything much longer is not a token of ours. */
export const MAX_PAGE_TOKEN_LENGTH = 4_096;

const TOKEN_VERSION = 1;
const ACCOUNT_KEY_SEPARATOR = '#';
const BASE64URL = /^[A-Za-z0-9_-]+$/;

type EncodedValue = { s: string } | { n: number };

export function encodePageToken(key: PageKey, scope: PageTokenScope): string {
  const encodedKey: Record<string, EncodedValue> = {};
  for (const [name, value] of Object.entries(key)) {
    encodedKey[name] = typeof value === 'string' ? { s: value } : { n: value };
  }
  const payload = { v: TOKEN_VERSION, q: queryFingerprint(scope.query), k: encodedKey };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/** The position a token carries, once it is shown to belong to this account and query. */
export function decodePageToken(token: string, scope: PageTokenScope): PageKey {
  const payload = parsePayload(token);
  if (payload.q !== queryFingerprint(scope.query)) {
    throw invalidToken('it belongs to a different query; repeat the query without nextPageToken to start over');
  }
  const key = decodeKey(payload.k, scope.keyAttributes);
  for (const attribute of scope.accountScopedAttributes) {
    const value = key[attribute];
    const ownKey =
      typeof value === 'string' &&
      (value === scope.accountKey || value.startsWith(`${scope.accountKey}${ACCOUNT_KEY_SEPARATOR}`));
    if (!ownKey) throw invalidToken('it was not issued to this account');
  }
  return key;
}

function parsePayload(token: string): { q: string; k: Record<string, unknown> } {
  if (token.length > MAX_PAGE_TOKEN_LENGTH || !BASE64URL.test(token)) {
    throw invalidToken('it is not a token this API issued');
  }
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch (error) {
    throw invalidToken('it is not a token this API issued', error);
  }
  if (
    !isJsonObject(payload) ||
    payload.v !== TOKEN_VERSION ||
    typeof payload.q !== 'string' ||
    !isJsonObject(payload.k) ||
    Object.keys(payload).length !== 3
  ) {
    throw invalidToken('it is not a token this API issued');
  }
  return { q: payload.q, k: payload.k };
}

function decodeKey(encoded: Record<string, unknown>, attributes: readonly string[]): PageKey {
  const names = Object.keys(encoded);
  if (names.length !== attributes.length || !attributes.every((name) => Object.hasOwn(encoded, name))) {
    throw invalidToken('it does not hold a position of this listing');
  }
  const key: Record<string, string | number> = {};
  for (const name of names) {
    const value = encoded[name];
    if (isJsonObject(value) && Object.keys(value).length === 1 && typeof value.s === 'string') key[name] = value.s;
    else if (isJsonObject(value) && Object.keys(value).length === 1 && Number.isFinite(value.n)) key[name] = value.n as number;
    else throw invalidToken('it does not hold a position of this listing');
  }
  return key;
}

/** Order-independent, so the same query gives the same fingerprint however it was assembled. */
function queryFingerprint(query: PageTokenScope['query']): string {
  const entries = Object.entries(query)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(entries)).digest('base64url').slice(0, 22);
}

function invalidToken(reason: string, cause?: unknown): ValidationError {
  return new ValidationError('Invalid nextPageToken', `nextPageToken: ${reason}`, cause === undefined ? undefined : { cause });
}
