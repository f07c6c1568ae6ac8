import { describe, expect, it } from 'vitest';
import {
  cooldownText,
  formatElapsed,
  gateOf,
  headlineMetrics,
  parseDatasetRef,
  trainedOn,
  triggersText,
} from './policyFormat.ts';

describe('policy words', () => {
  it('says what sets a policy off', () => {
    expect(triggersText({ monitor: 'iris-monitor', rules: null, newData: true })).toBe(
      'alerts of iris-monitor or a new version of its data',
    );
    expect(
      triggersText({ monitor: 'm', rules: ['dataset drift', 'error_rate < 0.05'], newData: false }),
    ).toBe('alerts of m (dataset drift; error_rate < 0.05)');
    expect(triggersText({ monitor: null, rules: null, newData: false })).toBe('only by hand');
    expect(cooldownText(3600)).toBe('at most once per 1 h');
    expect(cooldownText(0)).toBe('no pause between two triggered runs');
  });

  it('writes step durations to a tenth of a second under ten seconds, then in units', () => {
    expect(formatElapsed(400)).toBe('0.4 s');
    expect(formatElapsed(3000)).toBe('3 s');
    expect(formatElapsed(12_400)).toBe('12 s');
    expect(formatElapsed(185_000)).toBe('3 min 5 s');
  });
});

describe('what a step made, read from its detail', () => {
  it('headlines the evaluation in a fixed order, only the figures it has', () => {
    expect(headlineMetrics({ f1: 0.95, accuracy: 0.9666666, log_loss: 0.1 })).toEqual([
      ['accuracy', '0.9667'],
      ['f1', '0.95'],
    ]);
    expect(headlineMetrics(undefined)).toEqual([]);
  });

  it('reads the evaluated table and the trained-on versions', () => {
    expect(parseDatasetRef('iris@2:train.csv')).toEqual({ dataset: 'iris', version: 2, path: 'train.csv' });
    expect(parseDatasetRef('iris@2')).toEqual({ dataset: 'iris', version: 2, path: null });
    expect(parseDatasetRef(undefined)).toBeNull();
    expect(trainedOn({ labels: 1, iris: 3 })).toEqual([
      { dataset: 'iris', version: 3 },
      { dataset: 'labels', version: 1 },
    ]);
  });

  it('takes the promote step’s gate only when it is one', () => {
    const gate = {
      alias: 'champion',
      dataset: 'iris',
      datasetVersion: 2,
      candidate: 2,
      champion: 1,
      passed: false,
      rules: [
        {
          rule: 'accuracy >= 1.01',
          metric: 'accuracy',
          value: 0.97,
          threshold: 1.01,
          passed: false,
          note: null,
        },
      ],
    };
    expect(gateOf({ gate })).toEqual(gate);
    expect(gateOf({ gate: null })).toBeNull();
    expect(gateOf({ gate: { passed: false } })).toBeNull();
  });
});
