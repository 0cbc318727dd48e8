import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DEPLOY_SETTINGS,
  DeploySettingsError,
  deploySettingsFromContext,
  resolveDeploySettings,
  SETTING_NAMES,
} from '../../../lib/deploy-settings.js';

const context = (values: Record<string, unknown>) => (key: string) => values[key];

describe('resolveDeploySettings', () => {
  it('fills every setting left out with its default', () => {
    expect(resolveDeploySettings()).toEqual(DEFAULT_DEPLOY_SETTINGS);
    expect(resolveDeploySettings({ rawRetentionDays: 120, latenessLimitDays: undefined })).toEqual({
      ...DEFAULT_DEPLOY_SETTINGS,
      rawRetentionDays: 120,
    });
  });

  it.each([
    [{ consumerMaxConcurrency: 1 }, 'consumerMaxConcurrency (context tally:consumerMaxConcurrency) must be an integer from 2 to 1000, got 1'],
    [{ consumerBatchSize: 2.5 }, 'consumerBatchSize'],
    [{ authorizerCacheTtlSeconds: 3601 }, 'authorizerCacheTtlSeconds'],
    [{ latenessLimitDays: Number.NaN }, 'latenessLimitDays'],
    [{ logRetentionDays: 31 }, 'logRetentionDays (context tally:logRetentionDays) must be one of 1, 3, 5'],
    [{ rawRetentionDays: 30 }, 'rawRetentionDays (context tally:rawRetentionDays) (30) must be at least latenessLimitDays (60)'],
    [{ consumerBatchingWindowSeconds: 0 }, 'must be at least 1 when consumerBatchSize is above 10'],
    [{ apiRateLimit: 5000 }, 'apiBurstLimit'],
    [{ tracing: 'yes' as unknown as boolean }, 'tracing'],
    [{ alarmTopicArn: 'my-topic' }, 'must be an SNS topic ARN, got "my-topic"'],
  ])('rejects %j naming the setting', (overrides, message) => {
    expect(() => resolveDeploySettings(overrides)).toThrow(DeploySettingsError);
    expect(() => resolveDeploySettings(overrides)).toThrow(message);
  });

  it('accepts a small batch without a batching window and an alarm topic ARN', () => {
    const settings = resolveDeploySettings({
      consumerBatchSize: 10,
      consumerBatchingWindowSeconds: 0,
      alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:tally-alarms',
    });
    expect(settings.consumerBatchingWindowSeconds).toBe(0);
    expect(settings.alarmTopicArn).toBe('arn:aws:sns:eu-west-1:123456789012:tally-alarms');
  });
});

describe('deploySettingsFromContext', () => {
  it('reads -c strings and cdk.json values under tally:<name>', () => {
    const found = deploySettingsFromContext(
      context({
        'tally:rawRetentionDays': '120',
        'tally:consumerMaxConcurrency': 50,
        'tally:tracing': 'true',
        'tally:alarmTopicArn': 'arn:aws:sns:us-east-1:123456789012:alarms',
        rawRetentionDays: '7',
      }),
    );
    expect(found).toEqual({
      rawRetentionDays: 120,
      consumerMaxConcurrency: 50,
      tracing: true,
      alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:alarms',
    });
  });

  it('leaves unparseable values for resolveDeploySettings to reject by name', () => {
    const found = deploySettingsFromContext(context({ 'tally:apiRateLimit': 'fast', 'tally:tracing': 'on' }));
    expect(found).toEqual({ apiRateLimit: 'fast', tracing: 'on' });
    expect(() => resolveDeploySettings(found)).toThrow('apiRateLimit (context tally:apiRateLimit) must be an integer from 1 to 1000000, got fast');
  });

  it('finds nothing when no tally: key is set', () => {
    expect(deploySettingsFromContext(context({ '@aws-cdk/core:checkSecretUsage': true }))).toEqual({});
  });
});

describe('docs/DEPLOY.md', () => {
  const docs = readFileSync(new URL('../../../docs/DEPLOY.md', import.meta.url), 'utf8');

  it.each(SETTING_NAMES)('documents %s with its context key and default', (name) => {
    const row = docs.split('\n').find((line) => line.startsWith(`| \`tally:${name}\` |`));
    expect(row, `no row for tally:${name}`).toBeDefined();
    expect(row!.split('|')[2]!.trim()).toBe(String(DEFAULT_DEPLOY_SETTINGS[name] ?? 'none'));
  });
});
