import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { logger } from './logger.js';
import { consumeBatch } from './pipeline/consume-batch.js';
import { runtime } from './runtime.js';
import { AccountConfigCache } from './store/account-config-cache.js';
import { ConfigStore } from './store/config-store.js';
import { EventWriter } from './store/event-writer.js';

const { ddb, config } = runtime();
const configStore = new ConfigStore(ddb, config.tables.config);
const accounts = new AccountConfigCache((accountId) => configStore.loadAccountConfiguration(accountId));
const writer = new EventWriter(
  ddb,
  { events: config.tables.events, rollups: config.tables.rollups },
  { retentionDays: config.rawRetentionDays },
);

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> =>
  consumeBatch(event.Records, { accounts, writer, log: logger });
