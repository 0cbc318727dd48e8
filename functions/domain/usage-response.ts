import type { UsageGroup } from './usage-aggregation.js';
import type { Aggregation, UsagePlan, UsageRequest, UsageTake } from './usage-request.js';
import type { TimeGroupingInterval } from './buckets.js';

/** The seed's response: meter name -> one entry per group, one single-key record per bucket. */
export interface SeedUsageResponse {
  readonly clientMeters: Record<string, SeedUsageRecord[]>;
}

export interface SeedUsageRecord {
  readonly groupInfo: Readonly<Record<string, string>>;
  /** `{"<bucket start, epoch seconds>": value}` for every bucket, in time order. */
  readonly records: Record<string, number>[];
}

/** The report the Amberflo SDKs parse (requests that used `timeRange`, /usage/batch, /usage/all). */
export interface UsageReport {
  readonly metadata: UsageReportMetadata;
  /** Bucket starts, epoch seconds. */
  readonly secondsSinceEpochIntervals: number[];
  readonly clientMeters: UsageReportGroup[];
}

/** The query as understood: the aggregation resolved and the end filled in. */
export interface UsageReportMetadata {
  readonly meterApiName: string;
  readonly aggregation: Aggregation;
  readonly timeGroupingInterval: TimeGroupingInterval;
  readonly timeRange: { readonly startTimeInSeconds: number; readonly endTimeInSeconds: number };
  readonly groupBy?: readonly string[];
  readonly customerFilter?: readonly string[];
  readonly filter?: Readonly<Record<string, readonly string[]>>;
  readonly take?: UsageTake;
  readonly timeZone?: string;
}

export interface UsageReportGroup {
  /** Null when the query was not grouped. */
  readonly group: { readonly groupInfo: Readonly<Record<string, string>> } | null;
  readonly groupValue: number;
  readonly values: UsageReportValue[];
}

export interface UsageReportValue {
  readonly value: number;
  readonly secondsSinceEpochUtc: number;
  readonly percentageFromPrevious: number;
}

/** Answers a request in the shape it asked for. */
export function usageResponse(
  request: Pick<UsageRequest, 'shape'>,
  plan: UsagePlan,
  groups: readonly UsageGroup[],
): SeedUsageResponse | UsageReport {
  return request.shape === 'seed' ? seedUsageResponse(plan, groups) : usageReport(plan, groups);
}

export function seedUsageResponse(plan: UsagePlan, groups: readonly UsageGroup[]): SeedUsageResponse {
  const keys = bucketStartsInSeconds(plan).map(String);
  return {
    clientMeters: {
      [plan.query.meterApiName]: groups.map((group) => ({
        groupInfo: group.groupInfo,
        records: group.values.map((value, bucket) => ({ [keys[bucket]!]: value })),
      })),
    },
  };
}

export function usageReport(plan: UsagePlan, groups: readonly UsageGroup[]): UsageReport {
  const starts = bucketStartsInSeconds(plan);
  const grouped = plan.query.groupBy.length > 0;
  return {
    metadata: reportMetadata(plan),
    secondsSinceEpochIntervals: starts,
    clientMeters: groups.map((group) => {
      const percentages = percentagesFromPrevious(group.values);
      return {
        group: grouped ? { groupInfo: group.groupInfo } : null,
        groupValue: group.total,
        values: group.values.map((value, bucket) => ({
          value,
          secondsSinceEpochUtc: starts[bucket]!,
          percentageFromPrevious: percentages[bucket]!,
        })),
      };
    }),
  };
}

/**
 * Change from the previous bucket, in percent: (current - previous) / previous * 100, taken
 * literally for negative values too; 100 (or -100) when the previous is 0 and the current is not;
 * 0 when both are 0 and for the first bucket.
 */
export function percentagesFromPrevious(values: readonly number[]): number[] {
  return values.map((current, index) => {
    if (index === 0) return 0;
    const previous = values[index - 1]!;
    if (previous === 0) return current === 0 ? 0 : Math.sign(current) * 100;
    return ((current - previous) / previous) * 100;
  });
}

function bucketStartsInSeconds(plan: UsagePlan): number[] {
  return plan.grid.boundaries.slice(0, -1).map((millis) => millis / 1000);
}

function reportMetadata(plan: UsagePlan): UsageReportMetadata {
  const { query } = plan;
  return {
    meterApiName: query.meterApiName,
    aggregation: plan.aggregation,
    timeGroupingInterval: query.timeGroupingInterval,
    timeRange: { startTimeInSeconds: query.startTimeInSeconds, endTimeInSeconds: query.endTimeInSeconds },
    ...(query.groupBy.length > 0 ? { groupBy: query.groupBy } : {}),
    ...(query.customerFilter ? { customerFilter: query.customerFilter } : {}),
    ...(Object.keys(query.filter).length > 0 ? { filter: query.filter } : {}),
    ...(query.take ? { take: query.take } : {}),
    ...(query.timeZone ? { timeZone: query.timeZone } : {}),
  };
}
