import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { HttpEvent } from '../functions/http/http-handler.js';
import { handlerEnvironment } from '../local/local-env.js';
import { createQueuePair, LOCAL_VISIBILITY_TIMEOUT_SECONDS, startLocalQueue, type LocalQueue, type QueuePair } from '../local/queue.js';
import type { TableNames } from '../local/tables.js';

/**
 * Tally's handler modules read their configuration once, when first imported (functions/runtime.ts),
 * so every section that runs a real handler shares one environment: one set of tables and one local
 * event queue, set up the way `npm start` sets them up.
 */
export interface HandlerRuntime {
  readonly tables: TableNames;
  readonly queue: LocalQueue;
  readonly pair: QueuePair;
}

export async function startHandlerRuntime(dynamodbEndpoint: string, tables: TableNames): Promise<HandlerRuntime> {
  const queue = await startLocalQueue();
  const pair = await createQueuePair(queue.client, 'bench-events', { visibilityTimeoutSeconds: LOCAL_VISIBILITY_TIMEOUT_SECONDS });
  // As `npm start` runs them: warnings only, and no CloudWatch metric lines on stdout.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  Object.assign(process.env, handlerEnvironment(dynamodbEndpoint, tables, { endpoint: queue.endpoint, queueUrl: pair.queue.url }));
  return { tables, queue, pair };
}

/** What API Gateway hands an HTTP route Lambda once the authorizer accepted the key (payload 2.0). */
export function apiGatewayEvent(request: { routeKey: string; accountId: string; body: string; contentType?: string }): HttpEvent {
  const [method, path] = request.routeKey.split(' ') as [string, string];
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: request.routeKey,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': request.contentType ?? 'application/json' },
    requestContext: {
      accountId: '000000000000',
      apiId: 'bench',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId: randomUUID(),
      routeKey: request.routeKey,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
      authorizer: { lambda: { accountId: request.accountId } },
    },
    body: request.body,
    isBase64Encoded: false,
  };
}

export type HttpLambda = (event: HttpEvent, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
