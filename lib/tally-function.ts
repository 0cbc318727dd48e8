import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DeploySettings } from './deploy-settings.js';
import { accessOf, QUEUE_SEND_ACTIONS, READ_ACTIONS, WRITE_ACTIONS, type TableAccess, type TableId } from './function-access.js';
import type { Tables } from './tables.js';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Settings every Tally Lambda shares; a function overrides only what its job needs. */
export const FUNCTION_DEFAULTS = {
  runtime: Runtime.NODEJS_24_X,
  architecture: Architecture.ARM_64,
  memorySize: 512,
  // Below API Gateway's 30 s integration limit, so a stuck request ends in the function first.
  timeout: Duration.seconds(20),
  bundling: {
    format: OutputFormat.ESM,
    target: 'node24',
    minify: true,
    sourceMap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    // The SDK versions the code was tested with, not whichever the runtime happens to ship.
    bundleAwsSDK: true,
    // CommonJS dependencies inside an ESM bundle still call require() for Node built-ins.
    banner: "import { createRequire as __tallyRequire } from 'node:module'; const require = __tallyRequire(import.meta.url);",
  },
} satisfies Partial<NodejsFunctionProps>;

/** Logs go with the stack (only the tables are kept) and are kept for the configured retention. */
export function tallyLogGroup(scope: Construct, id: string, settings: DeploySettings): LogGroup {
  return new LogGroup(scope, id, {
    // A value CloudWatch accepts: resolveDeploySettings checked it against LOG_RETENTION_DAYS.
    retention: settings.logRetentionDays as RetentionDays,
    removalPolicy: RemovalPolicy.DESTROY,
  });
}

export interface TallyFunctionProps {
  /** The entry's file name in functions/, also its key in lib/function-access.ts. */
  readonly name: string;
  readonly settings: DeploySettings;
  readonly tables: Tables;
  /** The pipeline's queue, for functions whose access includes sending to it. */
  readonly queue?: IQueue;
  readonly timeout?: Duration;
  readonly memorySize?: number;
}

/**
 * One Lambda built from functions/<name>.ts with the shared defaults, its own log group and its
 * own role holding exactly the access lib/function-access.ts declares for it.
 */
export class TallyFunction extends Construct {
  readonly name: string;
  readonly function: NodejsFunction;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: TallyFunctionProps) {
    super(scope, id);
    const { name, settings, tables, queue } = props;
    this.name = name;
    const access = accessOf(name);
    if (access.sendToQueue && !queue) throw new Error(`function "${name}" sends to the queue but was given none`);
    const sendsTo = access.sendToQueue ? queue : undefined;

    const logGroup = tallyLogGroup(this, 'Logs', settings);
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Tally ${name}: its log group and what lib/function-access.ts grants`,
    });
    // Instead of AWSLambdaBasicExecutionRole, which may write to every log group in the account.
    logGroup.grantWrite(this.role);

    for (const [tableId, level] of Object.entries(access.tables ?? {}) as [TableId, TableAccess][]) {
      const tableArn = tables.table(tableId).tableArn;
      this.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: [...READ_ACTIONS], resources: [tableArn, ...tables.indexArns(tableId)] }),
      );
      if (WRITE_ACTIONS[level].length > 0) {
        this.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...WRITE_ACTIONS[level]], resources: [tableArn] }));
      }
    }
    if (sendsTo) {
      this.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...QUEUE_SEND_ACTIONS], resources: [sendsTo.queueArn] }));
    }

    this.function = new NodejsFunction(this, 'Function', {
      ...FUNCTION_DEFAULTS,
      description: `Tally ${name}`,
      entry: join(projectRoot, 'functions', `${name}.ts`),
      projectRoot,
      depsLockFilePath: join(projectRoot, 'package-lock.json'),
      role: this.role,
      logGroup,
      timeout: props.timeout ?? FUNCTION_DEFAULTS.timeout,
      memorySize: props.memorySize ?? FUNCTION_DEFAULTS.memorySize,
      tracing: settings.tracing ? Tracing.ACTIVE : undefined,
      environment: {
        TALLY_CONFIG_TABLE: tables.table('Config').tableName,
        TALLY_EVENTS_TABLE: tables.table('Events').tableName,
        TALLY_ROLLUPS_TABLE: tables.table('Rollups').tableName,
        TALLY_LATENESS_LIMIT_DAYS: String(settings.latenessLimitDays),
        TALLY_RAW_RETENTION_DAYS: String(settings.rawRetentionDays),
        ...(sendsTo ? { TALLY_QUEUE_URL: sendsTo.queueUrl } : {}),
        NODE_OPTIONS: '--enable-source-maps',
      },
    });
    if (settings.tracing) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions; only granted when tracing is on',
      });
    }
  }
}

