import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

// TEMPORARY placeholder so this branch synthesizes with ingest routes; the real one comes from its own branch.
export const handler = async (): Promise<APIGatewayProxyStructuredResultV2> => ({
  statusCode: 503,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ message: 'Not implemented', code: 'SERVICE_UNAVAILABLE', details: 'placeholder ingest' }),
});
