import { describe, expect, it } from 'vitest';
import { planRoutes, type StackRoute } from '../../../lib/route-plan.js';

const route = (method: StackRoute['method'], path: string, fn = 'usage', authenticated = true): StackRoute => ({
  method,
  path,
  function: fn,
  authenticated,
});

describe('planRoutes', () => {
  it('serves a trailing-slash path through its slash-less twin', () => {
    expect(planRoutes([route('POST', '/usage'), route('POST', '/usage/'), route('GET', '/usage/all')])).toEqual([
      { ...route('POST', '/usage'), alsoServes: ['/usage/'] },
      { ...route('GET', '/usage/all'), alsoServes: [] },
    ]);
  });

  it('keeps the root path, the only route that may end in a slash', () => {
    expect(planRoutes([route('POST', '/', 'ingest')])).toEqual([{ ...route('POST', '/', 'ingest'), alsoServes: [] }]);
  });

  it('refuses a trailing-slash path without its twin, saying what to declare', () => {
    expect(() => planRoutes([route('POST', '/usage/batch/')])).toThrow(
      'functions/routes.ts declares POST /usage/batch/ without POST /usage/batch',
    );
  });

  it('refuses a twin on another method', () => {
    expect(() => planRoutes([route('GET', '/usage'), route('POST', '/usage/')])).toThrow('without POST /usage');
  });

  it.each([
    [route('POST', '/usage/', 'usage-events')],
    [route('POST', '/usage/', 'usage', false)],
  ])('refuses a twin with another function or authentication: %j', (slashed) => {
    expect(() => planRoutes([route('POST', '/usage'), slashed])).toThrow('must use the same function and authentication');
  });

  it('refuses a route declared twice', () => {
    expect(() => planRoutes([route('GET', '/usage/all'), route('GET', '/usage/all')])).toThrow('declares GET /usage/all twice');
  });
});
