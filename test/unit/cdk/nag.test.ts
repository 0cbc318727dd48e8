import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import type { DeploySettings } from '../../../lib/deploy-settings.js';
import type { StackRoute } from '../../../lib/route-plan.js';
import { TallyStack } from '../../../lib/tally-stack.js';
import { routes } from '../../../functions/routes.js';
import { testApp } from './support.js';

interface Acknowledgment {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

function checkedApp(options: { settings?: Partial<DeploySettings>; routes?: readonly StackRoute[] } = {}): App {
  const app = testApp();
  new TallyStack(app, 'Tally', { routes: routes, ...options });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

function acknowledgments(app: App): Acknowledgment[] {
  return app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({ path: construct.node.path, id, reason })),
      ),
  );
}

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the stack', () => {
    const app = checkedApp();
    expect(() => app.synth()).not.toThrow();
  });

  it('finds nothing unacknowledged with tracing on', () => {
    const app = checkedApp({ settings: { tracing: true } });
    expect(() => app.synth()).not.toThrow();
  });

  it('fails synth for a route that skips the authorizer without a recorded reason', () => {
    const app = checkedApp({
      routes: [...routes, { method: 'GET', path: '/meter-definition-export', function: 'meter-definitions', authenticated: false }],
    });
    expect(() => app.synth()).toThrow(/The API does not implement authorization[\s\S]*GET --meter-definition-export/);
  });

  it('acknowledges only the two public routes, each with a reason', () => {
    const found = acknowledgments(checkedApp());
    expect(found.map(({ path, id }) => [path, id])).toEqual([
      ['Tally/Api/DefaultRoute', 'AwsSolutions::AwsSolutions-APIG4'],
      ['Tally/UsageApi/GET --health', 'AwsSolutions::AwsSolutions-APIG4'],
    ]);
    for (const { reason } of found) expect(reason.length).toBeGreaterThan(60);
  });

  it('acknowledges the X-Ray wildcard only when tracing is on, on each function role', () => {
    const found = acknowledgments(checkedApp({ settings: { tracing: true } })).filter(({ id }) => id.includes('IAM5'));
    expect(found).toHaveLength(9);
    for (const { path, id, reason } of found) {
      expect(path).toMatch(/\/Role$/);
      expect(id).toBe('AwsSolutions::AwsSolutions-IAM5[Resource::*]');
      expect(reason).toMatch(/X-Ray .* support no resource-level permissions/);
    }
  });
});
