import { Logger } from '@aws-lambda-powertools/logger';

/** One structured logger per container; level and sampling come from POWERTOOLS_* settings. */
export const logger = new Logger({ serviceName: 'tally' });
