/**
 * Issue 2's user-facing promises, in the real app: drop files to make a version, add a folder with
 * the folder picker, add a changed copy, compare the two versions, read a version's profile.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeTree } from '../electron/core/testing/fileTree.ts';
import { dropFiles, expect, releaseDrop, salesCsv, test } from './workbench.ts';

test('shell shows every section, the store and the engine status', async ({ page, workbench }) => {
  const status = page.getByTestId('statusbar');
  await expect(status).toContainText(workbench.home);
  await expect(page.getByTestId('engine-status')).toContainText(/Docker/);
  await expect(page.getByRole('heading', { name: 'No datasets yet' })).toBeVisible();
  await workbench.screenshot('01-empty-datasets');

  // Runs, Models, Drift and Settings are built (their own specs cover them); Deployments says what
  // it will hold.
  for (const section of ['Runs', 'Models', 'Drift', 'Settings']) {
    await page.getByRole('link', { name: section }).click();
    await expect(page.getByRole('heading', { level: 1, name: section })).toBeVisible();
  }
  // The drift page's old address still opens it, and the address bar shows the current one.
  await page.evaluate(() => {
    window.location.hash = '#/monitoring';
  });
  await expect(page).toHaveURL(/#\/drift$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Drift' })).toBeVisible();
  await page.getByRole('link', { name: 'Models' }).click();
  await expect(page.getByRole('heading', { name: 'No models yet' })).toBeVisible();
  await page.getByRole('link', { name: 'Deployments' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Deployments' })).toBeVisible();
  await expect(page.getByText('Nothing deployed yet')).toBeVisible();
  await workbench.screenshot('02-empty-deployments');
  await page.getByRole('link', { name: 'Compare' }).click();
  await expect(page.getByText('Nothing to compare yet')).toBeVisible();
  expect(workbench.problems).toEqual([]);
});

test('drop files, add a folder and a changed copy, compare, profile', async ({ page, workbench }) => {
  await test.step('drop two files on the window', async () => {
    await dropFiles(
      page,
      [
        {
          name: 'iris.csv',
          content: 'sepal,petal,species\n5.1,1.4,setosa\n7.0,4.7,versicolor\n6.3,6.0,virginica\n',
          type: 'text/csv',
        },
        { name: 'README.md', content: '# Iris\n' },
      ],
      { hold: true },
    );
    await expect(page.getByTestId('drop-overlay')).toBeVisible();
    await workbench.screenshot('03-drop-overlay');
    await releaseDrop(page);

    const dialog = page.getByRole('dialog', { name: 'Add a version' });
    await expect(dialog).toBeVisible();
    await expect(dialog.getByTestId('source-summary')).toContainText('2 files');
    await expect(dialog.getByLabel('Name')).toHaveValue('iris');
    await dialog.getByLabel('Message').fill('First drop');
    await workbench.screenshot('04-add-dialog');
    await dialog.getByRole('button', { name: 'Add version' }).click();

    const done = page.getByRole('dialog', { name: 'Version added' });
    await expect(done.getByTestId('add-outcome')).toContainText('Version 1 of iris');
    await expect(done.getByTestId('add-outcome')).toContainText('2 files');
    await workbench.screenshot('05-added');
    await done.getByRole('button', { name: 'Done' }).click();
    const row = page.getByTestId('dataset-row').filter({ hasText: 'iris' });
    await expect(row.getByTestId('dataset-files')).toHaveText('2');
  });

  await test.step('add a folder with the folder picker', async () => {
    const folder = writeTree(path.join(workbench.scratch, 'v1', 'sales'), {
      'data/sales.csv': salesCsv(10),
      'notes.txt': 'quarterly sales\n',
    });
    await page.getByTestId('folder-input').setInputFiles(folder);
    const dialog = page.getByRole('dialog', { name: 'Add a version' });
    await expect(dialog.getByTestId('source-summary')).toContainText('2 files');
    await expect(dialog.getByLabel('Name')).toHaveValue('sales');
    await dialog.getByRole('button', { name: 'Add version' }).click();
    await expect(page.getByTestId('add-outcome')).toContainText('Version 1 of sales');
    await page.getByRole('button', { name: 'Done' }).click();
    await expect(page.getByTestId('dataset-row')).toHaveCount(2);
    await workbench.screenshot('06-datasets-list');
  });

  await test.step('add a changed copy as version 2', async () => {
    const folder = writeTree(path.join(workbench.scratch, 'v2', 'sales'), {
      'data/sales.csv': salesCsv(13),
      'notes.txt': 'quarterly sales\n',
    });
    await page.getByTestId('folder-input').setInputFiles(folder);
    const dialog = page.getByRole('dialog', { name: 'Add a version' });
    // A folder named like an existing dataset goes to that dataset by default.
    await expect(dialog.getByRole('radio', { name: 'Existing dataset' })).toBeChecked();
    await dialog.getByLabel('Message').fill('Three more sales');
    await dialog.getByRole('button', { name: 'Add version' }).click();
    await expect(page.getByTestId('add-outcome')).toContainText('Version 2 of sales');
    await page.getByRole('link', { name: 'Open dataset' }).click();
    await expect(page.getByTestId('version-row')).toHaveCount(2);
    await expect(page.getByTestId('version-row').first().getByTestId('version-files')).toHaveText('2');
    await workbench.screenshot('07-dataset-versions');
  });

  await test.step('compare the two versions', async () => {
    await page.getByLabel('Select version 1').check();
    await page.getByLabel('Select version 2').check();
    await page.getByRole('button', { name: 'Compare v1 → v2' }).click();
    await expect(page.getByTestId('files-modified')).toContainText('data/sales.csv');
    const table = page.getByTestId('table-diff').filter({ hasText: 'data/sales.csv' });
    await expect(table.getByTestId('rows-added')).toHaveText('3');
    await expect(table.getByTestId('rows-removed')).toHaveText('0');
    await workbench.screenshot('08-compare');
    await page.getByPlaceholder('e.g. id').fill('id');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect(table).toContainText('Rows unchanged');
    await expect(table.locator('.stat').filter({ hasText: 'Rows unchanged' })).toContainText('10');
  });

  await test.step('open a version and see its profile', async () => {
    await page.goto(`${new URL(workbench.url).origin}/#/datasets/sales/2`);
    await expect(page.getByTestId('tree-file')).toHaveCount(2);
    const card = page.getByTestId('profile-card').filter({ hasText: 'data/sales.csv' });
    await expect(card).toContainText('13 rows');
    const histogram = card.locator('[data-testid=mini-chart][data-kind=histogram]').first();
    await expect(histogram.locator('svg.main-svg').first()).toBeVisible();
    await expect(histogram.locator('.point path, .bars path').first()).toBeAttached();
    await workbench.screenshot('09-version-profile');
  });

  await test.step('export a version to a folder', async () => {
    await page.goto(`${new URL(workbench.url).origin}/#/datasets/sales`);
    await page.getByTestId('version-row').first().getByRole('button', { name: 'Export…' }).click();
    const out = path.join(workbench.scratch, 'export');
    await page.getByTestId('export-panel').getByLabel('Folder').fill(out);
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    await expect(page.getByTestId('export-result')).toContainText('Exported 2 files');
    expect(fs.readFileSync(path.join(out, 'data', 'sales.csv'), 'utf8')).toBe(salesCsv(13));
    await workbench.screenshot('10-export');
  });
  expect(workbench.problems).toEqual([]);
});

test('bad input is reported where it happened', async ({ page, workbench }) => {
  await dropFiles(page, [{ name: 'a.csv', content: 'x\n1\n' }]);
  const dialog = page.getByRole('dialog', { name: 'Add a version' });
  await dialog.getByLabel('Name').fill('bad/name');
  await expect(dialog.getByText('A dataset name cannot contain / or \\')).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Add version' })).toBeDisabled();
  await workbench.screenshot('11-invalid-name');
  await dialog.getByRole('button', { name: 'Close' }).click();

  const empty = path.join(workbench.scratch, 'empty');
  fs.mkdirSync(empty);
  await page.getByTestId('folder-input').setInputFiles(empty);
  await expect(page.getByRole('dialog')).toContainText('Nothing to add');
  await expect(page.getByRole('button', { name: 'Add version' })).toHaveCount(0);
  await workbench.screenshot('12-empty-folder');
  await page.getByRole('button', { name: 'Close' }).click();

  // Malformed tables still make a version; their profile says what is wrong with them.
  await dropFiles(page, [
    { name: 'ragged.csv', content: 'a,b\n1,2\n3\n4,5,6\n"unterminated,7\n' },
    { name: 'header-only.csv', content: 'a,b,c\n' },
  ]);
  await page.getByRole('dialog').getByLabel('Name').fill('messy');
  await page.getByRole('button', { name: 'Add version' }).click();
  await expect(page.getByTestId('add-outcome')).toContainText('Version 1 of messy');
  await page.getByRole('button', { name: 'Done' }).click();
  await page.goto(`${new URL(workbench.url).origin}/#/datasets/messy/1`);
  await expect(page.getByTestId('profile-card')).toHaveCount(2);
  await expect(
    page.getByTestId('profile-card').filter({ hasText: 'ragged.csv' }).getByRole('alert'),
  ).toBeVisible();
  await workbench.screenshot('12b-malformed-profile');
  expect(workbench.problems).toEqual([]);
});

test('a long ingest shows progress and can be cancelled', async ({ page, workbench }) => {
  // A large sparse file: uploading it takes long enough to cancel halfway, and it costs no disk.
  const big = path.join(workbench.scratch, 'big.bin');
  fs.closeSync(fs.openSync(big, 'w'));
  fs.truncateSync(big, 3 * 1024 ** 3);
  await page.getByTestId('files-input').setInputFiles(big);
  const dialog = page.getByRole('dialog', { name: 'Add a version' });
  await expect(dialog.getByTestId('source-summary')).toContainText('3.0 GiB');
  await dialog.getByRole('button', { name: 'Add version' }).click();
  await expect(dialog.getByTestId('add-progress')).toContainText(
    /Uploading 0 of 1 file · [1-9][0-9.]* [MG]iB of 3\.0 GiB/,
  );
  await workbench.screenshot('13-progress');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog.getByText('Cancelled. Nothing was added.')).toBeVisible();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByRole('heading', { name: 'No datasets yet' })).toBeVisible();
  expect(workbench.problems).toEqual([]);
});

test('an ingest can be cancelled while core stores the files', async ({ page, workbench }) => {
  const big = path.join(workbench.scratch, 'large.bin');
  fs.closeSync(fs.openSync(big, 'w'));
  fs.truncateSync(big, 1536 * 1024 ** 2);
  await page.getByTestId('files-input').setInputFiles(big);
  const dialog = page.getByRole('dialog', { name: 'Add a version' });
  await dialog.getByRole('button', { name: 'Add version' }).click();
  await expect(dialog.getByTestId('add-progress')).toContainText(
    /Storing · \d+ of 1 files · [0-9.]+ \w+ of 1\.5 GiB/,
    {
      timeout: 60_000,
    },
  );
  await workbench.screenshot('14-storing');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog.getByText('Cancelled. Nothing was added.')).toBeVisible();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByRole('heading', { name: 'No datasets yet' })).toBeVisible();
  expect(workbench.problems).toEqual([]);
});
