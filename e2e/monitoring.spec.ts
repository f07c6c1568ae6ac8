/**
 * Monitoring in the real app against the real engine: the example classifier trained on the iris
 * dataset (so its lineage names its training table), deployed, and sent traffic from here: rows of
 * its own data, then shifted rows, and one malformed request; ground truth added by request id. A
 * monitor is added through the dialog (a rule mistyped first, its message shown beside it), checked
 * with Check now, and seen alerting on drift: on its page (status, rule results, charts, the drift
 * report), on the Monitoring page (the firing alert) and on the deployment's page (its monitor and
 * its recent requests). Screenshots of each screen.
 */
import fs from 'node:fs';
import path from 'node:path';
import { mlwb } from '../electron/cli/testing/mlwbProcess.ts';
import { removeDeployments, removeModelImages } from './engineCleanup.ts';
import { EXAMPLE_DATA, settled, trainAndRegister } from './engineModels.ts';
import { expect, invoke, requireEngine, test } from './workbench.ts';

/** Its own model name, so its images are told apart from other tests'. */
const MODEL = 'e2e-monitor-iris';
const DEPLOYMENT = MODEL;
const MONITOR = `${DEPLOYMENT}-monitor`;
const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

type Page = Parameters<typeof invoke>[0];

/** The example data's rows: features and label. */
function irisRows(): { features: number[]; label: string }[] {
  const [, ...lines] = fs.readFileSync(path.join(EXAMPLE_DATA, 'train.csv'), 'utf8').trim().split('\n');
  return lines.map((line) => {
    const cells = line.split(',');
    return { features: cells.slice(0, 4).map(Number), label: cells[4]! };
  });
}

/** POSTs rows to the deployment's /invocations; returns the request id its answer carries. */
async function invocations(url: string, rows: number[][]): Promise<string> {
  const res = await fetch(`${url}/invocations`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ dataframe_split: { columns: FEATURES, data: rows } }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  const id = res.headers.get('x-request-id');
  expect(id).toBeTruthy();
  return id!;
}

/** The engine's leftovers of this test: its deployment and images. */
async function cleanUp(page: Page) {
  await removeDeployments(page, [DEPLOYMENT]);
  removeModelImages(MODEL);
}

test('monitoring: a monitor added in the dialog sees drift in a deployment’s traffic and fires an alert', async ({
  page,
  workbench,
}) => {
  test.setTimeout(420_000);
  await requireEngine(page);
  const root = workbench.url.split('#')[0];
  try {
    await test.step('empty: nothing deployed yet, so deploy first', async () => {
      await page.getByRole('link', { name: 'Monitoring' }).click();
      await expect(page).toHaveURL(/#\/monitors$/);
      await expect(page.getByRole('heading', { name: 'No monitors yet' })).toBeVisible();
      await expect(page.getByText('Monitors watch deployments, and nothing is deployed yet.')).toBeVisible();
      await workbench.screenshot('monitor-01-empty');
    });

    await test.step('train on iris, register, deploy (through the API)', async () => {
      await trainAndRegister(page, MODEL);
      await settled(
        page,
        await invoke(page, 'deployments.create', {
          model: MODEL,
          version: 1,
          name: DEPLOYMENT,
          mode: 'container',
        }),
        180_000,
      );
    });

    const { url } = (await invoke(page, 'deployments.get', { name: DEPLOYMENT })).result as { url: string };

    await test.step('traffic: its own rows, then shifted ones, one malformed request; labels by request id', async () => {
      const rows = irisRows();
      const labels = ['request_id,row,label'];
      // 60 rows of its data in 6 requests of 10, their labels joined later by the ids.
      for (let r = 0; r < 6; r++) {
        const batch = rows.slice(r * 10, r * 10 + 10);
        const id = await invocations(
          url,
          batch.map((x) => x.features),
        );
        for (const [i, x] of batch.entries()) labels.push(`${id},${i},${x.label}`);
      }
      // 60 rows whose measurements are all larger than any flower in the data: they drift.
      for (let r = 6; r < 12; r++) {
        const batch = rows.slice(r * 10, r * 10 + 10);
        const id = await invocations(
          url,
          batch.map((x) => x.features.map((v) => Number((v * 1.8 + 2).toFixed(2)))),
        );
        for (const [i, x] of batch.entries()) labels.push(`${id},${i},${x.label}`);
      }
      const refused = await fetch(`${url}/invocations`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ dataframe_split: { columns: ['petals'], data: [[1]] } }),
      });
      expect(refused.status).toBe(400);
      // The server writes its request log as it answers; once all 13 are in, the labels all match.
      await expect
        .poll(
          async () =>
            (
              (await invoke(page, 'deployments.requests', { name: DEPLOYMENT, limit: 50 })).result as {
                requests: unknown[];
              }
            ).requests.length,
        )
        .toBe(13);
      const file = path.join(workbench.scratch, 'labels.csv');
      fs.writeFileSync(file, `${labels.join('\n')}\n`);
      // The labels go in as a user adds them: the deployment page's Add labels dialog uploads the file.
      await page.goto(`${root}#/deployments/${DEPLOYMENT}`);
      await page.getByTestId('recent-requests').getByRole('button', { name: 'Add labels…' }).click();
      const dialog = page.getByRole('dialog', { name: `Add ground-truth labels to ${DEPLOYMENT}` });
      await expect(dialog.getByRole('button', { name: 'Add labels' })).toBeDisabled();
      // A file without the columns is refused with what to fix, and nothing is added.
      const wrong = path.join(workbench.scratch, 'truth.csv');
      fs.writeFileSync(wrong, 'id_of_request,truth\nx,setosa\n');
      await dialog.getByTestId('labels-input').setInputFiles(wrong);
      await dialog.getByRole('button', { name: 'Add labels' }).click();
      await expect(dialog.getByRole('alert')).toContainText('No labels were added.');
      await expect(dialog.getByRole('alert')).toContainText(
        'truth.csv needs a header with request_id and label',
      );
      // The browser logs the refusal's 400 as it logs any failed request: expected here, once.
      await expect.poll(() => workbench.problems.filter((p) => p.includes('status of 400')).length).toBe(1);
      workbench.problems.splice(
        workbench.problems.findIndex((p) => p.includes('status of 400')),
        1,
      );
      await workbench.screenshot('monitor-02a-labels-refused');
      await dialog.getByTestId('labels-input').setInputFiles(file);
      await expect(dialog.getByTestId('labels-file-name')).toContainText('labels.csv');
      await expect(dialog.getByRole('alert')).toHaveCount(0);
      await dialog.getByRole('button', { name: 'Add labels' }).click();
      await expect(dialog.getByTestId('labels-added')).toContainText(
        `120 labels read from labels.csv; 120 match requests ${DEPLOYMENT} logged.`,
      );
      await workbench.screenshot('monitor-02b-labels-added');
      await dialog.getByRole('button', { name: 'Close' }).click();
      await expect(dialog).toHaveCount(0);
      // Nothing is left staged: the upload session went with the labels it held.
      expect(fs.readdirSync(path.join(workbench.home, 'tmp', 'uploads')).length).toBe(0);
    });

    await test.step('add a monitor in the dialog; a mistyped rule says why beside it', async () => {
      await page.goto(`${root}#/monitors`);
      await expect(page.getByRole('heading', { name: 'No monitors yet' })).toBeVisible();
      await expect(page.getByText('mlwb monitors add DEPLOYMENT')).toBeVisible();
      await workbench.screenshot('monitor-02-empty-deployed');
      await page.getByRole('button', { name: 'Add monitor…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Add monitor' });
      // The only deployment is the one proposed.
      await expect(dialog.getByLabel('Deployment to watch')).toHaveValue(DEPLOYMENT);
      await expect(dialog.getByLabel('Window', { exact: true })).toHaveValue('1h');
      await dialog.getByLabel('Rules', { exact: true }).fill('error_rate < 0.05\nlatency < 300');
      await expect(dialog.getByTestId('rule-lines')).toContainText('Line 2:');
      await expect(dialog.getByTestId('rule-lines')).toContainText('a monitor has no metric latency');
      await dialog.getByRole('button', { name: 'Add monitor' }).click();
      // Refused before anything is sent: still open.
      await expect(dialog).toBeVisible();
      await workbench.screenshot('monitor-03-dialog-rule-error');
      await dialog
        .getByLabel('Rules', { exact: true })
        .fill('error_rate < 0.05\np95_latency_ms < 1000\naccuracy >= 0.9');
      await expect(dialog.getByTestId('rule-lines').locator('.rule-line-bad')).toHaveCount(0);
      await dialog.getByRole('button', { name: 'Add monitor' }).click();
      await expect(page).toHaveURL(new RegExp(`#/monitors/${MONITOR}$`));
      await expect(page.getByRole('heading', { name: 'Not checked yet' })).toBeVisible();
      await expect(page.getByTestId('monitor-settings')).toContainText("the model's training data (lineage)");
      await expect(page.getByTestId('monitor-settings')).toContainText('accuracy >= 0.9');
      await workbench.screenshot('monitor-04-not-checked');
    });

    await test.step('check now: drift against the training data fires, the rules say their values', async () => {
      await page.getByRole('button', { name: 'Check now' }).click();
      const last = page.getByTestId('last-check');
      await expect(last.getByTestId('monitor-status')).toHaveAttribute('data-status', 'alerting', {
        timeout: 60_000,
      });
      // The alerts it fired are said wherever the user is: toasts (for 20 s), and the count on
      // Monitoring.
      const toasts = page.getByTestId('alert-toast');
      await expect(toasts).toHaveCount(3);
      await expect(toasts.filter({ hasText: `${MONITOR}: dataset drift` })).toContainText('features drifted');
      await expect(page.getByTestId('firing-badge')).toHaveText('3');
      await expect(page.getByRole('heading', { level: 1 }).getByTestId('monitor-status')).toHaveAttribute(
        'data-status',
        'alerting',
      );
      await expect(last.getByTestId('figure-requests')).toContainText('13');
      await expect(last.getByTestId('figure-rows')).toContainText('120');
      const results = last.getByTestId('rule-result');
      await expect(results).toHaveCount(4);
      await expect(results.nth(0)).toContainText('dataset drift');
      await expect(results.nth(0)).toContainText('drifted');
      await expect(results.nth(0)).toContainText('dataset:iris@1:train.csv');
      // One malformed request of 13: the error-rate rule fails too.
      await expect(results.nth(1)).toContainText('error_rate < 0.05');
      await expect(results.nth(1)).toContainText('7.7%');
      await expect(results.nth(1)).toHaveAttribute('data-passed', 'false');
      await expect(results.nth(2)).toHaveAttribute('data-passed', 'true');
      // Labeled: the shifted half is mostly answered wrong.
      await expect(results.nth(3)).toContainText('accuracy >= 0.9');
      await expect(results.nth(3)).toHaveAttribute('data-passed', 'false');
      await expect(page.getByTestId('monitor-firing').getByTestId('alert-row')).toHaveCount(3);
      // Each chart is drawn, the drift share against its threshold.
      const charts = page.getByTestId('monitor-charts');
      await expect(charts.locator('[data-chart]')).toHaveCount(5);
      await expect(charts.locator('[data-chart="accuracy"]')).toBeVisible();
      await expect(charts.locator('[data-chart="drift"] .main-svg').first()).toBeVisible();
      await expect(charts.locator('[data-chart="drift"]')).toContainText('dataset drift (50%)');
      await expect(page.getByTestId('check-row')).toHaveCount(1);
      await workbench.screenshot('monitor-05-checked');
      for (let i = 0; i < 3; i++) await toasts.first().getByRole('button', { name: 'Dismiss' }).click();
      await expect(toasts).toHaveCount(0);
      await charts.scrollIntoViewIfNeeded();
      await workbench.screenshot('monitor-06-charts');
    });

    await test.step('the drift report of the check opens on the Drift page', async () => {
      const link = page.getByTestId('drift-report-link');
      await expect(link).toHaveAttribute('href', /^#\/drift\?report=/);
      await link.click();
      await expect(page).toHaveURL(/#\/drift\?report=/);
      // The current side is the deployment's traffic in the window, named as such.
      await expect(page.getByText(`${DEPLOYMENT} traffic`).first()).toBeVisible();
      await expect(page.getByRole('heading', { name: 'Dataset drift detected' })).toBeVisible();
      await workbench.screenshot('monitor-06b-drift-report');
      await page.goBack();
    });

    await test.step('the Monitoring page shows the firing alerts first, then the monitor', async () => {
      await page.getByRole('link', { name: 'Monitoring' }).first().click();
      const firing = page.getByTestId('firing-alerts');
      await expect(firing.getByTestId('alert-row')).toHaveCount(3);
      const drift = firing.getByTestId('alert-row').filter({ hasText: 'dataset drift' });
      await expect(drift).toContainText('features drifted');
      await expect(drift.getByRole('link', { name: MONITOR })).toHaveAttribute(
        'href',
        `#/monitors/${MONITOR}`,
      );
      const row = page.getByTestId('monitor-row');
      await expect(row).toHaveCount(1);
      await expect(row.getByTestId('monitor-status')).toHaveAttribute('data-status', 'alerting');
      await expect(row.getByTestId('firing-count')).toHaveText('3');
      await expect(row).toContainText('every 5 min');
      await workbench.screenshot('monitor-07-list-alerts');
    });

    await test.step("the deployment's page lists its monitor and its recent requests", async () => {
      await page.getByTestId('monitor-row').getByRole('link', { name: DEPLOYMENT, exact: true }).click();
      await expect(page).toHaveURL(new RegExp(`#/deployments/${DEPLOYMENT}$`));
      const card = page.getByTestId('deployment-monitoring');
      await expect(card.getByTestId('monitor-row')).toHaveCount(1);
      await expect(card.getByTestId('monitor-status')).toHaveAttribute('data-status', 'alerting');
      const requests = page.getByTestId('recent-requests');
      await expect(requests.getByTestId('request-row')).toHaveCount(13);
      await expect(requests.locator('.http-bad')).toHaveCount(1);
      await expect(requests).toContainText('X-Request-Id');
      await expect(requests).toContainText(`mlwb labels add ${DEPLOYMENT} FILE`);
      await card.scrollIntoViewIfNeeded();
      await workbench.screenshot('monitor-08-deployment-card');
      await requests.scrollIntoViewIfNeeded();
      await workbench.screenshot('monitor-09-recent-requests');
    });

    await test.step('edit the monitor in place: a rule taken off resolves its alert; pause it', async () => {
      await page.goto(`${root}#/monitors/${MONITOR}`);
      await page.getByRole('button', { name: 'Edit…' }).click();
      const dialog = page.getByRole('dialog', { name: `Edit ${MONITOR}` });
      const rules = dialog.getByLabel('Rules', { exact: true });
      await expect(rules).toHaveValue('error_rate < 0.05\np95_latency_ms < 1000\naccuracy >= 0.9');
      await expect(dialog.getByLabel('Window', { exact: true })).toHaveValue('1h');
      await rules.fill('error_rate < 0.05\np95_latency_ms < 1000');
      await dialog.getByLabel('Window', { exact: true }).fill('30m');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await expect(dialog.getByRole('status')).toContainText('This alert was resolved');
      await expect(dialog.getByRole('status')).toContainText('accuracy >= 0.9');
      await workbench.screenshot('monitor-09b-edit-resolved');
      await dialog.getByRole('button', { name: 'Close' }).click();
      await expect(dialog).toBeHidden();
      const settings = page.getByTestId('monitor-settings');
      await expect(settings).not.toContainText('accuracy >= 0.9');
      await expect(settings).toContainText('last 30 min');
      await expect(page.getByTestId('monitor-firing').getByTestId('alert-row')).toHaveCount(2);

      await page.getByRole('button', { name: 'Pause', exact: true }).click();
      await expect(page.getByRole('button', { name: 'Resume', exact: true })).toBeVisible();
      await expect(settings).toContainText('paused: Check now still works');
      await expect(page.locator('.page-header').getByTestId('paused')).toHaveText('Paused');
      await workbench.screenshot('monitor-09c-paused');
      const stored = (await invoke(page, 'monitors.get', { name: MONITOR })).result as {
        monitor: { enabled: boolean; windowSeconds: number };
      };
      expect(stored.monitor).toMatchObject({ enabled: false, windowSeconds: 1800 });
      // The accuracy alert resolved: two fire.
      await expect(page.getByTestId('firing-badge')).toHaveText('2');
    });

    await test.step("a terminal's mlwb changes and checks the monitor: the open page follows, its alert is a toast", async () => {
      const update = await mlwb(
        workbench.home,
        'monitors',
        'update',
        MONITOR,
        '--add-rule',
        'requests >= 100000',
      );
      expect(update.code).toBe(0);
      const settings = page.getByTestId('monitor-settings');
      // No reload: the app heard the terminal's change through the store's event journal.
      await expect(settings).toContainText('requests >= 100000');
      // A check from the terminal alerts (exit 3 there), and says so here too.
      const { code } = await mlwb(workbench.home, 'monitors', 'run', MONITOR);
      expect(code).toBe(3);
      const toast = page.getByTestId('alert-toast').filter({ hasText: 'requests >= 100000' });
      await expect(toast).toBeVisible();
      await expect(page.getByTestId('firing-badge')).toHaveText('3');
      await workbench.screenshot('monitor-09e-toast-from-terminal');
      await toast.getByRole('button', { name: 'Dismiss' }).click();
      const removed = await mlwb(
        workbench.home,
        'monitors',
        'update',
        MONITOR,
        '--remove-rule',
        'requests >= 100000',
      );
      expect(removed.code).toBe(0);
      await expect(page.getByTestId('firing-badge')).toHaveText('2');
    });

    await test.step('Settings: desktop notifications of alerts, once the browser allows them', async () => {
      await page.context().grantPermissions(['notifications']);
      await page.goto(`${root}#/settings`);
      const card = page.getByTestId('notifications-card');
      const box = card.getByRole('checkbox', { name: /desktop notification/ });
      await expect(box).not.toBeChecked();
      await box.check();
      await expect(box).toBeChecked();
      await card.scrollIntoViewIfNeeded();
      await workbench.screenshot('monitor-09d-settings-notifications');
      await page.reload();
      await expect(
        page.getByTestId('notifications-card').getByRole('checkbox', { name: /desktop notification/ }),
      ).toBeChecked();
    });

    await test.step('remove the monitor: its alerts go with it', async () => {
      await page.goto(`${root}#/monitors/${MONITOR}`);
      await page.getByRole('button', { name: 'Remove…' }).click();
      await page
        .getByRole('dialog', { name: `Remove ${MONITOR}?` })
        .getByRole('button', { name: 'Remove' })
        .click();
      await expect(page).toHaveURL(/#\/monitors$/);
      await expect(page.getByRole('heading', { name: 'No monitors yet' })).toBeVisible();
      expect(((await invoke(page, 'alerts.list', {})).result as { alerts: unknown[] }).alerts).toEqual([]);
      await expect(page.getByTestId('firing-badge')).toHaveCount(0);
    });
    expect(workbench.problems).toEqual([]);
  } finally {
    await cleanUp(page);
  }
});
