import { SQSClient } from '@aws-sdk/client-sqs';
import type { TallyConfig } from '../config.js';
import { LOCAL_CREDENTIALS } from '../runtime.js';

/**
 * The SQS client of a container. QueueSender owns the retries (with a budget that fits a
 * synchronous request), so the SDK makes one attempt per call; a hung connection is cut short
 * instead of eating the whole Lambda timeout.
 */
export function createSqsClient(config: TallyConfig): SQSClient {
  return new SQSClient({
    region: config.region,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 5_000 },
    // The local emulator's queue URLs name a host that does not resolve: an explicit endpoint wins.
    ...(config.sqsEndpoint ? { endpoint: config.sqsEndpoint, credentials: LOCAL_CREDENTIALS } : {}),
  });
}
