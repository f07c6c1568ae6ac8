/**
 * The drift page in the real app: a drift check between two dataset versions, its per-column
 * table and overlaid histogram, a preset saved and re-used, two stored reports compared; a check
 * on files dropped on the window; a long check's progress and cancel.
 */
import fs from 'node:fs';
import path from 'node:path';
import { addDatasetVersion, dropFiles, expect, test } from './workbench.ts';

/** Deterministic normal-ish draws (sum of uniforms from a small LCG), so every run sees the same data. */
function draws(seed: number): () => number {
  let s = seed;
  const uniform = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  return () => uniform() + uniform() + uniform() + uniform() - 2;
}

/** 600 rows: id, amount (shifted in v2), score (same distribution), region (v2 adds "west"). */
function salesCsv(version: 1 | 2, rows = 600): string {
  const next = draws(version === 1 ? 7 : 11);
  const regions = version === 1 ? ['north', 'south', 'east'] : ['north', 'south', 'east', 'west'];
  const lines = ['id,amount,score,region'];
  for (let i = 1; i <= rows; i++) {
    const amount = (version === 1 ? 100 : 112) + 25 * next();
    const score = 0.5 + 0.2 * next();
    lines.push(`${i},${amount.toFixed(2)},${score.toFixed(4)},${regions[i % regions.length]}`);
  }
  return `${lines.join('\n')}\n`;
}

function write(dir: string, name: string, content: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, name), content);
  return path.join(dir, name);
}

test('monitoring: drift between two dataset versions, presets, compare', async ({ page, workbench }) => {
  await addDatasetVersion(page, 'sales', [
    write(path.join(workbench.scratch, 'v1'), 'sales.csv', salesCsv(1)),
  ]);
  await addDatasetVersion(page, 'sales', [
    write(path.join(workbench.scratch, 'v2'), 'sales.csv', salesCsv(2)),
  ]);
  await page.getByRole('link', { name: 'Drift' }).click();
  await expect(page.getByRole('heading', { name: 'No reports yet' })).toBeVisible();
  await workbench.screenshot('01-empty');

  await test.step('run a check on v1 → v2', async () => {
    await page.getByLabel('Reference dataset').selectOption('sales');
    await expect(page.getByLabel('Reference version')).toHaveValue('1');
    await expect(page.getByLabel('Current dataset')).toHaveValue('sales');
    await expect(page.getByLabel('Current version')).toHaveValue('2');
    await page.getByRole('button', { name: 'Run check' }).click();
    const report = page.getByTestId('drift-report');
    await expect(report.getByTestId('drift-verdict')).toHaveText('Dataset drift detected');
    const rows = report.getByTestId('drift-column-row');
    await expect(rows).toHaveCount(4);
    await expect(rows.filter({ hasText: 'amount' })).toHaveAttribute('data-drifted', 'true');
    await expect(rows.filter({ hasText: 'amount' })).toContainText('ks');
    await expect(rows.filter({ hasText: 'score' })).toHaveAttribute('data-drifted', 'false');
    await expect(rows.filter({ hasText: 'region' })).toContainText('∞');
    await expect(page.getByTestId('schema-checks')).toContainText('west');
    await report.scrollIntoViewIfNeeded();
    await workbench.screenshot('02-report');
  });

  await test.step('sort the table and open a column’s histogram', async () => {
    const report = page.getByTestId('drift-report');
    await report.getByRole('button', { name: 'p-value' }).click();
    await expect(report.getByTestId('drift-column-row').first()).toHaveAttribute('data-column', 'region');
    await report.getByTestId('drift-column-row').filter({ hasText: 'amount' }).click();
    const chart = report.getByTestId('distribution-chart');
    await expect(chart).toHaveAttribute('data-kind', 'histogram');
    await expect(chart.locator('svg.main-svg').first()).toBeVisible();
    await expect(chart.locator('.bars path, .point path').first()).toBeAttached();
    await chart.scrollIntoViewIfNeeded();
    await workbench.screenshot('03-histogram');
    await report.getByTestId('drift-column-row').filter({ hasText: 'region' }).click();
    await expect(report.locator('[data-testid=distribution-chart][data-kind=categories]')).toBeVisible();
    await report.locator('[data-testid=distribution-chart][data-kind=categories]').scrollIntoViewIfNeeded();
    await workbench.screenshot('04-categories');
  });

  await test.step('save the options as a preset and run with it', async () => {
    await page.getByRole('button', { name: 'Options' }).click();
    await page.getByLabel('Drift share').fill('0.75');
    await page.getByRole('button', { name: 'Add a column override' }).click();
    await page.getByLabel('Override 1 column').fill('amount');
    await page.getByLabel('Override 1 method').selectOption('wasserstein');
    await page.getByLabel('Override 1 threshold').fill('5');
    await page.getByRole('button', { name: 'Save as preset…' }).click();
    await page.getByLabel('Preset name').fill('lenient');
    await page.getByTestId('check-form').scrollIntoViewIfNeeded();
    await workbench.screenshot('05-options');
    await page.getByRole('button', { name: 'Save preset' }).click();
    await expect(page.getByLabel('Preset', { exact: true })).toHaveValue('lenient');

    // Picking "none" and then the preset again fills the options from it.
    await page.getByLabel('Preset', { exact: true }).selectOption('');
    await page.getByLabel('Drift share').fill('');
    await page.getByLabel('Preset', { exact: true }).selectOption('lenient');
    await expect(page.getByLabel('Drift share')).toHaveValue('0.75');
    await expect(page.getByLabel('Override 1 column')).toHaveValue('amount');

    await page.getByRole('button', { name: 'Run check' }).click();
    const report = page.getByTestId('drift-report');
    await expect(report.getByTestId('drift-verdict')).toHaveText('No dataset drift');
    await expect(report).toContainText('preset “lenient”');
    const amount = report.getByTestId('drift-column-row').filter({ hasText: 'amount' });
    await expect(amount).toContainText('wasserstein');
    await expect(amount).toHaveAttribute('data-drifted', 'false');
    await report.scrollIntoViewIfNeeded();
    await workbench.screenshot('06-report-with-preset');
  });

  await test.step('two stored reports, compared', async () => {
    const list = page.getByTestId('drift-report-row');
    await expect(list).toHaveCount(2);
    await expect(list.first()).toContainText('lenient');
    await page.getByLabel('Filter reports by dataset').selectOption('sales');
    await expect(list).toHaveCount(2);
    await list.nth(0).getByRole('checkbox').check();
    await list.nth(1).getByRole('checkbox').check();
    await page.getByTestId('drift-reports').scrollIntoViewIfNeeded();
    await workbench.screenshot('07-report-list');
    await page.getByRole('button', { name: /Compare selected/ }).click();
    const cmp = page.getByTestId('drift-comparison');
    await expect(cmp.getByTestId('compare-head-b')).toContainText('lenient');
    const amount = cmp.getByTestId('drift-compare-row').filter({ hasText: 'amount' });
    await expect(amount).toContainText('drift gone');
    await expect(amount).toHaveClass(/row-changed/);
    await expect(cmp.getByTestId('drift-compare-row').filter({ hasText: 'score' })).toContainText('same');
    await cmp.scrollIntoViewIfNeeded();
    await workbench.screenshot('08-compare');
  });

  await test.step('delete the preset', async () => {
    await page.getByRole('button', { name: 'Delete preset' }).click();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await expect(page.getByLabel('Preset', { exact: true })).toHaveValue('');
    await expect(page.getByLabel('Preset', { exact: true }).locator('option')).toHaveText([
      'No presets saved yet',
    ]);
  });
  expect(workbench.problems).toEqual([]);
});

test('monitoring: a check on files dropped on the window', async ({ page, workbench }) => {
  await page.getByRole('link', { name: 'Drift' }).click();
  await dropFiles(
    page,
    [
      { name: 'reference.csv', content: salesCsv(1, 300), type: 'text/csv' },
      { name: 'current.csv', content: salesCsv(2, 300), type: 'text/csv' },
    ],
    { hold: true },
  );
  await expect(page.getByTestId('source-reference')).toContainText('Drop here');
  await expect(page.getByTestId('drop-overlay')).toHaveCount(0);
  await workbench.screenshot('11-drop-zones');
  await page.evaluate(() => (window as unknown as { __heldDrop: () => void }).__heldDrop());
  await expect(page.getByTestId('source-reference')).toContainText('reference.csv');
  await expect(page.getByTestId('source-current')).toContainText('current.csv');

  // The file button replaces one side: current becomes a copy of the reference, so nothing drifts.
  const same = write(workbench.scratch, 'same.csv', salesCsv(1, 300));
  await page.getByTestId('current-file-input').setInputFiles(same);
  await expect(page.getByTestId('source-current')).toContainText('same.csv');
  await workbench.screenshot('12-files-picked');
  await page.getByRole('button', { name: 'Run check' }).click();
  const report = page.getByTestId('drift-report');
  await expect(report.getByTestId('drift-verdict')).toHaveText('No dataset drift');
  await expect(report).toContainText('0 of 4 tested columns drifted');
  await expect(report).toContainText('dropped file');
  await report.scrollIntoViewIfNeeded();
  await workbench.screenshot('13-dropped-report');

  // A file that is no table is refused where it was chosen, before anything runs.
  await page
    .getByTestId('current-file-input')
    .setInputFiles(write(workbench.scratch, 'notes.txt', 'hello\n'));
  await expect(page.getByTestId('source-current')).toContainText('not a CSV, TSV, Parquet or JSON Lines');
  await expect(page.getByRole('button', { name: 'Run check' })).toBeDisabled();
  expect(workbench.problems).toEqual([]);
});

test('monitoring: a long check shows progress and can be cancelled', async ({ page, workbench }) => {
  // A large sparse file: uploading it takes long enough to cancel halfway, and it costs no disk.
  const big = path.join(workbench.scratch, 'big.csv');
  fs.closeSync(fs.openSync(big, 'w'));
  fs.truncateSync(big, 3 * 1024 ** 3);
  await page.getByRole('link', { name: 'Drift' }).click();
  await page.getByTestId('source-reference').getByText('File', { exact: true }).click();
  await page.getByTestId('reference-file-input').setInputFiles(big);
  await page.getByTestId('source-current').getByText('File', { exact: true }).click();
  await page
    .getByTestId('current-file-input')
    .setInputFiles(write(workbench.scratch, 'cur.csv', salesCsv(2, 50)));
  await page.getByRole('button', { name: 'Run check' }).click();
  await expect(page.getByTestId('check-progress')).toContainText(
    /Uploading big\.csv · [1-9][0-9.]* [MG]iB of 3\.0 GiB/,
  );
  await workbench.screenshot('21-progress');
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByText('Cancelled. No report was stored.')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'No reports yet' })).toBeVisible();
  expect(workbench.problems).toEqual([]);
});
