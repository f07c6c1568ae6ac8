import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import { entitiesWritten } from '../../shared/contract.ts';
import { entities } from '../../shared/entities.ts';
import { invalidateEntities, readsAnyOf, sharedChanges } from './invalidation.ts';

/** The queries, among `keys`, that a change to `changed` makes stale. */
const stale = (changed: string[], keys: readonly (readonly unknown[])[]) =>
  keys.filter((queryKey) => readsAnyOf(changed)({ queryKey }));

const datasetKeys = [
  ['datasets.list', {}],
  ['datasets.versions', { name: 'iris' }],
  ['datasets.versions', { name: 'wine' }],
  ['datasets.show', { name: 'iris' }],
  ['datasets.show', { name: 'iris', version: 2 }],
  ['datasets.profile', { name: 'iris' }],
  ['datasets.diff', { name: 'iris', from: 1, to: 2 }],
] as const;

const runKeys = [
  ['runs.search', { filter: '', orderBy: [] }],
  // The runs table's infinite query: the generated key and a marker.
  ['runs.search', { filter: '', orderBy: [], maxResults: 2000 }, 'pages'],
  ['experiments.list', {}],
  ['runs.get', { id: 'A' }],
  ['runs.get', { id: 'B' }],
  ['runs.metricHistory', { id: 'A', key: 'loss' }],
  ['runs.metricHistory', { id: 'B', key: 'loss' }],
  ['runs.logs', { id: 'A', tail: 5000 }],
] as const;

describe('which queries a change makes stale', () => {
  it('engines: the list and the added engine\'s status (the renderer once listened for "engine")', () => {
    const keys = [
      ['engine.status', {}],
      ['engine.status', { name: 'gpu' }],
      ['engines.list', {}],
      ['datasets.list', {}],
    ];
    const added = [...entitiesWritten('engines.add', { name: 'gpu' }, { status: {} })];
    expect(stale(added, keys)).toEqual(keys.slice(1, 3));
    expect(stale(['engine'], keys)).toEqual([]);
    // A removed engine's status is not asked again (it would answer 404 while its row goes).
    const removed = [...entitiesWritten('engines.remove', { name: 'gpu' }, { removed: true })];
    expect(stale(removed, keys)).toEqual([['engines.list', {}]]);
  });

  it('experiments: the experiments list (the MLflow endpoint once announced what nothing read)', () => {
    expect(stale([entities.experiments], runKeys)).toEqual([['experiments.list', {}]]);
    // Starting runs may make their experiment: the list hears of it.
    const started = [...entitiesWritten('runs.start', {}, { runs: ['A'] })];
    expect(stale(started, runKeys)).toEqual([runKeys[0], runKeys[1], runKeys[2]]);
  });

  it('a dataset: its versions and what reads its latest version, never a numbered version', () => {
    expect(stale([entities.dataset('iris')], datasetKeys)).toEqual([
      ['datasets.versions', { name: 'iris' }],
      ['datasets.show', { name: 'iris' }],
      ['datasets.profile', { name: 'iris' }],
    ]);
    const added = [...entitiesWritten('datasets.add', { name: 'wine' }, { created: true })];
    expect(stale(added, datasetKeys)).toEqual([
      ['datasets.list', {}],
      ['datasets.versions', { name: 'wine' }],
    ]);
  });

  it('a run: the runs lists and that run, not another; its metrics: its summary and series only', () => {
    expect(stale([entities.runs, entities.run('A')], runKeys)).toEqual([runKeys[0], runKeys[1], runKeys[3]]);
    expect(stale([entities.runMetrics('A')], runKeys)).toEqual([
      ['runs.get', { id: 'A' }],
      ['runs.metricHistory', { id: 'A', key: 'loss' }],
    ]);
  });

  it('drift and saved filters: the lists and presets; a stored report never', () => {
    const keys = [
      ['drift.reports', {}],
      ['drift.reports', { dataset: 'iris' }],
      ['drift.report', { id: 'R' }],
      ['drift.compare', { a: 'R', b: 'S' }],
      ['drift.presets', {}],
      ['filters.list', { scope: 'runs' }],
    ];
    expect(stale([entities.driftReports], keys)).toEqual(keys.slice(0, 2));
    expect(stale([entities.driftPresets], keys)).toEqual([['drift.presets', {}]]);
    expect(stale([entities.savedFilters('runs')], keys)).toEqual([['filters.list', { scope: 'runs' }]]);
  });

  it('leaves keys that are not contract queries alone, whatever they hold', () => {
    const keys = [
      [],
      [42],
      ['not.a.method', { name: 'iris' }],
      ['filters.save', { scope: 'runs' }],
      ['runs.get'],
    ];
    expect(stale([entities.savedFilters('runs'), entities.dataset('iris'), entities.runs], keys)).toEqual([]);
  });

  it('leaves streams to the views that follow them live', () => {
    expect(sharedChanges([entities.runs, entities.runMetrics('A'), entities.run('A')])).toEqual([
      entities.runs,
      entities.run('A'),
    ]);
  });

  it('invalidates exactly those queries in a query cache', async () => {
    const client = new QueryClient();
    const keys = [...datasetKeys, ...runKeys];
    for (const k of keys) client.setQueryData(k, 'cached');
    await invalidateEntities(client, [entities.dataset('iris'), entities.run('B')]);
    const invalidated = keys.filter((k) => client.getQueryState(k)?.isInvalidated);
    expect(invalidated).toEqual([
      ['datasets.versions', { name: 'iris' }],
      ['datasets.show', { name: 'iris' }],
      ['datasets.profile', { name: 'iris' }],
      ['runs.get', { id: 'B' }],
    ]);
    client.clear();
  });
});
