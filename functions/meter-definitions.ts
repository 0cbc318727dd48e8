import { parseMeterApiName, parseMeterDefinitionInput } from './domain/meters.js';
import { httpHandler, ok } from './http/http-handler.js';
import { runtime } from './runtime.js';
import { ConfigStore } from './store/config-store.js';

const { ddb, config } = runtime();
const store = new ConfigStore(ddb, config.tables.config);

export const handler = httpHandler({
  'GET /meter-definition': async (request) => ok(await store.listMeters(request.accountId)),

  'POST /meter-definition': async (request) =>
    ok(await store.createMeter(request.accountId, parseMeterDefinitionInput(request.jsonBody()), Date.now())),

  'PUT /meter-definition': async (request) =>
    ok(await store.updateMeter(request.accountId, parseMeterDefinitionInput(request.jsonBody()), Date.now())),

  'GET /meter-definition/{meterApiName}': async (request) =>
    ok(await store.getMeter(request.accountId, parseMeterApiName(request.pathParameter('meterApiName'), 'meterApiName'))),

  'DELETE /meter-definition/{meterApiName}': async (request) =>
    ok(await store.deleteMeter(request.accountId, parseMeterApiName(request.pathParameter('meterApiName'), 'meterApiName'))),
});
