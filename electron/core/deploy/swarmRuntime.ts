/**
 * The `swarm` runtime (runtime.ts): on a Docker Swarm manager a deployment is a replicated service
 * behind a front that holds its port (swarmSpec.ts, swarmFront.ts). Swarm itself does the rolling,
 * start-first, readiness-gated update and the automatic rollback; this file starts them, follows
 * them through the service's UpdateStatus and its tasks, and says in words what happened.
 */
import type Docker from 'dockerode';
import type { DeploymentLogs } from '../../../shared/deployments.ts';
import { cancelled, conflict, notFound, WorkbenchError } from '../errors.ts';
import type { OpContext } from '../ops/operations.ts';
import { engineError } from '../training/containerRun.ts';
import { clearStaleHostJumps } from './netFront.ts';
import { oneShotRequest } from './oneShotRequest.ts';
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
  engineCaps,
  frontName,
  frontServiceSpec,
  imageRef,
  MONITOR_NS,
  modelServiceSpec,
  networkName,
  prepareRequestLog,
  serviceName,
} from './swarmSpec.ts';
import {
  engine,
  FAILED_STATES,
  findService,
  generationOf,
  isRunning,
  logLines,
  newestFirst,
  observeService,
  requireFreePort,
  type SwarmService,
  type SwarmTask,
  taskError,
  taskLogLines,
  tasksOf,
} from './swarmState.ts';

const POLL_MS = 500;
/** How long stop and remove wait for replicas to drain (the server promises 10 s). */
const DRAIN_MS = 30_000;
const ROLLBACK_STATES = new Set(['rollback_started', 'rollback_paused', 'rollback_completed', 'paused']);

/** Whether the engine is a Swarm manager, where deployments can be services. */
export async function isSwarmManager(docker: Docker): Promise<boolean> {
  const info = (await engine(() => docker.info())) as { Swarm?: { ControlAvailable?: boolean } };
  return info.Swarm?.ControlAvailable === true;
}

export function swarmRuntime(deps: RuntimeDeps): DeploymentRuntime {
  return new SwarmRuntime(deps);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const wake = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', wake);
      resolve();
    };
    const t = setTimeout(wake, ms);
    signal?.addEventListener('abort', wake, { once: true });
  });
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
const withLog = (text: string, lines: string[]) =>
  lines.length ? `${text}\nLast log lines:\n${lines.join('\n')}` : text;

class SwarmRuntime implements DeploymentRuntime {
  readonly mode = 'swarm' as const;
  private readonly docker: Docker;

  constructor(private readonly deps: RuntimeDeps) {
    this.docker = deps.docker;
  }

  /** A service of this home by name; null when it is gone or another home's (names are engine-wide). */
  private async ownService(name: string): Promise<SwarmService | null> {
    const svc = await findService(this.docker, name);
    return svc && svc.Spec.Labels?.[DEPLOY_LABELS.home] === this.deps.homeId ? svc : null;
  }

  async deploy(spec: RuntimeSpec, ctx: OpContext): Promise<{ container: string; startedAt: number }> {
    const name = serviceName(spec.deployment);
    if (await findService(this.docker, name))
      throw conflict(
        `A Swarm service ${name} already runs on this engine. Remove the deployment ${spec.deployment} first, or deploy under another name.`,
      );
    const { image, caps } = await this.prepare(spec);
    const front = await findService(this.docker, frontName(spec.deployment));
    if (front) {
      // A front left behind by this home (its model service removed by hand) is ours to replace.
      if (front.Spec.Labels?.[DEPLOY_LABELS.home] !== spec.homeId)
        throw conflict(
          `A Swarm service ${front.Spec.Name} already runs on this engine, made by another workbench. Deploy under another name.`,
        );
      await this.remove(spec.deployment, ctx);
    }
    await requireFreePort(this.docker, spec.port, spec.deployment, this.deps.local);
    await this.clearStaleRules(spec.port);
    await this.ensureNetwork(spec);
    try {
      const service = (await engine(() =>
        this.docker.createService(
          modelServiceSpec(spec, image, caps, prepareRequestLog(spec, this.deps.local)),
        ),
      )) as Docker.Service;
      await engine(() => this.docker.createService(frontServiceSpec(spec, image, caps)));
      const startedAt = await this.waitReady(spec, spec.replicas, new Set(), ctx);
      return { container: service.id, startedAt };
    } catch (err) {
      await this.remove(spec.deployment, ctx).catch(() => {});
      throw err;
    }
  }

  async replace(spec: RuntimeSpec, ctx: OpContext): Promise<ReplaceOutcome> {
    const name = serviceName(spec.deployment);
    const before = await this.requireService(spec.deployment);
    const { image, caps } = await this.prepare(spec);
    const seen = new Set((await tasksOf(this.docker, name)).map((t) => t.ID));
    await this.updateService(
      before,
      modelServiceSpec(spec, image, caps, prepareRequestLog(spec, this.deps.local)),
    );
    const from = before.Spec.Labels?.[DEPLOY_LABELS.version] ?? '?';
    const t0 = Date.now();
    const deadline = t0 + spec.replicas * (spec.readyTimeoutMs + 5000) + MONITOR_NS / 1e6 + 15_000;
    for (;;) {
      const svc = await this.requireService(spec.deployment);
      const status = svc.UpdateStatus;
      // The status of this update, not of the one before it (Swarm sets it a moment later).
      const fresh = status?.StartedAt && status.StartedAt !== before.UpdateStatus?.StartedAt;
      const tasks = await tasksOf(this.docker, name);
      const current = tasks.filter((t) => isRunning(t) && generationOf(t) === String(spec.generation));
      if (fresh && status.State === 'completed')
        return {
          outcome: 'replaced',
          container: svc.ID,
          startedAt: Date.parse(status.CompletedAt ?? '') || Date.now(),
        };
      if (fresh && ROLLBACK_STATES.has(status.State ?? '')) {
        const why = await this.failureOf(tasks, seen, spec.generation);
        const said = [why.error, status.Message].filter(Boolean).join('; ');
        const after = await this.waitRolledBack(spec.deployment, ctx);
        return {
          outcome: 'rolled-back',
          reason: withLog(
            `Version ${spec.version} did not become ready, so Swarm rolled back to version ${from}${said ? `: ${said}` : ''}.${after}`,
            why.lines,
          ),
        };
      }
      ctx.progress({
        phase: 'replacing',
        done: current.length,
        total: spec.replicas,
        message: `${current.length} of ${spec.replicas} replicas on version ${spec.version}`,
      });
      if (ctx.signal.aborted || Date.now() > deadline) {
        await this.rollBack(spec.deployment);
        if (ctx.signal.aborted)
          throw cancelled('The replacement was cancelled; Swarm is rolling back to the previous version.');
        const why = await this.failureOf(tasks, seen, spec.generation);
        const waited = seconds(Date.now() - t0);
        const after = await this.waitRolledBack(spec.deployment, ctx);
        return {
          outcome: 'rolled-back',
          reason: withLog(
            `Version ${spec.version} did not become ready within ${waited}, so Swarm was asked to roll back to version ${from}${why.error ? `: ${why.error}` : ''}.${after}`,
            why.lines,
          ),
        };
      }
      await sleep(POLL_MS, ctx.signal);
    }
  }

  async stop(deployment: string, _ctx: OpContext): Promise<void> {
    const svc = await this.ownService(serviceName(deployment));
    const replicas = svc?.Spec.Mode?.Replicated?.Replicas ?? 0;
    if (!svc || replicas === 0) return;
    // Swarm forgets the count at 0: the label keeps it for start().
    await this.updateService(svc, {
      ...svc.Spec,
      Labels: { ...svc.Spec.Labels, [DEPLOY_LABELS.replicas]: String(replicas) },
      Mode: { Replicated: { Replicas: 0 } },
    });
    await this.waitDrained([serviceName(deployment)]);
  }

  /**
   * Before this deployment's front takes a free port on this machine: rules a killed container
   * front left for it would send local clients to a dead slot (netFront.ts).
   */
  private async clearStaleRules(port: number): Promise<void> {
    if (this.deps.local) await clearStaleHostJumps(this.docker, port);
  }

  async start(spec: RuntimeSpec, ctx: OpContext): Promise<{ container: string; startedAt: number }> {
    const svc = await this.ownService(serviceName(spec.deployment));
    if (!svc) return this.deploy(spec, ctx);
    const remembered = Number(svc.Spec.Labels?.[DEPLOY_LABELS.replicas]);
    const replicas = spec.replicas > 0 ? spec.replicas : remembered > 0 ? remembered : 1;
    const { image, caps } = await this.prepare(spec);
    if (!(await this.ownService(frontName(spec.deployment)))) {
      await requireFreePort(this.docker, spec.port, spec.deployment, this.deps.local);
      await this.clearStaleRules(spec.port);
      await engine(() => this.docker.createService(frontServiceSpec(spec, image, caps)));
    }
    const seen = new Set(
      [
        ...(await tasksOf(this.docker, svc.ID)),
        ...(await tasksOf(this.docker, frontName(spec.deployment))),
      ].map((t) => t.ID),
    );
    await this.updateService(
      svc,
      modelServiceSpec(spec, image, caps, prepareRequestLog(spec, this.deps.local, replicas), replicas),
    );
    try {
      const startedAt = await this.waitReady(spec, replicas, seen, ctx);
      return { container: svc.ID, startedAt };
    } catch (err) {
      // Left stopped rather than restarting a failing server over and over.
      await this.stop(spec.deployment, ctx).catch(() => {});
      throw err;
    }
  }

  async remove(deployment: string, _ctx: OpContext): Promise<void> {
    const names = [frontName(deployment), serviceName(deployment)];
    for (const name of names) {
      if (!(await this.ownService(name))) continue;
      try {
        await this.docker.getService(name).remove();
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 404) throw engineError(err);
      }
    }
    await this.waitDrained(names, true);
    // The network lingers a moment after its last task; the request-log volume is kept.
    const network = networkName(deployment);
    for (let i = 0; ; i++) {
      try {
        await this.docker.getNetwork(network).remove();
        return;
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return;
        if (i === 20)
          throw new WorkbenchError(
            'INTERNAL',
            `${deployment}'s services are removed, but not its network (${(err as Error).message}). Remove it with: docker network rm ${network}`,
          );
        await sleep(POLL_MS);
      }
    }
  }

  async observe(homeId: string): Promise<Map<string, Observed>> {
    const services = (await engine(() =>
      this.docker.listServices({ filters: { label: [`${DEPLOY_LABELS.home}=${homeId}`] } }),
    )) as unknown as SwarmService[];
    const found = new Map<string, Observed>();
    for (const s of services) {
      const labels = s.Spec.Labels ?? {};
      const deployment = labels[DEPLOY_LABELS.name];
      if (!deployment || labels[DEPLOY_LABELS.role] !== 'service') continue;
      found.set(deployment, await observeService(this.docker, deployment, s));
    }
    // A front whose model service is gone: what it served is missing.
    for (const s of services) {
      const labels = s.Spec.Labels ?? {};
      const deployment = labels[DEPLOY_LABELS.name];
      if (!deployment || found.has(deployment)) continue;
      found.set(deployment, {
        deployment,
        status: 'missing',
        problem: `Its Swarm service ${serviceName(deployment)} is gone from the engine; only its front ${s.Spec.Name} is left. Remove the deployment and deploy again.`,
        container: null,
        version: Number(labels[DEPLOY_LABELS.version]) || null,
        startedAt: null,
        lastLogLines: [],
        labels,
      });
    }
    return found;
  }

  async logs(deployment: string, tail: number): Promise<DeploymentLogs> {
    const svc = await this.ownService(serviceName(deployment));
    if (!svc) return { container: null, lines: [] };
    const buf = (await engine(() =>
      this.docker.getService(svc.ID).logs({ stdout: true, stderr: true, tail, follow: false }),
    )) as unknown as Buffer;
    return { container: svc.ID, lines: logLines(buf) };
  }

  async request(
    deployment: string,
    url: string,
    init: { method: 'GET' | 'POST'; path: string; body?: string; contentType?: string },
  ): Promise<HttpAnswer> {
    const target = new URL(init.path, url);
    // A local engine's fronts listen on every interface here; loopback always reaches them.
    if (this.deps.local) target.hostname = '127.0.0.1';
    try {
      return await oneShotRequest(target, init);
    } catch (err) {
      const where = this.deps.local
        ? `Is the deployment ${deployment} running? See mlwb deployments show ${deployment}.`
        : `A swarm deployment's port is open on every node of the swarm: check that ${target.host} is a node's address and that no firewall between here and it closes port ${target.port}.`;
      throw new WorkbenchError(
        'IO',
        `Could not reach ${target.origin} (${(err as Error).message}). ${where}`,
      );
    }
  }

  private async prepare(spec: RuntimeSpec) {
    const info = (await engine(() => this.docker.info())) as {
      Swarm?: { NodeID?: string; ControlAvailable?: boolean };
    };
    if (!info.Swarm?.ControlAvailable)
      throw new WorkbenchError(
        'INVALID_INPUT',
        'This engine is not a Swarm manager, so it cannot run swarm deployments. Deploy in container mode (--mode container), or make it a manager: docker swarm init --advertise-addr 127.0.0.1 (one machine) or join it to a swarm as a manager.',
      );
    const [image, caps] = await Promise.all([
      imageRef(this.docker, spec.image, info.Swarm.NodeID ?? ''),
      engineCaps(this.docker),
    ]);
    return { image, caps };
  }

  private async ensureNetwork(spec: RuntimeSpec): Promise<void> {
    const name = networkName(spec.deployment);
    const existing = await engine(() => this.docker.listNetworks({ filters: { name: [name] } }));
    if (existing.some((n) => n.Name === name)) return;
    await engine(() =>
      this.docker.createNetwork({
        Name: name,
        Driver: 'overlay',
        CheckDuplicate: true,
        Labels: { [DEPLOY_LABELS.name]: spec.deployment, [DEPLOY_LABELS.home]: spec.homeId },
      }),
    );
  }

  private async requireService(deployment: string): Promise<SwarmService> {
    const svc = await this.ownService(serviceName(deployment));
    if (!svc)
      throw notFound(
        `The Swarm service ${serviceName(deployment)} is gone from the engine. Remove the deployment ${deployment} and deploy again.`,
      );
    return svc;
  }

  /** Updates a service from the version read, so a change made meanwhile is not overwritten. */
  private async updateService(svc: SwarmService, spec: Docker.ServiceSpec, rollback = false): Promise<void> {
    await engine(() =>
      this.docker.getService(svc.ID).update({
        _query: { version: svc.Version.Index, ...(rollback ? { rollback: 'previous' } : {}) },
        _body: spec,
      }),
    );
  }

  /** Asks Swarm to put the previous spec back (a replacement that timed out or was cancelled). */
  private async rollBack(deployment: string): Promise<void> {
    const svc = await this.requireService(deployment);
    if (svc.UpdateStatus?.State?.startsWith('rollback')) return;
    await this.updateService(svc, svc.Spec, true);
  }

  /** Waits for Swarm's rollback to end; what to add to the reason when it did not end well. */
  private async waitRolledBack(deployment: string, ctx: OpContext): Promise<string> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !ctx.signal.aborted) {
      const status = (await this.requireService(deployment)).UpdateStatus;
      if (status?.State === 'rollback_completed') return '';
      if (status?.State === 'rollback_paused')
        return ` The rollback itself stopped (${status.Message ?? 'no reason given'}): see mlwb deployments show ${deployment}.`;
      await sleep(POLL_MS, ctx.signal);
    }
    return ` The rollback had not finished after a minute: see mlwb deployments show ${deployment}.`;
  }

  /** The newest failure among tasks made since `seen`, of this generation, with its last lines. */
  private async failureOf(tasks: SwarmTask[], seen: Set<string>, generation?: number) {
    const failed = tasks
      .filter((t) => !seen.has(t.ID) && (generation === undefined || generationOf(t) === String(generation)))
      .filter((t) => FAILED_STATES.has(t.Status.State) || t.Status.Err)
      .sort(newestFirst)[0];
    if (!failed) return { error: '', lines: [] as string[] };
    return { error: taskError(failed), lines: await taskLogLines(this.docker, failed) };
  }

  /**
   * Resolves once `replicas` tasks made since `seen` run (healthy: Swarm reports a task with a
   * health check running only once it passes) and the front answers; throws at the first task that
   * fails, at the deadline, or when cancelled.
   */
  private async waitReady(
    spec: RuntimeSpec,
    replicas: number,
    seen: Set<string>,
    ctx: OpContext,
  ): Promise<number> {
    const name = serviceName(spec.deployment);
    const deadline = Date.now() + spec.readyTimeoutMs + 10_000;
    for (;;) {
      if (ctx.signal.aborted) throw cancelled();
      const [tasks, frontTasks] = await Promise.all([
        tasksOf(this.docker, name),
        tasksOf(this.docker, frontName(spec.deployment)),
      ]);
      const running = tasks.filter((t) => isRunning(t) && !seen.has(t.ID));
      ctx.progress({
        phase: 'starting',
        done: running.length,
        total: replicas,
        message: `${running.length} of ${replicas} replicas ready`,
      });
      const failure = await this.failureOf(tasks, seen);
      if (failure.error)
        throw new WorkbenchError(
          'INTERNAL',
          withLog(
            `${spec.model} version ${spec.version} did not start on Swarm: ${failure.error}.`,
            failure.lines,
          ),
          { lastLogLines: failure.lines },
        );
      const frontFailure = await this.failureOf(frontTasks, seen);
      if (frontFailure.error) {
        if (/address already in use|port .* already/i.test(frontFailure.error))
          await requireFreePort(this.docker, spec.port, spec.deployment, this.deps.local);
        throw new WorkbenchError(
          'INTERNAL',
          `The front of ${spec.deployment}, which holds port ${spec.port}, did not start: ${frontFailure.error}.`,
        );
      }
      if (running.length >= replicas && frontTasks.some(isRunning) && (await this.answers(spec.port)))
        return Math.min(...running.map((t) => Date.parse(t.Status.Timestamp) || Date.now()));
      if (Date.now() > deadline) {
        const waiting = tasks.filter((t) => t.DesiredState === 'running' && !isRunning(t));
        const why = waiting[0] ? `: ${taskError(waiting[0])}` : '';
        throw new WorkbenchError(
          'INTERNAL',
          `${running.length} of ${replicas} replicas of ${spec.deployment} became ready within ${seconds(spec.readyTimeoutMs)}${why}. Give it longer (--ready-timeout), or see the deployment's logs.`,
        );
      }
      await sleep(POLL_MS, ctx.signal);
    }
  }

  /**
   * Whether the front routes to a ready replica (it looks every second). Only a local engine's port
   * is known to be reachable from here; on a remote one the tasks' state is all there is to go by.
   */
  private async answers(port: number): Promise<boolean> {
    if (!this.deps.local) return true;
    const target = new URL(`http://127.0.0.1:${port}/v2/health/ready`);
    return oneShotRequest(target, { method: 'GET' }, 2000).then(
      (r) => r.status === 200,
      () => false,
    );
  }

  /**
   * Resolves once no container of these services runs (bounded: they drain in 10 s); with `gone`,
   * once none is left at all, so their volumes and network can be removed.
   */
  private async waitDrained(services: string[], gone = false): Promise<void> {
    const deadline = Date.now() + DRAIN_MS;
    while (Date.now() < deadline) {
      // One query a service: label filters of one query must all match.
      const ours = (
        await engine(() =>
          Promise.all(
            services.map((s) =>
              this.docker.listContainers({
                all: true,
                filters: { label: [`com.docker.swarm.service.name=${s}`] },
              }),
            ),
          ),
        )
      ).flat();
      if (!ours.some((c) => gone || c.State === 'running')) return;
      await sleep(POLL_MS);
    }
  }
}
