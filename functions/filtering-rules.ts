import { ValidationError } from './domain/errors.js';
import { parseFilteringRuleInput, parseRuleId } from './domain/filtering-rules.js';
import { parseMeterApiName } from './domain/meters.js';
import { httpHandler, ok } from './http/http-handler.js';
import { runtime } from './runtime.js';
import { ConfigStore } from './store/config-store.js';

const { ddb, config } = runtime();
const store = new ConfigStore(ddb, config.tables.config);

export const handler = httpHandler({
  'POST /meter-event-filtering-rules': async (request) =>
    ok(await store.putRule(request.accountId, parseFilteringRuleInput(request.jsonBody()), Date.now())),

  'GET /meter-event-filtering-rules': async (request) => {
    const accountId = request.accountId;
    const meterApiName = request.queryParameter('meterApiName');
    if (meterApiName === undefined) {
      throw new ValidationError('Missing query parameter', 'meterApiName is required, e.g. ?meterApiName=api-calls');
    }
    return ok(await store.listRules(accountId, parseMeterApiName(meterApiName, 'meterApiName')));
  },

  'DELETE /meter-event-filtering-rules/{ruleId}': async (request) =>
    ok(await store.deleteRule(request.accountId, parseRuleId(request.pathParameter('ruleId')))),
});
