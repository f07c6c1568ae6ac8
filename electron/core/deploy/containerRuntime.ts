/**
 * The `container` runtime (runtime.ts): a deployment is a front container that holds its port
 * (netFront.ts), and one model container — two during a replacement, each on its own slot port,
 * the front's NAT rule choosing which one gets the port. No proxy hop: requests reach the model
 * server as they would the bare server. On a Linux engine on this machine, with a loopback port,
 * the front and model containers share the host's network (`host`); elsewhere the model
 * containers join the front's own namespace behind its published port (`bridge`).
 *
 * Everything it makes carries the deployment labels (deployContainers.ts), so observe() rebuilds every
 * deployment of a home from the engine alone (containerObserve.ts says how it reads a status).
 */
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import type { DeploymentLogs } from '../../../shared/deployments.ts';
import { conflict, invalidInput, notFound, WorkbenchError } from '../errors.ts';
import { REQUEST_LOG_DIR, SERVER_UID } from '../serving/modelImage.ts';
import { engineError, requireImage } from '../training/containerRun.ts';
import { observeDeployment } from './containerObserve.ts';
import {
  engine,
  frontServes,
  generationOf,
  isRunning,
  labelsFor,
  modelContainerName,
  removeQuietly,
  roleOf,
  slotOf,
  statusCode,
  stopGracefully,
} from './deployContainers.ts';
import { requestInContainer, requestLocal, urlHost } from './deploymentRequest.ts';
import { frontControl } from './frontControl.ts';
import { listenHost, portIsFree, portTaken } from './hostPort.ts';
import {
  clearStaleHostJumps,
  createFront,
  FRONT_IMAGE,
  type FrontNet,
  frontName,
  hostChain,
  netOf,
  stateVolumeName,
  switchTraffic,
} from './netFront.ts';
import {
  DEPLOY_LABELS,
  type DeploymentRuntime,
  type Observed,
  type ReplaceOutcome,
  type RuntimeDeps,
  type RuntimeSpec,
} from './runtime.ts';
import { lastLines, NotReady, seconds, waitForReady } from './serverReadiness.ts';

export { modelContainerName } from './deployContainers.ts';

/** A model container's limits: room for onnxruntime and a model of some size, not the whole host. */
const MODEL_MEMORY = 1024 ** 3;
const MODEL_PIDS = 256;
/** `docker stop` grace for a model server: it drains within 10 s (resources/serving/server.ts). */
const DRAIN_SECONDS = 10;

export function containerRuntime(deps: RuntimeDeps): DeploymentRuntime {
  const { docker, local, homeId } = deps;

  const list = (...labels: string[]) =>
    engine(docker.listContainers({ all: true, filters: { label: labels } }));
  /** This home's containers of a deployment; `anyHome` for checks that must see other homes'. */
  const containersOf = (deployment: string, anyHome = false) =>
    anyHome
      ? list(`${DEPLOY_LABELS.name}=${deployment}`)
      : list(`${DEPLOY_LABELS.name}=${deployment}`, `${DEPLOY_LABELS.home}=${homeId}`);
  const modelsOf = async (deployment: string) =>
    (await containersOf(deployment))
      .filter((c) => roleOf(c) === 'model')
      .sort((a, b) => generationOf(a) - generationOf(b));

  /**
   * The front, inspected; null when it is gone, or when it is another home's (`anyHome` sees
   * those, for the check that a name is free).
   */
  async function inspectFront(deployment: string, anyHome = false) {
    try {
      const info = await docker.getContainer(frontName(deployment)).inspect();
      return anyHome || info.Config.Labels?.[DEPLOY_LABELS.home] === homeId ? info : null;
    } catch (err) {
      if (statusCode(err) === 404) return null;
      throw engineError(err);
    }
  }

  const { netFor, nextSlot, liveSlotOf, startFront, stopHostFront, clearHostRules, hostNetworkIsOurs } =
    frontControl(deps);

  /**
   * The request log: `spec.requestLog` is mounted at the image's log folder, and each generation
   * writes its own subfolder g<N> (MLWB_REQUEST_LOG_DIR; the server creates it), so the old and the
   * new server never append to the same files during a replacement.
   */
  function requestLogMount(spec: RuntimeSpec): string {
    if (spec.requestLog.kind === 'volume') return `${spec.requestLog.name}:${REQUEST_LOG_DIR}`;
    const dir = spec.requestLog.path;
    if (local) {
      fs.mkdirSync(dir, { recursive: true });
      // A workbench running as root runs the server as the image's user, which must own its folder.
      // The folder is the mount point, so that user must be able to pass through it too.
      if (process.getuid?.() === 0) {
        const mode = fs.statSync(dir).mode & 0o7777;
        if ((mode & 0o001) === 0) fs.chmodSync(dir, mode | 0o001);
        const sub = path.join(dir, `g${spec.generation}`);
        fs.mkdirSync(sub, { recursive: true });
        fs.lchownSync(sub, SERVER_UID, SERVER_UID);
      }
    }
    return `${dir}:${REQUEST_LOG_DIR}`;
  }

  /**
   * Who the server runs as: on a local engine, with a request log in a host folder and a workbench
   * that is not root, the workbench's own user, so the log files are the user's to read and
   * delete; otherwise the image's unprivileged user.
   */
  function serverUser(spec: RuntimeSpec): string | undefined {
    const uid = process.getuid?.();
    const gid = process.getgid?.();
    if (!local || spec.requestLog.kind !== 'bind' || uid === undefined || gid === undefined || uid === 0)
      return undefined;
    return `${uid}:${gid}`;
  }

  /** Creates and starts a model container in the front's network, listening on `slot`. */
  async function startModel(
    spec: RuntimeSpec,
    front: { id: string; net: FrontNet },
    slot: number,
  ): Promise<Docker.Container> {
    const name = modelContainerName(spec.deployment, spec.generation);
    // A leftover of the same generation (a start that was interrupted) is not serving: it goes.
    await removeQuietly(docker.getContainer(name));
    const logMount = requestLogMount(spec);
    const container = await engine(
      docker.createContainer({
        name,
        Image: spec.image,
        User: serverUser(spec),
        Env: [
          `PORT=${slot}`,
          // In the host's network, on loopback only: reached through the front's port alone.
          ...(front.net === 'host' ? ['HOST=127.0.0.1'] : []),
          `MLWB_REQUEST_LOG_DIR=${REQUEST_LOG_DIR}/g${spec.generation}`,
          'HOME=/tmp',
        ],
        Labels: labelsFor(spec, 'model', slot),
        HostConfig: {
          // No ports of its own: it is reached through the front's (see netFront.ts).
          NetworkMode: front.net === 'host' ? 'host' : `container:${front.id}`,
          Binds: [logMount],
          // The server needs no privilege: it listens on a high port and writes only its log folder.
          CapDrop: ['ALL'],
          SecurityOpt: ['no-new-privileges'],
          ReadonlyRootfs: true,
          Tmpfs: { '/tmp': 'rw,nosuid,nodev,size=64m' },
          PidsLimit: MODEL_PIDS,
          Memory: MODEL_MEMORY,
          MemorySwap: MODEL_MEMORY,
          RestartPolicy: { Name: 'unless-stopped' },
        },
      }),
    );
    try {
      await engine(container.start());
    } catch (err) {
      await removeQuietly(container);
      throw err;
    }
    return container;
  }

  const startedAtOf = async (c: Docker.Container) => Date.parse((await engine(c.inspect())).State.StartedAt);

  /**
   * On a local engine, the port itself is asked once traffic is on the new server: what the user
   * will reach, through the front's rule (and, for a bridge front, Docker's port publishing). A
   * few tries, as the engine's port forwarding may take a moment after the front starts.
   */
  async function confirmServing(spec: RuntimeSpec): Promise<void> {
    if (!local) return;
    const url = `http://${urlHost(listenHost(spec.bindHost))}:${spec.port}/v2/health/ready`;
    let last = '';
    for (let i = 0; i < 10; i++) {
      try {
        const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
        await r.body?.cancel();
        if (r.ok) return;
        last = `status ${r.status}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    throw new WorkbenchError(
      'INTERNAL',
      `The model server is ready in its container, but ${url} does not answer (${last}). Check that no firewall or other program holds port ${spec.port}, then deploy again.`,
    );
  }

  function notReadyError(spec: RuntimeSpec, err: NotReady): WorkbenchError {
    return invalidInput(
      `${spec.model} version ${spec.version} did not become ready, so it was not deployed. ${err.message}`,
    );
  }

  async function removeDeployment(deployment: string): Promise<void> {
    const all = await containersOf(deployment);
    // Model containers first: a bridge front's namespace holds them.
    const order = [...all.filter((c) => roleOf(c) === 'model'), ...all.filter((c) => roleOf(c) !== 'model')];
    // Rules in the host's table can be left only by a host deployment: one with a host front, or
    // with nothing left to tell (every container gone, a front removed by hand) on an engine that
    // runs host deployments.
    const front = all.find((c) => roleOf(c) === 'front');
    if (all.every((c) => c.HostConfig?.NetworkMode === 'host') && (await hostNetworkIsOurs())) {
      if (front) await stopHostFront(docker.getContainer(front.Id), deployment);
      else await clearHostRules(deployment);
    }
    for (const c of order) await removeContainer(c.Id);
    await removeContainer(frontName(deployment));
    try {
      await docker.getVolume(stateVolumeName(deployment)).remove();
    } catch (err) {
      if (statusCode(err) !== 404) throw engineError(err);
    }
  }

  /** Removes a container; one already gone is fine. */
  async function removeContainer(idOrName: string): Promise<void> {
    try {
      await docker.getContainer(idOrName).remove({ force: true, v: true });
    } catch (err) {
      if (statusCode(err) !== 404) throw engineError(err);
    }
  }

  const runtime: DeploymentRuntime = {
    mode: 'container',

    async deploy(spec, ctx) {
      const step = (done: number, phase: string, message: string) =>
        ctx.progress({ phase, done, total: 4, message });
      await requireImage(docker, FRONT_IMAGE);
      await requireImage(docker, spec.image);
      if (await inspectFront(spec.deployment, true))
        throw conflict(
          `A deployment named "${spec.deployment}" already exists on this engine (container ${frontName(spec.deployment)}). Pick another name, or remove that deployment first.`,
        );
      if (local && !(await portIsFree(spec.bindHost || '0.0.0.0', spec.port)))
        throw await portTaken(spec.bindHost, spec.port, local);
      // Model containers left by a deployment of this name whose front is gone serve nothing.
      const leftovers = await containersOf(spec.deployment, true);
      const foreign = leftovers.find((c) => c.Labels[DEPLOY_LABELS.home] !== spec.homeId);
      if (foreign)
        throw conflict(
          `The container ${foreign.Names[0]?.slice(1)} on this engine belongs to a deployment named "${spec.deployment}" of another workbench. Pick another name.`,
        );
      for (const c of leftovers) await removeContainer(c.Id);

      const net = await netFor(spec);
      // A host front clears rules that killed fronts left for its port itself (netFront.ts); a
      // bridge one's local clients would be sent by them to a dead slot.
      if (net === 'bridge' && local) await clearStaleHostJumps(docker, spec.port);
      const slot = await nextSlot(net, null);
      // A state volume left by an interrupted removal would hold a stale slot.
      await docker
        .getVolume(stateVolumeName(spec.deployment))
        .remove()
        .catch(() => {});
      const made: Docker.Container[] = [];
      try {
        step(0, 'starting-front', `front container on ${spec.bindHost}:${spec.port}`);
        const front = await createFront(docker, {
          deployment: spec.deployment,
          net,
          chain: hostChain(homeId, spec.deployment),
          bindHost: spec.bindHost,
          port: spec.port,
          slot,
          labels: labelsFor(spec, 'front', slot),
        });
        made.push(front);
        await startFront(front, null, spec, net, ctx.signal);
        step(1, 'starting-model', `${spec.model} version ${spec.version}`);
        const model = await startModel(spec, { id: front.id, net }, slot);
        made.push(model);
        step(2, 'waiting-ready', `up to ${seconds(spec.readyTimeoutMs)}`);
        await waitForReady(docker, model, { timeoutMs: spec.readyTimeoutMs, signal: ctx.signal });
        step(3, 'switching', `port ${spec.port} → the model server`);
        await switchTraffic(docker, front, slot);
        await confirmServing(spec);
        step(4, 'ready', `${spec.model} version ${spec.version} serves on port ${spec.port}`);
        return { container: model.id, startedAt: await startedAtOf(model) };
      } catch (err) {
        for (const c of [...made].reverse()) {
          // made[0] is the front: a host one takes its rules with it.
          if (net === 'host' && c === made[0]) await stopHostFront(c, spec.deployment).catch(() => {});
          await removeQuietly(c);
        }
        await docker
          .getVolume(stateVolumeName(spec.deployment))
          .remove()
          .catch(() => {});
        throw err instanceof NotReady ? notReadyError(spec, err) : err;
      }
    },

    async replace(spec, ctx) {
      const step = (done: number, phase: string, message: string) =>
        ctx.progress({ phase, done, total: 4, message });
      const frontInfo = await inspectFront(spec.deployment);
      if (!frontInfo)
        throw notFound(
          `The deployment "${spec.deployment}" has no front container on this engine (removed by hand?). Remove it and deploy again.`,
        );
      await requireImage(docker, spec.image);
      const front = docker.getContainer(frontInfo.Id);
      const net = netOf(frontInfo);
      // A front that stopped (by hand, or it failed) is started: a replacement is asked to serve.
      if (!frontServes(frontInfo)) await startFront(front, frontInfo, spec, net, ctx.signal);
      const live = await liveSlotOf(front, net);
      const models = await modelsOf(spec.deployment);
      const serving = models.find((m) => isRunning(m) && slotOf(m) === live);
      if (serving && generationOf(serving) >= spec.generation)
        throw conflict(
          `The deployment "${spec.deployment}" already serves generation ${generationOf(serving)}; a replacement must be a later one (asked: ${spec.generation}).`,
        );
      // Whatever else is there (a stopped generation, an interrupted replacement) serves nothing.
      for (const m of models) if (m !== serving) await removeQuietly(docker.getContainer(m.Id));

      const slot = await nextSlot(net, live);
      step(0, 'starting-model', `${spec.model} version ${spec.version} beside the serving one`);
      const next = await startModel(spec, { id: frontInfo.Id, net }, slot);
      const rollBack = async (reason: string): Promise<ReplaceOutcome> => {
        await removeQuietly(next);
        return { outcome: 'rolled-back', reason };
      };
      step(1, 'waiting-ready', `up to ${seconds(spec.readyTimeoutMs)}`);
      try {
        await waitForReady(docker, next, { timeoutMs: spec.readyTimeoutMs, signal: ctx.signal });
      } catch (err) {
        if (err instanceof NotReady) return rollBack(err.message);
        await removeQuietly(next);
        throw err;
      }
      step(2, 'switching', `port ${spec.port} → version ${spec.version}`);
      try {
        await switchTraffic(docker, front, slot);
      } catch (err) {
        // The rule may have moved before the state file failed: it goes back to the serving one.
        await switchTraffic(docker, front, live).catch(() => {});
        return rollBack((err as Error).message);
      }
      step(3, 'stopping-old', serving ? `draining version ${serving.Labels[DEPLOY_LABELS.version]}` : '');
      if (serving) {
        const old = docker.getContainer(serving.Id);
        await stopGracefully(old, DRAIN_SECONDS);
        await removeQuietly(old);
      }
      step(4, 'replaced', `${spec.model} version ${spec.version} serves on port ${spec.port}`);
      return { outcome: 'replaced', container: next.id, startedAt: await startedAtOf(next) };
    },

    async stop(deployment, ctx) {
      const all = await containersOf(deployment);
      if (!all.length) throw notFound(`No deployment named "${deployment}" is on this engine.`);
      ctx.progress({ phase: 'stopping', done: 0, total: 2, message: 'model server (draining)' });
      // Every model container, not only running ones: a restarting one must stop restarting.
      await Promise.all(
        all
          .filter((c) => roleOf(c) === 'model' && c.State !== 'exited' && c.State !== 'created')
          .map((c) => stopGracefully(docker.getContainer(c.Id), DRAIN_SECONDS)),
      );
      ctx.progress({ phase: 'stopping', done: 1, total: 2, message: 'front container' });
      for (const c of all.filter((c) => roleOf(c) === 'front'))
        await stopGracefully(docker.getContainer(c.Id), DRAIN_SECONDS);
      ctx.progress({ phase: 'stopped', done: 2, total: 2 });
    },

    async start(spec, ctx) {
      const step = (done: number, phase: string, message: string) =>
        ctx.progress({ phase, done, total: 4, message });
      let frontInfo = await inspectFront(spec.deployment);
      if (!frontInfo)
        throw notFound(
          `The deployment "${spec.deployment}" has no front container on this engine (removed by hand?). Remove it and deploy again.`,
        );
      await requireImage(docker, spec.image);
      const front = docker.getContainer(frontInfo.Id);
      const net = netOf(frontInfo);
      const wasRunning = frontServes(frontInfo);
      step(0, 'starting-front', `front container on ${spec.bindHost}:${spec.port}`);
      if (!wasRunning) await startFront(front, frontInfo, spec, net, ctx.signal);
      frontInfo = await engine(front.inspect());
      const frontStarted = Date.parse(frontInfo.State.StartedAt);
      const slot = await liveSlotOf(front, net);
      const models = await modelsOf(spec.deployment);
      // A model container already serving this image in this front's network is kept; one that
      // started before a bridge front (so in the front's previous namespace) is cut off and goes.
      const serving = wasRunning
        ? models.find((m) => isRunning(m) && m.Image === spec.image && slotOf(m) === slot)
        : undefined;
      if (serving) {
        const c = docker.getContainer(serving.Id);
        const started = await startedAtOf(c);
        if (net === 'host' || started >= frontStarted) {
          step(2, 'waiting-ready', 'the running model server');
          try {
            await waitForReady(docker, c, {
              timeoutMs: spec.readyTimeoutMs,
              signal: ctx.signal,
              sinceSeconds: Math.floor(started / 1000),
            });
          } catch (err) {
            throw err instanceof NotReady ? notReadyError(spec, err) : err;
          }
          return { container: serving.Id, startedAt: started };
        }
      }
      for (const m of models) {
        const c = docker.getContainer(m.Id);
        if (isRunning(m)) await stopGracefully(c, DRAIN_SECONDS);
        await removeQuietly(c);
      }
      step(1, 'starting-model', `${spec.model} version ${spec.version}`);
      // A bridge front's live slot is free now; a host one may have been taken meanwhile.
      const next = net === 'host' ? await nextSlot(net, slot) : slot;
      const model = await startModel(spec, { id: frontInfo.Id, net }, next);
      try {
        step(2, 'waiting-ready', `up to ${seconds(spec.readyTimeoutMs)}`);
        await waitForReady(docker, model, { timeoutMs: spec.readyTimeoutMs, signal: ctx.signal });
        step(3, 'switching', `port ${spec.port} → the model server`);
        await switchTraffic(docker, front, next);
        await confirmServing(spec);
      } catch (err) {
        // The front stays, stopped as it was asked to be: the deployment reads as stopped, not dead.
        await removeQuietly(model);
        await stopGracefully(front, DRAIN_SECONDS);
        throw err instanceof NotReady ? notReadyError(spec, err) : err;
      }
      step(4, 'ready', `${spec.model} version ${spec.version} serves on port ${spec.port}`);
      return { container: model.id, startedAt: await startedAtOf(model) };
    },

    async remove(deployment, ctx) {
      ctx.progress({ phase: 'removing', done: 0, total: null, message: deployment });
      await removeDeployment(deployment);
    },

    async observe(homeId) {
      const all = await list(`${DEPLOY_LABELS.home}=${homeId}`);
      const byName = new Map<string, Docker.ContainerInfo[]>();
      for (const c of all) {
        const name = c.Labels[DEPLOY_LABELS.name];
        if (!name) continue;
        byName.set(name, [...(byName.get(name) ?? []), c]);
      }
      const out = new Map<string, Observed>();
      for (const [name, cs] of byName) out.set(name, await observeDeployment(docker, name, cs));
      return out;
    },

    async logs(deployment, tail) {
      const models = await modelsOf(deployment);
      const c = models.find(isRunning) ?? models.at(-1);
      if (!c) return { container: null, lines: [] } satisfies DeploymentLogs;
      const n = Math.max(1, Math.min(Math.floor(tail), 10_000));
      return { container: c.Id, lines: await lastLines(docker.getContainer(c.Id), n) };
    },

    async request(deployment, url, init) {
      if (local) return requestLocal(url, init);
      const live = (await modelsOf(deployment)).find(isRunning);
      if (!live)
        throw conflict(`The deployment "${deployment}" has no running model server to ask. Start it first.`);
      return requestInContainer(docker, live, init);
    },
  };

  return runtime;
}
