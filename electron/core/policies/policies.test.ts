/**
 * Continuous training against real parts: the example classifier recipe trained in the Docker
 * engine, registered, evaluated with onnxruntime, promoted through a gate, and deployed in the
 * engine, replaced health-gated by the policy's pipeline; triggers from a real monitor's alert and
 * from a new dataset version.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { expectErrorCode } from '../testing/errorCodes.ts';
import { recordCheck } from '../testing/monitoringFixtures.ts';
import { tempDirs } from '../testing/tempDirs.ts';
import { testWorkbench } from '../testing/testWorkbench.ts';
import { dockerSkipReason, IMAGE } from '../testing/trainingFixtures.ts';

const recipes = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../resources/recipes');
const EXAMPLE = path.join(recipes, 'sklearn-classifier', 'example-data');
const skipReason = await dockerSkipReason([IMAGE, 'mlwb/node-runtime:bookworm', 'mlwb/netfront:bookworm']);
const app = testWorkbench();
const dirs = tempDirs();

beforeAll(async () => {
  if (skipReason) return;
  await app.api.call('datasets.add', { name: 'iris', paths: [EXAMPLE] });
  const { runs } = await app.api.call('runs.start', {
    recipe: path.join(recipes, 'sklearn-classifier'),
    datasets: [{ channel: 'train', dataset: 'iris' }],
    params: { max_iter: 30 },
  });
  const [done] = (await app.api.call('runs.wait', { ids: runs })).runs;
  expect(done!.status).toBe('FINISHED');
  await app.api.call('models.register', { runId: done!.id, name: 'iris' });
  await app.api.call('models.setGate', {
    name: 'iris',
    alias: 'champion',
    dataset: 'iris',
    label: 'target',
    rules: ['accuracy >= 0.8'],
  });
  expect((await app.api.call('models.setAlias', { name: 'iris', version: 1, alias: 'champion' })).moved).toBe(
    true,
  );
  await app.api.call('deployments.create', {
    model: 'iris',
    alias: 'champion',
    name: 'iris-ct',
    mode: 'container',
  });
}, 300_000);

afterAll(async () => {
  if (skipReason) return;
  await app.api.call('deployments.remove', { name: 'iris-ct', force: true }).catch(() => {});
}, 120_000);

describe.skipIf(Boolean(skipReason))(
  `continuous training${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    it('takes what to train from the served version, and refuses what it cannot do', async () => {
      const { policy } = await app.api.call('policies.add', {
        deployment: 'iris-ct',
        newData: true,
        cooldownSeconds: 0,
      });
      expect(policy).toMatchObject({
        name: 'iris-ct-retrain',
        model: 'iris',
        alias: 'champion',
        recipe: path.join(recipes, 'sklearn-classifier'),
        datasets: [{ channel: 'train', dataset: 'iris' }],
        params: { max_iter: 30 },
        triggers: { monitor: null, rules: null, newData: true },
      });
      // Nothing new since the served version was trained.
      expect(app.wb.policies.due('iris-ct-retrain')).toBeNull();
      // A param named replaces that one param; the others stay the served version's.
      const { policy: tuned } = await app.api.call('policies.add', {
        deployment: 'iris-ct',
        name: 'tuned',
        params: { max_iter: 40 },
      });
      expect(tuned.params).toMatchObject({ max_iter: 40, label: 'target' });
      await app.api.call('policies.remove', { name: 'tuned' });
      await expectErrorCode(
        app.api.call('policies.add', { deployment: 'nope' }),
        'NOT_FOUND',
        /No deployment named nope/,
      );
      await expectErrorCode(
        app.api.call('policies.add', { deployment: 'iris-ct', name: 'x', monitor: 'no-such-monitor' }),
        'NOT_FOUND',
        /No monitor named no-such-monitor/,
      );
      await expectErrorCode(
        app.api.call('policies.add', { deployment: 'iris-ct', name: 'y', rules: ['dataset drift'] }),
        'INVALID_INPUT',
        /name the monitor too/,
      );
    });

    it('retrains on new data: train, register, evaluate, promote through the gate, replace the deployment', async () => {
      // A second version of the data: the training table with its rows once more.
      const v2 = dirs.make();
      const table = fs.readFileSync(path.join(EXAMPLE, 'train.csv'), 'utf8').trim().split('\n');
      fs.writeFileSync(path.join(v2, 'train.csv'), `${[...table, ...table.slice(1, 51)].join('\n')}\n`);
      await app.api.call('datasets.add', { name: 'iris', paths: [v2] });
      expect(app.wb.policies.due('iris-ct-retrain')).toEqual({
        kind: 'new-data',
        reason: 'iris has a new version (v2; trained on v1)',
      });

      const phases: string[] = [];
      const { execution, reason } = await app.api.call(
        'policies.run',
        { name: 'iris-ct-retrain', ifTriggered: true },
        { onProgress: (p) => phases.push(p.phase) },
      );
      expect(reason).toBeNull();
      expect(execution).toMatchObject({ status: 'deployed', version: 2, trigger: { kind: 'new-data' } });
      expect(execution!.steps.map((s) => [s.name, s.state])).toEqual([
        ['train', 'done'],
        ['register', 'done'],
        ['evaluate', 'done'],
        ['promote', 'done'],
        ['deploy', 'done'],
      ]);
      expect(new Set(phases)).toEqual(new Set(['train', 'register', 'evaluate', 'promote', 'deploy']));
      const [train, , evaluate, promote] = execution!.steps;
      expect(train!.detail.datasets).toEqual({ iris: 2 });
      expect(evaluate!.detail.dataset).toBe('iris@2:train.csv');
      expect(evaluate!.detail.metrics).toMatchObject({ accuracy: expect.any(Number) });
      expect(promote!.message).toBe('champion: v1 → v2');

      // The new version was trained on the new data, holds the alias, and serves.
      const v = (await app.api.call('models.version', { name: 'iris', version: 2 })).version;
      expect(v.lineage?.datasets).toEqual([expect.objectContaining({ dataset: 'iris', version: 2 })]);
      expect(v.aliases).toEqual(['champion']);
      const d = await app.api.call('deployments.get', { name: 'iris-ct' });
      expect(d).toMatchObject({ version: 2, status: 'running' });
      const answer = await fetch(`${d.url}/v2/models/iris`);
      expect(((await answer.json()) as { versions: string[] }).versions).toEqual(['2']);
      // The alias's history says why it moved.
      const history = (await app.api.call('models.get', { name: 'iris' })).history;
      expect(history.find((h) => h.to === 2)).toMatchObject({
        to: 2,
        kind: 'gate',
        reason: expect.stringMatching(/policy iris-ct-retrain: iris has a new version/),
      });

      // Trained on the newest data now: nothing triggers it again.
      expect(app.wb.policies.due('iris-ct-retrain')).toBeNull();
      const idle = await app.api.call('policies.run', { name: 'iris-ct-retrain', ifTriggered: true });
      expect(idle).toEqual({
        execution: null,
        reason: 'Nothing has triggered iris-ct-retrain since it last ran.',
      });
    }, 300_000);

    it("stops at a gate that refuses: the deployment keeps serving the champion, and a monitor's alert triggers", async () => {
      await app.api.call('monitors.add', {
        deployment: 'iris-ct',
        everySeconds: 0,
        rules: ['requests >= 1000'],
      });
      await app.api.call('policies.add', {
        deployment: 'iris-ct',
        name: 'on-alert',
        monitor: 'iris-ct-monitor',
        rules: ['requests >= 1000'],
        cooldownSeconds: 0,
      });
      expect(app.wb.policies.due('on-alert')).toBeNull();
      const check = await app.api.call('monitors.run', { name: 'iris-ct-monitor' });
      expect(check.status).toBe('alerting');
      expect(app.wb.policies.due('on-alert')).toMatchObject({
        kind: 'alert',
        reason: 'the alert "requests >= 1000" of iris-ct-monitor fired',
      });

      // A gate no model meets.
      await app.api.call('models.setGate', {
        name: 'iris',
        alias: 'champion',
        dataset: 'iris',
        label: 'target',
        rules: ['accuracy >= 1.01'],
      });
      const { execution } = await app.api.call('policies.run', { name: 'on-alert', ifTriggered: true });
      expect(execution).toMatchObject({ status: 'rejected', version: 3, trigger: { kind: 'alert' } });
      expect(execution!.steps.map((s) => s.state)).toEqual(['done', 'done', 'done', 'failed', 'skipped']);
      expect(execution!.steps[3]!.message).toMatch(
        /The gate of champion refused v3: accuracy >= 1\.01 .*v2 keeps the alias/,
      );
      expect((await app.api.call('deployments.get', { name: 'iris-ct' })).version).toBe(2);

      const { policies } = await app.api.call('policies.list', {});
      expect(policies.map((p) => [p.name, p.lastExecution?.status])).toEqual([
        ['iris-ct-retrain', 'deployed'],
        ['on-alert', 'rejected'],
      ]);
      // That alert has had its execution: it does not trigger again until another fires.
      expect(app.wb.policies.due('on-alert')).toBeNull();
    }, 300_000);

    it('is run by the app when its trigger holds, once', async () => {
      await app.api.call('policies.add', {
        deployment: 'iris-ct',
        name: 'auto',
        newData: true,
        cooldownSeconds: 0,
      });
      const v3 = dirs.make();
      fs.copyFileSync(path.join(EXAMPLE, 'train.csv'), path.join(v3, 'train.csv'));
      fs.appendFileSync(path.join(v3, 'train.csv'), '5.0,3.4,1.5,0.2,setosa\n');
      await app.api.call('datasets.add', { name: 'iris', paths: [v3] });
      const stop = app.wb.policies.schedule(app.wb.ops, 20);
      try {
        await expect
          .poll(async () => (await app.api.call('policies.get', { name: 'auto' })).executions[0]?.status, {
            timeout: 120_000,
            interval: 100,
          })
          .toBe('rejected'); // the gate no model meets is still in place
        await new Promise((r) => setTimeout(r, 300));
        const { executions } = await app.api.call('policies.get', { name: 'auto' });
        expect(executions).toHaveLength(1);
        expect(executions[0]!.trigger).toEqual({
          kind: 'new-data',
          reason: 'iris has a new version (v3; trained on v2)',
        });
      } finally {
        stop();
      }
    }, 180_000);

    it("retrains on the monitor's own rules, however they were written", async () => {
      const { policy } = await app.api.call('policies.add', {
        deployment: 'iris-ct',
        name: 'normalised',
        monitor: 'iris-ct-monitor',
        rules: ['requests>=1000.0', 'dataset drift'],
      });
      expect(policy.triggers.rules).toEqual(['requests >= 1000', 'dataset drift']);
      await expectErrorCode(
        app.api.call('policies.add', {
          deployment: 'iris-ct',
          name: 'x',
          monitor: 'iris-ct-monitor',
          rules: ['accuracy > 0.5'],
        }),
        'INVALID_INPUT',
        /iris-ct-monitor has no rule "accuracy > 0\.5": its alerts are "dataset drift", "requests >= 1000"/,
      );
      await app.api.call('policies.remove', { name: 'normalised' });
    });

    it('is changed in place and paused, and keeps its monitor from dropping a rule it retrains on', async () => {
      await app.api.call('monitors.update', { name: 'iris-ct-monitor', addRules: ['requests >= 5000'] });
      const { policy: added } = await app.api.call('policies.add', {
        deployment: 'iris-ct',
        name: 'edited',
        monitor: 'iris-ct-monitor',
        rules: ['requests >= 5000'],
      });
      const { policy } = await app.api.call('policies.update', {
        name: 'edited',
        params: { max_iter: 45 },
        unsetParams: ['label'],
        cooldownSeconds: 600,
        newData: true,
      });
      expect(policy).toMatchObject({
        recipe: added.recipe,
        datasets: added.datasets,
        params: { max_iter: 45 },
        cooldownSeconds: 600,
        triggers: { monitor: 'iris-ct-monitor', rules: ['requests >= 5000'], newData: true },
        enabled: true,
        createdAt: added.createdAt,
      });
      expect(policy.params).not.toHaveProperty('label');

      // The monitor cannot drop the rule the policy retrains on…
      await expectErrorCode(
        app.api.call('monitors.update', { name: 'iris-ct-monitor', removeRules: ['requests >= 5000'] }),
        'CONFLICT',
        /The policy edited retrains when the alert "requests >= 5000" of iris-ct-monitor fires/,
      );
      // …until the policy retrains on any of its alerts.
      const any = await app.api.call('policies.update', { name: 'edited', rules: null });
      expect(any.policy.triggers).toEqual({ monitor: 'iris-ct-monitor', rules: null, newData: true });
      const { monitor } = await app.api.call('monitors.update', {
        name: 'iris-ct-monitor',
        removeRules: ['requests >= 5000'],
      });
      expect(monitor.rules.map((r) => r.text)).toEqual(['requests >= 1000']);
      await expectErrorCode(
        app.api.call('policies.update', { name: 'edited', rules: ['requests >= 5000'] }),
        'INVALID_INPUT',
        /iris-ct-monitor has no rule "requests >= 5000"/,
      );
      await expectErrorCode(
        app.api.call('policies.update', { name: 'edited', recipe: dirs.make() }),
        'INVALID_INPUT',
        /There is no recipe at .*: a recipe folder holds recipe\.yaml/,
      );
      await expectErrorCode(
        app.api.call('policies.update', {
          name: 'edited',
          datasets: [{ channel: 'train', dataset: 'nope' }],
        }),
        'NOT_FOUND',
      );

      await expectErrorCode(
        app.api.call('policies.update', { name: 'edited', params: { seed: 1 }, unsetParams: ['seed'] }),
        'INVALID_INPUT',
        /The param seed is both set and unset/,
      );
      await expectErrorCode(
        app.api.call('policies.update', { name: 'edited', removeChannels: ['test'] }),
        'INVALID_INPUT',
        /edited has no data channel test: its channels are train/,
      );

      // An alert that fired before a change does not set the policy off after it.
      const check = (failing: boolean) =>
        recordCheck(app.wb, 'iris-ct-monitor', [
          { rule: 'requests >= 1000', failing, value: 1, message: 'requests is 1' },
        ]);
      check(false);
      await new Promise((r) => setTimeout(r, 5));
      check(true);
      expect(app.wb.policies.due('edited')).toMatchObject({ kind: 'alert' });
      await new Promise((r) => setTimeout(r, 5));
      // A change of what it trains or how often keeps it waiting to retrain on that alert…
      await app.api.call('policies.update', {
        name: 'edited',
        cooldownSeconds: 300,
        params: { max_iter: 46 },
      });
      expect(app.wb.policies.due('edited')).toMatchObject({ kind: 'alert' });
      // …one of its triggers does not.
      await app.api.call('policies.update', { name: 'edited', rules: ['requests >= 1000'] });
      expect(app.wb.policies.due('edited')).not.toMatchObject({ kind: 'alert' });

      // Paused, its trigger holds but the app does not retrain; resumed, it does. The other
      // policies are paused too, and what the schedule starts is only recorded, not run.
      const others = (await app.api.call('policies.list', {})).policies.filter((p) => p.name !== 'edited');
      for (const p of others) await app.api.call('policies.update', { name: p.name, enabled: false });
      const paused = await app.api.call('policies.update', { name: 'edited', enabled: false, monitor: null });
      expect(paused.policy).toMatchObject({ enabled: false, triggers: { monitor: null, rules: null } });
      expect(app.wb.policies.due('edited')).toMatchObject({ kind: 'new-data' });
      // Nor does a CI schedule's --if-triggered.
      expect(await app.api.call('policies.run', { name: 'edited', ifTriggered: true })).toEqual({
        execution: null,
        reason: expect.stringMatching(/^edited is paused: its triggers are not looked at/),
      });
      // Other operations (a gate's evaluation from before) go on as they are.
      const started: string[] = [];
      const original = app.wb.ops.start.bind(app.wb.ops);
      const start = vi.spyOn(app.wb.ops, 'start').mockImplementation((kind, work) => {
        if (kind !== 'policies.run') return original(kind, work);
        started.push(kind);
        return { op: 'recorded', done: Promise.resolve(undefined as never) };
      });
      const stop = app.wb.policies.schedule(app.wb.ops, 20);
      try {
        await new Promise((r) => setTimeout(r, 300));
        expect(started).toEqual([]);
        await app.api.call('policies.update', { name: 'edited', enabled: true });
        await expect.poll(() => started.length).toBeGreaterThan(0);
      } finally {
        stop();
        start.mockRestore();
        for (const p of others) await app.api.call('policies.update', { name: p.name, enabled: p.enabled });
      }
      await app.api.call('policies.remove', { name: 'edited' });
    });

    it('is cancelled while it trains: the run is cancelled too, and nothing after it happens', async () => {
      await app.api.call('policies.add', { deployment: 'iris-ct', name: 'cancel-me', cooldownSeconds: 0 });
      const { op } = (await app.api.invoke('policies.run', { name: 'cancel-me' })) as { op: string };
      await expect
        .poll(
          async () =>
            (await app.api.call('policies.get', { name: 'cancel-me' })).executions[0]?.steps[0]?.detail.run,
          {
            timeout: 60_000,
            interval: 20,
          },
        )
        .toBeTruthy();
      // The running execution names its operation, so a page opened later can cancel it.
      expect((await app.api.call('policies.get', { name: 'cancel-me' })).executions[0]!.op).toBe(op);
      expect(app.wb.ops.cancel(op)).toBe(true);
      await expect
        .poll(async () => (await app.api.call('policies.get', { name: 'cancel-me' })).executions[0]?.status, {
          timeout: 60_000,
        })
        .toBe('cancelled');
      const [execution] = (await app.api.call('policies.get', { name: 'cancel-me' })).executions;
      expect(execution!.steps.map((s) => s.state)).toEqual([
        'failed',
        'skipped',
        'skipped',
        'skipped',
        'skipped',
      ]);
      expect(execution!.steps[0]!.message).toBe('Cancelled.');
      expect(execution!.op).toBeNull();
      const runId = execution!.steps[0]!.detail.run as string;
      await expect
        .poll(async () => (await app.api.call('runs.get', { id: runId })).run.status, { timeout: 60_000 })
        .toBe('KILLED');
      // No version was made, and the deployment did not move.
      expect(execution!.version).toBeNull();
      expect((await app.api.call('deployments.get', { name: 'iris-ct' })).version).toBe(2);
      await app.api.call('policies.remove', { name: 'cancel-me' });
    }, 120_000);

    it('ends an execution its process left running as failed, so the policy is not blocked', async () => {
      const p = app.wb.policies.repo.get('on-alert');
      const stale = {
        id: 'stale',
        policy: 'on-alert',
        status: 'running' as const,
        trigger: { kind: 'manual' as const, reason: 'run by hand' },
        startedAt: Date.now(),
        endedAt: null,
        steps: [
          {
            name: 'train' as const,
            state: 'running' as const,
            startedAt: Date.now(),
            endedAt: null,
            message: null,
            detail: {},
          },
        ],
        version: null,
        op: null,
      };
      app.wb.policies.repo.begin(p, stale);
      // Held by a process that is gone.
      app.wb.db
        .prepare(
          "UPDATE policy_executions SET holder_pid = 2147483646, holder_start = NULL WHERE id = 'stale'",
        )
        .run();
      // The list finds it ended too (it looks for such executions once, across all policies).
      const listed = (await app.api.call('policies.list', {})).policies.find((x) => x.name === 'on-alert');
      expect(listed?.lastExecution).toMatchObject({ id: 'stale', status: 'failed' });
      const [last] = (await app.api.call('policies.get', { name: 'on-alert' })).executions;
      expect(last).toMatchObject({ id: 'stale', status: 'failed' });
      expect(last!.steps[0]).toMatchObject({
        state: 'failed',
        message: expect.stringMatching(/process running this execution ended/),
      });
      expect(await app.api.call('policies.remove', { name: 'on-alert' })).toEqual({ removed: true });
    });
  },
);
