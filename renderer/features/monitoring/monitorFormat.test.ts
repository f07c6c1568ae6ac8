import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  formatEvery,
  formatMetric,
  plotTime,
  ruleMetric,
  rulesSummary,
} from './monitorFormat.ts';

describe('monitor format', () => {
  it('says windows and schedules in words', () => {
    expect(formatDuration(45)).toBe('45 s');
    expect(formatDuration(300)).toBe('5 min');
    expect(formatDuration(90)).toBe('1 min 30 s');
    expect(formatDuration(3600)).toBe('1 h');
    expect(formatDuration(5400)).toBe('1 h 30 min');
    expect(formatDuration(7 * 86400)).toBe('7 d');
    expect(formatEvery(0)).toBe('only when asked');
    expect(formatEvery(300)).toBe('every 5 min');
  });

  it('shows each metric in its unit, and nothing as a dash', () => {
    expect(formatMetric('error_rate', 0.0213)).toBe('2.1%');
    expect(formatMetric('drift_share', 0.5)).toBe('50%');
    expect(formatMetric('accuracy', 1)).toBe('100%');
    expect(formatMetric('p95_latency_ms', 3.2468)).toBe('3.25 ms');
    expect(formatMetric('requests', 12345)).toBe('12,345');
    expect(formatMetric('rmse', 0.123456)).toBe('0.1235');
    expect(formatMetric('accuracy', null)).toBe('—');
    expect(formatMetric('requests', undefined)).toBe('—');
  });

  it('finds the metric an alert is about, dataset drift included', () => {
    expect(ruleMetric('dataset drift')).toBe('drift_share');
    expect(ruleMetric('error_rate < 0.05')).toBe('error_rate');
    expect(ruleMetric('something else')).toBeNull();
  });

  it('sums up rule results', () => {
    const c = (passed: boolean | null) => ({ rule: 'r', metric: 'm', value: null, passed, note: null });
    expect(rulesSummary([])).toBe('no rules');
    expect(rulesSummary([c(true), c(true), c(false), c(null)])).toBe('2 hold · 1 fails · 1 not checked');
    expect(rulesSummary([c(true)])).toBe('1 holds');
  });

  it('gives plotly local times, so the chart agrees with the clock shown beside it', () => {
    const at = new Date(2026, 10, 29, 9, 5, 7, 42).getTime();
    expect(plotTime(at)).toBe('2026-11-29 09:05:07.042');
  });
});
