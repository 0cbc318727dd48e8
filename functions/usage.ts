import { ValidationError } from './domain/errors.js';
import type { MeterDefinition } from './domain/meters.js';
import { aggregateUsage } from './domain/usage-aggregation.js';
import { checkBatchSize, inBatchItem } from './domain/usage-batch.js';
import {
  parseUsageAllParameters,
  parseUsageBatchRequest,
  parseUsageRequest,
  planUsageQuery,
  type UsageRequest,
} from './domain/usage-request.js';
import { usageReport, usageResponse } from './domain/usage-response.js';
import { httpHandler, ok, type HttpRequest } from './http/http-handler.js';
import { runtime } from './runtime.js';
import { ConfigStore } from './store/config-store.js';
import { readUsageRows } from './store/usage-rows.js';

const { ddb, config } = runtime();
const configStore = new ConfigStore(ddb, config.tables.config);

async function answer(accountId: string, request: UsageRequest, meter?: MeterDefinition) {
  const definition = meter ?? (await configStore.getMeter(accountId, request.query.meterApiName));
  const plan = planUsageQuery(request.query, definition);
  const groups = aggregateUsage(plan, await readUsageRows(ddb, config.tables.rollups, accountId, plan));
  return { plan, groups, response: usageResponse(request, plan, groups) };
}

async function usage(request: HttpRequest) {
  const accountId = request.accountId;
  return ok((await answer(accountId, parseUsageRequest(request.jsonBody(), Date.now()))).response);
}

async function usageBatch(request: HttpRequest) {
  const accountId = request.accountId;
  const requests = parseUsageBatchRequest(request.jsonBody(), Date.now());
  const answers = await Promise.all(
    requests.map((item, index) =>
      answer(accountId, item).catch((error: unknown) => {
        throw inBatchItem(error, index);
      }),
    ),
  );
  checkBatchSize(answers);
  return ok(answers.map((item) => item.response));
}

/** One report per meter of the account, in meter-name order. */
async function usageAll(request: HttpRequest) {
  const accountId = request.accountId;
  const template = parseUsageAllParameters(request.event.queryStringParameters ?? {}, Date.now());
  const meters = (await configStore.listMeters(accountId)).sort((a, b) => a.meterApiName.localeCompare(b.meterApiName));
  const lacking = meters.filter((meter) =>
    template.groupBy.some((key) => key !== 'customerId' && !meter.dimensions.includes(key)),
  );
  if (lacking.length > 0) {
    throw new ValidationError(
      'Invalid usage query',
      `groupBy names dimensions that meters ${lacking.map((meter) => meter.meterApiName).join(', ')} do not declare; ` +
        'group by customerId only, or query those meters one by one with POST /usage',
    );
  }
  const answers = await Promise.all(
    meters.map((meter) => answer(accountId, { query: { ...template, meterApiName: meter.meterApiName }, shape: 'report' }, meter)),
  );
  checkBatchSize(answers);
  return ok(answers.map(({ plan, groups }) => usageReport(plan, groups)));
}

export const handler = httpHandler({
  'POST /usage': usage,
  'POST /usage/': usage,
  'POST /usage/batch': usageBatch,
  'POST /usage/batch/': usageBatch,
  'GET /usage/all': usageAll,
  'GET /usage/all/': usageAll,
});
