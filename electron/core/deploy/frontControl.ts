/**
 * A container deployment's front as the runtime drives it (netFront.ts says what a front is): which
 * network a new one gets, the slots its model servers listen on, starting one and knowing it holds
 * its port, and reading which slot it steers to.
 */
import type Docker from 'dockerode';
import { hostNetworkIsThisMachine } from '../docker/hostNetwork.ts';
import { cancelled, WorkbenchError } from '../errors.ts';
import { engineError } from '../training/containerRun.ts';
import { engine, statusCode, stopGracefully } from './deployContainers.ts';
import { freeServerPort, isPortTaken, portTaken } from './hostPort.ts';
import {
  FRONT_IMAGE,
  type FrontNet,
  hostChain,
  liveSlot,
  otherSlot,
  PORT_TAKEN_EXIT,
  SLOTS,
  undoHostRules,
} from './netFront.ts';
import type { RuntimeDeps, RuntimeSpec } from './runtime.ts';
import { demuxLines, lastLines, lineTexts, seconds } from './serverReadiness.ts';

/** How long a front may take to hold its port and apply its rule. */
const FRONT_SETUP_MS = 10_000;

export function frontControl(deps: RuntimeDeps) {
  const { docker, local, homeId } = deps;

  /**
   * Whether this engine's host network is this machine's (docker/hostNetwork.ts says when), and
   * deployments may use it (not MLWB_DEPLOY_NETWORK=bridge).
   */
  function hostNetworkIsOurs(): Promise<boolean> {
    if (!local || deps.network === 'bridge') return Promise.resolve(false);
    return hostNetworkIsThisMachine(docker);
  }

  /** The network a new deployment's front gets (netFront.ts says what each means). */
  async function netFor(spec: RuntimeSpec): Promise<FrontNet> {
    return spec.bindHost === '127.0.0.1' && (await hostNetworkIsOurs()) ? 'host' : 'bridge';
  }

  /** The slot a new model container listens on: the other bridge slot, or a free loopback port. */
  const nextSlot = (net: FrontNet, live: number | null) =>
    net === 'host' ? freeServerPort() : Promise.resolve(live === null ? SLOTS[0] : otherSlot(live));

  const chainOf = (deployment: string) => hostChain(homeId, deployment);
  const imageExists = (image: string) =>
    docker
      .getImage(image)
      .inspect()
      .then(
        () => true,
        () => false,
      );

  /**
   * The slot the front steers to. A bridge front's state may be unreadable (a fresh volume): its
   * first slot. A host front's slot is a port chosen at deploy time, with no default to fall back
   * on: without it the serving container could not be told apart, so that is an error.
   */
  async function liveSlotOf(front: Docker.Container, net: FrontNet): Promise<number> {
    const slot = await liveSlot(docker, front);
    if (slot !== null) return slot;
    if (net === 'bridge') return SLOTS[0];
    throw new WorkbenchError(
      'INTERNAL',
      "The deployment's front does not say which server it steers to (its state file is unreadable). Restart the deployment.",
    );
  }

  /**
   * Starts a front that does not serve (`info`: as inspected). One in a loop of restarts is
   * stopped first, so that starting it says why it fails.
   */
  async function startFront(
    front: Docker.Container,
    info: Docker.ContainerInspectInfo | null,
    spec: { bindHost: string; port: number },
    net: FrontNet,
    signal?: AbortSignal,
  ) {
    if (info?.State.Restarting) await stopGracefully(front, 2);
    try {
      await front.start();
    } catch (err) {
      const said = (err as { json?: { message?: string } }).json?.message ?? (err as Error).message;
      if (isPortTaken(said)) throw await portTaken(spec.bindHost, spec.port, local);
      if (statusCode(err) !== 304) throw engineError(err);
    }
    if (net === 'host') await frontApplied(front, spec, signal);
  }

  /**
   * A host front binds its port itself, after `start` returned: it is ready once it said so (the
   * rule's line in its log), and failed when it stopped or restarts first — the port taken by
   * another program (PORT_TAKEN_EXIT), or its rule refused. A failed front is stopped, so it does not
   * keep restarting.
   */
  async function frontApplied(
    front: Docker.Container,
    spec: { bindHost: string; port: number },
    signal?: AbortSignal,
  ) {
    const deadline = Date.now() + FRONT_SETUP_MS;
    for (;;) {
      if (signal?.aborted) {
        await stopGracefully(front, 2);
        throw cancelled();
      }
      const info = await engine(front.inspect());
      if (!info.State.Running || info.State.Restarting) {
        const said = lineTexts(await lastLines(front, 5));
        await stopGracefully(front, 2);
        if (info.State.ExitCode === PORT_TAKEN_EXIT || said.some((l) => l.includes('cannot hold')))
          throw await portTaken(spec.bindHost, spec.port, local);
        throw new WorkbenchError(
          'INTERNAL',
          `The deployment's front container stopped (exit code ${info.State.ExitCode}) before it held port ${spec.port}: ${said.join(' ').slice(-400) || 'it said nothing'}. Deploy again; if it fails the same way, run the deployment with MLWB_DEPLOY_NETWORK=bridge.`,
        );
      }
      const since = Math.floor(Date.parse(info.State.StartedAt) / 1000);
      const out = (await engine(front.logs({ stdout: true, stderr: false, since }))) as Buffer;
      if (demuxLines(out).some((l) => l.text.startsWith('front: port'))) return;
      if (Date.now() > deadline) {
        await stopGracefully(front, 2);
        throw new WorkbenchError(
          'INTERNAL',
          `The deployment's front container did not set up port ${spec.port} within ${seconds(FRONT_SETUP_MS)}. Check the engine (docker info), then deploy again.`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Stops a host front, which removes its rules as it stops; the rules of one that could not (it
   * was killed at the end of the grace) are removed for it, when the front's image is here to do it
   * (without it the rules stay, sending the port to a slot nothing listens on: connections are
   * refused as if it were closed, until the host's NAT table is reset).
   */
  async function stopHostFront(front: Docker.Container, deployment: string): Promise<void> {
    await stopGracefully(front, 5);
    const exit = (await engine(front.inspect())).State.ExitCode;
    if (exit !== 0) await clearHostRules(deployment);
  }

  /** Removes what a host front of `deployment` may have left in the host's NAT table. */
  async function clearHostRules(deployment: string): Promise<void> {
    if (await imageExists(FRONT_IMAGE)) await undoHostRules(docker, chainOf(deployment));
  }

  return { netFor, nextSlot, liveSlotOf, startFront, stopHostFront, clearHostRules, hostNetworkIsOurs };
}
