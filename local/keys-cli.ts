import { parseArgs } from 'node:util';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { generateApiKey, generateKeyId, hashApiKey, keyHint, parseAccountId } from '../functions/domain/api-keys.js';
import { TallyError, ValidationError } from '../functions/domain/errors.js';
import { ConfigStore } from '../functions/store/config-store.js';
import { LOCAL_CREDENTIALS } from '../functions/runtime.js';
import { LOCAL_REGION, openLocalDatabase } from './local-env.js';
import { localTableNames } from './tables.js';

/**
 * `npm run --silent keys -- <command>`: manage API keys. Only the new key goes to stdout on
 * create, so `KEY=$(npm run --silent keys -- create --account acme)` works; everything else
 * a person reads goes to stderr.
 *
 * Target: the local database by default (the running `npm start`, or the data folder);
 * the deployed Config table with --table (or TALLY_CONFIG_TABLE) and the usual AWS credentials.
 */
const USAGE = `usage: npm run --silent keys -- <command> [options]

commands:
  create --account <accountId>   create a key and print it (shown only this once)
  list --account <accountId>     list the account's keys (id, hint, created, revoked)
  revoke <keyId>                 revoke a key; requests with it get 401

options:
  --table <name>      the deployed Config table (default: TALLY_CONFIG_TABLE, else the local database)
  --region <region>   AWS region of the deployed table (default: AWS_REGION)
  --endpoint <url>    a DynamoDB endpoint to use instead, e.g. the DynamoDB Local of an
                      \`npm start -- --in-memory\` (table default: tally-config)`;

class UsageError extends Error {}

interface Target {
  readonly store: ConfigStore;
  close(): Promise<void>;
}

async function openTarget(values: { table?: string; region?: string; endpoint?: string }): Promise<Target> {
  // An endpoint is another DynamoDB Local (e.g. the one of an --in-memory `npm start`): local table name and region.
  const table = values.table ?? process.env.TALLY_CONFIG_TABLE ?? (values.endpoint ? localTableNames().Config : undefined);
  if (table) {
    const region = values.region ?? process.env.AWS_REGION ?? (values.endpoint ? LOCAL_REGION : undefined);
    const client = new DynamoDBClient({
      ...(region ? { region } : {}),
      ...(values.endpoint ? { endpoint: values.endpoint, credentials: LOCAL_CREDENTIALS } : {}),
    });
    return { store: new ConfigStore(DynamoDBDocumentClient.from(client), table), close: async () => client.destroy() };
  }
  const database = await openLocalDatabase((message) => console.error(message));
  return {
    store: new ConfigStore(DynamoDBDocumentClient.from(database.client), database.tables.Config),
    close: () => database.close(),
  };
}

const iso = (millis?: number) => (millis === undefined ? '-' : new Date(millis).toISOString());

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      account: { type: 'string' },
      table: { type: 'string' },
      region: { type: 'string' },
      endpoint: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.error(USAGE);
    if (!values.help) process.exitCode = 2;
    return;
  }
  const needAccount = () => {
    if (!values.account) throw new UsageError(`${command} needs --account <accountId>`);
    try {
      return parseAccountId(values.account);
    } catch (error) {
      if (error instanceof ValidationError) throw new UsageError(`--account: ${error.details}`);
      throw error;
    }
  };
  if (!['create', 'list', 'revoke'].includes(command)) throw new UsageError(`unknown command "${command}"`);
  if (command === 'revoke' && rest.length !== 1) throw new UsageError('revoke needs exactly one <keyId>');
  const accountId = command === 'revoke' ? undefined : needAccount();

  const target = await openTarget(values);
  try {
    if (command === 'create') {
      const apiKey = generateApiKey();
      const keyId = generateKeyId();
      await target.store.createApiKey({
        keyId,
        accountId: accountId!,
        keyHash: hashApiKey(apiKey),
        hint: keyHint(apiKey),
        createdAtMillis: Date.now(),
      });
      console.error(`created ${keyId} for account "${accountId}"; store the key now, it is not shown again`);
      console.log(apiKey);
    } else if (command === 'list') {
      const keys = await target.store.listApiKeys(accountId!);
      if (keys.length === 0) console.error(`account "${accountId}" has no API keys`);
      for (const key of keys) {
        console.log([key.keyId, key.hint, `created ${iso(key.createdAtMillis)}`, `revoked ${iso(key.revokedAtMillis)}`].join('\t'));
      }
    } else {
      const revoked = await target.store.revokeApiKey(rest[0]!, Date.now());
      console.error(`revoked ${revoked.keyId} (${revoked.hint}) of account "${revoked.accountId}"`);
    }
  } finally {
    await target.close();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError || (error instanceof Error && error.name === 'TypeError' && 'code' in error)) {
    console.error(`keys: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (error instanceof TallyError) {
    console.error(`keys: ${error.message}: ${error.details}`);
    process.exit(1);
  }
  console.error('keys: failed:', error);
  process.exit(1);
});
