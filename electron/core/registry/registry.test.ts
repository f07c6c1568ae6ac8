/**
 * The registry against real parts: SQLite, the object store, onnxruntime-node reading a model the
 * example classifier recipe made (fixtures/iris-logreg.onnx), DuckDB reading a training table.
 * Runs are made through the tracking store as MLflow clients make them; the recipes' own runs in
 * the Docker engine are registered in registryRuns.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseGateRule } from '../../../shared/registry.ts';
import { expectErrorCode } from '../testing/errorCodes.ts';
import { writeTree } from '../testing/fileTree.ts';
import { type RunFixture, runWithOutputs } from '../testing/runFixtures.ts';
import { tempDirs } from '../testing/tempDirs.ts';
import { testWorkbench } from '../testing/testWorkbench.ts';
import { runDirs } from '../training/containerRun.ts';
import { checkRules } from './gateRules.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const MODEL = fs.readFileSync(path.join(here, 'fixtures', 'iris-logreg.onnx'));
const SIGNATURE = fs.readFileSync(path.join(here, 'fixtures', 'iris-logreg.signature.json'), 'utf8');
const dirs = tempDirs();
const app = testWorkbench();

/** A run with the given status whose output folder holds `files`. */
const makeRun = (files: Record<string, string | Buffer>, opts: RunFixture = {}) =>
  runWithOutputs(app.wb, files, opts);

describe('registering', () => {
  it('reads the signature with onnxruntime and the feature spec from signature.json', async () => {
    const run = makeRun({ 'model/model.onnx': MODEL, 'model/signature.json': SIGNATURE });
    const r = await app.api.call('models.register', { runId: run, name: 'iris' });
    expect(r).toMatchObject({
      name: 'iris',
      version: 1,
      inputs: [{ name: 'input', type: 'float32', shape: [-1, 4] }],
      outputs: [
        { name: 'probabilities', type: 'float32', shape: [-1, 3] },
        { name: 'label', type: 'int64', shape: [-1] },
      ],
      features: { input: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] },
    });
    expect(fs.readFileSync(app.wb.objects.pathFor(r.sha256))).toEqual(MODEL);
    const again = await app.api.call('models.register', { runId: run, name: 'iris' });
    expect(again.version).toBe(2);
    const v = (await app.api.call('models.version', { name: 'iris', version: 1 })).version;
    expect(v).toMatchObject({
      task: 'classification',
      classes: ['setosa', 'versicolor', 'virginica'],
      label: 'target',
    });
    expect(v.source).toBe(`runs:/${run}/model/model.onnx`);
    expect(v.lineage?.runId).toBe(run);
  });

  it('takes --features, and refuses a count that does not fit the input', async () => {
    const run = makeRun({ 'model/model.onnx': MODEL });
    const r = await app.api.call('models.register', {
      runId: run,
      name: 'named',
      features: ['a', 'b', 'c', 'd'],
    });
    expect(r.features).toEqual({ input: ['a', 'b', 'c', 'd'] });
    await expect(
      app.api.call('models.register', { runId: run, name: 'named', features: ['a', 'b'] }),
    ).rejects.toThrow(/names 2 features, but the model's input input takes 4 per row/);
    await expect(
      app.api.call('models.register', { runId: run, name: 'named', features: ['a', 'a', 'b', 'c'] }),
    ).rejects.toThrow(/twice/);
  });

  it("takes the features from the run's training table less the label", async () => {
    const data = dirs.make();
    writeTree(data, {
      'train.csv': 'f1,f2,note,f3,f4,y\n1,2,x,3,4,0\n5,6,y,7,8,1\n',
    });
    const { version, digest } = await app.wb.datasets.add(
      { name: 'tab', paths: [data], message: '' },
      { signal: new AbortController().signal, progress: () => {} },
    );
    const run = makeRun(
      { 'model/model.onnx': MODEL },
      { params: { label: 'y' }, trainedOn: { dataset: 'tab', version, digest } },
    );
    // Five columns besides y do not fit four; the four numeric ones do.
    const r = await app.api.call('models.register', { runId: run, name: 'from-table' });
    expect(r.features).toEqual({ input: ['f1', 'f2', 'f3', 'f4'] });
    const v = (await app.api.call('models.version', { name: 'from-table' })).version;
    expect(v.label).toBe('y');
    expect(v.lineage?.datasets).toEqual([{ channel: 'train', dataset: 'tab', version, digest }]);
    const used = await app.api.call('datasets.usedBy', { name: 'tab', version });
    expect(used.runs.map((x) => x.id)).toEqual([]); // the run_inputs rows are the launcher's
    expect(used.models.map((m) => `${m.name}@${m.version}`)).toEqual(['from-table@1']);
    await expect(
      app.api.call('models.register', { runId: run, name: 'from-table', label: 'zzz' }),
    ).rejects.toThrow(/has no column zzz/);
  });

  it('refuses clearly and leaves nothing half-made', async () => {
    const before = (await app.api.call('models.list', {})).length;
    const ok = makeRun({ 'model/model.onnx': MODEL, 'model/signature.json': SIGNATURE });
    await expectErrorCode(app.api.call('models.register', { runId: 'NOPE', name: 'x' }), 'NOT_FOUND');
    const empty = makeRun({ 'artifacts/readme.txt': 'no model' });
    await expect(app.api.call('models.register', { runId: empty, name: 'x' })).rejects.toThrow(
      /has no model file model\/model.onnx/,
    );
    const junk = makeRun({ 'model/model.onnx': 'not a model' });
    await expect(app.api.call('models.register', { runId: junk, name: 'x' })).rejects.toThrow(
      /not a model onnxruntime can load: .*Protobuf parsing failed/,
    );
    const running = makeRun({ 'model/model.onnx': MODEL }, { status: 'RUNNING' });
    await expect(app.api.call('models.register', { runId: running, name: 'x' })).rejects.toThrow(
      /RUNNING: only a FINISHED/,
    );
    await expectErrorCode(app.api.call('models.register', { runId: ok, name: 'bad name' }), 'INVALID_INPUT');
    await expectErrorCode(app.api.call('models.register', { runId: ok, name: '../x' }), 'INVALID_INPUT');
    fs.symlinkSync('/etc/hostname', path.join(runDirs(app.wb.home, empty).output, 'model.onnx'));
    await expect(
      app.api.call('models.register', { runId: empty, name: 'x', path: 'model.onnx' }),
    ).rejects.toThrow(/symbolic link/);
    expect((await app.api.call('models.list', {})).length).toBe(before);
    expect(fs.readdirSync(path.join(app.wb.home, 'tmp')).filter((f) => f.endsWith('.part'))).toEqual([]);
  });
});

describe('aliases', () => {
  it('moves freely without a gate, records every move, and keeps an aliased version', async () => {
    const run = makeRun({ 'model/model.onnx': MODEL, 'model/signature.json': SIGNATURE });
    for (let i = 0; i < 3; i++) await app.api.call('models.register', { runId: run, name: 'al' });
    expect(
      await app.api.call('models.setAlias', { name: 'al', version: 1, alias: 'champion' }),
    ).toMatchObject({
      moved: true,
      from: null,
      to: 1,
      kind: 'manual',
    });
    expect(
      await app.api.call('models.setAlias', { name: 'al', version: 2, alias: 'champion' }),
    ).toMatchObject({
      moved: true,
      from: 1,
      to: 2,
    });
    await expect(
      app.api.call('models.setAlias', { name: 'al', version: 3, alias: 'champion', force: true }),
    ).rejects.toThrow(/needs a reason/);
    await app.api.call('models.setAlias', {
      name: 'al',
      version: 3,
      alias: 'champion',
      force: true,
      reason: 'hotfix',
    });
    await expectErrorCode(app.api.call('models.deleteVersion', { name: 'al', version: 3 }), 'CONFLICT');
    await app.api.call('models.deleteVersion', { name: 'al', version: 1 });
    // Numbers are never reused: after deleting the newest, the next is still new.
    await app.api.call('models.register', { runId: run, name: 'al' });
    await app.api.call('models.deleteVersion', { name: 'al', version: 4 });
    expect((await app.api.call('models.register', { runId: run, name: 'al' })).version).toBe(5);
    await app.api.call('models.deleteVersion', { name: 'al', version: 5 });
    await app.api.call('models.removeAlias', { name: 'al', alias: 'champion' });
    const m = await app.api.call('models.get', { name: 'al' });
    expect(m.versions.map((v) => v.version)).toEqual([3, 2]);
    expect(m.history.map((h) => [h.alias, h.from, h.to, h.kind, h.reason])).toEqual([
      ['champion', 3, null, 'removed', null],
      ['champion', 2, 3, 'forced', 'hotfix'],
      ['champion', 1, 2, 'manual', null],
      ['champion', null, 1, 'manual', null],
    ]);
    await expectErrorCode(app.api.call('models.version', { name: 'al', alias: 'champion' }), 'NOT_FOUND');
    for (const bad of ['latest', 'v2', '2x', ''])
      await expectErrorCode(
        app.api.call('models.setAlias', { name: 'al', version: 2, alias: bad }),
        'INVALID_INPUT',
      );
  });
});

describe('gate rules', () => {
  it('parses absolute and champion-relative rules, and refuses others with the grammar', () => {
    expect(parseGateRule('accuracy >= 0.9')).toMatchObject({
      metric: 'accuracy',
      op: '>=',
      threshold: { kind: 'absolute', value: 0.9 },
    });
    expect(parseGateRule('f1>=champion.f1 - 0.01')).toMatchObject({
      threshold: { kind: 'champion', metric: 'f1', change: '-', by: 0.01 },
    });
    expect(parseGateRule('rmse <= champion.rmse * 1.05')).toMatchObject({
      op: '<=',
      threshold: { change: '*', by: 1.05 },
    });
    expect(parseGateRule('accuracy = 0.9')).toHaveProperty('error');
    expect(parseGateRule('accuracy >= best')).toHaveProperty('error');
  });

  it('compares with the champion, skips relative rules without one, and never passes NaN', () => {
    const rules = ['accuracy >= 0.9', 'f1 >= champion.f1 - 0.01', 'rmse < 1'].map(
      (t) => parseGateRule(t) as never,
    );
    const out = checkRules(rules, { accuracy: 0.95, f1: 0.8, rmse: Number.NaN }, { f1: 0.805 });
    expect(out.map((o) => [o.passed, o.threshold])).toEqual([
      [true, 0.9],
      [true, 0.795],
      [false, 1],
    ]);
    const first = checkRules(rules.slice(1, 2), { f1: 0.1 }, null);
    expect(first[0]).toMatchObject({ passed: true, threshold: null });
    expect(checkRules([parseGateRule('auc >= 0.5') as never], { f1: 1 }, null)[0]).toMatchObject({
      passed: false,
    });
  });
});

describe('evaluation and gates', () => {
  const irisData = path.resolve(here, '../../../resources/recipes/sklearn-classifier/example-data');

  it('evaluates with onnxruntime on a dataset table, stores it, and reuses it for gates', async () => {
    await app.api.call('datasets.add', { name: 'iris-eval', paths: [irisData] });
    const run = makeRun({ 'model/model.onnx': MODEL, 'model/signature.json': SIGNATURE });
    await app.api.call('models.register', { runId: run, name: 'gated' });
    const progress: number[] = [];
    const e = await app.api.call(
      'models.evaluate',
      { name: 'gated', version: 1, dataset: 'iris-eval' },
      { onProgress: (p) => progress.push(p.done) },
    );
    expect(e).toMatchObject({
      task: 'classification',
      path: 'train.csv',
      label: 'target',
      datasetVersion: 1,
    });
    expect(e.metrics.example_count).toBe(300);
    expect(e.metrics.accuracy).toBeGreaterThan(0.9);
    expect(e.details.task === 'classification' && e.details.confusionMatrix.labels).toEqual([
      'setosa',
      'versicolor',
      'virginica',
    ]);
    expect(progress.at(-1)).toBe(300);
    const accuracy = e.metrics.accuracy as number;

    // Refused above its accuracy: exit 3 in the CLI, nothing moved, nothing evaluated again.
    await app.api.call('models.setGate', {
      name: 'gated',
      alias: 'champion',
      dataset: 'iris-eval',
      label: 'target',
      rules: [`accuracy >= ${accuracy + 0.001}`],
    });
    const refused = await app.api.call('models.setAlias', { name: 'gated', version: 1, alias: 'champion' });
    expect(refused).toMatchObject({ moved: false, from: null, kind: 'gate', gate: { passed: false } });
    expect(refused.gate?.rules[0]).toMatchObject({ metric: 'accuracy', value: accuracy, passed: false });
    expect((await app.api.call('models.version', { name: 'gated', version: 1 })).evaluations).toHaveLength(1);
    expect((await app.api.call('models.get', { name: 'gated' })).history).toEqual([]);

    // Forced with its reason, then a gate relative to the champion that an equal version passes.
    await expect(
      app.api.call('models.setAlias', { name: 'gated', version: 1, alias: 'champion', force: true }),
    ).rejects.toThrow(/needs a reason/);
    await app.api.call('models.setAlias', {
      name: 'gated',
      version: 1,
      alias: 'champion',
      force: true,
      reason: 'first one',
    });
    await app.api.call('models.setGate', {
      name: 'gated',
      alias: 'champion',
      dataset: 'iris-eval',
      label: 'target',
      rules: ['accuracy >= 0.9', 'f1 >= champion.f1 - 0.01', 'log_loss <= champion.log_loss * 1.5'],
    });
    await app.api.call('models.register', { runId: run, name: 'gated' });
    const passed = await app.api.call('models.setAlias', { name: 'gated', version: 2, alias: 'champion' });
    expect(passed).toMatchObject({
      moved: true,
      from: 1,
      to: 2,
      kind: 'gate',
      gate: { passed: true, champion: 1 },
    });
    expect(passed.gate?.rules.map((r) => r.passed)).toEqual([true, true, true]);
    const got = await app.api.call('models.get', { name: 'gated' });
    expect(got.history.map((h) => [h.from, h.to, h.kind, h.reason])).toEqual([
      [1, 2, 'gate', null],
      [null, 1, 'forced', 'first one'],
    ]);
    expect(got.evaluations.map((x) => x.version).sort()).toEqual([1, 2]);
    expect(got.model.latestEvaluation).toMatchObject({ version: 2, metric: 'accuracy', value: accuracy });

    // A rule on a metric the task does not have never passes, and says why.
    await app.api.call('models.setGate', {
      name: 'gated',
      alias: 'staging',
      dataset: 'iris-eval',
      label: 'target',
      rules: ['rmse <= 1'],
    });
    const wrong = await app.api.call('models.setAlias', { name: 'gated', version: 2, alias: 'staging' });
    expect(wrong.gate?.rules[0]).toMatchObject({ passed: false, note: 'the evaluation has no metric rmse' });

    // Removing the alias is no way round a relative rule: the last holder stands in as champion.
    await app.api.call('models.removeAlias', { name: 'gated', alias: 'champion' });
    const back = await app.api.call('models.setAlias', { name: 'gated', version: 1, alias: 'champion' });
    expect(back.gate).toMatchObject({ champion: 2, passed: true });
    expect(back.gate?.rules[1]).toMatchObject({ rule: 'f1 >= champion.f1 - 0.01', note: null });
  });

  it('refuses evaluations it cannot run, naming what to fix', async () => {
    const run = makeRun({ 'model/model.onnx': MODEL, 'model/signature.json': SIGNATURE });
    await app.api.call('models.register', { runId: run, name: 'picky' });
    const data = dirs.make();
    writeTree(data, { 'a.csv': 'x\n1\n', 'b.csv': 'x\n2\n', 'readme.txt': 'hi' });
    await app.api.call('datasets.add', { name: 'two-tables', paths: [data] });
    await expect(app.api.call('models.evaluate', { name: 'picky', dataset: 'two-tables' })).rejects.toThrow(
      /holds 2 tables \(a.csv, b.csv\): name one with --path/,
    );
    await expect(
      app.api.call('models.evaluate', { name: 'picky', dataset: 'two-tables', path: 'readme.txt' }),
    ).rejects.toThrow(/not a table/);
    await expect(
      app.api.call('models.evaluate', { name: 'picky', dataset: 'two-tables', path: 'a.csv' }),
    ).rejects.toThrow(/two-tables@1:a.csv/);
    await expectErrorCode(app.api.call('models.evaluate', { name: 'picky', dataset: 'nope' }), 'NOT_FOUND');
    await expect(
      app.api.call('models.setGate', {
        name: 'picky',
        alias: 'champion',
        dataset: 'two-tables',
        path: 'a.csv',
        label: 'x',
        rules: ['accuracy = 1'],
      }),
    ).rejects.toThrow(/is not a rule/);
    // A gate's data is checked when it is set, not at the next move of its alias.
    const gate = {
      name: 'picky',
      alias: 'champion',
      dataset: 'two-tables',
      label: 'x',
      rules: ['accuracy >= 0.5'],
    };
    await expect(app.api.call('models.setGate', gate)).rejects.toThrow(/holds 2 tables/);
    await expect(app.api.call('models.setGate', { ...gate, path: 'a.csv', label: 'y' })).rejects.toThrow(
      /two-tables@1:a.csv has no column y; its columns are x/,
    );
  });
});
