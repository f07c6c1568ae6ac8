import { describe, expect, it } from 'vitest';
import { href, legacyRedirect, parseHash, type Route, sectionOf } from './router.ts';

describe('router', () => {
  const routes: Route[] = [
    { page: 'datasets' },
    { page: 'dataset', name: 'sales 2024/q1 é' },
    { page: 'version', name: 'iris', version: 3 },
    { page: 'compare' },
    { page: 'compare', name: 'iris', from: 1, to: 2, key: 'id' },
    { page: 'drift' },
    { page: 'drift', report: '01ABC' },
    { page: 'drift', a: '01A', b: '01B' },
    { page: 'runs' },
    { page: 'run', id: '01M8GFF76ZDGASC46QDH034X3W' },
    { page: 'runs-compare', ids: ['A', 'B', 'C'], metric: 'val acc' },
    { page: 'runs-compare', ids: ['A'] },
    { page: 'models' },
    { page: 'model', name: 'iris-clf' },
    { page: 'model-version', name: 'churn.v2', version: 12 },
    { page: 'deployments' },
    { page: 'deployment', name: 'iris-clf' },
    { page: 'monitors' },
    { page: 'monitor', name: 'iris-clf-monitor' },
    { page: 'policy', name: 'iris-clf-retrain' },
    { page: 'policy', name: 'iris-clf-retrain', execution: '01M8GFF76ZDGASC46QDH034X3W' },
    { page: 'settings' },
  ];

  it('reads back every route it writes', () => {
    for (const route of routes) {
      const parsed = parseHash(href(route));
      // Optional fields that are absent come back as undefined.
      expect(JSON.parse(JSON.stringify(parsed)), href(route)).toEqual(route);
    }
  });

  it('falls back to the datasets page for what it does not know, and ignores bad numbers', () => {
    expect(parseHash('')).toEqual({ page: 'datasets' });
    expect(parseHash('#/nope/x')).toEqual({ page: 'datasets' });
    expect(parseHash('#/datasets/iris/0')).toEqual({ page: 'dataset', name: 'iris' });
    expect(parseHash('#/datasets/iris/abc')).toEqual({ page: 'dataset', name: 'iris' });
    expect(parseHash('#/compare?dataset=iris&from=-1&to=x')).toMatchObject({
      from: undefined,
      to: undefined,
    });
  });

  it('puts each page under its sidebar section', () => {
    expect(sectionOf({ page: 'version', name: 'x', version: 1 })).toBe('datasets');
    expect(sectionOf({ page: 'run', id: 'x' })).toBe('runs');
    expect(sectionOf({ page: 'runs-compare', ids: [] })).toBe('runs');
    expect(sectionOf({ page: 'drift' })).toBe('drift');
    expect(sectionOf({ page: 'deployment', name: 'iris-clf' })).toBe('deployments');
    expect(sectionOf({ page: 'monitors' })).toBe('monitors');
    expect(sectionOf({ page: 'monitor', name: 'iris-clf-monitor' })).toBe('monitors');
    expect(sectionOf({ page: 'policy', name: 'iris-clf-retrain' })).toBe('monitors');
  });

  it('opens a retraining policy at #/policies/NAME, an execution of it by its id', () => {
    expect(parseHash('#/policies/iris-retrain')).toEqual({ page: 'policy', name: 'iris-retrain' });
    expect(parseHash('#/policies/iris-retrain?execution=01ABC')).toEqual({
      page: 'policy',
      name: 'iris-retrain',
      execution: '01ABC',
    });
    expect(href({ page: 'policy', name: 'iris-retrain', execution: '01ABC' })).toBe(
      '#/policies/iris-retrain?execution=01ABC',
    );
    // Policies are listed on the Monitoring page.
    expect(parseHash('#/policies')).toEqual({ page: 'monitors' });
  });

  it('opens the monitoring of deployments at #/monitors, apart from the old #/monitoring', () => {
    expect(parseHash('#/monitors')).toEqual({ page: 'monitors' });
    expect(parseHash('#/monitors/iris-drift')).toEqual({ page: 'monitor', name: 'iris-drift' });
    expect(href({ page: 'monitor', name: 'iris-drift' })).toBe('#/monitors/iris-drift');
    expect(legacyRedirect('#/monitors')).toBeUndefined();
    expect(legacyRedirect('#/monitors/iris-drift')).toBeUndefined();
    expect(parseHash('#/monitoring/iris-drift')).toMatchObject({ page: 'drift' });
  });

  it('opens the drift page from the old monitoring addresses and writes them as drift ones', () => {
    expect(parseHash('#/monitoring')).toEqual(parseHash('#/drift'));
    expect(parseHash('#/monitoring?report=01ABC')).toMatchObject({ page: 'drift', report: '01ABC' });
    expect(legacyRedirect('#/monitoring')).toBe('#/drift');
    expect(legacyRedirect('#/monitoring?a=01A&b=01B')).toBe('#/drift?a=01A&b=01B');
    expect(legacyRedirect('#/drift?report=01ABC')).toBeUndefined();
    expect(legacyRedirect('#/datasets/monitoring')).toBeUndefined();
  });
});
