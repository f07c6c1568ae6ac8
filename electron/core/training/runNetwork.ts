/**
 * The Docker network training runs join to reach the workbench's MLflow listener, and nothing
 * else: `mlwb-runs`, one per engine, made by the workbench and labelled as its own. It is a bridge
 * network that is
 * - internal: Docker drops whatever a container sends past the network's subnet (no internet, no
 *   LAN, no container on another network);
 * - without inter-container communication (`enable_icc` false): a run cannot reach another run;
 * - on a bridge device named like the network (`mlwb-runs`), so the host's own firewall can name
 *   it (see the README's Security section), and so that two processes making it at once cannot
 *   both succeed: Docker 20.10 makes duplicate networks of one name when asked at the same moment,
 *   even with CheckDuplicate, but refuses a second bridge of the same device name.
 *
 * What is left reachable is this machine itself through the network's gateway address, which the
 * host holds on the bridge and where the listener binds (server/trackingListener.ts).
 *
 * Recipe image builds have a network of their own made the same way, `mlwb-builds` (BUILDS), except
 * that it is not internal: a Dockerfile's RUN steps download packages (recipeImage.ts).
 *
 * A network of that name made otherwise (not internal, containers may talk, not a bridge, not
 * ours) is made again when no container uses it; while one does, runs get no network and the
 * reason names those containers.
 */
import type Docker from 'dockerode';
import { engineError } from './containerRun.ts';

export const RUN_NETWORK = 'mlwb-runs';
export const LABEL_NETWORK = 'dev.mlops-workbench.network';
const ICC = 'com.docker.network.bridge.enable_icc';
const BRIDGE_NAME = 'com.docker.network.bridge.name';

/**
 * The network's name and its bridge device's name (at most 15 characters); tests use their own.
 * `builds`: the network of recipe image builds, which is not internal (a Dockerfile's RUN steps
 * download packages) and otherwise made like the run network.
 */
export interface RunNetworkName {
  name: string;
  bridge: string;
  kind?: 'builds';
}

export const RUNS: RunNetworkName = { name: RUN_NETWORK, bridge: RUN_NETWORK };
export const BUILD_NETWORK = 'mlwb-builds';
export const BUILDS: RunNetworkName = { name: BUILD_NETWORK, bridge: BUILD_NETWORK, kind: 'builds' };
const kindOf = (net: RunNetworkName) => net.kind ?? 'runs';

export interface RunNetwork {
  id: string;
  name: string;
  /** This machine's address on the network, which its containers can reach, e.g. 172.19.0.1. */
  gateway: string;
}

export type RunNetworkResult = { network: RunNetwork; problem?: undefined } | { problem: string };

type NetworkInfo = Docker.NetworkInspectInfo;

/** Whether the network is the workbench's run (or build) network, as made here. */
function isRunNetwork(n: NetworkInfo, net: RunNetworkName): boolean {
  return (
    n.Driver === 'bridge' &&
    n.Scope === 'local' &&
    n.Internal === (kindOf(net) === 'runs') &&
    n.Options?.[ICC] === 'false' &&
    n.Labels?.[LABEL_NETWORK] === kindOf(net) &&
    gatewayOf(n) !== undefined
  );
}

/** What is wrong with a network of the run (or build) network's name, in words. */
function howItDiffers(n: NetworkInfo, net: RunNetworkName): string {
  const internal = kindOf(net) === 'runs';
  const wrong = [
    n.Driver !== 'bridge' || n.Scope !== 'local' ? `it is a ${n.Scope ?? ''} ${n.Driver} network` : '',
    internal && n.Internal !== true ? 'it is not internal (its containers reach the internet)' : '',
    !internal && n.Internal === true ? 'it is internal (its containers cannot download)' : '',
    n.Options?.[ICC] !== 'false' ? 'its containers can reach one another' : '',
    gatewayOf(n) === undefined ? 'it has no IPv4 gateway' : '',
    n.Labels?.[LABEL_NETWORK] !== kindOf(net) ? 'it was not made by the workbench' : '',
  ].filter(Boolean);
  return wrong.join(', ');
}

/**
 * The host's address on the network. Docker 20.10 can leave the gateway out of a network's IPAM
 * config (seen on its default bridge); the gateway is then the subnet's first address, as Docker
 * assigns it. Listening on it proves it is this machine's.
 */
export function gatewayOf(n: Pick<NetworkInfo, 'IPAM'>): string | undefined {
  const configs = n.IPAM?.Config ?? [];
  const gw = configs.map((c) => c.Gateway?.replace(/\/\d+$/, '')).find((a) => a && IPV4.test(a));
  return gw ?? configs.map((c) => firstAddress(c.Subnet)).find(Boolean);
}

const IPV4 = /^\d+\.\d+\.\d+\.\d+$/;

/** 172.17.0.0/16 → 172.17.0.1; undefined for anything but an IPv4 subnet with room for hosts. */
export function firstAddress(subnet: string | undefined): string | undefined {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(subnet ?? '');
  if (!m || Number(m[2]) > 30) return undefined;
  const octets = m[1]!.split('.').map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  const bits = Number(m[2]);
  const base = octets.reduce((n, o) => n * 256 + o, 0);
  const network = bits === 0 ? 0 : base - (base % 2 ** (32 - bits));
  const first = network + 1;
  return [24, 16, 8, 0].map((shift) => Math.floor(first / 2 ** shift) % 256).join('.');
}

/**
 * Every network of exactly this name, oldest first. By name, Docker answers "ambiguous" when there
 * are several, so they are listed (its name filter matches parts of names) and told apart by id.
 */
async function named(docker: Docker, name: string): Promise<NetworkInfo[]> {
  const all = await docker.listNetworks({ filters: { name: [name] } });
  return all
    .filter((n) => n.Name === name)
    .sort((a, b) => a.Created.localeCompare(b.Created) || a.Id.localeCompare(b.Id));
}

/** Containers, running or only created, on a network of this name. */
async function usersOf(docker: Docker, name: string): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { network: [name] } });
  return list.map((c) => c.Names[0]?.replace(/^\//, '') ?? c.Id.slice(0, 12));
}

async function create(docker: Docker, net: RunNetworkName): Promise<void> {
  await docker.createNetwork({
    Name: net.name,
    Driver: 'bridge',
    CheckDuplicate: true,
    Internal: kindOf(net) === 'runs',
    EnableIPv6: false,
    Options: { [ICC]: 'false', [BRIDGE_NAME]: net.bridge },
    Labels: { [LABEL_NETWORK]: kindOf(net) },
  });
}

/**
 * The run network of this engine, made when it is missing (or made otherwise and unused); or why
 * there is none. Safe to call from several processes at once, and cheap enough to call before
 * every launch (a `docker network prune` removes it whenever no run uses it).
 */
export async function ensureRunNetwork(
  docker: Docker,
  net: RunNetworkName = RUNS,
): Promise<RunNetworkResult> {
  try {
    let nets = await named(docker, net.name);
    const ours = (n: NetworkInfo) => isRunNetwork(n, net);
    if (!nets.some(ours)) {
      const users = nets.length ? await usersOf(docker, net.name) : [];
      if (users.length)
        return {
          problem: `a Docker network named ${net.name} exists, but ${howItDiffers(nets[0]!, net)}, and containers use it (${users.join(', ')}). Stop them or take them off it (docker network disconnect ${net.name} CONTAINER); the workbench then makes its own network in its place`,
        };
      for (const n of nets)
        await docker
          .getNetwork(n.Id)
          .remove()
          .catch((err: { statusCode?: number }) => {
            if (err.statusCode !== 404) throw err; // another process removed it first
          });
      let refused: unknown;
      // Made by another process meanwhile: a conflict of name (409) or of bridge device (403).
      await create(docker, net).catch((err: unknown) => {
        refused = err;
      });
      nets = await named(docker, net.name);
      if (!nets.some(ours) && refused !== undefined) throw refused;
    }
    const chosen = nets.find(ours);
    if (!chosen)
      return {
        problem: `the Docker network ${net.name} was made but is not there now (was it removed at the same moment?); the next run tries again`,
      };
    return { network: { id: chosen.Id, name: chosen.Name, gateway: gatewayOf(chosen)! } };
  } catch (err) {
    return {
      problem: `the workbench could not make its ${kindOf(net) === 'runs' ? 'internal Docker network' : 'Docker network'} ${net.name} for ${kindOf(net)} (${engineError(err).message})`,
    };
  }
}
