/**
 * What a container-mode deployment is made of on the engine, by name and label: the names of its
 * containers, the labels they carry (runtime.ts, DEPLOY_LABELS) and how they are read back, and the
 * few engine calls every part of the runtime makes the same way.
 */
import type Docker from 'dockerode';
import { WorkbenchError } from '../errors.ts';
import { engineError } from '../training/containerRun.ts';
import { DEPLOY_LABELS, deploymentLabels, type RuntimeSpec } from './runtime.ts';

/**
 * A model container's name. `.g<N>` rather than `-g<N>`: a deployment's name has no dot, so no
 * deployment's front (`mlwb-dep-<name>`) can ever be named like another one's model container.
 */
export const modelContainerName = (deployment: string, generation: number) =>
  `mlwb-dep-${deployment}.g${generation}`;

type Role = 'front' | 'model';

/** The labels of a container made for `spec`, with the slot it listens on in its front's network. */
export function labelsFor(spec: RuntimeSpec, role: Role, slot: number): Record<string, string> {
  return { ...deploymentLabels(spec, role), [DEPLOY_LABELS.slot]: String(slot) };
}

export const generationOf = (c: Docker.ContainerInfo) => Number(c.Labels[DEPLOY_LABELS.generation] ?? 0);
export const slotOf = (c: Docker.ContainerInfo) => Number(c.Labels[DEPLOY_LABELS.slot] ?? 0);
export const roleOf = (c: Docker.ContainerInfo) => c.Labels[DEPLOY_LABELS.role];
export const isRunning = (c: Docker.ContainerInfo) => c.State === 'running';
/** Whether a front serves its port: running, not in a loop of restarts (Docker says both then). */
export const frontServes = (info: Docker.ContainerInspectInfo) =>
  info.State.Running && !info.State.Restarting;
export const statusCode = (err: unknown) => (err as { statusCode?: number }).statusCode;

/** Resolves, rethrowing the engine's failures as workbench errors (ENGINE_UNAVAILABLE and so on). */
export async function engine<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    throw err instanceof WorkbenchError ? err : engineError(err);
  }
}

export async function removeQuietly(c: Docker.Container): Promise<void> {
  await c.remove({ force: true, v: true }).catch(() => {});
}

/** Stops a container, letting it drain; an already stopped or removed one is fine. */
export async function stopGracefully(c: Docker.Container, seconds: number): Promise<void> {
  try {
    await c.stop({ t: seconds });
  } catch (err) {
    if (statusCode(err) !== 304 && statusCode(err) !== 404) throw engineError(err);
  }
}
