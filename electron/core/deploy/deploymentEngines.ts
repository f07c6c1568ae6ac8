/**
 * The engines deployments run on, as the deployment service reaches them: a named engine's target
 * (refused with the reason when it cannot be used), its runtimes (loaded on first use, so opening a
 * home never loads dockerode), and a free port on it.
 */
import type { EngineTarget } from '../docker/engine.ts';
import type { EngineRegistry } from '../docker/engineRegistry.ts';
import { conflict, WorkbenchError } from '../errors.ts';
import type { DeploymentRecord } from './deploymentRepo.ts';
import { portIsFree } from './hostPort.ts';
import type { DeploymentRuntime } from './runtime.ts';

export interface Runtimes {
  container: DeploymentRuntime;
  swarm: DeploymentRuntime;
  isSwarmManager(): Promise<boolean>;
}

export type RuntimesFor = (target: EngineTarget, homeId: string) => Promise<Runtimes>;

async function defaultRuntimes(target: EngineTarget, homeId: string): Promise<Runtimes> {
  const [{ containerRuntime }, { swarmRuntime, isSwarmManager }] = await Promise.all([
    import('./containerRuntime.ts'),
    import('./swarmRuntime.ts'),
  ]);
  const deps = {
    docker: target.docker,
    local: isLocalEngine(target),
    homeId,
    network: process.env.MLWB_DEPLOY_NETWORK === 'bridge' ? ('bridge' as const) : ('auto' as const),
  };
  return {
    container: containerRuntime(deps),
    swarm: swarmRuntime(deps),
    isSwarmManager: () => isSwarmManager(target.docker),
  };
}

/** An engine on this machine's socket: its published ports are reachable on 127.0.0.1. */
export function isLocalEngine(target: EngineTarget): boolean {
  return target.host.startsWith('unix://') || target.host.startsWith('npipe://');
}

/** The host name a remote engine's deployments are reached at (its address in DOCKER_HOST). */
export function engineHostname(target: EngineTarget): string {
  try {
    return new URL(target.host).hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  } catch {
    return '127.0.0.1';
  }
}

export class DeploymentEngines {
  private readonly cache = new Map<string, Promise<Runtimes>>();

  constructor(
    private readonly engines: EngineRegistry,
    private readonly homeId: string,
    private readonly load: RuntimesFor = defaultRuntimes,
  ) {}

  /** A named engine (null: the default one), refused with the reason when it cannot be used. */
  target(engine: string | null): EngineTarget {
    const target = this.engines.target(engine ?? undefined);
    if (target.problem) throw new WorkbenchError('ENGINE_UNAVAILABLE', target.problem);
    return target;
  }

  runtimes(target: EngineTarget): Promise<Runtimes> {
    let found = this.cache.get(target.host);
    if (!found) {
      found = this.load(target, this.homeId);
      this.cache.set(target.host, found);
      found.catch(() => this.cache.delete(target.host));
    }
    return found;
  }

  /** The runtime a recorded deployment runs under. */
  async runtimeFor(r: DeploymentRecord): Promise<DeploymentRuntime> {
    const runtimes = await this.runtimes(this.target(r.engine));
    return r.mode === 'swarm' ? runtimes.swarm : runtimes.container;
  }

  /** A port none of `ours` uses and, on a local engine, nothing listens on. */
  async freePort(ours: number[], local: boolean, from = 8100): Promise<number> {
    const taken = new Set(ours);
    for (let port = from; port < from + 500; port++) {
      if (taken.has(port)) continue;
      if (!local || (await portIsFree('127.0.0.1', port))) return port;
    }
    throw conflict(`No free port between ${from} and ${from + 499}. Name one with --port.`);
  }
}
