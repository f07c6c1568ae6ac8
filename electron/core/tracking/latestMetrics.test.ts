/**
 * The store's side of MLflow compatibility: the latest point of a series as MLflow defines it
 * (highest step, then latest timestamp, ties to the later write), non-finite and exact values
 * surviving the JSON that summaries are built from, and params/tags equality in search.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../testing/tempDirs.ts';
import { openWorkbench, type Workbench } from '../workbench.ts';

const dirs = tempDirs();
let wb: Workbench;
beforeAll(async () => {
  wb = await openWorkbench(dirs.make());
});
afterAll(async () => {
  await wb.close();
});

const point = (
  key: string,
  value: number | 'NaN' | 'Infinity' | '-Infinity',
  step: number,
  timestamp: number,
) => ({
  key,
  value,
  step,
  timestamp,
});

describe('latest metric points', () => {
  it('is the highest step, then the latest timestamp, and the later write on a tie — within and across batches', () => {
    const id = wb.tracking.createRun({ experimentId: '0', status: 'RUNNING' });
    wb.tracking.logMetrics(id, [point('a', 1, 5, 10), point('a', 2, 3, 99), point('a', 3, 5, 10)]);
    expect(wb.tracking.latestMetricPoints([id]).get(id)).toEqual([point('a', 3, 5, 10)]);
    wb.tracking.logMetrics(id, [point('a', 4, 4, 1000)]);
    expect(wb.tracking.run(id).metrics).toEqual({ a: 3 });
    wb.tracking.logMetrics(id, [point('a', 5, 5, 11), point('b', 7, 0, 0)]);
    expect(wb.tracking.run(id).metrics).toEqual({ a: 5, b: 7 });
    expect(wb.tracking.metricHistory(id, 'a').map((p) => p.value)).toEqual([2, 4, 1, 3, 5]);
  });

  it('keeps NaN, ±Infinity and full double precision through search summaries', () => {
    const exp = wb.tracking.createExperiment('precision');
    const id = wb.tracking.createRun({ experimentId: exp, status: 'RUNNING', params: { p: 'x' } });
    wb.tracking.logMetrics(id, [
      point('nan', 'NaN', 0, 1),
      point('inf', 'Infinity', 0, 1),
      point('ninf', '-Infinity', 0, 1),
      point('exact', 0.1 + 0.2, 0, 1),
      point('tiny', 5e-324, 0, 1),
    ]);
    const page = wb.tracking.searchWithPoints({ experimentIds: [exp] });
    expect(page.runs[0]!.metrics).toEqual({
      nan: 'NaN',
      inf: 'Infinity',
      ninf: '-Infinity',
      exact: 0.30000000000000004,
      tiny: 5e-324,
    });
    expect(page.points.get(id)).toContainEqual(point('inf', 'Infinity', 0, 1));
    expect(page.runs[0]!.params).toEqual({ p: 'x' });
  });

  it('finds runs by param and tag equality and inequality', () => {
    const exp = wb.tracking.createExperiment('equality');
    const ids = [0, 1, 2, 3].map((i) =>
      wb.tracking.createRun({
        experimentId: exp,
        status: 'FINISHED',
        params: { lr: i % 2 ? '0.1' : '0.01' },
        tags: { team: i < 2 ? 'a' : 'b' },
      }),
    );
    const found = (filter: string) =>
      wb.tracking
        .search({ experimentIds: [exp], filter })
        .runs.map((r) => r.id)
        .sort();
    expect(found("params.lr = '0.1'")).toEqual([ids[1], ids[3]].sort());
    expect(found("params.lr = '0.1' and tags.team = 'b'")).toEqual([ids[3]]);
    expect(found("tags.team != 'b'")).toEqual([ids[0], ids[1]].sort());
    expect(found("params.missing = 'x'")).toEqual([]);
  });
});
