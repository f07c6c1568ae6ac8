/**
 * `changed` events come from the contract's declarations (api.ts `invoke`/`call`): a command that
 * succeeds announces what it declares it writes, once; one that fails, or finds nothing to
 * change, announces nothing; and what it announces is what the renderer's queries read.
 */
import path from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { entitiesRead, type Topic } from '../../shared/contract.ts';
import { entities } from '../../shared/entities.ts';
import { writeTree } from './testing/fileTree.ts';
import { tempDirs } from './testing/tempDirs.ts';
import { testWorkbench } from './testing/testWorkbench.ts';

const dirs = tempDirs();
const app = testWorkbench();
let frames: { topic: Topic; payload: unknown }[] = [];

beforeAll(() => {
  app.wb.events.subscribe((topic, payload) => {
    if (topic === 'changed' || topic === 'op.finished') frames.push({ topic, payload });
  });
});
beforeEach(() => {
  frames = [];
});

const announced = () =>
  frames.filter((f) => f.topic === 'changed').map((f) => (f.payload as { entities: string[] }).entities);

/** Waits for the operation to finish and gives its end state. */
async function finished(op: string): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const info = await app.api.call('ops.get', { op });
    if (info.state !== 'running') return info.state;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`operation ${op} did not finish`);
}

describe('changed events from the declarations', () => {
  it('a command announces what it writes, once, after it succeeded', async () => {
    await app.api.call('filters.save', { scope: 'runs', name: 'good', filter: 'metrics.acc > 0.9' });
    await app.api.invoke('drift.presets.save', { name: 'strict', options: { threshold: 0.01 } });
    expect(announced()).toEqual([[entities.savedFilters('runs')], [entities.driftPresets]]);
  });

  it('what it announces is what the queries on it read: engines, not "engine"', async () => {
    await app.api.call('engines.add', { name: 'nowhere', host: 'tcp://127.0.0.1:9' });
    const changed = new Set(announced().flat());
    for (const query of [
      ['engine.status', { name: 'nowhere' }],
      ['engines.list', {}],
    ]) {
      expect(
        entitiesRead(query[0] as string, query[1]).some((e) => changed.has(e)),
        String(query[0]),
      ).toBe(true);
    }
    frames = [];
    expect(await app.api.call('engines.remove', { name: 'nowhere' })).toEqual({ removed: true });
    expect(announced()).toEqual([[entities.engines]]);
  });

  it('a command that finds nothing to change, or fails, announces nothing', async () => {
    expect(await app.api.call('filters.remove', { scope: 'runs', name: 'never saved' })).toEqual({
      removed: false,
    });
    expect(await app.api.call('drift.presets.delete', { name: 'never-saved' })).toEqual({ deleted: false });
    expect(await app.api.call('engines.remove', { name: 'never-added' })).toEqual({ removed: false });
    await expect(
      app.api.call('filters.save', { scope: 'runs', name: 'broken', filter: 'metrics.acc >' }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(
      app.api.call('runs.setTag', { id: 'no-such-run', key: 'k', value: 'v' }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(announced()).toEqual([]);
  });

  it('a long command announces when its operation succeeds, before it is reported finished', async () => {
    const src = dirs.make();
    writeTree(src, { 'a.csv': 'x,y\n1,2\n' });
    const { op } = (await app.api.invoke('datasets.add', { name: 'iris', paths: [src] })) as { op: string };
    expect(await finished(op)).toBe('succeeded');
    expect(frames.map((f) => f.topic)).toEqual(['changed', 'op.finished']);
    expect(announced()).toEqual([[entities.datasets, entities.dataset('iris')]]);

    // The same content again makes no version, so nothing changed.
    frames = [];
    const again = (await app.api.invoke('datasets.add', { name: 'iris', paths: [src] })) as { op: string };
    expect(await finished(again.op)).toBe('succeeded');
    // And a failed operation announces nothing.
    const failed = (await app.api.invoke('datasets.add', {
      name: 'iris',
      paths: [path.join(src, 'gone')],
    })) as {
      op: string;
    };
    expect(await finished(failed.op)).toBe('failed');
    expect(announced()).toEqual([]);
  });

  it('long commands called in-process (the CLI) announce too', async () => {
    const src = dirs.make();
    writeTree(src, { 'b.csv': 'x\n3\n' });
    await app.api.call('datasets.add', { name: 'wine', paths: [src] });
    expect(announced()).toEqual([[entities.datasets, entities.dataset('wine')]]);
  });

  it('a run tagged is announced as the runs list and that run', async () => {
    const experimentId = app.wb.tracking.createExperiment('tags');
    const id = app.wb.tracking.createRun({ experimentId, status: 'RUNNING' });
    await app.api.call('runs.setTag', { id, key: 'team', value: 'a' });
    await app.api.call('runs.deleteTag', { id, key: 'team' });
    expect(announced()).toEqual([
      [entities.runs, entities.run(id)],
      [entities.runs, entities.run(id)],
    ]);
  });

  it('queries announce nothing', async () => {
    await app.api.call('datasets.list', {});
    await app.api.call('filters.list', { scope: 'runs' });
    await app.api.call('runs.search', {});
    expect(announced()).toEqual([]);
  });
});
