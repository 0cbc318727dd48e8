import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { TallyStack } from '../../../lib/tally-stack.js';
import { routes } from '../../../functions/routes.js';
import { functionLogicalId, tallyFunctions } from './support.js';

// The one test that really bundles: esbuild runs for every function, as in `npm run synth`.
const outdir = mkdtempSync(join(tmpdir(), 'tally-bundles-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const app = new App({ outdir, builtinCloudFormationValidation: false });
const stack = new TallyStack(app, 'Tally', { routes: routes });
const assembly = app.synth();
const resources = assembly.getStackByName(stack.stackName).template.Resources as Record<string, { Properties: any }>;
const names = [...tallyFunctions(stack).keys()].sort();

function bundleOf(name: string): string {
  const key = resources[functionLogicalId(stack, name)]!.Properties.Code.S3Key as string;
  return join(outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs');
}

/** Loads a bundle in a plain Node process, as the Lambda runtime would, and runs `script` against it. */
function runBundle(file: string, script: string): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(file)}); ${script}`], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      TALLY_CONFIG_TABLE: 'config',
      TALLY_EVENTS_TABLE: 'events',
      TALLY_ROLLUPS_TABLE: 'rollups',
      TALLY_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/queue',
    },
  });
}

describe('Lambda bundles', () => {
  it.each(names)('builds %s as one minified ES module with its source map', (name) => {
    const file = bundleOf(name);
    expect(existsSync(file)).toBe(true);
    expect(existsSync(`${file}.map`)).toBe(true);
    expect(statSync(file).size).toBeLessThan(1_000_000);
    // Minified: a few dozen lines (template literals keep their newlines), not thousands.
    expect(readFileSync(file, 'utf8').split('\n').length).toBeLessThan(100);
    expect(runBundle(file, 'console.log(typeof m.handler)').trim()).toBe('function');
  });

  it('answers from the bundle itself, ESM and CommonJS dependencies included', () => {
    const event = {
      version: '2.0',
      routeKey: 'GET /health',
      rawPath: '/health',
      headers: {},
      requestContext: { http: { method: 'GET', path: '/health' }, requestId: 'r' },
      isBase64Encoded: false,
    };
    const output = runBundle(
      bundleOf('health'),
      `console.log(JSON.stringify(await m.handler(${JSON.stringify(event)}, { awsRequestId: 'r' })))`,
    );
    expect(JSON.parse(output)).toMatchObject({ statusCode: 200, body: JSON.stringify({ status: 'ok', service: 'tally' }) });
  });

  it('carries its own AWS SDK instead of importing the one the runtime ships', () => {
    const code = readFileSync(bundleOf('authorizer'), 'utf8');
    expect(code).toContain('DynamoDBClient');
    expect(code).not.toMatch(/from\s*["']@aws-sdk\//);
  });
});
