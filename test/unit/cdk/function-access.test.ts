import { describe, expect, it } from 'vitest';
import { routes } from '../../../functions/routes.js';
import { accessOf, functionAccess, isIngestFunction, READ_ACTIONS, WRITE_ACTIONS } from '../../../lib/function-access.js';
import { TallyStack } from '../../../lib/tally-stack.js';
import { testApp } from './support.js';

describe('function access table', () => {
  it('declares every function the routes use, plus the authorizer, fallback and consumer', () => {
    for (const name of [...routes.map((r) => r.function), 'authorizer', 'not-found', 'consumer']) {
      expect(functionAccess[name], name).toBeDefined();
    }
  });

  it('names the missing entry and where to add it', () => {
    expect(() => accessOf('invoices')).toThrow(
      'functions/invoices.ts has no entry in lib/function-access.ts: declare which tables (and whether the queue) "invoices" may use',
    );
  });

  it('never lets a read-only or read-write function delete, and never scans', () => {
    expect(WRITE_ACTIONS.read).toEqual([]);
    expect(WRITE_ACTIONS.readWrite).not.toContain('dynamodb:DeleteItem');
    expect(WRITE_ACTIONS.readWriteDelete).toContain('dynamodb:DeleteItem');
    for (const action of [...READ_ACTIONS, ...Object.values(WRITE_ACTIONS).flat()]) {
      expect(action).toMatch(/^dynamodb:[A-Z]\w+$/);
      expect(action).not.toBe('dynamodb:Scan');
    }
  });

  it('counts the functions that enqueue events as the ingest API', () => {
    expect(Object.keys(functionAccess).filter(isIngestFunction)).toEqual(['ingest']);
  });

  it('stops synth when a route uses a function without an entry', () => {
    const app = testApp();
    const extra = { method: 'GET', path: '/invoices', function: 'invoices', authenticated: true } as const;
    expect(() => new TallyStack(app, 'Tally', { routes: [...routes, extra] })).toThrow(
      'functions/invoices.ts has no entry in lib/function-access.ts',
    );
  });
});
