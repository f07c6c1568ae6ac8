/**
 * Series as charts read them (TrackingRepo.metricSeries), against a real SQLite store: every point
 * of a short series; buckets of a long one that match a brute-force reading of the same points
 * (last point, extremes without NaN, count); zoom windows with their neighbours; odd values and
 * steps.
 */
import { describe, expect, it } from 'vitest';
import type { MetricPoint, SeriesPoint } from '../../../shared/tracking.ts';
import { testWorkbench } from '../testing/testWorkbench.ts';

const app = testWorkbench();

type Value = MetricPoint['value'];

/** A deterministic pseudo-random sequence, so a failure can be run again. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function numeric(v: Value): number {
  return typeof v === 'number' ? v : v === 'NaN' ? Number.NaN : v === 'Infinity' ? Infinity : -Infinity;
}

/** What the buckets must be, computed the slow way from the points as logged (in write order). */
function expectedBuckets(points: MetricPoint[], lo: number, hi: number, count: number): SeriesPoint[] {
  const inRange = points.map((p, order) => ({ ...p, order })).filter((p) => p.step >= lo && p.step <= hi);
  const groups = new Map<bigint, typeof inRange>();
  for (const p of inRange) {
    const b = ((BigInt(p.step) - BigInt(lo)) * BigInt(count)) / (BigInt(hi) - BigInt(lo) + 1n);
    groups.set(b, [...(groups.get(b) ?? []), p]);
  }
  return [...groups.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([, ps]) => {
      const last = [...ps].sort(
        (a, b) => b.step - a.step || b.timestamp - a.timestamp || b.order - a.order,
      )[0]!;
      const finite = ps.map((p) => numeric(p.value)).filter((v) => !Number.isNaN(v));
      const wire = (v: number): Value => (v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v);
      return {
        step: last.step,
        timestamp: last.timestamp,
        value: last.value,
        min: finite.length ? wire(Math.min(...finite)) : null,
        max: finite.length ? wire(Math.max(...finite)) : null,
        count: ps.length,
      };
    });
}

function newRun(): string {
  return app.wb.tracking.createRun({ experimentId: '0', status: 'RUNNING' });
}

describe('metric series for charts', () => {
  it('gives every point of a series no longer than asked, in step order, NaN without extremes', () => {
    const id = newRun();
    app.wb.tracking.logMetrics(id, [
      { key: 'loss', value: 0.5, step: 2, timestamp: 20 },
      { key: 'loss', value: 'NaN', step: 1, timestamp: 10 },
      { key: 'loss', value: 'Infinity', step: 3, timestamp: 30 },
      { key: 'loss', value: 0.25, step: 2, timestamp: 21 },
    ]);
    const s = app.wb.tracking.metricSeries(id, 'loss', { maxPoints: 10 });
    expect(s).toEqual({
      run: id,
      key: 'loss',
      total: 4,
      sampled: false,
      points: [
        { step: 1, timestamp: 10, value: 'NaN', min: null, max: null, count: 1 },
        { step: 2, timestamp: 20, value: 0.5, min: 0.5, max: 0.5, count: 1 },
        { step: 2, timestamp: 21, value: 0.25, min: 0.25, max: 0.25, count: 1 },
        { step: 3, timestamp: 30, value: 'Infinity', min: 'Infinity', max: 'Infinity', count: 1 },
      ],
    });
  });

  it('buckets a long series into at most maxPoints, each its last point, extremes and count', () => {
    const id = newRun();
    const next = random(7);
    const points: MetricPoint[] = [];
    for (let i = 0; i < 20_000; i++) {
      // Sparse steps with repeats, late timestamps out of order, NaN and infinities here and there.
      const step = Math.floor(i * 1.7) - (next() < 0.05 ? 1 : 0);
      const r = next();
      const value: Value =
        r < 0.01 ? 'NaN' : r < 0.012 ? 'Infinity' : r < 0.014 ? '-Infinity' : Math.round(next() * 1e6) / 1e3;
      points.push({ key: 'acc', value, step, timestamp: 1000 + Math.floor(next() * 50) });
    }
    // A run of NaN only, so one bucket has no extremes.
    for (let step = 40_000; step < 40_100; step++)
      points.push({ key: 'acc', value: 'NaN', step, timestamp: 5 });
    for (let i = 0; i < points.length; i += 1000) app.wb.tracking.logMetrics(id, points.slice(i, i + 1000));

    const s = app.wb.tracking.metricSeries(id, 'acc', { maxPoints: 500 });
    const steps = points.map((p) => p.step);
    const lo = Math.min(...steps);
    const hi = Math.max(...steps);
    expect(s.total).toBe(points.length);
    expect(s.sampled).toBe(true);
    expect(s.points.length).toBeLessThanOrEqual(500);
    expect(s.points.reduce((n, p) => n + p.count, 0)).toBe(points.length);
    expect(s.points).toEqual(expectedBuckets(points, lo, hi, 500));
    expect(s.points.at(-1)).toMatchObject({ value: 'NaN', min: null, max: null });
  });

  it('zooms: a window re-reads its steps at full resolution when they fit, with a neighbour each side', () => {
    const id = newRun();
    const points: MetricPoint[] = Array.from({ length: 5000 }, (_, step) => ({
      key: 'loss',
      value: 1 / (step + 1),
      step,
      timestamp: step,
    }));
    app.wb.tracking.logMetrics(id, points);
    const whole = app.wb.tracking.metricSeries(id, 'loss', { maxPoints: 100 });
    expect(whole.points.length).toBe(100);
    expect(whole.points[0]).toMatchObject({ step: 49, min: 1 / 50, max: 1, count: 50 });

    const zoomed = app.wb.tracking.metricSeries(id, 'loss', { from: 1000, to: 1080, maxPoints: 100 });
    expect(zoomed).toMatchObject({ total: 81, sampled: false });
    expect(zoomed.points.map((p) => p.step)).toEqual([
      999,
      ...Array.from({ length: 81 }, (_, i) => 1000 + i),
      1081,
    ]);

    const wide = app.wb.tracking.metricSeries(id, 'loss', { from: 1000, to: 2999, maxPoints: 100 });
    expect(wide).toMatchObject({ total: 2000, sampled: true });
    const inside = wide.points.slice(1, -1);
    expect(inside).toEqual(expectedBuckets(points, 1000, 2999, 100));
    expect(wide.points[0]!.step).toBe(999);
    expect(wide.points.at(-1)!.step).toBe(3000);

    const past = app.wb.tracking.metricSeries(id, 'loss', { from: 9000, to: 9999, maxPoints: 100 });
    expect(past).toMatchObject({ total: 0, sampled: false });
    expect(past.points.map((p) => p.step)).toEqual([4999]);
  });

  it('keeps to maxPoints with steps near the largest safe integer', () => {
    const id = newRun();
    const big = Number.MAX_SAFE_INTEGER;
    // The span times the bucket count is past 2^63: integer arithmetic would overflow.
    const points: MetricPoint[] = Array.from({ length: 3000 }, (_, i) => ({
      key: 'k',
      value: i,
      step: i % 2 ? big - i : -big + i,
      timestamp: i,
    }));
    app.wb.tracking.logMetrics(id, points);
    const s = app.wb.tracking.metricSeries(id, 'k', { maxPoints: 1000 });
    expect(s.sampled).toBe(true);
    expect(s.points.length).toBeLessThanOrEqual(1000);
    expect(s.points.reduce((n, p) => n + p.count, 0)).toBe(3000);
    expect(s.points).toEqual(expectedBuckets(points, -big, big - 1, 1000));
  });

  it('is empty for a key the run never logged, and names a run that does not exist', () => {
    const id = newRun();
    expect(app.wb.tracking.metricSeries(id, 'none', { maxPoints: 10 })).toEqual({
      run: id,
      key: 'none',
      total: 0,
      sampled: false,
      points: [],
    });
    expect(() => app.wb.tracking.metricSeries('nope', 'loss', { maxPoints: 10 })).toThrow(/nope/);
  });
});

describe('runs of a comparison', () => {
  it('reads runs by id in the order asked, once each, past the 500 a statement holds, without the missing', () => {
    const ids = Array.from({ length: 620 }, (_, n) =>
      app.wb.tracking.createRun({
        experimentId: '0',
        status: 'FINISHED',
        name: `many-${n}`,
        params: { n: String(n) },
      }),
    );
    app.wb.tracking.logMetrics(ids[0]!, [{ key: 'acc', value: 0.5, step: 0, timestamp: 1 }]);
    const asked = [...ids].reverse();
    const got = app.wb.tracking.runsOf([asked[0]!, 'gone', ...asked, asked[1]!]);
    expect(got.map((r) => r.id)).toEqual(asked);
    expect(got.at(-1)).toMatchObject({ name: 'many-0', params: { n: '0' }, metrics: { acc: 0.5 } });
    expect(app.wb.tracking.runsOf(['gone'])).toEqual([]);
  });
});

describe('through the API', () => {
  it('refuses a window that ends before it starts, and a request past the points it may return', async () => {
    const { api } = app;
    const id = newRun();
    await expect(api.call('runs.metricSeries', { ids: [id], keys: ['k'], from: 10, to: 9 })).rejects.toThrow(
      /from must not be after to/,
    );
    const ids = Array.from({ length: 100 }, () => id);
    const keys = Array.from({ length: 20 }, (_, k) => `k${k}`);
    await expect(api.call('runs.metricSeries', { ids, keys, maxPoints: 1000 })).rejects.toThrow(
      /At most 200,000 points in one request/,
    );
    const ok = await api.call('runs.metricSeries', { ids: [id], keys: ['k'], from: 3, to: 3 });
    expect(ok).toEqual({ series: [{ run: id, key: 'k', total: 0, sampled: false, points: [] }] });
  });

  it('reads the runs of a comparison and names the ids that have none', async () => {
    const { api } = app;
    const a = newRun();
    const b = newRun();
    const got = await api.call('runs.getMany', { ids: [b, 'gone', a, b] });
    expect(got.runs.map((r) => r.id)).toEqual([b, a]);
    expect(got.missing).toEqual(['gone']);
  });
});
