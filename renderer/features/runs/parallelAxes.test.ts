import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../../shared/tracking.ts';
import { chooseAxes, keptBy, MAX_PARAM_AXES, MISSING, position, valueAt } from './parallelAxes.ts';

const run = (id: string, params: Record<string, string>, metrics: RunSummary['metrics']): RunSummary => ({
  id,
  experimentId: '0',
  name: id,
  status: 'FINISHED',
  startTime: null,
  endTime: null,
  createdAt: 0,
  params,
  metrics,
  tags: {},
});

const runs = [
  run('a', { lr: '0.0001', opt: 'sgd', seed: '7' }, { acc: 0.5, loss: 2 }),
  run('b', { lr: '0.01', opt: 'adam', seed: '7' }, { acc: 0.9, loss: 'NaN' }),
  run('c', { lr: '0.1', opt: 'adam', seed: '7' }, { acc: 0.7 }),
];

describe('parallel coordinates axes', () => {
  it('gives params that differ an axis each, then the metrics with the colouring one last', () => {
    const axes = chooseAxes(runs, ['acc', 'loss'], 'acc');
    expect(axes.map((a) => `${a.kind}:${a.key}`)).toEqual([
      'param:lr',
      'param:opt',
      'metric:loss',
      'metric:acc',
    ]);
    expect(axes[0]!.scale).toEqual({ type: 'linear', min: 0.0001, max: 0.1, log: true });
    expect(axes[1]!.scale).toEqual({ type: 'category', values: ['adam', 'sgd'] });
    expect(axes[2]!.scale).toEqual({ type: 'linear', min: 2, max: 2, log: false });
  });

  it('keeps to a few param axes however many differ', () => {
    const many = [0, 1].map((n) =>
      run(`r${n}`, Object.fromEntries(Array.from({ length: 12 }, (_, k) => [`p${k}`, String(n)])), {}),
    );
    expect(chooseAxes(many, [], undefined)).toHaveLength(MAX_PARAM_AXES);
  });

  it('places values on log, linear and category axes, and missing ones below', () => {
    const [lr, opt, loss, acc] = chooseAxes(runs, ['acc', 'loss'], 'acc');
    expect(runs.map((r) => position(r, lr!))).toEqual([0, 2 / 3, 1].map((p) => expect.closeTo(p, 12)));
    expect(valueAt(lr!.scale as { min: number; max: number; log: boolean }, 0.5)).toBeCloseTo(0.00316, 5);
    expect(runs.map((r) => position(r, opt!))).toEqual([1, 0, 0]);
    expect(runs.map((r) => position(r, loss!))).toEqual([0.5, MISSING, MISSING]);
    expect(runs.map((r) => position(r, acc!))).toEqual([0, 1, 0.5].map((p) => expect.closeTo(p, 12)));
  });

  it('keeps the runs inside every brushed range', () => {
    const axes = chooseAxes(runs, ['acc', 'loss'], 'acc');
    expect([...keptBy(runs, axes, new Map())]).toEqual(['a', 'b', 'c']);
    expect([...keptBy(runs, axes, new Map([[3, [0.4, 1] as [number, number]]]))]).toEqual(['b', 'c']);
    expect([
      ...keptBy(
        runs,
        axes,
        new Map([
          [3, [0.4, 1]],
          [0, [0.9, 1]],
        ]),
      ),
    ]).toEqual(['c']);
  });
});
