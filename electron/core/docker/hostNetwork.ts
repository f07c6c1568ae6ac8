/**
 * The workbench's one way to change this machine's firewall: a one-off container of its offline
 * image `mlwb/netfront:bookworm` (Debian minbase with iptables) in the host's network, root with
 * only NET_ADMIN, that runs a script the workbench wrote and is removed. Host deployment fronts
 * (deploy/netFront.ts) and the firewall of the run network (training/runFirewall.ts) use it; the
 * workbench itself needs no root.
 *
 * It only means this machine's firewall when the engine's host network is this machine's
 * (hostNetworkIsThisMachine): a Linux engine on the local socket that is neither Docker Desktop's
 * VM nor rootless Docker (whose host network is a namespace of its own), nor one with user
 * namespaces (which refuses the host's network to containers).
 */
import type Docker from 'dockerode';
import { demuxLines } from '../deploy/serverReadiness.ts';
import { engineError } from '../training/containerRun.ts';

export const NETFRONT_IMAGE = 'mlwb/netfront:bookworm';

/** One answer per engine client: its host network does not change while the process runs. */
const answers = new WeakMap<Docker, Promise<boolean>>();

/**
 * Whether the host network of this engine, which is on this machine's local socket (the caller
 * knows), is this machine's own. Asks the engine (`docker info`) once per client; its failures are
 * thrown as workbench errors, and not kept, so the next call asks again.
 */
export function hostNetworkIsThisMachine(docker: Docker): Promise<boolean> {
  let answer = answers.get(docker);
  if (!answer) {
    const asked = askEngine(docker);
    answers.set(docker, asked);
    asked.catch(() => {
      if (answers.get(docker) === asked) answers.delete(docker);
    });
    answer = asked;
  }
  return answer;
}

/** Drops the answer kept for this client, so the next call asks the engine again. */
export function forgetHostNetworkAnswer(docker: Docker): void {
  answers.delete(docker);
}

async function askEngine(docker: Docker): Promise<boolean> {
  if (process.platform !== 'linux') return false;
  let info: { OperatingSystem?: string; SecurityOptions?: string[] };
  try {
    info = await docker.info();
  } catch (err) {
    throw engineError(err);
  }
  return (
    !/docker desktop/i.test(info.OperatingSystem ?? '') &&
    !(info.SecurityOptions ?? []).some((o) => /name=(rootless|userns)/.test(o))
  );
}

/** Whether the engine has the image the host-network container runs. */
export async function hasNetfrontImage(docker: Docker): Promise<boolean> {
  const images = await docker.listImages({ filters: { reference: [NETFRONT_IMAGE] } }).catch(() => []);
  return images.length > 0;
}

/**
 * Runs a shell script in the host's network with NET_ADMIN, in a one-off container of the netfront
 * image, and returns what it printed (stdout and stderr). Its exit status is not returned: a script
 * that must be known to have finished says so in its last line.
 */
export async function runInHostNetwork(docker: Docker, script: string): Promise<string> {
  try {
    const c = await docker.createContainer({
      Image: NETFRONT_IMAGE,
      Cmd: ['sh', '-c', script],
      HostConfig: {
        NetworkMode: 'host',
        CapDrop: ['ALL'],
        CapAdd: ['NET_ADMIN'],
        SecurityOpt: ['no-new-privileges'],
        ReadonlyRootfs: true,
        // iptables takes its lock in /run.
        Tmpfs: { '/run': 'rw,nosuid,nodev,noexec,size=1m' },
      },
    });
    try {
      await c.start();
      await c.wait();
      const out = (await c.logs({ stdout: true, stderr: true })) as Buffer;
      return demuxLines(out)
        .map((l) => l.text)
        .join('\n');
    } finally {
      await c.remove({ force: true }).catch(() => {});
    }
  } catch (err) {
    throw engineError(err);
  }
}
