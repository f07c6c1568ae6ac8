import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../../shared/tracking.ts';
import {
  type Axis,
  axisOf,
  brushOf,
  brushSpan,
  chooseAxes,
  keptBy,
  MAX_PARAM_AXES,
  MISSING,
  plotted,
  position,
  valueAt,
} from './parallelAxes.ts';

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

const byId = (axes: Axis[], id: string) => axes.find((a) => a.id === id)!;

describe('parallel coordinates axes', () => {
  it('gives params that differ an axis each, then the metrics with the colouring one last', () => {
    const axes = chooseAxes(runs, ['acc', 'loss'], 'acc');
    expect(axes.map((a) => a.id)).toEqual(['param:lr', 'param:opt', 'metric:loss', 'metric:acc']);
    expect(axes[0]!.scale).toEqual({ type: 'linear', min: 0.0001, max: 0.1, log: true });
    expect(axes[1]!.scale).toMatchObject({ type: 'category', values: ['adam', 'sgd'] });
    expect(axes[2]!.scale).toEqual({ type: 'linear', min: 2, max: 2, log: false });
  });

  it('keeps to a few param axes, those with the fewest distinct values', () => {
    const many = [0, 1, 2].map((n) =>
      run(
        `r${n}`,
        {
          ...Object.fromEntries(Array.from({ length: 12 }, (_, k) => [`p${k}`, String(n % 2)])),
          output_dir: `/out/${n}`,
        },
        {},
      ),
    );
    const axes = chooseAxes(many, [], undefined);
    expect(axes).toHaveLength(MAX_PARAM_AXES);
    expect(axes.map((a) => a.key)).not.toContain('output_dir');
  });

  it('takes only decimal numbers for numbers, and a log scale for params from two decades on', () => {
    const odd = [run('x', { p: '0x10', q: '1' }, {}), run('y', { p: '  ', q: '100' }, {})];
    const [p, q] = chooseAxes(odd, [], undefined);
    expect(p!.scale).toMatchObject({ type: 'category' });
    expect(q!.scale).toEqual({ type: 'linear', min: 1, max: 100, log: true });
    const under = chooseAxes([run('x', { q: '1' }, {}), run('y', { q: '99' }, {})], [], undefined);
    expect(under[0]!.scale).toMatchObject({ log: false });
    const metric = chooseAxes(
      [run('x', {}, { m: 1, n: 1 }), run('y', {}, { m: 1000, n: 2 })],
      ['m', 'n'],
      'n',
    );
    expect(metric[0]!.scale).toMatchObject({ type: 'linear', log: false });
  });

  it('places values on log, linear and category axes, and missing ones below', () => {
    const axes = chooseAxes(runs, ['acc', 'loss'], 'acc');
    const lr = byId(axes, 'param:lr');
    expect(runs.map((r) => position(r, lr))).toEqual([0, 2 / 3, 1].map((p) => expect.closeTo(p, 12)));
    expect(valueAt(lr.scale as Parameters<typeof valueAt>[0], 0.5)).toBeCloseTo(0.00316, 5);
    expect(runs.map((r) => position(r, byId(axes, 'param:opt')))).toEqual([1, 0, 0]);
    expect(runs.map((r) => position(r, byId(axes, 'metric:loss')))).toEqual([0.5, MISSING, MISSING]);
    expect(runs.map((r) => position(r, byId(axes, 'metric:acc')))).toEqual(
      [0, 1, 0.5].map((p) => expect.closeTo(p, 12)),
    );
  });

  it('keeps the runs inside every range, in values, whatever the axis ends do later', () => {
    const axes = chooseAxes(runs, ['acc', 'loss'], 'acc');
    const acc = byId(axes, 'metric:acc');
    expect([...keptBy(runs, axes, new Map())]).toEqual(['a', 'b', 'c']);
    // The top half of acc: 0.7 to 0.9, ends included exactly.
    const top = brushOf(acc, 1, 0.5);
    expect(top).toEqual({ type: 'linear', lo: 0.7, hi: 0.9 });
    expect([...keptBy(runs, axes, new Map([[acc.id, top]]))]).toEqual(['b', 'c']);
    const lrTop = brushOf(byId(axes, 'param:lr'), 0.9, 1.2);
    expect([
      ...keptBy(
        runs,
        axes,
        new Map([
          [acc.id, top],
          ['param:lr', lrTop],
        ]),
      ),
    ]).toEqual(['c']);

    // A new run moves acc's top to 1.0: the same range keeps the same values, drawn lower now.
    const more = [...runs, run('d', { lr: '0.001', opt: 'sgd', seed: '7' }, { acc: 1.0 })];
    const moved = chooseAxes(more, ['acc', 'loss'], 'acc');
    expect([...keptBy(more, moved, new Map([[acc.id, top]]))]).toEqual(['b', 'c']);
    expect(brushSpan(byId(moved, 'metric:acc'), top)).toEqual([0.4, 0.8].map((p) => expect.closeTo(p, 12)));
  });

  it('ranges categories by the values they cover, and a run without a value is not kept', () => {
    const axes = chooseAxes(runs, ['acc', 'loss'], 'acc');
    const opt = byId(axes, 'param:opt');
    const sgd = brushOf(opt, 0.8, 1);
    expect(sgd).toEqual({ type: 'category', values: new Set(['sgd']) });
    expect(brushSpan(opt, sgd)).toEqual([0.75, 1]);
    // Between the two ticks: both categories' bands, not nothing.
    expect(brushOf(opt, 0.3, 0.7)).toEqual({ type: 'category', values: new Set(['adam', 'sgd']) });
    expect(brushOf(opt, 0.1, 0.4)).toEqual({ type: 'category', values: new Set(['adam']) });
    expect([...keptBy(runs, axes, new Map([[opt.id, sgd]]))]).toEqual(['a']);
    const loss = byId(axes, 'metric:loss');
    expect([...keptBy(runs, axes, new Map([[loss.id, brushOf(loss, 0, 1)]]))]).toEqual(['a']);
  });
});

describe('one against another', () => {
  it('plots numbers as numbers, categories as their names, and nothing for a missing or NaN value', () => {
    const lr = axisOf(runs, 'param', 'lr');
    const opt = axisOf(runs, 'param', 'opt');
    const loss = axisOf(runs, 'metric', 'loss');
    expect(runs.map((r) => plotted(r, lr))).toEqual([0.0001, 0.01, 0.1]);
    expect(runs.map((r) => plotted(r, opt))).toEqual(['sgd', 'adam', 'adam']);
    expect(runs.map((r) => plotted(r, loss))).toEqual([2, undefined, undefined]);
    expect(axisOf(runs, 'param', 'seed').scale).toEqual({ type: 'linear', min: 7, max: 7, log: false });
  });
});
