import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { logger } from './logger.js';
import { consumeBatch, type BatchCounts } from './pipeline/consume-batch.js';
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
/** CloudWatch metrics through the embedded metric format: log lines, no API calls. */
const metrics = new Metrics({ namespace: 'Tally', serviceName: 'consumer' });

const METRIC_NAMES: Readonly<Record<keyof BatchCounts, string>> = {
  counted: 'EventsCounted',
  filtered: 'EventsFiltered',
  unknownMeter: 'EventsForUnknownMeters',
  duplicates: 'DuplicatesDropped',
  conflicts: 'DuplicateConflicts',
  failedMessages: 'MessagesReturned',
};

function publish(counts: BatchCounts): void {
  for (const [key, name] of Object.entries(METRIC_NAMES)) {
    metrics.addMetric(name, MetricUnit.Count, counts[key as keyof BatchCounts]);
  }
  metrics.publishStoredMetrics();
}

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> =>
  consumeBatch(event.Records, { accounts, writer, log: logger, onCounts: publish });
