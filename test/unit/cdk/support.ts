import { readFileSync } from 'node:fs';
import { App, Stack, type CfnResource } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CfnPolicy } from 'aws-cdk-lib/aws-iam';
import { routes } from '../../../functions/routes.js';
import type { DeploySettings } from '../../../lib/deploy-settings.js';
import type { StackRoute } from '../../../lib/route-plan.js';
import { tableDefinitions } from '../../../lib/table-definitions.js';
import { Tables } from '../../../lib/tables.js';
import { TallyFunction } from '../../../lib/tally-function.js';
import { TallyStack } from '../../../lib/tally-stack.js';

// The feature flags of cdk.json shape the template (minimizePolicies merges statements), so tests use them too.
const cdkJson = JSON.parse(readFileSync(new URL('../../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};

/**
 * A fresh app whose stacks skip bundling (no esbuild) and the built-in CloudFormation
 * validation (seconds of WebAssembly per synth); `npm run synth` runs both for real.
 */
export function testApp(): App {
  return new App({
    builtinCloudFormationValidation: false,
    context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] },
  });
}

export interface Synthesized {
  readonly app: App;
  readonly stack: TallyStack;
  readonly template: Template;
}

export function synthesize(
  options: { settings?: Partial<DeploySettings>; routes?: readonly StackRoute[] } = {},
): Synthesized {
  const app = testApp();
  const stack = new TallyStack(app, 'Tally', { routes, ...options });
  return { app, stack, template: Template.fromStack(stack) };
}

export function tallyFunctions(stack: Stack): Map<string, TallyFunction> {
  const found = stack.node.findAll().filter((c): c is TallyFunction => c instanceof TallyFunction);
  return new Map(found.map((fn) => [fn.name, fn]));
}

export function tallyFunction(stack: Stack, name: string): TallyFunction {
  const fn = tallyFunctions(stack).get(name);
  if (!fn) throw new Error(`no function ${name} in the stack`);
  return fn;
}

export function logicalId(stack: Stack, resource: CfnResource): string {
  return stack.resolve(resource.logicalId) as string;
}

export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** The statements of the inline policy on a function's own role. */
export function policyStatements(stack: Stack, template: Template, name: string): Statement[] {
  const policy = tallyFunction(stack, name).role.node.findAll().find((c): c is CfnPolicy => c instanceof CfnPolicy);
  if (!policy) return [];
  const resource = template.toJSON().Resources[logicalId(stack, policy)];
  return resource.Properties.PolicyDocument.Statement as Statement[];
}

export const actionsOf = (statement: Statement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

/** Every (resource, action) an Allow statement list grants, as resource → sorted actions. */
export function grantsByResource(statements: readonly Statement[]): Record<string, string[]> {
  const grants: Record<string, Set<string>> = {};
  for (const statement of statements) {
    const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
    for (const resource of resources) {
      const key = describeResource(resource);
      grants[key] ??= new Set();
      for (const action of actionsOf(statement)) grants[key].add(action);
    }
  }
  return Object.fromEntries(Object.entries(grants).map(([key, actions]) => [key, [...actions].sort()]));
}

/** `{"Fn::GetAtt": [id, "Arn"]}` → "id.Arn"; anything else as JSON, for readable assertions. */
export function describeResource(resource: unknown): string {
  const getAtt = (resource as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  if (getAtt) return `${getAtt[0]}.${getAtt[1]}`;
  return JSON.stringify(resource);
}

/** Table id (Config, Events, Rollups) → the table's logical id in the template. */
export function tableLogicalIds(stack: Stack): Record<string, string> {
  const tables = stack.node.findAll().find((c): c is Tables => c instanceof Tables);
  if (!tables) throw new Error('no Tables construct in the stack');
  return Object.fromEntries(
    tableDefinitions.map((d) => [d.id, logicalId(stack, tables.table(d.id).node.defaultChild as CfnResource)]),
  );
}

export function functionLogicalId(stack: Stack, name: string): string {
  return logicalId(stack, tallyFunction(stack, name).function.node.defaultChild as CfnResource);
}
