import { expect } from 'vitest';
import { TallyError } from '../../functions/domain/errors.js';
import type { HttpEvent } from '../../functions/http/http-handler.js';

/** Runs `action`, expects a TallyError of the given class, and returns its details for assertions. */
export function detailsOfError(action: () => unknown, type: abstract new (...args: never[]) => TallyError): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return (error as TallyError).details;
  }
  throw new Error('expected the action to throw');
}

type EventOverrides = Omit<Partial<HttpEvent>, 'requestContext'> & {
  requestContext?: Partial<HttpEvent['requestContext']>;
};

/** An API Gateway HTTP API (payload 2.0) event with just enough filled in for handler tests. */
export function httpEvent(overrides: EventOverrides, routeKey = 'GET /test'): HttpEvent {
  const [method = 'GET', path = '/'] = routeKey.split(' ');
  const { requestContext, ...rest } = overrides;
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    ...rest,
    requestContext: {
      accountId: '000000000000',
      apiId: 'unit',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'unit' },
      requestId: 'request-1',
      routeKey,
      stage: '$default',
      time: '01/Jan/2026:00:00:00 +0000',
      timeEpoch: 0,
      ...requestContext,
    },
  };
}
