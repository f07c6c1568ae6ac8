/**
 * Deployments in the real app against the real engine: two versions registered from the example
 * classifier's model, the first deployed from its version page (as one container), seen running
 * at its URL, asked through the try-it form with a row of its data, replaced by the second
 * (health-gated: "replaced"), then not replaced by a third that never gets ready ("rolled back",
 * with why), stopped and removed. And deployed from the model page by its alias, which it follows
 * when the alias moves. Screenshots of each state.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { BROKEN_SIGNATURE, brokenOnnx } from '../electron/core/deploy/testing/brokenOnnx.ts';
import { writeTree } from '../electron/core/testing/fileTree.ts';
import { removeDeployments, removeModelImages } from './engineCleanup.ts';
import { addDatasetVersion, expect, invoke, mlflowPost, requireEngine, test } from './workbench.ts';

const FIXTURES = path.resolve('electron/core/registry/fixtures');
const EXAMPLE_DATA = path.resolve('resources/recipes/sklearn-classifier/example-data');
/** Its own model name, so its images are told apart from other tests'. */
const MODEL = 'e2e-deploy-iris';

const IRIS = {
  'model.onnx': fs.readFileSync(path.join(FIXTURES, 'iris-logreg.onnx')),
  'signature.json': fs.readFileSync(path.join(FIXTURES, 'iris-logreg.signature.json')),
};

/** A finished run holding a model (the example classifier's), registered as the next version of MODEL. */
async function registerVersion(
  page: Parameters<typeof invoke>[0],
  home: string,
  model: Record<string, Buffer | string> = IRIS,
): Promise<number> {
  const created = await mlflowPost<{ run: { info: { run_id: string } } }>(page, 'runs/create', {
    experiment_id: '0',
    run_name: 'deploy-fixture',
  });
  const runId = created.run.info.run_id;
  await mlflowPost(page, 'runs/update', { run_id: runId, status: 'FINISHED', end_time: Date.now() });
  writeTree(path.join(home, 'runs', runId, 'output', 'model'), model);
  const registered = await invoke(page, 'models.register', { runId, name: MODEL });
  expect(registered.error, JSON.stringify(registered.error)).toBeUndefined();
  return (registered.result as { version: number }).version;
}

/** The engine's leftovers of this test: its deployments (if a step failed before Remove) and images. */
async function cleanUp(page: Parameters<typeof invoke>[0]) {
  await removeDeployments(page);
  removeModelImages(MODEL);
}

test('deployments: deploy from the version page, try it, replace, stop, remove', async ({
  page,
  workbench,
}) => {
  test.setTimeout(300_000);
  await requireEngine(page);
  const root = workbench.url.split('#')[0];
  try {
    await page.getByRole('link', { name: 'Deployments' }).click();
    await expect(page.getByRole('heading', { name: 'Nothing deployed yet' })).toBeVisible();
    await workbench.screenshot('deploy-01-empty');

    await addDatasetVersion(page, 'iris', [EXAMPLE_DATA]);
    expect(await registerVersion(page, workbench.home)).toBe(1);
    expect(await registerVersion(page, workbench.home)).toBe(2);

    await test.step('deploy v1 from its page, as one container', async () => {
      await page.goto(`${root}#/models/${MODEL}/1`);
      await page.getByRole('button', { name: 'Deploy…' }).click();
      const dialog = page.getByRole('dialog', { name: `Deploy ${MODEL}` });
      await expect(dialog.getByLabel('Deployment name')).toHaveValue(MODEL);
      await expect(dialog.getByLabel('Version to deploy')).toHaveValue('1');
      // The CI engine is also a Swarm manager: a single container is asked for explicitly.
      await dialog.getByText('Container', { exact: true }).click();
      await workbench.screenshot('deploy-02-dialog');
      await dialog.getByRole('button', { name: 'Deploy', exact: true }).click();
      await expect(dialog.getByTestId('op-progress')).toBeVisible();
      await workbench.screenshot('deploy-03-deploying');
      await expect(page).toHaveURL(new RegExp(`#/deployments/${MODEL}$`), { timeout: 180_000 });
    });

    await test.step('it runs at its URL, with live figures', async () => {
      await expect(page.getByTestId('deployment-status').first()).toHaveAttribute('data-status', 'running', {
        timeout: 60_000,
      });
      await expect(page.getByTestId('deployment-url')).toHaveText(/^http:\/\/127\.0\.0\.1:\d+$/);
      await expect(page.getByTestId('served-version')).toHaveText(`${MODEL}@v1`);
      await expect(page.getByTestId('live-figures')).toContainText('requests served');
    });

    await test.step('try it with a row of its data', async () => {
      const tryIt = page.getByTestId('try-it');
      await tryIt.getByText('Fill from a dataset row or a pasted row').click();
      await expect(tryIt.getByLabel('Row dataset', { exact: true })).toHaveValue('');
      await tryIt.getByLabel('Row dataset', { exact: true }).selectOption('iris');
      await tryIt.getByLabel('Row index').fill('1');
      await tryIt.getByRole('button', { name: 'Fill from the row' }).click();
      await expect(tryIt.getByTestId('row-fill-note')).toContainText('Filled from row 1 of 300');
      await expect(tryIt.getByLabel('sepal_length')).toHaveValue('4.71');
      await tryIt.getByRole('button', { name: 'Send' }).click();
      await expect(tryIt.getByTestId('try-status')).toHaveText('200');
      await expect(tryIt.getByTestId('class-answer')).toContainText('setosa');
      const url = await page.getByTestId('deployment-url').textContent();
      await expect(tryIt.getByTestId('curl-command')).toContainText(`curl -s -X POST '${url}/invocations'`);
      await expect(tryIt.getByTestId('curl-command')).toContainText('"sepal_length":4.71');

      // The same row through the Open Inference Protocol.
      await tryIt.getByText('Open Inference Protocol').click();
      await tryIt.getByRole('button', { name: 'Send' }).click();
      await expect(tryIt.getByTestId('try-json')).toContainText('"outputs"');
      await expect(tryIt.getByTestId('curl-command')).toContainText(`/v2/models/${MODEL}/infer`);
      await tryIt.getByText('MLflow /invocations').click();
      await tryIt.getByRole('button', { name: 'Send' }).click();
      await expect(tryIt.getByTestId('class-answer')).toContainText('setosa');
      // The three answers are in the deployment's recent requests at once, not at the next poll.
      await expect(page.getByTestId('recent-requests').getByTestId('request-row')).toHaveCount(3, {
        timeout: 5000,
      });
      await tryIt.scrollIntoViewIfNeeded();
      await workbench.screenshot('deploy-04-try-it');
    });

    await test.step('the list shows it running, with its requests counted', async () => {
      await page.getByRole('link', { name: 'Deployments' }).first().click();
      const row = page.getByTestId('deployment-row');
      await expect(row).toHaveCount(1);
      await expect(row.getByTestId('deployment-status')).toHaveAttribute('data-status', 'running');
      await expect(row.getByTestId('served-version')).toHaveText(`${MODEL}@v1`);
      await workbench.screenshot('deploy-05-list');
      await row.getByRole('link', { name: MODEL, exact: true }).click();
      await expect(page.getByTestId('live-figures')).toContainText(/[1-9]\d* requests served/);
      await workbench.screenshot('deploy-06-detail-running');
    });

    await test.step('update to v2: replaced, health-gated', async () => {
      const card = page.getByTestId('update-card');
      await card.getByLabel('Update to').selectOption('2');
      await card.getByRole('button', { name: 'Update' }).click();
      const outcome = card.getByTestId('replacement');
      await expect(outcome).toHaveAttribute('data-outcome', 'replaced', { timeout: 180_000 });
      await expect(outcome).toContainText('Replaced: v2 serves now (was v1).');
      await expect(page.getByTestId('served-version')).toHaveText(`${MODEL}@v2`);
      await expect(page.getByTestId('deployment-history')).toContainText('replaced');
      // The logs are the serving container's: the new version's.
      await expect(page.getByTestId('deployment-log')).toContainText(`loading ${MODEL} version 2`);
      await workbench.screenshot('deploy-07-replaced');
    });

    await test.step('update to a v3 that never gets ready: rolled back, v2 keeps serving', async () => {
      // It loads, but its warm-up fails, so the server exits before it is ready.
      const broken = { 'model.onnx': brokenOnnx(), 'signature.json': BROKEN_SIGNATURE };
      expect(await registerVersion(page, workbench.home, broken)).toBe(3);
      const card = page.getByTestId('update-card');
      await card.getByLabel('Update to').selectOption('3');
      await card.getByRole('button', { name: 'Update' }).click();
      const outcome = card.getByTestId('replacement');
      await expect(outcome).toHaveAttribute('data-outcome', 'rolled-back', { timeout: 180_000 });
      await expect(outcome).toContainText('Rolled back: v3 did not become ready, so v2 keeps serving.');
      await expect(outcome.locator('.rollback-reason')).not.toBeEmpty();
      await expect(page.getByTestId('served-version')).toHaveText(`${MODEL}@v2`);
      await expect(page.getByTestId('deployment-status').first()).toHaveAttribute('data-status', 'running');
      await expect(page.getByTestId('deployment-history')).toContainText('rolled-back');
      // It still answers.
      const tryIt = page.getByTestId('try-it');
      await tryIt.getByText('Fill from a dataset row or a pasted row').click();
      await tryIt.getByLabel('Pasted row').fill('6.77,2.75,5.14,1.95');
      await tryIt.getByRole('button', { name: 'Fill from the pasted row' }).click();
      await tryIt.getByRole('button', { name: 'Send' }).click();
      await expect(tryIt.getByTestId('class-answer')).toContainText('virginica');
      await card.scrollIntoViewIfNeeded();
      await workbench.screenshot('deploy-08-rolled-back');
    });

    await test.step('stop, then remove', async () => {
      await page.getByRole('button', { name: 'Stop' }).click();
      await expect(page.getByTestId('deployment-status').first()).toHaveAttribute('data-status', 'stopped', {
        timeout: 60_000,
      });
      await expect(page.getByRole('button', { name: 'Start' })).toBeVisible();
      await workbench.screenshot('deploy-09-stopped');
      await page.getByRole('button', { name: 'Remove…' }).click();
      const confirm = page.getByRole('dialog', { name: `Remove ${MODEL}?` });
      await confirm.getByRole('button', { name: 'Remove' }).click();
      await expect(page.getByRole('heading', { name: 'Nothing deployed yet' })).toBeVisible({
        timeout: 60_000,
      });
    });
    expect(workbench.problems).toEqual([]);
  } finally {
    await cleanUp(page);
  }
});

test('deployments: deploy by alias from the model page, and follow the alias when it moves', async ({
  page,
  workbench,
}) => {
  test.setTimeout(240_000);
  await requireEngine(page);
  const root = workbench.url.split('#')[0];
  try {
    expect(await registerVersion(page, workbench.home)).toBe(1);
    expect(await registerVersion(page, workbench.home)).toBe(2);
    const moved = await invoke(page, 'models.setAlias', { name: MODEL, version: 1, alias: 'champion' });
    const op = (moved.result as { op: string }).op;
    await expect
      .poll(async () => ((await invoke(page, 'ops.get', { op })).result as { state: string }).state)
      .toBe('succeeded');

    await page.goto(`${root}#/models/${MODEL}`);
    await page.getByRole('button', { name: 'Deploy…' }).click();
    const dialog = page.getByRole('dialog', { name: `Deploy ${MODEL}` });
    // The alias is proposed, and following it.
    await expect(dialog.getByLabel('Version to deploy')).toHaveValue('@champion');
    await expect(dialog.getByRole('checkbox', { name: /Follow the alias/ })).toBeChecked();
    await dialog.getByText('Container', { exact: true }).click();
    await workbench.screenshot('follow-01-dialog');
    await dialog.getByRole('button', { name: 'Deploy', exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`#/deployments/${MODEL}$`), { timeout: 180_000 });
    await expect(page.getByTestId('served-version')).toHaveText(`${MODEL}@v1`);
    await expect(page.getByTestId('alias-note')).toHaveText('follows champion');

    // Moving the alias on the model page replaces the deployment, health-gated, and says so.
    await page.goto(`${root}#/models/${MODEL}`);
    const move = page.getByTestId('move-alias');
    await move.getByLabel('Version to alias').selectOption('2');
    await move.getByRole('button', { name: 'Set alias' }).click();
    await expect(move.getByTestId('followed-deployments')).toContainText(
      `Deployment ${MODEL} now serves v2.`,
      {
        timeout: 180_000,
      },
    );
    await workbench.screenshot('follow-02-alias-moved');
    await move.getByRole('link', { name: MODEL }).click();
    await expect(page.getByTestId('served-version')).toHaveText(`${MODEL}@v2`);
    await expect(page.getByTestId('alias-note')).toHaveText('follows champion');
    await workbench.screenshot('follow-03-deployment');
    expect(workbench.problems).toEqual([]);
  } finally {
    await cleanUp(page);
  }
});

test('deployments: one on an engine that no longer answers is refused removal, and can be forgotten', async ({
  page,
  workbench,
}) => {
  test.setTimeout(180_000);
  await requireEngine(page);
  const root = workbench.url.split('#')[0];
  const name = 'e2e-ghost';
  // The local engine under a second name, reached through a relay on a loopback port: closing the
  // relay is an engine that stops answering, as a remote machine that was switched off does.
  const relayed = new Set<net.Socket>();
  const relay = net.createServer((c) => {
    const engine = net.connect('/var/run/docker.sock');
    for (const s of [c, engine]) {
      relayed.add(s);
      s.on('error', () => {
        c.destroy();
        engine.destroy();
      });
      s.on('close', () => relayed.delete(s));
    }
    c.pipe(engine).pipe(c);
  });
  const relayPort = await new Promise<number>((r) =>
    relay.listen(0, '127.0.0.1', () => r((relay.address() as net.AddressInfo).port)),
  );
  const switchOff = () => {
    relay.close();
    for (const s of relayed) s.destroy();
  };
  /** The deployment's containers, fronts stopped first so that their rules go. */
  const removeLeftovers = () => {
    for (const role of ['model', 'front']) {
      const left = execFileSync('docker', [
        'ps',
        '-aq',
        '--filter',
        `label=dev.mlops-workbench.deployment=${name}`,
        '--filter',
        `label=dev.mlops-workbench.deployment.role=${role}`,
      ])
        .toString()
        .split('\n')
        .filter(Boolean);
      if (left.length) {
        execFileSync('docker', ['stop', '-t', '5', ...left]);
        execFileSync('docker', ['rm', '-f', '-v', ...left]);
      }
    }
    execFileSync('sh', ['-c', `docker volume rm mlwb-dep-${name}-state >/dev/null 2>&1 || true`]);
  };
  try {
    expect(await registerVersion(page, workbench.home)).toBe(1);
    const added = await invoke(page, 'engines.add', {
      name: 'relayed',
      host: `tcp://127.0.0.1:${relayPort}`,
    });
    expect(added.error, JSON.stringify(added.error)).toBeUndefined();
    const made = await invoke(page, 'deployments.create', {
      model: MODEL,
      version: 1,
      engine: 'relayed',
      mode: 'container',
      name,
    });
    expect(made.error, JSON.stringify(made.error)).toBeUndefined();
    const op = (made.result as { op: string }).op;
    await expect
      .poll(async () => ((await invoke(page, 'ops.get', { op })).result as { state: string }).state, {
        timeout: 150_000,
      })
      .toBe('succeeded');
    // Switched off, with what ran there: the same engine is this home's default one too, which
    // would otherwise find the containers again by their labels (as it should).
    switchOff();
    removeLeftovers();

    await page.goto(`${root}#/deployments/${name}`);
    await expect(page.getByTestId('deployment-status').first()).toHaveAttribute('data-status', 'unknown');
    await page.getByRole('button', { name: 'Remove…' }).click();
    await page
      .getByRole('dialog', { name: `Remove ${name}?` })
      .getByRole('button', { name: 'Remove' })
      .click();
    await expect(page.getByText(/Not removed\./)).toBeVisible({ timeout: 30_000 });
    await expect(page.getByText(/does not answer.*remove it with --force/)).toBeVisible();
    await workbench.screenshot('forget-01-refused');
    await page.getByRole('button', { name: 'Forget it' }).click();
    await expect(page).toHaveURL(/#\/deployments$/, { timeout: 30_000 });
    await expect(page.getByRole('link', { name })).toHaveCount(0);
    await workbench.screenshot('forget-02-forgotten');
    expect((await invoke(page, 'deployments.list', {})).result).toEqual([]);
  } finally {
    switchOff();
    removeLeftovers();
    await cleanUp(page);
  }
});
