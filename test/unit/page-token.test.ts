import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../functions/domain/errors.js';
import { decodePageToken, encodePageToken, MAX_PAGE_TOKEN_LENGTH, type PageTokenScope } from '../../functions/domain/page-token.js';
import { detailsOfError } from './support.js';

const scopeFor = (accountId: string, query: PageTokenScope['query'] = { meterApiName: 'api-calls', customerId: 'c1', startTimeInSeconds: 1718100000 }): PageTokenScope => ({
  accountKey: `ACCT#${accountId}`,
  keyAttributes: ['pk', 'sk', 'gsi1pk', 'gsi1sk'],
  accountScopedAttributes: ['pk', 'gsi1pk'],
  query,
});

const keyFor = (accountId: string) => ({
  pk: `ACCT#${accountId}#api-calls`,
  sk: 'EVENT#e-17',
  gsi1pk: `ACCT#${accountId}#api-calls#c1`,
  gsi1sk: 1718100123456,
});

const scope = scopeFor('a1');
const decodeProblem = (token: string, decodeScope = scope) => detailsOfError(() => decodePageToken(token, decodeScope), ValidationError);

/** A token whose payload is exactly `payload`, as a forger would build it. */
const forge = (payload: unknown) => Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
const payloadOf = (token: string) => JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('page tokens', () => {
  it('round-trip a key of string and number attributes as an opaque base64url string', () => {
    const token = encodePageToken(keyFor('a1'), scope);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodePageToken(token, scope)).toEqual(keyFor('a1'));
  });

  it('accept a partition key equal to the account key', () => {
    const key = { ...keyFor('a1'), pk: 'ACCT#a1' };
    expect(decodePageToken(encodePageToken(key, scope), scope)).toEqual(key);
  });

  it('continue the same query however its parameters were assembled, and leave out undefined ones', () => {
    const token = encodePageToken(keyFor('a1'), scopeFor('a1', { startTimeInSeconds: 1718100000, customerId: 'c1', meterApiName: 'api-calls', end: undefined }));
    expect(decodePageToken(token, scope)).toEqual(keyFor('a1'));
  });

  it('refuse to continue a different query', () => {
    const token = encodePageToken(keyFor('a1'), scope);
    expect(decodeProblem(token, scopeFor('a1', { meterApiName: 'api-calls', customerId: 'c2', startTimeInSeconds: 1718100000 }))).toBe(
      'nextPageToken: it belongs to a different query; repeat the query without nextPageToken to start over',
    );
  });

  it("refuse another account's token, including one whose id extends the requester's", () => {
    expect(decodeProblem(encodePageToken(keyFor('a2'), scopeFor('a2')))).toBe('nextPageToken: it was not issued to this account');
    expect(decodeProblem(encodePageToken(keyFor('a1x'), scopeFor('a1x')))).toBe('nextPageToken: it was not issued to this account');
  });

  it('refuse a forged token that moves only the index partition to another account', () => {
    const forged = encodePageToken({ ...keyFor('a1'), gsi1pk: 'ACCT#a2#api-calls#c1' }, scope);
    expect(decodeProblem(forged)).toBe('nextPageToken: it was not issued to this account');
    const numeric = encodePageToken({ ...keyFor('a1'), pk: 42 }, scope);
    expect(decodeProblem(numeric)).toBe('nextPageToken: it was not issued to this account');
  });

  it.each([
    ['not base64url', 'abc+/='],
    ['empty', ''],
    ['too long', 'A'.repeat(MAX_PAGE_TOKEN_LENGTH + 1)],
    ['not JSON', Buffer.from('{"v":1,', 'utf8').toString('base64url')],
    ['not an object', forge([1, 2])],
    ['of another version', forge({ v: 2, q: 'x', k: {} })],
    ['with an extra field', forge({ ...payloadOf(encodePageToken(keyFor('a1'), scope)), x: 1 })],
  ])('reject a token that is %s', (_, token) => {
    expect(decodeProblem(token)).toBe('nextPageToken: it is not a token this API issued');
  });

  it.each([
    ['misses an attribute', (key: Record<string, unknown>) => ({ pk: key.pk, sk: key.sk, gsi1pk: key.gsi1pk })],
    ['has an extra attribute', (key: Record<string, unknown>) => ({ ...key, extra: { s: 'x' } })],
    ['types an attribute as a boolean', (key: Record<string, unknown>) => ({ ...key, sk: { b: true } })],
    ['gives an attribute two types', (key: Record<string, unknown>) => ({ ...key, sk: { s: 'x', n: 1 } })],
    ['holds a number that is not one', (key: Record<string, unknown>) => ({ ...key, gsi1sk: { n: 'NaN' } })],
  ])('reject a key that %s', (_, tamper) => {
    const payload = payloadOf(encodePageToken(keyFor('a1'), scope));
    expect(decodeProblem(forge({ ...payload, k: tamper(payload.k as Record<string, unknown>) }))).toBe(
      'nextPageToken: it does not hold a position of this listing',
    );
  });

  it('never yield a position outside the requesting account, whatever the token (property)', () => {
    const valid = encodePageToken(keyFor('a1'), scope);
    const otherAccount = payloadOf(encodePageToken(keyFor('a2'), scopeFor('a2')));
    const tokens = fc.oneof(
      fc.string(),
      fc.base64String().map((text) => text.replace(/\+/g, '-').replace(/\//g, '_').replace(/=/g, '')),
      fc.tuple(fc.nat({ max: valid.length - 1 }), fc.constantFrom(...'ABCxyz019-_')).map(
        ([index, character]) => valid.slice(0, index) + character + valid.slice(index + 1),
      ),
      fc.record({ pk: fc.string(), gsi1pk: fc.string() }).map((partitions) =>
        forge({ ...otherAccount, k: { ...(otherAccount.k as object), pk: { s: partitions.pk }, gsi1pk: { s: partitions.gsi1pk } } }),
      ),
    );
    fc.assert(
      fc.property(tokens, (token) => {
        let key;
        try {
          key = decodePageToken(token, scope);
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError);
          return;
        }
        for (const attribute of scope.accountScopedAttributes) {
          const value = key[attribute] as string;
          expect(value === 'ACCT#a1' || value.startsWith('ACCT#a1#')).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});
