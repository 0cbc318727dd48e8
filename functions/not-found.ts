import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { MethodNotAllowedError, NotFoundError } from './domain/errors.js';
import { errorResponses } from './http/error-responses.js';
import { matchRoute } from './routes.js';

/**
 * The `$default` route: anything no other route takes. Answers in the ErrorResponse shape so
 * clients see one error format everywhere, 405 with Allow when only the method is wrong.
 */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context>()
  .use(errorResponses())
  .handler(async (event) => {
    const { method, path } = event.requestContext.http;
    const match = matchRoute(method, path);
    if (match.kind === 'wrong-method') throw new MethodNotAllowedError(match.allowedMethods, path);
    throw new NotFoundError('Not found', `no route for ${method} ${path}`);
  });
