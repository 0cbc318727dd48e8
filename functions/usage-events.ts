import { ValidationError } from './domain/errors.js';
import { decodePageToken, encodePageToken, type PageTokenScope } from './domain/page-token.js';
import { parseRawEventRequest, type RawEventRequest } from './domain/raw-event-request.js';
import { httpHandler, ok, type HttpRequest } from './http/http-handler.js';
import { runtime } from './runtime.js';
import { ConfigStore } from './store/config-store.js';
import { eventPageAccountKey } from './store/data-keys.js';
import {
  getRawEvent,
  isPositionOf,
  listRawEvents,
  RAW_EVENT_POSITION_ATTRIBUTES,
  type RawEventPosition,
  type RawEventQuery,
} from './store/raw-events.js';

const { ddb, config } = runtime();
const configStore = new ConfigStore(ddb, config.tables.config);

function tokenScope(accountId: string, request: RawEventRequest): PageTokenScope {
  return {
    accountKey: eventPageAccountKey(accountId),
    keyAttributes: RAW_EVENT_POSITION_ATTRIBUTES,
    accountScopedAttributes: ['pk'],
    query: {
      meterApiName: request.meterApiName,
      customerId: request.customerId,
      startTimeInSeconds: request.requestedRange.startTimeInSeconds,
      endTimeInSeconds: request.requestedRange.endTimeInSeconds,
      ascending: request.ascending,
    },
  };
}

async function rawEvents(request: HttpRequest) {
  const accountId = request.accountId;
  const parsed = parseRawEventRequest(request.event.queryStringParameters ?? {}, Date.now());
  await configStore.getMeter(accountId, parsed.meterApiName);
  if (parsed.uniqueId !== undefined) {
    const event = await getRawEvent(ddb, config.tables.events, accountId, parsed.meterApiName, parsed.uniqueId);
    const matches = event && (parsed.customerId === undefined || event.customerId === parsed.customerId);
    return ok({ events: matches ? [event] : [] });
  }
  const query: RawEventQuery = { accountId, ...parsed };
  const scope = tokenScope(accountId, parsed);
  let after: RawEventPosition | undefined;
  if (parsed.nextPageToken !== undefined) {
    after = decodePageToken(parsed.nextPageToken, scope) as unknown as RawEventPosition;
    if (!isPositionOf(query, after)) {
      throw new ValidationError('Invalid nextPageToken', 'nextPageToken: it does not hold a position of this listing');
    }
  }
  const page = await listRawEvents(ddb, config.tables.events, query, after);
  return ok({
    events: page.events,
    ...(page.next ? { nextPageToken: encodePageToken({ ...page.next }, scope) } : {}),
  });
}

export const handler = httpHandler({
  'GET /usage/events': rawEvents,
  'GET /usage/events/': rawEvents,
});
