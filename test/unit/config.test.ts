import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LATENESS_LIMIT_DAYS,
  DEFAULT_RAW_RETENTION_DAYS,
  loadConfig,
  requireQueueUrl,
} from '../../functions/config.js';
import { ConfigError } from '../../functions/domain/errors.js';

const minimal = { TALLY_CONFIG_TABLE: 'c', TALLY_EVENTS_TABLE: 'e', TALLY_ROLLUPS_TABLE: 'r' };

describe('loadConfig', () => {
  it('reads the tables and applies defaults', () => {
    expect(loadConfig(minimal)).toEqual({
      region: 'us-east-1',
      tables: { config: 'c', events: 'e', rollups: 'r' },
      dynamodbEndpoint: undefined,
      sqsEndpoint: undefined,
      queueUrl: undefined,
      latenessLimitDays: DEFAULT_LATENESS_LIMIT_DAYS,
      rawRetentionDays: DEFAULT_RAW_RETENTION_DAYS,
    });
  });

  it('reads every optional setting', () => {
    const config = loadConfig({
      ...minimal,
      AWS_REGION: 'eu-west-1',
      TALLY_DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
      TALLY_SQS_ENDPOINT: 'http://127.0.0.1:9324',
      TALLY_QUEUE_URL: 'http://127.0.0.1:9324/000000000000/events',
      TALLY_LATENESS_LIMIT_DAYS: '7',
      TALLY_RAW_RETENTION_DAYS: '30',
    });
    expect(config).toMatchObject({
      region: 'eu-west-1',
      dynamodbEndpoint: 'http://127.0.0.1:8000',
      sqsEndpoint: 'http://127.0.0.1:9324',
      queueUrl: 'http://127.0.0.1:9324/000000000000/events',
      latenessLimitDays: 7,
      rawRetentionDays: 30,
    });
  });

  it('treats empty optional values as unset', () => {
    const config = loadConfig({ ...minimal, AWS_REGION: '', TALLY_DYNAMODB_ENDPOINT: '', TALLY_LATENESS_LIMIT_DAYS: '' });
    expect(config.region).toBe('us-east-1');
    expect(config.dynamodbEndpoint).toBeUndefined();
    expect(config.latenessLimitDays).toBe(DEFAULT_LATENESS_LIMIT_DAYS);
  });

  it.each(['TALLY_CONFIG_TABLE', 'TALLY_EVENTS_TABLE', 'TALLY_ROLLUPS_TABLE'])('fails naming %s when it is missing or blank', (name) => {
    for (const value of [undefined, '', '  ']) {
      expect(() => loadConfig({ ...minimal, [name]: value })).toThrow(new ConfigError(`environment variable ${name} is required`));
    }
  });

  it.each(['0', '-1', '1.5', 'ten', '1e400', ' '])('fails on a non-positive-integer day count %j', (value) => {
    expect(() => loadConfig({ ...minimal, TALLY_RAW_RETENTION_DAYS: value })).toThrow(
      `environment variable TALLY_RAW_RETENTION_DAYS must be a positive integer, got "${value}"`,
    );
    expect(() => loadConfig({ ...minimal, TALLY_LATENESS_LIMIT_DAYS: value })).toThrow(ConfigError);
  });
});

describe('requireQueueUrl', () => {
  it('returns the queue URL when set and fails naming the variable otherwise', () => {
    expect(requireQueueUrl(loadConfig({ ...minimal, TALLY_QUEUE_URL: 'q' }))).toBe('q');
    expect(() => requireQueueUrl(loadConfig(minimal))).toThrow('environment variable TALLY_QUEUE_URL is required');
  });
});
