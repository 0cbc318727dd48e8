import { describe, expect, it } from 'vitest';
import { busiestCustomerShare, DEFAULT_WORKLOAD, DIMENSION_VALUES, dimensionCardinalities, generateWorkload, seededRandom, zipfSampler } from '../../bench/workload.js';

const spec = { ...DEFAULT_WORKLOAD, uniqueEvents: 10_000, idSource: 'client' as const };

describe('generateWorkload', () => {
  it('yields the same messages for the same seed and different ones for another seed', () => {
    const first = generateWorkload(spec);
    expect(generateWorkload(spec)).toEqual(first);
    expect(generateWorkload({ ...spec, seed: spec.seed + 1 }).uniqueEvents[0]).not.toEqual(first.uniqueEvents[0]);
  });

  it('resends about the requested share of events, each as a copy of an earlier message', () => {
    const workload = generateWorkload(spec);
    const duplicateShare = 1 - workload.uniqueEvents.length / workload.deliveredEvents;
    expect(duplicateShare).toBeGreaterThan(0.04);
    expect(duplicateShare).toBeLessThan(0.06);
    const messages = workload.batches.flat();
    const position = new Map(messages.map((message, index) => [message.messageId, index]));
    for (const resend of messages.filter((message) => message.resendOf)) {
      expect(position.get(resend.resendOf!)).toBeLessThan(position.get(resend.messageId)!);
      expect(resend.body).toBe(messages[position.get(resend.resendOf!)!]!.body);
    }
  });

  it('delivers every unique event, in messages of 100 events and batches of 10 to 100 messages', () => {
    const workload = generateWorkload(spec);
    const messages = workload.batches.flat();
    const delivered = new Set(messages.flatMap((message) => message.body.events.map((event) => event.eventId)));
    expect(delivered.size).toBe(spec.uniqueEvents);
    expect(messages.every((message) => message.body.events.length <= 100)).toBe(true);
    expect(workload.batches.slice(0, -1).every((batch) => batch.length >= 10 && batch.length <= 100)).toBe(true);
  });

  it('uses 1,000 customers with a skew and the declared dimension values', () => {
    const workload = generateWorkload({ ...spec, uniqueEvents: 20_000 });
    const perCustomer = new Map<string, number>();
    for (const event of workload.uniqueEvents) perCustomer.set(event.customerId, (perCustomer.get(event.customerId) ?? 0) + 1);
    expect(perCustomer.size).toBeGreaterThan(900);
    expect(Math.max(...perCustomer.values())).toBeGreaterThan(20_000 / 20);
    expect(busiestCustomerShare(workload.uniqueEvents)).toBe(Math.max(...perCustomer.values()) / 20_000);
    expect(dimensionCardinalities(workload.uniqueEvents)).toEqual({
      region: DIMENSION_VALUES.region.length,
      plan: DIMENSION_VALUES.plan.length,
      feature: DIMENSION_VALUES.feature.length,
    });
  });

  it('advances meter times at the live rate, with events at most 2 minutes late', () => {
    const workload = generateWorkload(spec);
    const times = workload.uniqueEvents.map((event) => event.meterTimeInMillis);
    const span = Math.max(...times) - Math.min(...times);
    expect(span).toBeGreaterThan((spec.uniqueEvents / spec.liveEventsPerSecond) * 1000 - 120_000);
    expect(span).toBeLessThanOrEqual((spec.uniqueEvents / spec.liveEventsPerSecond) * 1000 + 120_000);
  });

  it('marks ids as stamped when asked', () => {
    const workload = generateWorkload({ ...spec, uniqueEvents: 10, idSource: 'stamped' });
    expect(workload.uniqueEvents.every((event) => event.idSource === 'stamped')).toBe(true);
  });
});

describe('zipfSampler', () => {
  it('draws low indexes more often than high ones, and every index within range', () => {
    const draw = zipfSampler(8, 1.2, seededRandom(1));
    const counts = Array.from({ length: 8 }, () => 0);
    for (let index = 0; index < 10_000; index++) counts[draw()]! += 1;
    expect(counts[0]).toBeGreaterThan(counts[7]! * 5);
    expect(counts.every((count) => count > 0)).toBe(true);
  });
});
