/**
 * Composition root: `openWorkbench(home)` creates the home's layout, opens the store and wires the
 * services. Everything above (IPC, HTTP server, CLI) talks to what this returns through api.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { entities } from '../../shared/entities.ts';
import { DatasetService } from './datasets/datasetService.ts';
import { DeploymentService } from './deploy/deploymentService.ts';
import { type EngineTarget, engineFromEnv } from './docker/engine.ts';
import { EngineRegistry } from './docker/engineRegistry.ts';
import { DriftService } from './drift/driftService.ts';
import { ioError } from './errors.ts';
import { eventJournal } from './eventJournal.ts';
import { EventBus } from './events.ts';
import { MonitorService } from './monitoring/monitorService.ts';
import { registeredAmong } from './objects/blobIndex.ts';
import { ObjectStore } from './objects/objectStore.ts';
import { StoreWorkers } from './objects/storeWorkers.ts';
import { Operations } from './ops/operations.ts';
import { PolicyService } from './policies/policyService.ts';
import { ModelEvaluations } from './registry/evaluations.ts';
import { RegistryService } from './registry/registryService.ts';
import { type Db, openDatabase } from './store/database.ts';
import { Duck } from './tabular/duckdb.ts';
import { SavedFilters } from './tracking/savedFilters.ts';
import { TrackingRepo } from './tracking/trackingRepo.ts';
import { RunService } from './training/runService.ts';
import { uploadDir } from './uploads.ts';

export interface Workbench {
  home: string;
  dbPath: string;
  mode: 'electron' | 'browser' | 'cli';
  db: Db;
  objects: ObjectStore;
  events: EventBus;
  ops: Operations;
  duck: Duck;
  engine: EngineTarget;
  datasets: DatasetService;
  drift: DriftService;
  tracking: TrackingRepo;
  filters: SavedFilters;
  runs: RunService;
  engines: EngineRegistry;
  registry: RegistryService;
  evaluations: ModelEvaluations;
  deployments: DeploymentService;
  monitoring: MonitorService;
  policies: PolicyService;
  close(): Promise<void>;
}

export { resolveHome } from './home.cjs';

export async function openWorkbench(
  home: string,
  opts: { mode?: Workbench['mode']; env?: NodeJS.ProcessEnv } = {},
): Promise<Workbench> {
  try {
    for (const dir of ['', 'objects', 'runs', 'tmp']) fs.mkdirSync(path.join(home, dir), { recursive: true });
  } catch (err) {
    throw ioError(
      `Cannot create the workbench home ${home}: ${(err as Error).message}. Pick another with --home.`,
    );
  }
  const dbPath = path.join(home, 'workbench.db');
  const db = openDatabase(dbPath);
  const objects = new ObjectStore(home);
  await objects.init();
  const events = new EventBus();
  // The app checks monitors on their schedules and retrains when a policy's trigger holds; a CLI
  // command does either only when asked.
  const app = (opts.mode ?? 'cli') !== 'cli';
  // What this process announces is written for an open app to follow, with its runs' live lines
  // and metrics when it is not the app; the app follows the others.
  const journal = eventJournal(db, events, { streams: !app });
  const ops = new Operations(events);
  const duck = new Duck(path.join(home, 'tmp'));
  const workers = new StoreWorkers(home, { vouched: (digests) => registeredAmong(db, digests) });
  const datasets = new DatasetService(db, objects, workers, duck);
  // Deployments' traffic as drift input is read by monitoring, which is made further down.
  let monitoring: MonitorService | undefined;
  const drift = new DriftService(db, {
    datasets,
    objects,
    uploadDir: (upload) => uploadDir(home, upload),
    deployment: (spec, signal) => monitoring!.deploymentInput(spec, signal),
  });
  const tracking = new TrackingRepo(db);
  const engine = engineFromEnv(opts.env);
  const engines = new EngineRegistry(db, engine, opts.env ?? process.env);
  const runs = new RunService({ home, db, tracking, objects, workers, datasets, engines, events });
  const registry = new RegistryService({ home, db, objects, tracking, datasets, duck, events });
  const evaluations = new ModelEvaluations({ registry, datasets, objects, duck }, async (input, ctx) =>
    (await import('./evaluation/registryEngine.ts')).evaluateVersion(path.join(home, 'tmp'), input, ctx),
  );
  const deployments = new DeploymentService({ home, db, objects, registry, engines });
  // An alias moved by an MLflow client: deployments that follow it are replaced in the background,
  // as an operation the UI can follow.
  registry.onAliasMovedOutside = (name, alias) => {
    if (!deployments.repo.following(name, alias).length) return;
    const { done } = ops.start('deployments.followAlias', (ctx) => deployments.followAlias(name, alias, ctx));
    done.then(
      (followed) => {
        if (followed.length)
          events.changed(entities.deployments, ...followed.map((f) => entities.deployment(f.deployment)));
      },
      () => {},
    );
  };
  monitoring = new MonitorService({
    home,
    db,
    deployments,
    registry,
    datasets,
    engines,
    drift: () => drift,
    events,
  });
  const policies = new PolicyService({ db, deployments, registry, datasets, runs, monitoring, events });
  const stopMonitors = app ? monitoring.schedule(ops, events) : () => {};
  const stopPolicies = app ? policies.schedule(ops) : () => {};
  const stopFollowing = app ? journal.follow() : () => {};
  registry.deployedAs = (name, version) =>
    deployments.repo
      .list()
      .filter((d) => d.model === name && (version === undefined || d.version === version))
      .map((d) => d.name);
  return {
    home,
    dbPath,
    mode: opts.mode ?? 'cli',
    db,
    objects,
    events,
    ops,
    duck,
    engine,
    datasets,
    drift,
    tracking,
    filters: new SavedFilters(db),
    runs,
    engines,
    registry,
    evaluations,
    deployments,
    monitoring,
    policies,
    async close() {
      stopMonitors();
      stopPolicies();
      stopFollowing();
      await runs.close();
      ops.cancelAll();
      await ops.settle();
      await duck.close();
      await workers.close();
      journal.close();
      db.close();
    },
  };
}
