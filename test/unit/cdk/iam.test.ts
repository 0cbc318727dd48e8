import type { CfnResource } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { actionsOf, describeResource, grantsByResource, logicalId, policyStatements, synthesize, tableLogicalIds, tallyFunctions, type Statement } from './support.js';

const { stack, template } = synthesize();
const tables = tableLogicalIds(stack);

const READ = ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'];
const READ_WRITE = [...READ, 'dynamodb:ConditionCheckItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'].sort();
const READ_WRITE_DELETE = [...READ_WRITE, 'dynamodb:DeleteItem'].sort();
const CONSUME = [
  'sqs:ChangeMessageVisibility',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:GetQueueUrl',
  'sqs:ReceiveMessage',
];

/** Statements other than the function's own log-group grant, as "resource → sorted actions". */
function grantsOf(name: string): Record<string, string[]> {
  const statements = policyStatements(stack, template, name).filter(
    (statement) => !actionsOf(statement).every((action) => action.startsWith('logs:')),
  );
  return grantsByResource(statements);
}

const queueArn = () => {
  const statement = policyStatements(stack, template, 'ingest').find((s) => actionsOf(s).includes('sqs:SendMessage'));
  return describeResource(statement!.Resource);
};

describe('IAM grants per function', () => {
  it.each([
    ['authorizer', { [`${tables.Config}.Arn`]: READ }],
    ['health', {}],
    ['not-found', {}],
    ['meter-definitions', { [`${tables.Config}.Arn`]: READ_WRITE_DELETE }],
    ['filtering-rules', { [`${tables.Config}.Arn`]: READ_WRITE_DELETE }],
    ['usage', { [`${tables.Config}.Arn`]: READ, [`${tables.Rollups}.Arn`]: READ }],
  ])('gives %s exactly what it uses', (name, expected) => {
    expect(grantsOf(name)).toEqual(expected);
  });

  it('lets usage-events read Config and the Events table (events and their pages), no index', () => {
    expect(grantsOf('usage-events')).toEqual({
      [`${tables.Config}.Arn`]: READ,
      [`${tables.Events}.Arn`]: READ,
    });
  });

  it('lets ingest read Config and send to the queue, nothing else', () => {
    expect(queueArn()).toMatch(/^EventPipelineQueue\w+\.Arn$/);
    expect(grantsOf('ingest')).toEqual({ [`${tables.Config}.Arn`]: READ, [queueArn()]: ['sqs:SendMessage'] });
  });

  it('lets the consumer read Config, write Events and Rollups without deleting, and consume the queue', () => {
    expect(grantsOf('consumer')).toEqual({
      [`${tables.Config}.Arn`]: READ,
      [`${tables.Events}.Arn`]: READ_WRITE,
      [`${tables.Rollups}.Arn`]: READ_WRITE,
      [queueArn()]: CONSUME,
    });
  });

  it('scopes every function\'s log permissions to its own log group', () => {
    for (const [name, fn] of tallyFunctions(stack)) {
      const logStatements = policyStatements(stack, template, name).filter((s) =>
        actionsOf(s).some((action) => action.startsWith('logs:')),
      );
      const logGroupId = logicalId(stack, fn.function.logGroup.node.defaultChild as CfnResource);
      expect(logStatements.map((s) => [describeResource(s.Resource), [...actionsOf(s)].sort()])).toEqual([
        [`${logGroupId}.Arn`, ['logs:CreateLogStream', 'logs:PutLogEvents']],
      ]);
    }
  });

  it('never grants a wildcard action or resource', () => {
    const statements: Statement[] = [...tallyFunctions(stack).keys()].flatMap((name) => policyStatements(stack, template, name));
    expect(statements.length).toBeGreaterThan(10);
    for (const statement of statements) {
      for (const action of actionsOf(statement)) expect(action).not.toContain('*');
      expect(JSON.stringify(statement.Resource)).not.toContain('*');
      expect(statement.Effect).toBe('Allow');
    }
  });

  it('uses no managed policies (no AWSLambdaBasicExecutionRole)', () => {
    const roles = Object.values(template.findResources('AWS::IAM::Role'));
    expect(roles).toHaveLength(tallyFunctions(stack).size);
    for (const role of roles) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });
});
