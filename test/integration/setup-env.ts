import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { handlerEnvironment } from '../../local/local-env.js';
import { createQueuePair, localSqsClient } from '../../local/queue.js';
import { localTableNames } from '../../local/tables.js';

// Handlers read their config at import; point them at the run's DynamoDB Local and at an event
// queue of this test file's own (so no file sees another's messages) before any test imports them.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
const sqs = localSqsClient(inject('sqsEndpoint'));
const { queue } = await createQueuePair(sqs, `test-events-${randomUUID().slice(0, 8)}`);
sqs.destroy();
Object.assign(
  process.env,
  handlerEnvironment(inject('dynamodbEndpoint'), localTableNames('test'), { endpoint: inject('sqsEndpoint'), queueUrl: queue.url }),
);
