/**
 * The `container` runtime (runtime.ts): a deployment is a front container that holds the published
 * port and a network namespace (netFront.ts), and one model container in that namespace — two
 * during a replacement, each on its own slot port, the front's NAT rule choosing which one gets
 * the port. No proxy hop: requests reach the model server as they would the bare container.
 *
 * Everything it makes carries the deployment labels, so observe() rebuilds every deployment of a
 * home from the engine alone. How it reads a status (observe):
 * - no front → `missing`;
 * - front running, two model containers running → `replacing` (the older one is the live one);
 * - front running, one model container running: `running` once its server said ready (its health
 *   check passed, or its ready line is in its log since it started), else `starting`; `dead` when
 *   the front started after it (a restarted front has a new namespace the model is not in);
 * - front running, no model container running → `dead`, with the exit code and last log lines;
 * - front and model containers all exited with 0 or 143 (what `docker stop` leaves: the server
 *   and the front both end cleanly on SIGTERM) → `stopped`; any other exit → `dead`.
 * stop() stops the front too, so a deployment stopped on purpose reads as `stopped` with nothing
 * remembered outside the engine.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import type { DeploymentLogs } from '../../../shared/deployments.ts';
import { conflict, invalidInput, notFound, WorkbenchError } from '../errors.ts';
import { REQUEST_LOG_DIR, SERVER_UID } from '../serving/modelImage.ts';
import { engineError, requireImage } from '../training/containerRun.ts';
import { isPortTaken, listenHost, portIsFree, portTaken } from './hostPort.ts';
import {
  createFront,
  execIn,
  FRONT_IMAGE,
  frontName,
  liveSlot,
  otherSlot,
  SLOTS,
  stateVolumeName,
  switchTraffic,
} from './netFront.ts';
import {
  DEPLOY_LABELS,
  type DeploymentRuntime,
  type HttpAnswer,
  type Observed,
  type ReplaceOutcome,
  type RuntimeDeps,
  type RuntimeSpec,
} from './runtime.ts';
import {
  demuxLines,
  isReadyLine,
  LAST_LINES,
  lastLines,
  lineTexts,
  NotReady,
  waitForReady,
} from './serverReadiness.ts';

export const modelContainerName = (deployment: string, generation: number) =>
  `mlwb-dep-${deployment}-g${generation}`;

/** A model container's limits: room for onnxruntime and a model of some size, not the whole host. */
const MODEL_MEMORY = 1024 ** 3;
const MODEL_PIDS = 256;
/** How much of an answer request() returns. */
const MAX_ANSWER_BYTES = 1024 ** 2;
/** A request body passed to a remote engine's container in an environment variable (its limit is 128 KiB). */
const MAX_REMOTE_BODY = 96 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;
/** `docker stop` grace for a model server: it drains within 10 s (resources/serving/server.ts). */
const DRAIN_SECONDS = 10;

/** Exit codes `docker stop` leaves: the server's and the front's clean exit, and 128+SIGTERM. */
const CLEAN_EXITS = new Set([0, 143]);

type Role = 'front' | 'model';

function labelsFor(spec: RuntimeSpec, role: Role, slot: number): Record<string, string> {
  return {
    [DEPLOY_LABELS.name]: spec.deployment,
    [DEPLOY_LABELS.home]: spec.homeId,
    [DEPLOY_LABELS.role]: role,
    [DEPLOY_LABELS.model]: spec.model,
    [DEPLOY_LABELS.version]: String(spec.version),
    [DEPLOY_LABELS.generation]: String(spec.generation),
    [DEPLOY_LABELS.port]: String(spec.port),
    [DEPLOY_LABELS.bindHost]: spec.bindHost,
    [DEPLOY_LABELS.alias]: spec.alias ?? '',
    [DEPLOY_LABELS.followAlias]: String(spec.followAlias),
    [DEPLOY_LABELS.replicas]: String(spec.replicas),
    [DEPLOY_LABELS.slot]: String(slot),
  };
}

const generationOf = (c: Docker.ContainerInfo) => Number(c.Labels[DEPLOY_LABELS.generation] ?? 0);
const slotOf = (c: Docker.ContainerInfo) => Number(c.Labels[DEPLOY_LABELS.slot] ?? 0);
const roleOf = (c: Docker.ContainerInfo) => c.Labels[DEPLOY_LABELS.role];
const isRunning = (c: Docker.ContainerInfo) => c.State === 'running';
const statusCode = (err: unknown) => (err as { statusCode?: number }).statusCode;

/** Resolves, rethrowing the engine's failures as workbench errors (ENGINE_UNAVAILABLE and so on). */
async function engine<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    throw err instanceof WorkbenchError ? err : engineError(err);
  }
}

async function removeQuietly(c: Docker.Container): Promise<void> {
  await c.remove({ force: true, v: true }).catch(() => {});
}

/** Stops a container, letting it drain; an already stopped or removed one is fine. */
async function stopGracefully(c: Docker.Container, seconds: number): Promise<void> {
  try {
    await c.stop({ t: seconds });
  } catch (err) {
    if (statusCode(err) !== 304 && statusCode(err) !== 404) throw engineError(err);
  }
}

/** A container's exit in words, for `problem`. */
function describeExit(what: string, s: Docker.ContainerInspectInfo['State'], restarts: number): string {
  const code = s.ExitCode;
  const how = s.OOMKilled
    ? `was killed for using more memory than its limit (exit code ${code})`
    : code === 137
      ? 'was killed (exit code 137)'
      : `exited with code ${code}`;
  const error = s.Error ? ` (${s.Error})` : '';
  const again = s.Restarting ? `, and keeps restarting (${restarts} restarts)` : '';
  return `${what} ${how}${error}${again}. Read its last log lines, then restart the deployment or replace it with another version.`;
}

export function containerRuntime(deps: RuntimeDeps): DeploymentRuntime {
  const { docker, local } = deps;

  const list = (label: string) => engine(docker.listContainers({ all: true, filters: { label: [label] } }));
  const containersOf = (deployment: string) => list(`${DEPLOY_LABELS.name}=${deployment}`);
  const modelsOf = async (deployment: string) =>
    (await containersOf(deployment))
      .filter((c) => roleOf(c) === 'model')
      .sort((a, b) => generationOf(a) - generationOf(b));

  /** The front, inspected; null when it is gone. */
  async function inspectFront(deployment: string) {
    try {
      return await docker.getContainer(frontName(deployment)).inspect();
    } catch (err) {
      if (statusCode(err) === 404) return null;
      throw engineError(err);
    }
  }

  async function startFront(front: Docker.Container, spec: { bindHost: string; port: number }) {
    try {
      await front.start();
    } catch (err) {
      const said = (err as { json?: { message?: string } }).json?.message ?? (err as Error).message;
      if (isPortTaken(said)) throw await portTaken(spec.bindHost, spec.port, local);
      if (statusCode(err) !== 304) throw engineError(err);
    }
  }

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

  /** Creates and starts a model container in the front's namespace, listening on `slot`. */
  async function startModel(spec: RuntimeSpec, frontId: string, slot: number): Promise<Docker.Container> {
    const name = modelContainerName(spec.deployment, spec.generation);
    // A leftover of the same generation (a start that was interrupted) is not serving: it goes.
    await removeQuietly(docker.getContainer(name));
    const container = await engine(
      docker.createContainer({
        name,
        Image: spec.image,
        User: serverUser(spec),
        Env: [`PORT=${slot}`, `MLWB_REQUEST_LOG_DIR=${REQUEST_LOG_DIR}/g${spec.generation}`, 'HOME=/tmp'],
        Labels: labelsFor(spec, 'model', slot),
        HostConfig: {
          // No ports of its own: it is reached through the front's (see netFront.ts).
          NetworkMode: `container:${frontId}`,
          Binds: [requestLogMount(spec)],
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
   * will reach, through Docker's port publishing and the front's rule. A few tries, as the
   * engine's port forwarding may take a moment after the front starts.
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
    // Model containers first: they live in the front's namespace.
    const order = [...all.filter((c) => roleOf(c) === 'model'), ...all.filter((c) => roleOf(c) !== 'model')];
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
      if (await inspectFront(spec.deployment))
        throw conflict(
          `A deployment named "${spec.deployment}" already exists on this engine (container ${frontName(spec.deployment)}). Pick another name, or remove that deployment first.`,
        );
      if (local && !(await portIsFree(spec.bindHost || '0.0.0.0', spec.port)))
        throw await portTaken(spec.bindHost, spec.port, local);

      const slot = SLOTS[0];
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
          bindHost: spec.bindHost,
          port: spec.port,
          slot,
          labels: labelsFor(spec, 'front', slot),
        });
        made.push(front);
        await startFront(front, spec);
        step(1, 'starting-model', `${spec.model} version ${spec.version}`);
        const model = await startModel(spec, front.id, slot);
        made.push(model);
        step(2, 'waiting-ready', `up to ${Math.round(spec.readyTimeoutMs / 1000)} s`);
        await waitForReady(docker, model, { timeoutMs: spec.readyTimeoutMs, signal: ctx.signal });
        step(3, 'switching', `port ${spec.port} → the model server`);
        await switchTraffic(docker, front, slot);
        await confirmServing(spec);
        step(4, 'ready', `${spec.model} version ${spec.version} serves on port ${spec.port}`);
        return { container: model.id, startedAt: await startedAtOf(model) };
      } catch (err) {
        for (const c of made.reverse()) await removeQuietly(c);
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
      if (!frontInfo.State.Running)
        throw conflict(
          `The deployment "${spec.deployment}" is stopped. Start it before replacing its version.`,
        );
      await requireImage(docker, spec.image);
      const front = docker.getContainer(frontInfo.Id);
      const live = (await liveSlot(docker, front)) ?? SLOTS[0];
      const models = await modelsOf(spec.deployment);
      const serving = models.find((m) => isRunning(m) && slotOf(m) === live);
      // Whatever else is there (a stopped generation, an interrupted replacement) serves nothing.
      for (const m of models) if (m !== serving) await removeQuietly(docker.getContainer(m.Id));

      const slot = otherSlot(live);
      step(0, 'starting-model', `${spec.model} version ${spec.version} beside the serving one`);
      const next = await startModel(spec, frontInfo.Id, slot);
      const rollBack = async (reason: string): Promise<ReplaceOutcome> => {
        await removeQuietly(next);
        return { outcome: 'rolled-back', reason };
      };
      step(1, 'waiting-ready', `up to ${Math.round(spec.readyTimeoutMs / 1000)} s`);
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
      await Promise.all(
        all
          .filter((c) => roleOf(c) === 'model' && isRunning(c))
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
      const wasRunning = frontInfo.State.Running;
      step(0, 'starting-front', `front container on ${spec.bindHost}:${spec.port}`);
      if (!wasRunning) await startFront(front, spec);
      frontInfo = await engine(front.inspect());
      const frontStarted = Date.parse(frontInfo.State.StartedAt);
      const slot = (await liveSlot(docker, front)) ?? SLOTS[0];
      const models = await modelsOf(spec.deployment);
      // A model container already serving this image in this front's namespace is kept; one that
      // started before the front (so in the front's previous namespace) is cut off and goes.
      const serving = wasRunning
        ? models.find((m) => isRunning(m) && m.Image === spec.image && slotOf(m) === slot)
        : undefined;
      if (serving) {
        const c = docker.getContainer(serving.Id);
        const started = await startedAtOf(c);
        if (started >= frontStarted) {
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
      const model = await startModel(spec, frontInfo.Id, slot);
      try {
        step(2, 'waiting-ready', `up to ${Math.round(spec.readyTimeoutMs / 1000)} s`);
        await waitForReady(docker, model, { timeoutMs: spec.readyTimeoutMs, signal: ctx.signal });
        step(3, 'switching', `port ${spec.port} → the model server`);
        await switchTraffic(docker, front, slot);
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
      for (const [name, cs] of byName) out.set(name, await observeOne(name, cs));
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
      return requestInContainer(live, init);
    },
  };

  async function observeOne(name: string, cs: Docker.ContainerInfo[]): Promise<Observed> {
    const front = cs.find((c) => roleOf(c) === 'front');
    const models = cs.filter((c) => roleOf(c) === 'model').sort((a, b) => generationOf(a) - generationOf(b));
    const running = models.filter(isRunning);
    const newest = models.at(-1);
    const seen = (
      status: Observed['status'],
      c: Docker.ContainerInfo | undefined,
      more: Partial<Observed> = {},
    ) =>
      ({
        deployment: name,
        status,
        problem: null,
        container: null,
        version: c ? Number(c.Labels[DEPLOY_LABELS.version]) : null,
        startedAt: null,
        lastLogLines: [],
        labels: (c ?? front ?? cs[0])?.Labels ?? {},
        ...more,
      }) satisfies Observed;
    const tailOf = async (c: Docker.ContainerInfo | undefined) =>
      c ? lineTexts(await lastLines(docker.getContainer(c.Id), LAST_LINES)) : [];
    const inspect = (c: Docker.ContainerInfo) => engine(docker.getContainer(c.Id).inspect());

    if (!front)
      return seen('missing', newest, {
        problem: `Its front container ${frontName(name)} is gone from the engine (removed by hand?), so its port is closed. Remove the deployment and deploy it again.`,
      });
    const f = await inspect(front);
    if (f.State.Running && running.length > 0) {
      const live = running[0]!;
      const info = await inspect(live);
      const startedAt = Date.parse(info.State.StartedAt);
      const at = { container: live.Id, startedAt };
      if (running.length > 1) return seen('replacing', live, at);
      if (startedAt < Date.parse(f.State.StartedAt))
        return seen('dead', live, {
          ...at,
          problem: `Its front container ${frontName(name)} restarted after the model container, which is no longer reachable at the port. Start the deployment again to reattach it.`,
        });
      const health = info.State.Health?.Status;
      if (health === 'healthy') return seen('running', live, at);
      // The health check runs every 10 s: the server's own ready line answers sooner.
      const since = (await engine(
        docker
          .getContainer(live.Id)
          .logs({ stdout: true, stderr: false, since: Math.floor(startedAt / 1000) }),
      )) as Buffer;
      const ready = demuxLines(since).some((l) => isReadyLine(l.text));
      if (!ready) return seen('starting', live, at);
      if (health === 'unhealthy')
        return seen('running', live, {
          ...at,
          problem:
            'Its model server fails its readiness check (/v2/health/ready). Read its logs; restart it if it does not recover.',
        });
      return seen('running', live, at);
    }
    if (f.State.Running) {
      if (!newest)
        return seen('dead', undefined, {
          problem: 'It has no model container (removed by hand?). Start the deployment again.',
        });
      const info = await inspect(newest);
      return seen('dead', newest, {
        problem: describeExit('Its model container', info.State, info.RestartCount),
        lastLogLines: await tailOf(newest),
      });
    }
    if (running.length)
      return seen('dead', running[0], {
        container: running[0]!.Id,
        problem: `Its front container ${frontName(name)} ${f.State.Restarting ? 'keeps restarting' : 'is stopped'}, so its port is closed. Start the deployment again.`,
      });
    const infos = await Promise.all(models.map(inspect));
    const unclean = [
      { what: `Its front container ${frontName(name)}`, info: f },
      ...infos.map((info) => ({ what: 'Its model container', info })),
    ].find(
      ({ info }) => info.State.OOMKilled || info.State.Restarting || !CLEAN_EXITS.has(info.State.ExitCode),
    );
    if (!unclean) return seen('stopped', newest);
    return seen('dead', newest, {
      problem: describeExit(unclean.what, unclean.info.State, unclean.info.RestartCount),
      lastLogLines: await tailOf(newest),
    });
  }

  async function requestLocal(
    url: string,
    init: { method: 'GET' | 'POST'; path: string; body?: string; contentType?: string },
  ): Promise<HttpAnswer> {
    const started = performance.now();
    let res: Response;
    try {
      res = await fetch(`${url.replace(/\/+$/, '')}${init.path}`, {
        method: init.method,
        body: init.method === 'POST' ? (init.body ?? '') : undefined,
        headers: init.contentType ? { 'content-type': init.contentType } : {},
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new WorkbenchError(
        'IO',
        `The deployment does not answer at ${url} (${cause}). Check its status and logs; start it if it is stopped.`,
      );
    }
    const body = await readBounded(res);
    return {
      status: res.status,
      headers: Object.fromEntries(res.headers),
      body,
      latencyMs: performance.now() - started,
    };
  }

  /**
   * On a remote engine the port is on another machine: the request is made from inside the live
   * model container (the image has node and its fetch), to its own slot.
   */
  async function requestInContainer(
    live: Docker.ContainerInfo,
    init: { method: 'GET' | 'POST'; path: string; body?: string; contentType?: string },
  ): Promise<HttpAnswer> {
    if ((init.body?.length ?? 0) > MAX_REMOTE_BODY)
      throw invalidInput(
        `A request sent through a remote engine holds at most ${MAX_REMOTE_BODY / 1024} KiB; send larger ones to the deployment's URL directly.`,
      );
    const request = JSON.stringify({
      ...init,
      port: slotOf(live),
      max: MAX_ANSWER_BYTES,
      timeout: REQUEST_TIMEOUT_MS,
    });
    const script = `const r=JSON.parse(process.env.MLWB_REQUEST);const t=performance.now();
fetch("http://127.0.0.1:"+r.port+r.path,{method:r.method,body:r.method==="POST"?(r.body??""):undefined,headers:r.contentType?{"content-type":r.contentType}:{},signal:AbortSignal.timeout(r.timeout)})
.then(async(res)=>{const b=Buffer.from(await res.arrayBuffer()).subarray(0,r.max).toString("utf8");process.stdout.write(JSON.stringify({status:res.status,headers:Object.fromEntries(res.headers),body:b,latencyMs:performance.now()-t}))},
(e)=>{process.stderr.write(String(e&&e.cause&&e.cause.code||e));process.exit(3)})`;
    const r = await execIn(
      docker,
      docker.getContainer(live.Id),
      ['node', '-e', script],
      [`MLWB_REQUEST=${request}`],
    );
    if (r.exitCode !== 0)
      throw new WorkbenchError(
        'IO',
        `The deployment's model server does not answer inside its container (${r.stderr.trim() || `exit ${r.exitCode}`}). Check its status and logs.`,
      );
    return JSON.parse(r.stdout) as HttpAnswer;
  }

  return runtime;
}

/** A URL's host part: IPv6 addresses in brackets. */
function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** The answer's body, cut at MAX_ANSWER_BYTES. */
async function readBounded(res: Response): Promise<string> {
  if (!res.body) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = res.body.getReader();
  while (size < MAX_ANSWER_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(Buffer.from(value));
    size += value.length;
  }
  await reader.cancel().catch(() => {});
  return Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES).toString('utf8');
}
