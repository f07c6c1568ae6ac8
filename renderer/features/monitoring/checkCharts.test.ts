import { describe, expect, it } from 'vitest';
import type { MonitorRun } from '../../../shared/monitoring.ts';
import { chartsFor, checkSeries } from './checkCharts.ts';

function run(at: number, metrics: MonitorRun['metrics'], status: MonitorRun['status'] = 'ok'): MonitorRun {
  return {
    id: `r${at}`,
    monitor: 'm',
    at,
    from: at - 3600_000,
    to: at,
    status,
    versions: [1],
    metrics,
    checks: [],
    datasetDrift: null,
    driftReport: null,
    reference: null,
    note: null,
  };
}

describe('check charts', () => {
  const newestFirst = [
    run(3000, { requests: 30, drift_share: 0.75, accuracy: null }, 'alerting'),
    run(2000, { requests: 0, drift_share: null, accuracy: null }, 'no-data'),
    run(1000, { requests: 20, drift_share: 0.25, accuracy: null }),
  ];

  it('puts the checks oldest first, a metric that did not apply as a gap', () => {
    const s = checkSeries(newestFirst);
    expect(s.values('drift_share')).toEqual([0.25, null, 0.75]);
    expect(s.values('requests')).toEqual([20, 0, 30]);
    // A metric a check did not report at all is a gap too.
    expect(s.values('rmse')).toEqual([null, null, null]);
    expect(s.status).toEqual(['ok', 'no-data', 'alerting']);
  });

  it('gives the time axis room around the checks, a single one included, and bars narrower than their gaps', () => {
    const one = checkSeries([run(Date.UTC(2026, 10, 29, 12), {})]);
    const [from, to] = one.range.map((t) => new Date(t.replace(' ', 'T')).getTime());
    expect(to! - from!).toBe(10 * 60_000);
    expect(one.barWidth).toBeGreaterThan(0);
    const hourly = checkSeries([0, 1, 2, 3].map((h) => run(h * 3600_000, {})));
    expect(hourly.barWidth).toBeLessThan(3600_000);
    expect(hourly.barWidth).toBeGreaterThan(60_000);
  });

  it('draws drift with its threshold when the monitor tests drift, and performance only once labels exist', () => {
    const keys = (c: ReturnType<typeof chartsFor>) => c.map((x) => x.key);
    expect(keys(chartsFor({ drift: true, driftShare: 0.5 }, newestFirst))).toEqual([
      'drift',
      'errors',
      'latency',
      'traffic',
    ]);
    expect(chartsFor({ drift: true, driftShare: 0.5 }, newestFirst)[0]!.threshold).toEqual({
      value: 0.5,
      name: 'dataset drift',
    });
    expect(keys(chartsFor({ drift: false, driftShare: 0.5 }, [run(1, { accuracy: null })]))).toEqual([
      'errors',
      'latency',
      'traffic',
    ]);
    expect(keys(chartsFor({ drift: false, driftShare: 0.5 }, [run(1, { accuracy: 0.9 })]))).toContain(
      'accuracy',
    );
    expect(keys(chartsFor({ drift: false, driftShare: 0.5 }, [run(1, { rmse: 0.3, mae: 0.2 })]))).toContain(
      'error',
    );
  });
});
