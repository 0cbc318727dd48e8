import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { projectRoot } from './paths.js';

/**
 * Runs the real DynamoDB Local (the Java jar that ships inside the npm package
 * amplify-dynamodb-simulator) bound to loopback. The package is fetched once with `npm pack`
 * into a cache, checked against a pinned integrity, and never installed as a dependency (that
 * would pull some two hundred unrelated packages).
 */
const SIMULATOR = {
  spec: 'amplify-dynamodb-simulator@2.9.30',
  /** DynamoDB Local version inside that package. */
  dynamodbLocalVersion: '1.25.1',
  integrity: 'sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ==',
} as const;

export const DYNAMODB_LOCAL_VERSION = SIMULATOR.dynamodbLocalVersion;

const JAVA_INSTALL_HINT =
  'Install it with: sudo apt-get update && sudo apt-get install -y --no-install-recommends openjdk-17-jdk-headless';

export class JavaMissingError extends Error {
  constructor(detail: string) {
    super(`${detail} ${JAVA_INSTALL_HINT}`);
    this.name = 'JavaMissingError';
  }
}

/** Java 17 or newer, or a JavaMissingError that says how to install it. */
export function checkJava(): void {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error) throw new JavaMissingError('DynamoDB Local needs Java 17 or newer, and `java` was not found.');
  const version = /version "(\d+)(?:\.(\d+))?/.exec(`${result.stderr}${result.stdout}`);
  const major = version ? Number(version[1] === '1' ? version[2] : version[1]) : NaN;
  if (!(major >= 17)) {
    throw new JavaMissingError(`DynamoDB Local needs Java 17 or newer, found ${version?.[0] ?? 'an unknown version'}.`);
  }
}

export interface EmulatorFiles {
  readonly directory: string;
  /** Classpath entry of the loopback launcher, absent when no `javac` was available to build it. */
  readonly launcherClasses?: string;
}

type Progress = (message: string) => void;

/** Fetches and unpacks the emulator once, and compiles the loopback launcher once. */
export function ensureEmulator(cacheDir: string, progress: Progress = () => {}): EmulatorFiles {
  const directory = join(cacheDir, `dynamodb-local-${SIMULATOR.dynamodbLocalVersion}`);
  if (!existsSync(join(directory, 'DynamoDBLocal.jar'))) {
    progress(`Fetching DynamoDB Local ${SIMULATOR.dynamodbLocalVersion} (${SIMULATOR.spec}, ~57 MB, once)...`);
    fetchEmulator(cacheDir, directory);
  }
  return { directory, launcherClasses: ensureLauncher(cacheDir, directory, progress) };
}

function fetchEmulator(cacheDir: string, directory: string): void {
  mkdirSync(cacheDir, { recursive: true });
  const staging = mkdtempSync(join(cacheDir, 'staging-'));
  try {
    const pack = spawnSync('npm', ['pack', SIMULATOR.spec, '--silent', '--pack-destination', staging], {
      encoding: 'utf8',
      cwd: staging,
    });
    const tarball = pack.stdout.trim().split('\n').pop();
    if (pack.status !== 0 || !tarball) {
      throw new Error(`npm pack ${SIMULATOR.spec} failed: ${pack.stderr.trim() || pack.error?.message}`);
    }
    const tarballPath = join(staging, tarball);
    const integrity = `sha512-${createHash('sha512').update(readFileSync(tarballPath)).digest('base64')}`;
    if (integrity !== SIMULATOR.integrity) {
      throw new Error(`${SIMULATOR.spec} does not match its pinned integrity (got ${integrity})`);
    }
    const untar = spawnSync('tar', ['xzf', tarballPath, '-C', staging, 'package/emulator'], { encoding: 'utf8' });
    if (untar.status !== 0) throw new Error(`unpacking ${tarball} failed: ${untar.stderr}`);
    try {
      renameSync(join(staging, 'package', 'emulator'), directory);
    } catch (error) {
      // Another process unpacked it first; its copy is identical.
      if (!existsSync(join(directory, 'DynamoDBLocal.jar'))) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function ensureLauncher(cacheDir: string, emulatorDir: string, progress: Progress): string | undefined {
  const source = join(projectRoot, 'local', 'LoopbackDynamoDBLocal.java');
  const digest = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 12);
  const classesDir = join(cacheDir, `loopback-launcher-${digest}`);
  if (existsSync(join(classesDir, 'LoopbackDynamoDBLocal.class'))) return classesDir;
  const staging = mkdtempSync(join(cacheDir, 'launcher-'));
  try {
    const javac = spawnSync('javac', ['-cp', emulatorClasspath(emulatorDir), '-d', staging, source], { encoding: 'utf8' });
    if (javac.error || javac.status !== 0) {
      progress(
        'warning: `javac` is unavailable, so DynamoDB Local will listen on all interfaces instead of 127.0.0.1 only. ' +
          JAVA_INSTALL_HINT,
      );
      return undefined;
    }
    try {
      renameSync(staging, classesDir);
    } catch (error) {
      if (!existsSync(join(classesDir, 'LoopbackDynamoDBLocal.class'))) throw error;
    }
    return classesDir;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function emulatorClasspath(emulatorDir: string): string {
  return [join(emulatorDir, 'DynamoDBLocal.jar'), join(emulatorDir, 'DynamoDBLocal_lib', '*')].join(':');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface DynamoDBLocalOptions {
  readonly cacheDir: string;
  readonly port?: number;
  /** Directory to persist data in; in memory when omitted. */
  readonly dataDir?: string;
  readonly progress?: Progress;
}

export interface RunningDynamoDBLocal {
  readonly endpoint: string;
  readonly port: number;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;

export async function startDynamoDBLocal(options: DynamoDBLocalOptions): Promise<RunningDynamoDBLocal> {
  checkJava();
  const files = ensureEmulator(options.cacheDir, options.progress);
  const port = options.port ?? (await freePort());
  const storage = options.dataDir ? ['-dbPath', options.dataDir] : ['-inMemory'];
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const serverArgs = [...storage, '-sharedDb', '-disableTelemetry', '-port', String(port)];
  const classpath = files.launcherClasses
    ? `${files.launcherClasses}:${emulatorClasspath(files.directory)}`
    : emulatorClasspath(files.directory);
  const mainClass = files.launcherClasses ? 'LoopbackDynamoDBLocal' : 'com.amazonaws.services.dynamodbv2.local.main.ServerRunner';
  const child = spawn(
    'java',
    [`-Djava.library.path=${join(files.directory, 'DynamoDBLocal_lib')}`, '-cp', classpath, mainClass, ...serverArgs],
    // DynamoDB Local writes a metadata file into its working directory: keep it in the cache.
    { stdio: ['pipe', 'pipe', 'pipe'], cwd: options.cacheDir },
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  let stopped = false;
  void exited.then(() => (stopped = true));
  while (!(await isReady(endpoint))) {
    if (stopped) throw new Error(`DynamoDB Local exited before it was ready:\n${output}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${READY_TIMEOUT_MS / 1000} s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { endpoint, port, process: child, stop };
}

/** A ListTables call that needs no SDK: any SigV4-shaped authorization header is accepted. */
async function isReady(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'x-amz-target': 'DynamoDB_20120810.ListTables',
        'content-type': 'application/x-amz-json-1.0',
        authorization:
          'AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: '{}',
      signal: AbortSignal.timeout(1_000),
    });
    return response.status === 200;
  } catch {
    return false;
  }
}
