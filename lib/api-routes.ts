import { Validations } from 'aws-cdk-lib';
import { HttpMethod, HttpRoute, HttpRouteKey } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DeploySettings } from './deploy-settings.js';
import type { HttpGateway } from './http-gateway.js';
import type { DeployedRoute } from './route-plan.js';
import type { Tables } from './tables.js';
import { TallyFunction } from './tally-function.js';

/**
 * The only routes that may skip the authorizer, each with the reason it is safe. Any other route
 * declared `authenticated: false` fails synth through cdk-nag's AwsSolutions-APIG4.
 */
export const PUBLIC_ROUTES: Readonly<Record<string, string>> = {
  'GET /health': 'Liveness probe for load balancers and people: a constant answer that reads no data.',
};

export interface ApiRoutesProps {
  readonly gateway: HttpGateway;
  readonly routes: readonly DeployedRoute[];
  readonly settings: DeploySettings;
  readonly tables: Tables;
  readonly queue?: IQueue;
}

/**
 * A group of routes on the shared HTTP API: one Lambda per distinct function in the group, one
 * API Gateway route per route-table entry, the authorizer on the authenticated ones.
 */
export class ApiRoutes extends Construct {
  readonly functions = new Map<string, TallyFunction>();

  constructor(scope: Construct, id: string, props: ApiRoutesProps) {
    super(scope, id);
    const { gateway, routes, settings, tables, queue } = props;
    const integrations = new Map<string, HttpLambdaIntegration>();
    for (const name of new Set(routes.map((route) => route.function))) {
      const fn = new TallyFunction(this, name, { name, settings, tables, queue });
      this.functions.set(name, fn);
      integrations.set(name, new HttpLambdaIntegration(name, fn.function));
    }
    for (const route of routes) {
      const routeKey = `${route.method} ${route.path}`;
      const httpRoute = new HttpRoute(this, routeKey, {
        httpApi: gateway.api,
        routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
        integration: integrations.get(route.function)!,
        authorizer: route.authenticated ? gateway.authorizer : undefined,
      });
      const publicReason = PUBLIC_ROUTES[routeKey];
      if (!route.authenticated && publicReason) {
        Validations.of(httpRoute).acknowledge({ id: 'AwsSolutions::AwsSolutions-APIG4', reason: publicReason });
      }
    }
  }
}
