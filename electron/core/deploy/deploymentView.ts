/**
 * The pure parts of reading deployments: a record joined to what an engine shows (the `Deployment`
 * the contract speaks of), and a record rebuilt from the labels of what an engine runs.
 */
import type { Deployment } from '../../../shared/deployments.ts';
import type { DeploymentRecord, NewDeployment } from './deploymentRepo.ts';
import { DEPLOY_LABELS, type Observed } from './runtime.ts';

/** An engine that could not be asked, and why. */
export interface Unreachable {
  unreachable: string;
}
export type Seen = Observed | Unreachable;

/** One deployment of what an engine showed (or why nothing could be seen). */
export function pick(seen: Map<string, Observed> | Unreachable | undefined, name: string): Seen | undefined {
  if (!seen) return undefined;
  return seen instanceof Map ? seen.get(name) : seen;
}

export function urlOf(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Log text as words: onnxruntime colours its messages for terminals. */
export const plainText = (text: string) => text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');

/**
 * A deployment as the user sees it: the record joined to what the engine shows. `aliasTarget` is
 * the version its alias points at now (null: no alias, or removed).
 */
export function deploymentView(
  r: DeploymentRecord,
  o: Seen | undefined,
  aliasTarget: number | null,
): Deployment {
  const aliasVersion = aliasTarget !== null && aliasTarget !== r.version ? aliasTarget : null;
  const base = {
    name: r.name,
    model: r.model,
    version: r.version,
    alias: r.alias,
    followAlias: r.followAlias,
    aliasVersion,
    engine: r.engine,
    mode: r.mode,
    replicas: r.replicas,
    url: urlOf(r.urlHost, r.port),
    port: r.port,
    image: r.image,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    lastReplacement: r.lastReplacement,
  };
  // While a change holds it, containers come and go (made, not started yet; stopped, not removed):
  // what the engine shows between two steps is not a death.
  // (Only while it is first made, or when nothing shows at all: a server that dies during another
  // change is shown dead.)
  const beingMade = r.busy !== null && r.image === '';
  if (r.busy && (!o || (beingMade && 'status' in o && (o.status === 'dead' || o.status === 'missing'))))
    return {
      ...base,
      status: 'starting',
      problem: `${r.busy} is under way.`,
      startedAt: null,
      container: null,
    };
  if (!o) {
    return {
      ...base,
      status: r.desired === 'stopped' ? 'stopped' : 'missing',
      problem:
        r.desired === 'stopped'
          ? null
          : `Its containers are gone from the engine (removed outside the workbench?). Restart it to deploy it again on the same port, or remove it.`,
      startedAt: null,
      container: null,
    };
  }
  if ('unreachable' in o)
    return { ...base, status: 'unknown', problem: o.unreachable, startedAt: null, container: null };
  return {
    ...base,
    status: o.status,
    problem: o.problem === null ? null : plainText(o.problem),
    startedAt: o.status === 'running' || o.status === 'replacing' ? o.startedAt : null,
    container: o.container,
  };
}

/** What an engine's labels say of a deployment the store does not know; undefined when too little. */
export function recordFromLabels(
  engine: string | null,
  o: Observed,
  urlHost: string,
): NewDeployment | undefined {
  const l = o.labels;
  const model = l[DEPLOY_LABELS.model];
  const version = Number(l[DEPLOY_LABELS.version]);
  const port = Number(l[DEPLOY_LABELS.port]);
  if (!model || !Number.isInteger(version) || !Number.isInteger(port)) return undefined;
  return {
    name: o.deployment,
    model,
    version,
    alias: l[DEPLOY_LABELS.alias] || null,
    followAlias: l[DEPLOY_LABELS.followAlias] === 'true',
    engine,
    mode: l[DEPLOY_LABELS.role] === 'service' ? 'swarm' : 'container',
    replicas: Number(l[DEPLOY_LABELS.replicas]) || 1,
    bindHost: l[DEPLOY_LABELS.bindHost] ?? '127.0.0.1',
    urlHost,
    port,
    // The image is named again at the next update or restart, which packages (or finds) it.
    image: '',
    desired: o.status === 'stopped' ? 'stopped' : 'running',
    generation: Number(l[DEPLOY_LABELS.generation]) || 1,
  };
}
