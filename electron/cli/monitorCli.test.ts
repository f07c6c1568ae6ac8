/**
 * `mlwb monitors`, `alerts`, `labels` and `drift --current deployment:…` as a CI pipeline uses
 * them, each command its own process, against a deployment in the real engine: the example
 * classifier, trained (by its lineage) on the example iris table, answers requests whose ids the
 * client chose; its container's request log is read into the store; a check of the traffic passes,
 * then fails (exit 3, one JSON document) once the traffic moves; labels give realized accuracy.
 * Without an engine these are skipped with the reason, unless MLWB_REQUIRE_DOCKER=1.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { removeHomeDeployments } from '../core/testing/engineLeftovers.ts';
import { runWithOutputs } from '../core/testing/runFixtures.ts';
import { tempDirs } from '../core/testing/tempDirs.ts';
import { dockerSkipReason } from '../core/testing/trainingFixtures.ts';
import { openWorkbench } from '../core/workbench.ts';
import { mlwbJson as json, mlwb } from './testing/mlwbProcess.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const fixtures = path.join(root, 'electron', 'core', 'registry', 'fixtures');
const TRAIN = path.join(root, 'resources', 'recipes', 'sklearn-classifier', 'example-data', 'train.csv');
const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const dirs = tempDirs();

const skip = await dockerSkipReason(['mlwb/node-runtime:bookworm', 'mlwb/netfront:bookworm']);
if (skip) console.warn(`monitoring CLI tests skipped: ${skip}`);

let home = '';
afterAll(async () => {
  if (home) await removeHomeDeployments(home);
}, 120_000);

const table = fs
  .readFileSync(TRAIN, 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => {
    const v = l.split(',');
    return { x: v.slice(0, 4).map(Number), y: v[4]! };
  });

/** Rows to /invocations under a chosen request id; the predicted labels. */
async function score(url: string, id: string, rows: number[][]): Promise<string[]> {
  const res = await fetch(`${url}/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': id },
    body: JSON.stringify({ dataframe_split: { columns: FEATURES, data: rows } }),
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('x-request-id')).toBe(id);
  const body = (await res.json()) as { predictions: { label: string }[] };
  return body.predictions.map((p) => p.label);
}

async function loggedRequests(n: number): Promise<{ id: string }[]> {
  for (let i = 0; i < 100; i++) {
    const { requests } = await json(home, 'deployments', 'requests', 'iris-mon', '--limit', '1000');
    if (requests.length >= n) return requests;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the deployment never logged ${n} requests`);
}

describe.skipIf(Boolean(skip))('mlwb monitors and policies', () => {
  it('checks a deployment in the engine: passes, then fails with exit 3 when the traffic drifts', async () => {
    home = dirs.make();
    const wb = await openWorkbench(home);
    let run: string;
    try {
      const ctx = { signal: new AbortController().signal, progress: () => {} };
      const { version, digest } = await wb.datasets.add({ name: 'iris', paths: [TRAIN], message: '' }, ctx);
      run = runWithOutputs(
        wb,
        {
          'model/model.onnx': fs.readFileSync(path.join(fixtures, 'iris-logreg.onnx')),
          'model/signature.json': fs.readFileSync(path.join(fixtures, 'iris-logreg.signature.json')),
        },
        { trainedOn: { dataset: 'iris', version, digest } },
      );
    } finally {
      await wb.close();
    }
    await json(home, 'model', 'register', run, '--name', 'iris');
    const d = await json(home, 'deploy', 'iris@1', '--mode', 'container', '--name', 'iris-mon');

    expect(await json(home, 'monitors', 'list')).toEqual({ monitors: [] });
    expect((await mlwb(home, 'monitors', 'list')).stdout).toMatch(/No monitors yet/);
    const added = await json(
      home,
      'monitors',
      'add',
      'iris-mon',
      '--every',
      '0',
      '--min-rows',
      '100',
      '--window',
      '1h',
      '--rule',
      'error_rate < 0.05',
      '--rule',
      'accuracy >= 0.8',
    );
    expect(added.monitor).toMatchObject({ name: 'iris-mon-monitor', windowSeconds: 3600, everySeconds: 0 });

    // 150 rows like the training data, in requests of 10.
    const predicted = new Map<string, string[]>();
    for (let i = 0; i < 15; i++) {
      const rows = table.slice(i * 10, i * 10 + 10).map((r) => r.x);
      predicted.set(`ci-${i}`, await score(d.url, `ci-${i}`, rows));
    }
    const requests = await loggedRequests(15);
    expect(requests.map((r) => r.id).sort()).toEqual([...predicted.keys()].sort());

    const ok = await mlwb(home, 'monitors', 'run', 'iris-mon-monitor', '--json');
    expect(ok.code, ok.stderr).toBe(0);
    const passed = JSON.parse(ok.stdout);
    expect(passed).toMatchObject({ status: 'ok', reference: 'dataset:iris@1:train.csv', versions: [1] });
    expect(passed.metrics).toMatchObject({
      requests: 15,
      rows: 150,
      errors: 0,
      error_rate: 0,
      labeled_rows: 0,
    });
    expect(passed.metrics.drift_share).toBeLessThan(0.5);

    // Ground truth for the first five requests: realized accuracy, as the answers had it.
    const labels = path.join(dirs.make(), 'labels.csv');
    const truth = Array.from({ length: 50 }, (_, k) => ({
      id: `ci-${Math.floor(k / 10)}`,
      row: k % 10,
      y: table[k]!.y,
    }));
    fs.writeFileSync(
      labels,
      `request_id,row,label\n${truth.map((t) => `${t.id},${t.row},${t.y}`).join('\n')}\n`,
    );
    expect(await json(home, 'labels', 'add', 'iris-mon', labels)).toEqual({
      read: 50,
      matched: 50,
      unmatchedIds: [],
    });
    const right = truth.filter((t) => predicted.get(t.id)![t.row] === t.y).length;

    // Then the traffic moves: three features far past the training data.
    for (let i = 0; i < 15; i++)
      await score(
        d.url,
        `moved-${i}`,
        table.slice(i * 10, i * 10 + 10).map((r) => [r.x[0]! + 3, r.x[1]!, r.x[2]! + 3, r.x[3]! + 1.5]),
      );
    await loggedRequests(30);
    const failed = await mlwb(home, 'monitors', 'run', 'iris-mon-monitor', '--json');
    expect(failed.code).toBe(3);
    const alerting = JSON.parse(failed.stdout);
    expect(alerting.status).toBe('alerting');
    expect(alerting.metrics.drifted_columns).toBe(3);
    expect(alerting.metrics.labeled_rows).toBe(50);
    expect(alerting.metrics.accuracy).toBeCloseTo(right / 50, 12);
    const human = await mlwb(home, 'monitors', 'run', 'iris-mon-monitor');
    expect(human.code).toBe(3);
    expect(human.stdout).toMatch(/3 features drifted \(75\.0%\) against dataset:iris@1:train\.csv/);

    const firing = await json(home, 'alerts', 'list', '--state', 'firing');
    expect(firing.alerts).toEqual([
      expect.objectContaining({ monitor: 'iris-mon-monitor', rule: 'dataset drift', state: 'firing' }),
    ]);

    // drift's own deployment source, as a CI gate: the last 15 minutes of traffic.
    const gate = await mlwb(
      home,
      'drift',
      '--reference',
      'dataset:iris@1',
      '--current',
      'deployment:iris-mon:15m',
      '--json',
    );
    expect(gate.code).toBe(3);
    const report = JSON.parse(gate.stdout);
    expect(report.current.rows).toBe(300);
    expect(report.inputs.current).toMatchObject({ kind: 'deployment', deployment: 'iris-mon' });
    expect(report.columns.map((c: { column: string }) => c.column).sort()).toEqual([...FEATURES].sort());

    const shown = await json(home, 'monitors', 'show', 'iris-mon-monitor');
    expect(shown.runs).toHaveLength(3);
  }, 300_000);

  it('retrains through a policy: exit 0 once deployed, exit 3 when the gate refuses', async () => {
    // The served version came from a run with no recipe: the policy is told what to train.
    const none = await mlwb(home, 'policies', 'add', 'iris-mon', '--json');
    expect(none.code).toBe(1);
    expect(JSON.parse(none.stdout).error.message).toMatch(
      /There is no recipe at \/r \(the recipe iris v1 was trained with\).*--recipe DIR/,
    );
    const recipe = path.join(root, 'resources', 'recipes', 'sklearn-classifier');
    const { policy } = await json(
      home,
      'policies',
      'add',
      'iris-mon',
      '--recipe',
      recipe,
      '--dataset',
      'iris',
      '--param',
      'max_iter=30',
      '--monitor',
      'iris-mon-monitor',
      '--rule',
      'dataset drift',
      '--cooldown',
      '0',
    );
    expect(policy).toMatchObject({
      name: 'iris-mon-retrain',
      alias: 'champion',
      datasets: [{ channel: 'train', dataset: 'iris' }],
      params: { max_iter: '30' },
      triggers: { monitor: 'iris-mon-monitor', rules: ['dataset drift'], newData: false },
    });
    // The drift alert fired before the policy was made: nothing has triggered it since.
    const idle = await json(home, 'policies', 'run', 'iris-mon-retrain', '--if-triggered');
    expect(idle).toEqual({
      execution: null,
      reason: 'Nothing has triggered iris-mon-retrain since it last ran.',
    });

    const ran = await mlwb(home, 'policies', 'run', 'iris-mon-retrain', '--json');
    expect(ran.code, ran.stderr).toBe(0);
    const deployed = JSON.parse(ran.stdout).execution;
    expect(deployed).toMatchObject({ status: 'deployed', version: 2 });
    // No gate and no evaluation data: evaluation is skipped, saying why.
    expect(deployed.steps.map((s: { state: string }) => s.state)).toEqual([
      'done',
      'done',
      'skipped',
      'done',
      'done',
    ]);
    expect((await json(home, 'deployments', 'show', 'iris-mon')).version).toBe(2);

    await json(
      home,
      'model',
      'gate',
      'iris',
      'champion',
      '--dataset',
      'iris',
      '--label',
      'target',
      '--rule',
      'accuracy >= 1.01',
    );
    const refused = await mlwb(home, 'policies', 'run', 'iris-mon-retrain');
    expect(refused.code).toBe(3);
    expect(refused.stdout).toMatch(/iris-mon-retrain {2}rejected {2}v3/);
    expect(refused.stdout).toMatch(/✗ promote {2}failed {2}The gate of champion refused v3/);
    expect(refused.stdout).toMatch(/- deploy {3}skipped/);
    expect((await json(home, 'deployments', 'show', 'iris-mon')).version).toBe(2);
    const listed = await json(home, 'policies', 'list');
    expect(listed.policies[0].lastExecution.status).toBe('rejected');

    // Changed in place, paused and resumed, from the command line.
    const changed = await mlwb(
      home,
      'policies',
      'update',
      'iris-mon-retrain',
      '--param',
      'max_iter=35',
      '--cooldown',
      '10m',
      '--any-rule',
    );
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout).toMatch(
      /^iris-mon-retrain: retrains on alerts of iris-mon-monitor; cooldown 10m; alias champion; data train=iris; params (.* )?max_iter=35/,
    );
    expect((await json(home, 'policies', 'pause', 'iris-mon-retrain')).policy.enabled).toBe(false);
    expect((await mlwb(home, 'policies', 'list')).stdout).toMatch(/\(paused\) alerts of iris-mon-monitor/);
    expect((await mlwb(home, 'policies', 'resume', 'iris-mon-retrain')).stdout).toMatch(
      /iris-mon-retrain retrains again on alerts of iris-mon-monitor\./,
    );
    const both = await mlwb(home, 'policies', 'update', 'iris-mon-retrain', '--monitor', 'x', '--no-monitor');
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--monitor or --no-monitor, not both/);

    const mon = await mlwb(
      home,
      'monitors',
      'update',
      'iris-mon-monitor',
      '--window',
      '2h',
      '--add-rule',
      'requests >= 1',
      '--remove-rule',
      'accuracy>=0.8',
    );
    expect(mon.code, mon.stderr).toBe(0);
    expect(mon.stdout.trim()).toBe(
      "iris-mon-monitor: window 2h, by hand; checks drift against the model's training data; error_rate < 0.05; requests >= 1.",
    );
    // Drift off: its firing alert is resolved, and said so.
    const noDrift = await json(home, 'monitors', 'update', 'iris-mon-monitor', '--no-drift');
    expect(noDrift.resolved).toEqual(['dataset drift']);
    expect((await json(home, 'alerts', 'list', '--state', 'firing')).alerts).toEqual([]);
    await json(home, 'monitors', 'pause', 'iris-mon-monitor');
    expect((await mlwb(home, 'monitors', 'list')).stdout).toMatch(/by hand \(paused\)/);
    expect((await mlwb(home, 'monitors', 'show', 'iris-mon-monitor')).stdout).toMatch(
      /window 2h {2}every \(by hand\) {2}\(paused\)/,
    );

    expect(await json(home, 'policies', 'remove', 'iris-mon-retrain')).toEqual({ removed: true });
    expect(await json(home, 'deployments', 'remove', 'iris-mon')).toEqual({ removed: true });
    // A check that cannot be made: one JSON document saying why, exit 1, one error line.
    const orphan = await mlwb(home, 'monitors', 'run', 'iris-mon-monitor', '--json');
    expect(orphan.code).toBe(1);
    expect(JSON.parse(orphan.stdout)).toMatchObject({
      status: 'failed',
      note: expect.stringMatching(/no longer exists/),
    });
    expect(orphan.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^error: The deployment iris-mon no longer exists\. Remove this monitor/),
    ]);
    expect(await json(home, 'monitors', 'remove', 'iris-mon-monitor')).toEqual({ removed: true });
    expect(await json(home, 'alerts', 'list')).toEqual({ alerts: [] });
  }, 300_000);

  it('refuses what it cannot do with a message and exit code', async () => {
    const h = dirs.make();
    const noDeployment = await mlwb(h, 'monitors', 'add', 'nothing-here');
    expect(noDeployment.code).toBe(1);
    expect(noDeployment.stderr).toMatch(/^error: No deployment named nothing-here/);
    const badWindow = await mlwb(h, 'monitors', 'add', 'x', '--window', 'an hour');
    expect(badWindow.code).toBe(2);
    expect(badWindow.stderr).toMatch(/--window takes a duration such as 90s, 15m, 1h or 7d/);
    const noFile = await mlwb(h, 'labels', 'add', 'x');
    expect(noFile.code).toBe(2);
    const none = await mlwb(h, 'alerts', 'list', '--state', 'firing');
    expect(none.stdout).toMatch(/No alert is firing/);
  });
});
