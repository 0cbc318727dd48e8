import {
  BatchGetCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { BATCH_GET_LIMIT, batchGetItems, cancellationReasons, isConditionFailure } from '../functions/store/dynamo.js';
import { chunks, DEFAULT_BACKOFF, sleep } from '../functions/store/retry.js';
import { itemSizeBytes, type WriteUnitLedger } from './write-units.js';

/**
 * DynamoDB charges an update by the whole item, the larger of before and after, and a customer-hour
 * item holds more than one update names: so the size after each committed update is read back
 * (outside the ledger) and the ledger keeps the size before from the previous one.
 */
async function storedSizes(ddb: DynamoDBDocumentClient, keys: readonly { table: string; key: Record<string, unknown> }[]) {
  const sizes = new Map<string, number>();
  const id = (key: Record<string, unknown>) => `${String(key.pk)} ${String(key.sk)}`;
  for (const chunk of chunks(keys, BATCH_GET_LIMIT)) {
    const table = chunk[0]!.table;
    const { items } = await batchGetItems(ddb, table, { [table]: { Keys: chunk.map(({ key }) => key) } }, { backoff: DEFAULT_BACKOFF, sleep });
    // An item read back is sized; a key missing here falls back to the update's own image.
    for (const item of items) sizes.set(id(item), itemSizeBytes(item));
  }
  return sizes;
}

/** What DynamoDB Local itself reported through ReturnConsumedCapacity, kept as a cross-check. */
export interface ReportedCapacity {
  tableUnits: number;
  indexUnits: number;
}

/**
 * A document client that behaves exactly like the one it wraps, and on the side tells the ledger
 * each write and read with its outcome, and asks DynamoDB Local for ConsumedCapacity (INDEXES).
 * Handing this to the real EventWriter measures its requests without changing it.
 */
export function meteredDocumentClient(
  ddb: DynamoDBDocumentClient,
  ledger: WriteUnitLedger,
  reported: ReportedCapacity,
): DynamoDBDocumentClient {
  const record = (capacity: ConsumedCapacity | ConsumedCapacity[] | undefined) => {
    for (const entry of [capacity ?? []].flat()) {
      reported.tableUnits += entry.Table?.CapacityUnits ?? 0;
      for (const index of Object.values(entry.GlobalSecondaryIndexes ?? {})) reported.indexUnits += index.CapacityUnits ?? 0;
    }
  };

  const send = async (command: unknown): Promise<unknown> => {
    if (command instanceof TransactWriteCommand) {
      const input = { ...command.input, ReturnConsumedCapacity: 'INDEXES' as const };
      try {
        const output = await ddb.send(new TransactWriteCommand(input));
        ledger.transaction(input, 'committed', await storedSizes(ddb, ledger.rollupKeysOf(input)));
        record(output.ConsumedCapacity);
        return output;
      } catch (error) {
        if (cancellationReasons(error)) ledger.transaction(input, 'cancelled');
        throw error;
      }
    }
    if (command instanceof UpdateCommand) {
      const input = { ...command.input, ReturnConsumedCapacity: 'INDEXES' as const };
      try {
        const output = await ddb.send(new UpdateCommand(input));
        ledger.update(input, 'applied');
        record(output.ConsumedCapacity);
        return output;
      } catch (error) {
        if (isConditionFailure(error)) ledger.update(input, 'conditionFailed');
        throw error;
      }
    }
    if (command instanceof BatchGetCommand) {
      const input = { ...command.input, ReturnConsumedCapacity: 'INDEXES' as const };
      const output = await ddb.send(new BatchGetCommand(input));
      ledger.batchGet(input);
      record(output.ConsumedCapacity);
      return output;
    }
    return ddb.send(command as Parameters<DynamoDBDocumentClient['send']>[0]);
  };

  return new Proxy(ddb, {
    get: (target, property, receiver) => (property === 'send' ? send : Reflect.get(target, property, receiver)),
  });
}
