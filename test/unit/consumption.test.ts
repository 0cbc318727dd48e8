import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CorruptMessageError,
  decodeMessageBody,
  dedupInBatch,
  MAX_TRANSACTION_ACTIONS,
  packTransactions,
  payloadHash,
  planMessage,
  rollupDeltas,
  isUnflaggedConflict,
} from '../../functions/domain/consumption.js';
import type { QueuedEvent } from '../../functions/domain/events.js';
import type { MeterDefinition } from '../../functions/domain/meters.js';
import { indexAccountConfiguration } from '../../functions/store/account-config-cache.js';
import { messageBody, queuedEvent } from '../support/events.js';

const meter = (overrides: Partial<MeterDefinition> = {}): MeterDefinition => ({
  meterApiName: 'api-calls',
  displayName: 'API calls',
  label: 'api-calls',
  type: 'SUM_OF_ALL_USAGE',
  dimensions: ['region'],
  meterTimeInMillis: 0,
  ...overrides,
});

const account = indexAccountConfiguration({
  meters: [meter()],
  rules: [{ ruleId: 'r', meterApiName: 'api-calls', dimensionName: 'region', dimensionValues: ['internal'], action: 'EXCLUDE' }],
});

describe('decodeMessageBody', () => {
  it('accepts a version 1 event batch', () => {
    const body = messageBody('acct', [queuedEvent()]);
    expect(decodeMessageBody(JSON.stringify(body))).toEqual(body);
  });

  it.each([
    ['not json', 'not JSON'],
    ['{"v":2,"accountId":"a","receivedAtMillis":1,"events":[]}', 'version 1'],
    ['{"v":1,"receivedAtMillis":1,"events":[]}', 'accountId'],
    ['{"v":1,"accountId":"a","receivedAtMillis":1,"events":[{"eventId":"x"}]}', 'malformed'],
    ['[1,2]', 'version 1'],
  ])('refuses %s as corrupt', (body, reason) => {
    expect(() => decodeMessageBody(body)).toThrow(CorruptMessageError);
    expect(() => decodeMessageBody(body)).toThrow(reason);
  });
});

describe('planMessage', () => {
  it('counts events of known meters, filters by rules, and marks unknown meters', () => {
    const events = [
      queuedEvent({ dimensions: { region: 'us', tier: 'pro' } }),
      queuedEvent({ dimensions: { region: 'internal' } }),
      queuedEvent({ meterApiName: 'gone' }),
    ];
    const planned = planMessage(messageBody('acct', events, 123), 'msg-1', account);
    expect(planned.map((event) => event.status)).toEqual(['counted', 'filtered', 'unknown-meter']);
    expect(planned[0]!.rollups.map((target) => target.granularity)).toEqual(['HOUR', 'DAY']);
    expect(planned[0]!.rollups[0]!.dimensions).toEqual({ region: 'us' });
    expect(planned[0]!.rollups[1]!.dimensions).toEqual({});
    expect(planned[0]!.rollups[1]!.sk).toMatch(/#$/);
    expect(planned[1]!.rollups).toEqual([]);
    expect(planned[2]!.rollups).toEqual([]);
    expect(planned.every((event) => event.messageId === 'msg-1' && event.receivedAtMillis === 123)).toBe(true);
    expect(planned[0]!.key).toEqual({ pk: `EV#acct#api-calls#${events[0]!.eventId}`, sk: 'EVENT' });
  });
});

describe('payloadHash', () => {
  it('ignores dimension order and the event id, and sees every counted field', () => {
    const base = queuedEvent({ dimensions: { a: '1', b: '2' } });
    const other: QueuedEvent = { ...base, eventId: 'other', dimensions: { b: '2', a: '1' } };
    expect(payloadHash(other)).toBe(payloadHash(base));
    expect(payloadHash({ ...base, meterValue: 2 })).not.toBe(payloadHash(base));
    expect(payloadHash({ ...base, customerId: 'x' })).not.toBe(payloadHash(base));
    expect(payloadHash({ ...base, meterTimeInMillis: base.meterTimeInMillis + 1 })).not.toBe(payloadHash(base));
    expect(payloadHash({ ...base, dimensions: { a: '1' } })).not.toBe(payloadHash(base));
  });
});

describe('dedupInBatch', () => {
  it('keeps the first occurrence of each key', () => {
    const event = queuedEvent();
    const planned = planMessage(messageBody('acct', [event, queuedEvent(), { ...event, meterValue: 9 }]), 'm', account);
    const { unique, duplicates } = dedupInBatch(planned);
    expect(unique).toEqual([planned[0], planned[1]]);
    expect(duplicates).toEqual([planned[2]]);
  });

  it('treats the same id on another meter or account as a different event', () => {
    const twoMeters = indexAccountConfiguration({ meters: [meter(), meter({ meterApiName: 'storage' })], rules: [] });
    const event = queuedEvent();
    const planned = [
      ...planMessage(messageBody('a', [event, { ...event, meterApiName: 'storage' }]), 'm', twoMeters),
      ...planMessage(messageBody('b', [event]), 'm', twoMeters),
    ];
    expect(dedupInBatch(planned).unique).toHaveLength(3);
  });
});

describe('rollupDeltas', () => {
  it('sums, counts and takes extremes per rollup item', () => {
    const planned = planMessage(
      messageBody('acct', [queuedEvent({ meterValue: 2 }), queuedEvent({ meterValue: -1 }), queuedEvent({ meterValue: 5, customerId: 'other' })]),
      'm',
      account,
    );
    const deltas = rollupDeltas(planned);
    const hourly = deltas.filter((delta) => delta.granularity === 'HOUR');
    expect(hourly.map(({ customerId, sum, count, min, max }) => ({ customerId, sum, count, min, max }))).toEqual([
      { customerId: 'customer-1', sum: 1, count: 2, min: -1, max: 2 },
      { customerId: 'other', sum: 5, count: 1, min: 5, max: 5 },
    ]);
  });
});

describe('packTransactions', () => {
  const arbitraryEvents = fc.array(
    fc.record({
      customer: fc.integer({ min: 0, max: 40 }),
      region: fc.constantFrom('us', 'eu', 'internal', undefined),
      hour: fc.integer({ min: 0, max: 80 }),
      meterName: fc.constantFrom('api-calls', 'gone'),
    }),
    { maxLength: 600 },
  );

  it('puts every event in exactly one transaction, within the action limit, with no item twice', () => {
    fc.assert(
      fc.property(arbitraryEvents, (specs) => {
        const events = specs.map((spec) =>
          queuedEvent({
            customerId: `c${spec.customer}`,
            meterApiName: spec.meterName,
            meterTimeInMillis: Date.UTC(2026, 0, 1) + spec.hour * 3_600_000,
            dimensions: spec.region ? { region: spec.region } : {},
          }),
        );
        const planned = planMessage(messageBody('acct', events), 'm', account);
        const plans = packTransactions(planned);
        expect(plans.flatMap((plan) => plan.events).sort((a, b) => a.event.eventId.localeCompare(b.event.eventId))).toEqual(
          [...planned].sort((a, b) => a.event.eventId.localeCompare(b.event.eventId)),
        );
        for (const plan of plans) {
          expect(plan.events.length + plan.pages.length + plan.rollups.length).toBeLessThanOrEqual(MAX_TRANSACTION_ACTIONS);
          expect(plan.pages.map((page) => page.entries.length).reduce((sum, count) => sum + count, 0)).toBe(plan.events.length);
          const groups = new Set(plan.events.map((event) => `${event.event.meterApiName}|${Math.floor(event.event.meterTimeInMillis / 3_600_000)}`));
          expect(plan.pages).toHaveLength(groups.size);
          const keys = plan.rollups.map((delta) => `${delta.pk}|${delta.sk}`);
          expect(new Set(keys).size).toBe(keys.length);
          expect(plan.rollups).toEqual(rollupDeltas(plan.events));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('writes each rollup item once when its events fit in one transaction', () => {
    const events = Array.from({ length: 90 }, (_, index) => queuedEvent({ meterValue: index }));
    const plans = packTransactions(planMessage(messageBody('acct', events), 'm', account));
    expect(plans).toHaveLength(1);
    expect(plans[0]!.rollups).toHaveLength(2);
    expect(plans[0]!.pages).toHaveLength(1);
  });

  it('counts the page of each meter-hour among the actions', () => {
    // 97 events of one customer-hour: 97 Puts + 1 page + 2 rollups = 100 actions.
    const full = Array.from({ length: 97 }, () => queuedEvent());
    expect(packTransactions(planMessage(messageBody('acct', full), 'm', account))).toHaveLength(1);
    const over = Array.from({ length: 98 }, () => queuedEvent());
    const plans = packTransactions(planMessage(messageBody('acct', over), 'm', account));
    expect(plans.map((plan) => plan.events.length)).toEqual([97, 1]);
    // Uncounted events need no rollups, only their page: 99 Puts + 1 page.
    const uncounted = Array.from({ length: 100 }, () => queuedEvent({ meterApiName: 'gone' }));
    expect(packTransactions(planMessage(messageBody('acct', uncounted), 'm', account)).map((plan) => plan.events.length)).toEqual([99, 1]);
  });

  it('keeps uncounted events of one meter-hour together so they share pages', () => {
    // Alternating hours would put both hours in both transactions: 4 pages. Grouped, 3.
    const events = Array.from({ length: 150 }, (_, index) => queuedEvent({ meterApiName: 'gone', meterTimeInMillis: Date.UTC(2026, 0, 1, index % 2) }));
    const plans = packTransactions(planMessage(messageBody('acct', events), 'm', account));
    expect(plans.map((plan) => plan.pages.length)).toEqual([2, 1]);
    expect(plans.map((plan) => plan.events.length)).toEqual([98, 52]);
  });
});

describe('isUnflaggedConflict', () => {
  it('is true only for a different payload not flagged yet', () => {
    expect(isUnflaggedConflict({ payloadHash: 'a' }, { payloadHash: 'a' })).toBe(false);
    expect(isUnflaggedConflict({ payloadHash: 'b' }, { payloadHash: 'a' })).toBe(true);
    expect(isUnflaggedConflict({ payloadHash: 'b' }, { payloadHash: 'a', conflictingPayloadHash: 'b' })).toBe(false);
    expect(isUnflaggedConflict({ payloadHash: 'b' }, {})).toBe(false);
  });

  it('derives the stored hash from the stored payload when the item does not carry one', () => {
    const stored = { customerId: 'c', meterValue: 2, meterTimeInMillis: 5, dimensions: { b: '2', a: '1' } };
    const same = payloadHash(queuedEvent({ customerId: 'c', meterValue: 2, meterTimeInMillis: 5, dimensions: { a: '1', b: '2' } }));
    expect(isUnflaggedConflict({ payloadHash: same }, stored)).toBe(false);
    expect(isUnflaggedConflict({ payloadHash: same }, { ...stored, meterValue: 3 })).toBe(true);
    expect(isUnflaggedConflict({ payloadHash: same }, { ...stored, meterValue: 3, conflictingPayloadHash: same })).toBe(false);
  });
});
