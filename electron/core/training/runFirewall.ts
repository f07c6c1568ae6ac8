/**
 * The host firewall rules that keep runs on the run network (runNetwork.ts) to the workbench's
 * MLflow listener, and off this machine's other services.
 *
 * Why: Docker filters what a container sends past its network, not what it sends to the host
 * itself. Through the network's gateway a run reaches every service of this machine listening on
 * 0.0.0.0, and on Docker before 25 (which gives internal networks a default route) every service
 * on any of its addresses. Two rules on the bridge device close that: TCP to a socket bound to an
 * address of the bridge itself is accepted (the `socket` match ignores sockets bound to 0.0.0.0,
 * and `addrtype --limit-iface-in` takes only the bridge's own addresses), everything else from the
 * bridge is refused.
 *
 * They live in a chain of the workbench's own (`MLWB-RUNS` for the bridge `mlwb-runs`), jumped to
 * first in INPUT for that device, so that they are easy to read (`iptables -S MLWB-RUNS`) and to
 * remove (the jump, then the chain), and nothing the host's firewall accepts earlier in INPUT lets
 * a run past them. They are put in place by a one-off container in the host's network
 * (docker/hostNetwork.ts), so only where the engine's host network is this machine's.
 *
 * A firewall reload drops them, so they are checked before launches and put back when anything
 * differs. A check costs one short-lived container: 0.35–0.5 s here, where a launch takes about
 * 1.2 s (it runs beside the network's check, adding about 0.35 s). So one check answers for the
 * launches that come while it runs and for FRESH_MS after it: a batch of launches pays once, and a
 * launch later than that checks again. While runs run, the process that follows them checks every
 * 30 s as well (server/trackingListener.ts), so a run already running when the rules went is open
 * that long at most. Where they cannot be put in place, the check says why,
 * and the run's log says it first. MLWB_RUNS_HOST_FIREWALL=off leaves the firewall to its owner.
 */
import type Docker from 'dockerode';
import {
  forgetHostNetworkAnswer,
  hasNetfrontImage,
  hostNetworkIsThisMachine,
  NETFRONT_IMAGE,
  runInHostNetwork,
} from '../docker/hostNetwork.ts';

/** Set to `off` to leave the host's firewall to whoever manages it. */
export const FIREWALL_SETTING = 'MLWB_RUNS_HOST_FIREWALL';
/** How long a check answers for launches after it finished. */
export const FRESH_MS = 5_000;
/** How long a check may take (a helper container that does not end, an engine that hangs). */
const CHECK_TIMEOUT_MS = 60_000;

/** The workbench's chain for a run network's bridge device: MLWB-RUNS for mlwb-runs. */
export const runsChain = (bridge: string) => bridge.toUpperCase();

const ACCEPT_RULE = '-p tcp -m addrtype --dst-type LOCAL --limit-iface-in -m socket -j ACCEPT';
const REJECT_RULE = '-j REJECT --reject-with icmp-port-unreachable';
/** The last line of the script when the rules are in place: as they were, or put back. */
const IN_PLACE = /^mlwb-runs-firewall: (kept|installed)$/;

/**
 * Checks the rules and puts them back when anything differs: the chain holds exactly its rules,
 * and the jump into it is its only jump and comes first in INPUT, after none but the workbench's
 * jumps for its other networks (runs' and builds'). A repair is one iptables-restore
 * transaction (the chain refilled, every old jump removed, the jump inserted first), so there is
 * never a moment with the chain empty or half-filled, and one that loses a race with another
 * process (a jump already removed) changes nothing and is tried again. Reads only when all is in
 * place. `iptables -S` prints a rule in this one form whatever order its options were given in.
 */
export function firewallScript(bridge: string, who: Who = 'run'): string {
  const chain = runsChain(bridge);
  const jump = `-i ${bridge} -j ${chain}`;
  // Builds reach nothing of this machine's: they have no endpoint to accept.
  const rules = who === 'run' ? [ACCEPT_RULE, REJECT_RULE] : [REJECT_RULE];
  const want = [`-N ${chain}`, ...rules.map((r) => `-A ${chain} ${r}`)].join('\n');
  return [
    'set -u',
    `want='${want}'`,
    'state=kept',
    "said=''",
    'for attempt in 1 2 3; do',
    '  input=$(iptables -w 10 -S INPUT) || exit 1',
    `  jumps=$(printf '%s\\n' "$input" | grep -cxF -- '-A INPUT ${jump}')`,
    // First: only the workbench's own jumps (`-i DEVICE -j DEVICE-UPPERCASED`, for other devices)
    // come before it, so the run and build networks' chains do not take each other's place.
    `  first=$(printf '%s\\n' "$input" | awk -v want='-A INPUT ${jump}' '/^-P /{next} $0==want{print "yes"; exit} $1=="-A" && $2=="INPUT" && $3=="-i" && $5=="-j" && NF==6 && toupper($4)==$6{next} {print "no"; exit}')`,
    `  if [ "$(iptables -w 10 -S ${chain} 2>/dev/null)" = "$want" ] && [ "$jumps" = 1 ] && [ "$first" = yes ]; then`,
    '    echo "mlwb-runs-firewall: $state"',
    '    exit 0',
    '  fi',
    '  said=$({',
    "    echo '*filter'",
    `    echo ':${chain} - [0:0]'`,
    ...rules.map((r) => `    echo '-A ${chain} ${r}'`),
    `    i=0; while [ "$i" -lt "$jumps" ]; do echo '-D INPUT ${jump}'; i=$((i + 1)); done`,
    `    echo '-I INPUT 1 ${jump}'`,
    "    echo 'COMMIT'",
    '  } | iptables-restore -w 10 --noflush 2>&1)',
    '  state=installed',
    'done',
    // iptables-restore's first line is its error; the rest is where and `--help`.
    `printf '%s\\n' "\${said:-the rules were not in place after three attempts}" | head -n 1`,
    'exit 1',
  ].join('\n');
}

/** Removes the rules: the jumps into the chain, then the chain (tests, and the README's recipe). */
export function removalScript(bridge: string): string {
  const chain = runsChain(bridge);
  return [
    `while iptables -w -D INPUT -i ${bridge} -j ${chain} 2>/dev/null; do :; done`,
    `iptables -w -F ${chain} 2>/dev/null; iptables -w -X ${chain} 2>/dev/null; true`,
  ].join('\n');
}

/**
 * Where the rules are not in place: `open`, on an engine where the workbench cannot keep them (the
 * run goes on its network, and its log says first what it can reach, why, and what to do);
 * `closed`, where it should have and could not (the run gets no network, its log says why).
 * `refused`: the check ran and iptables could not put them in place (so they are not there), as
 * opposed to a check that could not run (engine error, no helper image), which says nothing of
 * whether they are there.
 */
export type FirewallGap =
  | { open: string; closed?: undefined; refused?: undefined }
  | { closed: string; open?: undefined; refused: boolean; why: string };

export interface RunFirewall {
  /**
   * Checks the rules, putting them back when they are gone. Undefined when they are in place (or
   * the firewall is left to its owner). Never rejects.
   */
  check(): Promise<FirewallGap | undefined>;
  /**
   * When this process's checks last found the rules gone (or another rule put before them) and put
   * them back, the first install included; 0 before any.
   */
  readonly repairedAt: number;
}

/** Whose network the rules guard: runs' (to the MLflow endpoint only) or image builds' (nothing). */
export type Who = 'run' | 'build';

const REACHABLE = (who: Who) =>
  `This machine's other services are reachable from this ${who}: Docker does not filter what a container sends to the host itself, so services listening on all of its addresses (0.0.0.0; on Docker before 25 any of its addresses) answer the ${who} through its network's gateway, and`;
const BY_HAND = `add the rules to the host's firewall yourself (README, "Security") and set ${FIREWALL_SETTING}=off`;
/** A closed gap's reason, as "MLflow tracking is not available to this run: …" goes on. */
const UNGUARDED = (who: Who) =>
  `the host firewall rules that keep ${who}s off this machine's other services (which Docker does not filter) are not in place, so the ${who} gets no network:`;

/**
 * The firewall of one run network on one local engine (the caller knows it is this machine's
 * local socket), for one process.
 */
export function runFirewall(
  docker: Docker,
  bridge: string,
  who: Who = 'run',
  /** How long a check may take before it counts as one that could not run (an engine that hangs). */
  timeoutMs = CHECK_TIMEOUT_MS,
): RunFirewall {
  let last: Promise<FirewallGap | undefined> | undefined;
  let running = false;
  let finishedAt = 0;
  let repairedAt = 0;
  /** The inspection under way: one that outlived its timeout is waited for again, not started twice. */
  let inflight: Promise<FirewallGap | undefined> | undefined;

  const closed = (why: string, refused: boolean): FirewallGap => ({
    closed: `${UNGUARDED(who)} ${why}`,
    refused,
    why,
  });

  async function inspect(): Promise<FirewallGap | undefined> {
    try {
      if (!(await hostNetworkIsThisMachine(docker)))
        return {
          open: `${REACHABLE(who)} the workbench cannot put its firewall rules in place on this engine, whose host network is not this machine's (Docker Desktop, rootless Docker, or user namespaces); ${BY_HAND}.`,
        };
      if (!(await hasNetfrontImage(docker)))
        return closed(
          `they are put in place by a helper container of the image ${NETFRONT_IMAGE}, which this engine does not have. Run npm run images:offline, then launch again; or ${BY_HAND}`,
          false,
        );
      const out = (await runInHostNetwork(docker, firewallScript(bridge, who))).trim().split('\n');
      const answer = IN_PLACE.exec(out.at(-1) ?? '');
      if (answer) {
        if (answer[1] === 'installed') repairedAt = Date.now();
        return undefined;
      }
      const said = out.join(' ').slice(0, 300) || 'nothing';
      return closed(
        `the workbench could not put them in place (iptables said: ${said}). Launch again; if it fails the same way, ${BY_HAND}`,
        true,
      );
    } catch (err) {
      // The engine may have been reconfigured (restarted rootless, with user namespaces): ask again.
      forgetHostNetworkAnswer(docker);
      return closed(
        `the workbench could not check them (${(err as Error).message}). Launch again; if it fails the same way, ${BY_HAND}`,
        false,
      );
    }
  }

  return {
    get repairedAt() {
      return repairedAt;
    },
    check() {
      if (process.env[FIREWALL_SETTING]?.toLowerCase() === 'off') return Promise.resolve(undefined);
      if (last && (running || Date.now() - finishedAt < FRESH_MS)) return last;
      running = true;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<FirewallGap>((resolve) => {
        timer = setTimeout(() => {
          // A hung `docker info` is not kept as the engine's answer.
          forgetHostNetworkAnswer(docker);
          resolve(
            closed(
              `the workbench could not check them (the engine did not answer within ${Math.round(timeoutMs / 1000)} s). Launch again; if it fails the same way, ${BY_HAND}`,
              false,
            ),
          );
        }, timeoutMs);
        timer.unref();
      });
      if (!inflight) {
        const started = inspect();
        inflight = started;
        void started.finally(() => {
          if (inflight === started) inflight = undefined;
        });
      }
      last = Promise.race([inflight, late]).finally(() => {
        clearTimeout(timer);
        running = false;
        finishedAt = Date.now();
      });
      return last;
    },
  };
}
