/**
 * `mlwb deploy` and `mlwb deployments` as a CI pipeline or a terminal uses them, each command its
 * own process on one home, against the real engine: deploy a registered version, answer requests
 * at the URL it prints, move it to another version, follow an alias, see a dead container with its
 * last log lines, find a deployment again after its record is lost, stop, restart, remove, and
 * the refusals (a port taken, an engine that does not answer). Without an engine these are skipped
 * with the reason, unless MLWB_REQUIRE_DOCKER=1, where that is a failure.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { DEPLOY_LABELS } from '../core/deploy/runtime.ts';
import { BROKEN_SIGNATURE, brokenOnnx } from '../core/deploy/testing/brokenOnnx.ts';
import { deploymentRecord } from '../core/deploy/testing/deploymentRecords.ts';
import { removeHomeDeployments } from '../core/testing/engineLeftovers.ts';
import { writeTree } from '../core/testing/fileTree.ts';
import { tempDirs } from '../core/testing/tempDirs.ts';
import { dockerSkipReason } from '../core/testing/trainingFixtures.ts';
import { runDirs } from '../core/training/containerRun.ts';
import { openWorkbench } from '../core/workbench.ts';
import { mlwbJson as json, mlwb } from './testing/mlwbProcess.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.join(here, '..', 'core', 'registry', 'fixtures');
const dirs = tempDirs();
const docker = new Docker();

const skip = await dockerSkipReason(['mlwb/node-runtime:bookworm', 'mlwb/netfront:bookworm']);
if (skip) console.warn(`deploy CLI tests skipped: ${skip}`);

const homes: string[] = [];
afterAll(async () => {
  // Whatever a failed test left on the engine: every deployment of these homes.
  for (const home of homes) await removeHomeDeployments(home);
}, 120_000);

/**
 * A home with the iris classifier registered twice (versions 1 and 2: two images, two versions),
 * and with `broken`, a third version that loads but fails its warm-up, so it never becomes ready.
 */
async function homeWithIris(opts: { broken?: boolean; versions?: number } = {}): Promise<string> {
  const home = dirs.make();
  homes.push(home);
  const wb = await openWorkbench(home);
  try {
    const experimentId = wb.tracking.createExperiment('ci');
    const runWith = (files: Record<string, Buffer | string>) => {
      const run = wb.tracking.createRun({ experimentId, status: 'FINISHED' });
      writeTree(path.join(runDirs(home, run).output, 'model'), files);
      return run;
    };
    const run = runWith({
      'model.onnx': fs.readFileSync(path.join(fixtures, 'iris-logreg.onnx')),
      'signature.json': fs.readFileSync(path.join(fixtures, 'iris-logreg.signature.json')),
    });
    for (let v = 0; v < (opts.versions ?? 2); v++)
      await json(home, 'model', 'register', run, '--name', 'iris');
    if (opts.broken) {
      const bad = runWith({ 'model.onnx': brokenOnnx(), 'signature.json': BROKEN_SIGNATURE });
      await json(home, 'model', 'register', bad, '--name', 'iris');
    }
  } finally {
    await wb.close();
  }
  return home;
}

const row = { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }] };

async function infer(url: string) {
  const res = await fetch(`${url}/v2/models/iris/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(row),
  });
  return { status: res.status, body: (await res.json()) as { model_version?: string } };
}

function listenAnywhere(): Promise<net.Server> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

describe.skipIf(Boolean(skip))('mlwb deploy', () => {
  it('deploys, serves at its URL, moves versions health-gated, stops, restarts and removes', async () => {
    const home = await homeWithIris();
    expect(await json(home, 'deployments', 'list')).toEqual({ deployments: [] });
    const none = await mlwb(home, 'deployments', 'list');
    expect(none.stdout).toMatch(/No deployments yet\. Deploy a model version with `mlwb deploy NAME@V`/);

    const d = await json(home, 'deploy', 'iris@1', '--mode', 'container', '--name', 'iris-ci');
    expect(d.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(d.container).toMatch(/^[0-9a-f]{12,}$/);
    expect(d.deployment).toMatchObject({ name: 'iris-ci', model: 'iris', version: 1, status: 'running' });
    const first = await infer(d.url);
    expect(first.status).toBe(200);
    expect(first.body.model_version).toBe('1');

    // Each command is a new process: what it shows is read again from the engine.
    const listed = await json(home, 'deployments', 'list');
    expect(listed.deployments).toHaveLength(1);
    expect(listed.deployments[0]).toMatchObject({
      name: 'iris-ci',
      status: 'running',
      url: d.url,
      version: 1,
    });
    expect(listed.deployments[0].startedAt).toBeGreaterThan(Date.now() - 600_000);

    // Clients on keep-alive connections (fetch's default) keep asking through the replacement:
    // not one request fails, and the answers move from version 1 to 2.
    let asking = true;
    const seen = { ok: 0, failed: 0, versions: new Set<string>() };
    const client = async () => {
      while (asking) {
        try {
          const r = await infer(d.url);
          if (r.status === 200) {
            seen.ok++;
            seen.versions.add(String(r.body.model_version));
          } else seen.failed++;
        } catch {
          seen.failed++;
        }
      }
    };
    const clients = Promise.all([client(), client(), client()]);
    const up = await json(home, 'deployments', 'update', 'iris-ci', 'iris@2');
    await new Promise((r) => setTimeout(r, 1500));
    asking = false;
    await clients;
    expect(seen.failed).toBe(0);
    expect(seen.ok).toBeGreaterThan(50);
    expect([...seen.versions].sort()).toEqual(['1', '2']);
    expect(up).toMatchObject({
      outcome: 'replaced',
      reason: null,
      deployment: { version: 2, status: 'running' },
    });
    expect((await infer(d.url)).body.model_version).toBe('2');
    const shown = await json(home, 'deployments', 'show', 'iris-ci');
    expect(shown.lastReplacement).toMatchObject({ from: 1, to: 2, outcome: 'replaced' });
    expect(shown.history.map((e: { kind: string }) => e.kind)).toEqual(['deployed', 'replaced']);

    const logs = await json(home, 'deployments', 'logs', 'iris-ci', '--tail', '50');
    expect(logs.lines.map((l: { text: string }) => l.text).join('\n')).toMatch(/ready: loaded in/);

    await json(home, 'deployments', 'stop', 'iris-ci');
    expect((await json(home, 'deployments', 'show', 'iris-ci')).status).toBe('stopped');
    await expect(infer(d.url)).rejects.toThrow();

    const restarted = await json(home, 'deployments', 'restart', 'iris-ci');
    expect(restarted.deployment).toMatchObject({ status: 'running', version: 2 });
    expect((await infer(d.url)).status).toBe(200);

    expect(await json(home, 'deployments', 'remove', 'iris-ci')).toEqual({ removed: true });
    expect(await json(home, 'deployments', 'list')).toEqual({ deployments: [] });
    const left = await docker.listContainers({
      all: true,
      filters: { label: [`${DEPLOY_LABELS.name}=iris-ci`] },
    });
    expect(left.map((c) => c.Names)).toEqual([]);

    // Deployed again under the same name: its request log starts afresh, the old one kept beside it.
    const logRoot = path.join(home, 'deployments', 'iris-ci');
    expect(fs.readdirSync(path.join(logRoot, 'requests')).sort()).toEqual(['g1', 'g2', 'g3']);
    const again = await json(home, 'deploy', 'iris@1', '--mode', 'container', '--name', 'iris-ci');
    expect((await infer(again.url)).status).toBe(200);
    const kept = fs.readdirSync(logRoot).filter((f) => f.startsWith('requests-before-'));
    expect(kept).toHaveLength(1);
    expect(fs.readdirSync(path.join(logRoot, kept[0]!)).sort()).toEqual(['g1', 'g2', 'g3']);
    expect(fs.readdirSync(path.join(logRoot, 'requests'))).toEqual(['g1']);
    expect(await json(home, 'deployments', 'remove', 'iris-ci')).toEqual({ removed: true });
  }, 300_000);

  it('follows an alias, shows a dead container with its last lines, and is found again from its labels', async () => {
    const home = await homeWithIris();
    await json(home, 'model', 'alias', 'iris', '1', 'champion');
    const d = await json(home, 'deploy', 'iris@champion', '--mode', 'container');
    expect(d.deployment).toMatchObject({ name: 'iris', version: 1, alias: 'champion', followAlias: true });

    const moved = await json(home, 'model', 'alias', 'iris', '2', 'champion');
    expect(moved.followed).toEqual([{ deployment: 'iris', outcome: 'replaced', reason: null }]);
    expect((await infer(d.url)).body.model_version).toBe('2');

    // The record is lost (a restored database): the next look finds the deployment by its labels.
    const wb = await openWorkbench(home);
    try {
      wb.deployments.repo.remove('iris');
    } finally {
      await wb.close();
    }
    const found = await json(home, 'deployments', 'show', 'iris').catch(() => undefined);
    expect(found).toBeUndefined(); // `show` reads the record: not there until a list looks
    const listed = await json(home, 'deployments', 'list');
    expect(listed.deployments[0]).toMatchObject({
      name: 'iris',
      version: 2,
      status: 'running',
      port: d.deployment.port,
    });
    expect((await json(home, 'deployments', 'show', 'iris')).history.at(-1).kind).toBe('found');

    // The serving container is killed behind the workbench's back.
    const live = await docker.getContainer(listed.deployments[0].container).inspect();
    await docker.getContainer(live.Id).kill();
    const dead = await json(home, 'deployments', 'show', 'iris');
    expect(dead.status).toBe('dead');
    expect(dead.problem).toBeTruthy();
    expect(dead.lastLogLines.join('\n')).toMatch(/ready/);

    // Everything removed behind its back: missing, and a restart makes it again on its port.
    for (const c of await docker.listContainers({
      all: true,
      filters: { label: [`${DEPLOY_LABELS.name}=iris`] },
    }))
      await docker.getContainer(c.Id).remove({ force: true });
    const missing = await json(home, 'deployments', 'show', 'iris');
    expect(missing).toMatchObject({ status: 'missing' });
    expect(missing.problem).toMatch(/Restart it to deploy it again on the same port/);
    const again = await json(home, 'deployments', 'restart', 'iris');
    expect(again.deployment).toMatchObject({ status: 'running', version: 2, url: d.url });
    expect((await infer(d.url)).body.model_version).toBe('2');
    await json(home, 'deployments', 'remove', 'iris');
  }, 300_000);

  it('holds a deployment while it is made: a look meanwhile sees it starting, and another change is refused as busy', async () => {
    // Version 3 is packaged by this deploy (no other test builds it): seconds in which it is held.
    // Its image is named by content, which an earlier run on this engine may have built: removed
    // first (unless a container uses it), or the packaging would be reused in an instant.
    for (const i of await docker.listImages({
      filters: { label: ['dev.mlops-workbench.model.name=iris', 'dev.mlops-workbench.model.version=3'] },
    }))
      await docker
        .getImage(i.Id)
        .remove()
        .catch(() => {});
    const home = await homeWithIris({ versions: 3 });
    const deploying = mlwb(home, 'deploy', 'iris@3', '--mode', 'container', '--name', 'iris-busy', '--json');
    let seen: { status: string; problem: string | null } | undefined;
    for (let i = 0; i < 60 && !seen; i++) {
      const listed = await json(home, 'deployments', 'list');
      seen = listed.deployments.find((d: { name: string }) => d.name === 'iris-busy');
    }
    expect(seen).toMatchObject({
      status: 'starting',
      problem: 'its first deployment (iris@3) is under way.',
    });
    const other = await mlwb(home, 'deployments', 'update', 'iris-busy', 'iris@2', '--json');
    expect(other.code).toBe(1);
    expect(JSON.parse(other.stdout).error.code).toBe('CONFLICT');
    expect(other.stderr).toMatch(/iris-busy is busy: its first deployment \(iris@3\) is under way/);
    const done = await deploying;
    expect(done.code).toBe(0);
    const shown = await json(home, 'deployments', 'show', 'iris-busy');
    expect(shown).toMatchObject({ status: 'running', version: 3 });
    expect(shown.history.map((e: { kind: string }) => e.kind)).toEqual(['deployed']);
    await json(home, 'deployments', 'remove', 'iris-busy');
  }, 240_000);

  it('keeps the serving version when the new one never becomes ready: exit 3 with the reason, recorded', async () => {
    const home = await homeWithIris({ broken: true });
    const d = await json(home, 'deploy', 'iris@1', '--mode', 'container');
    const r = await mlwb(home, 'deployments', 'update', 'iris', 'iris@3', '--timeout', '30', '--json');
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ outcome: 'rolled-back', deployment: { version: 1, status: 'running' } });
    expect(doc.reason).toMatch(/reshape/i);
    expect((await infer(d.url)).body.model_version).toBe('1');
    const shown = await json(home, 'deployments', 'show', 'iris');
    expect(shown.lastReplacement).toMatchObject({ from: 1, to: 3, outcome: 'rolled-back' });
    expect(shown.history.at(-1)).toMatchObject({ kind: 'rolled-back', version: 3 });
    const human = await mlwb(home, 'deployments', 'show', 'iris');
    expect(human.stdout).toMatch(/last replacement\s+1 → 3 rolled-back/);
    // A version being served cannot be deleted from the registry.
    const del = await mlwb(home, 'model', 'delete', 'iris@1');
    expect(del.code).toBe(1);
    expect(del.stderr).toMatch(/iris@1 is deployed \(iris\)\. Move that deployment to another version/);
    await json(home, 'deployments', 'remove', 'iris');
  }, 240_000);

  it('deploys to a Swarm manager as a service with replicas and rolls it to another version', async () => {
    const swarm = (await docker.info()).Swarm?.ControlAvailable === true;
    if (!swarm && process.env.MLWB_REQUIRE_DOCKER === '1')
      throw new Error(
        'MLWB_REQUIRE_DOCKER=1 but the engine is not a Swarm manager: docker swarm init --advertise-addr 127.0.0.1 (as .ci/engines.sh does)',
      );
    if (!swarm) return;
    const home = await homeWithIris();
    const d = await json(
      home,
      'deploy',
      'iris@1',
      '--mode',
      'swarm',
      '--replicas',
      '2',
      '--name',
      'iris-swarm',
    );
    expect(d.deployment).toMatchObject({ mode: 'swarm', replicas: 2, status: 'running', version: 1 });
    expect((await infer(d.url)).body.model_version).toBe('1');
    const up = await json(home, 'deployments', 'update', 'iris-swarm', 'iris@2');
    expect(up).toMatchObject({ outcome: 'replaced', deployment: { version: 2, mode: 'swarm' } });
    expect((await infer(d.url)).body.model_version).toBe('2');
    const listed = await json(home, 'deployments', 'list');
    expect(listed.deployments[0]).toMatchObject({ name: 'iris-swarm', status: 'running', version: 2 });
    expect(await json(home, 'deployments', 'remove', 'iris-swarm')).toEqual({ removed: true });
  }, 300_000);

  it('refuses a port that is taken, naming a free one, and an engine that does not answer', async () => {
    const home = await homeWithIris();
    const busy = await listenAnywhere();
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const taken = await mlwb(
        home,
        'deploy',
        'iris@1',
        '--mode',
        'container',
        '--port',
        String(port),
        '--json',
      );
      expect(taken.code).toBe(1);
      expect(taken.stderr).toMatch(new RegExp(`port ${port}.*(taken|in use|allocated).*--port \\d+`, 'i'));
      expect(JSON.parse(taken.stdout).error.code).toBe('CONFLICT');
    } finally {
      busy.close();
    }
    expect(await json(home, 'deployments', 'list')).toEqual({ deployments: [] });

    await json(home, 'engines', 'add', 'nowhere', 'tcp://127.0.0.1:9');
    const down = await mlwb(home, 'deploy', 'iris@1', '--engine', 'nowhere', '--json');
    expect(down.code).toBe(1);
    expect(JSON.parse(down.stdout).error.code).toBe('ENGINE_UNAVAILABLE');
    expect(down.stderr).toMatch(/does not answer/);

    // A deployment recorded on that engine (made while it answered) is not removed blindly: the
    // refusal says how to forget it, and --force does.
    const wb = await openWorkbench(home);
    try {
      wb.deployments.repo.create(
        deploymentRecord('ghost', {
          model: 'iris',
          engine: 'nowhere',
          bindHost: '0.0.0.0',
          port: 8177,
          image: 'mlwb-model/iris:v1',
        }),
        { kind: 'deployed', message: 'Deployed.' },
      );
    } finally {
      await wb.close();
    }
    const refused = await mlwb(home, 'deployments', 'remove', 'ghost', '--json');
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout).error.code).toBe('ENGINE_UNAVAILABLE');
    expect(refused.stderr).toMatch(/does not answer.*remove it with --force/s);
    expect((await json(home, 'deployments', 'list')).deployments).toHaveLength(1);
    expect(await json(home, 'deployments', 'remove', 'ghost', '--force')).toEqual({ removed: true });
    expect(await json(home, 'deployments', 'list')).toEqual({ deployments: [] });
  }, 180_000);
});
