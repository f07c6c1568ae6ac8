/**
 * How a deployment runs on an engine, behind one interface with two kinds:
 * - containerRuntime.ts: a model container behind a front container that holds the published port;
 * - swarmRuntime.ts: a Swarm service with replicas, rolled by Swarm.
 *
 * A runtime knows nothing of the store: the service (deploymentService.ts) tells it what to run and
 * records what happened. Everything a runtime makes carries the labels below, so what runs can be
 * found again from the engine alone (after a restart, or with the store's record gone).
 */
import type Docker from 'dockerode';
import type { DeploymentLogs, DeploymentMode, DeploymentStatus } from '../../../shared/deployments.ts';
import type { OpContext } from '../ops/operations.ts';

export const DEPLOY_LABEL = 'dev.mlops-workbench.deployment';
export const DEPLOY_LABELS = {
  /** The deployment's name. */
  name: DEPLOY_LABEL,
  /** Which workbench home made it: another home's deployments are not ours to adopt. */
  home: `${DEPLOY_LABEL}.home`,
  /** `front`, `model` (container mode) or `service` (swarm). */
  role: `${DEPLOY_LABEL}.role`,
  model: `${DEPLOY_LABEL}.model`,
  version: `${DEPLOY_LABEL}.version`,
  /** Each container made for a deployment has the next number. */
  generation: `${DEPLOY_LABEL}.generation`,
  port: `${DEPLOY_LABEL}.port`,
  bindHost: `${DEPLOY_LABEL}.bind-host`,
  alias: `${DEPLOY_LABEL}.alias`,
  followAlias: `${DEPLOY_LABEL}.follow-alias`,
  replicas: `${DEPLOY_LABEL}.replicas`,
  /** Container mode: the port a model container listens on in its front's network (netFront.ts). */
  slot: `${DEPLOY_LABEL}.slot`,
} as const;

/**
 * The labels every part of a deployment carries (its front, model containers, Swarm services):
 * what `observe` reads back, and what a lost record is rebuilt from.
 */
export function deploymentLabels(
  spec: RuntimeSpec,
  role: 'front' | 'model' | 'service',
): Record<string, string> {
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
  };
}

/** What to run: one model version of one deployment. */
export interface RuntimeSpec {
  deployment: string;
  homeId: string;
  model: string;
  version: number;
  alias: string | null;
  followAlias: boolean;
  image: string;
  bindHost: string;
  port: number;
  replicas: number;
  generation: number;
  /** Where the server writes its request log: a host folder (local engine) or a named volume. */
  requestLog: { kind: 'bind'; path: string } | { kind: 'volume'; name: string };
  readyTimeoutMs: number;
}

/** What the engine shows of one deployment. */
export interface Observed {
  deployment: string;
  status: DeploymentStatus;
  problem: string | null;
  /** The live container's (or service's) id. */
  container: string | null;
  /** The version the live container serves, by its labels. */
  version: number | null;
  startedAt: number | null;
  lastLogLines: string[];
  /** The labels of the live container or service, to rebuild a lost record from. */
  labels: Record<string, string>;
}

export type ReplaceOutcome =
  | { outcome: 'replaced'; container: string; startedAt: number }
  | { outcome: 'rolled-back'; reason: string };

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  latencyMs: number;
}

export interface DeploymentRuntime {
  readonly mode: DeploymentMode;
  /**
   * Starts a new deployment and resolves once it is ready. When it cannot become ready it removes
   * what it made and throws, with the reason and the container's last log lines.
   */
  deploy(spec: RuntimeSpec, ctx: OpContext): Promise<{ container: string; startedAt: number }>;
  /**
   * Health-gated replacement: `spec` (a new generation) starts beside the serving one and must
   * become ready before traffic moves to it; then the old one stops. When it does not, it is removed
   * and the old one keeps serving.
   */
  replace(spec: RuntimeSpec, ctx: OpContext): Promise<ReplaceOutcome>;
  /** Stops serving; in-flight requests finish. What is stopped stays, to be started again. */
  stop(deployment: string, ctx: OpContext): Promise<void>;
  /** Starts a stopped deployment from `spec` and resolves once ready. */
  start(spec: RuntimeSpec, ctx: OpContext): Promise<{ container: string; startedAt: number }>;
  /** Removes everything made for the deployment (request logs in volumes excepted). */
  remove(deployment: string, ctx: OpContext): Promise<void>;
  /** Every deployment of `homeId` on this engine, by name. */
  observe(homeId: string): Promise<Map<string, Observed>>;
  logs(deployment: string, tail: number): Promise<DeploymentLogs>;
  /** An HTTP request to the deployment's server, from wherever it can be reached. */
  request(
    deployment: string,
    url: string,
    init: { method: 'GET' | 'POST'; path: string; body?: string; contentType?: string },
  ): Promise<HttpAnswer>;
}

export interface RuntimeDeps {
  docker: Docker;
  /**
   * The home whose deployments this runtime acts on. Names are engine-wide: a container or service
   * of another home with the same name is never stopped, replaced or removed from here.
   */
  homeId: string;
  /** True when the engine runs on this machine (the unix socket): its ports are reachable here. */
  local: boolean;
  /**
   * `bridge` keeps container-mode deployments off the host's network even where they could use it
   * (netFront.ts says what each means); `auto` (the default) uses it where it can.
   */
  network?: 'auto' | 'bridge';
}
