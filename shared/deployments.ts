/**
 * Deployments (DESIGN §6, docs/architecture.md "Deployments"): a model version served from its
 * image on an engine, at a URL, replaced health-gated by another version, found again from its
 * containers' labels. Shared by core, the CLI and the renderer.
 */
import * as z from 'zod';
import { ModelName, VersionNumber } from './registry.ts';

/**
 * A name kept to lower-case letters, digits and `-`, as a DNS label (`iris-ct`, `iris-drift`):
 * deployments', monitors' and policies'. `kind` names it in messages.
 */
export function labelName(kind: string) {
  return z
    .string()
    .min(1, `A ${kind} needs a name.`)
    .max(40, `A ${kind} name has at most 40 characters.`)
    .regex(
      /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/,
      `A ${kind} name uses lower-case letters, digits and "-", and starts and ends with a letter or digit.`,
    );
}

/**
 * A deployment's name. It becomes part of container, service and volume names, so it is kept to
 * lower-case letters, digits and `-`, as a DNS label.
 */
export const DeploymentName = labelName('deployment');

/** A deployment's name made from a model's when none is given: `Iris.LogReg` → `iris-logreg`. */
export function deploymentNameFor(model: string): string {
  const slug = model
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return slug || 'model';
}

/**
 * Where a deployment runs:
 * - `container`: one model container on an engine; its published port is held by a small front
 *   container, so a replacement moves traffic without closing the port;
 * - `swarm`: a Swarm service with replicas, rolled by Swarm's own health-gated update.
 */
export const DeploymentMode = z.enum(['container', 'swarm']);
export type DeploymentMode = z.infer<typeof DeploymentMode>;

/**
 * What the engine shows, read on every look (never only what the store remembers):
 * - `starting`: a container is up and not ready yet;
 * - `running`: ready and serving;
 * - `replacing`: serving, while a new version starts beside it;
 * - `stopped`: stopped on purpose (`deployments.stop`);
 * - `dead`: its container ended without being asked to (see `problem` and `lastLogLines`);
 * - `missing`: its containers are gone from the engine (removed by hand, or another engine);
 * - `unknown`: the engine does not answer, so nothing can be said.
 */
export const DeploymentStatus = z.enum([
  'starting',
  'running',
  'replacing',
  'stopped',
  'dead',
  'missing',
  'unknown',
]);
export type DeploymentStatus = z.infer<typeof DeploymentStatus>;

export const ReplacementOutcome = z.enum(['replaced', 'rolled-back']);
export type ReplacementOutcome = z.infer<typeof ReplacementOutcome>;

/** The last health-gated replacement: what it tried and how it ended. */
export const Replacement = z.object({
  at: z.number(),
  from: z.number().int(),
  to: z.number().int(),
  outcome: ReplacementOutcome,
  /** Why the new version was rolled back (its readiness failure and last log lines). */
  reason: z.string().nullable(),
});
export type Replacement = z.infer<typeof Replacement>;

export const Deployment = z.object({
  name: z.string(),
  model: z.string(),
  version: z.number().int(),
  /** The alias it was made from; it follows the alias when `followAlias`. */
  alias: z.string().nullable(),
  followAlias: z.boolean(),
  /** When following an alias that now points elsewhere: the version it points at. */
  aliasVersion: z.number().int().nullable(),
  /** The engine's name in Settings; null for the default engine. */
  engine: z.string().nullable(),
  mode: DeploymentMode,
  replicas: z.number().int(),
  url: z.string(),
  port: z.number().int(),
  image: z.string(),
  status: DeploymentStatus,
  /** Why the status is what it is, in words, when it is not plainly `running` or `stopped`. */
  problem: z.string().nullable(),
  /** When the serving container started (uptime is counted from here). */
  startedAt: z.number().nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
  lastReplacement: Replacement.nullable(),
  /** The live container (or service) on the engine, when there is one. */
  container: z.string().nullable(),
});
export type Deployment = z.infer<typeof Deployment>;

export const DeploymentEventKind = z.enum([
  'deployed',
  'replaced',
  'rolled-back',
  'stopped',
  'started',
  'restarted',
  'died',
  'found',
]);
export const DeploymentEvent = z.object({
  at: z.number(),
  kind: DeploymentEventKind,
  version: z.number().int(),
  message: z.string(),
});
export type DeploymentEvent = z.infer<typeof DeploymentEvent>;

export const DeploymentDetail = Deployment.extend({
  history: z.array(DeploymentEvent),
  /** The container's last lines when it died or failed to start. */
  lastLogLines: z.array(z.string()),
});
export type DeploymentDetail = z.infer<typeof DeploymentDetail>;

/**
 * Live serving figures, read from the server's `/metrics` (summed over replicas where Swarm's
 * routing lets one be asked). Rates and quantiles cover the time since the previous read by the
 * same workbench (at most a minute), or since the server started on the first read.
 */
export const DeploymentMetrics = z.object({
  at: z.number(),
  /** Seconds the figures below cover. */
  windowSeconds: z.number(),
  requestsTotal: z.number(),
  errorsTotal: z.number(),
  requestsPerSecond: z.number(),
  /** Share of requests answered with a 4xx or 5xx status in the window; null with no request. */
  errorRate: z.number().nullable(),
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
  inFlight: z.number(),
  modelLoadSeconds: z.number().nullable(),
});
export type DeploymentMetrics = z.infer<typeof DeploymentMetrics>;

export const DeployParams = z.object({
  model: ModelName,
  version: VersionNumber.optional(),
  alias: z.string().min(1).optional(),
  name: DeploymentName.optional(),
  /** The host port; a free one is picked when not given. */
  port: z.number().int().min(1).max(65535).optional(),
  engine: z.string().min(1).optional(),
  /** Default: `swarm` when the engine is a Swarm manager, else `container`. */
  mode: DeploymentMode.optional(),
  /** Swarm only: how many replicas (default 1). */
  replicas: z.number().int().min(1).max(32).optional(),
  /** With `alias`: replace the deployment when the alias moves (default true when by alias). */
  followAlias: z.boolean().optional(),
  /** Seconds the new container has to become ready (default 60). */
  readyTimeoutSeconds: z.number().int().min(1).max(600).optional(),
});
export type DeployParams = z.infer<typeof DeployParams>;

export const DeployResult = z.object({
  deployment: Deployment,
  url: z.string(),
  container: z.string(),
});
export type DeployResult = z.infer<typeof DeployResult>;

export const UpdateParams = z.object({
  name: DeploymentName,
  /** The version to move to; or an alias of the deployment's model; neither: the same version. */
  version: VersionNumber.optional(),
  alias: z.string().min(1).optional(),
  followAlias: z.boolean().optional(),
  readyTimeoutSeconds: z.number().int().min(1).max(600).optional(),
});
export type UpdateParams = z.infer<typeof UpdateParams>;

export const UpdateResult = z.object({
  deployment: Deployment,
  outcome: ReplacementOutcome,
  /** Why the new version did not take over. */
  reason: z.string().nullable(),
});
export type UpdateResult = z.infer<typeof UpdateResult>;

export const LogLine = z.object({ stream: z.enum(['stdout', 'stderr']), text: z.string() });
export const DeploymentLogs = z.object({ container: z.string().nullable(), lines: z.array(LogLine) });
export type DeploymentLogs = z.infer<typeof DeploymentLogs>;

/** A request sent to the deployment by the workbench on the user's behalf (the try-it form). */
export const InvokeParams = z.object({
  name: DeploymentName,
  /** `/invocations` or an Open Inference Protocol path (`/v2/models/NAME/infer`). */
  path: z
    .string()
    // One leading slash: `//host/x` would name another host.
    .regex(/^\/(?!\/)[A-Za-z0-9/_.-]*$/, 'A path on the deployment, such as /invocations.')
    .max(300),
  body: z.unknown(),
});
export const InvokeResult = z.object({
  status: z.number().int(),
  latencyMs: z.number(),
  body: z.unknown(),
});
export type InvokeResult = z.infer<typeof InvokeResult>;

/** The result of following an alias after it moved: one entry per deployment that follows it. */
export const FollowedAlias = z.object({
  deployment: z.string(),
  /** `failed`: the replacement could not even be tried (engine down, busy, build failed). */
  outcome: z.enum(['replaced', 'rolled-back', 'failed']),
  reason: z.string().nullable(),
});
export type FollowedAlias = z.infer<typeof FollowedAlias>;
