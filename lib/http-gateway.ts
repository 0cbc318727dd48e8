import { Duration, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpRoute, HttpRouteKey, LogGroupLogDestination, type HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Construct } from 'constructs';
import { FALLBACK_FUNCTION } from '../functions/routes.js';
import type { DeploySettings } from './deploy-settings.js';
import type { Tables } from './tables.js';
import { TallyFunction, tallyLogGroup } from './tally-function.js';

export interface HttpGatewayProps {
  readonly settings: DeploySettings;
  readonly tables: Tables;
}

/** HTTP APIs lower-case header names, so this also matches `X-API-KEY` as the SDKs send it. */
const API_KEY_IDENTITY_SOURCE = '$request.header.x-api-key';

/**
 * The one HTTP API both route groups (ingest, usage/control) hang their routes on: its stage with
 * throttling and access logs, the X-API-KEY authorizer, and the `$default` route that answers
 * unknown paths 404 and wrong methods 405 in the ErrorResponse shape.
 *
 * The authorizer says yes to every key it is asked about and passes either `{accountId}` or
 * `{rejection}` on, so a bad key gets Tally's 401 body from the route (see functions/authorizer.ts).
 * A request with no X-API-KEY header never reaches it: API Gateway answers 401 {"message":"Unauthorized"}.
 */
export class HttpGateway extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly authorizer: HttpLambdaAuthorizer;

  constructor(scope: Construct, id: string, props: HttpGatewayProps) {
    super(scope, id);
    const { settings, tables } = props;

    const authorizerFunction = new TallyFunction(this, 'authorizer', {
      name: 'authorizer',
      settings,
      tables,
      // API Gateway gives up on an authorizer after 10 s.
      timeout: Duration.seconds(10),
    });
    this.authorizer = new HttpLambdaAuthorizer('ApiKey', authorizerFunction.function, {
      identitySource: [API_KEY_IDENTITY_SOURCE],
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      resultsCacheTtl: Duration.seconds(settings.authorizerCacheTtlSeconds),
    });

    const fallback = new TallyFunction(this, FALLBACK_FUNCTION, { name: FALLBACK_FUNCTION, settings, tables });
    this.api = new HttpApi(this, 'HttpApi', {
      description: 'Tally: Amberflo-compatible metering API',
      createDefaultStage: false,
    });
    const defaultRoute = new HttpRoute(this, 'DefaultRoute', {
      httpApi: this.api,
      routeKey: HttpRouteKey.DEFAULT,
      integration: new HttpLambdaIntegration('Fallback', fallback.function),
    });
    Validations.of(defaultRoute).acknowledge({
      id: 'AwsSolutions::AwsSolutions-APIG4',
      reason:
        'The $default route only answers 404/405 in the ErrorResponse shape for requests no other route takes; ' +
        'it reads no data. Requiring a key there would turn typos into 401s without protecting anything.',
    });

    const accessLogs = tallyLogGroup(this, 'AccessLogs', settings);
    this.stage = this.api.addStage('Stage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: settings.apiRateLimit, burstLimit: settings.apiBurstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        // Never headers or bodies: the API key must not end up in a log.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            method: '$context.httpMethod',
            path: '$context.path',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            error: '$context.error.message',
            authorizerError: '$context.authorizer.error',
            account: '$context.authorizer.accountId',
          }),
        ),
      },
    });
  }

  get url(): string {
    return this.stage.url;
  }
}
