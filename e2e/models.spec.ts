/**
 * The model registry in the real app, with a model trained in the real engine: register it from
 * its run's page, evaluate it on its data (charts drawn), set a gate on `champion` and watch it
 * refuse the version, then pass once the rule is one the version meets; the alias history records
 * both. Screenshots of each page.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { addDatasetVersion, expect, invoke, requireEngine, test } from './workbench.ts';

const EXAMPLE_DATA = path.resolve('resources/recipes/sklearn-classifier/example-data');
const RECIPE = path.resolve('resources/recipes/sklearn-classifier');

test('models: register from a run, evaluate, a gate refuses then passes', async ({ page, workbench }) => {
  test.setTimeout(240_000);
  await requireEngine(page);

  await page.getByRole('link', { name: 'Models' }).click();
  await expect(page.getByRole('heading', { name: 'No models yet' })).toBeVisible();
  await workbench.screenshot('models-01-empty');

  await addDatasetVersion(page, 'iris', [EXAMPLE_DATA]);
  const started = await invoke(page, 'runs.start', {
    recipe: RECIPE,
    datasets: [{ channel: 'train', dataset: 'iris' }],
    params: { max_iter: 30 },
  });
  const [runId] = (started.result as { runs: string[] }).runs;
  await expect
    .poll(
      async () =>
        ((await invoke(page, 'runs.get', { id: runId })).result as { run: { status: string } }).run.status,
      {
        timeout: 90_000,
      },
    )
    .toBe('FINISHED');

  await test.step('register from the run page', async () => {
    await page.goto(`${workbench.url.split('#')[0]}#/runs/${runId}`);
    await page.getByRole('button', { name: 'Register model…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Register model' });
    await expect(dialog.getByLabel('Model file')).toHaveValue('model/model.onnx');
    await dialog.getByLabel('Model name').fill('bad name');
    await dialog.getByRole('button', { name: 'Register' }).click();
    await expect(dialog.getByRole('alert')).toContainText('letters, digits');
    await dialog.getByLabel('Model name').fill('iris-clf');
    await workbench.screenshot('models-02-register');
    await dialog.getByRole('button', { name: 'Register' }).click();
    await expect(page.getByRole('heading', { level: 1, name: /iris-clf/ })).toContainText('v1');
    await expect(page.getByTestId('feature-spec')).toHaveText(
      'sepal_length, sepal_width, petal_length, petal_width',
    );
    await expect(page.getByTestId('lineage')).toContainText('sklearn-classifier');
    await expect(page.getByTestId('lineage').getByRole('link', { name: 'iris@1' })).toBeVisible();

    // Description and tags, as MLflow clients and `mlwb model describe|tag` set them.
    const about = page.getByTestId('about');
    await about.getByRole('button', { name: 'Edit description' }).click();
    await about.getByLabel('Description').fill('Logistic regression on the four measurements.');
    await about.getByRole('button', { name: 'Save' }).click();
    await expect(about.getByTestId('description')).toHaveText(
      'Logistic regression on the four measurements.',
    );
    await about.getByLabel('Tag key').fill('team');
    await about.getByLabel('Tag value').fill('botany');
    await about.getByRole('button', { name: 'Add tag' }).click();
    await expect(about.getByTestId('tags')).toContainText('team=botany');
  });

  await test.step('evaluate on its data', async () => {
    const card = page.getByTestId('evaluate');
    await expect(card.getByLabel('Evaluation dataset', { exact: true })).toHaveValue('iris');
    await expect(card.getByLabel('Label column')).toHaveValue('target');
    await card.getByRole('button', { name: 'Evaluate' }).click();
    const evaluation = page.getByTestId('evaluation');
    await expect(evaluation).toHaveCount(1, { timeout: 30_000 });
    await expect(evaluation.getByTestId('metric-example_count')).toHaveText('300');
    await expect(evaluation.getByTestId('evaluation-chart').locator('.main-svg').first()).toBeVisible();
    await expect(evaluation.getByTestId('evaluation-chart')).toHaveCount(3);
    await workbench.screenshot('models-03-version-evaluated');
    await evaluation.getByTestId('evaluation-charts').scrollIntoViewIfNeeded();
    await workbench.screenshot('models-03b-evaluation-charts');
  });

  await test.step('package it into an image', async () => {
    await page.getByRole('button', { name: 'Package image' }).click();
    const packaged = page.getByTestId('packaged');
    await expect(packaged).toContainText(/Packaged: mlwb-model\/iris-clf:v1-[0-9a-f]{12}/, {
      timeout: 90_000,
    });
    const image = (await packaged.locator('.mono').textContent())!;
    await workbench.screenshot('models-03c-packaged');
    execFileSync('docker', ['image', 'rm', '--force', image]);
  });

  await test.step('a gate refuses, then passes', async () => {
    await page.getByRole('link', { name: 'iris-clf' }).first().click();
    await page.getByRole('button', { name: 'Set a gate…' }).click();
    const form = page.getByTestId('gate-form');
    await form.getByLabel('Gate dataset', { exact: true }).selectOption('iris');
    await form.getByLabel('Label column').fill('target');
    await form.getByLabel('Gate rules').fill('accuracy >= 0.999');
    await form.getByRole('button', { name: 'Save gate' }).click();
    await expect(page.getByTestId('gates')).toContainText('accuracy >= 0.999');

    const move = page.getByTestId('move-alias');
    await move.getByRole('button', { name: 'Set alias' }).click();
    const outcome = page.getByTestId('alias-outcome');
    await expect(outcome).toContainText('The gate refused v1');
    await expect(outcome.getByTestId('gate-rules')).toContainText('✗ accuracy >= 0.999');
    await outcome.scrollIntoViewIfNeeded();
    await workbench.screenshot('models-04-gate-refused');

    await page.getByRole('button', { name: 'Set a gate…' }).click();
    await form.getByLabel('Gate dataset', { exact: true }).selectOption('iris');
    await form.getByLabel('Label column').fill('target');
    await form.getByLabel('Gate rules').fill('accuracy >= 0.9\nf1 >= champion.f1 - 0.01');
    await form.getByRole('button', { name: 'Save gate' }).click();
    await expect(page.getByTestId('gates')).toContainText('f1 >= champion.f1 - 0.01');
    await move.getByRole('button', { name: 'Set alias' }).click();
    await expect(outcome).toContainText('champion → v1: the gate passed.');
    await expect(page.getByTestId('alias-history')).toContainText('gate passed');
    await expect(page.getByTestId('evaluation-comparison')).toContainText('accuracy');
    await workbench.screenshot('models-05-gate-passed');
    await page.getByTestId('evaluation-comparison').scrollIntoViewIfNeeded();
    await workbench.screenshot('models-05b-side-by-side');
  });

  await page.getByRole('link', { name: 'Models' }).first().click();
  await expect(page.getByTestId('model-row')).toContainText('champion');
  await expect(page.getByTestId('model-row')).toContainText('accuracy');
  await workbench.screenshot('models-06-list');

  await page.goto(`${workbench.url.split('#')[0]}#/datasets/iris/1`);
  await expect(page.getByTestId('trained-on')).toContainText('iris-clf v1');
  // The one refusal the test provokes (the invalid name) is the only failed request.
  expect(workbench.problems.filter((p) => !/status of 400 \(Bad Request\)/.test(p))).toEqual([]);
});
