import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../functions/config.js';
import type { DeploySettings } from '../../../lib/deploy-settings.js';
import { functionLogicalId, synthesize, tableLogicalIds, tallyFunctions } from './support.js';

// Every deployer setting away from its default, to see each one reach the template.
const settings: DeploySettings = {
  latenessLimitDays: 30,
  rawRetentionDays: 45,
  consumerBatchSize: 50,
  consumerBatchingWindowSeconds: 5,
  consumerMaxConcurrency: 8,
  authorizerCacheTtlSeconds: 60,
  apiRateLimit: 200,
  apiBurstLimit: 400,
  logRetentionDays: 14,
  queueAgeAlarmSeconds: 300,
  tracing: true,
  alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:tally-alarms',
};
const { stack, template } = synthesize({ settings });
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
const tables = tableLogicalIds(stack);
const names = [...tallyFunctions(stack).keys()].sort();
const props = (name: string) => resources[functionLogicalId(stack, name)]!.Properties;

describe('Lambda functions', () => {
  it('deploys one function per entry: route functions, authorizer, fallback and consumer', () => {
    expect(names).toEqual(['authorizer', 'consumer', 'filtering-rules', 'health', 'ingest', 'meter-definitions', 'not-found', 'usage', 'usage-events']);
    template.resourceCountIs('AWS::Lambda::Function', names.length);
  });

  it.each(names)('runs %s on the current Node.js runtime on ARM64, with source maps', (name) => {
    expect(props(name)).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      TracingConfig: { Mode: 'Active' },
    });
    expect(props(name).Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
  });

  it.each(names)('logs %s into its own log group with the configured retention', (name) => {
    const logGroupId = props(name).LoggingConfig.LogGroup.Ref as string;
    expect(resources[logGroupId]).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 14 } });
  });

  it('keeps API functions under the 30 s integration timeout and gives the consumer the pipeline timeout', () => {
    expect(props('authorizer').Timeout).toBe(10);
    expect(props('consumer').Timeout).toBe(30);
    for (const name of ['health', 'ingest', 'meter-definitions', 'filtering-rules', 'not-found']) {
      expect(props(name).Timeout).toBeLessThan(30);
    }
  });

  it.each(names)('hands %s an environment functions/config.ts accepts, with the deployer settings', (name) => {
    const variables = props(name).Environment.Variables as Record<string, unknown>;
    expect(variables).toMatchObject({
      TALLY_CONFIG_TABLE: { Ref: tables.Config },
      TALLY_EVENTS_TABLE: { Ref: tables.Events },
      TALLY_ROLLUPS_TABLE: { Ref: tables.Rollups },
    });
    // Tokens become strings at deploy time; stand in for them to parse like a cold start would.
    const env = Object.fromEntries(
      Object.entries(variables).map(([key, value]) => [key, typeof value === 'string' ? value : `deployed-${key}`]),
    );
    const config = loadConfig({ ...env, AWS_REGION: 'eu-west-1' });
    expect(config).toMatchObject({ latenessLimitDays: 30, rawRetentionDays: 45, region: 'eu-west-1' });
    expect(config.dynamodbEndpoint).toBeUndefined();
  });

  it('gives the queue URL only to the functions that send to the queue', () => {
    const withQueue = names.filter((name) => props(name).Environment.Variables.TALLY_QUEUE_URL !== undefined);
    expect(withQueue).toEqual(['ingest']);
    expect(props('ingest').Environment.Variables.TALLY_QUEUE_URL).toEqual({ Ref: expect.stringMatching(/^EventPipelineQueue/) });
  });
});

describe('deployer settings in the template', () => {
  it('sets the authorizer cache TTL', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerResultTtlInSeconds: 60 });
  });

  it('sets the API throttling', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 },
    });
  });

  it('sets batch size, batching window and concurrency of the consumer', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 50,
      MaximumBatchingWindowInSeconds: 5,
      ScalingConfig: { MaximumConcurrency: 8 },
    });
  });

  it('sends every alarm and its recovery to the alarm topic, with the configured queue age', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    expect(alarms).toHaveLength(3);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([settings.alarmTopicArn]);
      expect(alarm.OKActions).toEqual([settings.alarmTopicArn]);
    }
    expect(alarms.find((a) => a.MetricName === 'ApproximateAgeOfOldestMessage')!.Threshold).toBe(300);
  });

  it('keeps the access log as long as the function logs', () => {
    const retentions = Object.values(template.findResources('AWS::Logs::LogGroup')).map((g) => g.Properties.RetentionInDays);
    expect(retentions).toHaveLength(names.length + 1);
    expect(new Set(retentions)).toEqual(new Set([14]));
  });
});
