import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { packTransactions, placeSlots, planMessage, rollupDeltas, rollupTargets, type RollupTarget } from '../functions/domain/consumption.js';
import { DAY_MILLIS } from '../functions/domain/ingest.js';
import type { QueuedEvent } from '../functions/domain/events.js';
import type { AccountMeters } from '../functions/store/account-config-cache.js';
import { buildRollupUpdate, eventItem, eventPageItem, rollupItemGroups } from '../functions/store/event-commands.js';
import { customerProfiles, dimensionDrawer, seededRandom, uuidFrom, zipfSampler } from './workload.js';

/**
 * A usage-query dataset: many customers over many days, as one generated event stream from which
 * both the raw event items and the rollup items are derived, exactly as the consumer would have
 * stored them, so the same question can be answered from either and the answers compared.
 */
export interface UsageDatasetSpec {
  readonly seed: number;
  readonly accountId: string;
  readonly meterApiName: string;
  readonly customers: number;
  readonly days: number;
  /** The UTC midnight the dataset ends at (exclusive). */
  readonly endMillis: number;
  /** Mean events per customer and day; customers are skewed (Zipf(1)) as in the consumer workload. */
  readonly eventsPerCustomerDay: number;
  /** Rank (0 = busiest) of the one customer that also has history before `days`, at its usual rate. */
  readonly historyCustomerRank: number;
  /** Days of history of that customer, counted back from `endMillis`; at least `days`. */
  readonly historyDays: number;
}

export interface UsageDataset {
  readonly spec: UsageDatasetSpec;
  /** In time order. */
  readonly events: readonly QueuedEvent[];
  readonly historyCustomerId: string;
  /** The events of the history customer per day, before `days`. */
  readonly historyEventsPerDay: number;
}

export function generateUsageDataset(spec: UsageDatasetSpec): UsageDataset {
  if (spec.endMillis % DAY_MILLIS !== 0) throw new Error('the dataset must end at a UTC midnight');
  if (spec.historyDays < spec.days) throw new Error('historyDays must cover days');
  const random = seededRandom(spec.seed);
  const customers = customerProfiles(spec, random);
  const pickCustomer = zipfSampler(customers.length, 1, random);
  const dimensionsOf = dimensionDrawer(random);
  const historyCustomer = customers[spec.historyCustomerRank];
  if (!historyCustomer) throw new Error(`there is no customer of rank ${spec.historyCustomerRank}`);
  const harmonic = customers.reduce((total, _, rank) => total + 1 / (rank + 1), 0);
  const perDay = Math.round(spec.customers * spec.eventsPerCustomerDay);
  const historyEventsPerDay = Math.round(perDay / (spec.historyCustomerRank + 1) / harmonic);

  const events: QueuedEvent[] = [];
  for (let day = spec.historyDays; day >= 1; day--) {
    const dayStart = spec.endMillis - day * DAY_MILLIS;
    const inWindow = day <= spec.days;
    const dayEvents: QueuedEvent[] = [];
    for (let index = 0; index < (inWindow ? perDay : historyEventsPerDay); index++) {
      const customer = inWindow ? customers[pickCustomer()]! : historyCustomer;
      dayEvents.push({
        eventId: uuidFrom(random),
        idSource: 'client',
        meterApiName: spec.meterApiName,
        customerId: customer.customerId,
        meterValue: 1 + Math.floor(random() * 5),
        meterTimeInMillis: dayStart + Math.floor(random() * DAY_MILLIS),
        dimensions: dimensionsOf(customer),
      });
    }
    events.push(...dayEvents.sort((a, b) => a.meterTimeInMillis - b.meterTimeInMillis));
  }
  return { spec, events, historyCustomerId: historyCustomer.customerId, historyEventsPerDay };
}

/** Consecutive events consumed together: one client request of 100 events, as the Amberflo SDKs send them. */
export const DATASET_EVENTS_PER_CONSUMER_BATCH = 100;

/**
 * The Events items the consumer stores for these events, all counted: the event items, and the
 * event pages its transactions write when every `eventsPerBatch` consecutive events arrive as one
 * consumer batch (packed as the consumer packs them). `newPageId` numbers the pages, so a dataset
 * is the same on every run.
 */
export function rawEventItems(
  accountId: string,
  events: readonly QueuedEvent[],
  account: AccountMeters,
  receivedAtMillis: number,
  retentionDays: number,
  newPageId: () => string,
  eventsPerBatch = DATASET_EVENTS_PER_CONSUMER_BATCH,
): { events: Record<string, unknown>[]; pages: Record<string, unknown>[] } {
  const planned = planMessage({ v: 1, accountId, receivedAtMillis, events }, 'dataset', account);
  const uncounted = planned.find((event) => event.status !== 'counted');
  if (uncounted) throw new Error(`event ${uncounted.event.eventId} would not be counted (${uncounted.status})`);
  const pages: Record<string, unknown>[] = [];
  for (let start = 0; start < planned.length; start += eventsPerBatch) {
    for (const plan of packTransactions(planned.slice(start, start + eventsPerBatch), undefined, newPageId)) {
      pages.push(...plan.pages.map((page) => eventPageItem(page, retentionDays)));
    }
  }
  return { events: planned.map((event) => eventItem(event, retentionDays)), pages };
}

/**
 * The Rollups items (customer-hour, with their slots, and customer-day) the consumer leaves for
 * these events: its own placement and update commands, applied in memory to absent items. `keep`
 * leaves out the items a benchmark never reads.
 */
export function rollupItems(
  table: string,
  accountId: string,
  events: readonly QueuedEvent[],
  declaredDimensions: readonly string[],
  keep: (target: RollupTarget) => boolean = () => true,
): Record<string, unknown>[] {
  const placed = placeSlots(events.map((event) => ({ event, rollups: rollupTargets(accountId, event, declaredDimensions).filter(keep) })), new Map());
  // Each item is built by the consumer's own update for an item it has not seen, applied to nothing.
  return rollupItemGroups(rollupDeltas(placed)).map(({ key, deltas }) => applyUpdate(undefined, buildRollupUpdate(table, key, deltas, undefined)));
}

type Update = Pick<UpdateCommandInput, 'Key' | 'UpdateExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>;

/**
 * What an UpdateItem of the forms the consumer sends (`SET a = :v, ...` and `ADD a :v, ...`
 * clauses) makes of an item, or of an absent one. Conditions are not evaluated: the caller applies
 * only updates whose condition holds. Anything else in the expression is refused, so a change to
 * the consumer's commands cannot pass here unnoticed.
 */
export function applyUpdate(item: Record<string, unknown> | undefined, update: Update): Record<string, unknown> {
  const result: Record<string, unknown> = { ...(item ?? update.Key) };
  for (const { action, attribute, operand } of parsedActions(update.UpdateExpression ?? '')) {
    const name = attribute.startsWith('#') ? lookup(update.ExpressionAttributeNames, attribute) : attribute;
    const value = lookup(update.ExpressionAttributeValues, operand);
    if (action === 'SET') result[name] = value;
    else if (action === 'SET_IF_NOT_EXISTS') result[name] ??= value;
    else result[name] = ((result[name] as number | undefined) ?? 0) + (value as number);
  }
  return result;
}

interface UpdateAction {
  readonly action: 'SET' | 'SET_IF_NOT_EXISTS' | 'ADD';
  readonly attribute: string;
  readonly operand: string;
}

/** Every item of a dataset is built with the same few expressions: each is parsed once. */
const parsedExpressions = new Map<string, readonly UpdateAction[]>();

function parsedActions(text: string): readonly UpdateAction[] {
  const cached = parsedExpressions.get(text);
  if (cached) return cached;
  const expression = text.trim().replace(/\s+/g, ' ');
  const clauses = [...expression.matchAll(/\b(SET|ADD) (.+?)(?= (?:SET|ADD|REMOVE|DELETE) |$)/g)];
  if (clauses.map((clause) => clause[0]).join(' ') !== expression) throw new Error(`unsupported update expression: ${expression}`);
  const actions = clauses.flatMap(([, action, body]) =>
    // Commas inside if_not_exists(...) do not separate actions.
    body!.split(/,(?![^(]*\))/).map((text): UpdateAction => {
      const part = text.trim();
      if (action === 'SET') {
        const ifNotExists = /^([#\w]+)\s*=\s*if_not_exists\(\s*([#\w]+)\s*,\s*(:\w+)\s*\)$/.exec(part);
        if (ifNotExists && ifNotExists[1] === ifNotExists[2]) {
          return { action: 'SET_IF_NOT_EXISTS', attribute: ifNotExists[1]!, operand: ifNotExists[3]! };
        }
      }
      const match = action === 'SET' ? /^([#\w]+)\s*=\s*(:\w+)$/.exec(part) : /^([#\w]+)\s+(:\w+)$/.exec(part);
      if (!match) throw new Error(`unsupported ${action} action: ${part}`);
      return { action: action as 'SET' | 'ADD', attribute: match[1]!, operand: match[2]! };
    }),
  );
  parsedExpressions.set(text, actions);
  return actions;
}

function lookup<T>(table: Record<string, T> | undefined, token: string): T {
  if (!table || !Object.hasOwn(table, token)) throw new Error(`the update expression names ${token} but does not define it`);
  return table[token]!;
}
