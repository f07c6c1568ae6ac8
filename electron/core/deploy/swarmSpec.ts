/**
 * What a swarm deployment is made of, as Swarm service specs (see swarmRuntime.ts):
 * - `mlwb-dep-NAME`: the model server, N replicas on the overlay network `mlwb-dep-NAME`, rolled
 *   one replica at a time, start-first, each new replica gated on its readiness
 *   (`/v2/health/ready`), and rolled back by Swarm when one fails;
 * - `mlwb-dep-NAME_front`: the balancer that holds the published port (swarmFront.ts). An
 *   underscore, which no deployment name has, so the front of `x` is never named like a deployment
 *   `x-front`.
 * Both carry the deployment labels of runtime.ts, on the service and on its containers.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { WorkbenchError } from '../errors.ts';
import { REQUEST_LOG_DIR, SERVER_PORT, SERVER_UID } from '../serving/modelImage.ts';
import { engineError } from '../training/containerRun.ts';
import { deploymentLabels, type RuntimeSpec } from './runtime.ts';
import { FRONT_SCRIPT, frontEnv } from './swarmFront.ts';

export const serviceName = (deployment: string) => `mlwb-dep-${deployment}`;
export const frontName = (deployment: string) => `mlwb-dep-${deployment}_front`;
export const networkName = (deployment: string) => `mlwb-dep-${deployment}`;
const SECOND = 1e9;
/** How long Swarm watches a new replica for failure before counting it updated. */
export const MONITOR_NS = 5 * SECOND;
/** The server drains in at most 10 s on SIGTERM (resources/serving); Swarm kills after this. */
const STOP_GRACE_NS = 15 * SECOND;
/** `GET /v2/health/ready` answered 200, over HTTP/1.0 so the server closes the connection. */
const READY_PROBE = `exec 3<>/dev/tcp/127.0.0.1/$PORT && printf 'GET /v2/health/ready HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '`;
const MODEL_LIMITS = { MemoryBytes: 2 * 1024 ** 3, Pids: 1024 };
const FRONT_LIMITS = { MemoryBytes: 128 * 1024 ** 2, Pids: 256 };
const TMP = {
  Type: 'tmpfs' as const,
  Source: '',
  Target: '/tmp',
  TmpfsOptions: { SizeBytes: 16 * 1024 ** 2, Mode: 0o1777 },
};

/** Engine features that depend on its API version. */
export interface EngineCaps {
  /** `CapabilityDrop` in a service's container spec: API 1.41 (Docker 20.10) and later. */
  capDrop: boolean;
}

export async function engineCaps(docker: Docker): Promise<EngineCaps> {
  try {
    const { ApiVersion } = await docker.version();
    const [major = 0, minor = 0] = ApiVersion.split('.').map(Number);
    return { capDrop: major > 1 || (major === 1 && minor >= 41) };
  } catch (err) {
    throw engineError(err);
  }
}

/**
 * The image as the service names it, and where its replicas may run.
 *
 * A tag would make every node try to pull it from a registry first (Swarm re-resolves tags on each
 * task), which is a network call this workbench must not make for an image that only exists here.
 * So an image that came from, or was pushed to, a registry is named by its digest (`repo@sha256:…`:
 * nodes that lack it pull it; nodes that have it do not); an image only this engine has is named by
 * its id, which no node pulls, and its replicas are kept on this node, the only one that has it.
 */
export async function imageRef(
  docker: Docker,
  image: string,
  nodeId: string,
): Promise<{ ref: string; constraints: string[] }> {
  let info: { Id: string; RepoDigests?: string[] };
  try {
    info = await docker.getImage(image).inspect();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404)
      throw new WorkbenchError(
        'NOT_FOUND',
        `The image ${image} is not on this engine. Package the model version on it first (mlwb model package NAME@V).`,
      );
    throw engineError(err);
  }
  const repo = image.replace(/(:[^/:@]+)?(@.*)?$/, '');
  const digests = info.RepoDigests ?? [];
  const digest = digests.find((d) => d.startsWith(`${repo}@`)) ?? digests[0];
  if (digest) return { ref: digest, constraints: [] };
  return { ref: info.Id, constraints: [`node.id==${nodeId}`] };
}

const rollout = (failureAction: 'rollback' | 'pause') => ({
  Parallelism: 1,
  Delay: 0,
  // The new replica starts beside the old one and takes its place only once it is healthy.
  Order: 'start-first',
  FailureAction: failureAction,
  Monitor: MONITOR_NS,
  MaxFailureRatio: 0,
});

/**
 * Each server writes its own request-log folder, `gGENERATION-rSLOT` (Swarm fills in the slot): a
 * replica and the one replacing it (another generation) never append to the same files.
 */
export const requestLogFolder = (generation: number, slot: number | string) => `g${generation}-r${slot}`;

/**
 * Readies a request log kept in a host folder (a local engine) and says who the server runs as: a
 * workbench that is not root runs it as its own user, so the log files are the user's to read and
 * delete; a root workbench runs it as the image's user, and hands it the replicas' folders (made
 * here, as that user cannot write the folder they are in). Otherwise the image's user.
 */
export function prepareRequestLog(spec: RuntimeSpec, local: boolean, replicas = spec.replicas): string {
  const image = `${SERVER_UID}:${SERVER_UID}`;
  if (spec.requestLog.kind !== 'bind' || !local) return image;
  const dir = spec.requestLog.path;
  fs.mkdirSync(dir, { recursive: true });
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  if (uid === undefined || gid === undefined) return image;
  if (uid !== 0) return `${uid}:${gid}`;
  // The folder is the mount point: the image's user must be able to pass through it.
  const mode = fs.statSync(dir).mode & 0o7777;
  if ((mode & 0o001) === 0) fs.chmodSync(dir, mode | 0o001);
  for (let slot = 1; slot <= replicas; slot++) {
    const sub = path.join(dir, requestLogFolder(spec.generation, slot));
    fs.mkdirSync(sub, { recursive: true });
    fs.lchownSync(sub, SERVER_UID, SERVER_UID);
  }
  return image;
}

export function modelServiceSpec(
  spec: RuntimeSpec,
  image: { ref: string; constraints: string[] },
  caps: EngineCaps,
  user: string,
  replicas = spec.replicas,
): Docker.ServiceSpec {
  const labels = deploymentLabels(spec, 'service');
  const log =
    spec.requestLog.kind === 'volume'
      ? { Type: 'volume' as const, Source: spec.requestLog.name, Target: REQUEST_LOG_DIR }
      : { Type: 'bind' as const, Source: spec.requestLog.path, Target: REQUEST_LOG_DIR };
  return {
    Name: serviceName(spec.deployment),
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: image.ref,
        Labels: labels,
        User: user,
        Env: [
          `PORT=${SERVER_PORT}`,
          `MLWB_REQUEST_LOG_DIR=${REQUEST_LOG_DIR}/${requestLogFolder(spec.generation, '{{.Task.Slot}}')}`,
        ],
        ReadOnly: true,
        Mounts: [log, TMP],
        // A replica is only `running` for Swarm once its health check passes, so the rolling update
        // waits on readiness. The image's own check starts node every 10 s; checked every second
        // here (Docker 20.10 has no faster start interval), node would cost a CPU-second a second
        // per replica, and a busy machine would time the checks out and have Swarm kill healthy
        // replicas. bash's /dev/tcp costs a few milliseconds.
        HealthCheck: {
          Test: ['CMD', 'bash', '-c', READY_PROBE],
          Interval: SECOND,
          Timeout: 5 * SECOND,
          StartPeriod: Math.max(1, Math.round(spec.readyTimeoutMs / 1000)) * SECOND,
          Retries: 3,
        },
        StopGracePeriod: STOP_GRACE_NS,
        ...(caps.capDrop ? { CapabilityDrop: ['ALL'] } : {}),
        // no-new-privileges cannot be set on a service through API 1.41 (its Privileges hold only
        // credential specs and SELinux); the server runs as a non-root user with no capabilities.
      },
      Resources: { Limits: MODEL_LIMITS },
      // Any end, not only failures: a replica Swarm stops for failing its health check drains and
      // exits 0, and must still be replaced. A server that cannot start is given up after a few tries.
      RestartPolicy: { Condition: 'any', Delay: 2 * SECOND, MaxAttempts: 5, Window: 120 * SECOND },
      Placement: { Constraints: image.constraints },
      Networks: [{ Target: networkName(spec.deployment) }],
      // A new generation on the same image (a restart) still rolls the replicas.
      ForceUpdate: spec.generation,
    },
    Mode: { Replicated: { Replicas: replicas } },
    UpdateConfig: rollout('rollback'),
    RollbackConfig: rollout('pause'),
    // DNS round robin: the front finds each replica's address, with no virtual IP (IPVS).
    EndpointSpec: { Mode: 'dnsrr' },
  };
}

export function frontServiceSpec(
  spec: RuntimeSpec,
  image: { ref: string; constraints: string[] },
  caps: EngineCaps,
): Docker.ServiceSpec {
  const labels = deploymentLabels(spec, 'front');
  return {
    Name: frontName(spec.deployment),
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: image.ref,
        Labels: labels,
        Command: ['node', '-e', FRONT_SCRIPT],
        User: '65534:65534',
        Env: frontEnv(serviceName(spec.deployment), SERVER_PORT, SERVER_PORT, spec.bindHost),
        ReadOnly: true,
        // A tmpfs over the image's log volume: the front logs no requests, and an anonymous volume
        // per front task would be left behind.
        Mounts: [
          TMP,
          {
            Type: 'tmpfs',
            Source: '',
            Target: REQUEST_LOG_DIR,
            TmpfsOptions: { SizeBytes: 1024 ** 2, Mode: 0o755 },
          },
        ],
        // The image's check asks readiness through this very port: a stopped deployment would make
        // its front unhealthy, and Swarm would replace it over and over.
        HealthCheck: { Test: ['NONE'] },
        StopGracePeriod: 10 * SECOND,
        ...(caps.capDrop ? { CapabilityDrop: ['ALL'] } : {}),
      },
      Resources: { Limits: FRONT_LIMITS },
      RestartPolicy: { Condition: 'any', Delay: 2 * SECOND },
      Placement: { Constraints: image.constraints },
      Networks: [{ Target: networkName(spec.deployment) }],
    },
    Mode: { Global: {} },
    // Host mode: each node's front binds the port itself, with no ingress mesh in between.
    EndpointSpec: {
      Ports: [{ Protocol: 'tcp', TargetPort: SERVER_PORT, PublishedPort: spec.port, PublishMode: 'host' }],
    },
  };
}
