/**
 * Every HTTP route Tally serves and the Lambda entry (a file in functions/) behind it. The CDK
 * stack creates API Gateway routes from this table and the local gateway routes by it, so both
 * expose exactly the same API.
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** File names in functions/ of the Lambdas that serve HTTP routes. */
export type HttpFunctionName =
  | 'health'
  | 'meter-definitions'
  | 'filtering-rules'
  | 'ingest'
  | 'usage'
  | 'usage-events';

/** Serves `$default`: unknown paths (404) and known paths with the wrong method (405). */
export const FALLBACK_FUNCTION = 'not-found';

export interface RouteDefinition {
  readonly method: HttpMethod;
  /** API Gateway path template: `{name}` matches one path segment. */
  readonly path: string;
  readonly function: HttpFunctionName;
  /** Routes without authentication skip the authorizer. */
  readonly authenticated: boolean;
}

const route = (method: HttpMethod, path: string, fn: HttpFunctionName, authenticated = true): RouteDefinition => ({
  method,
  path,
  function: fn,
  authenticated,
});

export const routes: readonly RouteDefinition[] = [
  route('GET', '/health', 'health', false),
  route('POST', '/ingest', 'ingest'),
  // The Python SDK posts to the trailing-slash form.
  route('POST', '/ingest/', 'ingest'),
  route('GET', '/meter-definition', 'meter-definitions'),
  route('POST', '/meter-definition', 'meter-definitions'),
  route('PUT', '/meter-definition', 'meter-definitions'),
  route('GET', '/meter-definition/{meterApiName}', 'meter-definitions'),
  route('DELETE', '/meter-definition/{meterApiName}', 'meter-definitions'),
  route('GET', '/meter-event-filtering-rules', 'filtering-rules'),
  route('POST', '/meter-event-filtering-rules', 'filtering-rules'),
  route('DELETE', '/meter-event-filtering-rules/{ruleId}', 'filtering-rules'),
  // The official SDKs add trailing slashes on the usage paths.
  route('POST', '/usage', 'usage'),
  route('POST', '/usage/', 'usage'),
  route('POST', '/usage/batch', 'usage'),
  route('POST', '/usage/batch/', 'usage'),
  route('GET', '/usage/all', 'usage'),
  route('GET', '/usage/all/', 'usage'),
  route('GET', '/usage/events', 'usage-events'),
  route('GET', '/usage/events/', 'usage-events'),
];

export function routeKeyOf(definition: Pick<RouteDefinition, 'method' | 'path'>): string {
  return `${definition.method} ${definition.path}`;
}

export type RouteMatch =
  | { readonly kind: 'route'; readonly route: RouteDefinition; readonly pathParameters: Record<string, string> }
  | { readonly kind: 'wrong-method'; readonly allowedMethods: readonly HttpMethod[] }
  | { readonly kind: 'none' };

function matchPath(template: string, path: string): Record<string, string> | undefined {
  const templateParts = template.split('/');
  const pathParts = path.split('/');
  if (templateParts.length !== pathParts.length) return undefined;
  const parameters: Record<string, string> = {};
  for (const [index, part] of templateParts.entries()) {
    const actual = pathParts[index]!;
    const parameter = /^\{(\w+)\}$/.exec(part);
    if (parameter) {
      if (actual === '') return undefined;
      parameters[parameter[1]!] = actual;
    } else if (part !== actual) {
      return undefined;
    }
  }
  return parameters;
}

/** Matches like API Gateway: a literal segment wins over a parameter; method decides 405 vs 404. */
export function matchRoute(method: string, path: string, table: readonly RouteDefinition[] = routes): RouteMatch {
  const candidates = table
    .map((definition) => ({ definition, parameters: matchPath(definition.path, path) }))
    .filter((candidate) => candidate.parameters !== undefined);
  const sameMethod = candidates
    .filter((candidate) => candidate.definition.method === method)
    .sort((a, b) => Object.keys(a.parameters!).length - Object.keys(b.parameters!).length);
  const best = sameMethod[0];
  if (best) return { kind: 'route', route: best.definition, pathParameters: best.parameters! };
  if (candidates.length > 0) {
    return { kind: 'wrong-method', allowedMethods: [...new Set(candidates.map((c) => c.definition.method))] };
  }
  return { kind: 'none' };
}
