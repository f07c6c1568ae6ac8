import { describe, expect, it } from 'vitest';
import { Metrics } from '../../../resources/serving/metrics.ts';
import { parseServerMetrics, serverFigures } from './serverMetrics.ts';

/** The server's own rendering, so a change of its format breaks this test and not the page. */
function serverWith(requests: { endpoint: string; status: number; seconds: number }[]): Metrics {
  const m = new Metrics();
  m.modelLoadSeconds = 0.25;
  for (const r of requests) m.observe(r.endpoint, r.status, r.seconds);
  return m;
}

describe('serverMetrics', () => {
  it('counts prediction requests only, with errors, in flight and the load time', () => {
    const m = serverWith([
      { endpoint: '/invocations', status: 200, seconds: 0.002 },
      { endpoint: '/v2/models/{name}/infer', status: 200, seconds: 0.002 },
      { endpoint: '/v2/models/{name}/infer', status: 400, seconds: 0.0004 },
      { endpoint: '/metrics', status: 200, seconds: 0.0001 },
      { endpoint: '/v2/health/ready', status: 200, seconds: 0.0001 },
    ]);
    // Two requests being answered, and the read of /metrics itself.
    m.inFlight = 3;
    const s = parseServerMetrics(m.render(), 1000);
    expect(s.requestsTotal).toBe(3);
    expect(s.errorsTotal).toBe(1);
    expect(s.inFlight).toBe(2);
    expect(s.modelLoadSeconds).toBe(0.25);
    expect(s.buckets.at(-1)).toEqual({ le: Number.POSITIVE_INFINITY, count: 3 });
  });

  it('gives rates and quantiles over the window between two reads', () => {
    const first = serverWith(
      Array.from({ length: 100 }, () => ({ endpoint: '/invocations', status: 200, seconds: 0.0002 })),
    );
    const a = parseServerMetrics(first.render(), 10_000);
    // 200 more requests in 2 s: 180 fast (≤ 1 ms), 20 slow (between 10 and 25 ms), 10 of them failed.
    for (let i = 0; i < 180; i++) first.observe('/invocations', 200, 0.0008);
    for (let i = 0; i < 20; i++) first.observe('/invocations', i < 10 ? 500 : 200, 0.02);
    const b = parseServerMetrics(first.render(), 12_000);
    const f = serverFigures(b, a);
    expect(f.windowSeconds).toBe(2);
    expect(f.requestsPerSecond).toBe(100);
    expect(f.errorRate).toBeCloseTo(10 / 200);
    // p50 falls in the (0.5 ms, 1 ms] bucket; p95 in (10 ms, 25 ms].
    expect(f.p50Ms).toBeGreaterThan(0.5);
    expect(f.p50Ms).toBeLessThanOrEqual(1);
    expect(f.p95Ms).toBeGreaterThan(10);
    expect(f.p95Ms).toBeLessThanOrEqual(25);
    expect(f.requestsTotal).toBe(300);
  });

  it('has no rate, error rate nor quantiles before any request', () => {
    const f = serverFigures(parseServerMetrics(new Metrics().render(), 5));
    expect(f).toMatchObject({
      requestsPerSecond: 0,
      errorRate: null,
      p50Ms: null,
      p95Ms: null,
      windowSeconds: 0,
    });
  });
});
