import { describe, expect, it } from 'vitest';
import type { SampledSeries } from '../../../shared/tracking.ts';
import { chartSeries, zoomOf } from './MetricChart.tsx';

describe('metric chart helpers', () => {
  it('reads the steps of an x zoom, a reset, and nothing from other relayouts', () => {
    expect(zoomOf({ 'xaxis.range[0]': 10.4, 'xaxis.range[1]': 99.2 })).toEqual([10, 100]);
    expect(zoomOf({ 'xaxis.range': [50.5, 7.5] })).toEqual([7, 51]);
    expect(zoomOf({ 'xaxis.autorange': true, 'yaxis.autorange': true })).toBeNull();
    expect(zoomOf({ 'yaxis.range[0]': 0, 'yaxis.range[1]': 1 })).toBeUndefined();
    expect(zoomOf({ dragmode: 'zoom' })).toBeUndefined();
  });

  it('draws buckets with their extremes as a band, and plain points without one', () => {
    const sampled: SampledSeries = {
      run: 'R',
      key: 'loss',
      total: 40,
      sampled: true,
      points: [
        { step: 9, timestamp: 1, value: 0.5, min: 0.1, max: 'Infinity', count: 10 },
        { step: 19, timestamp: 2, value: 'NaN', min: null, max: null, count: 10 },
      ],
    };
    expect(chartSeries('R', 'a', sampled)).toEqual({
      id: 'R',
      name: 'a',
      x: [9, 19],
      y: [0.5, null],
      band: { lo: [0.1, null], hi: [null, null] },
    });
    expect(chartSeries('R', 'b', { ...sampled, sampled: false })).toEqual({
      id: 'R',
      name: 'b',
      x: [9, 19],
      y: [0.5, null],
    });
    expect(chartSeries('S', 'c', undefined)).toEqual({ id: 'S', name: 'c', x: [], y: [] });
  });
});
