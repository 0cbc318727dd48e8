import { gunzipSync } from 'node:zlib';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { NotFoundError, PayloadTooLargeError, UnauthorizedError, ValidationError } from '../domain/errors.js';
import { errorResponses } from './error-responses.js';
import { jsonResponse } from './responses.js';

/** What the authorizer hands every authenticated route (see functions/authorizer.ts). */
export interface AuthorizerContext {
  readonly accountId?: string;
  /** Why the key was not accepted, when it was not. */
  readonly rejection?: string;
}

export type HttpEvent = APIGatewayProxyEventV2 & {
  requestContext: APIGatewayProxyEventV2['requestContext'] & {
    authorizer?: { lambda?: AuthorizerContext };
  };
};

export interface HttpResult {
  readonly statusCode: number;
  readonly body: unknown;
}

export const ok = (body: unknown): HttpResult => ({ statusCode: 200, body });

/** Configuration and request bodies are small; ingest sets its own, larger limit. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/** A request as a route action sees it: typed accessors that throw typed errors. */
export class HttpRequest {
  constructor(readonly event: HttpEvent) {}

  /** The account the API key belongs to; 401 when the authorizer did not accept the key. */
  get accountId(): string {
    const context = this.event.requestContext.authorizer?.lambda;
    if (!context?.accountId) {
      throw new UnauthorizedError('Unauthorized', context?.rejection ?? 'a valid X-API-KEY header is required');
    }
    return context.accountId;
  }

  pathParameter(name: string): string | undefined {
    return this.event.pathParameters?.[name];
  }

  queryParameter(name: string): string | undefined {
    return this.event.queryStringParameters?.[name];
  }

  /** The raw body bytes, base64 and gzip undone, refused above `maxBytes` once decompressed. */
  bodyBytes(maxBytes = DEFAULT_MAX_BODY_BYTES): Buffer {
    const { body, isBase64Encoded } = this.event;
    if (body === undefined || body === null) return Buffer.alloc(0);
    const raw = Buffer.from(body, isBase64Encoded ? 'base64' : 'utf8');
    const encoding = headerValue(this.event, 'content-encoding')?.trim().toLowerCase();
    let bytes = raw;
    if (encoding === 'gzip') {
      try {
        bytes = gunzipSync(raw, { maxOutputLength: maxBytes + 1 });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
          throw tooLarge(maxBytes, error);
        }
        throw new ValidationError('Malformed body', 'Content-Encoding is gzip but the body is not valid gzip data', {
          cause: error,
        });
      }
    } else if (encoding !== undefined && encoding !== '' && encoding !== 'identity') {
      throw new ValidationError('Unsupported Content-Encoding', `"${encoding}" is not supported; send gzip or no encoding`);
    }
    if (bytes.length > maxBytes) throw tooLarge(maxBytes);
    return bytes;
  }

  /** The body parsed as JSON; 400 naming the problem when it is empty or malformed. */
  jsonBody(maxBytes = DEFAULT_MAX_BODY_BYTES): unknown {
    const text = this.bodyBytes(maxBytes).toString('utf8');
    if (text.trim() === '') throw new ValidationError('Missing body', 'this request needs a JSON body');
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new ValidationError('Malformed JSON', `the body is not valid JSON: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}

function tooLarge(maxBytes: number, cause?: unknown): PayloadTooLargeError {
  return new PayloadTooLargeError(
    'Payload too large',
    `the body must be at most ${maxBytes} bytes after decompression`,
    cause === undefined ? undefined : { cause },
  );
}

export function headerValue(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

export type RouteAction = (request: HttpRequest) => Promise<HttpResult>;

/**
 * A Lambda that serves several routes, dispatched on API Gateway's routeKey
 * (e.g. "GET /meter-definition/{meterApiName}"), with errors mapped in one middleware.
 */
export function httpHandler(actions: Readonly<Record<string, RouteAction>>) {
  return middy<HttpEvent, APIGatewayProxyStructuredResultV2, Error, Context>()
    .use(errorResponses())
    .handler(async (event) => {
      const action = actions[event.routeKey];
      if (!action) throw new NotFoundError('Not found', `no route ${event.routeKey}`);
      const result = await action(new HttpRequest(event));
      return jsonResponse(result.statusCode, result.body);
    });
}
