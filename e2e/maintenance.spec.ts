/**
 * Store maintenance from Settings, against the real store: verify an intact store, then one with
 * a tampered file (named, with the version and path that use it), and clean up a stray file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { addDatasetVersion, expect, invoke, salesCsv, test } from './workbench.ts';

test('store maintenance: verify names damage and what it hits; clean up removes strays', async ({
  page,
  workbench,
}) => {
  const data = path.join(workbench.scratch, 'sales');
  fs.mkdirSync(data);
  fs.writeFileSync(path.join(data, 'sales.csv'), salesCsv(40));
  fs.writeFileSync(path.join(data, 'notes.txt'), 'kept as is');
  await addDatasetVersion(page, 'sales', [data]);

  await page.getByRole('link', { name: 'Settings' }).click();
  const card = page.getByTestId('store-maintenance');
  await card.getByRole('button', { name: 'Verify store' }).click();
  await expect(card.getByTestId('verify-result')).toContainText(
    '2 stored files checked: the store is intact.',
  );
  await workbench.screenshot('maintenance-01-intact');

  const shown = (await invoke(page, 'datasets.show', { name: 'sales' })).result as {
    entries: { path: string; sha256: string }[];
  };
  const csv = shown.entries.find((e) => e.path === 'sales.csv')!.sha256;
  const blob = path.join(workbench.home, 'objects', 'sha256', csv.slice(0, 2), csv.slice(2));
  fs.chmodSync(blob, 0o644);
  fs.writeFileSync(blob, 'tampered');
  await card.getByRole('button', { name: 'Verify store' }).click();
  const damage = card.getByTestId('verify-result');
  await expect(damage).toContainText('1 damaged file of 2');
  await expect(damage).toContainText(`${csv.slice(0, 16)}… corrupt — used by sales v1: sales.csv`);
  await workbench.screenshot('maintenance-02-damaged');

  await card.getByRole('button', { name: 'Clean up' }).click();
  await expect(card.getByTestId('gc-result')).toHaveText('Nothing to remove.');
  const stray = path.join(workbench.home, 'objects', 'sha256', 'ab', 'c'.repeat(62));
  fs.mkdirSync(path.dirname(stray), { recursive: true });
  fs.writeFileSync(stray, 'left by an interrupted add');
  await card.getByRole('button', { name: 'Clean up' }).click();
  await expect(card.getByTestId('gc-result')).toContainText('Removed 1 unreferenced file');
  expect(fs.existsSync(stray)).toBe(false);
  await workbench.screenshot('maintenance-03-cleaned');

  expect(workbench.problems).toEqual([]);
});
