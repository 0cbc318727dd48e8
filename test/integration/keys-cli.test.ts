import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Gateway } from '../../local/gateway.js';
import { projectRoot } from '../../local/paths.js';
import { apiClient, expectErrorResponse, startTestGateway, testTables, uniqueAccountId } from './support.js';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let gateway: Gateway;
let home: string;

beforeAll(async () => {
  gateway = await startTestGateway();
  home = mkdtempSync(join(tmpdir(), 'tally-keys-'));
});

afterAll(async () => {
  await gateway.close();
  rmSync(home, { recursive: true, force: true });
});

/**
 * Runs the CLI against this run's DynamoDB Local, configured by flags alone. Node loads tsx itself
 * (what `npm run keys` does through the tsx binary), which costs half the start-up of `npx tsx`.
 */
function keys(...args: string[]): Promise<Run> {
  const target = ['--table', testTables.Config, '--endpoint', inject('dynamodbEndpoint')];
  const env: NodeJS.ProcessEnv = { ...process.env, TALLY_HOME: home };
  for (const name of ['AWS_REGION', 'TALLY_CONFIG_TABLE', 'TALLY_DYNAMODB_ENDPOINT']) delete env[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/keys-cli.ts', ...args, ...target], { cwd: projectRoot, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run keys', () => {
  it('create prints only the new key on stdout, list shows it, revoke makes it 401', async () => {
    const accountId = uniqueAccountId('cli');
    const created = await keys('create', '--account', accountId);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^tly_[A-Za-z0-9_-]{43}\n$/);
    const apiKey = created.stdout.trim();
    const keyId = /created (key_[0-9a-f]{16}) for account "([^"]+)"/.exec(created.stderr);
    expect(keyId?.[2]).toBe(accountId);

    const api = apiClient(gateway.url, apiKey);
    expect((await api.post('/meter-definition', { meterApiName: 'cli-meter', displayName: 'CLI', type: 'SUM_OF_ALL_USAGE' })).status).toBe(200);
    expect((await api.get('/meter-definition')).body.map((m: { meterApiName: string }) => m.meterApiName)).toEqual(['cli-meter']);

    const listed = await keys('list', '--account', accountId);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^${keyId![1]}\\t\\.\\.\\.${apiKey.slice(-4)}\\tcreated \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\trevoked -$`)),
    ]);
    expect(listed.stdout).not.toContain(apiKey);

    const revoked = await keys('revoke', keyId![1]!);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toBe('');
    expect(revoked.stderr).toContain(`revoked ${keyId![1]}`);
    const refused = await api.get('/meter-definition');
    expectErrorResponse(refused, 401, 'UNAUTHORIZED');
    expect(refused.body.details).toBe('the API key has been revoked');

    const relisted = await keys('list', '--account', accountId);
    expect(relisted.stdout).toMatch(/\trevoked \d{4}-\d\d-\d\dT[\d:.]+Z\n$/);

    const again = await keys('revoke', keyId![1]!);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('API key already revoked');
  });

  it('lists nothing on stdout for an account without keys', async () => {
    const listed = await keys('list', '--account', uniqueAccountId('empty'));
    expect(listed.code).toBe(0);
    expect(listed.stdout).toBe('');
    expect(listed.stderr).toContain('has no API keys');
  });

  it('exits 1 naming the problem for a key id that does not exist', async () => {
    const run = await keys('revoke', 'key_0000000000000000');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no API key with id "key_0000000000000000" exists');
  });

  it('exits 2 with the usage on stderr for bad usage, printing nothing on stdout', async () => {
    const runs = await Promise.all([
      keys('create'),
      keys('list'),
      keys('rotate', '--account', 'acme'),
      keys('revoke'),
      keys('revoke', 'key_a', 'key_b'),
      keys('create', '--account', 'acme', '--colour', 'blue'),
      keys('create', '--account', 'not valid'),
    ]);
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('usage: npm run --silent keys -- <command> [options]');
    }
    expect(runs.map((run) => /keys: (.*)/.exec(run.stderr)?.[1])).toEqual([
      'create needs --account <accountId>',
      'list needs --account <accountId>',
      'unknown command "rotate"',
      'revoke needs exactly one <keyId>',
      'revoke needs exactly one <keyId>',
      expect.stringContaining("Unknown option '--colour'"),
      expect.stringContaining('--account: accountId: "not valid" is not valid'),
    ]);
  });
});
