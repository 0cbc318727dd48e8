/**
 * Key layout of the Config table. Everything an account owns sits in the partition
 * `ACCT#<accountId>`, so a handler that builds keys from the authenticated account id cannot
 * address another account's items.
 *
 *   pk                   sk               item
 *   ACCT#<account>       KEY#<keyId>      API key listing entry (no secret, no usable hash lookup)
 *   ACCT#<account>       METER#<name>     meter definition (+ ruleIds, rulesVersion)
 *   ACCT#<account>       RULE#<ruleId>    filtering rule
 *   APIKEY#<sha256>      APIKEY           authorizer lookup: hash -> account
 *   KEYID#<keyId>        KEYID            revocation lookup: keyId -> account and hash
 *
 * The sort-key prefixes are ordered KEY# < METER# < RULE#, so "all meters and rules of an account"
 * is one Query with `sk BETWEEN 'METER#' AND 'RULE#\uffff'`.
 */
export const configKeys = {
  account: (accountId: string) => `ACCT#${accountId}`,
  meter: (meterApiName: string) => `METER#${meterApiName}`,
  rule: (ruleId: string) => `RULE#${ruleId}`,
  accountApiKey: (keyId: string) => `KEY#${keyId}`,
  apiKeyByHash: (keyHash: string) => `APIKEY#${keyHash}`,
  apiKeyById: (keyId: string) => `KEYID#${keyId}`,
} as const;

export const SORT_PREFIX = {
  meter: 'METER#',
  rule: 'RULE#',
  accountApiKey: 'KEY#',
  /** Sorts after every ruleId (which are ASCII). */
  ruleRangeEnd: 'RULE#\uffff',
} as const;

export const SINGLETON_SK = { apiKeyByHash: 'APIKEY', apiKeyById: 'KEYID' } as const;
