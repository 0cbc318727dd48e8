import { PayloadTooLargeError } from '../domain/errors.js';
import { QUEUE_MESSAGE_VERSION, type QueuedEvent, type QueueMessageBody } from '../domain/events.js';

/** Hard limits of SQS standard queues. */
export const SQS_LIMITS = {
  /** One message body (Tally sends no message attributes). */
  maxMessageBytes: 1_048_576,
  /** All bodies of one SendMessageBatch together. */
  maxBatchBytes: 1_048_576,
  maxBatchEntries: 10,
} as const;

export const PACKING_LIMITS = {
  /**
   * Events are packed into messages of about this size. SQS bills every 64 KiB of a message as one
   * request, so larger messages save nothing, while smaller ones make a consumer retry (which
   * redoes a whole message) cheaper. An event larger than this travels alone, up to the SQS limit.
   */
  targetMessageBytes: 64 * 1024,
  /**
   * All messages of one request together. `values` can multiply a body's size by the number of
   * meters it names; this keeps the memory and queue traffic of one request bounded.
   */
  maxRequestBytes: 32 * 1024 * 1024,
} as const;

/**
 * JSON with every non-ASCII character escaped. SQS refuses some characters (U+FFFE, U+FFFF, and
 * the local emulator all astral ones); ASCII always passes, and the byte size is the length.
 */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Fixed field order, so equal events serialize to equal text. */
function serializeEvent(event: QueuedEvent): string {
  return asciiJson({
    eventId: event.eventId,
    idSource: event.idSource,
    meterApiName: event.meterApiName,
    customerId: event.customerId,
    meterValue: event.meterValue,
    meterTimeInMillis: event.meterTimeInMillis,
    dimensions: event.dimensions,
  } satisfies QueuedEvent);
}

export interface MessageHeader {
  readonly accountId: string;
  readonly receivedAtMillis: number;
}

function messageText(header: MessageHeader, serializedEvents: readonly string[]): string {
  const envelope = asciiJson({
    v: QUEUE_MESSAGE_VERSION,
    accountId: header.accountId,
    receivedAtMillis: header.receivedAtMillis,
    events: [],
  } satisfies QueueMessageBody);
  // The envelope ends in `[]}`: splice the already serialized events between the brackets.
  return `${envelope.slice(0, -2)}${serializedEvents.join(',')}]}`;
}

/**
 * Packs one request's events, in order, into QueueMessageBody texts of about `targetBytes`
 * each, never above `maxMessageBytes`. Throws PayloadTooLargeError when the request as a whole
 * would exceed `maxRequestBytes`.
 */
export function packMessages(
  header: MessageHeader,
  events: readonly QueuedEvent[],
  limits: { targetBytes: number; maxMessageBytes: number; maxRequestBytes: number } = {
    targetBytes: PACKING_LIMITS.targetMessageBytes,
    maxMessageBytes: SQS_LIMITS.maxMessageBytes,
    maxRequestBytes: PACKING_LIMITS.maxRequestBytes,
  },
): string[] {
  const envelopeBytes = messageText(header, []).length;
  const messages: string[] = [];
  let current: string[] = [];
  let currentBytes = envelopeBytes;
  let totalBytes = 0;
  const flush = () => {
    if (current.length === 0) return;
    messages.push(messageText(header, current));
    totalBytes += currentBytes;
    current = [];
    currentBytes = envelopeBytes;
  };
  for (const event of events) {
    const serialized = serializeEvent(event);
    if (envelopeBytes + serialized.length > limits.maxMessageBytes) {
      throw new Error(`event ${event.eventId} serializes to ${serialized.length} bytes, more than one SQS message holds`);
    }
    if (current.length > 0 && currentBytes + 1 + serialized.length > limits.targetBytes) flush();
    currentBytes += (current.length > 0 ? 1 : 0) + serialized.length;
    current.push(serialized);
    if (totalBytes + currentBytes > limits.maxRequestBytes) {
      throw new PayloadTooLargeError(
        'Request too large',
        `the request's events take more than ${limits.maxRequestBytes} bytes on the queue (each meter named in values counts as one event); split it into several requests`,
      );
    }
  }
  flush();
  return messages;
}

/**
 * Groups message texts, in order, into SendMessageBatch calls: at most `maxBatchEntries` each and
 * at most `maxBatchBytes` of bodies together. Returns the indexes of the texts in each batch.
 */
export function groupIntoBatches(
  messages: readonly string[],
  limits: { maxBatchEntries: number; maxBatchBytes: number } = SQS_LIMITS,
): number[][] {
  const batches: number[][] = [];
  let current: number[] = [];
  let currentBytes = 0;
  for (const [index, message] of messages.entries()) {
    const bytes = Buffer.byteLength(message, 'utf8');
    if (current.length > 0 && (current.length === limits.maxBatchEntries || currentBytes + bytes > limits.maxBatchBytes)) {
      batches.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(index);
    currentBytes += bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
