import { describe, expect, it } from 'vitest';
import type { MonitorSummary } from '../../../../shared/monitoring.ts';
import type { Policy } from '../../../../shared/policies.ts';
import {
  alertRules,
  formOfPolicy,
  initialPolicyForm,
  keyValueLines,
  type PolicyForm,
  policyParams,
  policyUpdateParams,
} from './policyForm.ts';

const form = (patch: Partial<PolicyForm> = {}): PolicyForm => ({ ...initialPolicyForm('iris'), ...patch });

describe('policyParams', () => {
  it('leaves what to train to core by default: the deployment, new data, an hour apart', () => {
    expect(policyParams(form())).toEqual({
      params: { deployment: 'iris', newData: true, cooldownSeconds: 3600 },
    });
  });

  it('from a monitor’s page retrains on that monitor’s alerts, any of them unless rules are ticked', () => {
    const f = initialPolicyForm('iris', 'iris-monitor');
    expect(policyParams(f)).toEqual({
      params: { deployment: 'iris', monitor: 'iris-monitor', newData: false, cooldownSeconds: 3600 },
    });
    expect(policyParams({ ...f, ruleScope: 'some', rules: ['dataset drift'] })).toMatchObject({
      params: { monitor: 'iris-monitor', rules: ['dataset drift'] },
    });
    expect(policyParams({ ...f, ruleScope: 'some', rules: [] })).toEqual({
      errors: { rules: 'Tick at least one rule, or retrain on any of its alerts.' },
    });
    // Rules ticked and then "any" chosen again are not sent.
    expect(policyParams({ ...f, ruleScope: 'any', rules: ['dataset drift'] })).not.toHaveProperty(
      'params.rules',
    );
  });

  it('says what is wrong with each field before anything is sent', () => {
    const r = policyParams(
      form({
        deployment: '',
        name: 'Iris Retrain',
        alias: '1st',
        onAlerts: true,
        cooldown: 'soon',
        datasets: 'iris',
        params: 'max_iter 50',
        evalLabel: 'species',
      }),
    );
    expect(r).toHaveProperty('errors');
    const errors = (r as { errors: Record<string, string> }).errors;
    expect(Object.keys(errors).sort()).toEqual(
      ['alias', 'cooldown', 'datasets', 'deployment', 'evalDataset', 'monitor', 'name', 'params'].sort(),
    );
    expect(errors.datasets).toContain('Line 1');
    expect(errors.params).toContain('max_iter 50');
    expect(policyParams(form({ cooldown: '31d' }))).toEqual({ errors: { cooldown: 'At most 30 days.' } });
  });

  it('sends the overrides as the CLI does: channels, params as strings, the evaluation data', () => {
    const r = policyParams(
      form({
        name: 'iris-nightly',
        alias: 'production',
        cooldown: '0',
        newData: false,
        recipe: ' /recipes/clf ',
        datasets: 'train=iris\n\nvalid=iris-holdout\n',
        params: 'max_iter = 200\nsolver=lbfgs',
        evalDataset: 'iris-holdout',
        evalLabel: 'species',
      }),
    );
    expect(r).toEqual({
      params: {
        deployment: 'iris',
        name: 'iris-nightly',
        alias: 'production',
        newData: false,
        cooldownSeconds: 0,
        recipe: '/recipes/clf',
        datasets: [
          { channel: 'train', dataset: 'iris' },
          { channel: 'valid', dataset: 'iris-holdout' },
        ],
        params: { max_iter: '200', solver: 'lbfgs' },
        evaluation: { dataset: 'iris-holdout', label: 'species' },
      },
    });
  });
});

describe('alertRules', () => {
  it('lists the alerts a monitor can fire by the rule names alerts carry, dataset drift first', () => {
    const m = {
      drift: true,
      rules: [{ text: 'error_rate < 0.05' }, { text: 'accuracy >= 0.9' }],
    } as unknown as MonitorSummary;
    expect(alertRules(m)).toEqual(['dataset drift', 'error_rate < 0.05', 'accuracy >= 0.9']);
    expect(alertRules({ ...m, drift: false })).toEqual(['error_rate < 0.05', 'accuracy >= 0.9']);
    expect(alertRules(undefined)).toEqual([]);
  });
});

describe('keyValueLines', () => {
  it('splits at the first =, so a value may hold one', () => {
    expect(keyValueLines('a=b=c\n x = 1 ', 'KEY=VALUE')).toEqual({
      pairs: [
        ['a', 'b=c'],
        ['x', '1'],
      ],
    });
    expect(keyValueLines('=1', 'KEY=VALUE')).toHaveProperty('error');
  });
});

describe('editing a policy', () => {
  const policy: Policy = {
    name: 'iris-retrain',
    deployment: 'iris',
    model: 'iris',
    alias: 'champion',
    recipe: '/recipes/clf',
    datasets: [{ channel: 'train', dataset: 'iris' }],
    params: { max_iter: 30, label: 'target' },
    seed: null,
    engine: null,
    modelPath: 'model/model.onnx',
    evaluation: { dataset: 'iris-holdout', path: null, label: null },
    triggers: { monitor: 'iris-monitor', rules: ['dataset drift'], newData: false },
    cooldownSeconds: 5400,
    enabled: true,
    createdAt: 1,
    updatedAt: 1,
  };

  it('fills the form with what it has, and sends back what changed', () => {
    const f = formOfPolicy(policy);
    expect(f).toMatchObject({
      onAlerts: true,
      ruleScope: 'some',
      rules: ['dataset drift'],
      cooldown: '90m',
      datasets: 'train=iris',
      params: 'max_iter=30\nlabel=target',
      evalDataset: 'iris-holdout',
    });
    // Unchanged: the triggers and cooldown as shown, and nothing else looked at again.
    expect(policyUpdateParams(f, policy)).toEqual({
      params: {
        name: 'iris-retrain',
        monitor: 'iris-monitor',
        rules: ['dataset drift'],
        newData: false,
        cooldownSeconds: 5400,
      },
    });
    const changed = { ...f, alias: 'prod', datasets: 'train=iris-v2', evalPath: 'holdout.csv' };
    expect(policyUpdateParams(changed, policy)).toMatchObject({
      params: {
        alias: 'prod',
        datasets: [{ channel: 'train', dataset: 'iris-v2' }],
        evaluation: { dataset: 'iris-holdout', path: 'holdout.csv' },
      },
    });
  });

  it('removes a param or data channel taken off, and clears the monitor and the evaluation', () => {
    const f = {
      ...formOfPolicy(policy),
      params: 'max_iter=50',
      datasets: '',
      onAlerts: false,
      newData: true,
      evalDataset: '',
    };
    expect(policyUpdateParams(f, policy)).toMatchObject({
      params: {
        params: { max_iter: '50' },
        unsetParams: ['label'],
        removeChannels: ['train'],
        monitor: null,
        rules: null,
        newData: true,
        evaluation: null,
      },
    });
  });
});
