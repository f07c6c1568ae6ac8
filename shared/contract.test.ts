import { describe, expect, it } from 'vitest';
import { entitiesRead, entitiesWritten, methodNames, methods } from './contract.ts';
import { entities, isStream } from './entities.ts';

/**
 * A method named with one of these verbs changes the workbench. Registry, deployment and
 * monitoring methods (register, promote, deploy…) are covered before they are written.
 */
const CHANGING =
  /^(add|archive|cancel|check|create|delete|deploy|gc|handOver|import|move|promote|reconcile|register|remove|rename|rerun|restore|save|set|start|stop|update)/;

const leaf = (name: string) => name.slice(name.lastIndexOf('.') + 1);

describe('what each contract method declares', () => {
  it('every method is either a query (reads) or a command (writes), never both or neither', () => {
    for (const name of methodNames) {
      const { reads, writes } = methods[name];
      expect((typeof reads === 'function') !== (typeof writes === 'function'), name).toBe(true);
    }
  });

  it('every method that changes something declares what it writes', () => {
    const changing = methodNames.filter((n) => CHANGING.test(leaf(n)));
    // The list above is not vacuous: it finds the commands of today's contract.
    expect(changing).toEqual(
      expect.arrayContaining(['engines.add', 'datasets.add', 'drift.check', 'runs.setTag', 'filters.remove']),
    );
    for (const name of changing) expect(typeof methods[name].writes, name).toBe('function');
  });

  it('long methods are commands: an operation is never a cached query', () => {
    for (const name of methodNames.filter((n) => methods[n].long)) {
      expect(typeof methods[name].writes, name).toBe('function');
    }
  });

  it('reads follow the params, and immutable reads declare nothing', () => {
    expect(entitiesRead('datasets.versions', { name: 'iris' })).toEqual([entities.dataset('iris')]);
    expect(entitiesRead('datasets.show', { name: 'iris' })).toEqual([entities.dataset('iris')]);
    expect(entitiesRead('datasets.show', { name: 'iris', version: 2 })).toEqual([]);
    expect(entitiesRead('datasets.diff', { name: 'iris', from: 1, to: 2 })).toEqual([]);
    expect(entitiesRead('drift.report', { id: 'R' })).toEqual([]);
    expect(entitiesRead('runs.get', { id: 'R' })).toEqual([entities.run('R'), entities.runMetrics('R')]);
    expect(entitiesRead('filters.list', { scope: 'runs' })).toEqual([entities.savedFilters('runs')]);
    // Commands are not cached, and a name that is no method reads nothing (a foreign cache key).
    expect(entitiesRead('filters.save', { scope: 'runs' })).toEqual([]);
    expect(entitiesRead('no.such', {})).toEqual([]);
    expect(() => entitiesRead('runs.get', undefined)).not.toThrow();
  });

  it('writes follow the params and the result: what found nothing to change announces nothing', () => {
    expect(entitiesWritten('filters.remove', { scope: 'runs', name: 'a' }, { removed: true })).toEqual([
      entities.savedFilters('runs'),
    ]);
    expect(entitiesWritten('filters.remove', { scope: 'runs', name: 'a' }, { removed: false })).toEqual([]);
    expect(entitiesWritten('datasets.add', { name: 'iris' }, { created: false })).toEqual([]);
    expect(entitiesWritten('drift.check', { save: false }, {})).toEqual([]);
    expect(entitiesWritten('drift.check', { save: true }, {})).toEqual([entities.driftReports]);
    expect(entitiesWritten('datasets.list', {}, [])).toEqual([]);
  });
});

describe('entities', () => {
  it('keeps the wire names older clients know', () => {
    expect([
      entities.datasets,
      entities.dataset('iris'),
      entities.runs,
      entities.run('R'),
      entities.runMetrics('R'),
      entities.engines,
      entities.driftReports,
      entities.driftPresets,
      entities.savedFilters('runs'),
    ]).toEqual([
      'datasets',
      'dataset:iris',
      'runs',
      'run:R',
      'run:R:metrics',
      'engines',
      'drift-reports',
      'drift-presets',
      'saved-filters:runs',
    ]);
  });

  it('tells streams apart by their builder, not by how a name happens to end', () => {
    expect(isStream(entities.runMetrics('R'))).toBe(true);
    expect(isStream(entities.run('R'))).toBe(false);
    expect(isStream(entities.runs)).toBe(false);
    expect(isStream(entities.dataset('x:metrics'))).toBe(false);
    expect(isStream('run:metrics')).toBe(false);
  });
});
