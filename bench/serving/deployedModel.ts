/**
 * The model as a deployment serves it, for the serving bench: the iris fixture registered from a
 * run in a temporary workbench home, packaged into its image (`models.package`), and deployed
 * (`deployments.create`, container mode). Also the two engine figures that need no load: packaging
 * time and image size (cold: the image removed first, the engine's build cache as a user has it;
 * then reused), and start → ready of a container of that image, run with a deployment's limits.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { type Api, createApi } from '../../electron/core/api.ts';
import { BASE_IMAGE, SERVER_PORT } from '../../electron/core/serving/modelImage.ts';
import { runWithOutputs } from '../../electron/core/testing/runFixtures.ts';
import { openWorkbench, type Workbench } from '../../electron/core/workbench.ts';
import { irisModel } from '../../resources/serving/testServer.ts';

export const MODEL_NAME = 'iris-bench';
const SIGNATURE = path.join(path.dirname(irisModel), 'iris-logreg.signature.json');
const NAME_LABEL = 'dev.mlops-workbench.model.name';
const BENCH_LABEL = 'dev.mlops-workbench.bench';

/** Why the engine figures cannot be taken here, or undefined when they can. */
export async function engineMissing(docker: Docker): Promise<string | undefined> {
  try {
    await docker.version();
  } catch (err) {
    return `no Docker engine (${(err as Error).message.slice(0, 80)})`;
  }
  try {
    await docker.getImage(BASE_IMAGE).inspect();
  } catch {
    return `no ${BASE_IMAGE} image (npm run images:offline makes it)`;
  }
  return undefined;
}

export interface Registered {
  wb: Workbench;
  api: Api;
  version: number;
}

/** A fresh home with the iris fixture registered from a finished run. */
export async function registerFixture(home: string): Promise<Registered> {
  const wb = await openWorkbench(home);
  const api = createApi(wb);
  const run = runWithOutputs(wb, {
    'model/model.onnx': fs.readFileSync(irisModel),
    'model/signature.json': fs.readFileSync(SIGNATURE, 'utf8'),
  });
  const { version } = await api.call('models.register', { runId: run, name: MODEL_NAME });
  return { wb, api, version };
}

export interface PackageFigures {
  coldMs: number;
  reusedMs: number;
  sizeBytes: number;
  image: string;
  imageId: string;
}

/** Packages cold (every image of the bench model removed first), then again (reused). */
export async function packageTwice(docker: Docker, r: Registered): Promise<PackageFigures> {
  const old = await docker.listImages({ filters: { label: [`${NAME_LABEL}=${MODEL_NAME}`] } });
  for (const i of old) await docker.getImage(i.Id).remove({ force: true });
  const timed = async () => {
    const started = performance.now();
    const out = await r.api.call('models.package', { name: MODEL_NAME, version: r.version });
    return { ...out, ms: performance.now() - started };
  };
  const cold = await timed();
  if (cold.reused) throw new Error('the cold packaging reused an image the bench had removed');
  const reused = await timed();
  if (!reused.reused) throw new Error('packaging the same version again built a new image');
  return {
    coldMs: cold.ms,
    reusedMs: reused.ms,
    sizeBytes: cold.sizeBytes,
    image: cold.image,
    imageId: cold.imageId,
  };
}

/** A deployment's limits: read-only root, a tmpfs /tmp, no capabilities, 127.0.0.1 only. */
function containerSpec(image: string): Docker.ContainerCreateOptions {
  return {
    Image: image,
    Labels: { [BENCH_LABEL]: 'serving' },
    HostConfig: {
      PortBindings: { [`${SERVER_PORT}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: '' }] },
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': 'rw,size=16m' },
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      NetworkMode: 'bridge',
    },
  };
}

async function publishedPort(c: Docker.Container): Promise<number> {
  const port = (await c.inspect()).NetworkSettings.Ports[`${SERVER_PORT}/tcp`]?.[0]?.HostPort;
  if (!port) throw new Error('the engine published no port for the container');
  return Number(port);
}

/** From `container.start()` to the first 200 of /v2/health/ready on the published port. */
export async function startToReady(docker: Docker, image: string, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c = await docker.createContainer(containerSpec(image));
    try {
      const started = performance.now();
      await c.start();
      // Polls on 127.0.0.1 from the start; the port number is known once the engine has bound it.
      const url = `http://127.0.0.1:${await publishedPort(c)}/v2/health/ready`;
      for (;;) {
        const res = await fetch(url, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
        if (res?.status === 200) break;
        if (performance.now() - started > 30_000) {
          const logs = await c.logs({ stdout: true, stderr: true, tail: 20 });
          throw new Error(`the container was not ready within 30 s:\n${logs.toString()}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      times.push(performance.now() - started);
    } finally {
      await c.remove({ force: true, v: true });
    }
  }
  return times;
}

export interface Deployed {
  url: string;
  /** The same server reached on the container's bridge address: no port publishing in between. */
  bridgeUrl: string | undefined;
  how: string;
  remove(): Promise<void>;
}

async function bridgeAddress(docker: Docker, id: string): Promise<string | undefined> {
  let info = await docker.getContainer(id).inspect();
  // A model container that joins its front's network namespace is reached at the front's address.
  const joined = /^container:(.+)$/.exec(info.HostConfig.NetworkMode ?? '');
  if (joined) info = await docker.getContainer(joined[1]!).inspect();
  const ip = Object.values(info.NetworkSettings.Networks ?? {})[0]?.IPAddress;
  return ip || undefined;
}

/**
 * Whether the engine relays this host port through docker-proxy (its userland proxy, on unless
 * the daemon runs with `"userland-proxy": false`): a process that copies every byte both ways.
 */
function relayedByDockerProxy(port: number): boolean {
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let args: string[];
    try {
      args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (args[0]?.endsWith('docker-proxy') && args[args.indexOf('-host-port') + 1] === String(port))
      return true;
  }
  return false;
}

/** Deploys the version through the workbench's own service, as `mlwb deploy` does. */
export async function deploy(docker: Docker, r: Registered): Promise<Deployed> {
  const out = await r.api.call('deployments.create', {
    model: MODEL_NAME,
    version: r.version,
    mode: 'container',
  });
  const name = out.deployment.name;
  const ip = await bridgeAddress(docker, out.container);
  const url = out.url.replace(/\/$/, '');
  const proxied = relayedByDockerProxy(Number(new URL(url).port));
  const host = (await docker.getContainer(out.container).inspect()).HostConfig.NetworkMode === 'host';
  const network = host
    ? "host network, the front's NAT rule on loopback"
    : `bridge network${proxied ? ', the port relayed by docker-proxy' : ''}`;
  return {
    url,
    bridgeUrl: ip && `http://${ip}:${SERVER_PORT}`,
    how: `deployments.create, container mode, ${network} → ${url}`,
    remove: async () => {
      await r.api.call('deployments.remove', { name });
    },
  };
}
