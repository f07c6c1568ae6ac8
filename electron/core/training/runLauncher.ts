/**
 * How a QUEUED run becomes a running container: its inputs materialized under `<home>/runs/<id>/`,
 * its image found or built, its container created with the contract of DESIGN.md §5 and started,
 * and the run marked RUNNING — unless it was cancelled (from any process) on the way, in which
 * case nothing is left running. The caller owns the run (trackingRepo.ts) and follows what it returns.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { entities } from '../../../shared/entities.ts';
import type { RunSpec } from '../../../shared/training.ts';
import type { DatasetService } from '../datasets/datasetService.ts';
import { exportVersion } from '../datasets/exporter.ts';
import type { EngineRegistry } from '../docker/engineRegistry.ts';
import { invalidInput, WorkbenchError } from '../errors.ts';
import type { EventBus } from '../events.ts';
import type { ObjectStore } from '../objects/objectStore.ts';
import type { Db } from '../store/database.ts';
import type { TrackingRepo } from '../tracking/trackingRepo.ts';
import { snapshotEntries } from './codeSnapshot.ts';
import {
  createContainer,
  engineError,
  noteInRunLog,
  type RunDirs,
  requireImage,
  runDirs,
  shareRunDirs,
} from './containerRun.ts';
import { buildRecipeImage } from './recipeImage.ts';

export interface LaunchDeps {
  home: string;
  db: Db;
  tracking: TrackingRepo;
  objects: ObjectStore;
  datasets: DatasetService;
  engines: EngineRegistry;
  events: EventBus;
}

/** The MLflow-compatible endpoint run containers are given, as the host process serves it. */
export interface TrackingEndpoint {
  /**
   * Serves the same API at `uri` as well: where a run launched by a process that has gone was
   * told to log. False when it cannot (not this machine's address on the run network, or the
   * port is taken).
   */
  serveAlso(uri: string): Promise<boolean>;
  /**
   * The Docker network a run on the engine at `host` joins to reach the endpoint (made again if it
   * has gone), and what it gets as MLFLOW_TRACKING_URI there; or why it cannot have them. With
   * `exposed` when the host firewall rules that keep runs to the endpoint are not in place.
   */
  attach(host: string): Promise<Attachment>;
}

/**
 * A run's way to the endpoint: the network it joins and the URI it posts to, or why there is none.
 * `exposed`: that this machine's other services are reachable from the run, and why (the run's log
 * says it first).
 */
export type Attachment =
  | { network: string; uri: string; exposed?: string; problem?: undefined }
  | { problem: string };

/** Where this process's containers log through MLflow, or why they cannot. */
export type TrackingChannel = { endpoint: TrackingEndpoint } | { endpoint?: undefined; missing: string };

export const NO_LISTENER =
  'this workbench process serves no MLflow endpoint for containers (the app, mlwb ui, mlwb run and mlwb runs do)';
export const METRICS_INSTEAD =
  'Write metrics to /workbench/output/metrics.jsonl (one {"key", "value", "step"} object per line), or print them for the recipe\'s metrics: regexes, instead.';

/** Launches the run; its container when it is now RUNNING, else undefined (it was cancelled). */
export async function launchRun(
  d: LaunchDeps,
  runId: string,
  tracking: TrackingChannel,
): Promise<Docker.Container | undefined> {
  const row = d.tracking.runRow(runId);
  if (row.status !== 'QUEUED') return undefined;
  const spec = JSON.parse(row.spec!) as RunSpec;
  const target = d.engines.target(spec.engineName);
  if (target.problem) throw new WorkbenchError('ENGINE_UNAVAILABLE', target.problem);
  const docker = target.docker;
  // A process that died between starting the container and recording RUNNING left it behind:
  // remove it before launching again, so two containers never write one run's outputs.
  if (row.container_id) {
    await docker
      .getContainer(row.container_id)
      .remove({ force: true })
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 404) throw engineError(err);
      });
    noteInRunLog(
      d,
      runId,
      'An earlier launch of this run was interrupted; its container was removed and the run starts again.',
    );
  }
  let version: string | undefined;
  try {
    version = (await docker.version()).Version;
  } catch (err) {
    throw engineError(err);
  }
  const dirs = runDirs(d.home, runId);
  await materialize(d, spec, dirs);
  // Only containers on this machine's engine can reach the listener on its run network.
  const local = target.host.startsWith('unix://');
  const endpoint = local ? tracking.endpoint : undefined;
  const attached: Attachment = endpoint
    ? await endpoint.attach(target.host)
    : {
        problem: !local
          ? `its engine (${target.host}) is not this machine's local Docker socket, and the workbench's MLflow endpoint listens only on this machine's Docker network for runs, which containers elsewhere cannot reach`
          : 'missing' in tracking
            ? tracking.missing
            : NO_LISTENER,
      };
  if (attached.problem === undefined && attached.exposed) noteInRunLog(d, runId, attached.exposed);
  // Without the endpoint a run gets no network at all, never Docker's default bridge.
  if (attached.problem !== undefined)
    noteInRunLog(
      d,
      runId,
      `MLflow tracking is not available to this run: ${attached.problem}. ${METRICS_INSTEAD}`,
    );
  const imageId = spec.build
    ? await buildRecipeImage(d, docker, spec, runId, dirs, local)
    : await requireImage(docker, spec.image);
  // Cancelled while its image was being built or its inputs prepared: start nothing.
  if (d.tracking.runRow(runId).status !== 'QUEUED') return undefined;
  const env: Record<string, string> = {
    MLWB_RUN_ID: runId,
    MLWB_SEED: String(spec.seed),
    MLFLOW_RUN_ID: runId,
    MLFLOW_EXPERIMENT_ID: row.experiment_id,
    ...Object.fromEntries(Object.entries(spec.params).map(([k, v]) => [`MLWB_PARAM_${k}`, String(v)])),
  };
  if (attached.problem === undefined) {
    env.MLFLOW_TRACKING_URI = attached.uri;
    env.MLFLOW_TRACKING_TOKEN = d.tracking.runToken(runId) ?? '';
  }
  const container = await createContainer(docker, {
    runId,
    recipeDigest: spec.recipe.digest,
    image: spec.image,
    command: spec.command,
    env,
    resources: spec.resources,
    dirs,
    network: attached.problem === undefined ? attached.network : 'none',
  });
  d.tracking.updateRun(runId, {
    container_id: container.id,
    engine: target.host,
    engine_version: version ?? null,
    image_digest: imageId,
  });
  try {
    await container.start();
  } catch (err) {
    await container.remove({ force: true }).catch(() => {});
    throw engineError(err);
  }
  if (!d.tracking.lifecycle.markRunning(runId)) {
    // Cancelled (from any process) while its container was starting.
    await container.remove({ force: true }).catch(() => {});
    return undefined;
  }
  d.events.changed(entities.runs, entities.run(runId));
  return container;
}

async function materialize(d: LaunchDeps, spec: RunSpec, dirs: RunDirs): Promise<void> {
  for (const dir of [
    dirs.root,
    dirs.data,
    dirs.config,
    path.join(dirs.output, 'model'),
    path.join(dirs.output, 'artifacts'),
  ]) {
    fs.mkdirSync(dir, { recursive: true });
  }
  const code = snapshotEntries(d.db, spec.recipe.digest);
  if (!code)
    throw invalidInput(`The recipe snapshot ${spec.recipe.digest.slice(0, 12)} is missing from the store.`);
  if (!fs.existsSync(dirs.code)) await exportVersion(d.objects, code, dirs.code, undefined, { links: true });
  for (const ds of spec.datasets) {
    const target = path.join(dirs.data, ds.channel);
    if (fs.existsSync(target)) continue;
    const v = d.datasets.show(ds.dataset, ds.version);
    await exportVersion(d.objects, v.entries, target, undefined, { links: true });
  }
  fs.writeFileSync(path.join(dirs.config, 'params.json'), `${JSON.stringify(spec.params, null, 2)}\n`);
  await shareRunDirs(dirs);
}
