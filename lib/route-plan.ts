/**
 * Turns the route table (functions/routes.ts) into the routes API Gateway can hold. Plain data.
 *
 * An HTTP API route path cannot end in "/" (API Gateway refuses it; CDK refuses it at synth), and
 * the route for "/ingest" also receives "/ingest/". So a trailing-slash entry is not deployed as a
 * route of its own: it must have a slash-less twin with the same method, function and
 * authentication, and that twin serves both paths. The Lambda then sees the twin's routeKey
 * ("POST /ingest") with rawPath "/ingest/", so a handler must map both route keys to one action.
 */
import type { RouteDefinition } from '../functions/routes.js';

/** A route as the stack needs it; the function is any entry name, so tests can add routes. */
export type StackRoute = Omit<RouteDefinition, 'function'> & { readonly function: string };

export interface DeployedRoute extends StackRoute {
  /** Trailing-slash paths of the route table that reach API Gateway through this route. */
  readonly alsoServes: readonly string[];
}

const hasTrailingSlash = (path: string) => path.length > 1 && path.endsWith('/');

export function planRoutes(routes: readonly StackRoute[]): DeployedRoute[] {
  const planned = new Map<string, StackRoute & { alsoServes: string[] }>();
  for (const route of routes.filter((r) => !hasTrailingSlash(r.path))) {
    const key = `${route.method} ${route.path}`;
    if (planned.has(key)) throw new Error(`functions/routes.ts declares ${key} twice`);
    planned.set(key, { ...route, alsoServes: [] });
  }
  for (const route of routes.filter((r) => hasTrailingSlash(r.path))) {
    const twinPath = route.path.replace(/\/+$/, '');
    const twin = planned.get(`${route.method} ${twinPath}`);
    if (!twin) {
      throw new Error(
        `functions/routes.ts declares ${route.method} ${route.path} without ${route.method} ${twinPath}: ` +
          `API Gateway cannot hold a route ending in "/" and serves ${route.path} through the ${twinPath} route, ` +
          'so declare that route too',
      );
    }
    if (twin.function !== route.function || twin.authenticated !== route.authenticated) {
      throw new Error(
        `${route.method} ${route.path} must use the same function and authentication as ${route.method} ${twinPath}: ` +
          'API Gateway serves both through one route',
      );
    }
    twin.alsoServes.push(route.path);
  }
  return [...planned.values()];
}
