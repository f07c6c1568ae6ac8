/**
 * Issue 3's named Docker engines in the real app: add a reachable and an unreachable engine in
 * Settings and see their status, a duplicate name refused inline, remove one with an inline
 * confirm, and the New Run dialog offering the named engine (no run is started).
 */
import { expect, test } from './workbench.ts';

/** The error replies this test provokes (a duplicate engine name). */
const PROVOKED = /Failed to load resource: the server responded with a status of (400|409)/;

test('engines: add, see status, refuse a duplicate, remove, pick in New run', async ({ page, workbench }) => {
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
  // The store facts stay.
  await expect(page.getByText('Database', { exact: true })).toBeVisible();
  const table = page.getByTestId('engines-table');
  await expect(table.getByTestId('engine-row-default')).toBeVisible();
  await expect(page.getByText('add its Docker engine here and pick it in New run')).toBeVisible();
  await expect(table.getByTestId('engine-row-default').getByTestId('engine-status-cell')).not.toContainText(
    'Checking…',
  );
  await workbench.screenshot('engines-01-settings');

  const form = page.getByRole('form', { name: 'Add an engine' });
  const add = async (name: string, host: string) => {
    await form.getByLabel('Engine name').fill(name);
    await form.getByLabel('Engine host').fill(host);
    await form.getByRole('button', { name: 'Add engine' }).click();
  };

  await test.step('add a reachable and an unreachable engine', async () => {
    await add('local-alias', 'unix:///var/run/docker.sock');
    const alias = table.getByTestId('engine-row-local-alias');
    await expect(alias).toContainText('unix:///var/run/docker.sock');
    await expect(alias.getByTestId('engine-status-cell')).toContainText(/Reachable · Docker \S+/);

    await add('nowhere', 'tcp://127.0.0.1:1');
    const nowhere = table.getByTestId('engine-row-nowhere');
    await expect(nowhere).toContainText('tcp://127.0.0.1:1');
    await expect(nowhere.getByTestId('engine-status-cell')).toContainText('Unreachable');
    await expect(form.getByRole('status')).toContainText('Added nowhere, but it does not answer yet');
    await workbench.screenshot('engines-02-added');
  });

  await test.step('a duplicate name is refused inline', async () => {
    await add('nowhere', 'tcp://127.0.0.1:2');
    await expect(form.locator('.field-error')).toContainText(/nowhere/);
    await expect(form.getByLabel('Engine name')).toHaveAttribute('aria-invalid', 'true');
    await expect(table.locator('tbody tr')).toHaveCount(3);
    await workbench.screenshot('engines-03-duplicate');
  });

  await test.step('an ssh engine asks for a key, not certificates, and says why it cannot be used', async () => {
    await form.getByLabel('Engine host').fill('ssh://me@127.0.0.1:1');
    await expect(form.getByLabel('Certificate folder')).toHaveCount(0);
    await expect(form.getByText('Verify TLS')).toHaveCount(0);
    await form.getByLabel('Engine name').fill('ssh-box');
    await form.getByLabel('Identity file').fill('/nonexistent/id_ed25519');
    await form.getByRole('button', { name: 'Add engine' }).click();
    const row = table.getByTestId('engine-row-ssh-box');
    await expect(row).toContainText('key /nonexistent/id_ed25519');
    await expect(row.getByTestId('engine-status-cell')).toContainText('Unreachable');
    await expect(form.getByRole('status')).toContainText('identity file /nonexistent/id_ed25519');
    await workbench.screenshot('engines-03b-ssh');
    await row.getByRole('button', { name: 'Remove ssh-box' }).click();
    await row
      .getByRole('group', { name: 'Remove engine ssh-box' })
      .getByRole('button', { name: 'Remove', exact: true })
      .click();
    await expect(row).toHaveCount(0);
    await expect(form.getByLabel('Certificate folder')).toBeVisible();
  });

  await test.step('New run offers the named engines, the warning follows the pick', async () => {
    await page.getByRole('link', { name: 'Runs' }).click();
    await page.getByRole('button', { name: 'New run…' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'New run' });
    await expect(dialog).toBeVisible();
    const select = dialog.getByLabel('Engine', { exact: true });
    await expect(select.locator('option')).toHaveCount(3);
    await expect(select.locator('option').nth(0)).toHaveText('default — reachable');
    await expect(select.locator('option').nth(1)).toHaveText('local-alias — reachable');
    await expect(select.locator('option').nth(2)).toHaveText('nowhere — unreachable');
    // The warning follows the picked engine.
    await select.selectOption('nowhere');
    await expect(dialog.getByTestId('engine-warning')).toContainText('Engine nowhere does not answer');
    await workbench.screenshot('engines-04-new-run-unreachable');
    await select.selectOption('local-alias');
    await expect(dialog.getByText('unix:///var/run/docker.sock', { exact: false })).toBeVisible();
    await expect(dialog.getByTestId('engine-warning')).toHaveCount(0);
    await workbench.screenshot('engines-05-new-run');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toHaveCount(0);
    await page.getByRole('link', { name: 'Settings' }).click();
  });

  await test.step('remove the unreachable engine with an inline confirm', async () => {
    await expect(table.getByTestId('engine-row-default').getByRole('button')).toHaveCount(0);
    const nowhere = table.getByTestId('engine-row-nowhere');
    await nowhere.getByRole('button', { name: 'Remove nowhere' }).click();
    const confirm = nowhere.getByRole('group', { name: 'Remove engine nowhere' });
    await expect(confirm).toBeVisible();
    await workbench.screenshot('engines-06-confirm');
    await confirm.getByRole('button', { name: 'Remove', exact: true }).click();
    await expect(nowhere).toHaveCount(0);
    await expect(table.getByTestId('engine-row-local-alias')).toBeVisible();
    await workbench.screenshot('engines-07-removed');
  });

  expect(workbench.problems.filter((p) => !PROVOKED.test(p))).toEqual([]);
});
