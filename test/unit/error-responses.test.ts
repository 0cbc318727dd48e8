import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ConflictError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  UnauthorizedError,
  ValidationError,
  type TallyError,
} from '../../functions/domain/errors.js';
import { handler as healthHandler } from '../../functions/health.js';
import { httpHandler, ok, type RouteAction } from '../../functions/http/http-handler.js';
import { errorResponse, internalErrorResponse, statusOf } from '../../functions/http/responses.js';
import { logger } from '../../functions/logger.js';
import { handler as notFoundHandler } from '../../functions/not-found.js';
import { lambdaContext } from '../../local/gateway.js';
import { httpEvent } from './support.js';

const CONTEXT = lambdaContext('unit');

async function invoke(action: RouteAction): Promise<APIGatewayProxyStructuredResultV2> {
  const handler = httpHandler({ 'GET /test': action });
  return handler(httpEvent({}), { ...CONTEXT, awsRequestId: 'req-123' });
}

const bodyOf = (result: APIGatewayProxyStructuredResultV2) => JSON.parse(result.body ?? '');

afterEach(() => {
  vi.restoreAllMocks();
});

describe('typed errors', () => {
  it.each<[TallyError, number, string]>([
    [new ValidationError('Invalid meter definition', 'type: expected one of ...'), 400, 'VALIDATION_FAILED'],
    [new UnauthorizedError('Unauthorized', 'the API key is not valid'), 401, 'UNAUTHORIZED'],
    [new NotFoundError('Meter definition not found', 'no meter named "x"'), 404, 'NOT_FOUND'],
    [new MethodNotAllowedError(['GET', 'POST'], '/meter-definition'), 405, 'METHOD_NOT_ALLOWED'],
    [new ConflictError('Meter definition already exists', 'use PUT'), 409, 'CONFLICT'],
    [new PayloadTooLargeError('Payload too large', 'at most 10 bytes'), 413, 'PAYLOAD_TOO_LARGE'],
    [new ServiceUnavailableError('Queue unavailable', 'retry'), 503, 'SERVICE_UNAVAILABLE'],
  ])('%s becomes %i with code %s and its own message and details', async (error, status, code) => {
    expect(statusOf(error)).toBe(status);
    const result = await invoke(async () => {
      throw error;
    });
    expect(result.statusCode).toBe(status);
    expect(result.headers?.['content-type']).toBe('application/json; charset=utf-8');
    expect(bodyOf(result)).toEqual({ message: error.message, code, details: error.details });
  });

  it('carries the cause without showing it to the client', async () => {
    const cause = new Error('ConditionalCheckFailedException on table prod-config');
    const error = new ConflictError('Meter definition already exists', 'use PUT', { cause });
    expect(error.cause).toBe(cause);
    const result = await invoke(async () => {
      throw error;
    });
    expect(result.body).not.toContain('prod-config');
  });

  it('names the error class', () => {
    expect(new NotFoundError('x', 'y').name).toBe('NotFoundError');
  });

  it('adds Allow to a 405 and Retry-After to a 503', () => {
    expect(errorResponse(new MethodNotAllowedError(['GET', 'DELETE'], '/x')).headers).toMatchObject({ allow: 'GET, DELETE' });
    expect(errorResponse(new ServiceUnavailableError('busy', 'retry')).headers).toMatchObject({ 'retry-after': '1' });
    expect(errorResponse(new NotFoundError('x', 'y')).headers).not.toHaveProperty('allow');
  });
});

describe('unexpected errors', () => {
  function leakyError(): Error {
    const error = new Error('ResourceNotFoundException: Requested resource not found: Table: tally-prod-config not found');
    error.name = 'ResourceNotFoundException';
    return error;
  }

  it('become a generic 500 ErrorResponse that names the request id', async () => {
    const result = await invoke(async () => {
      throw leakyError();
    });
    expect(result.statusCode).toBe(500);
    expect(bodyOf(result)).toEqual({
      message: 'Internal server error',
      code: 'INTERNAL_ERROR',
      details: 'The request could not be completed. Retry later; if it keeps failing, report request id req-123.',
    });
  });

  it('leak no stack, no table name and no error text', async () => {
    const error = leakyError();
    const result = await invoke(async () => {
      throw error;
    });
    expect(result.body).not.toContain('tally-prod-config');
    expect(result.body).not.toContain('ResourceNotFound');
    expect(result.body).not.toMatch(/\bat .+:\d+:\d+/);
    expect(result.body).not.toContain(error.stack!.split('\n')[1]!.trim());
  });

  it('are logged in full for the operator', async () => {
    const logged = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    const error = leakyError();
    await invoke(async () => {
      throw error;
    });
    expect(logged).toHaveBeenCalledExactlyOnceWith('unhandled error', { error, routeKey: 'GET /test' });
  });

  it('cover thrown values that are not Error objects too', async () => {
    const result = await invoke(async () => {
      throw 'a string';
    });
    expect(result.statusCode).toBe(500);
    expect(result.body).not.toContain('a string');
  });

  it('use a placeholder when the context has no request id', () => {
    expect(JSON.parse(internalErrorResponse('unknown').body!).details).toContain('request id unknown');
  });
});

describe('httpHandler', () => {
  it('answers the action result as JSON', async () => {
    const result = await invoke(async () => ok({ a: 1 }));
    expect(result).toEqual({ statusCode: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"a":1}' });
  });

  it('answers 404 for a route key it does not serve', async () => {
    const handler = httpHandler({ 'GET /test': async () => ok(null) });
    const result = await handler(httpEvent({}, 'GET /other'), CONTEXT);
    expect(result.statusCode).toBe(404);
    expect(bodyOf(result)).toMatchObject({ code: 'NOT_FOUND', details: 'no route GET /other' });
  });
});

describe('health handler', () => {
  it('answers 200 without any authorizer context', async () => {
    const result = await healthHandler(httpEvent({}, 'GET /health'), CONTEXT);
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toEqual({ status: 'ok', service: 'tally' });
  });
});

describe('fallback ($default) handler', () => {
  const fallback = (method: string, path: string) =>
    notFoundHandler(httpEvent({ requestContext: { http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'unit' } } }, '$default'), CONTEXT);

  it('answers 404 NOT_FOUND for an unknown path', async () => {
    const result = await fallback('GET', '/nowhere');
    expect(result.statusCode).toBe(404);
    expect(bodyOf(result)).toEqual({ message: 'Not found', code: 'NOT_FOUND', details: 'no route for GET /nowhere' });
  });

  it('answers 405 with Allow for a known path and another method', async () => {
    const result = await fallback('PATCH', '/meter-definition');
    expect(result.statusCode).toBe(405);
    expect(result.headers?.allow).toBe('GET, POST, PUT');
    expect(bodyOf(result)).toEqual({
      message: 'Method not allowed',
      code: 'METHOD_NOT_ALLOWED',
      details: '/meter-definition accepts GET, POST, PUT',
    });
  });
});
