/**
 * Builds a `build:` recipe's image from the run's recipe snapshot (not the live folder), tagged by
 * the snapshot's digest, so an unchanged recipe is built once. The build output goes to the run's
 * log as it streams.
 *
 * A Dockerfile's RUN steps are the recipe's code as much as its training script is, so they do not
 * run on Docker's default bridge (where they would reach this machine's services on 0.0.0.0, and
 * every container on that bridge): they run on the workbench's build network `mlwb-builds`
 * (runNetwork.ts), which reaches out (package downloads) but not its neighbours, and on this
 * machine's engine a host firewall rule (runFirewall.ts) refuses whatever it sends to this machine.
 * Where that rule should be in place and cannot be, the steps get no network, and the log says why
 * first.
 */
import type Docker from 'dockerode';
import type { RunSpec } from '../../../shared/training.ts';
import { invalidInput } from '../errors.ts';
import type { EventBus } from '../events.ts';
import type { Db } from '../store/database.ts';
import { snapshotEntries } from './codeSnapshot.ts';
import { engineError, noteInRunLog, type RunDirs } from './containerRun.ts';
import { type RunFirewall, runFirewall } from './runFirewall.ts';
import { logAppender } from './runLogs.ts';
import { BUILDS, ensureRunNetwork } from './runNetwork.ts';

/** One build firewall per engine client, so builds that start together share one check. */
const firewalls = new WeakMap<Docker, RunFirewall>();

/** The network a build's RUN steps get, and what its log says of it before the build (if anything). */
async function buildNetwork(docker: Docker, local: boolean): Promise<{ mode: string; note?: string }> {
  const net = await ensureRunNetwork(docker, BUILDS);
  if (net.problem !== undefined)
    return {
      mode: 'none',
      note: `This build's RUN steps get no network: ${net.problem}. Steps that download fail.`,
    };
  if (!local)
    return {
      mode: net.network.name,
      note: `This build's RUN steps can reach the services of the engine's machine: the workbench keeps its host firewall rules only on this machine's local engine.`,
    };
  let firewall = firewalls.get(docker);
  if (!firewall) {
    firewall = runFirewall(docker, BUILDS.bridge, 'build');
    firewalls.set(docker, firewall);
  }
  const gap = await firewall.check();
  if (gap?.closed) return { mode: 'none', note: `This build's RUN steps get no network: ${gap.closed}` };
  return { mode: net.network.name, ...(gap?.open ? { note: gap.open } : {}) };
}

export async function buildRecipeImage(
  d: { db: Db; events: EventBus; home: string },
  docker: Docker,
  spec: RunSpec,
  runId: string,
  dirs: RunDirs,
  /** Whether the engine is this machine's local one (where the host firewall can be kept). */
  local: boolean,
): Promise<string> {
  try {
    return (await docker.getImage(spec.image).inspect()).Id;
  } catch {
    // not built yet for this recipe digest
  }
  const code = snapshotEntries(d.db, spec.recipe.digest)!;
  const network = await buildNetwork(docker, local);
  if (network.note) noteInRunLog(d, runId, network.note);
  const log = logAppender(dirs.log);
  const emit = (text: string, stream: 'stdout' | 'stderr' = 'stdout') => {
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    if (!lines.length) return;
    for (const l of lines) log.write({ stream, text: l });
    d.events.emit('run.log', {
      run: runId,
      lines: lines.map((t) => ({ stream, text: t })),
      dropped: 0,
    });
  };
  emit(
    `Building ${spec.image} from ${spec.build} (recipe ${spec.recipe.digest.slice(0, 12)}), its RUN steps on the network ${network.mode}`,
  );
  try {
    const stream = await docker
      .buildImage(
        { context: dirs.code, src: code.map((e) => e.path) },
        { t: spec.image, dockerfile: spec.build ?? 'Dockerfile', networkmode: network.mode },
      )
      .catch((err) => {
        throw engineError(err);
      });
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(
        stream,
        (err, res) => {
          const failed = (res as { error?: string }[] | undefined)?.find((r) => r.error);
          if (err || failed) {
            reject(
              invalidInput(`Building ${spec.recipe.name}'s image failed: ${err?.message ?? failed?.error}`),
            );
          } else resolve();
        },
        (event: { stream?: string; error?: string }) => {
          if (event.stream) emit(event.stream);
          if (event.error) emit(event.error, 'stderr');
        },
      ),
    );
  } finally {
    await log.end();
  }
  return (await docker.getImage(spec.image).inspect()).Id;
}
