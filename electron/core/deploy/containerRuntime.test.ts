/**
 * The container runtime against the real engine, with real model images (the iris fixture packaged
 * as versions 1 and 2, and a model that loads but fails its warm-up as version 3): deploy and
 * serve; replace with zero failed requests while a client keeps asking; roll back a version that
 * cannot become ready; stop, start, a killed model container, a restarted or removed front, a
 * taken port; and observe() reading all of it back from the engine alone.
 * Without an engine and the base images these are skipped with the reason, unless
 * MLWB_REQUIRE_DOCKER=1, where that is a failure.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInHostNetwork } from '../docker/hostNetwork.ts';
import type { OpContext } from '../ops/operations.ts';
import { BASE_IMAGE, packageModel } from '../serving/modelImage.ts';
import { expectErrorCode } from '../testing/errorCodes.ts';
import { runWithOutputs } from '../testing/runFixtures.ts';
import { tempDirs } from '../testing/tempDirs.ts';
import { testWorkbench } from '../testing/testWorkbench.ts';
import { dockerSkipReason } from '../testing/trainingFixtures.ts';
import { containerRuntime, modelContainerName } from './containerRuntime.ts';
import { freePort, portIsFree } from './hostPort.ts';
import { execIn, FRONT_IMAGE, frontName, hostChain, stateVolumeName } from './netFront.ts';
import { DEPLOY_LABELS, type RuntimeSpec } from './runtime.ts';
import { BROKEN_SIGNATURE, brokenOnnx } from './testing/brokenOnnx.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.join(here, '..', 'registry', 'fixtures');
const IRIS = fs.readFileSync(path.join(fixtures, 'iris-logreg.onnx'));
const IRIS_SIGNATURE = fs.readFileSync(path.join(fixtures, 'iris-logreg.signature.json'), 'utf8');
const MODEL = 'Iris.Deploy';

const docker = new Docker();
const skip = await dockerSkipReason([BASE_IMAGE, FRONT_IMAGE]);
if (skip) console.warn(`container runtime tests skipped: ${skip}`);

/** This file's deployments, found (and removed) by this home's label. */
const HOME = `test-${randomBytes(6).toString('hex')}`;
const suffix = randomBytes(3).toString('hex');
const app = testWorkbench();
const dirs = tempDirs();
const hostRuntime = containerRuntime({ docker, local: true, homeId: HOME });
const runtime = hostRuntime;
/** The same engine, with deployments kept off the host's network (MLWB_DEPLOY_NETWORK=bridge). */
const bridged = containerRuntime({ docker, local: true, homeId: HOME, network: 'bridge' });
/** The same engine, reached as if it were another machine's: no port checks here, requests by exec. */
const remote = containerRuntime({ docker, local: false, homeId: HOME });
const images: Record<1 | 2 | 3, string> = { 1: '', 2: '', 3: '' };
const built = new Set<string>();

function ctx(phases: string[] = [], onPhase?: (phase: string) => void, signal?: AbortSignal): OpContext {
  return {
    signal: signal ?? new AbortController().signal,
    progress: (p) => {
      phases.push(p.phase);
      onPhase?.(p.phase);
    },
  };
}

let generation = 0;
function specFor(deployment: string, version: 1 | 2 | 3, port: number, logDir: string): RuntimeSpec {
  generation++;
  return {
    deployment,
    homeId: HOME,
    model: MODEL,
    version,
    alias: null,
    followAlias: false,
    image: images[version],
    bindHost: '127.0.0.1',
    port,
    replicas: 1,
    generation,
    requestLog: { kind: 'bind', path: logDir },
    readyTimeoutMs: 30_000,
  };
}

/** An HTTP request on a new connection each time (no keep-alive), as a plain client makes it. */
function ask(
  port: number,
  method: 'GET' | 'POST',
  urlPath: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        agent: false,
        timeout: 10_000,
        headers: text
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }
          : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(raw) as Record<string, unknown> });
          } catch {
            reject(new Error(`status ${res.statusCode}, not JSON: ${raw.slice(0, 200)}`));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(text);
  });
}

const ROW = { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }] };
/** The version the server behind `port` serves, by its model metadata. */
async function servedVersion(port: number): Promise<string> {
  const r = await ask(port, 'GET', `/v2/models/${MODEL}`);
  expect(r.status).toBe(200);
  return (r.json.versions as string[])[0]!;
}

async function containersOf(deployment: string) {
  return docker.listContainers({ all: true, filters: { label: [`${DEPLOY_LABELS.name}=${deployment}`] } });
}

async function observed(deployment: string) {
  const o = (await runtime.observe(HOME)).get(deployment);
  if (!o) throw new Error(`observe() does not list ${deployment}`);
  return o;
}

/** Registers `model` under MODEL from a finished run; each call is the next version. */
async function register(model: Buffer, signature: string) {
  const run = runWithOutputs(app.wb, { 'model/model.onnx': model, 'model/signature.json': signature });
  return app.api.call('models.register', { runId: run, name: MODEL });
}

beforeAll(async () => {
  if (skip) return;
  const tmpDir = dirs.make();
  const models = [
    [IRIS, IRIS_SIGNATURE],
    [IRIS, IRIS_SIGNATURE],
    [brokenOnnx(), BROKEN_SIGNATURE],
  ] as const;
  for (const [model, signature] of models) {
    const v = await register(model, signature);
    const version = app.wb.registry.resolve({ name: MODEL, version: v.version });
    const r = await packageModel({ docker, objects: app.wb.objects, tmpDir }, version, {}, ctx());
    if (!r.reused) built.add(r.imageId);
    images[v.version as 1 | 2 | 3] = r.image;
  }
}, 240_000);

afterAll(async () => {
  if (skip) return;
  for (const c of await docker.listContainers({
    all: true,
    filters: { label: [`${DEPLOY_LABELS.home}=${HOME}`] },
  }))
    await docker
      .getContainer(c.Id)
      .remove({ force: true, v: true })
      .catch(() => {});
  const { Volumes } = await docker.listVolumes({ filters: { label: [`${DEPLOY_LABELS.home}=${HOME}`] } });
  for (const v of Volumes ?? [])
    await docker
      .getVolume(v.Name)
      .remove()
      .catch(() => {});
  for (const id of built)
    await docker
      .getImage(id)
      .remove({ force: true })
      .catch(() => {});
});

/** The host's NAT rules, read from the host's network by a one-off container of the front's image. */
const hostNatRules = () => hostNat('iptables -w -t nat -S');

/** Runs a shell command in the host's network, as removing a host front's rules does. */
const hostNat = (command: string) => runInHostNetwork(docker, command);

describe.skipIf(skip).each(['host', 'bridge'] as const)('a container deployment (%s network)', (network) => {
  const runtime = network === 'host' ? hostRuntime : bridged;
  const name = `t${suffix}-iris-${network}`;
  let port = 0;
  let logDir = '';

  it('deploys a version that serves both protocols at its port, hardened, and reads back as running', async () => {
    port = await freePort();
    logDir = path.join(dirs.make(), 'requests');
    const phases: string[] = [];
    const spec = specFor(name, 1, port, logDir);
    // Seen while the server loads (node's start alone takes longer than observe()).
    let whileWaiting: Promise<unknown> | undefined;
    const onPhase = (phase: string) => {
      if (phase === 'waiting-ready') whileWaiting ??= observed(name);
    };
    const r = await runtime.deploy(spec, ctx(phases, onPhase));
    expect(await whileWaiting).toMatchObject({ status: 'starting', version: 1 });
    expect(phases).toEqual(
      expect.arrayContaining(['starting-front', 'starting-model', 'waiting-ready', 'switching']),
    );

    const infer = await ask(port, 'POST', `/v2/models/${MODEL}/infer`, ROW);
    expect(infer.status).toBe(200);
    expect(
      (infer.json.outputs as { name: string; data: number[] }[]).find((o) => o.name === 'label')?.data,
    ).toEqual([0]);
    const mlflow = await ask(port, 'POST', '/invocations', {
      dataframe_split: {
        columns: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
        data: [[6.7, 3.0, 5.2, 2.3]],
      },
    });
    expect(mlflow.status).toBe(200);
    expect((mlflow.json.predictions as { label: string }[]).map((p) => p.label)).toEqual(['virginica']);

    const o = await observed(name);
    expect(o).toMatchObject({ status: 'running', version: 1, container: r.container, problem: null });
    expect(o.startedAt).toBe(r.startedAt);
    expect(o.labels[DEPLOY_LABELS.model]).toBe(MODEL);
    expect(o.labels[DEPLOY_LABELS.port]).toBe(String(port));

    // The model container: no ports or privileges of its own, in the front's network.
    const model = await docker.getContainer(r.container).inspect();
    const front = await docker.getContainer(frontName(name)).inspect();
    expect(model.Name).toBe(`/${modelContainerName(name, spec.generation)}`);
    if (network === 'host') {
      // The host's network, on loopback only; the port is the front's own, steered by its rule.
      expect(model.HostConfig.NetworkMode).toBe('host');
      expect(model.Config.Env).toContain('HOST=127.0.0.1');
      expect(front.HostConfig.NetworkMode).toBe('host');
      expect(front.HostConfig.PortBindings ?? {}).toEqual({});
      expect(await hostNatRules()).toContain(`--dport ${port} -j ${hostChain(HOME, name)}`);
    } else {
      expect(model.HostConfig.NetworkMode).toBe(`container:${front.Id}`);
      expect(front.HostConfig.PortBindings?.['8080/tcp']).toEqual([
        { HostIp: '127.0.0.1', HostPort: String(port) },
      ]);
    }
    expect(model.HostConfig.CapDrop).toEqual(['ALL']);
    expect(model.HostConfig.ReadonlyRootfs).toBe(true);
    expect(model.HostConfig.SecurityOpt).toContain('no-new-privileges');
    expect(model.HostConfig.RestartPolicy?.Name).toBe('unless-stopped');
    expect(front.HostConfig.CapAdd).toEqual(['NET_ADMIN']);
    expect(front.HostConfig.ReadonlyRootfs).toBe(true);

    // The request log lands in this generation's own folder.
    const logFile = path.join(logDir, `g${spec.generation}`, 'requests.jsonl');
    await expect
      .poll(() => fs.existsSync(logFile) && fs.readFileSync(logFile, 'utf8').trim().split('\n').length)
      .toBe(2);

    const answer = await runtime.request(name, `http://127.0.0.1:${port}`, {
      method: 'POST',
      path: '/invocations',
      body: JSON.stringify({ instances: [[5.1, 3.5, 1.4, 0.2]] }),
      contentType: 'application/json',
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).predictions[0].label).toBe('setosa');
    expect(answer.latencyMs).toBeGreaterThan(0);

    const logs = await runtime.logs(name, 50);
    expect(logs.container).toBe(r.container);
    expect(logs.lines.some((l) => l.stream === 'stdout' && /"message":"ready: /.test(l.text))).toBe(true);
  }, 60_000);

  it('answers a request made from inside the container when the engine is remote', async () => {
    const answer = await remote.request(name, 'http://unreachable.invalid', {
      method: 'POST',
      path: `/v2/models/${MODEL}/infer`,
      body: JSON.stringify(ROW),
      contentType: 'application/json',
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).model_name).toBe(MODEL);
  }, 30_000);

  it('replaces version 1 by 2 with no failed request while a client keeps asking', async () => {
    let running = true;
    const failures: string[] = [];
    const answered: { version: string; at: number }[] = [];
    const client = (async () => {
      while (running) {
        try {
          answered.push({ version: await servedVersion(port), at: Date.now() });
          const r = await ask(port, 'POST', `/v2/models/${MODEL}/infer`, ROW);
          if (r.status !== 200) failures.push(`infer status ${r.status}`);
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    const before = (await containersOf(name)).find((c) => c.Labels[DEPLOY_LABELS.role] === 'model')!;
    const phases: string[] = [];
    let whileWaiting: Promise<unknown> | undefined;
    const onPhase = (phase: string) => {
      if (phase === 'waiting-ready') whileWaiting ??= observed(name);
    };
    const outcome = await runtime.replace(specFor(name, 2, port, logDir), ctx(phases, onPhase));
    const replacedAt = Date.now();
    await new Promise((r) => setTimeout(r, 500));
    running = false;
    await client;

    expect(outcome.outcome).toBe('replaced');
    // Both servers ran side by side; version 1 was still the live one.
    expect(await whileWaiting).toMatchObject({ status: 'replacing', version: 1, container: before.Id });
    expect(phases).toEqual(
      expect.arrayContaining(['starting-model', 'waiting-ready', 'switching', 'stopping-old']),
    );
    expect(failures).toEqual([]);
    expect(answered.filter((a) => a.version === '1').length).toBeGreaterThan(0);
    const after = answered.filter((a) => a.at > replacedAt);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((a) => a.version === '2')).toBe(true);
    // Once the answers moved to version 2 they never went back.
    const firstNew = answered.findIndex((a) => a.version === '2');
    expect(answered.slice(firstNew).every((a) => a.version === '2')).toBe(true);

    const o = await observed(name);
    expect(o).toMatchObject({ status: 'running', version: 2 });
    if (outcome.outcome === 'replaced') expect(o.container).toBe(outcome.container);
    const models = (await containersOf(name)).filter((c) => c.Labels[DEPLOY_LABELS.role] === 'model');
    expect(models.map((c) => c.Id)).not.toContain(before.Id);
    expect(models).toHaveLength(1);
  }, 90_000);

  it('rolls back a version that fails its warm-up, with the server\u2019s words, and keeps serving', async () => {
    const spec = specFor(name, 3, port, logDir);
    const outcome = await runtime.replace(spec, ctx());
    expect(outcome.outcome).toBe('rolled-back');
    if (outcome.outcome !== 'rolled-back') return;
    expect(outcome.reason).toMatch(/exited with code 1 before it was ready/);
    expect(outcome.reason).toMatch(/cannot load .*Reshape|cannot be reshaped/);
    expect(await servedVersion(port)).toBe('2');
    expect(await observed(name)).toMatchObject({ status: 'running', version: 2 });
    const left = (await containersOf(name)).map((c) => c.Names[0]);
    expect(left).not.toContain(`/${modelContainerName(name, spec.generation)}`);

    // A good version that is not ready in time is rolled back the same way. A millisecond: a
    // server's start takes tens of them, while 200 ms was enough for it on a fast machine.
    const slow = { ...specFor(name, 1, port, logDir), readyTimeoutMs: 1 };
    const late = await runtime.replace(slow, ctx());
    expect(late).toEqual({
      outcome: 'rolled-back',
      reason: expect.stringMatching(/not ready within 0 s/),
    });
    expect(await servedVersion(port)).toBe('2');
    expect((await containersOf(name)).map((c) => c.Names[0])).not.toContain(
      `/${modelContainerName(name, slow.generation)}`,
    );
  }, 60_000);

  it('re-applies the live slot when its front restarts, and a replacement reattaches the model', async () => {
    const front = docker.getContainer(frontName(name));
    await front.restart({ t: 2 });
    // The rule comes back from the state volume: it points at the slot version 2 listens on.
    const live = (await containersOf(name)).find((c) => c.Labels[DEPLOY_LABELS.role] === 'model')!;
    const chain = network === 'host' ? hostChain(HOME, name) : 'MLWB';
    await expect
      .poll(async () => (await execIn(docker, front, ['iptables', '-w', '-t', 'nat', '-S', chain])).stdout)
      .toContain(`--to-ports ${live.Labels[DEPLOY_LABELS.slot]}`);
    if (network === 'host') {
      // The jump into the chain comes last (the rule first, so it never sends to nothing).
      await expect.poll(hostNatRules).toContain(`-j ${chain}`);
      // The model server never left the host's network: it serves on.
      expect(await servedVersion(port)).toBe('2');
      expect(await observed(name)).toMatchObject({ status: 'running', version: 2 });
      // One jump into the chain, however often the front applied it.
      expect((await hostNatRules()).split(`-j ${chain}`).length - 1).toBe(1);

      // Rules dropped while it runs (a firewall reload) are put back within seconds.
      // Deleted and listed in one go: the front's next check may come any moment after.
      const dropped = await hostNat(
        `iptables -w -t nat -D OUTPUT -o lo -d 127.0.0.1/32 -p tcp --dport ${port} -j ${chain} && iptables -w -t nat -S OUTPUT`,
      );
      expect(dropped).toContain('-P OUTPUT');
      expect(dropped).not.toContain(`-j ${chain}`);
      // Clients keep knocking meanwhile (each lands on the front's own socket): the repair is due
      // by the clock, not after a quiet moment.
      let knocking = true;
      const knocks = (async () => {
        while (knocking) {
          await servedVersion(port).catch(() => undefined);
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      try {
        await expect.poll(hostNatRules, { timeout: 10_000, interval: 500 }).toContain(`-j ${chain}`);
      } finally {
        knocking = false;
        await knocks;
      }
      expect(await servedVersion(port)).toBe('2');
      return;
    }
    // Docker leaves a container that joined the front's namespace in the old one.
    const o = await observed(name);
    expect(o.status).toBe('dead');
    expect(o.problem).toMatch(/restarted after the model container/);

    // What restarting the deployment does: a fresh container in the front's present namespace.
    const healed = await runtime.replace(specFor(name, 2, port, logDir), ctx());
    expect(healed.outcome).toBe('replaced');
    expect(await servedVersion(port)).toBe('2');
    expect(await observed(name)).toMatchObject({ status: 'running', version: 2 });
  }, 60_000);

  it('stops on purpose (reads as stopped, the port closed) and starts again', async () => {
    await runtime.stop(name, ctx());
    expect(await observed(name)).toMatchObject({ status: 'stopped', version: 2, container: null });
    await expect(servedVersion(port)).rejects.toThrow(/ECONNREFUSED|ECONNRESET|socket hang up/);
    // A host front took its rules with it.
    expect(await hostNatRules()).not.toContain(hostChain(HOME, name));

    const r = await runtime.start(specFor(name, 2, port, logDir), ctx());
    expect(await servedVersion(port)).toBe('2');
    expect(await observed(name)).toMatchObject({ status: 'running', version: 2, container: r.container });
    // Starting what already serves that image keeps it.
    const again = await runtime.start(specFor(name, 2, port, logDir), ctx());
    expect(again).toEqual(r);
  }, 60_000);

  it('reads a model container killed by hand as dead, with its last log lines', async () => {
    const live = (await observed(name)).container!;
    await docker.getContainer(live).kill();
    await expect.poll(async () => (await observed(name)).status, { timeout: 10_000 }).toBe('dead');
    const o = await observed(name);
    expect(o.problem).toMatch(/killed \(exit code 137\)/);
    expect(o.lastLogLines.some((l) => l.includes('ready: '))).toBe(true);
  }, 30_000);

  it('refuses a taken port, naming a free one, and makes nothing', async () => {
    // Held by this deployment's front (still there, though its model is dead).
    const other = `t${suffix}-taken`;
    const err = await expectErrorCode(
      runtime.deploy(specFor(other, 1, port, dirs.make()), ctx()),
      'CONFLICT',
      new RegExp(
        `Port ${port} on 127.0.0.1 is already in use.*Port \\d+ is free now: deploy with --port \\d+`,
      ),
    );
    const free = Number(/Port (\d+) is free now/.exec(err.message)![1]);
    expect(free).not.toBe(port);
    expect(await portIsFree('127.0.0.1', free)).toBe(true);
    expect(await containersOf(other)).toEqual([]);

    // Docker's own refusal (no port check first, as on a remote engine) says the same.
    await expectErrorCode(
      remote.deploy(specFor(other, 1, port, dirs.make()), ctx()),
      'CONFLICT',
      new RegExp(`Port ${port} on 127.0.0.1 is already in use`),
    );
    expect(await containersOf(other)).toEqual([]);
    const volumes = await docker.listVolumes({ filters: { name: [stateVolumeName(other)] } });
    expect(volumes.Volumes ?? []).toEqual([]);

    // A program (not a container) holding the port.
    const server = net.createServer();
    const held = await new Promise<number>((r) =>
      server.listen(0, '127.0.0.1', () => r((server.address() as net.AddressInfo).port)),
    );
    try {
      await expectErrorCode(
        runtime.deploy(specFor(other, 1, held, dirs.make()), ctx()),
        'CONFLICT',
        /is already in use.*is free now/,
      );
    } finally {
      server.close();
    }
  }, 60_000);

  it('reads a deployment whose front was removed by hand as missing, and removes what is left', async () => {
    // Killed outright: a host front cannot take its rules with it.
    await docker.getContainer(frontName(name)).remove({ force: true });
    if (network === 'host') expect(await hostNatRules()).toContain(`-j ${hostChain(HOME, name)}`);
    const o = await observed(name);
    expect(o.status).toBe('missing');
    expect(o.problem).toMatch(/front container .* is gone/);

    await runtime.remove(name, ctx());
    expect(await containersOf(name)).toEqual([]);
    // Nothing steers the port any more: removing the deployment took the rules a killed front left.
    expect(await hostNatRules()).not.toContain(hostChain(HOME, name));
    expect((await runtime.observe(HOME)).has(name)).toBe(false);
    const volumes = await docker.listVolumes({ filters: { name: [stateVolumeName(name)] } });
    expect(volumes.Volumes ?? []).toEqual([]);
    // Request logs are the user's and stay.
    expect(fs.readdirSync(logDir).length).toBeGreaterThan(0);
  }, 30_000);

  it('serves on a port whose rules a killed front left behind, and clears them', async () => {
    // What a host front killed outright (with nothing to remove its deployment) leaves: a jump
    // for its port into its chain, which redirects to a slot where nothing listens any more.
    const stalePort = await freePort();
    const stale = `MLWB-stale${suffix}`.slice(0, 28);
    await hostNat(
      [
        `iptables -w -t nat -N ${stale}`,
        `iptables -w -t nat -A ${stale} -p tcp -j REDIRECT --to-ports 1`,
        `iptables -w -t nat -I OUTPUT 1 -o lo -d 127.0.0.1/32 -p tcp --dport ${stalePort} -j ${stale}`,
      ].join(' && '),
    );
    const other = `t${suffix}-heir-${network}`;
    try {
      expect(await hostNatRules()).toContain(`--dport ${stalePort} -j ${stale}`);
      await runtime.deploy(specFor(other, 1, stalePort, dirs.make()), ctx());
      expect(await servedVersion(stalePort)).toBe('1');
      const rules = await hostNatRules();
      expect(rules).not.toContain(stale);
      if (network === 'host') expect(rules).toContain(`--dport ${stalePort} -j ${hostChain(HOME, other)}`);
    } finally {
      await runtime.remove(other, ctx()).catch(() => {});
      await hostNat(
        `iptables -w -t nat -D OUTPUT -o lo -d 127.0.0.1/32 -p tcp --dport ${stalePort} -j ${stale}; iptables -w -t nat -F ${stale}; iptables -w -t nat -X ${stale}; true`,
      );
    }
  }, 60_000);
});

describe.skipIf(skip)('a deployment that cannot start', () => {
  it('is cancelled while it waits for the server, and leaves nothing behind', async () => {
    const name = `t${suffix}-cancelled`;
    const abort = new AbortController();
    const onPhase = (phase: string) => {
      if (phase === 'waiting-ready') abort.abort();
    };
    await expectErrorCode(
      runtime.deploy(specFor(name, 1, await freePort(), dirs.make()), ctx([], onPhase, abort.signal)),
      'CANCELLED',
    );
    expect(await containersOf(name)).toEqual([]);
    const volumes = await docker.listVolumes({ filters: { name: [stateVolumeName(name)] } });
    expect(volumes.Volumes ?? []).toEqual([]);
  }, 60_000);

  it('fails with the server\u2019s last lines and leaves nothing behind', async () => {
    const name = `t${suffix}-broken`;
    const err = await expectErrorCode(
      runtime.deploy(specFor(name, 3, await freePort(), dirs.make()), ctx()),
      'INVALID_INPUT',
      /version 3 did not become ready.*exited with code 1/s,
    );
    expect(err.message).toMatch(/cannot be reshaped/);
    expect(await containersOf(name)).toEqual([]);
    const volumes = await docker.listVolumes({ filters: { name: [stateVolumeName(name)] } });
    expect(volumes.Volumes ?? []).toEqual([]);
  }, 60_000);
});

it('says how to start the engine when none answers', async () => {
  const gone = containerRuntime({
    docker: new Docker({ socketPath: path.join(dirs.make(), 'docker.sock') }),
    local: true,
    homeId: HOME,
  });
  await expectErrorCode(gone.observe(HOME), 'ENGINE_UNAVAILABLE', /does not answer.*Start it/);
  await expectErrorCode(
    gone.deploy(specFor(`t${suffix}-gone`, 1, 1, dirs.make()), ctx()),
    'ENGINE_UNAVAILABLE',
    /does not answer/,
  );
});
