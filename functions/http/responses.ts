import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  ConflictError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  TallyError,
  UnauthorizedError,
  ValidationError,
} from '../domain/errors.js';

/** The seed contract's error body. */
export interface ErrorResponse {
  readonly message: string;
  readonly code: string;
  readonly details: string;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

const STATUS_BY_ERROR: ReadonlyArray<readonly [new (...args: never[]) => TallyError, number]> = [
  [ValidationError, 400],
  [UnauthorizedError, 401],
  [NotFoundError, 404],
  [MethodNotAllowedError, 405],
  [ConflictError, 409],
  [PayloadTooLargeError, 413],
  [ServiceUnavailableError, 503],
];

export function statusOf(error: TallyError): number {
  return STATUS_BY_ERROR.find(([type]) => error instanceof type)?.[1] ?? 500;
}

export function errorResponse(error: TallyError): APIGatewayProxyStructuredResultV2 {
  const body: ErrorResponse = { message: error.message, code: error.code, details: error.details };
  const headers: Record<string, string> = error instanceof ServiceUnavailableError ? { 'retry-after': '1' } : {};
  if (error instanceof MethodNotAllowedError) headers.allow = error.allowedMethods.join(', ');
  return jsonResponse(statusOf(error), body, headers);
}

/** What a client sees for any failure Tally did not anticipate: no stack, no resource names. */
export function internalErrorResponse(requestId: string): APIGatewayProxyStructuredResultV2 {
  const body: ErrorResponse = {
    message: 'Internal server error',
    code: 'INTERNAL_ERROR',
    details: `The request could not be completed. Retry later; if it keeps failing, report request id ${requestId}.`,
  };
  return jsonResponse(500, body);
}
