// Unit tests never reach AWS; these only satisfy the cold-start config of imported handlers.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.AWS_REGION ??= 'us-east-1';
process.env.TALLY_CONFIG_TABLE ??= 'unit-config';
process.env.TALLY_EVENTS_TABLE ??= 'unit-events';
process.env.TALLY_ROLLUPS_TABLE ??= 'unit-rollups';
process.env.TALLY_DYNAMODB_ENDPOINT ??= 'http://127.0.0.1:9';
