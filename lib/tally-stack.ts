import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { routes as projectRoutes } from '../functions/routes.js';
import { ApiRoutes } from './api-routes.js';
import { resolveDeploySettings, type DeploySettings } from './deploy-settings.js';
import { EventPipeline } from './event-pipeline.js';
import { isIngestFunction } from './function-access.js';
import { HttpGateway } from './http-gateway.js';
import { planRoutes, type StackRoute } from './route-plan.js';
import { tableDefinitions } from './table-definitions.js';
import { Tables } from './tables.js';

export interface TallyStackProps extends StackProps {
  /** Deployer settings; each one left out takes its default (lib/deploy-settings.ts). */
  readonly settings?: Partial<DeploySettings>;
  /** The HTTP routes to serve; functions/routes.ts unless given. */
  readonly routes?: readonly StackRoute[];
}

/**
 * Tally on AWS: tables, the event pipeline, and one HTTP API whose routes come from
 * functions/routes.ts, split into the ingest API (functions that enqueue events) and the
 * usage/control API (everything else).
 */
export class TallyStack extends Stack {
  constructor(scope: Construct, id: string, props: TallyStackProps = {}) {
    super(scope, id, props);
    const settings = resolveDeploySettings(props.settings);
    const routes = planRoutes(props.routes ?? projectRoutes);

    const tables = new Tables(this, 'Tables');
    const pipeline = new EventPipeline(this, 'EventPipeline', { settings, tables });
    const gateway = new HttpGateway(this, 'Api', { settings, tables });
    new ApiRoutes(this, 'IngestApi', {
      gateway,
      routes: routes.filter((route) => isIngestFunction(route.function)),
      settings,
      tables,
      queue: pipeline.queue,
    });
    new ApiRoutes(this, 'UsageApi', {
      gateway,
      routes: routes.filter((route) => !isIngestFunction(route.function)),
      settings,
      tables,
    });

    new CfnOutput(this, 'ApiUrl', { value: gateway.url, description: 'Base URL of the Tally API' });
    for (const definition of tableDefinitions) {
      new CfnOutput(this, `${definition.id}TableName`, {
        value: tables.table(definition.id).tableName,
        description: `The ${definition.id} table (retained when the stack is deleted)`,
      });
    }
  }
}
