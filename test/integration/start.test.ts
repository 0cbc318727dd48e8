import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { localPaths } from '../../local/local-env.js';
import { projectRoot } from '../../local/paths.js';
import { apiClient, expectErrorResponse } from './support.js';

/**
 * `npm start` as a user runs it, in a child process with its own TALLY_HOME. The home's cache is a
 * link to the cache the test run already filled, so DynamoDB Local is not fetched again.
 */
interface RunningTally {
  readonly url: string;
  readonly apiKey: string;
  readonly keySource: string;
  readonly dynamodbEndpoint: string;
  readonly output: () => string;
  /** Sends the signal and resolves with the exit code. */
  stop(signal: NodeJS.Signals): Promise<number | null>;
}

const READY_TIMEOUT_MS = 90_000;
const children = new Set<ChildProcessWithoutNullStreams>();
const homes: string[] = [];

afterEach(() => {
  // Only reached when a test failed midway: never leave a Tally (or its database) running.
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

function newHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'tally-start-'));
  homes.push(home);
  mkdirSync(localPaths().cache, { recursive: true });
  symlinkSync(localPaths().cache, join(home, 'cache'));
  return home;
}

/** The environment of a shell that has not been touched by the test run's own settings. */
function userEnvironment(overrides: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith('TALLY_') || name === 'AWS_REGION' || name === 'POWERTOOLS_LOG_LEVEL') delete env[name];
  }
  return { ...env, PORT: '0', ...overrides };
}

function spawnStart(args: string[], env: NodeJS.ProcessEnv): ChildProcessWithoutNullStreams {
  // Node loads tsx itself, so signals reach Tally directly, as Ctrl-C reaches `npm start`'s process.
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts', ...args], { cwd: projectRoot, env });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function collect(child: ChildProcessWithoutNullStreams): () => string {
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return () => output;
}

async function startTally(home: string, options: { inMemory?: boolean; env?: Record<string, string> } = {}): Promise<RunningTally> {
  const child = spawnStart(options.inMemory ? ['--in-memory'] : [], userEnvironment({ TALLY_HOME: home, ...options.env }));
  const output = collect(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let listening: RegExpExecArray | null = null;
  while (!(listening = /Tally listening on (http:\/\/localhost:\d+) /.exec(output()))) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${output()}`);
    if (Date.now() > deadline) throw new Error(`npm start did not listen within ${READY_TIMEOUT_MS} ms:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const key = /Development API key for account "dev" \(([\w_]+)\): (\S+)/.exec(output());
  const database = /DynamoDB Local (http:\/\/127\.0\.0\.1:\d+),/.exec(output());
  expect(key, output()).not.toBeNull();
  expect(database, output()).not.toBeNull();
  return {
    url: listening[1]!,
    keySource: key![1]!,
    apiKey: key![2]!,
    dynamodbEndpoint: database![1]!,
    output,
    stop: async (signal) => {
      child.kill(signal);
      return exited;
    },
  };
}

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return true;
  } catch {
    return false;
  }
}

const meter = { meterApiName: 'api-calls', displayName: 'API Calls', type: 'SUM_OF_ALL_USAGE' };

// Each start waits for a JVM; on a busy two-core machine a restart test needs more than the default.
describe('npm start', { timeout: 240_000 }, () => {
  it('serves the API in memory with the TALLY_API_KEY, and Ctrl-C stops it and its database', async () => {
    const home = newHome();
    const chosenKey = `dev-key-${randomBytes(8).toString('hex')}`;
    const tally = await startTally(home, { inMemory: true, env: { TALLY_API_KEY: chosenKey } });
    expect(tally.keySource).toBe('TALLY_API_KEY');
    expect(tally.apiKey).toBe(chosenKey);
    expect(tally.output()).toContain('data in memory');

    const health = await fetch(`${tally.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', service: 'tally' });
    const api = apiClient(tally.url, chosenKey);
    expect((await api.post('/meter-definition', meter)).status).toBe(200);
    expect((await api.get('/meter-definition')).body).toEqual([expect.objectContaining(meter)]);
    expectErrorResponse(await apiClient(tally.url).get('/meter-definition'), 401, 'UNAUTHORIZED');

    expect(await tally.stop('SIGINT')).toBe(0);
    expect(tally.output()).toContain('Tally stopped.');
    expect(await answers(tally.dynamodbEndpoint)).toBe(false);
    expect(await answers(`${tally.url}/health`)).toBe(false);
    for (const file of ['data', 'dev-api-key', 'runtime.json']) expect(existsSync(join(home, file)), file).toBe(false);
  });

  it('keeps data and the generated key across a restart', async () => {
    const home = newHome();
    const paths = localPaths(home);
    const first = await startTally(home);
    expect(first.keySource).toBe('generated');
    expect(first.apiKey).toMatch(/^tly_[A-Za-z0-9_-]{43}$/);
    expect(readFileSync(paths.devApiKey, 'utf8').trim()).toBe(first.apiKey);
    expect(statSync(paths.devApiKey).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(paths.runtimeFile, 'utf8'))).toMatchObject({ dynamodbEndpoint: first.dynamodbEndpoint });
    const created = (await apiClient(first.url, first.apiKey).post('/meter-definition', meter)).body;

    expect(await first.stop('SIGTERM')).toBe(0);
    expect(existsSync(paths.runtimeFile)).toBe(false);
    expect(existsSync(paths.data)).toBe(true);

    const second = await startTally(home);
    try {
      expect(second.keySource).toBe('saved');
      expect(second.apiKey).toBe(first.apiKey);
      expect((await apiClient(second.url, second.apiKey).get('/meter-definition/api-calls')).body).toEqual(created);
    } finally {
      expect(await second.stop('SIGINT')).toBe(0);
    }
    expect(await answers(second.dynamodbEndpoint)).toBe(false);
  });

  it('exits non-zero with one line saying how to install Java when `java` is missing', async () => {
    const home = newHome();
    const emptyBin = join(home, 'bin');
    mkdirSync(emptyBin);
    const child = spawnStart(['--in-memory'], userEnvironment({ TALLY_HOME: home, PATH: emptyBin }));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', (exitCode) => resolve(exitCode)));
    expect(code).not.toBe(0);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^tally: .*`java` was not found\. .*apt-get install -y --no-install-recommends openjdk-17-jdk-headless$/),
    ]);
  });
});
