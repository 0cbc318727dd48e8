import { bucketIndexOf } from './buckets.js';
import { ValidationError } from './errors.js';
import { PairIndex } from './pair-index.js';
import type { RollupRow } from './rollups.js';
import type { UsagePlan } from './usage-request.js';

/** The grouping and filtering key that is not a dimension. */
export const CUSTOMER_ID_KEY = 'customerId';

/**
 * Groups per response. A thousand series is more than a chart or an invoice run can use; beyond
 * it the client wants `take` (top groups) or a filter.
 */
export const MAX_GROUPS = 1_000;

/**
 * Values (groups x buckets) per response. A report value serialises to at most ~120 bytes, so
 * 40,000 of them stay under 5 MB, inside Lambda's 6 MB response limit with room for group labels.
 */
export const MAX_VALUES = 40_000;

export interface UsageGroup {
  /** The groupBy keys' values, in groupBy order; a key is absent when the usage lacked that dimension. */
  readonly groupInfo: Readonly<Record<string, string>>;
  /** Whole-range value: SUM and COUNT total, MAX and MIN extreme, distinct customers over the range. */
  readonly total: number;
  /** One value per bucket of the plan's grid, 0 where the group had nothing. */
  readonly values: readonly number[];
}

/** A group's key: one value per groupBy key, undefined where the row lacked the dimension. */
type GroupKey = readonly (string | undefined)[];

/** One level of the group index: a groupBy value -> the next level, or the group at the last. */
type GroupLevel = Map<string | undefined, GroupLevel | number>;

/**
 * Turns a usage plan and rollup rows into groups x buckets in one pass. Rows may arrive in any
 * order and in several `add` calls (pages of a storage read); rows of other meters, outside the
 * grid or filtered out are skipped. Memory grows with the number of distinct (group, bucket)
 * cells touched, never with groups x buckets, so `take` over many groups stays cheap.
 *
 * A group exists once any row of it passes the filters. Groups are ordered by their key values
 * (groupBy order, missing dimension first, then by UTF-16 code units); with `take`, by whole-range
 * value (descending unless isAscending), ties in key order.
 */
export class UsageAggregator {
  private readonly bucketCount: number;
  private readonly customerGrouped: boolean[];
  private readonly dimensionFilters: [string, ReadonlySet<string>][];
  /** groupBy value -> ... -> group index, one Map level per groupBy key (no key strings built). */
  private readonly groupIndex: GroupLevel = new Map();
  private readonly groupKeys: GroupKey[] = [];
  private readonly totals = new GrowableArray();
  /** (group, bucket) -> cell, the index into cellValues. */
  private readonly cells = new PairIndex();
  private readonly cellValues = new GrowableArray();
  /** DISTINCT_CUSTOMERS: customer -> number, and the (customer, cell) and (customer, group) pairs counted. */
  private readonly customerNumbers = new Map<string, number>();
  private readonly countedInCell = new PairIndex();
  private readonly countedInGroup = new PairIndex();
  private readonly empty: number;

  constructor(private readonly plan: UsagePlan) {
    this.bucketCount = plan.grid.bucketCount;
    this.customerGrouped = plan.query.groupBy.map((key) => key === CUSTOMER_ID_KEY);
    this.dimensionFilters = [...plan.dimensionFilters];
    // MAX and MIN start empty (NaN) so the first counted row sets them; empty cells end up as 0.
    this.empty = plan.measure === 'MAX' || plan.measure === 'MIN' ? NaN : 0;
    if (plan.query.groupBy.length === 0) this.newGroup([]);
  }

  add(rows: Iterable<RollupRow>): void {
    const { grid, measure, customerIds } = this.plan;
    const meterApiName = this.plan.query.meterApiName;
    for (const row of rows) {
      if (row.meterApiName !== meterApiName) continue;
      const bucket = bucketIndexOf(grid, row.hourStartMillis);
      if (bucket < 0) continue;
      if (customerIds !== undefined && !customerIds.has(row.customerId)) continue;
      if (!this.passesDimensionFilters(row)) continue;
      const group = this.groupOf(row);
      const cell = this.cellOf(group, bucket);
      const cellValues = this.cellValues.values;
      const totals = this.totals.values;
      switch (measure) {
        case 'SUM':
          cellValues[cell] += row.sum;
          totals[group] += row.sum;
          break;
        case 'COUNT':
          cellValues[cell] += row.count;
          totals[group] += row.count;
          break;
        case 'MAX':
          if (row.count > 0) {
            if (!(cellValues[cell]! >= row.max)) cellValues[cell] = row.max;
            if (!(totals[group]! >= row.max)) totals[group] = row.max;
          }
          break;
        case 'MIN':
          if (row.count > 0) {
            if (!(cellValues[cell]! <= row.min)) cellValues[cell] = row.min;
            if (!(totals[group]! <= row.min)) totals[group] = row.min;
          }
          break;
        case 'DISTINCT_CUSTOMERS':
          if (row.count > 0) this.countCustomer(row.customerId, group, cell);
          break;
      }
    }
  }

  /** The groups in response order, after `take`; 400 when the response would exceed the caps. */
  finish(): UsageGroup[] {
    const totals = Array.from({ length: this.groupKeys.length }, (_, group) => orZero(this.totals.values[group]!));
    const order = this.groupKeys.map((_, group) => group).sort((a, b) => compareKeys(this.groupKeys[a]!, this.groupKeys[b]!));
    const take = this.plan.query.take;
    let kept = order;
    if (take) {
      const direction = take.isAscending ? 1 : -1;
      // Array.prototype.sort is stable, so equal totals keep their key order.
      kept = order.sort((a, b) => direction * (totals[a]! - totals[b]!)).slice(0, take.limit);
    } else if (order.length > MAX_GROUPS) {
      throw new ValidationError(
        'Too many groups',
        `the query yields ${order.length} groups; the limit is ${MAX_GROUPS} per response: narrow it with ` +
          'filter or customerFilter, or keep the top groups with take: {limit, isAscending}',
      );
    }
    const valueCount = kept.length * this.bucketCount;
    if (valueCount > MAX_VALUES) {
      throw new ValidationError(
        'Response too large',
        `${kept.length} groups x ${this.bucketCount} buckets = ${valueCount} values; the limit is ${MAX_VALUES} per ` +
          'response: use a coarser timeGroupingInterval, a shorter range, a filter, or a smaller take.limit',
      );
    }
    const position = new Int32Array(this.groupKeys.length).fill(-1);
    kept.forEach((group, index) => (position[group] = index));
    const series = kept.map(() => new Array<number>(this.bucketCount).fill(0));
    for (let cell = 0; cell < this.cells.size; cell += 1) {
      const index = position[this.cells.first(cell)]!;
      if (index >= 0) series[index]![this.cells.second(cell)] = orZero(this.cellValues.values[cell]!);
    }
    return kept.map((group, index) => ({
      groupInfo: this.groupInfoOf(this.groupKeys[group]!),
      total: totals[group]!,
      values: series[index]!,
    }));
  }

  private passesDimensionFilters(row: RollupRow): boolean {
    for (const [dimension, accepted] of this.dimensionFilters) {
      const value = Object.hasOwn(row.dimensions, dimension) ? row.dimensions[dimension] : undefined;
      if (value === undefined || !accepted.has(value)) return false;
    }
    return true;
  }

  private groupOf(row: RollupRow): number {
    const groupBy = this.plan.query.groupBy;
    if (groupBy.length === 0) return 0;
    const last = groupBy.length - 1;
    let level = this.groupIndex;
    for (let depth = 0; depth < last; depth += 1) {
      const value = this.keyValue(row, depth);
      let next = level.get(value) as GroupLevel | undefined;
      if (next === undefined) {
        next = new Map();
        level.set(value, next);
      }
      level = next;
    }
    const leafValue = this.keyValue(row, last);
    const existing = level.get(leafValue) as number | undefined;
    if (existing !== undefined) return existing;
    const group = this.newGroup(groupBy.map((_, depth) => this.keyValue(row, depth)));
    level.set(leafValue, group);
    return group;
  }

  private keyValue(row: RollupRow, depth: number): string | undefined {
    if (this.customerGrouped[depth]) return row.customerId;
    const dimension = this.plan.query.groupBy[depth]!;
    return Object.hasOwn(row.dimensions, dimension) ? row.dimensions[dimension] : undefined;
  }

  private newGroup(key: GroupKey): number {
    this.groupKeys.push(key);
    this.totals.push(this.empty);
    return this.groupKeys.length - 1;
  }

  private cellOf(group: number, bucket: number): number {
    const cell = this.cells.indexOf(group, bucket);
    if (cell === this.cellValues.length) this.cellValues.push(this.empty);
    return cell;
  }

  private countCustomer(customerId: string, group: number, cell: number): void {
    let customer = this.customerNumbers.get(customerId);
    if (customer === undefined) {
      customer = this.customerNumbers.size;
      this.customerNumbers.set(customerId, customer);
    }
    if (this.countedInCell.add(customer, cell)) this.cellValues.values[cell]! += 1;
    if (this.countedInGroup.add(customer, group)) this.totals.values[group]! += 1;
  }

  private groupInfoOf(key: GroupKey): Record<string, string> {
    // fromEntries defines own properties, so a dimension named __proto__ stays a key.
    return Object.fromEntries(
      this.plan.query.groupBy.flatMap((name, index) => (key[index] === undefined ? [] : [[name, key[index]!]])),
    );
  }
}

/** Aggregates all rows at once; see UsageAggregator. */
export function aggregateUsage(plan: UsagePlan, rows: Iterable<RollupRow>): UsageGroup[] {
  const aggregator = new UsageAggregator(plan);
  aggregator.add(rows);
  return aggregator.finish();
}

function orZero(value: number): number {
  return Number.isNaN(value) ? 0 : value;
}

function compareKeys(a: GroupKey, b: GroupKey): number {
  for (let index = 0; index < a.length; index += 1) {
    const left = a[index];
    const right = b[index];
    if (left === right) continue;
    if (left === undefined) return -1;
    if (right === undefined) return 1;
    return left < right ? -1 : 1;
  }
  return 0;
}

/** A Float64Array that doubles when full, so cells and groups cost no allocation per row. */
class GrowableArray {
  values = new Float64Array(1024);
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(value: number): void {
    if (this.size === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.size] = value;
    this.size += 1;
  }
}
