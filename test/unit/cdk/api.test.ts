import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { routes, type RouteDefinition } from '../../../functions/routes.js';
import { planRoutes } from '../../../lib/route-plan.js';

/** A trailing-slash route is served by its slash-less twin on API Gateway. */
const deployedKey = (route: RouteDefinition) => `${route.method} ${route.path.endsWith('/') ? route.path.slice(0, -1) : route.path}`;
import { DEFAULT_DEPLOY_SETTINGS } from '../../../lib/deploy-settings.js';
import { functionLogicalId, synthesize, tallyFunctions } from './support.js';

const { stack, template } = synthesize();

interface RouteResource {
  readonly Properties: { RouteKey: string; AuthorizationType: string; AuthorizerId?: unknown; Target: unknown };
}
const deployedRoutes = new Map(
  Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => [(r as RouteResource).Properties.RouteKey, r as RouteResource]),
);
const authorizerId = Object.keys(template.findResources('AWS::ApiGatewayV2::Authorizer'))[0];

/** The Lambda a route's integration invokes, by function name. */
function functionBehind(routeKey: string): string {
  const target = JSON.stringify(deployedRoutes.get(routeKey)!.Properties.Target);
  const integrationId = /"Ref":"(\w+)"/.exec(target)![1]!;
  const uri = JSON.stringify(template.toJSON().Resources[integrationId].Properties.IntegrationUri);
  for (const name of tallyFunctions(stack).keys()) {
    if (uri.includes(`"${functionLogicalId(stack, name)}"`)) return name;
  }
  throw new Error(`no known function behind ${routeKey}`);
}

describe('HTTP API routes', () => {
  it('has a route for every entry of functions/routes.ts, on its function', () => {
    for (const route of routes) {
      const key = deployedKey(route);
      expect(deployedRoutes.has(key), key).toBe(true);
      expect(functionBehind(key)).toBe(route.function);
    }
  });

  it('puts the X-API-KEY authorizer on authenticated routes only', () => {
    for (const route of routes) {
      const props = deployedRoutes.get(deployedKey(route))!.Properties;
      if (route.authenticated) {
        expect(props.AuthorizationType).toBe('CUSTOM');
        expect(props.AuthorizerId).toEqual({ Ref: authorizerId });
      } else {
        expect(props.AuthorizationType).toBe('NONE');
        expect(props.AuthorizerId).toBeUndefined();
      }
    }
  });

  it('sends everything else to not-found through $default, without authorization', () => {
    expect(deployedRoutes.get('$default')!.Properties.AuthorizationType).toBe('NONE');
    expect(functionBehind('$default')).toBe('not-found');
  });

  it('serves a trailing-slash path through its slash-less route', () => {
    expect(deployedRoutes.has('POST /ingest')).toBe(true);
    expect(functionBehind('POST /ingest')).toBe('ingest');
    expect([...deployedRoutes.keys()].filter((key) => key !== '$default' && key.endsWith('/'))).toEqual([]);
  });

  it('invokes every Lambda with the 2.0 payload the handlers read', () => {
    const integrations = Object.values(template.findResources('AWS::ApiGatewayV2::Integration'));
    expect(integrations.length).toBeGreaterThan(0);
    for (const integration of integrations) {
      expect(integration.Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
    }
  });

  it('deploys nothing but the declared routes and $default', () => {
    expect(deployedRoutes.size).toBe(planRoutes(routes).length + 1 /* $default */);
    expect(planRoutes(routes).length).toBe(routes.filter((route) => !route.path.endsWith('/')).length);
  });
});

describe('HTTP API authorizer', () => {
  it('is a cached Lambda authorizer keyed on X-API-KEY with simple responses', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      IdentitySource: ['$request.header.x-api-key'],
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      AuthorizerResultTtlInSeconds: DEFAULT_DEPLOY_SETTINGS.authorizerCacheTtlSeconds,
    });
  });

  it('runs functions/authorizer.ts', () => {
    const fnId = functionLogicalId(stack, 'authorizer');
    const [authorizer] = Object.values(template.findResources('AWS::ApiGatewayV2::Authorizer'));
    expect(JSON.stringify(authorizer!.Properties.AuthorizerUri)).toContain(`"${fnId}"`);
  });
});

describe('HTTP API stage', () => {
  it('is the auto-deployed $default stage with throttling and JSON access logs', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: DEFAULT_DEPLOY_SETTINGS.apiRateLimit,
        ThrottlingBurstLimit: DEFAULT_DEPLOY_SETTINGS.apiBurstLimit,
      },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"') },
    });
  });

  it('logs the account but never headers or bodies', () => {
    const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
    const format = JSON.parse(stage!.Properties.AccessLogSettings.Format) as Record<string, string>;
    expect(format.account).toBe('$context.authorizer.accountId');
    expect(Object.values(format).filter((value) => /header|body|api-key/i.test(value))).toEqual([]);
  });

  it('keeps access logs for the configured retention', () => {
    const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
    const logGroupId = stage!.Properties.AccessLogSettings.DestinationArn['Fn::GetAtt'][0];
    expect(template.toJSON().Resources[logGroupId].Properties.RetentionInDays).toBe(DEFAULT_DEPLOY_SETTINGS.logRetentionDays);
  });

  it('outputs the API URL', () => {
    template.hasOutput('ApiUrl', { Value: { 'Fn::Join': ['', Match.arrayWith(['https://'])] } });
  });
});
