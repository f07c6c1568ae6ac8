/**
 * The swarm runtime against the real engine, a single-node swarm (.ci/engines.sh makes one on
 * loopback): two replicas of a packaged model become ready and answer through the published port;
 * a replacement by another version rolls with no failed request and answers from the new version;
 * a version whose server cannot start is rolled back by Swarm while the old one keeps answering;
 * stop, start and remove. Without an engine that is a Swarm manager these are skipped with the
 * reason, unless MLWB_REQUIRE_DOCKER=1, where that is a failure.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { runInHostNetwork } from '../docker/hostNetwork.ts';
import type { OpContext } from '../ops/operations.ts';
import { BASE_IMAGE } from '../serving/modelImage.ts';
import { expectErrorCode } from '../testing/errorCodes.ts';
import { runWithOutputs } from '../testing/runFixtures.ts';
import { tempDirs } from '../testing/tempDirs.ts';
import { testWorkbench } from '../testing/testWorkbench.ts';
import { requestLogVolume } from './deploymentSpec.ts';
import { oneShotRequest } from './oneShotRequest.ts';
import type { RuntimeSpec } from './runtime.ts';
import { isSwarmManager, swarmRuntime } from './swarmRuntime.ts';
import { serviceName } from './swarmSpec.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.join(here, '..', 'registry', 'fixtures');
const MODEL = fs.readFileSync(path.join(fixtures, 'iris-logreg.onnx'));
const SIGNATURE = fs.readFileSync(path.join(fixtures, 'iris-logreg.signature.json'), 'utf8');
const MODEL_NAME = 'Iris.Swarm';

const docker = new Docker();
async function skipReason(): Promise<string | undefined> {
  let reason: string | undefined;
  try {
    await docker.version();
    await docker.getImage(BASE_IMAGE).inspect();
    if (!(await isSwarmManager(docker)))
      reason =
        'the engine is not a Swarm manager; make it one with `docker swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377` (.ci/engines.sh does)';
  } catch (err) {
    reason = `no Docker engine with ${BASE_IMAGE} (${(err as Error).message.slice(0, 80)}); run npm run images:offline`;
  }
  if (reason && process.env.MLWB_REQUIRE_DOCKER === '1')
    throw new Error(`MLWB_REQUIRE_DOCKER=1 but ${reason}`);
  return reason;
}
const skip = await skipReason();
if (skip) console.warn(`swarm deployment tests skipped: ${skip}`);

const app = testWorkbench();
const dirs = tempDirs();
const suffix = Math.random().toString(36).slice(2, 8);
/** A chain standing in for one a killed host front left (its name as netFront.ts makes them). */
const stale = `MLWB-stale${suffix}`.slice(0, 28);
const NAME = `swarm-test-${suffix}`;
const HOME = `home-${suffix}`;
const runtime = swarmRuntime({ docker, local: true, homeId: HOME });
const images = new Set<string>();
afterAll(async () => {
  const ctx = opContext();
  // The stale rule a test made, had its deploy not cleared it.
  if (!skip)
    await runInHostNetwork(
      docker,
      `iptables -w -t nat -S OUTPUT | grep -- '-j ${stale}$' | sed 's/^-A/-D/' | while read -r r; do eval "iptables -w -t nat $r"; done; iptables -w -t nat -F ${stale}; iptables -w -t nat -X ${stale}; true`,
    ).catch(() => {});
  await runtime.remove(NAME, ctx).catch(() => {});
  await runtime.remove(`${NAME}-broken`, ctx).catch(() => {});
  await docker
    .getVolume(requestLogVolume(`${NAME}-broken`))
    .remove()
    .catch(() => {});
  // The broken image, made FROM a packaged one, goes first: an image with children cannot.
  for (const id of [...images].reverse())
    await docker
      .getImage(id)
      .remove({ force: true })
      .catch(() => {});
});

function opContext(progress: string[] = []): OpContext {
  return {
    signal: new AbortController().signal,
    progress: (p) => {
      if (p.message) progress.push(p.message);
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '0.0.0.0', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Registers the iris fixture as a new version of MODEL_NAME and packages it; its image. */
async function packagedVersion(): Promise<{ version: number; image: string }> {
  const run = runWithOutputs(app.wb, { 'model/model.onnx': MODEL, 'model/signature.json': SIGNATURE });
  const { version } = await app.api.call('models.register', { runId: run, name: MODEL_NAME });
  const r = await app.api.call('models.package', { name: MODEL_NAME, version });
  images.add(r.imageId);
  return { version, image: r.image };
}

type Packaged = { version: number; image: string };
let packaging: Promise<[Packaged, Packaged]> | undefined;
/** Versions 1 and 2, packaged once for the file's tests (packaging is most of their time). */
function twoVersions(): Promise<[Packaged, Packaged]> {
  packaging ??= (async () => {
    const v1 = await packagedVersion();
    return [v1, await packagedVersion()];
  })();
  return packaging;
}

/** What a version's server does instead of serving: exit at once, or hang without answering. */
const BROKEN = {
  exits: `console.error('cannot load the model'); process.exit(1)`,
  hangs: `console.error('loading forever'); setInterval(() => {}, 1000)`,
};

const built = new Map<string, string>();
/** An image FROM a packaged one whose server never becomes ready. */
async function brokenImage(from: string, how: keyof typeof BROKEN = 'exits'): Promise<string> {
  const made = built.get(`${from} ${how}`);
  if (made) return made;
  const dir = dirs.make();
  fs.writeFileSync(
    path.join(dir, 'Dockerfile'),
    `FROM ${from}\nCMD ${JSON.stringify(['node', '-e', BROKEN[how]])}\n`,
  );
  const tag = `mlwb-test/iris-broken:${suffix}-${images.size}`;
  const stream = await docker.buildImage({ context: dir, src: ['Dockerfile'] }, { t: tag });
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, out: { error?: string }[]) => {
      const failed = err?.message ?? out.find((o) => o.error)?.error;
      if (failed) reject(new Error(failed));
      else resolve();
    }),
  );
  images.add((await docker.getImage(tag).inspect()).Id);
  built.set(`${from} ${how}`, tag);
  return tag;
}

const infer = (port: number) =>
  runtime.request(NAME, `http://127.0.0.1:${port}`, {
    method: 'POST',
    path: `/v2/models/${MODEL_NAME}/infer`,
    body: JSON.stringify({
      inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }],
    }),
  });

/** How many inference requests the replicas logged (the log is written in batches: waited for). */
async function loggedInfers(dir: string, atLeast = 1): Promise<number> {
  let count = 0;
  for (let i = 0; i < 40; i++) {
    count = 0;
    for (const sub of fs.readdirSync(dir)) {
      const file = path.join(dir, sub, 'requests.jsonl');
      if (!fs.existsSync(file)) continue;
      for (const line of fs.readFileSync(file, 'utf8').split('\n'))
        if (line && (JSON.parse(line) as { endpoint: string }).endpoint === 'infer') count++;
    }
    if (count >= atLeast) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return count;
}

/** The model version the deployment answers with, by the Open Inference Protocol's metadata. */
async function servedVersions(port: number): Promise<string[]> {
  const r = await runtime.request(NAME, `http://127.0.0.1:${port}`, {
    method: 'GET',
    path: `/v2/models/${MODEL_NAME}`,
  });
  expect(r.status, r.body).toBe(200);
  return (JSON.parse(r.body) as { versions: string[] }).versions;
}

describe.skipIf(skip)('a swarm deployment', () => {
  it('that cannot start is removed, and the error says why with its last log lines', async () => {
    const [v] = await twoVersions();
    const broken = await brokenImage(v.image);
    const name = `${NAME}-broken`;
    const err = await expectErrorCode(
      runtime.deploy(
        {
          deployment: name,
          homeId: HOME,
          model: MODEL_NAME,
          version: 99,
          alias: null,
          followAlias: false,
          image: broken,
          bindHost: '127.0.0.1',
          port: await freePort(),
          replicas: 1,
          generation: 1,
          requestLog: { kind: 'volume', name: requestLogVolume(name) },
          readyTimeoutMs: 30_000,
        },
        opContext(),
      ),
      'INTERNAL',
      new RegExp(`${MODEL_NAME} version 99 did not start on Swarm: .*exit \\(1\\)[^]*cannot load the model`),
    );
    expect(err.details).toMatchObject({ lastLogLines: ['cannot load the model'] });
    expect((await runtime.observe(HOME)).has(name)).toBe(false);
    expect(
      await docker.listServices({ filters: { label: [`dev.mlops-workbench.deployment=${name}`] } }),
    ).toEqual([]);
    await docker.getVolume(requestLogVolume(name)).remove();
  }, 180_000);

  it('deploys replicas, rolls a new version, rolls back a broken one, stops, starts and is removed', async () => {
    const [v1, v2] = await twoVersions();
    expect(v2.image).not.toBe(v1.image);
    const broken = await brokenImage(v1.image);
    const hanging = await brokenImage(v1.image, 'hangs');
    const port = await freePort();
    // As a local engine's deployment keeps it: in a host folder the workbench reads.
    const requestLog = dirs.make();
    const spec = (over: Partial<RuntimeSpec>): RuntimeSpec => ({
      deployment: NAME,
      homeId: HOME,
      model: MODEL_NAME,
      version: v1.version,
      alias: null,
      followAlias: false,
      image: v1.image,
      bindHost: '127.0.0.1',
      port,
      replicas: 2,
      generation: 1,
      requestLog: { kind: 'bind', path: requestLog },
      readyTimeoutMs: 60_000,
      ...over,
    });

    // A host front killed outright on this port left its jump (into a chain that redirects to a
    // dead slot): it would send local clients past the Swarm front. The deploy clears it.
    await runInHostNetwork(
      docker,
      [
        `iptables -w -t nat -N ${stale}`,
        `iptables -w -t nat -A ${stale} -p tcp -j REDIRECT --to-ports 1`,
        `iptables -w -t nat -I OUTPUT 1 -o lo -d 127.0.0.1/32 -p tcp --dport ${port} -j ${stale}`,
      ].join(' && '),
    );
    expect(await runInHostNetwork(docker, 'iptables -w -t nat -S')).toContain(`--dport ${port} -j ${stale}`);

    // Deploy: two replicas, ready, answering through the published port.
    const progress: string[] = [];
    const t0 = performance.now();
    const deployed = await runtime.deploy(spec({}), opContext(progress));
    expect(await runInHostNetwork(docker, 'iptables -w -t nat -S')).not.toContain(stale);
    console.info(`swarm: deployed 2 replicas in ${(performance.now() - t0).toFixed(0)} ms`);
    expect(progress).toContain('2 of 2 replicas ready');
    const service = await docker.getService(serviceName(NAME)).inspect();
    expect(deployed.container).toBe(service.ID);
    let seen = (await runtime.observe(HOME)).get(NAME);
    expect(seen).toMatchObject({ status: 'running', version: v1.version, container: service.ID });
    const running = await docker.listTasks({
      filters: { service: [serviceName(NAME)], 'desired-state': ['running'] },
    });
    expect(running.filter((t: { Status: { State: string } }) => t.Status.State === 'running')).toHaveLength(
      2,
    );
    const answer = await infer(port);
    expect(answer.status, answer.body).toBe(200);
    expect(
      (JSON.parse(answer.body) as { outputs: { name: string; data: number[] }[] }).outputs.find(
        (o) => o.name === 'label',
      )?.data,
    ).toEqual([0]);
    expect(await servedVersions(port)).toEqual([String(v1.version)]);
    // Bound to 127.0.0.1: Swarm publishes on every address, and the front closes what comes from
    // the network (here: this machine's own network address, when it has one).
    const lan = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    if (lan)
      await expect(
        oneShotRequest(new URL(`http://${lan}:${port}/v2/health/ready`), { method: 'GET' }),
      ).rejects.toThrow();

    // Each replica logs to its own folder of the host folder.
    expect(await loggedInfers(requestLog)).toBe(1);
    expect((await infer(port)).status).toBe(200);
    expect(await loggedInfers(requestLog, 2)).toBe(2);
    expect(fs.readdirSync(requestLog).sort()).toEqual(['g1-r1', 'g1-r2']);

    // Another deployment cannot take the port; a free one is named.
    await expectErrorCode(
      swarmRuntime({ docker, local: true, homeId: HOME }).deploy(
        { ...spec({}), deployment: `${NAME}-b` },
        opContext(),
      ),
      'CONFLICT',
      new RegExp(
        `Port ${port} is already taken by the Swarm service ${serviceName(NAME)}_front.*--port \\d+`,
      ),
    );

    // Replace with version 2 while requests keep coming: none fails, and version 2 answers.
    let polling = true;
    const statuses: number[] = [];
    const poller = (async () => {
      while (polling) {
        statuses.push(
          await infer(port).then(
            (r) => r.status,
            () => 0,
          ),
        );
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const replaced = await runtime.replace(
      spec({ version: v2.version, image: v2.image, generation: 2 }),
      opContext(),
    );
    polling = false;
    await poller;
    expect(replaced).toMatchObject({ outcome: 'replaced', container: service.ID });
    expect(await servedVersions(port)).toEqual([String(v2.version)]);
    expect(statuses.length).toBeGreaterThan(10);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    seen = (await runtime.observe(HOME)).get(NAME);
    expect(seen).toMatchObject({ status: 'running', version: v2.version });

    // A version whose server cannot start: Swarm rolls back, version 2 keeps answering.
    const t1 = performance.now();
    const rolled = await runtime.replace(
      spec({ version: v2.version + 1, image: broken, generation: 3 }),
      opContext(),
    );
    console.info(`swarm: rolled back in ${(performance.now() - t1).toFixed(0)} ms`);
    expect(rolled.outcome).toBe('rolled-back');
    if (rolled.outcome === 'rolled-back')
      expect(rolled.reason).toMatch(
        new RegExp(
          `Version ${v2.version + 1} did not become ready, so Swarm rolled back to version ${v2.version}: .*exit \\(1\\)[^]*cannot load the model`,
        ),
      );
    expect(await servedVersions(port)).toEqual([String(v2.version)]);
    expect((await infer(port)).status).toBe(200);
    seen = (await runtime.observe(HOME)).get(NAME);
    expect(seen).toMatchObject({ status: 'running', version: v2.version });

    // A replacement cancelled while its new version loads: Swarm is asked to roll back.
    const controller = new AbortController();
    const cancelling = runtime.replace(spec({ version: v2.version + 2, image: hanging, generation: 4 }), {
      signal: controller.signal,
      progress: () => {},
    });
    setTimeout(() => controller.abort(), 3000);
    await expectErrorCode(cancelling, 'CANCELLED', /cancelled; Swarm is rolling back/);
    for (let i = 0; i < 120; i++) {
      seen = (await runtime.observe(HOME)).get(NAME);
      if (seen?.status === 'running') break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(seen).toMatchObject({ status: 'running', version: v2.version });
    expect(await servedVersions(port)).toEqual([String(v2.version)]);

    // Stop scales to 0: observed stopped, the front answers 503; start brings both replicas back.
    await runtime.stop(NAME, opContext());
    seen = (await runtime.observe(HOME)).get(NAME);
    expect(seen?.status).toBe('stopped');
    const whileStopped = await infer(port);
    expect(whileStopped.status).toBe(503);
    expect(whileStopped.body).toMatch(/No replica of this deployment is ready/);
    const started = await runtime.start(
      spec({ version: v2.version, image: v2.image, generation: 5, replicas: 2 }),
      opContext(),
    );
    expect(started.container).toBe(service.ID);
    expect((await runtime.observe(HOME)).get(NAME)).toMatchObject({ status: 'running', version: v2.version });
    expect((await infer(port)).status).toBe(200);
    const logs = await runtime.logs(NAME, 50);
    expect(logs.lines.some((l) => /ready: loaded in/.test(l.text))).toBe(true);

    // Remove: the services and their network go, the request log stays.
    await runtime.remove(NAME, opContext());
    expect((await runtime.observe(HOME)).has(NAME)).toBe(false);
    const left = await docker.listServices({ filters: { name: [serviceName(NAME)] } });
    expect(left).toEqual([]);
    expect(await loggedInfers(requestLog)).toBeGreaterThan(2);
  }, 240_000);
});
