import { describe, expect, it } from 'vitest';
import type { DeploymentMetrics } from '../../../shared/deployments.ts';
import { addSample, sparklinePath } from './metricsHistory.ts';

const read = (at: number, rps: number, p95: number | null = 5): DeploymentMetrics => ({
  at,
  windowSeconds: 2,
  requestsTotal: 0,
  errorsTotal: 0,
  requestsPerSecond: rps,
  errorRate: null,
  p50Ms: null,
  p95Ms: p95,
  inFlight: 0,
  modelLoadSeconds: null,
});

describe('metrics history', () => {
  it('adds each read once and forgets what is older than the window', () => {
    let h = addSample([], read(1000, 1));
    h = addSample(h, read(1000, 9));
    expect(h).toEqual([{ at: 1000, requestsPerSecond: 1, p95Ms: 5 }]);
    h = addSample(h, read(3000, 2), 5000);
    h = addSample(h, read(7000, 3), 5000);
    expect(h.map((s) => s.at)).toEqual([3000, 7000]);
    // An older read (a late reply) does not go back in time.
    expect(addSample(h, read(5000, 4), 5000)).toBe(h);
  });

  it('draws the largest value at the top and breaks the line at a gap', () => {
    expect(sparklinePath([], 100, 20)).toBe('');
    expect(sparklinePath([0, 10, 5], 100, 20)).toBe('M0.0,20.0L50.0,0.0L100.0,10.0');
    expect(sparklinePath([1, null, 1], 10, 10)).toBe('M0.0,0.0M10.0,0.0');
    expect(sparklinePath([0, 0], 10, 10)).toBe('M0.0,10.0L10.0,10.0');
  });
});
