import { randomUUID } from 'node:crypto';
import { requireQueueUrl } from './config.js';
import { ingestReceipt, INGEST_LIMITS, parseIngestBody, referencedMeterNames, validateIngestRecords } from './domain/ingest.js';
import { httpHandler, ok, type RouteAction } from './http/http-handler.js';
import { packMessages } from './queue/packing.js';
import { QueueSender } from './queue/queue-sender.js';
import { createSqsClient } from './queue/sqs-client.js';
import { runtime } from './runtime.js';
import { AccountConfigCache } from './store/account-config-cache.js';
import { ConfigStore } from './store/config-store.js';

const { ddb, config } = runtime();
const store = new ConfigStore(ddb, config.tables.config);
const accounts = new AccountConfigCache((accountId) => store.loadAccountConfiguration(accountId));
const sender = new QueueSender(createSqsClient(config), requireQueueUrl(config));

/**
 * 200: every event of the request is on the queue. 4xx: nothing was enqueued. 503: the queue
 * refused part of it; the client retries the whole request and the consumer drops what it already
 * counted (by uniqueId).
 */
const ingest: RouteAction = async (request) => {
  const accountId = request.accountId;
  const records = parseIngestBody(request.bodyBytes(INGEST_LIMITS.maxBodyBytes));
  const receivedAtMillis = Date.now();
  const { meters } = await accounts.getWithMeters(accountId, referencedMeterNames(records));
  const events = validateIngestRecords(records, {
    meters,
    nowMillis: receivedAtMillis,
    latenessLimitDays: config.latenessLimitDays,
    newEventId: randomUUID,
  });
  await sender.send(packMessages({ accountId, receivedAtMillis }, events));
  return ok(ingestReceipt(records.length));
};

export const handler = httpHandler({
  'POST /ingest': ingest,
  'POST /ingest/': ingest,
});
