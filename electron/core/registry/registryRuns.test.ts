/**
 * The registry with models trained by both example recipes in the real Docker engine: register,
 * signatures and feature specs as the recipes declare them, lineage back to the run and its
 * data, evaluation on the training data, and a gate that refuses a weak version and passes a
 * good one.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { testWorkbench } from '../testing/testWorkbench.ts';
import { dockerSkipReason } from '../testing/trainingFixtures.ts';

const recipes = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../resources/recipes');
const skipReason = await dockerSkipReason();
const app = testWorkbench();

beforeAll(async () => {
  if (skipReason) return;
  for (const [name, recipe] of [
    ['iris', 'sklearn-classifier'],
    ['linear', 'sklearn-regression'],
  ])
    await app.api.call('datasets.add', { name: name!, paths: [path.join(recipes, recipe!, 'example-data')] });
});

async function train(recipe: string, dataset: string, params: Record<string, number> = {}): Promise<string> {
  const { runs } = await app.api.call('runs.start', {
    recipe: path.join(recipes, recipe),
    datasets: [{ channel: 'train', dataset }],
    params,
  });
  const [done] = (await app.api.call('runs.wait', { ids: runs })).runs;
  expect(done!.status, app.wb.runs.detail(done!.id).failureReason ?? '').toBe('FINISHED');
  return done!.id;
}

describe.skipIf(Boolean(skipReason))(
  `registry with recipe runs${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    it('registers the classifier and the regression model with their signatures and lineage', async () => {
      const clf = await train('sklearn-classifier', 'iris', { max_iter: 30 });
      const reg = await train('sklearn-regression', 'linear', { max_iter: 20 });
      const c = await app.api.call('models.register', { runId: clf, name: 'iris-clf' });
      expect(c).toMatchObject({
        version: 1,
        inputs: [{ name: 'input', type: 'float32', shape: [-1, 4] }],
        outputs: [
          { name: 'probabilities', type: 'float32', shape: [-1, 3] },
          { name: 'label', type: 'int64', shape: [-1] },
        ],
        features: { input: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] },
      });
      const r = await app.api.call('models.register', { runId: reg, name: 'linear-reg' });
      expect(r.inputs).toHaveLength(1);
      expect(r.outputs.map((o) => o.name)).toEqual(['prediction']);
      expect(r.features.input?.length).toBe(r.inputs[0]!.shape[1]);

      const v = (await app.api.call('models.version', { name: 'iris-clf', version: 1 })).version;
      const run = app.wb.runs.detail(clf);
      expect(v.lineage).toMatchObject({
        runId: clf,
        recipeName: 'sklearn-classifier',
        recipeDigest: run.spec!.recipe.digest,
        imageDigest: run.imageDigest,
        datasets: [{ channel: 'train', dataset: 'iris', version: 1, digest: run.inputs[0]!.digest }],
        params: expect.objectContaining({ max_iter: '30' }),
        seed: run.spec!.seed,
      });
      expect(v.task).toBe('classification');
      const used = await app.api.call('datasets.usedBy', { name: 'iris', version: 1 });
      expect(used.runs.map((x) => x.id)).toContain(clf);
      expect(used.models.map((m) => `${m.name}@${m.version}`)).toEqual(['iris-clf@1']);
    });

    it('evaluates both, and a gate relative to the champion refuses a weaker version', async () => {
      const reg = await app.api.call('models.evaluate', {
        name: 'linear-reg',
        version: 1,
        dataset: 'linear',
      });
      expect(reg.task).toBe('regression');
      expect(Object.keys(reg.metrics).sort()).toEqual(['example_count', 'mae', 'r2', 'rmse']);
      expect(reg.metrics.r2).toBeGreaterThan(0.5);

      // Version 1 (30 iterations) holds champion; a 1-iteration model must not take it from it.
      await app.api.call('models.setAlias', { name: 'iris-clf', version: 1, alias: 'champion' });
      await app.api.call('models.setGate', {
        name: 'iris-clf',
        alias: 'champion',
        dataset: 'iris',
        label: 'target',
        rules: ['log_loss <= champion.log_loss'],
      });
      const weak = await train('sklearn-classifier', 'iris', { max_iter: 1 });
      const v2 = await app.api.call('models.register', { runId: weak, name: 'iris-clf' });
      const refused = await app.api.call('models.setAlias', {
        name: 'iris-clf',
        version: v2.version,
        alias: 'champion',
      });
      expect(refused).toMatchObject({ moved: false, from: 1, gate: { passed: false, champion: 1 } });
      const [rule] = refused.gate!.rules;
      expect(rule!.value as number).toBeGreaterThan(rule!.threshold as number);
      expect(
        (await app.api.call('models.version', { name: 'iris-clf', alias: 'champion' })).version.version,
      ).toBe(1);
    });
  },
);
