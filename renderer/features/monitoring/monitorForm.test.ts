import { describe, expect, it } from 'vitest';
import type { Monitor } from '../../../shared/monitoring.ts';
import {
  durationText,
  formOfMonitor,
  initialMonitorForm,
  type MonitorForm,
  monitorParams,
  monitorUpdateParams,
  parseDuration,
  parseShare,
  referenceProblem,
  ruleLines,
} from './monitorForm.ts';

const form: MonitorForm = initialMonitorForm('iris');

describe('monitor form', () => {
  it('starts from the API defaults, and sends them as they are', () => {
    expect(form).toMatchObject({ window: '1h', every: '5m', minRows: '50', drift: true, driftShare: '0.5' });
    expect(monitorParams(form)).toEqual({
      params: {
        deployment: 'iris',
        windowSeconds: 3600,
        everySeconds: 300,
        minRows: 50,
        drift: true,
        driftShare: 0.5,
        rules: [],
      },
    });
  });

  it('reads durations as the CLI writes them, and writes them back the same way', () => {
    expect(parseDuration('90s')).toBe(90);
    expect(parseDuration(' 15m ')).toBe(900);
    expect(parseDuration('15 min')).toBe(900);
    expect(parseDuration('1.5h')).toBe(5400);
    expect(parseDuration('7d')).toBe(604800);
    expect(parseDuration('120')).toBe(120);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('an hour')).toBeNull();
    expect(parseDuration('-5m')).toBeNull();
    expect(durationText(3600)).toBe('1h');
    expect(durationText(5400)).toBe('90m');
    expect(durationText(90)).toBe('90s');
    expect(durationText(0)).toBe('0');
  });

  it('takes the drift share as a share or a percentage, within 0..1', () => {
    expect(parseShare('0.3')).toBe(0.3);
    expect(parseShare('30%')).toBe(0.3);
    expect(parseShare('.25')).toBe(0.25);
    expect(parseShare('1.5')).toBeNull();
    expect(parseShare('150%')).toBeNull();
    expect(parseShare('half')).toBeNull();
  });

  it('parses each rule line, with its line number and the API message when it is not a rule', () => {
    const lines = ruleLines('error_rate < 0.05\n\n  P95_LATENCY_MS<=250 \nlatency < 3\naccuracy');
    expect(lines.map((l) => [l.line, l.rule?.text ?? null])).toEqual([
      [1, 'error_rate < 0.05'],
      [3, 'p95_latency_ms <= 250'],
      [4, null],
      [5, null],
    ]);
    expect(lines[2]!.error).toContain('a monitor has no metric latency');
    expect(lines[3]!.error).toContain('is not a rule');
  });

  it('sends rules in the form the API writes them, and a reference only with drift', () => {
    const r = monitorParams({
      ...form,
      name: 'iris-watch',
      window: '15m',
      every: '0',
      minRows: '20',
      driftShare: '25%',
      reference: ' dataset:iris@1:train.csv ',
      rules: 'error_rate<0.05\naccuracy >= 0.9',
    });
    expect(r).toEqual({
      params: {
        deployment: 'iris',
        name: 'iris-watch',
        windowSeconds: 900,
        everySeconds: 0,
        minRows: 20,
        drift: true,
        driftShare: 0.25,
        reference: 'dataset:iris@1:train.csv',
        rules: ['error_rate < 0.05', 'accuracy >= 0.9'],
      },
    });
    const noDrift = monitorParams({
      ...form,
      drift: false,
      driftShare: 'x',
      reference: 'nonsense',
      rules: 'errors < 1',
    });
    expect(noDrift).toEqual({
      params: expect.objectContaining({ drift: false, rules: ['errors < 1'] }),
    });
    expect('params' in noDrift && noDrift.params).not.toHaveProperty('reference');
  });

  it('says what is wrong with each field before anything is sent', () => {
    const r = monitorParams({
      ...form,
      deployment: '',
      name: 'Iris Watch',
      window: '30s',
      every: 'often',
      minRows: '0',
      driftShare: '2',
      reference: 'iris.xlsx',
      rules: 'error_rate < 0.05\nlatency < 3',
    });
    expect('errors' in r && r.errors).toEqual({
      deployment: 'Choose the deployment to watch.',
      name: expect.stringContaining('lower-case letters'),
      window: 'A window is at least a minute.',
      every: expect.stringContaining('0 to check only when asked'),
      minRows: 'A whole number of rows, at least 1.',
      driftShare: expect.stringContaining('0.5 or 50%'),
      reference: expect.stringContaining('neither dataset:NAME[@V][:PATH] nor'),
      rules: expect.stringMatching(/^Line 2: .*no metric latency/),
    });
    expect(monitorParams({ ...form, window: '100d' })).toEqual({
      errors: { window: 'A window is at most 90 days.' },
    });
    expect(monitorParams({ ...form, every: '30s' })).toEqual({
      errors: { every: 'At least a minute apart (or 0: only when asked).' },
    });
    expect(monitorParams({ ...form, every: '31d' })).toEqual({
      errors: { every: 'At most every 30 days (0: only when asked).' },
    });
    // A share is a share: 90 is not 90%.
    expect(monitorParams({ ...form, rules: 'accuracy >= 90' })).toEqual({
      errors: { rules: expect.stringMatching(/^Line 1: .*accuracy is a share from 0 to 1/) },
    });
  });

  it('refuses a monitor that would check nothing: no drift and no rule', () => {
    expect(monitorParams({ ...form, drift: false, rules: '  \n' })).toEqual({
      errors: { rules: expect.stringContaining('needs at least one rule') },
    });
  });

  it('accepts a dataset version or a table file as reference, and nothing else', () => {
    expect(referenceProblem('')).toBeNull();
    expect(referenceProblem('dataset:iris')).toBeNull();
    expect(referenceProblem('dataset:iris@3')).toBeNull();
    expect(referenceProblem('dataset:iris@3:data/train.csv')).toBeNull();
    expect(referenceProblem('/data/ref.parquet')).toBeNull();
    expect(referenceProblem('dataset:')).toContain('dataset:NAME@VERSION');
    expect(referenceProblem('dataset:iris@latest')).toContain('dataset:NAME@VERSION');
    expect(referenceProblem('ref.xlsx')).toContain('neither');
  });
});

describe('editing a monitor', () => {
  const monitor: Monitor = {
    name: 'iris-monitor',
    deployment: 'iris',
    windowSeconds: 5400,
    everySeconds: 0,
    minRows: 80,
    drift: true,
    driftShare: 0.3,
    reference: 'dataset:iris@2',
    rules: [{ text: 'error_rate < 0.05', metric: 'error_rate', op: '<', value: 0.05 }],
    enabled: true,
    createdAt: 1,
    updatedAt: 1,
  };

  it('fills the form with what it has, and sends it back unchanged', () => {
    const f = formOfMonitor(monitor);
    expect(f).toMatchObject({
      window: '90m',
      every: '0',
      minRows: '80',
      driftShare: '0.3',
      rules: 'error_rate < 0.05',
    });
    expect(monitorUpdateParams(f)).toEqual({
      params: {
        name: 'iris-monitor',
        windowSeconds: 5400,
        everySeconds: 0,
        minRows: 80,
        drift: true,
        driftShare: 0.3,
        reference: 'dataset:iris@2',
        rules: ['error_rate < 0.05'],
      },
    });
  });

  it('goes back to the training data when the reference is cleared, and keeps it while drift is off', () => {
    const f = formOfMonitor(monitor);
    expect(monitorUpdateParams({ ...f, reference: ' ' })).toMatchObject({ params: { reference: null } });
    const off = monitorUpdateParams({ ...f, drift: false });
    expect(off).toMatchObject({ params: { drift: false, rules: ['error_rate < 0.05'] } });
    expect(off).not.toHaveProperty('params.reference');
    expect(off).not.toHaveProperty('params.driftShare');
    expect(monitorUpdateParams({ ...f, drift: false, rules: '' })).toEqual({
      errors: {
        rules: 'A monitor that does not test drift needs at least one rule, such as error_rate < 0.05.',
      },
    });
  });
});
