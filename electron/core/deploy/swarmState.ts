/**
 * Reading a swarm deployment back from the engine: its services, their tasks (one per replica
 * attempt), why a task failed with its container's last log lines, and which published ports are
 * taken. swarmRuntime.ts decides from these; nothing here changes the engine.
 */
import net from 'node:net';
import type Docker from 'dockerode';
import type { DeploymentLogs } from '../../../shared/deployments.ts';
import { conflict } from '../errors.ts';
import { engineError } from '../training/containerRun.ts';
import { DEPLOY_LABELS, type Observed } from './runtime.ts';
import { frontName } from './swarmSpec.ts';

export type LogLine = DeploymentLogs['lines'][number];

/** The fields of a Swarm service this runtime reads (dockerode types them loosely). */
export interface SwarmService {
  ID: string;
  Version: { Index: number };
  CreatedAt: string;
  UpdatedAt: string;
  Spec: Docker.ServiceSpec & { Labels?: Record<string, string> };
  Endpoint?: { Ports?: { PublishedPort?: number }[] };
  UpdateStatus?: { State?: string; StartedAt?: string; CompletedAt?: string; Message?: string };
}

/** One replica attempt: Swarm makes a new task for each start, restart and update. */
export interface SwarmTask {
  ID: string;
  ServiceID: string;
  Slot?: number;
  DesiredState: string;
  CreatedAt: string;
  UpdatedAt: string;
  Spec: { ContainerSpec?: { Labels?: Record<string, string> } };
  Status: {
    Timestamp: string;
    State: string;
    Message?: string;
    Err?: string;
    ContainerStatus?: { ContainerID?: string; ExitCode?: number };
  };
}

/** Task states that end a task without its being asked to stop. */
export const FAILED_STATES = new Set(['failed', 'rejected']);

export async function engine<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw engineError(err);
  }
}

const statusOf = (err: unknown) => (err as { statusCode?: number }).statusCode;

/** The service by name, or null when there is none. */
export async function findService(docker: Docker, name: string): Promise<SwarmService | null> {
  try {
    return (await docker.getService(name).inspect()) as SwarmService;
  } catch (err) {
    if (statusOf(err) === 404) return null;
    throw engineError(err);
  }
}

export async function tasksOf(docker: Docker, service: string): Promise<SwarmTask[]> {
  try {
    return (await docker.listTasks({ filters: { service: [service] } })) as SwarmTask[];
  } catch (err) {
    // The service went away between two reads.
    if (statusOf(err) === 404) return [];
    throw engineError(err);
  }
}

export const isRunning = (t: SwarmTask) => t.DesiredState === 'running' && t.Status.State === 'running';
export const generationOf = (t: SwarmTask) => t.Spec.ContainerSpec?.Labels?.[DEPLOY_LABELS.generation];
export const newestFirst = (a: SwarmTask, b: SwarmTask) => Date.parse(b.UpdatedAt) - Date.parse(a.UpdatedAt);

/**
 * A deployment's status from what its service shows: stopped at 0 replicas; replacing while Swarm
 * rolls (or rolls back) with replicas serving; running with every replica and the front up; dead
 * when no replica runs, none is on its way, and the last one failed (Swarm gave up restarting it);
 * else starting, with what is missing.
 */
export function swarmStatus(s: {
  desired: number;
  running: number;
  /** Tasks meant to run that do not yet: being scheduled, pulled or started, or not yet healthy. */
  starting: number;
  frontRunning: boolean;
  update: SwarmService['UpdateStatus'] | null;
  lastFailure: string | null;
  /** The front, named for a message. */
  front: string;
}): { status: 'stopped' | 'replacing' | 'running' | 'dead' | 'starting'; problem: string | null } {
  if (s.desired === 0) return { status: 'stopped', problem: null };
  const rolling = s.update?.State === 'updating' || s.update?.State === 'rollback_started';
  if (rolling && s.running > 0) return { status: 'replacing', problem: s.update?.Message ?? null };
  if (s.running >= s.desired && s.frontRunning) return { status: 'running', problem: null };
  if (s.running === 0 && s.starting === 0 && s.lastFailure)
    return { status: 'dead', problem: `No replica is running; the last one failed: ${s.lastFailure}.` };
  if (!s.frontRunning) return { status: 'starting', problem: `${capitalised(s.front)} is not running.` };
  const failure = s.lastFailure ? `; the last failure: ${s.lastFailure}` : '';
  return { status: 'starting', problem: `${s.running} of ${s.desired} replicas are ready${failure}.` };
}

const capitalised = (t: string) => t.charAt(0).toUpperCase() + t.slice(1);

/** What a deployment's status is, from its model service and its tasks. */
export async function observeService(docker: Docker, deployment: string, s: SwarmService): Promise<Observed> {
  const labels = s.Spec.Labels ?? {};
  const desired = s.Spec.Mode?.Replicated?.Replicas ?? 0;
  const tasks = await tasksOf(docker, s.ID);
  const running = tasks.filter(isRunning);
  const failed = tasks.filter((t) => FAILED_STATES.has(t.Status.State)).sort(newestFirst);
  const front = (await tasksOf(docker, frontName(deployment))).filter(isRunning);
  const oldest = running.map((t) => Date.parse(t.Status.Timestamp)).sort((a, b) => a - b)[0];
  const base = {
    deployment,
    container: s.ID,
    version: Number(labels[DEPLOY_LABELS.version]) || null,
    startedAt: oldest ?? (Date.parse(s.UpdatedAt) || null),
    labels,
  };
  const last = failed[0];
  const { status, problem } = swarmStatus({
    desired,
    running: running.length,
    starting: tasks.filter((t) => t.DesiredState === 'running' && !isRunning(t)).length,
    frontRunning: front.length > 0,
    update: s.UpdateStatus ?? null,
    lastFailure: last ? taskError(last) : null,
    front: `its front ${frontName(deployment)}, which holds port ${labels[DEPLOY_LABELS.port]},`,
  });
  const lastLogLines = status === 'dead' && last ? await taskLogLines(docker, last) : [];
  return { ...base, status, problem, lastLogLines };
}

/** Splits an engine log stream (8-byte frame headers, stream 1 = stdout, 2 = stderr) into lines. */
export function logLines(buf: Buffer): LogLine[] {
  const framed = buf.length >= 8 && buf[0]! <= 2 && buf[1] === 0 && buf[2] === 0 && buf[3] === 0;
  if (!framed) return toLines('stdout', buf.toString('utf8'));
  const order: LogLine[] = [];
  const rest: Record<LogLine['stream'], string> = { stdout: '', stderr: '' };
  for (let at = 0; at + 8 <= buf.length; ) {
    const stream = buf[at] === 2 ? 'stderr' : 'stdout';
    const size = buf.readUInt32BE(at + 4);
    const parts = (rest[stream] + buf.toString('utf8', at + 8, at + 8 + size)).split('\n');
    rest[stream] = parts.pop() ?? '';
    for (const line of parts) order.push({ stream, text: line });
    at += 8 + size;
  }
  for (const stream of ['stdout', 'stderr'] as const)
    if (rest[stream]) order.push({ stream, text: rest[stream] });
  return order;
}

function toLines(stream: LogLine['stream'], s: string): LogLine[] {
  return s
    .split('\n')
    .filter((l, i, all) => l !== '' || i < all.length - 1)
    .map((text) => ({ stream, text }));
}

/** The last lines of a task's container, when it is on this engine's node and still there. */
export async function taskLogLines(docker: Docker, task: SwarmTask, tail = 20): Promise<string[]> {
  const id = task.Status.ContainerStatus?.ContainerID;
  if (!id) return [];
  try {
    const buf = (await docker
      .getContainer(id)
      .logs({ stdout: true, stderr: true, tail })) as unknown as Buffer;
    return logLines(buf).map((l) => l.text);
  } catch {
    // On another node, or removed with the task history: there is nothing more to show.
    return [];
  }
}

/** Why a task ended, in the engine's words. */
export function taskError(t: SwarmTask): string {
  const said = t.Status.Err || t.Status.Message || t.Status.State;
  const code = t.Status.ContainerStatus?.ExitCode;
  return code && !said.includes(`(${code})`) ? `${said} (exit code ${code})` : said;
}

/**
 * Refuses a port that another service, a container or (on a local engine) another program holds,
 * naming one that is free. `own` is this deployment's name: its own front may hold the port.
 */
export async function requireFreePort(
  docker: Docker,
  port: number,
  own: string,
  local: boolean,
): Promise<void> {
  const [services, containers] = await engine(() =>
    Promise.all([
      docker.listServices() as Promise<SwarmService[]>,
      docker.listContainers() as Promise<Docker.ContainerInfo[]>,
    ]),
  );
  const taken = new Map<number, string>();
  for (const s of services) {
    if (s.Spec.Labels?.[DEPLOY_LABELS.name] === own) continue;
    for (const p of [...(s.Endpoint?.Ports ?? []), ...(s.Spec.EndpointSpec?.Ports ?? [])])
      if (p.PublishedPort) taken.set(p.PublishedPort, `the Swarm service ${s.Spec.Name}`);
  }
  for (const c of containers) {
    if (c.Labels?.[DEPLOY_LABELS.name] === own) continue;
    const swarmService = c.Labels?.['com.docker.swarm.service.name'];
    const who = swarmService
      ? `the Swarm service ${swarmService}`
      : `the container ${c.Names?.[0]?.replace(/^\//, '') ?? c.Id.slice(0, 12)}`;
    for (const p of c.Ports ?? []) if (p.PublicPort && !taken.has(p.PublicPort)) taken.set(p.PublicPort, who);
  }
  const holder =
    taken.get(port) ?? (local && !(await canBind(port)) ? 'another program on this machine' : null);
  if (!holder) return;
  let free = port;
  do free = free >= 65535 ? 1024 : free + 1;
  while (free !== port && (taken.has(free) || (local && !(await canBind(free)))));
  throw conflict(
    `Port ${port} is already taken by ${holder}. Deploy on another port, such as ${free} (--port ${free}).`,
  );
}

/** Whether a port is free on every interface here, as a Swarm front binds it. */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
}
