/**
 * The event as it travels from ingest to the consumer: validated, expanded (one entry per meter
 * for `values` events) and carrying a stable id, so every redelivery of it is recognised.
 */
export interface QueuedEvent {
  /** The client's uniqueId, or an id stamped at ingest when the client sent none. */
  readonly eventId: string;
  /** Whether eventId came from the client (uniqueId) or was stamped at ingest. */
  readonly idSource: 'client' | 'stamped';
  readonly meterApiName: string;
  readonly customerId: string;
  readonly meterValue: number;
  readonly meterTimeInMillis: number;
  /** All of the event's dimensions; only the meter's declared ones reach the rollups. */
  readonly dimensions: Readonly<Record<string, string>>;
}

/**
 * Body of one SQS message: many events of one account, from one ingest request.
 * `v` lets a consumer refuse a format it does not know instead of misreading it.
 */
export interface QueueMessageBody {
  readonly v: 1;
  readonly accountId: string;
  /** When the ingest handler accepted the request. */
  readonly receivedAtMillis: number;
  readonly events: readonly QueuedEvent[];
}

export const QUEUE_MESSAGE_VERSION = 1;
