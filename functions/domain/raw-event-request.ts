import { ValidationError } from './errors.js';
import { meterApiNameRule } from './meters.js';
import { Problems } from './validation.js';

/** GET /usage/events, parsed. Times are epoch milliseconds; the range is [from, to). */
export interface RawEventRequest {
  readonly meterApiName: string;
  readonly customerId?: string;
  readonly uniqueId?: string;
  readonly fromMillis: number;
  readonly toMillis: number;
  readonly ascending: boolean;
  readonly limit: number;
  readonly nextPageToken?: string;
  /** The range as the client gave it: a page token continues "the last day until now" as such. */
  readonly requestedRange: { readonly startTimeInSeconds?: number; readonly endTimeInSeconds?: number };
}

export const RAW_EVENT_LIMITS = {
  defaultPageSize: 100,
  maxPageSize: 1_000,
  /** Without a start, the listing covers the last day. */
  defaultRangeSeconds: 86_400,
  /** One Query per day partition: a bound on what one page may cost when the range is sparse. */
  maxRangeDays: 100,
  valueMaxLength: 1_024,
} as const;

const PARAMETERS = [
  'meterApiName',
  'customerId',
  'uniqueId',
  'startTimeInSeconds',
  'endTimeInSeconds',
  'isAscending',
  'limit',
  'pageSize',
  'nextPageToken',
];

function seconds(problems: Problems, name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,12}$/.test(value)) {
    problems.add(name, `expected whole epoch seconds, got "${value.slice(0, 32)}"`);
    return undefined;
  }
  return Number(value);
}

function pageSize(problems: Problems, name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const size = /^\d{1,7}$/.test(value) ? Number(value) : NaN;
  if (!(size >= 1 && size <= RAW_EVENT_LIMITS.maxPageSize)) {
    problems.add(name, `expected a whole number from 1 to ${RAW_EVENT_LIMITS.maxPageSize}, got "${value.slice(0, 32)}"`);
    return undefined;
  }
  return size;
}

export function parseRawEventRequest(
  parameters: Readonly<Record<string, string | undefined>>,
  nowMillis: number,
): RawEventRequest {
  const problems = new Problems();
  const present = Object.fromEntries(Object.entries(parameters).filter(([, value]) => value !== undefined));
  problems.rejectUnknownFields(present, PARAMETERS);
  const meterApiName = problems.requiredString(present, 'meterApiName', meterApiNameRule);
  const customerId = problems.optionalString(present, 'customerId', { maxLength: RAW_EVENT_LIMITS.valueMaxLength });
  const uniqueId = problems.optionalString(present, 'uniqueId', { maxLength: RAW_EVENT_LIMITS.valueMaxLength });
  const nextPageToken = problems.optionalString(present, 'nextPageToken', { maxLength: 4_096 });
  const requestedEnd = seconds(problems, 'endTimeInSeconds', parameters.endTimeInSeconds);
  const requestedStart = seconds(problems, 'startTimeInSeconds', parameters.startTimeInSeconds);
  const end = requestedEnd ?? Math.ceil(nowMillis / 1000);
  const start = requestedStart ?? end - RAW_EVENT_LIMITS.defaultRangeSeconds;
  if (start >= end) problems.add('startTimeInSeconds', `must be before endTimeInSeconds (${start} >= ${end})`);
  if (end - start > RAW_EVENT_LIMITS.maxRangeDays * 86_400) {
    problems.add('startTimeInSeconds', `the range may span at most ${RAW_EVENT_LIMITS.maxRangeDays} days; page through shorter ranges`);
  }
  const ascendingText = parameters.isAscending?.toLowerCase();
  if (ascendingText !== undefined && ascendingText !== 'true' && ascendingText !== 'false') {
    problems.add('isAscending', `expected true or false, got "${parameters.isAscending!.slice(0, 32)}"`);
  }
  const limit = pageSize(problems, 'limit', parameters.limit);
  const size = pageSize(problems, 'pageSize', parameters.pageSize);
  if (limit !== undefined && size !== undefined && limit !== size) problems.add('pageSize', 'give limit or pageSize, not two different values');
  if (!problems.empty) throw ValidationError.fromProblems('Invalid raw event query', problems.list);
  return {
    meterApiName: meterApiName!,
    ...(customerId === undefined ? {} : { customerId }),
    ...(uniqueId === undefined ? {} : { uniqueId }),
    ...(nextPageToken === undefined ? {} : { nextPageToken }),
    fromMillis: start * 1000,
    toMillis: end * 1000,
    // Newest first unless asked otherwise: "what happened lately" is the common question.
    ascending: ascendingText === 'true',
    limit: limit ?? size ?? RAW_EVENT_LIMITS.defaultPageSize,
    requestedRange: {
      ...(requestedStart === undefined ? {} : { startTimeInSeconds: requestedStart }),
      ...(requestedEnd === undefined ? {} : { endTimeInSeconds: requestedEnd }),
    },
  };
}
