import type { QueuedEvent, QueueMessageBody } from '../functions/domain/events.js';

/**
 * A deterministic, seeded stream of metering traffic shaped like live traffic of one account:
 * skewed customers, skewed dimension values, timestamps advancing at a live rate (some late),
 * client retries that resend whole requests, 100-event SQS messages and event-source batches of
 * 10-100 messages. The same spec always yields the same messages, so every consumer under test
 * sees exactly the same input.
 */
export interface WorkloadSpec {
  readonly seed: number;
  readonly accountId: string;
  readonly meterApiName: string;
  readonly customers: number;
  /** Unique events; duplicates come on top. */
  readonly uniqueEvents: number;
  /** Share of delivered events that are resent copies (client retries). */
  readonly duplicateRate: number;
  readonly eventsPerMessage: number;
  readonly minMessagesPerBatch: number;
  readonly maxMessagesPerBatch: number;
  /** Meter time of the first event; later ones follow at the live rate. */
  readonly startMillis: number;
  /** Events per second of the traffic the stream replays: what one consumer batch spans in time. */
  readonly liveEventsPerSecond: number;
  /** Whether ids are client uniqueIds or were stamped at ingest. */
  readonly idSource: QueuedEvent['idSource'];
}

/** The declared dimensions and their values, most frequent first. */
export const DIMENSION_VALUES = {
  region: ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'sa-east-1'],
  plan: ['free', 'pro', 'enterprise'],
  feature: ['api', 'search', 'export', 'webhooks', 'reports', 'sso', 'audit-log', 'bulk-import'],
} as const;

export const DECLARED_DIMENSIONS = Object.keys(DIMENSION_VALUES) as (keyof typeof DIMENSION_VALUES)[];

export const DEFAULT_WORKLOAD: Omit<WorkloadSpec, 'uniqueEvents' | 'idSource'> = {
  seed: 20261122,
  accountId: 'bench-account',
  meterApiName: 'api-calls',
  customers: 1_000,
  duplicateRate: 0.05,
  eventsPerMessage: 100,
  minMessagesPerBatch: 10,
  maxMessagesPerBatch: 100,
  // Just before an hour boundary, so some batches straddle two hours as live traffic does.
  startMillis: Date.UTC(2026, 10, 20, 13, 59, 30),
  // About the average of 1B events a month (386/s).
  liveEventsPerSecond: 400,
};

export interface WorkloadMessage {
  readonly messageId: string;
  readonly body: QueueMessageBody;
  /** Set on a resent request: the message whose events it repeats. */
  readonly resendOf?: string;
}

export interface Workload {
  readonly spec: WorkloadSpec;
  /** In delivery order, already cut into event-source batches. */
  readonly batches: readonly (readonly WorkloadMessage[])[];
  /** Every event once: what the rollups must add up to. */
  readonly uniqueEvents: readonly QueuedEvent[];
  readonly deliveredEvents: number;
}

/** mulberry32: tiny, fast and good enough to draw test data from a seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Draws index i with probability proportional to 1 / (i + 1)^exponent. */
export function zipfSampler(size: number, exponent: number, random: () => number): () => number {
  const cumulative: number[] = [];
  let total = 0;
  for (let index = 0; index < size; index++) {
    total += 1 / (index + 1) ** exponent;
    cumulative.push(total);
  }
  return () => {
    const target = random() * total;
    let low = 0;
    let high = size - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (cumulative[middle]! < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}

export function uuidFrom(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

export interface CustomerProfile {
  readonly customerId: string;
  readonly plan: string;
  readonly homeRegion: string;
}

/** A customer keeps one plan and mostly one region; the first customers are the busiest. */
export function customerProfiles(spec: Pick<WorkloadSpec, 'customers'>, random: () => number): CustomerProfile[] {
  const plan = zipfSampler(DIMENSION_VALUES.plan.length, 1.5, random);
  const region = zipfSampler(DIMENSION_VALUES.region.length, 1, random);
  return Array.from({ length: spec.customers }, (_, index) => ({
    customerId: `customer-${String(index).padStart(4, '0')}`,
    plan: DIMENSION_VALUES.plan[plan()]!,
    homeRegion: DIMENSION_VALUES.region[region()]!,
  }));
}

/** Share of a customer's events that come from a region other than its home region. */
const ROAMING_RATE = 0.1;

/** The declared dimensions of one of a customer's events: its plan, mostly its home region, a skewed feature. */
export function dimensionDrawer(random: () => number): (customer: CustomerProfile) => Record<keyof typeof DIMENSION_VALUES, string> {
  const pickRegion = zipfSampler(DIMENSION_VALUES.region.length, 1, random);
  const pickFeature = zipfSampler(DIMENSION_VALUES.feature.length, 1.2, random);
  return (customer) => ({
    region: random() < ROAMING_RATE ? DIMENSION_VALUES.region[pickRegion()]! : customer.homeRegion,
    plan: customer.plan,
    feature: DIMENSION_VALUES.feature[pickFeature()]!,
  });
}
/** Events reach ingest up to this late, as clients buffer and flush. */
const MAX_LATENESS_MILLIS = 2 * 60_000;
/** A retried request shows up this many messages after the original, at most. */
const MAX_RESEND_DISTANCE = 30;

export function generateWorkload(spec: WorkloadSpec): Workload {
  const random = seededRandom(spec.seed);
  const customers = customerProfiles(spec, random);
  const pickCustomer = zipfSampler(customers.length, 1, random);
  const dimensionsOf = dimensionDrawer(random);

  const uniqueEvents: QueuedEvent[] = [];
  for (let index = 0; index < spec.uniqueEvents; index++) {
    const customer = customers[pickCustomer()]!;
    const liveTime = spec.startMillis + Math.floor((index / spec.liveEventsPerSecond) * 1000);
    uniqueEvents.push({
      eventId: uuidFrom(random),
      idSource: spec.idSource,
      meterApiName: spec.meterApiName,
      customerId: customer.customerId,
      meterValue: 1 + Math.floor(random() * 5),
      meterTimeInMillis: liveTime - Math.floor(random() * MAX_LATENESS_MILLIS),
      dimensions: dimensionsOf(customer),
    });
  }

  const originals: WorkloadMessage[] = [];
  for (let start = 0; start < uniqueEvents.length; start += spec.eventsPerMessage) {
    const events = uniqueEvents.slice(start, start + spec.eventsPerMessage);
    originals.push({
      messageId: `m-${originals.length}`,
      body: { v: 1, accountId: spec.accountId, receivedAtMillis: Math.max(...events.map((e) => e.meterTimeInMillis)), events },
    });
  }

  // A resend repeats a whole request, as an SDK does when a response is lost; it arrives a little later.
  const resends = new Map<number, WorkloadMessage[]>();
  const resendCount = Math.round((originals.length * spec.duplicateRate) / (1 - spec.duplicateRate));
  const candidates = [...originals.keys()];
  for (let picked = 0; picked < resendCount; picked++) {
    const choice = picked + Math.floor(random() * (candidates.length - picked));
    [candidates[picked], candidates[choice]] = [candidates[choice]!, candidates[picked]!];
    const index = candidates[picked]!;
    const message = originals[index]!;
    const at = index + 1 + Math.floor(random() * MAX_RESEND_DISTANCE);
    const resend = { messageId: `${message.messageId}-resent`, body: message.body, resendOf: message.messageId };
    resends.set(at, [...(resends.get(at) ?? []), resend]);
  }
  const delivered: WorkloadMessage[] = [];
  const lastSlot = Math.max(originals.length - 1, ...resends.keys());
  for (let index = 0; index <= lastSlot; index++) {
    delivered.push(...(resends.get(index) ?? []));
    if (index < originals.length) delivered.push(originals[index]!);
  }

  const batches: WorkloadMessage[][] = [];
  for (let start = 0; start < delivered.length; ) {
    const size = spec.minMessagesPerBatch + Math.floor(random() * (spec.maxMessagesPerBatch - spec.minMessagesPerBatch + 1));
    batches.push(delivered.slice(start, start + size));
    start += size;
  }

  return {
    spec,
    batches,
    uniqueEvents,
    deliveredEvents: delivered.reduce((total, message) => total + message.body.events.length, 0),
  };
}

/** How many distinct values each declared dimension actually took, to state in the results. */
export function dimensionCardinalities(events: readonly QueuedEvent[]): Record<string, number> {
  return Object.fromEntries(
    DECLARED_DIMENSIONS.map((name) => [name, new Set(events.map((event) => event.dimensions[name])).size]),
  );
}

export function busiestCustomerShare(events: readonly QueuedEvent[]): number {
  const perCustomer = new Map<string, number>();
  for (const event of events) perCustomer.set(event.customerId, (perCustomer.get(event.customerId) ?? 0) + 1);
  return Math.max(...perCustomer.values()) / events.length;
}

const count = (value: number) => value.toLocaleString('en-US');

export function describeWorkload(workload: Workload): string {
  const { spec } = workload;
  const messages = workload.batches.flat();
  const resent = messages.filter((message) => message.resendOf).length;
  const cardinalities = dimensionCardinalities(workload.uniqueEvents);
  const times = workload.uniqueEvents.map((event) => event.meterTimeInMillis);
  const spanMinutes = (Math.max(...times) - Math.min(...times)) / 60_000;
  const batchSizes = workload.batches.map((batch) => batch.length);
  return [
    `Workload (seed ${spec.seed}): ${count(workload.uniqueEvents.length)} unique events of one meter with client ${spec.idSource === 'client' ? 'uniqueIds' : 'ids stamped at ingest'},`,
    `${count(spec.customers)} customers drawn with a Zipf(1) skew (the busiest sends ${(busiestCustomerShare(workload.uniqueEvents) * 100).toFixed(0)}% of events),`,
    `3 declared dimensions: region (${cardinalities.region} values; each customer has a home region, 10% of its events elsewhere),`,
    `plan (${cardinalities.plan} values, fixed per customer, skewed), feature (${cardinalities.feature} values, Zipf(1.2)); integer values 1-5.`,
    `Meter times advance at ${spec.liveEventsPerSecond} events/s from just before an hour boundary (${Math.round(spanMinutes)} minutes in all), up to 2 minutes late.`,
    `${count(workload.deliveredEvents)} events delivered: ${resent} of ${messages.length} messages of ${spec.eventsPerMessage} events are resent requests`,
    `(${((1 - workload.uniqueEvents.length / workload.deliveredEvents) * 100).toFixed(1)}% duplicate events, each resend 1-30 messages after its original, as a client retry after a lost response),`,
    `delivered in ${workload.batches.length} event-source batches of ${Math.min(...batchSizes)}-${Math.max(...batchSizes)} messages.`,
  ].join(' ');
}
