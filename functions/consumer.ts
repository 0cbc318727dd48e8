import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

// TEMPORARY placeholder so this branch synthesizes; the real consumer comes from its own branch.
// It reports every message as failed, so nothing is dropped: messages end in the dead-letter queue.
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => ({
  batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })),
});
