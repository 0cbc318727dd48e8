import { PayloadTooLargeError, ValidationError } from './errors.js';
import type { QueuedEvent } from './events.js';
import { describeType, isJsonObject, Problems, truncate, type JsonObject } from './validation.js';

/**
 * POST /ingest: from the request body to the events that go on the queue. Pure: the account's
 * meters, the clock and the id generator are handed in. A request is accepted or refused whole.
 */
export const INGEST_LIMITS = {
  /**
   * Body size after gzip is undone. API Gateway accepts 10 MB, but the body reaches the Lambda
   * inside a 6 MB invocation payload (base64 for binary bodies), so 4 MiB leaves room.
   */
  maxBodyBytes: 4 * 1024 * 1024,
  /** Event objects per request (the Amberflo SDKs send 100). */
  maxRecordsPerRequest: 1_000,
  /** Meters named in one event's `values`. */
  maxMetersPerRecord: 20,
  /** Queued events per request once `values` is expanded (one per meter). */
  maxEventsPerRequest: 10_000,
  customerIdMaxLength: 256,
  uniqueIdMaxLength: 256,
  maxDimensions: 50,
  dimensionNameMaxLength: 64,
  dimensionValueMaxLength: 256,
  /** Clocks drift; an event further ahead than this is a client bug (often seconds vs millis). */
  maxFutureMillis: 5 * 60_000,
  /**
   * DynamoDB stores numbers of magnitude 1e-130 to 1e126 with at most 38 significant digits (an
   * ADD whose exact result needs more fails). These bounds keep every value storable and its
   * significant range within 27 decimal places, so sums kept to 12 decimals stay exact.
   */
  maxAbsMeterValue: 1e15,
  minAbsNonZeroMeterValue: 1e-12,
  /** Problems listed in one 400; the rest are counted. */
  maxListedProblems: 20,
} as const;

export const DAY_MILLIS = 86_400_000;

/** Timestamps below this are certainly seconds, not milliseconds (1e11 ms is March 1973). */
const SECONDS_LOOK_LIKE = 1e11;

const EVENT_FIELDS = ['meterApiName', 'customerId', 'meterValue', 'meterTimeInMillis', 'uniqueId', 'dimensions', 'values'];

const BODY_SHAPES = 'one event object, a JSON array of event objects, or NDJSON (one event object per line)';

/** One event object of the body, before validation, with where it was found. */
export interface IngestRecord {
  /** `events[3]` for an array, `line 4` for NDJSON, empty for a single object. */
  readonly where: string;
  readonly value: unknown;
}

/**
 * Splits the body into event records: a single JSON object, a JSON array, or NDJSON. The format
 * is told from the text itself, never from Content-Type, which some clients do not send.
 */
export function parseIngestBody(bytes: Uint8Array): IngestRecord[] {
  const text = decodeUtf8(bytes);
  if (text.trim() === '') throw new ValidationError('Missing body', `send ${BODY_SHAPES}`);
  if (text.trimStart().startsWith('[')) return parseArray(text);
  const whole = tryParseJson(text);
  if (whole.ok) {
    if (!isJsonObject(whole.value)) {
      throw new ValidationError('Invalid body', `expected ${BODY_SHAPES}; got a JSON ${describeType(whole.value)}`);
    }
    return [{ where: '', value: whole.value }];
  }
  return parseNdjson(text, whole.error);
}

function decodeUtf8(bytes: Uint8Array): string {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw new ValidationError('Malformed body', 'the body looks gzip-compressed; send it with the header Content-Encoding: gzip');
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new ValidationError('Malformed body', 'the body is not valid UTF-8 text', { cause: error });
  }
}

type JsonResult = { ok: true; value: unknown } | { ok: false; error: string };

function tryParseJson(text: string): JsonResult {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

function tooManyRecords(count: number): PayloadTooLargeError {
  return new PayloadTooLargeError(
    'Too many events',
    `a request may hold at most ${INGEST_LIMITS.maxRecordsPerRequest} events, this one holds ${count}; split it into several requests`,
  );
}

function parseArray(text: string): IngestRecord[] {
  const parsed = tryParseJson(text);
  if (!parsed.ok) throw new ValidationError('Malformed JSON', `the body is not valid JSON: ${parsed.error}`);
  if (!Array.isArray(parsed.value)) {
    throw new ValidationError('Invalid body', `expected ${BODY_SHAPES}; got a JSON ${describeType(parsed.value)}`);
  }
  if (parsed.value.length > INGEST_LIMITS.maxRecordsPerRequest) throw tooManyRecords(parsed.value.length);
  return parsed.value.map((value, index) => ({ where: `events[${index}]`, value }));
}

function parseNdjson(text: string, wholeBodyError: string): IngestRecord[] {
  const lines = text
    .split('\n')
    .map((line, index) => ({ number: index + 1, text: line }))
    .filter((line) => line.text.trim() !== '');
  // One line that is not JSON is a malformed JSON body, not a one-line NDJSON body.
  if (lines.length < 2) throw new ValidationError('Malformed JSON', `the body is not valid JSON: ${wholeBodyError}`);
  if (lines.length > INGEST_LIMITS.maxRecordsPerRequest) throw tooManyRecords(lines.length);
  const parsed = lines.map((line) => ({ line, result: tryParseJson(line.text) }));
  if (parsed.every(({ result }) => !result.ok)) {
    throw new ValidationError('Malformed JSON', `the body is neither JSON nor NDJSON: ${wholeBodyError}`);
  }
  const problems: string[] = [];
  for (const { line, result } of parsed) {
    if (!result.ok) problems.push(`line ${line.number}: not valid JSON (${result.error})`);
    else if (!isJsonObject(result.value)) problems.push(`line ${line.number}: expected an event object, got ${describeType(result.value)}`);
  }
  if (problems.length > 0) {
    throw ValidationError.fromProblems(
      `Malformed NDJSON: ${problems.length} of ${lines.length} lines are not event objects; nothing was ingested`,
      problems,
      INGEST_LIMITS.maxListedProblems,
    );
  }
  return parsed.map(({ line, result }) => ({ where: `line ${line.number}`, value: (result as { value: unknown }).value }));
}

/** The meter names a body refers to, read before validation so the caller can fetch fresh meters. */
export function referencedMeterNames(records: readonly IngestRecord[]): Set<string> {
  const names = new Set<string>();
  for (const { value } of records) {
    if (!isJsonObject(value)) continue;
    if (typeof value.meterApiName === 'string') names.add(value.meterApiName);
    if (isJsonObject(value.values)) for (const name of Object.keys(value.values)) names.add(name);
  }
  return names;
}

export interface IngestContext {
  /** The account's meters by meterApiName; only their names matter here. */
  readonly meters: Pick<ReadonlyMap<string, unknown>, 'has'>;
  readonly nowMillis: number;
  readonly latenessLimitDays: number;
  /** A fresh id for an event that came without uniqueId. */
  readonly newEventId: () => string;
}

/**
 * Validates every record and expands `values` into one event per meter. Throws a ValidationError
 * listing each problem by place and field when any record is invalid: nothing is half-accepted.
 */
export function validateIngestRecords(records: readonly IngestRecord[], context: IngestContext): QueuedEvent[] {
  const problems: string[] = [];
  const valid: ValidRecord[] = [];
  let invalidRecords = 0;
  for (const record of records) {
    if (!isJsonObject(record.value)) {
      invalidRecords++;
      problems.push(`${record.where || 'body'}: expected an event object, got ${describeType(record.value)}`);
      continue;
    }
    const recordProblems = new Problems(problemPrefix(record.where));
    const checked = validateRecord(record.value, recordProblems, context);
    if (checked) valid.push(checked);
    else {
      invalidRecords++;
      problems.push(...recordProblems.list);
    }
  }
  if (problems.length > 0) {
    throw ValidationError.fromProblems(
      `Invalid events: ${invalidRecords} of ${records.length} rejected; nothing was ingested`,
      problems,
      INGEST_LIMITS.maxListedProblems,
    );
  }
  const eventCount = valid.reduce((sum, record) => sum + record.meters.length, 0);
  if (eventCount > INGEST_LIMITS.maxEventsPerRequest) {
    throw new PayloadTooLargeError(
      'Too many events',
      `after expanding values the request holds ${eventCount} meter events, more than ${INGEST_LIMITS.maxEventsPerRequest}; split it into several requests`,
    );
  }
  return valid.flatMap((record) => expand(record, context));
}

/** `events[3].customerId: ...`, `line 4: customerId: ...`, or just `customerId: ...`. */
function problemPrefix(where: string): string {
  if (where === '') return '';
  return where.startsWith('line') ? `${where}: ` : `${where}.`;
}

interface ValidRecord {
  readonly uniqueId: string | undefined;
  readonly customerId: string;
  readonly meterTimeInMillis: number;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly meters: readonly { readonly meterApiName: string; readonly meterValue: number }[];
}

function expand(record: ValidRecord, context: IngestContext): QueuedEvent[] {
  // One id for all meters of a record: the consumer keys events by meter and id together.
  const eventId = record.uniqueId ?? context.newEventId();
  const idSource = record.uniqueId === undefined ? 'stamped' : 'client';
  return record.meters.map(({ meterApiName, meterValue }) => ({
    eventId,
    idSource,
    meterApiName,
    customerId: record.customerId,
    meterValue,
    meterTimeInMillis: record.meterTimeInMillis,
    dimensions: record.dimensions,
  }));
}

function validateRecord(value: JsonObject, problems: Problems, context: IngestContext): ValidRecord | undefined {
  problems.rejectUnknownFields(value, EVENT_FIELDS);
  const customerId = checkCustomerId(value, problems);
  const meterTimeInMillis = checkTime(value.meterTimeInMillis, problems, context);
  const uniqueId = checkUniqueId(value, problems);
  const dimensions = checkDimensions(value.dimensions, problems);
  const meters = present(value.values) ? checkValues(value, problems, context) : checkSingleMeter(value, problems, context);
  if (!problems.empty) return undefined;
  return { uniqueId, customerId: customerId!, meterTimeInMillis: meterTimeInMillis!, dimensions: dimensions!, meters: meters! };
}

const present = (value: unknown) => value !== undefined && value !== null;

function checkCustomerId(event: JsonObject, problems: Problems): string | undefined {
  if (!present(event.customerId) || event.customerId === '') {
    problems.add(
      'customerId',
      'is required: Tally meters usage per customer, so every event must name its customer with a non-empty customerId',
    );
    return undefined;
  }
  const customerId = problems.checkString('customerId', event.customerId, { maxLength: INGEST_LIMITS.customerIdMaxLength });
  return customerId;
}

/** Absent, null and "" all mean "no uniqueId" (the Go SDK sends "" when none was set). */
function checkUniqueId(event: JsonObject, problems: Problems): string | undefined {
  if (!present(event.uniqueId) || event.uniqueId === '') return undefined;
  const uniqueId = problems.checkString('uniqueId', event.uniqueId, { maxLength: INGEST_LIMITS.uniqueIdMaxLength });
  return uniqueId;
}

function formatDuration(millis: number): string {
  const minutes = millis / 60_000;
  if (minutes < 120) return `${Math.ceil(minutes)} minutes`;
  if (minutes < 48 * 60) return `${Math.ceil(minutes / 60)} hours`;
  return `${Math.ceil(millis / DAY_MILLIS)} days`;
}

function isoOrRaw(millis: number): string {
  const date = new Date(millis);
  return Number.isNaN(date.getTime()) ? String(millis) : date.toISOString();
}

/** Epoch milliseconds as a JSON integer; numeric strings are refused, as every SDK sends a number. */
function checkTime(value: unknown, problems: Problems, context: IngestContext): number | undefined {
  const field = 'meterTimeInMillis';
  if (!present(value)) {
    problems.add(field, 'is required (the event time in Unix epoch milliseconds)');
    return undefined;
  }
  if (typeof value !== 'number') {
    problems.add(field, `expected an integer number of epoch milliseconds, got ${describeType(value)}`);
    return undefined;
  }
  if (!Number.isSafeInteger(value)) {
    problems.add(field, `expected an integer number of epoch milliseconds, got ${value}`);
    return undefined;
  }
  const latest = context.nowMillis + INGEST_LIMITS.maxFutureMillis;
  if (value > latest) {
    problems.add(
      field,
      `${isoOrRaw(value)} is ${formatDuration(value - context.nowMillis)} ahead of the server clock; events may be at most ${INGEST_LIMITS.maxFutureMillis / 60_000} minutes in the future`,
    );
    return undefined;
  }
  const earliest = context.nowMillis - context.latenessLimitDays * DAY_MILLIS;
  if (value < earliest) {
    const hint = Math.abs(value) < SECONDS_LOOK_LIKE ? ' (it looks like seconds; send milliseconds)' : '';
    problems.add(
      field,
      `${isoOrRaw(value)} is older than the lateness limit of ${context.latenessLimitDays} days${hint}`,
    );
    return undefined;
  }
  return value;
}

function checkNumber(field: string, value: unknown, problems: Problems): number | undefined {
  if (typeof value !== 'number') {
    problems.add(field, `expected a number, got ${describeType(value)}`);
    return undefined;
  }
  if (!Number.isFinite(value)) {
    problems.add(field, `must be a finite number, got ${value}`);
    return undefined;
  }
  const magnitude = Math.abs(value);
  if (magnitude > INGEST_LIMITS.maxAbsMeterValue || (magnitude > 0 && magnitude < INGEST_LIMITS.minAbsNonZeroMeterValue)) {
    problems.add(
      field,
      `${value} is out of range: values must be 0 or between ${INGEST_LIMITS.minAbsNonZeroMeterValue} and ${INGEST_LIMITS.maxAbsMeterValue} in magnitude`,
    );
    return undefined;
  }
  return value;
}

function checkMeterName(field: string, name: unknown, problems: Problems, context: IngestContext): string | undefined {
  if (typeof name !== 'string' || name.trim() === '') {
    problems.add(field, `expected a meterApiName (non-empty string), got ${typeof name === 'string' ? 'an empty string' : describeType(name)}`);
    return undefined;
  }
  if (!context.meters.has(name)) {
    problems.add(field, `no meter named "${truncate(name)}" exists in this account; create it first with POST /meter-definition`);
    return undefined;
  }
  return name;
}

function checkSingleMeter(event: JsonObject, problems: Problems, context: IngestContext) {
  if (!present(event.meterApiName)) {
    problems.add('meterApiName', 'is required (or send `values`, a map of meterApiName to value)');
  }
  if (!present(event.meterValue)) {
    problems.add('meterValue', 'is required (a finite number; or send `values` instead)');
  }
  const meterApiName = present(event.meterApiName) ? checkMeterName('meterApiName', event.meterApiName, problems, context) : undefined;
  const meterValue = present(event.meterValue) ? checkNumber('meterValue', event.meterValue, problems) : undefined;
  return meterApiName !== undefined && meterValue !== undefined ? [{ meterApiName, meterValue }] : undefined;
}

/** `values` is a multi-meter event: one meter event per entry, sharing everything else. */
function checkValues(event: JsonObject, problems: Problems, context: IngestContext) {
  for (const field of ['meterApiName', 'meterValue']) {
    if (present(event[field])) problems.add(field, 'cannot be combined with `values`; send one or the other');
  }
  const values = event.values;
  if (!isJsonObject(values)) {
    problems.add('values', `expected an object mapping meterApiName to a number, got ${describeType(values)}`);
    return undefined;
  }
  const entries = Object.entries(values);
  if (entries.length === 0) {
    problems.add('values', 'must name at least one meter');
    return undefined;
  }
  if (entries.length > INGEST_LIMITS.maxMetersPerRecord) {
    problems.add('values', `may name at most ${INGEST_LIMITS.maxMetersPerRecord} meters, got ${entries.length}`);
    return undefined;
  }
  const meters: { meterApiName: string; meterValue: number }[] = [];
  for (const [name, value] of entries) {
    const field = `values.${truncate(name)}`;
    const meterApiName = checkMeterName(field, name, problems, context);
    const meterValue = checkNumber(field, value, problems);
    if (meterApiName !== undefined && meterValue !== undefined) meters.push({ meterApiName, meterValue });
  }
  return meters.length === entries.length ? meters : undefined;
}

function checkDimensions(value: unknown, problems: Problems): Record<string, string> | undefined {
  if (!present(value)) return {};
  if (!isJsonObject(value)) {
    problems.add('dimensions', `expected an object of string values, got ${describeType(value)}`);
    return undefined;
  }
  const entries = Object.entries(value);
  if (entries.length > INGEST_LIMITS.maxDimensions) {
    problems.add('dimensions', `may hold at most ${INGEST_LIMITS.maxDimensions} entries, got ${entries.length}`);
    return undefined;
  }
  const before = problems.list.length;
  for (const [name, dimensionValue] of entries) {
    const field = `dimensions.${truncate(name)}`;
    if (name.trim() === '') problems.add('dimensions', 'a dimension name must not be empty');
    else if (name.length > INGEST_LIMITS.dimensionNameMaxLength) {
      problems.add(field, `the name must be at most ${INGEST_LIMITS.dimensionNameMaxLength} characters, got ${name.length}`);
    } else problems.wellFormed(field, name);
    if (typeof dimensionValue !== 'string') problems.add(field, `expected a string value, got ${describeType(dimensionValue)}`);
    else if (dimensionValue.length > INGEST_LIMITS.dimensionValueMaxLength) {
      problems.add(field, `the value must be at most ${INGEST_LIMITS.dimensionValueMaxLength} characters, got ${dimensionValue.length}`);
    } else problems.wellFormed(field, dimensionValue);
  }
  return problems.list.length > before ? undefined : Object.fromEntries(entries as [string, string][]);
}

/** The 200 body: the real service's wording, as a JSON string (the seed's 200 schema is a string). */
export function ingestReceipt(recordCount: number): string {
  return `${recordCount} records were ingested`;
}
