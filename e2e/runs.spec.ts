/**
 * Issue 3's Runs pages in the real app: start the example classifier from the New Run dialog, watch
 * its logs and live charts on the run page until it finishes, find it in the list with its metrics,
 * filter; and a list of thousands of runs that stays windowed. The first test needs the Docker
 * engine: without one it is skipped with the reason, unless MLWB_REQUIRE_DOCKER=1 (CI) makes it fail.
 */
import path from 'node:path';
import type { Page } from '@playwright/test';
import {
  addDatasetVersion,
  expect,
  invoke,
  mlflowPost,
  mlflowPostAll,
  requireEngine,
  test,
} from './workbench.ts';

const EXAMPLE_DATA = path.resolve('resources/recipes/sklearn-classifier/example-data');

/** Plotly is loaded on first use: wait until the charts are drawn before looking at them. */
async function chartsDrawn(page: Page): Promise<void> {
  // plotly.js is 4.6 MB of script: on a busy two-core machine it can take more than the default wait.
  await expect(page.locator('[data-testid="metric-chart"] .main-svg').first()).toBeVisible({
    timeout: 45_000,
  });
}

/** The error replies this test provokes (a missing recipe folder, a filter that does not parse). */
const PROVOKED = /Failed to load resource: the server responded with a status of (400|404)/;

test('runs: start a run from the dialog, follow it live, see it finish and listed', async ({
  page,
  workbench,
}) => {
  test.setTimeout(150_000);
  await requireEngine(page);

  await page.getByRole('link', { name: 'Runs' }).click();
  await expect(page.getByRole('heading', { name: 'No runs yet' })).toBeVisible();
  await workbench.screenshot('runs-01-empty');

  await addDatasetVersion(page, 'iris', [EXAMPLE_DATA]);
  const dialog = page.getByRole('dialog', { name: 'New run' });

  await test.step('fill the New Run dialog', async () => {
    await page.getByRole('button', { name: 'New run…' }).first().click();
    await expect(dialog).toBeVisible();

    // Another folder is checked with recipes.inspect and its error shown.
    await dialog.getByText('Other folder…').click();
    await dialog.getByLabel('Recipe folder').fill(path.join(workbench.scratch, 'no-such-recipe'));
    await expect(dialog.getByTestId('recipe-error')).toBeVisible();

    await dialog.getByText('sklearn-classifier', { exact: true }).click();
    await expect(dialog.getByTestId('recipe-summary')).toContainText('mlwb/python-sklearn:bookworm');
    await dialog.getByLabel('Dataset for train').selectOption('iris');
    await expect(dialog.getByLabel('Version for train')).toContainText('latest (v1)');
    await expect(dialog.getByLabel('Param max_iter', { exact: true })).toHaveValue('100');
    await dialog.getByLabel('Param max_iter', { exact: true }).fill('4x');
    await expect(dialog.getByText('“4x” is not a whole number')).toBeVisible();
    await expect(dialog.getByRole('button', { name: 'Start run' })).toBeDisabled();
    await dialog.getByLabel('Param max_iter', { exact: true }).fill('40');

    // The sweep builder counts the runs it would start; then back to one run.
    await dialog.getByLabel('Sweep C').check();
    await dialog.getByLabel('Param C values').fill('0.1, 1, 10');
    await dialog.getByLabel('Sweep val_fraction').check();
    await dialog.getByLabel('Param val_fraction values').fill('0.2, 0.3');
    await expect(dialog.getByTestId('run-count')).toHaveText('Starts 6 runs, at most 2 at a time');
    await dialog.getByText('Random', { exact: true }).click();
    await dialog.getByLabel('Random samples').fill('4');
    await expect(dialog.getByTestId('run-count')).toHaveText('Starts 4 runs, at most 2 at a time');
    await workbench.screenshot('runs-02-sweep-builder');
    await dialog.getByLabel('Sweep C').uncheck();
    await dialog.getByLabel('Sweep val_fraction').uncheck();
    await expect(dialog.getByTestId('run-count')).toHaveText('Starts 1 run');
    await workbench.screenshot('runs-03-new-run');
  });

  let runId = '';
  await test.step('start, then watch logs and charts on the run page', async () => {
    await dialog.getByRole('button', { name: 'Start run' }).click();
    await expect(page).toHaveURL(/#\/runs\/[0-9A-Z]+$/);
    runId = page.url().split('/').pop() ?? '';
    await expect(page.getByTestId('log-line').first()).toBeVisible({ timeout: 60_000 });
    await expect(page.getByTestId('metric-chart').first()).toBeVisible({ timeout: 30_000 });
    await chartsDrawn(page);
    await workbench.screenshot('runs-04-run-live');
    await expect(page.getByTestId('run-status').first()).toHaveAttribute('data-status', 'FINISHED', {
      timeout: 90_000,
    });
    await expect(page.getByTestId('metric-tile')).toHaveCount(4);
    await expect(
      page.getByTestId('metric-tile').filter({ hasText: 'val_accuracy' }).getByTestId('metric-chart'),
    ).toHaveAttribute('data-points', /^[1-9]\d*$/);
    await expect(page.getByTestId('log-view')).toContainText('wrote /workbench/output/model/model.onnx');
    await expect(page.getByTestId('repro-record')).toContainText('sha256:');
    await expect(page.getByTestId('repro-record')).toContainText('iris v1');
    await expect(page.getByTestId('artifacts-card')).toContainText('model/model.onnx');
    // Artifacts can be saved: the model downloads byte for byte.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('artifact-download').filter({ hasText: 'model/model.onnx' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('model.onnx');
    const saved = await download.path();
    expect((await import('node:fs')).statSync(saved).size).toBeGreaterThan(100);
    await expect(page.getByTestId('params-card')).toContainText('40');
  });

  await test.step('search the log, tag the run', async () => {
    await page.getByLabel('Search the log').fill('step=12 ');
    await expect(page.getByTestId('log-line')).toHaveCount(1);
    await expect(page.getByTestId('log-count')).toContainText('1 of');
    await page.getByLabel('Search the log').fill('');
    await page.getByLabel('Tag key').fill('note');
    await page.getByLabel('Tag value').fill('baseline');
    await page.getByRole('button', { name: 'Add tag' }).click();
    await expect(page.getByTestId('tag').filter({ hasText: 'note' })).toContainText('baseline');
    await page.getByLabel('Follow').uncheck();
    await page.getByTestId('log-view').evaluate((el) => {
      el.scrollTop = 0;
    });
    await workbench.screenshot('runs-05-run-finished');
    await page.getByTestId('repro-record').scrollIntoViewIfNeeded();
    await workbench.screenshot('runs-06-run-record');
  });

  await test.step('re-run with changes opens the dialog pre-filled', async () => {
    await page.getByRole('button', { name: 'Re-run with changes…' }).click();
    const again = page.getByRole('dialog', { name: 'Re-run with changes' });
    await expect(again.getByTestId('recipe-summary')).toContainText('sklearn-classifier');
    await expect(again.getByLabel('Dataset for train')).toHaveValue('iris');
    await expect(again.getByLabel('Version for train')).toHaveValue('1');
    await expect(again.getByLabel('Param max_iter', { exact: true })).toHaveValue('40');
    await again.getByLabel('Param max_iter', { exact: true }).fill('20');
    await workbench.screenshot('runs-07-rerun-with-changes');
    await again.getByRole('button', { name: 'Start run' }).click();
    await expect(page).not.toHaveURL(new RegExp(`${runId}$`));
    await expect(page.getByTestId('params-card')).toContainText('20');
    await expect(page.getByTestId('run-status').first()).toHaveAttribute('data-status', 'FINISHED', {
      timeout: 90_000,
    });
  });

  await test.step('the list shows the run with its metrics; filters narrow it', async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Runs' }).click();
    const row = page.locator(`[data-testid="run-row"][data-run="${runId}"]`);
    await expect(row).toBeVisible();
    await expect(row.getByTestId('run-status')).toHaveAttribute('data-status', 'FINISHED');
    await expect(row.locator('[data-col="p:max_iter"]')).toHaveText('40');
    await expect(row.locator('[data-col="m:val_accuracy"]')).toHaveText(/^(0\.\d+|1)$/); // an accuracy, which may be a perfect 1
    await workbench.screenshot('runs-08-list');

    const filter = page.getByLabel('Filter runs');
    await filter.fill("metrics.accuracy > 0.5 and params.max_iter = '40'");
    await filter.press('Enter');
    await expect(row).toBeVisible();
    await page.getByRole('button', { name: 'Save filter…' }).click();
    await expect(page.getByLabel('Filter name')).toHaveValue('metrics.accuracy > 0.5 and…');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(page.getByRole('button', { name: 'Saved', exact: true })).toBeDisabled();
    await filter.fill('metrics.accuracy > 2');
    await filter.press('Enter');
    await expect(page.getByRole('heading', { name: 'No run matches this filter' })).toBeVisible();
    await filter.fill('metrics.accuracy >> 1');
    await filter.press('Enter');
    await expect(page.getByTestId('filter-error')).toBeVisible();
    await workbench.screenshot('runs-09-filter-error');
    await page
      .getByRole('group', { name: 'Saved filters' })
      .getByRole('button', { name: /^metrics.accuracy > 0.5/ })
      .click();
    await expect(row).toBeVisible();
  });

  expect(workbench.problems.filter((p) => !PROVOKED.test(p))).toEqual([]);
});

test('runs: saved filters are kept in the store, survive a reload, and move out of localStorage', async ({
  page,
  workbench,
}) => {
  // Runs logged through the MLflow REST API, as a script would: no engine needed.
  for (let n = 0; n < 6; n++) {
    const { run } = await mlflowPost<{ run: { info: { run_id: string } } }>(page, 'runs/create', {
      experiment_id: '0',
      run_name: `lr-${n}`,
    });
    await mlflowPost(page, 'runs/log-batch', {
      run_id: run.info.run_id,
      params: [{ key: 'lr', value: n % 2 ? 'high' : 'low' }],
      metrics: [{ key: 'acc', value: n / 10, step: 0, timestamp: 1 }],
    });
  }
  const rows = page.getByTestId('run-row');
  const filter = page.getByLabel('Filter runs');
  const savedList = page.getByRole('group', { name: 'Saved filters' });

  await page.getByRole('link', { name: 'Runs' }).click();
  await expect(rows).toHaveCount(6);
  await expect(page.getByTestId('saved-filters-empty')).toBeVisible();

  await test.step('filters an earlier version kept in localStorage are moved into the store once', async () => {
    await page.evaluate(() =>
      localStorage.setItem(
        'mlwb.runs.savedFilters',
        JSON.stringify(["params.lr = 'high'", 'metrics.acc >> 1']),
      ),
    );
    await page.reload();
    await expect(savedList.getByRole('button', { name: "params.lr = 'high'", exact: true })).toBeVisible();
    // The one that no longer parses is named, with why, rather than dropped silently.
    await expect(page.getByText('metrics.acc >> 1 — Cannot parse the filter')).toBeVisible();
    await expect.poll(() => page.evaluate(() => localStorage.getItem('mlwb.runs.savedFilters'))).toBeNull();
    const stored = (await invoke(page, 'filters.list', { scope: 'runs' })).result as { name: string }[];
    expect(stored.map((f) => f.name)).toEqual(["params.lr = 'high'"]);
  });

  await test.step('save a filter under a name, reload, apply it from the list', async () => {
    await filter.fill('metrics.acc >= 0.3');
    await filter.press('Enter');
    await expect(rows).toHaveCount(3);
    await page.getByRole('button', { name: 'Save filter…' }).click();
    const name = page.getByLabel('Filter name');
    await expect(name).toHaveValue('metrics.acc >= 0.3');
    await name.fill('');
    await expect(page.getByText('A filter name cannot be empty.')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Save', exact: true })).toBeDisabled();
    await name.fill('good runs');
    await workbench.screenshot('runs-saved-filter-name');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(savedList.getByRole('button', { name: 'good runs', exact: true })).toBeVisible();
    await workbench.screenshot('runs-saved-filters');

    await page.reload();
    await expect(rows).toHaveCount(6);
    await expect(filter).toHaveValue('');
    await savedList.getByRole('button', { name: 'good runs', exact: true }).click();
    await expect(filter).toHaveValue('metrics.acc >= 0.3');
    await expect(rows).toHaveCount(3);
    await expect(page.getByTestId('runs-count')).toHaveText('3 runs matching the filter');
    await savedList.getByRole('button', { name: "params.lr = 'high'", exact: true }).click();
    await expect(filter).toHaveValue("params.lr = 'high'");
    await expect(rows).toHaveCount(3);
    await expect(rows.first().locator('[data-col="p:lr"]')).toHaveText('high');
  });

  await test.step('remove a saved filter', async () => {
    await savedList.getByRole('button', { name: 'Remove the saved filter good runs' }).click();
    await expect(savedList.getByRole('button', { name: 'good runs', exact: true })).toHaveCount(0);
    await page.reload();
    await expect(savedList.getByRole('button', { name: "params.lr = 'high'", exact: true })).toBeVisible();
    await expect(savedList.getByRole('button', { name: 'good runs', exact: true })).toHaveCount(0);
  });

  // The broken filter's import was refused with a 400, which Chromium logs; nothing else may fail.
  expect(workbench.problems.filter((p) => !PROVOKED.test(p))).toEqual([]);
});

test('runs: thousands of runs stay windowed, sort on the server and compare', async ({ page, workbench }) => {
  test.setTimeout(120_000);
  const total = 2300;
  // Runs logged through the MLflow REST API, as a script would: no engine needed.
  const created = await mlflowPostAll<{ run: { info: { run_id: string } } }>(
    page,
    'runs/create',
    Array.from({ length: total }, (_, n) => ({ experiment_id: '0', run_name: `bulk-${n}` })),
  );
  await mlflowPostAll(
    page,
    'runs/log-batch',
    created.map(({ run }, n) => ({
      run_id: run.info.run_id,
      params: [
        { key: 'lr', value: String((n % 7) / 10) },
        { key: 'depth', value: String(n % 5) },
      ],
      metrics: [0, 1, 2].flatMap((step) => [
        { key: 'acc', value: (n % 1000) / 1000 + step / 10_000, step, timestamp: 1 },
        { key: 'loss', value: 1 - (n % 1000) / 1000, step, timestamp: 1 },
      ]),
    })),
  );

  await page.getByRole('link', { name: 'Runs' }).click();
  // The first page shows at once; the rest is fetched as the window nears the end.
  await expect(page.getByTestId('runs-count')).toHaveText('2,000+ runs', { timeout: 30_000 });
  const rows = page.getByTestId('run-row');
  expect(await rows.count()).toBeLessThan(80);

  // Sorted by the server: the best accuracy first, then scrolled to the very end.
  await page.getByRole('button', { name: 'acc', exact: true }).click();
  await expect(rows.first().locator('[data-col="m:acc"]')).toHaveText('0.9992');
  const scroller = page.getByTestId('runs-scroller');
  await scroller.evaluate((el) => {
    el.scrollTop = el.scrollHeight;
  });
  await expect(page.getByTestId('runs-count')).toHaveText(`${total.toLocaleString('en-US')} runs`);
  await scroller.evaluate((el) => {
    el.scrollTop = el.scrollHeight;
  });
  await expect(rows.last().locator('[data-col="m:acc"]')).toHaveText('0.0002');
  expect(await rows.count()).toBeLessThan(80);
  await workbench.screenshot('runs-10-many-runs');

  await scroller.evaluate((el) => {
    el.scrollTop = 0;
  });
  await rows.nth(0).getByRole('checkbox').check();
  await rows.nth(1).getByRole('checkbox').check();
  await rows.nth(2).getByRole('checkbox').check();
  await page.getByRole('button', { name: 'Compare 3' }).click();
  await expect(page).toHaveURL(/#\/runs\/compare\?ids=/);
  await expect(page.getByTestId('compare-table')).toContainText('bulk-');
  await expect(page.getByTestId('metric-chart')).toHaveAttribute('data-points', '9');
  await chartsDrawn(page);
  await workbench.screenshot('runs-11-compare');

  // The Runs page hands every selected run to the comparison, not the first twenty.
  await page.goBack();
  await expect(rows.first()).toBeVisible();
  await page.getByRole('checkbox', { name: 'Select all loaded runs' }).check();
  const compareAll = page.getByRole('button', { name: /^Compare \d+/ });
  const label = (await compareAll.textContent()) ?? '';
  const chosen = Number(label.replace(/[^\d]/g, ''));
  await compareAll.click();
  // Past what one comparison holds (a page of the list is 2,000 runs): the first 1,000, and a word
  // about the rest.
  expect(chosen).toBeGreaterThan(1000);
  await expect(page.getByTestId('compare-missing')).toContainText(
    `Only the first 1,000 of the ${chosen.toLocaleString('en-US')} runs chosen are compared`,
  );
  await expect(page.getByTestId('parallel-kept')).toContainText('1,000 runs');
  await expect(page.getByTestId('parallel-coordinates').locator('g.parallel-lines > path')).toHaveCount(1000);
  await expect(page.getByTestId('metric-chart')).toHaveAttribute('data-points', '3000', { timeout: 30_000 });
  await workbench.screenshot('runs-14-compare-thousand');
  expect(workbench.problems).toEqual([]);
});

test('runs: long histories compare in buckets, and a zoom reads every point', async ({ page, workbench }) => {
  test.setTimeout(120_000);
  const steps = 20_000;
  const created = await mlflowPostAll<{ run: { info: { run_id: string } } }>(
    page,
    'runs/create',
    [0, 1].map((n) => ({ experiment_id: '0', run_name: `long-${n}` })),
  );
  const ids = created.map(({ run }) => run.info.run_id);
  // One spike per run, inside a bucket: the band must still reach it.
  const spikeAt = [12_345, 6_789];
  await mlflowPostAll(
    page,
    'runs/log-batch',
    ids.flatMap((id, n) =>
      Array.from({ length: steps / 1000 }, (_, b) => ({
        run_id: id,
        metrics: Array.from({ length: 1000 }, (_, i) => {
          const step = b * 1000 + i;
          return {
            key: 'loss',
            value: step === spikeAt[n] ? 50 : 1 + n + (step % 7) / 10,
            step,
            timestamp: step,
          };
        }),
      })),
    ),
    8,
  );

  await page.goto(`${new URL(page.url()).origin}/#/runs/compare?ids=${ids.join(',')}`);
  const chart = page.getByTestId('metric-chart');
  await chartsDrawn(page);
  // 1,000 buckets a run, not 20,000 points, with the spikes inside the band's reach.
  await expect(chart).toHaveAttribute('data-points', '2000');
  await expect(page.getByTestId('chart-note')).toContainText('buckets of steps');
  const series = await invoke(page, 'runs.metricSeries', { ids, keys: ['loss'], maxPoints: 1000 });
  const sampled = (series.result as { series: { total: number; points: { max: number }[] }[] }).series;
  expect(sampled.map((s) => s.total)).toEqual([steps, steps]);
  expect(sampled.map((s) => Math.max(...s.points.map((p) => p.max)))).toEqual([50, 50]);
  await expect(chart.locator('.fills path')).toHaveCount(2);
  await workbench.screenshot('runs-15-compare-buckets');

  // Drag across a sliver of the x axis: those steps come back at full resolution.
  const plot = chart.locator('.nsewdrag').first();
  const box = (await plot.boundingBox())!;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width * 0.3, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.31, y, { steps: 4 });
  await page.mouse.move(box.x + box.width * 0.32, y, { steps: 4 });
  await page.mouse.up();
  const note = page.getByTestId('chart-note');
  await expect(note).toContainText('Every point of these steps');
  const from = Number(await note.getAttribute('data-from'));
  const to = Number(await note.getAttribute('data-to'));
  expect(to - from).toBeGreaterThan(50);
  await expect(chart).toHaveAttribute('data-points', String(2 * (to - from + 1 + 2)));
  await expect(chart.locator('.fills path')).toHaveCount(0);
  await workbench.screenshot('runs-16-compare-zoomed');

  await page.mouse.dblclick(box.x + box.width / 2, y);
  await expect(chart).toHaveAttribute('data-points', '2000');
  await expect(note).toContainText('buckets of steps');
  expect(workbench.problems).toEqual([]);
});

test('runs: a sweep on parallel axes, a range keeps the best runs, and those are compared', async ({
  page,
  workbench,
}) => {
  test.setTimeout(120_000);
  const created = await mlflowPostAll<{ run: { info: { run_id: string } } }>(
    page,
    'runs/create',
    Array.from({ length: 60 }, (_, n) => ({ experiment_id: '0', run_name: `sweep-${n}` })),
  );
  const ids = created.map(({ run }) => run.info.run_id);
  // acc rises with n: the top fifth of the acc axis holds runs 48..59, whatever their params.
  await mlflowPostAll(
    page,
    'runs/log-batch',
    ids.map((id, n) => ({
      run_id: id,
      params: [
        { key: 'lr', value: String(10 ** -(1 + (n % 4))) },
        { key: 'optimizer', value: n % 2 ? 'adam' : 'sgd' },
        { key: 'seed', value: '7' },
      ],
      metrics: [{ key: 'acc', value: n / 59, step: 0, timestamp: 1 }],
    })),
  );

  await page.goto(`${new URL(page.url()).origin}/#/runs/compare?ids=${[...ids, 'gone-run'].join(',')}`);
  await expect(page.getByTestId('compare-missing')).toContainText('gone-run');
  const parallel = page.getByTestId('parallel-coordinates');
  // seed is the same everywhere: no axis for it.
  await expect(parallel.getByTestId('parallel-axis')).toHaveCount(3);
  await expect(parallel.locator('[data-key="lr"]')).toContainText('(log)');
  await expect(parallel.locator('g.parallel-lines > path')).toHaveCount(60);
  await expect(page.getByTestId('parallel-kept')).toContainText('60 runs');

  // One against another: the learning rate (a log axis) against acc, then the optimizer.
  const scatter = page.getByTestId('param-scatter');
  await expect(page.getByLabel('Scatter across (x)')).toHaveValue('param:lr');
  await expect(page.getByLabel('Scatter up (y)')).toHaveValue('metric:acc');
  await expect(scatter).toHaveAttribute('data-points', '60');
  await expect(scatter.locator('.xtick text').first()).toBeVisible();
  // Decades apart, evenly: a log axis (a linear one from 0 to 0.1 would not show 0.001 and 0.01).
  expect(await scatter.locator('.xtick text').allTextContents()).toEqual(
    expect.arrayContaining(['0.001', '0.01', '0.1']),
  );
  await page.getByLabel('Scatter across (x)').selectOption('param:optimizer');
  await expect(scatter.locator('.xtick text')).toHaveText(['adam', 'sgd']);
  await expect(scatter).toHaveAttribute('data-points', '60');

  // Drag along the acc axis over its top fifth.
  const grip = parallel.locator('[data-key="acc"] .parallel-grip');
  const box = (await grip.boundingBox())!;
  const x = box.x + box.width / 2;
  const top = box.y + 4; // the grip reaches 4 px past the axis at each end
  const axisHeight = box.height - 8;
  await page.mouse.move(x, top - 2);
  await page.mouse.down();
  await page.mouse.move(x, top + axisHeight * 0.1, { steps: 3 });
  await page.mouse.move(x, top + axisHeight * 0.2 - 1, { steps: 3 });
  await page.mouse.up();
  await expect(page.getByTestId('parallel-kept')).toContainText('12 of 60 runs inside the ranges');
  await expect(parallel).toHaveAttribute('data-kept', '12');
  await workbench.screenshot('runs-17-parallel-axes');

  await page.getByRole('link', { name: 'Compare these 12' }).click();
  await expect(page).toHaveURL(/#\/runs\/compare\?ids=/);
  const heads = page.getByTestId('compare-table').locator('th.run-head');
  await expect(heads).toHaveCount(12);
  await expect(heads.first()).toContainText('sweep-48');
  await expect(page.getByTestId('parallel-kept')).toContainText('12 runs; drag along an axis');

  // The seed is the same in every run: only the rows that tell the runs apart.
  const table = page.getByTestId('compare-table');
  await expect(table).toContainText('seed');
  const differ = page.getByLabel(/Only rows that differ \(3 of 4\)/);
  await differ.check();
  await expect(table).not.toContainText('seed');
  await expect(table).toContainText('optimizer');
  expect(workbench.problems).toEqual([]);
});

test.describe('without an engine', () => {
  const saved = process.env.DOCKER_HOST;
  // The server the fixture starts inherits this: an engine address where nothing answers.
  test.beforeAll(() => {
    process.env.DOCKER_HOST = 'unix:///nonexistent/docker.sock';
  });
  test.afterAll(() => {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  });

  test('runs: the Runs page says how to start an engine', async ({ page, workbench }) => {
    await page.getByRole('link', { name: 'Runs' }).click();
    const help = page.getByTestId('engine-unavailable');
    await expect(help).toBeVisible();
    await expect(help).toContainText('unix:///nonexistent/docker.sock');
    await expect(help).toContainText('sudo systemctl start docker');
    await expect(help).toContainText('DOCKER_HOST');
    await workbench.screenshot('runs-12-no-engine');
    // Starting a run fails fast with the engine's error, in the dialog.
    await page.getByRole('button', { name: 'New run…' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'New run' });
    await expect(dialog.getByTestId('recipe-summary')).toBeVisible();
    await expect(dialog.getByTestId('engine-warning')).toContainText('refused until an engine answers');
    await dialog.getByRole('button', { name: 'Start run' }).click();
    // Starting fails fast (ENGINE_UNAVAILABLE) with the engine's reason, in the dialog; nothing hangs.
    await expect(dialog).toContainText('No Docker engine answers');
    await workbench.screenshot('runs-13-no-engine-run');
    // The refused start is an HTTP 503, which Chromium logs; nothing else may go wrong.
    const refused = /Failed to load resource: the server responded with a status of 503/;
    expect(workbench.problems.filter((p) => !refused.test(p))).toEqual([]);
  });
});
