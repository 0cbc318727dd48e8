import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  APIGatewayRequestAuthorizerEventV2,
  Context,
} from 'aws-lambda';
import { FALLBACK_FUNCTION, matchRoute, routeKeyOf } from '../functions/routes.js';

/**
 * A small stand-in for API Gateway (HTTP API, payload 2.0): routes by the same table the stack
 * deploys, runs the same authorizer, invokes the same handler modules, and writes their result
 * back. Handlers are imported on first use, after the caller has set their environment.
 */

/** API Gateway HTTP APIs refuse larger bodies. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

type Handler<E, R> = (event: E, context: Context) => Promise<R>;
type HttpLambda = Handler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;

const loaded = new Map<string, Promise<{ handler: unknown }>>();

export function loadHandler<H>(name: string): Promise<H> {
  let module = loaded.get(name);
  if (!module) {
    module = import(`../functions/${name}.ts`) as Promise<{ handler: unknown }>;
    loaded.set(name, module);
  }
  return module.then((m) => m.handler as H);
}

export function lambdaContext(functionName: string, timeoutMillis = 30_000): Context {
  const deadline = Date.now() + timeoutMillis;
  const fail = () => {
    throw new Error('callbacks are not supported');
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: fail,
    fail,
    succeed: fail,
  };
}

/** Text bodies travel as text; anything else (gzip, octet-stream) as base64, like API Gateway. */
function isTextBody(headers: Record<string, string>): boolean {
  if (headers['content-encoding'] && headers['content-encoding'] !== 'identity') return false;
  const type = headers['content-type'] ?? '';
  return /^(text\/|application\/(json|x-ndjson|ndjson|jsonl|x-www-form-urlencoded|xml|[\w.+-]*\+json))/i.test(type);
}

function readHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return headers;
}

function queryParameters(search: URLSearchParams): Record<string, string> | undefined {
  const parameters: Record<string, string> = {};
  for (const key of new Set(search.keys())) parameters[key] = search.getAll(key).join(',');
  return Object.keys(parameters).length > 0 ? parameters : undefined;
}

async function readBody(request: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(response: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const body = result.body === undefined ? '' : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  response.writeHead(result.statusCode ?? 200, { ...result.headers, 'content-length': String(body.length) });
  response.end(body);
}

function gatewayError(statusCode: number, message: string, code: string, details: string): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ message, code, details }),
  };
}

async function handle(request: IncomingMessage): Promise<APIGatewayProxyStructuredResultV2> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const method = (request.method ?? 'GET').toUpperCase();
  const headers = readHeaders(request);
  const body = await readBody(request);
  if (body === 'too-large') {
    return gatewayError(413, 'Payload too large', 'PAYLOAD_TOO_LARGE', `requests are limited to ${MAX_REQUEST_BYTES} bytes`);
  }
  const now = new Date();
  const text = isTextBody(headers);
  const match = matchRoute(method, url.pathname);
  const routeKey = match.kind === 'route' ? routeKeyOf(match.route) : '$default';
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: queryParameters(url.searchParams),
    ...(match.kind === 'route' && Object.keys(match.pathParameters).length > 0
      ? { pathParameters: Object.fromEntries(Object.entries(match.pathParameters).map(([k, v]) => [k, safeDecode(v)])) }
      : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: body.toString(text ? 'utf8' : 'base64') } : {}),
    isBase64Encoded: body.length > 0 && !text,
  };

  if (match.kind !== 'route') {
    const fallback = await loadHandler<HttpLambda>(FALLBACK_FUNCTION);
    return fallback(event, lambdaContext(FALLBACK_FUNCTION));
  }
  if (match.route.authenticated) {
    // API Gateway answers a request without the identity-source header itself, before the authorizer.
    if (!headers['x-api-key']) {
      return gatewayError(401, 'Unauthorized', 'UNAUTHORIZED', 'the X-API-KEY header is missing');
    }
    const authorizer = await loadHandler<
      Handler<APIGatewayRequestAuthorizerEventV2, { isAuthorized: boolean; context?: Record<string, unknown> }>
    >('authorizer');
    const authorization = await authorizer(
      {
        version: '2.0',
        type: 'REQUEST',
        routeArn: `arn:aws:execute-api:local:000000000000:local/$default/${method}${url.pathname}`,
        identitySource: [headers['x-api-key']],
        routeKey,
        rawPath: event.rawPath,
        rawQueryString: event.rawQueryString,
        headers,
        requestContext: event.requestContext,
        ...(event.queryStringParameters ? { queryStringParameters: event.queryStringParameters } : {}),
        ...(event.pathParameters ? { pathParameters: event.pathParameters } : {}),
      } as APIGatewayRequestAuthorizerEventV2,
      lambdaContext('authorizer'),
    );
    if (!authorization.isAuthorized) return gatewayError(403, 'Forbidden', 'FORBIDDEN', 'the authorizer denied the request');
    (event.requestContext as { authorizer?: unknown }).authorizer = { lambda: authorization.context ?? {} };
  }
  const handler = await loadHandler<HttpLambda>(match.route.function);
  return handler(event, lambdaContext(match.route.function));
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export interface Gateway {
  readonly server: Server;
  readonly url: string;
  close(): Promise<void>;
}

export async function startGateway(port: number, onError: (error: unknown) => void = () => {}): Promise<Gateway> {
  const server = createServer((request, response) => {
    handle(request)
      .then((result) => send(response, result))
      .catch((error: unknown) => {
        onError(error);
        send(response, gatewayError(500, 'Internal server error', 'INTERNAL_ERROR', 'the local gateway failed'));
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    server,
    url: `http://localhost:${actualPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
