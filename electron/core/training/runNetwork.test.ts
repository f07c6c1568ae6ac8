/**
 * The Docker network runs join (runNetwork.ts), made in the real engine under names of this
 * file's own (never the real mlwb-runs, which other test files' runs use meanwhile): internal,
 * without inter-container traffic, labelled; made once however many processes ask at once; made
 * again when a network of its name was made otherwise and nothing uses it, and left alone, with
 * the reason, when something does.
 */
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerSkipReason, IMAGE } from '../testing/trainingFixtures.ts';
import {
  ensureRunNetwork,
  firstAddress,
  gatewayOf,
  LABEL_NETWORK,
  type RunNetworkName,
} from './runNetwork.ts';

describe('the run network gateway', () => {
  it("is the IPAM config's gateway, or the subnet's first address when Docker 20.10 leaves it out", () => {
    expect(
      gatewayOf({
        IPAM: { Driver: 'default', Config: [{ Subnet: '172.19.0.0/16', Gateway: '172.19.0.1' }] },
      }),
    ).toBe('172.19.0.1');
    expect(
      gatewayOf({
        IPAM: { Driver: 'default', Config: [{ Subnet: '172.25.0.0/16', Gateway: '172.25.0.1/16' }] },
      }),
    ).toBe('172.25.0.1');
    expect(gatewayOf({ IPAM: { Driver: 'default', Config: [{ Subnet: '192.168.48.0/20' }] } })).toBe(
      '192.168.48.1',
    );
    expect(gatewayOf({ IPAM: { Driver: 'default', Config: [{ Subnet: 'fd00::/64' }] } })).toBeUndefined();
    expect(firstAddress('10.1.2.77/24')).toBe('10.1.2.1');
    expect(firstAddress('10.1.2.3/31')).toBeUndefined();
  });
});

const skipReason = await dockerSkipReason();
const docker = new Docker();
/** A network name and bridge device of this file's own: mlwbt-XXXXXX (a device name has 15 characters at most). */
const made: string[] = [];
const testName = (): RunNetworkName => {
  const name = `mlwbt-${randomBytes(3).toString('hex')}`;
  made.push(name);
  return { name, bridge: name };
};
const containers: Docker.Container[] = [];

async function networksNamed(name: string): Promise<Docker.NetworkInspectInfo[]> {
  return (await docker.listNetworks({ filters: { name: [name] } })).filter((n) => n.Name === name);
}

afterAll(async () => {
  if (skipReason) return;
  for (const c of containers) await c.remove({ force: true }).catch(() => {});
  for (const name of made)
    for (const n of await networksNamed(name))
      await docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => {});
});

describe.skipIf(Boolean(skipReason))(
  `the run network${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    it('is an internal bridge network without inter-container traffic, labelled, on its own bridge device; asking again finds it', async () => {
      const net = testName();
      const first = await ensureRunNetwork(docker, net);
      if (first.problem !== undefined) throw new Error(first.problem);
      const info = await docker.getNetwork(first.network.id).inspect();
      expect(info).toMatchObject({
        Name: net.name,
        Driver: 'bridge',
        Scope: 'local',
        Internal: true,
        EnableIPv6: false,
        Options: {
          'com.docker.network.bridge.enable_icc': 'false',
          'com.docker.network.bridge.name': net.bridge,
        },
        Labels: { [LABEL_NETWORK]: 'runs' },
      });
      expect(first.network.gateway).toBe(gatewayOf(info));
      expect(first.network.gateway).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(await ensureRunNetwork(docker, net)).toEqual(first);
      expect(await networksNamed(net.name)).toHaveLength(1);
    });

    it('is made once when several clients ask at the same moment (Docker 20.10 would make one each)', async () => {
      const net = testName();
      const answers = await Promise.all(Array.from({ length: 6 }, () => ensureRunNetwork(new Docker(), net)));
      const ids = answers.map((a) => (a.problem === undefined ? a.network.id : a.problem));
      expect(new Set(ids).size, ids.join('\n')).toBe(1);
      expect((await networksNamed(net.name)).map((n) => n.Id)).toEqual([ids[0]]);
    });

    it('replaces a network of its name made otherwise when nothing uses it', async () => {
      const net = testName();
      const plain = await docker.createNetwork({ Name: net.name, Driver: 'bridge' });
      const r = await ensureRunNetwork(docker, net);
      if (r.problem !== undefined) throw new Error(r.problem);
      expect(r.network.id).not.toBe(plain.id);
      expect(await networksNamed(net.name)).toEqual([
        expect.objectContaining({ Id: r.network.id, Internal: true, Labels: { [LABEL_NETWORK]: 'runs' } }),
      ]);
    });

    it('leaves a network of its name made otherwise alone while a container is on it, and says which and what to do', async () => {
      const net = testName();
      const plain = await docker.createNetwork({
        Name: net.name,
        Driver: 'bridge',
        Options: { 'com.docker.network.bridge.name': net.bridge },
      });
      // Created, not started: it would join the network when started, so it counts.
      const user = await docker.createContainer({
        Image: IMAGE,
        Cmd: ['true'],
        name: `${net.name}-user`,
        HostConfig: { NetworkMode: net.name },
      });
      containers.push(user);
      const r = await ensureRunNetwork(docker, net);
      expect(r.problem).toMatch(
        new RegExp(
          `network named ${net.name} exists, but it is not internal .*, its containers can reach one another, it was not made by the workbench, and containers use it \\(${net.name}-user\\)\\. .*docker network disconnect ${net.name}`,
        ),
      );
      expect((await networksNamed(net.name)).map((n) => n.Id)).toEqual([plain.id]);

      // Once the container is gone, the next ask makes the workbench's own in its place.
      await user.remove({ force: true });
      const after = await ensureRunNetwork(docker, net);
      expect(after.problem).toBeUndefined();
      expect((await networksNamed(net.name)).map((n) => n.Internal)).toEqual([true]);
    });
  },
);
