import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, whatever the working directory. */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Git-ignored home of local data and downloaded tools; TALLY_HOME moves it. */
export function tallyHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.TALLY_HOME ? resolve(env.TALLY_HOME) : join(projectRoot, '.tally');
}
