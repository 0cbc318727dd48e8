import { inject } from 'vitest';
import { handlerEnvironment } from '../../local/local-env.js';
import { localTableNames } from '../../local/tables.js';

// Handlers read their config at import; point them at the run's DynamoDB Local before any test imports them.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
Object.assign(process.env, handlerEnvironment(inject('dynamodbEndpoint'), localTableNames('test')));
