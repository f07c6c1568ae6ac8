/**
 * Where a run's network leads (issue 9), for real in the Docker engine with the workbench's
 * tracking listener: a run is on the internal network mlwb-runs and logs through MLflow there, and
 * reaches neither a container on Docker's default bridge nor another run; its routes lead nowhere
 * but that network. A run network pruned between runs is made again (the listener follows it to
 * its new address); one that cannot be made leaves the run with no network, said at the start of
 * its log. Nothing here talks to anything but this machine and containers the test starts.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInHostNetwork } from '../core/docker/hostNetwork.ts';
import { tempDirs } from '../core/testing/tempDirs.ts';
import { testWorkbench } from '../core/testing/testWorkbench.ts';
import {
  dockerSkipReason,
  IMAGE,
  mlflowClientScript,
  writeRecipe,
} from '../core/testing/trainingFixtures.ts';
import { removalScript } from '../core/training/runFirewall.ts';
import {
  ensureRunNetwork,
  gatewayOf,
  RUN_NETWORK,
  type RunNetworkName,
} from '../core/training/runNetwork.ts';
import { startTrackingListener, type TrackingListener } from './trackingListener.ts';

const skipReason = await dockerSkipReason();
const t = testWorkbench();
const dirs = tempDirs();
const docker = new Docker();
const PORT = 9000;
let listener: TrackingListener | undefined;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  if (!skipReason) listener = await startTrackingListener(t.wb);
});
afterAll(async () => {
  await listener?.close();
  for (const undo of cleanup.reverse()) await undo().catch(() => {});
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Python that accepts on PORT for `linger` seconds, saying `reached` to whoever connects. */
const LISTEN = (linger: string) => [
  'import socket, time',
  's = socket.socket()',
  `s.bind(("0.0.0.0", ${PORT}))`,
  's.listen()',
  's.settimeout(1)',
  'print("listening", flush=True)',
  `end = time.time() + ${linger}`,
  'while time.time() < end:',
  '    try:',
  '        c, _ = s.accept()',
  '        c.sendall(b"reached\\n")',
  '        c.close()',
  '    except socket.timeout:',
  '        pass',
];

/** What this process reads from HOST:PORT: `reached` from the listeners above. */
function knock(host: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: PORT, timeout: 3000 });
    let got = '';
    socket.on('data', (b) => {
      got += b.toString();
    });
    socket.on('end', () => resolve(got.trim()));
    socket.on('timeout', () => socket.destroy());
    socket.on('error', (err) => resolve(`error ${err.message}`));
    socket.on('close', () => resolve(got.trim()));
  });
}

/** 0100A8C0 (a /proc/net/route field, little-endian) → 192.168.0.1. */
const hexIp = (hex: string) => [6, 4, 2, 0].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)).join('.');
/** 20 → 255.255.240.0. */
const maskOf = (bits: number) =>
  [24, 16, 8, 0].map((shift) => Math.floor((2 ** 32 - 2 ** (32 - bits)) / 2 ** shift) % 256).join('.');

async function untilLogged(id: string, line: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (t.wb.runs.logs(id).some((l) => l.text === line)) return;
    if (!['QUEUED', 'RUNNING'].includes(t.wb.tracking.run(id).status)) break;
    await sleep(100);
  }
  throw new Error(
    `run ${id} never logged "${line}": ${t.wb.runs
      .logs(id)
      .map((l) => l.text)
      .join(' | ')}`,
  );
}

/** A recipe that prints its routes and network devices, tries to reach `targets`, then logs `k` through MLflow. */
function probeRecipe(targets: Record<string, string>): string {
  return writeRecipe(dirs.make(), {
    name: 'probe',
    script: [
      'import os, socket',
      'print("devices", " ".join(sorted(os.listdir("/sys/class/net"))))',
      'for row in open("/proc/net/route").read().splitlines()[1:]:',
      '    f = row.split()',
      '    print("route", f[1], f[2], f[7])',
      ...Object.entries(targets).map(
        ([name, host]) =>
          `try:\n    c = socket.create_connection(("${host}", ${PORT}), timeout=3)\n    print("${name}", c.recv(20).decode().strip())\nexcept OSError as e:\n    print("${name} not reached", type(e).__name__)`,
      ),
      'if "MLFLOW_TRACKING_URI" not in os.environ:',
      '    print("no MLFLOW_TRACKING_URI")',
      '    raise SystemExit(0)',
      ...mlflowClientScript(10),
      'post("runs/log-metric", {"run_id": run, "key": "k", "value": 1, "timestamp": 1, "step": 0}, token)',
      'print("logged", uri)',
    ],
  });
}

/** A network name and bridge device of this file's own. */
function testNetworkName(): RunNetworkName {
  const name = `mlwbt-${randomBytes(3).toString('hex')}`;
  cleanup.push(async () => {
    try {
      for (const n of await docker.listNetworks({ filters: { name: [name] } }))
        if (n.Name === name) await docker.getNetwork(n.Id).remove();
    } finally {
      // The host firewall rules its listener put in place for its bridge.
      await runInHostNetwork(docker, removalScript(name));
    }
  });
  return { name, bridge: name };
}

describe.skipIf(Boolean(skipReason))(
  `a run's network${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    it('is the internal network mlwb-runs: a run logs through MLflow there, reaches no container on the default bridge and no other run, and has no route past the network', async () => {
      expect(listener, 'the tracking listener must start on this engine').toBeDefined();
      // A container on Docker's default bridge, listening; this process reaches it.
      const peer = await docker.createContainer({
        Image: IMAGE,
        Cmd: ['python3', '-c', LISTEN('120').join('\n')],
        HostConfig: { NetworkMode: 'bridge', AutoRemove: true },
      });
      cleanup.push(() => peer.remove({ force: true }));
      await peer.start();
      const peerIp = (await peer.inspect()).NetworkSettings.Networks.bridge!.IPAddress;

      // Another run, listening.
      const [other] = (await t.wb.runs.start({
        recipe: writeRecipe(dirs.make(), { name: 'listening', script: LISTEN('60') }),
        parallel: 2,
      })) as [string];
      cleanup.push(() => t.wb.runs.cancel(other));
      await untilLogged(other, 'listening');
      const otherContainer = await docker.getContainer(t.wb.tracking.runRow(other).container_id!).inspect();
      const network = (await docker.listNetworks({ filters: { name: [RUN_NETWORK] } })).find(
        (n) => n.Name === RUN_NETWORK,
      )!;

      // docker inspect: the run is on mlwb-runs and nothing else, and mlwb-runs is internal, no ICC.
      expect(otherContainer.HostConfig.NetworkMode).toBe(network.Id);
      expect(Object.keys(otherContainer.NetworkSettings.Networks)).toEqual([RUN_NETWORK]);
      // Its DNS queries are asked of its own loopback, from inside it (containerRun.ts says why).
      expect(otherContainer.HostConfig.Dns).toEqual(['127.0.0.1']);
      expect(network).toMatchObject({
        Internal: true,
        Options: { 'com.docker.network.bridge.enable_icc': 'false' },
      });
      const otherIp = otherContainer.NetworkSettings.Networks[RUN_NETWORK]!.IPAddress;
      const subnet = network.IPAM!.Config![0]!.Subnet!;
      const gateway = gatewayOf(network)!;
      expect(listener!.uri).toMatch(new RegExp(`^http://${gateway.replaceAll('.', '\\.')}:\\d+$`));
      // Both listen: what the run below does not reach is kept from it, not absent.
      expect(await knock(peerIp)).toBe('reached');
      expect(await knock(otherIp)).toBe('reached');

      const [id] = (await t.wb.runs.start({
        recipe: probeRecipe({ peer: peerIp, 'other run': otherIp }),
        parallel: 2,
      })) as [string];
      await t.wb.runs.waitFor(id);
      const log = t.wb.runs.logs(id).map((l) => l.text);
      expect(t.wb.tracking.run(id).status, log.join('\n')).toBe('FINISHED');
      expect(log).toContain(`logged ${listener!.uri}`);
      expect(t.wb.tracking.run(id).metrics).toEqual({ k: 1 });
      // Dropped on Docker before 25 (a default route to the gateway), unreachable after (no route).
      expect(log).toContainEqual(expect.stringMatching(/^peer not reached (TimeoutError|OSError)/));
      expect(log).toContainEqual(expect.stringMatching(/^other run not reached (TimeoutError|OSError)/));

      // Its routes: the network's own subnet; and on engines before Docker 25 (API 1.44), which give
      // containers of internal networks a default route, that route goes to the network's gateway,
      // this machine, which Docker forwards nowhere (as the two refusals above show).
      const routes = log.filter((l) => l.startsWith('route ')).map((l) => l.split(' '));
      const [base, bits] = subnet.split('/');
      const onLink = routes
        .filter(([, dest]) => dest !== '00000000')
        .map(([, d, g, m]) => [hexIp(d!), hexIp(g!), hexIp(m!)]);
      expect(onLink).toEqual([[base, '0.0.0.0', maskOf(Number(bits))]]);
      const defaults = routes.filter(([, dest]) => dest === '00000000').map(([, , g]) => hexIp(g!));
      const api = (await docker.version()).ApiVersion.split('.').map(Number);
      const before25 = api[0]! === 1 && api[1]! < 44;
      expect(defaults).toEqual(before25 ? [gateway] : []);
      expect(log).toContain('devices eth0 lo');
      await t.wb.runs.cancel(other);
    }, 180_000);

    it('is made again when pruned between runs, the listener moving to its new address; when it cannot be made, a run gets no network and says why first', async () => {
      await listener?.close();
      const name = testNetworkName();
      listener = await startTrackingListener(t.wb, { network: name });
      const before = await ensureRunNetwork(docker, name);
      if (before.problem !== undefined) throw new Error(before.problem);
      const firstUri = listener!.uri;

      // Pruned, and its subnet taken by another network meanwhile: made again on another.
      const oldSubnet = (await docker.getNetwork(before.network.id).inspect()).IPAM?.Config?.[0]?.Subnet;
      await docker.getNetwork(before.network.id).remove();
      const filler = testNetworkName();
      await docker.createNetwork({
        Name: filler.name,
        Internal: true,
        IPAM: { Driver: 'default', Config: [{ Subnet: oldSubnet }] },
      });
      const [again] = (await t.wb.runs.start({ recipe: probeRecipe({}) })) as [string];
      await t.wb.runs.waitFor(again);
      const log = t.wb.runs.logs(again).map((l) => l.text);
      expect(t.wb.tracking.run(again).status, log.join('\n')).toBe('FINISHED');
      expect(t.wb.tracking.run(again).metrics).toEqual({ k: 1 });
      const now = await ensureRunNetwork(docker, name);
      if (now.problem !== undefined) throw new Error(now.problem);
      expect(now.network.id).not.toBe(before.network.id);
      expect(listener!.uri).toMatch(
        new RegExp(`^http://${now.network.gateway.replaceAll('.', '\\.')}:\\d+$`),
      );
      expect(listener!.uri).not.toBe(firstUri);
      expect(log).toContain(`logged ${listener!.uri}`);

      // Made otherwise, and in use: it is left alone, and the run gets no network at all.
      await docker.getNetwork(now.network.id).remove();
      await docker.createNetwork({
        Name: name.name,
        Options: { 'com.docker.network.bridge.name': name.bridge },
      });
      const user = await docker.createContainer({
        Image: IMAGE,
        Cmd: ['true'],
        HostConfig: { NetworkMode: name.name },
      });
      cleanup.push(() => user.remove({ force: true }));
      const [none] = (await t.wb.runs.start({ recipe: probeRecipe({}) })) as [string];
      await t.wb.runs.waitFor(none);
      const noneLog = t.wb.runs.logs(none).map((l) => l.text);
      expect(t.wb.tracking.run(none).status, noneLog.join('\n')).toBe('FINISHED');
      expect(noneLog[0]).toMatch(
        new RegExp(
          `^mlwb: MLflow tracking is not available to this run: a Docker network named ${name.name} exists, but it is not internal .*containers use it .*metrics\\.jsonl`,
        ),
      );
      expect(noneLog.slice(1)).toEqual(['devices lo', 'no MLFLOW_TRACKING_URI']);
    }, 180_000);
  },
);
