/**
 * `mlwb model` as a CI pipeline uses it, each command its own process on one home: register a
 * run's model, evaluate it, guard an alias with a gate, and read exit 3 with one JSON document
 * when the gate refuses. The run is made as an MLflow client makes one (no engine needed).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeTree } from '../core/testing/fileTree.ts';
import { tempDirs } from '../core/testing/tempDirs.ts';
import { runDirs } from '../core/training/containerRun.ts';
import { openWorkbench } from '../core/workbench.ts';
import { mlwbJson as json, mlwb } from './testing/mlwbProcess.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.join(here, '..', 'core', 'registry', 'fixtures');
const irisData = path.resolve(here, '../../resources/recipes/sklearn-classifier/example-data');
const dirs = tempDirs();

async function homeWithRun(): Promise<{ home: string; run: string }> {
  const home = dirs.make();
  const wb = await openWorkbench(home);
  try {
    const run = wb.tracking.createRun({
      experimentId: wb.tracking.createExperiment('ci'),
      status: 'FINISHED',
    });
    writeTree(path.join(runDirs(home, run).output, 'model'), {
      'model.onnx': fs.readFileSync(path.join(fixtures, 'iris-logreg.onnx')),
      'signature.json': fs.readFileSync(path.join(fixtures, 'iris-logreg.signature.json')),
    });
    return { home, run };
  } finally {
    await wb.close();
  }
}

describe('mlwb model', () => {
  it('registers, evaluates, gates an alias and exits 3 with one document when the gate refuses', async () => {
    const { home, run } = await homeWithRun();
    expect(await json(home, 'model', 'list')).toEqual({ models: [] });
    const empty = await mlwb(home, 'model', 'list');
    expect(empty.stdout).toMatch(/No models yet\. Train a run .*mlwb model register RUN_ID --name NAME/);

    const reg = await json(home, 'model', 'register', run, '--name', 'iris');
    expect(Object.keys(reg).sort()).toEqual(['features', 'inputs', 'name', 'outputs', 'sha256', 'version']);
    expect(reg).toMatchObject({
      name: 'iris',
      version: 1,
      inputs: [{ name: 'input', type: 'float32', shape: [-1, 4] }],
    });
    await json(home, 'dataset', 'add', 'iris-data', irisData);
    const ev = await json(home, 'model', 'evaluate', 'iris@1', '--dataset', 'iris-data');
    expect(Object.keys(ev.metrics).slice(0, 7)).toEqual([
      'accuracy',
      'precision',
      'recall',
      'f1',
      'roc_auc',
      'log_loss',
      'example_count',
    ]);
    expect(ev).not.toHaveProperty('details');

    await json(
      home,
      'model',
      'gate',
      'iris',
      'champion',
      '--dataset',
      'iris-data',
      '--label',
      'target',
      '--rule',
      'accuracy >= 0.999',
    );
    const refused = await mlwb(home, 'model', 'alias', 'iris', '1', 'champion', '--json');
    expect(refused.code).toBe(3);
    const doc = JSON.parse(refused.stdout);
    expect(doc).toMatchObject({
      moved: false,
      gate: { passed: false, rules: [{ metric: 'accuracy', passed: false }] },
    });
    const human = await mlwb(home, 'model', 'alias', 'iris', '1', 'champion');
    expect(human.code).toBe(3);
    expect(human.stdout).toMatch(/FAIL {2}accuracy >= 0.999: accuracy = 0\.9\d+, threshold 0.999/);

    const forced = await json(
      home,
      'model',
      'alias',
      'iris',
      '1',
      'champion',
      '--force',
      '--reason',
      'hotfix for a demo',
    );
    expect(forced).toMatchObject({ moved: true, kind: 'forced' });
    const shown = await json(home, 'model', 'show', 'iris');
    expect(shown.history).toEqual([
      expect.objectContaining({
        alias: 'champion',
        from: null,
        to: 1,
        kind: 'forced',
        reason: 'hotfix for a demo',
      }),
    ]);
    expect((await json(home, 'model', 'show', 'iris@champion')).version.version).toBe(1);
    expect((await json(home, 'model', 'list')).models[0]).toMatchObject({
      name: 'iris',
      aliases: { champion: 1 },
    });

    const bad = await mlwb(home, 'model', 'register', 'NOPE', '--name', 'x', '--json');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: No run with id NOPE/);
    expect(JSON.parse(bad.stdout).error.code).toBe('NOT_FOUND');
    expect((await mlwb(home, 'model', 'alias', 'iris', 'one', 'champion')).code).toBe(2);
  });
});
