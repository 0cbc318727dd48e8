/**
 * What each Lambda may touch, in one declarative table: the stack grants exactly this and nothing
 * more. A new function (a new entry in functions/routes.ts, say) gets no permissions until it is
 * declared here, and the stack refuses to synthesize until then. Plain data: no CDK imports.
 */
import type { TableDefinition } from './table-definitions.js';

export type TableId = TableDefinition['id'];

/**
 * How far a function may go on one table. Writes mean PutItem/UpdateItem/ConditionCheckItem,
 * which is also what TransactWriteItems needs for its Put/Update/ConditionCheck parts.
 */
export type TableAccess = 'read' | 'readWrite' | 'readWriteDelete';

export interface FunctionAccess {
  readonly tables?: Partial<Readonly<Record<TableId, TableAccess>>>;
  /** Send events into the pipeline's queue (SendMessage, which also covers SendMessageBatch). */
  readonly sendToQueue?: true;
}

/** Every level reads, with these, on the table and on each of its indexes. Never Scan. */
export const READ_ACTIONS: readonly string[] = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];

const PUT_UPDATE = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'];

/** What each level may write, on the table only (writes never name an index). */
export const WRITE_ACTIONS: Readonly<Record<TableAccess, readonly string[]>> = {
  read: [],
  readWrite: PUT_UPDATE,
  readWriteDelete: [...PUT_UPDATE, 'dynamodb:DeleteItem'],
};

export const QUEUE_SEND_ACTIONS: readonly string[] = ['sqs:SendMessage'];

/** Keyed by file name in functions/ (the Lambda entry). */
export const functionAccess: Readonly<Record<string, FunctionAccess>> = {
  authorizer: { tables: { Config: 'read' } },
  health: {},
  'not-found': {},
  'meter-definitions': { tables: { Config: 'readWriteDelete' } },
  'filtering-rules': { tables: { Config: 'readWriteDelete' } },
  ingest: { tables: { Config: 'read' }, sendToQueue: true },
  // Receiving from the queue is granted by the event source mapping, not here.
  consumer: { tables: { Config: 'read', Events: 'readWrite', Rollups: 'readWrite' } },
  usage: { tables: { Config: 'read', Rollups: 'read' } },
  'usage-events': { tables: { Config: 'read', Events: 'read' } },
};

export function accessOf(functionName: string): FunctionAccess {
  const access = functionAccess[functionName];
  if (!access) {
    throw new Error(
      `functions/${functionName}.ts has no entry in lib/function-access.ts: declare which tables ` +
        `(and whether the queue) "${functionName}" may use before it can be deployed`,
    );
  }
  return access;
}

/** Functions that put events on the queue make up the ingest API; every other route is the usage/control API. */
export function isIngestFunction(functionName: string): boolean {
  return accessOf(functionName).sendToQueue === true;
}
