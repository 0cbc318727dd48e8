import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MeterDefinition } from '../functions/domain/meters.js';
import { declaredDimensions, hourStartOf, type RollupRow } from '../functions/domain/rollups.js';
import { aggregateUsage } from '../functions/domain/usage-aggregation.js';
import { parseUsageRequest, planUsageQuery, type UsagePlan } from '../functions/domain/usage-request.js';
import { usageResponse } from '../functions/domain/usage-response.js';
import { queryAll } from '../functions/store/dynamo.js';
import { decodePageEntries } from '../functions/domain/event-pages.js';
import { buildEventPageDayQuery, dayPartitions, isEntryOf, readListedEvents, type RawEvent } from '../functions/store/raw-events.js';
import { forEachLimited } from '../functions/store/retry.js';

/**
 * POST /usage answered the brute-force way: every raw event of the range read back as the raw-event
 * listing reads it (the event pages of each day, then the event items they list) and aggregated in
 * memory. Everything but the read is what the handler does
 * (same parsing, plan, aggregation and response), so the two answers can be compared byte for byte
 * and the difference in time is the difference between reading rollups and reading events.
 */

/** Day partitions read at once: as many as the rollup reader reads partitions at once. */
const READ_CONCURRENCY = 8;

/** A counted raw event as a one-event rollup row of its hour; other statuses add nothing. */
export function rawEventRow(
  event: Pick<RawEvent, 'status' | 'meterApiName' | 'meterValue' | 'meterTimeInMillis' | 'customerId' | 'dimensions'>,
  meter: Pick<MeterDefinition, 'dimensions'>,
): RollupRow | undefined {
  if (event.status !== 'counted') return undefined;
  const value = event.meterValue;
  return {
    meterApiName: event.meterApiName,
    hourStartMillis: hourStartOf(event.meterTimeInMillis),
    customerId: event.customerId,
    dimensions: declaredDimensions(meter, event.dimensions),
    sum: value,
    count: 1,
    min: value,
    max: value,
  };
}

/**
 * Every raw event of the plan's range: the event pages of each day partition (one Query, every
 * 1 MB page of it), then the event items of the entries inside the range; a one-customer plan
 * keeps only that customer's entries, as GET /usage/events does.
 */
export async function readRawRows(
  ddb: DynamoDBDocumentClient,
  eventsTable: string,
  accountId: string,
  plan: UsagePlan,
  meter: MeterDefinition,
): Promise<RollupRow[]> {
  const customers = plan.customerIds;
  const query = {
    accountId,
    meterApiName: plan.query.meterApiName,
    ...(customers?.size === 1 ? { customerId: [...customers][0]! } : {}),
    fromMillis: plan.grid.startMillis,
    toMillis: plan.grid.endMillis,
    ascending: true,
    limit: 1,
  };
  const rows: RollupRow[] = [];
  await forEachLimited(dayPartitions(query.fromMillis, query.toMillis, true), READ_CONCURRENCY, async (day) => {
    // No Limit: every page DynamoDB will return (1 MB each) until the partition is done.
    const input = { ...buildEventPageDayQuery(eventsTable, query, day, query.limit), Limit: undefined };
    const pages = await queryAll<Record<string, unknown>>(ddb, input);
    const entries = pages.flatMap((page) => decodePageEntries(page.entries as Uint8Array)).filter((entry) => isEntryOf(query, entry));
    for (const event of await readListedEvents(ddb, eventsTable, query, entries)) {
      const row = rawEventRow(event, meter);
      if (row) rows.push(row);
    }
  });
  return rows;
}

/** The JSON body POST /usage would answer, computed from raw events. */
export async function usageFromRawEvents(
  ddb: DynamoDBDocumentClient,
  eventsTable: string,
  accountId: string,
  requestBody: string,
  getMeter: (meterApiName: string) => Promise<MeterDefinition>,
): Promise<string> {
  const request = parseUsageRequest(JSON.parse(requestBody), Date.now());
  const meter = await getMeter(request.query.meterApiName);
  const plan = planUsageQuery(request.query, meter);
  const rows = await readRawRows(ddb, eventsTable, accountId, plan, meter);
  return JSON.stringify(usageResponse(request, plan, aggregateUsage(plan, rows)));
}
