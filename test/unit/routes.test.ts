import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FALLBACK_FUNCTION, matchRoute, routeKeyOf, routes, type RouteDefinition } from '../../functions/routes.js';
import { projectRoot } from '../../local/paths.js';

describe('routes', () => {
  it('has one entry per method and path', () => {
    const keys = routes.map(routeKeyOf);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('names Lambda entry files that exist', () => {
    for (const name of new Set([...routes.map((route) => route.function), FALLBACK_FUNCTION])) {
      expect(existsSync(join(projectRoot, 'functions', `${name}.ts`)), name).toBe(true);
    }
  });

  it('requires a key everywhere except /health', () => {
    expect(routes.filter((route) => !route.authenticated).map(routeKeyOf)).toEqual(['GET /health']);
  });

  it('uses API Gateway route keys', () => {
    expect(routeKeyOf({ method: 'GET', path: '/meter-definition/{meterApiName}' })).toBe('GET /meter-definition/{meterApiName}');
  });
});

describe('matchRoute', () => {
  it.each([
    ['GET', '/health', 'GET /health', {}],
    ['GET', '/meter-definition', 'GET /meter-definition', {}],
    ['PUT', '/meter-definition', 'PUT /meter-definition', {}],
    ['GET', '/meter-definition/api-calls', 'GET /meter-definition/{meterApiName}', { meterApiName: 'api-calls' }],
    ['DELETE', '/meter-definition/a%20b', 'DELETE /meter-definition/{meterApiName}', { meterApiName: 'a%20b' }],
    ['POST', '/meter-event-filtering-rules', 'POST /meter-event-filtering-rules', {}],
    ['DELETE', '/meter-event-filtering-rules/r-1', 'DELETE /meter-event-filtering-rules/{ruleId}', { ruleId: 'r-1' }],
  ])('%s %s -> %s', (method, path, routeKey, pathParameters) => {
    const match = matchRoute(method, path);
    expect(match.kind).toBe('route');
    if (match.kind !== 'route') return;
    expect(routeKeyOf(match.route)).toBe(routeKey);
    expect(match.pathParameters).toEqual(pathParameters);
  });

  it('answers wrong-method (405) with the methods the path accepts', () => {
    expect(matchRoute('PATCH', '/meter-definition')).toEqual({ kind: 'wrong-method', allowedMethods: ['GET', 'POST', 'PUT'] });
    expect(matchRoute('POST', '/meter-definition/api-calls')).toEqual({ kind: 'wrong-method', allowedMethods: ['GET', 'DELETE'] });
    expect(matchRoute('POST', '/health')).toEqual({ kind: 'wrong-method', allowedMethods: ['GET'] });
    expect(matchRoute('GET', '/meter-event-filtering-rules/r-1')).toEqual({ kind: 'wrong-method', allowedMethods: ['DELETE'] });
  });

  it.each([
    ['GET', '/'],
    ['GET', '/nope'],
    ['GET', '/meter-definition/'],
    ['GET', '/meter-definition/a/b'],
    ['GET', '/health/'],
    ['GET', '/HEALTH'],
    ['DELETE', '/meter-event-filtering-rules/'],
    ['GET', ''],
  ])('answers none (404) for %s %j', (method, path) => {
    expect(matchRoute(method, path)).toEqual({ kind: 'none' });
  });

  it('matches methods exactly as API Gateway does (upper case)', () => {
    expect(matchRoute('get', '/health').kind).toBe('wrong-method');
  });

  describe('with overlapping templates', () => {
    const table: RouteDefinition[] = [
      { method: 'GET', path: '/things/{id}', function: 'health', authenticated: true },
      { method: 'GET', path: '/things/special', function: 'meter-definitions', authenticated: true },
      { method: 'DELETE', path: '/things/{id}', function: 'health', authenticated: true },
    ];

    it('prefers a literal segment over a parameter, whatever the table order', () => {
      for (const ordered of [table, [...table].reverse()]) {
        const match = matchRoute('GET', '/things/special', ordered);
        expect(match.kind === 'route' && match.route.path).toBe('/things/special');
      }
    });

    it('falls back to the parameter for other values', () => {
      expect(matchRoute('GET', '/things/other', table)).toEqual({
        kind: 'route',
        route: table[0],
        pathParameters: { id: 'other' },
      });
    });

    it('takes the parameter route when only it has the method', () => {
      const match = matchRoute('DELETE', '/things/special', table);
      expect(match.kind === 'route' && match.pathParameters).toEqual({ id: 'special' });
    });

    it('lists each allowed method once', () => {
      expect(matchRoute('PUT', '/things/special', table)).toEqual({ kind: 'wrong-method', allowedMethods: ['GET', 'DELETE'] });
    });
  });
});
