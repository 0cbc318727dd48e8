import { ConfigError } from './domain/errors.js';

/**
 * Everything a function reads from its environment, parsed once at cold start. A missing or
 * malformed value throws here, so a misconfigured deployment fails on its first invocation with
 * a message naming the variable instead of misbehaving later.
 */
export interface TallyConfig {
  readonly region: string;
  readonly tables: {
    readonly config: string;
    readonly events: string;
    readonly rollups: string;
  };
  /** Set only by the local runtime and the tests; on AWS the SDK finds the regional endpoint. */
  readonly dynamodbEndpoint?: string;
  readonly sqsEndpoint?: string;
  readonly queueUrl?: string;
  readonly latenessLimitDays: number;
  readonly rawRetentionDays: number;
}

type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new ConfigError(`environment variable ${name} is required`);
  }
  return value;
}

function positiveInt(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigError(`environment variable ${name} must be a positive integer, got "${raw}"`);
  }
  return value;
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

export const DEFAULT_LATENESS_LIMIT_DAYS = 60;
export const DEFAULT_RAW_RETENTION_DAYS = 90;

export function loadConfig(env: Env): TallyConfig {
  return {
    region: optional(env, 'AWS_REGION') ?? 'us-east-1',
    tables: {
      config: required(env, 'TALLY_CONFIG_TABLE'),
      events: required(env, 'TALLY_EVENTS_TABLE'),
      rollups: required(env, 'TALLY_ROLLUPS_TABLE'),
    },
    dynamodbEndpoint: optional(env, 'TALLY_DYNAMODB_ENDPOINT'),
    sqsEndpoint: optional(env, 'TALLY_SQS_ENDPOINT'),
    queueUrl: optional(env, 'TALLY_QUEUE_URL'),
    latenessLimitDays: positiveInt(env, 'TALLY_LATENESS_LIMIT_DAYS', DEFAULT_LATENESS_LIMIT_DAYS),
    rawRetentionDays: positiveInt(env, 'TALLY_RAW_RETENTION_DAYS', DEFAULT_RAW_RETENTION_DAYS),
  };
}

/** For functions that cannot work without a queue: fail at cold start, not per request. */
export function requireQueueUrl(config: TallyConfig): string {
  if (!config.queueUrl) throw new ConfigError('environment variable TALLY_QUEUE_URL is required');
  return config.queueUrl;
}
