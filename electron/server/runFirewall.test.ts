/**
 * The host firewall of the run network (core/training/runFirewall.ts), for real in the Docker
 * engine and this machine's firewall, with the workbench's tracking listener on mlwb-runs: a
 * service this test runs on 0.0.0.0 is reachable from this machine and from a container on
 * Docker's default bridge, but not from a run, which still logs through MLflow; the rules are in
 * their own chain, jumped to first in INPUT; dropped, they are put back at the next launch; with
 * MLWB_RUNS_HOST_FIREWALL=off they are left alone (and the run reaches the service); where they
 * cannot be put in place, the run gets no network and its log says why first. The workbench's own
 * rules stay on this machine afterwards (they are the product); nothing here talks to anything
 * but this machine and containers the test starts.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demuxLines } from '../core/deploy/serverReadiness.ts';
import { hasNetfrontImage, hostNetworkIsThisMachine, runInHostNetwork } from '../core/docker/hostNetwork.ts';
import { tempDirs } from '../core/testing/tempDirs.ts';
import { testWorkbench } from '../core/testing/testWorkbench.ts';
import {
  dockerSkipReason,
  IMAGE,
  mlflowClientScript,
  writeRecipe,
} from '../core/testing/trainingFixtures.ts';
import {
  FIREWALL_SETTING,
  FRESH_MS,
  type RunFirewall,
  removalScript,
  runFirewall,
  runsChain,
} from '../core/training/runFirewall.ts';
import {
  BUILD_NETWORK,
  BUILDS,
  ensureRunNetwork,
  gatewayOf,
  RUN_NETWORK,
  type RunNetworkName,
} from '../core/training/runNetwork.ts';
import { startTrackingListener, type TrackingListener } from './trackingListener.ts';

/** The firewall is this machine's to keep only where the netfront container can reach it. */
async function firewallSkipReason(): Promise<string | undefined> {
  const noDocker = await dockerSkipReason();
  if (noDocker) return noDocker;
  const engine = new Docker();
  if (!(await hostNetworkIsThisMachine(engine)))
    return "this engine's host network is not this machine's (Docker Desktop, rootless or user namespaces)";
  if (!(await hasNetfrontImage(engine))) {
    const reason = 'no mlwb/netfront:bookworm image; run npm run images:offline';
    if (process.env.MLWB_REQUIRE_DOCKER === '1') throw new Error(`MLWB_REQUIRE_DOCKER=1 but ${reason}`);
    return reason;
  }
  return undefined;
}
const skipReason = await firewallSkipReason();
const t = testWorkbench();
const dirs = tempDirs();
const docker = new Docker();
/** A bridge name iptables refuses (longer than an interface name may be). */
const REFUSED_BRIDGE = 'mlwb-runs-refused-x';
let listener: TrackingListener | undefined;
/** This machine's service on all its addresses, saying `reached` to whoever connects. */
const service = net.createServer((c) => c.end('reached\n'));
let port = 0;
let gateway = '';
let defaultBridgeGateway = '';

beforeAll(async () => {
  if (skipReason) return;
  await new Promise<void>((r) => service.listen(0, '0.0.0.0', r));
  port = (service.address() as net.AddressInfo).port;
  const runs = await ensureRunNetwork(docker);
  if (runs.problem !== undefined) throw new Error(runs.problem);
  gateway = runs.network.gateway;
  defaultBridgeGateway = gatewayOf(await docker.getNetwork('bridge').inspect())!;
  listener = await startTrackingListener(t.wb);
});
afterAll(async () => {
  delete process.env[FIREWALL_SETTING];
  await listener?.close();
  for (const own of ownNetworks) {
    const made = await docker.listNetworks({ filters: { name: [own.name] } });
    for (const n of made)
      if (n.Name === own.name)
        await docker
          .getNetwork(n.Id)
          .remove()
          .catch(() => {});
    await runInHostNetwork(docker, removalScript(own.bridge));
  }
  service.close();
  if (!skipReason) await runInHostNetwork(docker, removalScript(REFUSED_BRIDGE));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Python that tries HOST:port for each target, printing `NAME reached` or `NAME not reached ERROR`. */
const knocks = (targets: Record<string, string>) =>
  Object.entries(targets).map(
    ([name, host]) =>
      `try:\n    c = socket.create_connection(("${host}", ${port}), timeout=3)\n    print("${name}", c.recv(20).decode().strip())\nexcept OSError as e:\n    print("${name} not reached", type(e).__name__)`,
  );

/** A run that knocks on the service through the run network's gateway and the default bridge's, then logs `k` through MLflow. */
async function probeRun(): Promise<{ id: string; log: string[] }> {
  const recipe = writeRecipe(dirs.make(), {
    name: 'firewall-probe',
    script: [
      'import socket',
      ...knocks({ gateway, 'default bridge': defaultBridgeGateway }),
      ...mlflowClientScript(10),
      'post("runs/log-metric", {"run_id": run, "key": "k", "value": 1, "timestamp": 1, "step": 0}, token)',
      'print("logged", uri)',
    ],
  });
  const [id] = (await t.wb.runs.start({ recipe })) as [string];
  await t.wb.runs.waitFor(id);
  const log = t.wb.runs.logs(id).map((l) => l.text);
  expect(t.wb.tracking.run(id).status, log.join('\n')).toBe('FINISHED');
  expect(t.wb.tracking.run(id).metrics).toEqual({ k: 1 });
  expect(log).toContain(`logged ${listener!.uri}`);
  return { id, log };
}

/** Networks (and their rules) tests made for themselves, removed at the end. */
const ownNetworks: RunNetworkName[] = [];

/** A run network of a test's own, made, with the host's address on it. */
async function ownNetwork(): Promise<{ name: RunNetworkName; gateway: string }> {
  const name = `mlwbt-${randomBytes(3).toString('hex')}`;
  const own = { name, bridge: name };
  ownNetworks.push(own);
  const made = await ensureRunNetwork(docker, own);
  if (made.problem !== undefined) throw new Error(made.problem);
  return { name: own, gateway: made.network.gateway };
}

/** The knocks a run's log records: when (ms since the epoch) and what came of each. */
const knocksOf = (log: string[]) =>
  log.flatMap((l) => {
    const m = /^knock \d+ (\d+) (.*)$/.exec(l);
    return m ? [{ at: Number(m[1]), result: m[2]! }] : [];
  });

/** A run that knocks on the service through its gateway every half second for ~12 s. */
async function startKnocking(name: string, at = gateway): Promise<string> {
  const recipe = writeRecipe(dirs.make(), {
    name,
    script: [
      'import socket, sys, time',
      'for i in range(24):',
      '    t = time.time()',
      '    try:',
      `        c = socket.create_connection(("${at}", ${port}), timeout=1)`,
      '        print("knock", i, int(t * 1000), c.recv(20).decode().strip())',
      '    except OSError as e:',
      '        print("knock", i, int(t * 1000), "not reached", type(e).__name__)',
      '    sys.stdout.flush()',
      '    time.sleep(0.5)',
    ],
  });
  const [id] = (await t.wb.runs.start({ recipe })) as [string];
  return id;
}

/** Waits until a line of the run's log matches. */
async function waitForLog(id: string, line: RegExp): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (t.wb.tracking.run(id).status !== 'QUEUED' && t.wb.runs.logs(id).some((l) => line.test(l.text)))
      return;
    await sleep(100);
  }
  throw new Error(`no line of run ${id}'s log matched ${line}`);
}

/** INPUT and the workbench's chain, as iptables lists them on this machine. */
async function hostRules(bridge = RUN_NETWORK): Promise<{ input: string[]; chain: string[] }> {
  const out = await runInHostNetwork(
    docker,
    `iptables -w -S INPUT; echo ==; iptables -w -S ${runsChain(bridge)} 2>&1`,
  );
  const [input, chain] = out.split('\n==\n');
  return { input: input!.split('\n'), chain: chain!.split('\n') };
}

const JUMP = `-A INPUT -i ${RUN_NETWORK} -j MLWB-RUNS`;
/** INPUT's first rules that are the workbench's jumps (`-i DEVICE -j DEVICE-UPPERCASED`), in order. */
const leadingJumps = (input: string[]) => {
  const rules = input.filter((r) => !r.startsWith('-P '));
  const end = rules.findIndex((r) => {
    const m = /^-A INPUT -i (\S+) -j (\S+)$/.exec(r);
    return !m || m[1]!.toUpperCase() !== m[2];
  });
  return end === -1 ? rules : rules.slice(0, end);
};
const CHAIN = [
  '-N MLWB-RUNS',
  '-A MLWB-RUNS -p tcp -m addrtype --dst-type LOCAL --limit-iface-in -m socket -j ACCEPT',
  '-A MLWB-RUNS -j REJECT --reject-with icmp-port-unreachable',
];

/** What a container on Docker's default bridge reads from the service (through its gateway). */
async function fromDefaultBridge(): Promise<string> {
  const c = await docker.createContainer({
    Image: IMAGE,
    Cmd: [
      'python3',
      '-c',
      ['import socket', ...knocks({ 'default bridge': defaultBridgeGateway })].join('\n'),
    ],
    HostConfig: { NetworkMode: 'bridge' },
  });
  try {
    await c.start();
    await c.wait();
    return demuxLines((await c.logs({ stdout: true, stderr: true })) as Buffer)
      .map((l) => l.text)
      .join('\n');
  } finally {
    await c.remove({ force: true });
  }
}

/** What this process reads from the service at `host`. */
function knock(host: string): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    net
      .connect({ host, port })
      .on('data', (b) => {
        got += b.toString();
      })
      .on('error', (err) => resolve(`error ${err.message}`))
      .on('close', () => resolve(got.trim()));
  });
}

describe.skipIf(Boolean(skipReason))(
  `the run network's host firewall${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    it("keeps a run from this machine's services on 0.0.0.0 (through either gateway) while it logs through MLflow, with its rules in its own chain jumped to first in INPUT", async () => {
      expect(listener, 'the tracking listener must start on this engine').toBeDefined();
      // The service answers this machine and a container on the default bridge: what the run does
      // not reach is kept from it, not absent.
      expect(await knock(gateway)).toBe('reached');
      expect(await fromDefaultBridge()).toBe('default bridge reached');

      const { log } = await probeRun();
      expect(log[0]).not.toMatch(/^mlwb:/);
      expect(log).toContain('gateway not reached ConnectionRefusedError');
      // Docker before 25 routes it to the host, which refuses it; later ones give it no route.
      expect(log.find((l) => l.startsWith('default bridge'))).toMatch(
        /^default bridge not reached (ConnectionRefusedError|OSError)$/,
      );
      const rules = await hostRules();
      expect(leadingJumps(rules.input)).toContain(JUMP);
      expect(rules.input.filter((r) => r === JUMP)).toHaveLength(1);
      expect(rules.chain).toEqual(CHAIN);
    }, 120_000);

    it('leaves the firewall alone with MLWB_RUNS_HOST_FIREWALL=off, and puts dropped rules back at the next launch', async () => {
      // A firewall reload drops them.
      await runInHostNetwork(docker, removalScript(RUN_NETWORK));
      expect((await hostRules()).input).not.toContain(JUMP);
      await sleep(FRESH_MS);

      process.env[FIREWALL_SETTING] = 'off';
      const open = await probeRun();
      expect(open.log[0]).not.toMatch(/^mlwb:/);
      expect(open.log).toContain('gateway reached');
      expect((await hostRules()).input).not.toContain(JUMP);

      delete process.env[FIREWALL_SETTING];
      await sleep(FRESH_MS);
      const { log } = await probeRun();
      expect(log).toContain('gateway not reached ConnectionRefusedError');
      const rules = await hostRules();
      expect(leadingJumps(rules.input)).toContain(JUMP);
      expect(rules.chain).toEqual(CHAIN);
    }, 120_000);

    it('puts rules dropped while a run runs back within the guard interval, without a launch, and says so in its log', async () => {
      await listener?.close();
      // A network and rules of this test's own: other test files' launches repair mlwb-runs'.
      const own = await ownNetwork();
      listener = await startTrackingListener(t.wb, { guardMs: 1000, network: own.name });
      const id = await startKnocking('firewall-guard', own.gateway);
      await waitForLog(id, /^knock 0 /);
      // A firewall reload drops them while the run runs.
      await runInHostNetwork(docker, removalScript(own.name.bridge));
      await t.wb.runs.waitFor(id);
      const log = t.wb.runs.logs(id).map((l) => l.text);
      expect(t.wb.tracking.run(id).status, log.join('\n')).toBe('FINISHED');
      const notes = log.filter((l) => l.startsWith('mlwb:'));
      expect(notes, log.join('\n')).toHaveLength(1);
      const back =
        /^mlwb: The host firewall rules .* were found gone .* and were put back at (\S+): until then this run could reach them\.$/.exec(
          notes[0]!,
        );
      expect(back, notes[0]).not.toBeNull();
      const rules = await hostRules(own.name.bridge);
      expect(leadingJumps(rules.input)).toContain(
        `-A INPUT -i ${own.name.bridge} -j ${runsChain(own.name.bridge)}`,
      );
      // Kept off before the drop, and from the repair on.
      const knocked = knocksOf(log);
      expect(knocked[0]!.result).toBe('not reached ConnectionRefusedError');
      const after = knocked.filter((k) => k.at > Date.parse(back![1]!) + 100);
      expect(after.length).toBeGreaterThan(0);
      // Refused; or, with the kernel's rate limit on the ICMP that says so, unanswered.
      for (const k of after) expect(k.result).toMatch(/^not reached (ConnectionRefusedError|TimeoutError)$/);
    }, 120_000);

    it('takes a running run off its network when dropped rules cannot be put back, and says why in its log', async () => {
      await listener?.close();
      // Real checks both: of mlwb-runs at the launch, then of a bridge iptables refuses.
      const own = await ownNetwork();
      let inner = runFirewall(docker, own.name.bridge);
      const switching: RunFirewall = {
        check: () => inner.check(),
        get repairedAt() {
          return inner.repairedAt;
        },
      };
      listener = await startTrackingListener(t.wb, { guardMs: 1000, firewall: switching, network: own.name });
      const id = await startKnocking('firewall-guard-closed', own.gateway);
      await waitForLog(id, /^knock 0 /);
      inner = runFirewall(docker, REFUSED_BRIDGE);
      // Off the network while it still runs (other tests may clean up ended containers).
      await waitForLog(id, /was taken off its network/);
      const running = await docker.getContainer(t.wb.tracking.runRow(id).container_id!).inspect();
      expect(Object.keys(running.NetworkSettings.Networks)).not.toContain(own.name.name);
      await t.wb.runs.waitFor(id);
      const log = t.wb.runs.logs(id).map((l) => l.text);
      expect(t.wb.tracking.run(id).status, log.join('\n')).toBe('FINISHED');
      // Once, though every later check fails the same way.
      const notes = log.filter((l) => l.startsWith('mlwb:'));
      expect(notes, log.join('\n')).toHaveLength(1);
      const off =
        /^mlwb: The host firewall rules .* could not be put back at \S+, so the run was taken off its network at (\S+): MLflow tracking stops here\. .*Why: .*IFNAMSIZ/.exec(
          notes[0]!,
        );
      expect(off, notes[0]).not.toBeNull();
      const after = knocksOf(log).filter((k) => k.at > Date.parse(off![1]!) + 100);
      expect(after.length).toBeGreaterThan(0);
      for (const k of after) expect(k.result).toMatch(/^not reached (OSError|TimeoutError)$/);
    }, 120_000);

    it("runs a build: recipe's RUN steps on the build network, which leads out but not to this machine's services", async () => {
      await listener?.close();
      listener = await startTrackingListener(t.wb);
      const builds = await ensureRunNetwork(docker, BUILDS);
      if (builds.problem !== undefined) throw new Error(builds.problem);
      const dir = dirs.make();
      const probe = [
        'import socket',
        ...knocks({ 'build gateway': builds.network.gateway, 'default bridge': defaultBridgeGateway }),
        // A default route: package downloads can leave (nothing outside answers on this machine).
        'print("default route", any(l.split()[1] == "00000000" for l in open("/proc/net/route").readlines()[1:]))',
      ];
      fs.writeFileSync(path.join(dir, 'probe.py'), `${probe.join('\n')}\n`);
      fs.writeFileSync(
        path.join(dir, 'Dockerfile'),
        `FROM ${IMAGE}\nCOPY probe.py /probe.py\nRUN python3 /probe.py > /knocks.txt\n`,
      );
      fs.writeFileSync(
        path.join(dir, 'recipe.yaml'),
        'name: build-probe\nbuild: Dockerfile\ncommand: ["cat", "/knocks.txt"]\n',
      );
      const [id] = (await t.wb.runs.start({ recipe: dir })) as [string];
      await t.wb.runs.waitFor(id);
      const log = t.wb.runs.logs(id).map((l) => l.text);
      try {
        expect(t.wb.tracking.run(id).status, log.join('\n')).toBe('FINISHED');
        expect(log.filter((l) => l.startsWith('mlwb:'))).toEqual([]);
        expect(log).toContainEqual(expect.stringMatching(/^build gateway not reached /));
        expect(log).toContainEqual(expect.stringMatching(/^default bridge not reached /));
        expect(log).toContain('default route True');
        const rules = await runInHostNetwork(
          docker,
          `iptables -w -S INPUT; echo ==; iptables -w -S ${runsChain(BUILD_NETWORK)} 2>&1`,
        );
        const [input, chain] = rules.split('\n==\n');
        expect(leadingJumps(input!.split('\n'))).toContain(`-A INPUT -i ${BUILD_NETWORK} -j MLWB-BUILDS`);
        expect(leadingJumps(input!.split('\n'))).toContain(JUMP);
        expect(chain!.split('\n')).toEqual([
          '-N MLWB-BUILDS',
          '-A MLWB-BUILDS -j REJECT --reject-with icmp-port-unreachable',
        ]);
        // The two chains' jumps leave each other in place: checks after both find them kept.
        const again = [runFirewall(docker, RUN_NETWORK), runFirewall(docker, BUILD_NETWORK, 'build')];
        for (const fw of again) expect(await fw.check()).toBeUndefined();
        for (const fw of again) expect(await fw.check()).toBeUndefined();
        expect(again.map((fw) => fw.repairedAt)).toEqual([0, 0]);
      } finally {
        await docker
          .getImage(t.wb.runs.detail(id).spec!.image)
          .remove({ force: true })
          .catch(() => {});
      }
    }, 180_000);

    it('gives a run whose rules cannot be put in place no network, its log first saying why', async () => {
      await listener?.close();
      listener = await startTrackingListener(t.wb, { firewall: runFirewall(docker, REFUSED_BRIDGE) });
      const recipe = writeRecipe(dirs.make(), {
        name: 'firewall-closed',
        script: [
          'import os, socket',
          'print("uri", os.environ.get("MLFLOW_TRACKING_URI"))',
          ...knocks({ gateway }),
        ],
      });
      const [id] = (await t.wb.runs.start({ recipe })) as [string];
      await t.wb.runs.waitFor(id);
      const log = t.wb.runs.logs(id).map((l) => l.text);
      expect(t.wb.tracking.run(id).status, log.join('\n')).toBe('FINISHED');
      expect(log[0]).toMatch(
        /^mlwb: MLflow tracking is not available to this run: the host firewall rules that keep runs off this machine's other services .* are not in place, so the run gets no network: the workbench could not put them in place \(iptables said: iptables-restore .*IFNAMSIZ.*\)\. Launch again; .*MLWB_RUNS_HOST_FIREWALL=off/,
      );
      expect(log).toContain('uri None');
      expect(log).toContainEqual(expect.stringMatching(/^gateway not reached/));
      const container = await docker
        .getContainer(t.wb.tracking.runRow(id).container_id!)
        .inspect()
        .catch(() => null);
      if (container) expect(Object.keys(container.NetworkSettings.Networks)).toEqual(['none']);
    }, 120_000);
  },
);
