import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { deploySettingsFromContext } from '../lib/deploy-settings.js';
import { TallyStack } from '../lib/tally-stack.js';

const app = new App();
new TallyStack(app, 'Tally', {
  description: 'Tally: self-hosted usage metering (Amberflo Metering API)',
  settings: deploySettingsFromContext((key) => app.node.tryGetContext(key)),
});
// Synth fails on any AwsSolutions finding that is not acknowledged with a reason.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
