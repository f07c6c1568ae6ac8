/**
 * A container-mode deployment's front: the small container that holds the deployment's port and
 * steers it, with one NAT rule, to the model container that serves now.
 *
 * Why a front and not a proxy: a proxy costs a hop on every request, so the deployment would not
 * serve as fast as the bare server. The kernel does the steering instead: each model container
 * listens on its own slot port, and the front's rule sends the deployment's port to the live slot.
 * A replacement swaps that rule — a single atomic `iptables -R` — after which new connections
 * reach the new server while established ones keep their conntrack mapping, so requests in flight
 * finish on the old server while it drains.
 *
 * The front has two networks (FrontNet), chosen per deployment when it is made:
 * - `host`, on a Linux engine on this machine with a loopback port (the usual case). The front and
 *   the model containers share the host's network. The model servers listen on free loopback
 *   ports; the front binds `127.0.0.1:<port>` itself (so nothing else can take it) and adds, to
 *   the host's NAT table, one jump from OUTPUT for that address and port into its own chain
 *   (hostChain), whose one rule redirects to the live slot. Why: Docker publishes a port on
 *   127.0.0.1 through its userland proxy, a relay process that copies every byte and, measured
 *   here, cut throughput to 0.30× of the bare server (bench/serving). The front removes its rules
 *   when it stops (SIGTERM) and puts them back if they go while it runs (a firewall reload); one
 *   killed outright leaves them, and removing the deployment clears them (undoHostRules).
 * - `bridge`, everywhere else (a remote engine, Docker Desktop's VM, rootless Docker or one with
 *   user namespaces, another bind
 *   address, or MLWB_DEPLOY_NETWORK=bridge). The front publishes `<bindHost>:<port>` → 8080 and
 *   holds a network namespace the model containers join (`NetworkMode: container:<front>`, slot
 *   ports 8081 and 8082); the chain `MLWB` is jumped to from PREROUTING (the published port) and
 *   from OUTPUT on `lo` (clients inside the namespace, e.g. `docker exec`). A restarted front has
 *   a new namespace: the model container stays in the old one until it is restarted too (Docker
 *   does not move a `container:` joiner); the runtime sees that (containerObserve.ts) and start()
 *   reattaches it.
 *
 * The live slot is kept in a small named volume (/state/live) and the front applies the rule from
 * it at every start.
 */
import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import {
  hasNetfrontImage,
  hostNetworkIsThisMachine,
  NETFRONT_IMAGE,
  runInHostNetwork,
} from '../docker/hostNetwork.ts';
import { WorkbenchError } from '../errors.ts';
import { engineError } from '../training/containerRun.ts';

export const FRONT_IMAGE = NETFRONT_IMAGE;
/** The lock every change of a front's rule and state file takes (flock, from util-linux). */
const STATE_LOCK = '/state/.lock';
/** The port a bridge front publishes, inside its namespace. */
export const FRONT_PORT = 8080;
/** A bridge front's two slots: the live one and the one a replacement starts on. */
export const SLOTS = [8081, 8082] as const;
/** The exit code of a host front that could not bind its port (EADDRINUSE's errno). */
export const PORT_TAKEN_EXIT = 98;

export type FrontNet = 'bridge' | 'host';

export const frontName = (deployment: string) => `mlwb-dep-${deployment}`;
export const stateVolumeName = (deployment: string) => `mlwb-dep-${deployment}-state`;

/** A front's network, from its container. */
export function netOf(front: Docker.ContainerInspectInfo): FrontNet {
  return front.HostConfig.NetworkMode === 'host' ? 'host' : 'bridge';
}

export function otherSlot(slot: number): number {
  return slot === SLOTS[0] ? SLOTS[1] : SLOTS[0];
}

/**
 * A host front's own NAT chain: named by its home and deployment (not its port), so that the
 * rules a killed front left can be told from those of a later deployment on the same port.
 */
export function hostChain(homeId: string, deployment: string): string {
  return `MLWB-${createHash('sha256').update(`${homeId}/${deployment}`).digest('hex').slice(0, 12)}`;
}

/** The NAT chain a front owns, the match of its one rule, and the jumps into it (chain, match). */
function rulesOf(net: FrontNet, port: number, chain: string) {
  if (net === 'bridge')
    return {
      chain: 'MLWB',
      match: `-p tcp --dport ${FRONT_PORT}`,
      jumps: [
        ['PREROUTING', '-j MLWB'],
        ['OUTPUT', '-o lo -j MLWB'],
      ],
    };
  return {
    chain,
    match: '-p tcp',
    jumps: [['OUTPUT', `-o lo -d 127.0.0.1/32 -p tcp --dport ${port} -j ${chain}`]],
  };
}

/**
 * Applies the rule for the live slot (/state/live, else $MLWB_SLOT): the chain made or emptied,
 * its one rule, the jumps into it once each.
 */
function applyScript(net: FrontNet, port: number, chainName: string): string {
  const { chain, match, jumps } = rulesOf(net, port, chainName);
  return [
    'set -eu',
    // One change of the rule and state file at a time: a re-apply and a switch (switchTraffic)
    // never interleave, so neither undoes the other.
    `exec 9>${STATE_LOCK}`,
    'flock 9',
    'slot=$(cat /state/live 2>/dev/null || true)',
    `case "$slot" in ''|*[!0-9]*) slot="$MLWB_SLOT" ;; esac`,
    'echo "$slot" > /state/live.new && mv /state/live.new /state/live',
    // A host front holds its port (it bound it before this runs), so any other front's jump for
    // that port was left by a front that was killed: it would send the port to a dead slot.
    ...(net === 'host' ? [staleJumpsScript(port, chain)] : []),
    `iptables -w -t nat -N ${chain} 2>/dev/null || iptables -w -t nat -F ${chain}`,
    `iptables -w -t nat -A ${chain} ${match} -j REDIRECT --to-ports "$slot"`,
    ...jumps.map(
      ([at, rule]) =>
        `iptables -w -t nat -C ${at} ${rule} 2>/dev/null || iptables -w -t nat -I ${at} 1 ${rule}`,
    ),
    `echo "front: port ${net === 'host' ? port : FRONT_PORT} goes to $slot"`,
  ].join('\n');
}

/**
 * Removes a host chain from the host: every jump into it from OUTPUT (whatever port it was for),
 * then the chain. Each line of `iptables -S` is a rule as arguments (`-A OUTPUT …`): the same
 * arguments after `-D` delete it.
 */
function undoScript(chain: string): string {
  return [
    'set -f',
    `iptables -w -t nat -S OUTPUT | while read -r verb rule; do case "$rule" in *" -j ${chain}") iptables -w -t nat -D $rule ;; esac; done`,
    `iptables -w -t nat -F ${chain} 2>/dev/null || true`,
    `iptables -w -t nat -X ${chain} 2>/dev/null || true`,
  ].join('\n');
}

/**
 * Removes the jumps other host fronts left for `port` (all of them when `keep` is absent), and
 * each such chain once nothing jumps into it any more (a chain still jumped to for another port
 * belongs to a front that serves there now). A front killed outright (the whole workbench
 * killed, a `docker kill`) leaves its jump: the port then looks free to a bind, but local
 * connections to it go to a dead slot.
 */
function staleJumpsScript(port: number, keep?: string): string {
  return [
    'set -f',
    `iptables -w -t nat -S OUTPUT | while read -r verb rule; do case "$rule" in *" --dport ${port} -j MLWB-"*) c=\${rule##* -j }; if [ "$c" != "${keep ?? ''}" ]; then iptables -w -t nat -D $rule || true; iptables -w -t nat -S OUTPUT | grep -q -- " -j $c$" || { iptables -w -t nat -F "$c" && iptables -w -t nat -X "$c"; } 2>/dev/null || true; fi ;; esac; done`,
  ].join('\n');
}

/**
 * Clears the host rules killed fronts left for `port`, before another kind of deployment (a Swarm
 * or bridge one) takes it on this machine. Needs the front's image; without it no host front can
 * have run here, so there is nothing to clear.
 */
export async function clearStaleHostJumps(docker: Docker, port: number): Promise<void> {
  // Best effort, and only where host fronts can run: an engine that refuses the host's network to
  // containers (user namespaces) or whose host network is a VM's has none to leave rules.
  try {
    if ((await hostNetworkIsThisMachine(docker)) && (await hasNetfrontImage(docker)))
      await runInHostNetwork(docker, staleJumpsScript(port));
  } catch {
    // The deployment goes on; at worst a port a killed front held stays steered to a dead slot.
  }
}

/** Whether a host front's rules are in place: its jump, and the redirect in its chain. */
function checkScript(chain: string): string {
  return `iptables -w -t nat -S OUTPUT | grep -q -- " -j ${chain}$" && iptables -w -t nat -S ${chain} 2>/dev/null | grep -q REDIRECT`;
}

/**
 * A host front's program (perl is in Debian's minimal base):
 * - binds the port first, so a front never steers a port another program holds;
 * - applies the rule;
 * - answers SIGTERM by removing the rules — after the apply under way, if one is (a stop that came
 *   mid-apply would otherwise undo first and leave what the apply adds after);
 * - every 5 s, applies the rules again if they are gone (a firewall reload drops them);
 * - accepts and closes anything that reaches the port itself (nothing does while the rule is there).
 */
const HOLD_PORT = `
$| = 1;
my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $ENV{MLWB_PORT}, Listen => 128, ReuseAddr => 1)
  or do { print STDERR "front: cannot hold 127.0.0.1:$ENV{MLWB_PORT}: $!\n"; exit ${PORT_TAKEN_EXIT} };
my ($busy, $stop) = (1, 0);
my $undo = sub { system("sh", "-c", $ENV{MLWB_UNDO}); exit 0 };
# TERM is what docker stop sends. INT is ignored: perl's system() would drop one that came while
# a command runs, and a front stopped half-way is worse than one that was not stopped.
$SIG{TERM} = sub { if ($busy) { $stop = 1 } else { $undo->() } };
$SIG{INT} = "IGNORE";
system("sh", "-c", $ENV{MLWB_APPLY}) == 0 or do { system("sh", "-c", $ENV{MLWB_UNDO}); exit 1 };
$busy = 0;
$undo->() if $stop;
my $select = IO::Select->new($s);
my $due = time + 5;
while (1) {
  # The check is due every 5 s by the clock, whatever reaches the port meanwhile (without the
  # rules every connection lands here, and a busy port must not put the repair off).
  my $wait = $due - time;
  if ($wait > 0 && $select->can_read($wait)) { my $c = $s->accept; close $c if $c; next }
  $due = time + 5;
  $busy = 1;
  if (system("sh", "-c", $ENV{MLWB_CHECK}) != 0) {
    print "front: its rules were gone (a firewall reload?); applying them again\n";
    system("sh", "-c", $ENV{MLWB_APPLY});
  }
  $busy = 0;
  $undo->() if $stop;
}
`;

/**
 * The front's PID 1. Bridge: applies the rule, then sleeps — `sleep & wait` so a SIGTERM is handled
 * at once: `docker stop` ends it in well under a second, with status 0, which observe reads as
 * stopped on purpose. Host: the perl program above.
 */
function frontCommand(net: FrontNet): string[] {
  if (net === 'host') return ['perl', '-MIO::Socket::INET', '-MIO::Select', '-e', HOLD_PORT];
  return [
    'sh',
    '-c',
    [
      'set -eu',
      // First, so a stop that comes while the rule is being applied ends it cleanly too (PID 1
      // ignores a signal it has no handler for).
      "trap 'exit 0' TERM INT",
      'sh -c "$MLWB_APPLY"',
      'while :; do sleep 3600 & wait $! || true; done',
    ].join('\n'),
  ];
}

export interface FrontSpec {
  deployment: string;
  net: FrontNet;
  /** A host front's chain (hostChain). */
  chain: string;
  bindHost: string;
  port: number;
  slot: number;
  labels: Record<string, string>;
}

/** Creates the front (not started) and its state volume. */
export async function createFront(docker: Docker, spec: FrontSpec): Promise<Docker.Container> {
  const { chain, match } = rulesOf(spec.net, spec.port, spec.chain);
  const network: Docker.HostConfig =
    spec.net === 'host'
      ? { NetworkMode: 'host' }
      : {
          NetworkMode: 'bridge',
          PortBindings: { [`${FRONT_PORT}/tcp`]: [{ HostIp: spec.bindHost, HostPort: String(spec.port) }] },
        };
  try {
    await docker.createVolume({ Name: stateVolumeName(spec.deployment), Labels: spec.labels });
    return await docker.createContainer({
      name: frontName(spec.deployment),
      Image: FRONT_IMAGE,
      Cmd: frontCommand(spec.net),
      Env: [
        `MLWB_SLOT=${spec.slot}`,
        `MLWB_PORT=${spec.port}`,
        `MLWB_CHAIN=${chain}`,
        `MLWB_MATCH=${match}`,
        `MLWB_APPLY=${applyScript(spec.net, spec.port, chain)}`,
        ...(spec.net === 'host'
          ? [`MLWB_UNDO=${undoScript(chain)}`, `MLWB_CHECK=${checkScript(chain)}`]
          : []),
      ],
      Labels: spec.labels,
      ...(spec.net === 'bridge' ? { ExposedPorts: { [`${FRONT_PORT}/tcp`]: {} } } : {}),
      HostConfig: {
        ...network,
        // Root, with one capability: NET_ADMIN, for the NAT rules above. A bridge front has it in
        // its own namespace only; a host front in the host's, where it touches only its own chain
        // and the one jump into it (the scripts above are all it runs). Nothing else is granted.
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

/**
 * Removes a host front's rules when the front cannot (it was killed outright, or removed by hand):
 * a one-off container of the front's image in the host's network (docker/hostNetwork.ts) runs the
 * front's own undo.
 */
export async function undoHostRules(docker: Docker, chain: string): Promise<void> {
  await runInHostNetwork(docker, undoScript(chain));
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
    // The chain and match from the front's own environment (createFront), defaulting to a bridge
    // front's for one made before they were there.
    // Under the state lock, so that a re-apply (applyScript) cannot interleave.
    `exec 9>${STATE_LOCK} && flock 9 && iptables -w -t nat -R "\${MLWB_CHAIN:-MLWB}" 1 \${MLWB_MATCH:--p tcp --dport ${FRONT_PORT}} -j REDIRECT --to-ports ${slot} && echo ${slot} > /state/live.new && mv /state/live.new /state/live`,
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
  return Number.isInteger(slot) && slot > 0 && slot < 65536 ? slot : null;
}
