/**
 * Continuous training in the real app against the real engine: the example classifier trained on
 * the iris dataset in the engine (so its version has lineage), registered, given the champion
 * alias and deployed by it. A policy is added in the dialog (a recipe folder that is not there
 * refused first, the server's message shown in the dialog), then Retrain now goes through the
 * pipeline to a deployed v2, leaving the page meanwhile without stopping it; the deployment's
 * page lists the policy. A monitor's page offers a policy on its alerts, its rules to pick. With
 * a gate on champion no model meets, Retrain now again is rejected at promote, deploy skipped, v2
 * serving on; the history holds both executions, each one's pipeline a click away. Screenshots of
 * each screen.
 */
import path from 'node:path';
import { removeDeployments, removeModelImages } from './engineCleanup.ts';
import { RECIPE, settled, trainAndRegister } from './engineModels.ts';
import { expect, invoke, requireEngine, test } from './workbench.ts';

/** Its own model name, so its images are told apart from other tests'. */
const MODEL = 'e2e-policy-iris';
const DEPLOYMENT = MODEL;
const POLICY = `${DEPLOYMENT}-retrain`;

type Page = Parameters<typeof invoke>[0];

const PROVOKED = /Failed to load resource: the server responded with a status of 400/;

/** The engine's leftovers of this test: its deployment and images. */
async function cleanUp(page: Page) {
  await removeDeployments(page, [DEPLOYMENT]);
  removeModelImages(MODEL);
}

test('policies: retrain a deployment through the pipeline, deployed, then refused by the gate', async ({
  page,
  workbench,
}) => {
  test.setTimeout(600_000);
  await requireEngine(page);
  const root = workbench.url.split('#')[0];
  try {
    await test.step('train on iris in the engine, register, alias champion, deploy by the alias (API)', async () => {
      await trainAndRegister(page, MODEL);
      await settled(
        page,
        await invoke(page, 'models.setAlias', { name: MODEL, version: 1, alias: 'champion' }),
      );
      await settled(
        page,
        await invoke(page, 'deployments.create', {
          model: MODEL,
          alias: 'champion',
          name: DEPLOYMENT,
          mode: 'container',
        }),
        180_000,
      );
    });

    await test.step('the Monitoring page says what a policy does, with no policy yet', async () => {
      await page.goto(`${root}#/monitors`);
      const card = page.getByTestId('policies-card');
      await expect(card.getByTestId('policies-empty')).toContainText('A retraining policy keeps');
      await card.scrollIntoViewIfNeeded();
      await workbench.screenshot('policy-01-empty');
    });

    await test.step('add a policy in the dialog: a missing recipe refused in it, then new data', async () => {
      await page.getByTestId('policies-card').getByRole('button', { name: 'Add policy…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Add retraining policy' });
      // The only deployment is proposed, with its alias and what made its version.
      await expect(dialog.getByLabel('Deployment to retrain')).toHaveValue(DEPLOYMENT);
      await expect(dialog.getByLabel('Alias', { exact: true })).toHaveAttribute('placeholder', 'champion');
      await expect(dialog.getByLabel('When its data gets a new version')).toBeChecked();
      await dialog.getByLabel('Evaluation dataset').selectOption('iris');
      await dialog.getByLabel('Evaluation label').fill('target');
      await dialog.getByText('What it trains (advanced)').click();
      await expect(dialog.getByTestId('policy-default')).toContainText('sklearn-classifier');
      await expect(dialog.getByTestId('policy-default')).toContainText('train=iris');
      await expect(dialog.getByTestId('policy-default')).toContainText('max_iter=50');
      await workbench.screenshot('policy-02-dialog');
      await dialog.getByLabel('Recipe folder').fill(path.join(workbench.scratch, 'no-recipe'));
      await dialog.getByRole('button', { name: 'Add policy' }).click();
      await expect(dialog.getByRole('alert')).toContainText('There is no recipe at');
      await expect(dialog).toBeVisible();
      await dialog.getByTestId('policy-advanced').scrollIntoViewIfNeeded();
      await workbench.screenshot('policy-03-dialog-refused');
      await dialog.getByLabel('Recipe folder').fill('');
      await dialog.getByRole('button', { name: 'Add policy' }).click();
      await expect(page).toHaveURL(new RegExp(`#/policies/${POLICY}$`));
      await expect(page.getByRole('heading', { name: 'Never run', exact: true })).toBeVisible();
      const settings = page.getByTestId('policy-settings');
      await expect(settings).toContainText(RECIPE);
      await expect(settings).toContainText('train=iris');
      await expect(settings).toContainText('max_iter=50');
      await expect(settings.getByTestId('policy-triggers-text')).toHaveText('a new version of its data');
      await expect(settings).toContainText('at most once per 1 h');
      await expect(settings).toContainText(`${MODEL}@champion`);
      await workbench.screenshot('policy-04-never-run');
    });

    const pipeline = page.getByTestId('pipeline');
    const step = (name: string) => pipeline.getByTestId(`step-${name}`);

    await test.step('Retrain now: the pipeline runs step by step and ends deployed, v2 serving', async () => {
      await page.getByRole('button', { name: 'Retrain now' }).first().click();
      await expect(page.getByTestId('op-progress')).toBeVisible();
      await expect(step('train')).toHaveAttribute('data-state', 'running');
      await expect(pipeline.getByTestId('step-run')).toBeVisible();
      await workbench.screenshot('policy-05-running');
      // Leaving the page does not stop it: open the run it trains, and come back.
      await pipeline.getByTestId('step-run').click();
      await expect(page).toHaveURL(/#\/runs\/[0-9A-Z]+$/);
      await page.goBack();
      await expect(pipeline).toHaveAttribute('data-status', 'deployed', { timeout: 300_000 });
      await expect(pipeline.locator('.pipeline-step')).toHaveCount(5);
      for (const name of ['train', 'register', 'evaluate', 'promote', 'deploy'])
        await expect(step(name)).toHaveAttribute('data-state', 'done');
      await expect(step('register')).toContainText(`${MODEL} v2`);
      await expect(step('evaluate')).toContainText('accuracy');
      await expect(step('evaluate')).toContainText('iris v1');
      await expect(step('promote')).toContainText('champion: v1 → v2');
      await expect(step('deploy')).toContainText(`${DEPLOYMENT} serves v2`);
      await expect(page.getByTestId('op-progress')).toHaveCount(0);
      await expect(page.getByRole('heading', { level: 1 }).getByTestId('execution-status')).toHaveAttribute(
        'data-status',
        'deployed',
      );
      await expect(page.getByTestId('execution-row')).toHaveCount(1);
      await workbench.screenshot('policy-06-deployed');
      // Its links open what each step made.
      await expect(step('train').getByTestId('step-run')).toHaveAttribute('href', /^#\/runs\/[0-9A-Z]+$/);
      await expect(step('register').getByRole('link', { name: `${MODEL} v2` })).toHaveAttribute(
        'href',
        `#/models/${MODEL}/2`,
      );
    });

    await test.step("the deployment's page serves v2 and lists the policy", async () => {
      await step('deploy').getByRole('link', { name: DEPLOYMENT }).click();
      await expect(page).toHaveURL(new RegExp(`#/deployments/${DEPLOYMENT}$`));
      await expect(page.getByTestId('served-version')).toHaveText(`${MODEL}@v2`);
      const policies = page.getByTestId('deployment-policies');
      await expect(policies.getByTestId('policy-row')).toHaveCount(1);
      await expect(policies.getByTestId('policy-row')).toContainText(POLICY);
      await expect(policies.getByTestId('execution-status')).toHaveAttribute('data-status', 'deployed');
      await policies.scrollIntoViewIfNeeded();
      await workbench.screenshot('policy-07-deployment-card');
    });

    await test.step("a monitor's page proposes a policy on its alerts, its rules listed to pick from", async () => {
      // Checked only when asked: no check runs on its own during the test.
      const added = await invoke(page, 'monitors.add', {
        deployment: DEPLOYMENT,
        everySeconds: 0,
        rules: ['error_rate < 0.05'],
      });
      expect(added.error, JSON.stringify(added.error)).toBeUndefined();
      const monitor = (added.result as { monitor: { name: string } }).monitor.name;
      await page.goto(`${root}#/monitors/${monitor}`);
      const card = page.getByTestId('monitor-policies');
      await expect(card).toContainText('No policy acts on its alerts.');
      await card.getByRole('button', { name: 'Add policy…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Add retraining policy' });
      await expect(dialog.getByLabel('Deployment to retrain')).toHaveValue(DEPLOYMENT);
      await expect(dialog.getByLabel('When a monitor alerts')).toBeChecked();
      await expect(dialog.getByLabel('Monitor', { exact: true })).toHaveValue(monitor);
      await expect(dialog.getByLabel('When its data gets a new version')).not.toBeChecked();
      await dialog.getByText('only the alerts of these rules:').click();
      const triggers = dialog.getByTestId('policy-triggers');
      await expect(triggers.locator('.rule-picks label')).toHaveText(['dataset drift', 'error_rate < 0.05']);
      await dialog.getByRole('button', { name: 'Add policy' }).click();
      await expect(triggers).toContainText('Tick at least one rule, or retrain on any of its alerts.');
      await triggers.scrollIntoViewIfNeeded();
      await workbench.screenshot('policy-08-dialog-monitor');
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await expect(dialog).toHaveCount(0);
    });

    await test.step('a gate no model meets: Retrain now is rejected at promote, deploy skipped', async () => {
      const gate = await invoke(page, 'models.setGate', {
        name: MODEL,
        alias: 'champion',
        dataset: 'iris',
        label: 'target',
        rules: ['accuracy >= 1.01'],
      });
      expect(gate.error, JSON.stringify(gate.error)).toBeUndefined();
      await page.goto(`${root}#/policies/${POLICY}`);
      await page.getByRole('button', { name: 'Retrain now' }).click();
      await expect(page.getByTestId('execution-row')).toHaveCount(2);
      await expect(pipeline).toHaveAttribute('data-status', 'rejected', { timeout: 300_000 });
      await expect(step('train')).toHaveAttribute('data-state', 'done');
      await expect(step('register')).toContainText(`${MODEL} v3`);
      await expect(step('evaluate')).toHaveAttribute('data-state', 'done');
      await expect(step('promote')).toHaveAttribute('data-state', 'failed');
      await expect(step('promote')).toContainText('the gate of champion refused v3: 1 of 1 rule failed');
      await expect(step('deploy')).toHaveAttribute('data-state', 'skipped');
      const stopped = page.getByTestId('step-stopped');
      await expect(stopped).toContainText('Promote refused: the version before keeps serving.');
      await expect(stopped.getByTestId('gate-rules')).toContainText('accuracy >= 1.01');
      await expect(stopped.getByTestId('gate-rules').locator('.gate-fail')).toHaveCount(1);
      await expect(page.getByTestId('op-progress')).toHaveCount(0);
      await workbench.screenshot('policy-09-rejected');
    });

    await test.step('the history holds both executions; a row shows its pipeline', async () => {
      const rows = page.getByTestId('execution-row');
      await expect(rows.nth(0).getByTestId('execution-status')).toHaveAttribute('data-status', 'rejected');
      await expect(rows.nth(1).getByTestId('execution-status')).toHaveAttribute('data-status', 'deployed');
      await expect(rows.nth(0).getByTestId('step-dots').locator('[data-state="skipped"]')).toHaveCount(1);
      await expect(rows.nth(1).getByTestId('step-dots').locator('[data-state="done"]')).toHaveCount(5);
      await rows.nth(1).click();
      await expect(page).toHaveURL(new RegExp(`#/policies/${POLICY}\\?execution=`));
      await expect(pipeline).toHaveAttribute('data-status', 'deployed');
      await expect(rows.nth(1)).toHaveAttribute('aria-selected', 'true');
      await rows.last().scrollIntoViewIfNeeded();
      await workbench.screenshot('policy-10-history');
      // The deployment still serves the version before.
      const dep = (await invoke(page, 'deployments.get', { name: DEPLOYMENT })).result as { version: number };
      expect(dep.version).toBe(2);
    });

    await test.step('edit the policy in place: a param and the cooldown; then pause it', async () => {
      await page.getByRole('button', { name: 'Edit…' }).click();
      const dialog = page.getByRole('dialog', { name: `Edit ${POLICY}` });
      await expect(dialog.getByLabel('Cooldown')).toHaveValue('1h');
      await dialog.getByLabel('Cooldown').fill('30m');
      await dialog.getByText('What it trains (advanced)').click();
      await expect(dialog.getByLabel('Recipe folder')).toHaveValue(RECIPE);
      const params = dialog.getByLabel('Params', { exact: true });
      const was = await params.inputValue();
      expect(was).toContain('max_iter=50');
      await params.fill(was.replace('max_iter=50', 'max_iter=60'));
      await workbench.screenshot('policy-10b-edit-dialog');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await expect(dialog).toBeHidden();
      const settings = page.getByTestId('policy-settings');
      await expect(settings).toContainText('max_iter=60');
      await expect(settings).toContainText('at most once per 30 min');
      await page.getByRole('button', { name: 'Pause', exact: true }).click();
      await expect(page.getByRole('button', { name: 'Resume', exact: true })).toBeVisible();
      await expect(page.locator('.page-header').getByTestId('paused')).toHaveText('Paused');
      await workbench.screenshot('policy-10c-paused');
      const stored = (await invoke(page, 'policies.get', { name: POLICY })).result as {
        policy: { enabled: boolean; cooldownSeconds: number; params: Record<string, unknown> };
      };
      expect(stored.policy).toMatchObject({ enabled: false, cooldownSeconds: 1800 });
      expect(String(stored.policy.params.max_iter)).toBe('60');
    });

    await test.step('the Monitoring page lists the policy with its last execution', async () => {
      await page.getByRole('link', { name: 'Monitoring' }).first().click();
      const row = page.getByTestId('policies-table').getByTestId('policy-row');
      await expect(row).toHaveCount(1);
      await expect(row).toContainText(POLICY);
      await expect(row).toContainText(`${MODEL}@champion`);
      await expect(row).toContainText('a new version of its data');
      await expect(row).toContainText('(paused)');
      await expect(row.getByTestId('execution-status')).toHaveAttribute('data-status', 'rejected');
      await expect(row).toContainText('v3');
      await page.getByTestId('policies-card').scrollIntoViewIfNeeded();
      await workbench.screenshot('policy-11-list');
    });
    // The missing recipe was refused with a 400, which Chromium logs once; nothing else may fail.
    expect(workbench.problems.filter((p) => !PROVOKED.test(p))).toEqual([]);
    expect(workbench.problems.filter((p) => PROVOKED.test(p))).toHaveLength(1);
  } finally {
    await cleanUp(page);
  }
});
