/**
 * A container-mode deployment's front: the small container that holds the published port and the
 * network namespace its model containers join, and steers the port to the live one.
 *
 * Why a front and not a proxy: a proxy costs a hop on every request, so the deployment would not
 * serve as fast as the bare container. Instead the front publishes `<bindHost>:<port>` → 8080, the
 * model containers run in its network namespace (`NetworkMode: container:<front>`, no ports of
 * their own), each on its own slot port (8081 or 8082), and one NAT rule in the namespace sends
 * 8080 to the live slot. A replacement swaps that rule: a single atomic `iptables -R`, after which
 * new connections reach the new server while established ones keep their conntrack mapping, so
 * requests in flight finish on the old server while it drains. The kernel does the steering.
 *
 * The rule lives in its own chain, MLWB, jumped to from PREROUTING (traffic through the published
 * port) and from OUTPUT on `lo` (clients inside the namespace, e.g. `docker exec`): replacing the
 * chain's one rule moves both at once.
 *
 * The live slot is kept in a small named volume (/state/live) and the front applies the rule from
 * it at every start. Note that a restarted front has a new network namespace: the model container
 * stays in the old one until it is restarted too (Docker does not move a `container:` joiner).
 * After an engine restart Docker restarts both; after a front restart alone the runtime sees the
 * model started before its front (containerRuntime.ts, observe) and start() reattaches it.
 */
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { WorkbenchError } from '../errors.ts';
import { engineError } from '../training/containerRun.ts';

export const FRONT_IMAGE = 'mlwb/netfront:bookworm';
/** The port the front publishes, inside its namespace. */
export const FRONT_PORT = 8080;
/** The two ports model containers listen on: the live one and the one a replacement starts on. */
export const SLOTS = [8081, 8082] as const;

export const frontName = (deployment: string) => `mlwb-dep-${deployment}`;
export const stateVolumeName = (deployment: string) => `mlwb-dep-${deployment}-state`;

export function otherSlot(slot: number): number {
  return slot === SLOTS[0] ? SLOTS[1] : SLOTS[0];
}

/** The rule that sends the front port to `slot`, as iptables arguments after `-A/-R MLWB [n]`. */
const redirect = (slot: number | string) => `-p tcp --dport ${FRONT_PORT} -j REDIRECT --to-ports ${slot}`;

/**
 * The front's PID 1: (re)applies the rule for the live slot (/state/live, else $MLWB_SLOT), then
 * sleeps. `sleep & wait` so a SIGTERM is handled at once: `docker stop` ends it in well under a
 * second, with status 0, which observe reads as stopped on purpose.
 */
function frontScript(): string {
  return [
    'set -eu',
    // First, so a stop that comes while the rule is being applied ends it cleanly too (PID 1
    // ignores a signal it has no handler for).
    "trap 'exit 0' TERM INT",
    'slot=$(cat /state/live 2>/dev/null || true)',
    `case "$slot" in ${SLOTS.join('|')}) ;; *) slot="$MLWB_SLOT" ;; esac`,
    'echo "$slot" > /state/live',
    'iptables -w -t nat -N MLWB 2>/dev/null || iptables -w -t nat -F MLWB',
    `iptables -w -t nat -A MLWB ${redirect('"$slot"')}`,
    'iptables -w -t nat -C PREROUTING -j MLWB 2>/dev/null || iptables -w -t nat -I PREROUTING 1 -j MLWB',
    'iptables -w -t nat -C OUTPUT -o lo -j MLWB 2>/dev/null || iptables -w -t nat -I OUTPUT 1 -o lo -j MLWB',
    `echo "front: port ${FRONT_PORT} goes to $slot"`,
    'while :; do sleep 3600 & wait $! || true; done',
  ].join('\n');
}

export interface FrontSpec {
  deployment: string;
  bindHost: string;
  port: number;
  slot: number;
  labels: Record<string, string>;
}

/** Creates the front (not started) and its state volume. */
export async function createFront(docker: Docker, spec: FrontSpec): Promise<Docker.Container> {
  try {
    await docker.createVolume({ Name: stateVolumeName(spec.deployment), Labels: spec.labels });
    return await docker.createContainer({
      name: frontName(spec.deployment),
      Image: FRONT_IMAGE,
      Cmd: ['sh', '-c', frontScript()],
      Env: [`MLWB_SLOT=${spec.slot}`],
      Labels: spec.labels,
      ExposedPorts: { [`${FRONT_PORT}/tcp`]: {} },
      HostConfig: {
        PortBindings: { [`${FRONT_PORT}/tcp`]: [{ HostIp: spec.bindHost, HostPort: String(spec.port) }] },
        NetworkMode: 'bridge',
        // Root, but with one capability: NET_ADMIN, for the NAT table of its own namespace (the
        // rule above). It cannot touch the host's network, and nothing else is granted.
        CapDrop: ['ALL'],
        CapAdd: ['NET_ADMIN'],
        SecurityOpt: ['no-new-privileges'],
        ReadonlyRootfs: true,
        // iptables takes its lock in /run.
        Tmpfs: { '/run': 'rw,nosuid,nodev,noexec,size=1m' },
        Binds: [`${stateVolumeName(spec.deployment)}:/state`],
        Memory: 32 * 1024 ** 2,
        MemorySwap: 32 * 1024 ** 2,
        PidsLimit: 32,
        RestartPolicy: { Name: 'unless-stopped' },
      },
    });
  } catch (err) {
    throw engineError(err);
  }
}

export interface ExecResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command in a running container, with its output. */
export async function execIn(
  docker: Docker,
  container: Docker.Container,
  cmd: string[],
  env: string[] = [],
): Promise<ExecResult> {
  try {
    const exec = await container.exec({ Cmd: cmd, Env: env, AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({});
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const stdout = new PassThrough().on('data', (b: Buffer) => out.push(b));
    const stderr = new PassThrough().on('data', (b: Buffer) => err.push(b));
    await new Promise<void>((resolve, reject) => {
      docker.modem.demuxStream(stream, stdout, stderr);
      stream.on('end', resolve).on('close', resolve).on('error', reject);
    });
    const { ExitCode } = await exec.inspect();
    return {
      exitCode: ExitCode,
      stdout: Buffer.concat(out).toString(),
      stderr: Buffer.concat(err).toString(),
    };
  } catch (err) {
    throw engineError(err);
  }
}

/**
 * Moves the front port to `slot`: the rule first (the atomic step), then the state file the front
 * reapplies at its next start (written to a temporary file and renamed, so it is never half
 * written).
 */
export async function switchTraffic(docker: Docker, front: Docker.Container, slot: number): Promise<void> {
  const r = await execIn(docker, front, [
    'sh',
    '-c',
    `iptables -w -t nat -R MLWB 1 ${redirect(slot)} && echo ${slot} > /state/live.new && mv /state/live.new /state/live`,
  ]);
  if (r.exitCode !== 0)
    throw new WorkbenchError(
      'INTERNAL',
      `Could not move the deployment's port to the new container (exit ${r.exitCode}): ${r.stderr.trim() || r.stdout.trim()}`,
    );
}

/** The slot the front sends traffic to, from its state file. */
export async function liveSlot(docker: Docker, front: Docker.Container): Promise<number | null> {
  const r = await execIn(docker, front, ['cat', '/state/live']);
  const slot = Number(r.stdout.trim());
  return (SLOTS as readonly number[]).includes(slot) ? slot : null;
}
