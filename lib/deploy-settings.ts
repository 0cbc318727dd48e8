/**
 * Everything a deployer may change without touching code, with its default. Each setting is a
 * stack prop and a CDK context key (`tally:<name>`, e.g. `npx cdk deploy -c tally:rawRetentionDays=30`),
 * checked here so a bad value stops synth with a message instead of deploying something broken.
 * Plain data: nothing here imports the CDK. docs/DEPLOY.md lists the same settings.
 */
import { DEFAULT_LATENESS_LIMIT_DAYS, DEFAULT_RAW_RETENTION_DAYS } from '../functions/config.js';
import { DEFAULT_PIPELINE_SETTINGS } from './pipeline-settings.js';

export interface DeploySettings {
  /** How old an event may be and still be accepted (TALLY_LATENESS_LIMIT_DAYS). */
  readonly latenessLimitDays: number;
  /** How long raw events, and with them the deduplication markers, are kept (TALLY_RAW_RETENTION_DAYS). */
  readonly rawRetentionDays: number;
  /** Messages per consumer invocation (1..10000; above 10 needs a batching window). */
  readonly consumerBatchSize: number;
  /** How long the event source gathers messages before invoking the consumer (0..300). */
  readonly consumerBatchingWindowSeconds: number;
  /** Most concurrent consumer invocations, which bounds the write rate into DynamoDB (2..1000). */
  readonly consumerMaxConcurrency: number;
  /** How long API Gateway caches the authorizer's answer per key: a revoked key works at most this long (0..3600, 0 = off). */
  readonly authorizerCacheTtlSeconds: number;
  /** Steady requests per second the API accepts before answering 429. */
  readonly apiRateLimit: number;
  /** Requests the API accepts in a burst above the steady rate. */
  readonly apiBurstLimit: number;
  /** Retention of the functions' logs and the API access log (a CloudWatch Logs retention value). */
  readonly logRetentionDays: number;
  /** Alarm when the oldest queued message is older than this: the consumer is falling behind. */
  readonly queueAgeAlarmSeconds: number;
  /** Active X-Ray tracing on every function. */
  readonly tracing: boolean;
  /** SNS topic the alarms notify; without it they only show in the CloudWatch console. */
  readonly alarmTopicArn?: string;
}

export const DEFAULT_DEPLOY_SETTINGS: DeploySettings = {
  latenessLimitDays: DEFAULT_LATENESS_LIMIT_DAYS,
  rawRetentionDays: DEFAULT_RAW_RETENTION_DAYS,
  consumerBatchSize: DEFAULT_PIPELINE_SETTINGS.consumerBatchSize,
  consumerBatchingWindowSeconds: DEFAULT_PIPELINE_SETTINGS.consumerBatchingWindowSeconds,
  consumerMaxConcurrency: DEFAULT_PIPELINE_SETTINGS.consumerMaxConcurrency,
  authorizerCacheTtlSeconds: 300,
  apiRateLimit: 1000,
  apiBurstLimit: 2000,
  logRetentionDays: 30,
  queueAgeAlarmSeconds: 900,
  tracing: false,
};

/** The retention periods CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

type SettingName = keyof DeploySettings;
type NumericSetting = { [K in SettingName]: DeploySettings[K] extends number ? K : never }[SettingName];

const INTEGER_RANGES: Readonly<Record<NumericSetting, readonly [number, number]>> = {
  latenessLimitDays: [1, 3650],
  rawRetentionDays: [1, 3650],
  consumerBatchSize: [1, 10_000],
  consumerBatchingWindowSeconds: [0, 300],
  consumerMaxConcurrency: [2, 1000],
  authorizerCacheTtlSeconds: [0, 3600],
  apiRateLimit: [1, 1_000_000],
  apiBurstLimit: [1, 1_000_000],
  logRetentionDays: [1, 3653],
  queueAgeAlarmSeconds: [60, 1_209_600],
};

export const SETTING_NAMES = [...Object.keys(DEFAULT_DEPLOY_SETTINGS), 'alarmTopicArn'] as SettingName[];

export const contextKey = (name: SettingName): string => `tally:${name}`;

export class DeploySettingsError extends Error {
  constructor(name: SettingName, problem: string) {
    super(`deploy setting ${name} (context ${contextKey(name)}) ${problem}`);
    this.name = 'DeploySettingsError';
  }
}

/** Defaults overlaid with the given values, each checked; throws naming the first bad one. */
export function resolveDeploySettings(overrides: Partial<DeploySettings> = {}): DeploySettings {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  const settings: DeploySettings = { ...DEFAULT_DEPLOY_SETTINGS, ...defined };
  for (const [name, [min, max]] of Object.entries(INTEGER_RANGES) as [NumericSetting, readonly [number, number]][]) {
    const value = settings[name];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new DeploySettingsError(name, `must be an integer from ${min} to ${max}, got ${String(value)}`);
    }
  }
  if (typeof settings.tracing !== 'boolean') {
    throw new DeploySettingsError('tracing', `must be true or false, got ${String(settings.tracing)}`);
  }
  if (!LOG_RETENTION_DAYS.includes(settings.logRetentionDays)) {
    throw new DeploySettingsError('logRetentionDays', `must be one of ${LOG_RETENTION_DAYS.join(', ')}`);
  }
  if (settings.rawRetentionDays < settings.latenessLimitDays) {
    throw new DeploySettingsError(
      'rawRetentionDays',
      `(${settings.rawRetentionDays}) must be at least latenessLimitDays (${settings.latenessLimitDays}): ` +
        'raw events are the deduplication markers, so a resent late event must still find its marker',
    );
  }
  if (settings.consumerBatchSize > 10 && settings.consumerBatchingWindowSeconds < 1) {
    throw new DeploySettingsError(
      'consumerBatchingWindowSeconds',
      'must be at least 1 when consumerBatchSize is above 10 (Lambda requires a batching window for large batches)',
    );
  }
  if (settings.apiBurstLimit < settings.apiRateLimit) {
    throw new DeploySettingsError('apiBurstLimit', `must be at least apiRateLimit (${settings.apiRateLimit})`);
  }
  if (settings.alarmTopicArn !== undefined && !/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w-]+$/.test(settings.alarmTopicArn)) {
    throw new DeploySettingsError('alarmTopicArn', `must be an SNS topic ARN, got "${settings.alarmTopicArn}"`);
  }
  return settings;
}

/**
 * Reads the settings given as context. Values from `-c key=value` arrive as strings and values
 * from cdk.json as JSON, so both forms are accepted; anything unparseable is left for
 * resolveDeploySettings to reject with the setting's name.
 */
export function deploySettingsFromContext(tryGetContext: (key: string) => unknown): Partial<DeploySettings> {
  const found: Record<string, unknown> = {};
  for (const name of SETTING_NAMES) {
    const raw = tryGetContext(contextKey(name));
    if (raw === undefined) continue;
    found[name] = parseContextValue(name, raw);
  }
  return found as Partial<DeploySettings>;
}

function parseContextValue(name: SettingName, raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  if (name === 'alarmTopicArn') return raw;
  if (name === 'tracing') return raw === 'true' ? true : raw === 'false' ? false : raw;
  const value = Number(raw);
  return raw.trim() === '' || Number.isNaN(value) ? raw : value;
}
