import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { generateApiKey, generateKeyId, hashApiKey, keyHint, parseChosenApiKey } from '../functions/domain/api-keys.js';
import type { ConfigStore } from '../functions/store/config-store.js';

export const DEV_ACCOUNT_ID = 'dev';

export type DevKeySource = 'TALLY_API_KEY' | 'saved' | 'generated';

/**
 * The key `npm start` prints. TALLY_API_KEY wins; otherwise the key saved by an earlier start is
 * reused while it is still valid, so a restart does not invalidate the key a developer copied.
 */
export async function ensureDevApiKey(
  store: ConfigStore,
  options: { chosenKey?: string; savedKeyFile?: string; nowMillis: number },
): Promise<{ apiKey: string; source: DevKeySource }> {
  if (options.chosenKey !== undefined) {
    const apiKey = parseChosenApiKey(options.chosenKey);
    await registerIfNeeded(store, apiKey, options.nowMillis, 'TALLY_API_KEY');
    return { apiKey, source: 'TALLY_API_KEY' };
  }
  if (options.savedKeyFile && existsSync(options.savedKeyFile)) {
    const saved = readFileSync(options.savedKeyFile, 'utf8').trim();
    const owner = saved ? await store.findApiKeyOwner(hashApiKey(saved)) : undefined;
    if (owner && !owner.revoked && owner.accountId === DEV_ACCOUNT_ID) return { apiKey: saved, source: 'saved' };
  }
  const apiKey = generateApiKey();
  await registerIfNeeded(store, apiKey, options.nowMillis, 'generated');
  if (options.savedKeyFile) {
    writeFileSync(options.savedKeyFile, `${apiKey}\n`, { mode: 0o600 });
    chmodSync(options.savedKeyFile, 0o600);
  }
  return { apiKey, source: 'generated' };
}

async function registerIfNeeded(store: ConfigStore, apiKey: string, nowMillis: number, origin: string): Promise<void> {
  const keyHash = hashApiKey(apiKey);
  const owner = await store.findApiKeyOwner(keyHash);
  if (owner?.accountId === DEV_ACCOUNT_ID && !owner.revoked) return;
  if (owner) {
    throw new Error(
      owner.revoked
        ? `the ${origin} key was revoked; choose another`
        : `the ${origin} key belongs to account "${owner.accountId}", not "${DEV_ACCOUNT_ID}"`,
    );
  }
  await store.createApiKey({
    keyId: generateKeyId(),
    accountId: DEV_ACCOUNT_ID,
    keyHash,
    hint: keyHint(apiKey),
    createdAtMillis: nowMillis,
  });
}
