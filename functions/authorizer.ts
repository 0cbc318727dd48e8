import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { authenticate } from './domain/authentication.js';
import { runtime } from './runtime.js';
import { ConfigStore } from './store/config-store.js';
import type { AuthorizerContext } from './http/http-handler.js';

const { ddb, config } = runtime();
const store = new ConfigStore(ddb, config.tables.config);

/**
 * Resolves X-API-KEY to its account. A request with a bad key is let through carrying the
 * rejection reason instead of the account, so the route answers 401 in the ErrorResponse shape
 * (an authorizer denial would give API Gateway's own 403 body). Every route reads the account
 * through HttpRequest.accountId, which refuses such requests before touching any data.
 */
export const handler = async (
  event: APIGatewayRequestAuthorizerEventV2,
): Promise<APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>> => {
  const outcome = await authenticate(apiKeyOf(event), (keyHash) => store.findApiKeyOwner(keyHash));
  return {
    isAuthorized: true,
    context: outcome.kind === 'accepted' ? { accountId: outcome.accountId } : { rejection: outcome.reason },
  };
};

function apiKeyOf(event: APIGatewayRequestAuthorizerEventV2): string | undefined {
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (name.toLowerCase() === 'x-api-key') return value;
  }
  return event.identitySource?.[0];
}
