import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { TallyError } from '../domain/errors.js';
import { logger } from '../logger.js';
import { errorResponse, internalErrorResponse } from './responses.js';

/**
 * The one place where errors become HTTP responses: typed errors carry their own message and
 * details; anything else is logged in full and answered with a generic 500.
 */
export function errorResponses(): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context> {
  return {
    onError: async (request) => {
      const error = request.error;
      if (error instanceof TallyError) {
        request.response = errorResponse(error);
        return;
      }
      logger.error('unhandled error', { error: error as Error, routeKey: request.event?.routeKey });
      request.response = internalErrorResponse(request.context?.awsRequestId ?? 'unknown');
    },
  };
}
