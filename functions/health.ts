import { httpHandler, ok } from './http/http-handler.js';

/** Liveness for load balancers and people: no key needed, touches nothing. */
export const handler = httpHandler({
  'GET /health': async () => ok({ status: 'ok', service: 'tally' }),
});
