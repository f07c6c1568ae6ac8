/**
 * Runs as the app sees them: start (one run or a sweep) → QUEUED → RUNNING → FINISHED | FAILED |
 * KILLED | LOST. A scheduler starts queued runs up to the parallel limit; each running run has one
 * follower process that streams its logs, reads its metrics and finalizes it when the container
 * exits. Queued and running runs survive a restart: `resume()` picks them up again.
 */
import { randomBytes, randomInt } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import type { RunDetail, RunSpec, StartRuns } from '../../../shared/training.ts';
import { StartRuns as StartRunsSchema } from '../../../shared/training.ts';
import type { DatasetService } from '../datasets/datasetService.ts';
import { exportVersion } from '../datasets/exporter.ts';
import { type EngineTarget, engineStatus } from '../docker/engine.ts';
import type { EngineRegistry } from '../docker/engineRegistry.ts';
import { conflict, invalidInput, notFound, WorkbenchError } from '../errors.ts';
import type { EventBus } from '../events.ts';
import { now } from '../ids.ts';
import type { ObjectStore } from '../objects/objectStore.ts';
import type { StoreWorkers } from '../objects/storeWorkers.ts';
import { isProcessAlive } from '../objects/writeLease.ts';
import type { Db } from '../store/database.ts';
import type { TrackingRepo } from '../tracking/trackingRepo.ts';
import { snapshotEntries, snapshotFolder } from './codeSnapshot.ts';
import { createContainer, engineError, type RunDirs, requireImage, runDirs } from './containerRun.ts';
import { loadRecipe, resolveParams } from './recipeLoader.ts';
import { RunFollower } from './runFollower.ts';
import { expandSweep } from './sweep.ts';

export interface RunServiceDeps {
  home: string;
  db: Db;
  tracking: TrackingRepo;
  objects: ObjectStore;
  workers: StoreWorkers;
  datasets: DatasetService;
  engines: EngineRegistry;
  events: EventBus;
}

const CANCEL_GRACE_S = 10;
const LOG_BLOCK = 1024 * 1024;

type LogLine = { stream: 'stdout' | 'stderr'; text: string };

/** A log file line is `O text` (stdout) or `E text` (stderr); see followLogs. */
function parseLogLine(l: string): LogLine {
  return { stream: l.startsWith('E ') ? 'stderr' : 'stdout', text: l.slice(2) };
}

export class RunService {
  private parallel = 1;
  private closed = false;
  private trackingUri: string | undefined;
  private followers = new Map<string, RunFollower>();
  private starting = new Set<string>();
  private launching = new Set<Promise<void>>();

  constructor(private readonly d: RunServiceDeps) {}

  /** Where containers reach the MLflow-compatible API (set by the host that serves it). */
  setTrackingEndpoint(uri: string | undefined): void {
    this.trackingUri = uri;
  }

  /** Creates the runs (one per sweep combination) as QUEUED and schedules them; returns their ids. */
  async start(input: StartRuns): Promise<string[]> {
    const req = StartRunsSchema.parse(input);
    const { dir, recipe } = await loadRecipe(req.recipe);
    const target = this.d.engines.target(req.engine);
    await this.requireEngine(target);
    const combos = expandSweep(req.sweep, { randomSamples: req.randomSamples, seed: req.seed });
    const paramSets = combos.map((c) => resolveParams(recipe, { ...req.params, ...c }));
    const datasets = req.datasets.map((ds) => {
      const v = this.d.datasets.show(ds.dataset, ds.version);
      return { channel: ds.channel, dataset: ds.dataset, version: v.version, digest: v.digest };
    });
    const channels = new Set<string>();
    for (const ds of datasets) {
      if (channels.has(ds.channel))
        throw invalidInput(`Two datasets were given for channel "${ds.channel}".`);
      channels.add(ds.channel);
    }
    const snapshot = await snapshotFolder(this.d.db, this.d.workers, dir);
    const experimentId = req.experiment ? this.experimentId(req.experiment) : '0';
    const ids = paramSets.map((params, i) => {
      const spec: RunSpec = {
        recipe: { name: recipe.name, path: dir, digest: snapshot.digest },
        image:
          recipe.image ??
          `mlwb-recipe/${recipe.name.toLowerCase().replace(/[^a-z0-9_.-]/g, '-')}:${snapshot.digest.slice(0, 12)}`,
        build: recipe.build ?? null,
        command: recipe.command,
        params,
        seed: req.seed ?? randomInt(0, 2 ** 31 - 1),
        datasets,
        resources: { ...recipe.resources, ...req.resources },
        metrics: recipe.metrics,
        engine: target.host,
        ...(req.engine && req.engine !== 'default' ? { engineName: req.engine } : {}),
      };
      const name = req.name ? (paramSets.length > 1 ? `${req.name}-${i + 1}` : req.name) : undefined;
      return this.createQueued(experimentId, spec, name);
    });
    this.parallel = Math.max(1, req.parallel);
    this.d.events.changed('runs');
    this.schedule();
    return ids;
  }

  /** Fails fast, with the way forward, when no engine answers; never hangs. */
  private async requireEngine(target: EngineTarget): Promise<void> {
    const status = await engineStatus(target);
    if (!status.reachable)
      throw new WorkbenchError('ENGINE_UNAVAILABLE', status.error ?? 'No Docker engine answers.');
  }

  /** The same run again: the same recipe snapshot, params, seed, datasets and resources. */
  rerun(runId: string, changes: { params?: Record<string, string | number | boolean> } = {}): string {
    const row = this.d.tracking.runRow(runId);
    if (!row.spec)
      throw invalidInput(
        'This run was logged from a script, not started from a recipe, so it cannot be re-run.',
      );
    const spec = JSON.parse(row.spec) as RunSpec;
    const next = { ...spec, params: { ...spec.params, ...changes.params } };
    const id = this.createQueued(row.experiment_id, next, undefined, runId);
    this.d.events.changed('runs');
    this.schedule();
    return id;
  }

  private createQueued(experimentId: string, spec: RunSpec, name?: string, rerunOf?: string): string {
    const tags: Record<string, string> = { 'mlwb.recipe': spec.recipe.name, 'mlflow.source.type': 'JOB' };
    if (rerunOf) tags['mlwb.rerun_of'] = rerunOf;
    const id = this.d.tracking.createRun({
      experimentId,
      name,
      status: 'QUEUED',
      spec,
      tags,
      params: Object.fromEntries(Object.entries(spec.params).map(([k, v]) => [k, String(v)])),
    });
    const insert = this.d.db.prepare(
      'INSERT INTO run_inputs (run_id, channel, dataset, version, digest) VALUES (?, ?, ?, ?, ?)',
    );
    for (const ds of spec.datasets) insert.run(id, ds.channel, ds.dataset, ds.version, ds.digest);
    this.d.tracking.updateRun(id, { api_token: randomBytes(24).toString('base64url') } as never);
    return id;
  }

  private experimentId(name: string): string {
    return this.d.tracking.experimentByName(name)?.id ?? this.d.tracking.createExperiment(name);
  }

  /** Starts queued runs, oldest first, while fewer than `parallel` run here. */
  private schedule(): void {
    if (this.closed) return;
    const running = this.followers.size + this.starting.size;
    if (running >= this.parallel) return;
    const queued = this.d.db
      .prepare(`SELECT id FROM runs WHERE status = 'QUEUED' ORDER BY created_at, id LIMIT ?`)
      .pluck()
      .all(this.parallel - running) as string[];
    for (const id of queued) {
      if (this.starting.has(id) || this.followers.has(id)) continue;
      this.starting.add(id);
      const launching: Promise<void> = this.launch(id)
        .catch((err) => this.failBeforeStart(id, err))
        .finally(() => {
          this.starting.delete(id);
          this.launching.delete(launching);
          this.schedule();
        });
      this.launching.add(launching);
    }
  }

  private failBeforeStart(runId: string, err: unknown): void {
    if (this.closed) return;
    const e = err as Error;
    this.d.tracking.updateRun(runId, { status: 'FAILED', end_time: now(), failure_reason: e.message });
    this.d.events.changed('runs', `run:${runId}`);
  }

  private async launch(runId: string): Promise<void> {
    const row = this.d.tracking.runRow(runId);
    if (row.status !== 'QUEUED') return;
    const spec = JSON.parse(row.spec!) as RunSpec;
    const target = this.d.engines.target(spec.engineName);
    if (target.problem) throw new WorkbenchError('ENGINE_UNAVAILABLE', target.problem);
    const docker = target.docker;
    let version: string | undefined;
    try {
      version = (await docker.version()).Version;
    } catch (err) {
      throw engineError(err);
    }
    const dirs = runDirs(this.d.home, runId);
    await this.materialize(spec, dirs);
    const imageId = spec.build
      ? await this.buildImage(docker, spec, runId, dirs)
      : await requireImage(docker, spec.image);
    // Cancelled while its image was being built or its inputs prepared: start nothing.
    if (this.d.tracking.runRow(runId).status !== 'QUEUED') return;
    // Only containers on this machine's engine can reach the listener on its bridge.
    const endpoint =
      this.trackingUri && target.host.startsWith('unix://') ? { uri: this.trackingUri } : undefined;
    const env: Record<string, string> = {
      MLWB_RUN_ID: runId,
      MLWB_SEED: String(spec.seed),
      MLFLOW_RUN_ID: runId,
      MLFLOW_EXPERIMENT_ID: row.experiment_id,
      ...Object.fromEntries(Object.entries(spec.params).map(([k, v]) => [`MLWB_PARAM_${k}`, String(v)])),
    };
    if (endpoint) {
      env.MLFLOW_TRACKING_URI = endpoint.uri;
      env.MLFLOW_TRACKING_TOKEN =
        (this.d.db.prepare('SELECT api_token FROM runs WHERE id = ?').pluck().get(runId) as string) ?? '';
    }
    const container = await createContainer(docker, {
      runId,
      recipeDigest: spec.recipe.digest,
      image: spec.image,
      command: spec.command,
      env,
      resources: spec.resources,
      dirs,
      network: endpoint ? 'bridge' : 'none',
    });
    this.d.tracking.updateRun(runId, {
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
    this.d.tracking.updateRun(runId, { status: 'RUNNING', start_time: now() });
    this.d.events.changed('runs', `run:${runId}`);
    this.follow(runId, container);
  }

  private follow(runId: string, container: Docker.Container, resumed = false): void {
    this.d.db.prepare('UPDATE runs SET follower_pid = ? WHERE id = ?').run(process.pid, runId);
    const follower = new RunFollower(
      { db: this.d.db, tracking: this.d.tracking, events: this.d.events, home: this.d.home },
      runId,
      container,
    );
    this.followers.set(runId, follower);
    follower
      .run(resumed)
      .catch(() => {})
      .finally(() => {
        this.followers.delete(runId);
        this.schedule();
      });
  }

  /** Resolves when the run has ended (for the CLI's `mlwb run` without --detach). */
  async waitFor(runId: string): Promise<void> {
    for (;;) {
      const status = this.d.tracking.runRow(runId).status;
      if (status !== 'QUEUED' && status !== 'RUNNING') return;
      const f = this.followers.get(runId);
      if (f) await f.done;
      else await new Promise((r) => setTimeout(r, 200));
    }
  }

  async cancel(runId: string): Promise<{ status: string; cancelled: boolean }> {
    const row = this.d.tracking.runRow(runId);
    if (row.status === 'QUEUED') {
      this.d.tracking.updateRun(runId, {
        status: 'KILLED',
        end_time: now(),
        failure_reason: 'Cancelled before it started.',
      });
      this.d.events.changed('runs', `run:${runId}`);
      return { status: 'KILLED', cancelled: true };
    }
    if (row.status !== 'RUNNING') {
      throw conflict(`Run ${runId} has already ended (${row.status}); there is nothing to cancel.`);
    }
    this.d.db.prepare("UPDATE runs SET failure_reason = 'Cancelled by the user.' WHERE id = ?").run(runId);
    this.followers.get(runId)?.markCancelled();
    if (row.container_id) {
      try {
        // SIGTERM, then SIGKILL after the grace period: the container's own stop semantics.
        await this.engineOf(row).docker.getContainer(row.container_id).stop({ t: CANCEL_GRACE_S });
      } catch (err) {
        if (
          (err as { statusCode?: number }).statusCode !== 304 &&
          (err as { statusCode?: number }).statusCode !== 404
        ) {
          throw engineError(err);
        }
      }
    }
    if (!this.followers.has(runId)) {
      // Nobody here follows it (another process started it): finalize from the container.
      await this.resumeOne(runId);
    }
    return { status: 'KILLED', cancelled: true };
  }

  /**
   * After a restart: RUNNING runs whose follower died are reconciled with the engine (still
   * running → follow again; exited → finalize; gone → LOST), then queued runs are scheduled.
   */
  async resume(opts: { onlyFinished?: boolean } = {}): Promise<void> {
    const running = this.d.db.prepare("SELECT id, follower_pid FROM runs WHERE status = 'RUNNING'").all() as {
      id: string;
      follower_pid: number | null;
    }[];
    for (const r of running) {
      if (r.follower_pid && r.follower_pid !== process.pid && isProcessAlive(r.follower_pid)) continue;
      await this.resumeOne(r.id, opts.onlyFinished).catch(() => {});
    }
    if (!opts.onlyFinished) this.schedule();
  }

  private async resumeOne(runId: string, onlyFinished = false): Promise<void> {
    const row = this.d.tracking.runRow(runId);
    if (!row.container_id) {
      this.markLost(runId, 'The workbench stopped before the container was created.');
      return;
    }
    const target = this.engineOf(row);
    // Its engine cannot be reached as configured: the run is left as it is until it can.
    if (target.problem) throw new WorkbenchError('ENGINE_UNAVAILABLE', target.problem);
    const container = target.docker.getContainer(row.container_id);
    try {
      const info = await container.inspect();
      // A short-lived process (the CLI listing runs) only settles runs that have already ended.
      if (onlyFinished && info.State.Running) return;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) {
        this.markLost(
          runId,
          `Its container ${row.container_id.slice(0, 12)} is gone from the engine (removed, or the engine was reset).`,
        );
        return;
      }
      throw engineError(err);
    }
    this.follow(runId, container, true);
    await (onlyFinished ? this.followers.get(runId)?.done : this.followers.get(runId)?.started);
  }

  private engineOf(row: { spec: string | null }): EngineTarget {
    const spec = row.spec ? (JSON.parse(row.spec) as RunSpec) : undefined;
    return this.d.engines.target(spec?.engineName);
  }

  private markLost(runId: string, reason: string): void {
    this.d.tracking.updateRun(runId, { status: 'LOST', end_time: now(), failure_reason: reason });
    this.d.events.changed('runs', `run:${runId}`);
  }

  detail(runId: string): RunDetail {
    const row = this.d.tracking.runRow(runId);
    const inputs = this.d.db
      .prepare('SELECT channel, dataset, version, digest FROM run_inputs WHERE run_id = ? ORDER BY channel')
      .all(runId) as RunDetail['inputs'];
    const out = runDirs(this.d.home, runId).output;
    const artifacts = fs.existsSync(out)
      ? fs
          .readdirSync(out, { recursive: true, withFileTypes: true })
          .filter((e) => e.isFile())
          .map((e) => {
            const abs = path.join(e.parentPath, e.name);
            return { path: path.relative(out, abs).split(path.sep).join('/'), size: fs.statSync(abs).size };
          })
          .sort((a, b) => a.path.localeCompare(b.path))
      : [];
    return {
      id: row.id,
      spec: row.spec ? (JSON.parse(row.spec) as RunSpec) : null,
      engine: row.engine,
      engineVersion: row.engine_version,
      imageDigest: row.image_digest,
      containerId: row.container_id,
      exitCode: row.exit_code,
      failureReason: row.failure_reason,
      peakMemory: row.peak_memory,
      skippedMetrics: row.skipped_metrics,
      inputs,
      artifacts,
    };
  }

  /** The file of an artifact, checked to be inside the run's output folder. */
  artifactFile(runId: string, rel: string): string {
    this.d.tracking.runRow(runId);
    const out = runDirs(this.d.home, runId).output;
    const file = path.resolve(out, ...rel.split('/'));
    if (!file.startsWith(out + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      throw notFound(`Run ${runId} has no artifact ${rel}.`);
    }
    return file;
  }

  /** Copies an artifact into a folder on this machine; returns where it went. */
  saveArtifact(runId: string, rel: string, destDir: string): string {
    const src = this.artifactFile(runId, rel);
    fs.mkdirSync(destDir, { recursive: true });
    const dest = path.join(destDir, path.basename(src));
    if (fs.existsSync(dest))
      throw conflict(`${dest} already exists; pick another folder or move that file first.`);
    fs.copyFileSync(src, dest);
    return dest;
  }

  /** The run's log as kept on disk: the last `tail` lines, each with its stream. */
  logs(runId: string, tail = 1000): LogLine[] {
    this.d.tracking.runRow(runId);
    const file = runDirs(this.d.home, runId).log;
    if (!fs.existsSync(file)) return [];
    // Read backwards until `tail` lines are in hand: a 50 MB log is not read whole for its end.
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      let start = size;
      let text = '';
      while (start > 0 && text.split('\n').length <= tail + 1) {
        const n = Math.min(LOG_BLOCK, start);
        start -= n;
        const buf = Buffer.alloc(n);
        fs.readSync(fd, buf, 0, n, start);
        text = buf.toString('utf8') + text;
      }
      const lines = text.split('\n');
      if (lines.at(-1) === '') lines.pop();
      if (start > 0) lines.shift(); // the first line read may be cut
      return lines.slice(-tail).map(parseLogLine);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Complete log lines from byte `from` on (at most `maxBytes` of them), and where to read next. */
  readLog(runId: string, from = 0, maxBytes = 8 * LOG_BLOCK): { lines: LogLine[]; next: number } {
    this.d.tracking.runRow(runId);
    const file = runDirs(this.d.home, runId).log;
    if (!fs.existsSync(file)) return { lines: [], next: from };
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(Math.max(0, Math.min(maxBytes, fs.fstatSync(fd).size - from)));
      const n = fs.readSync(fd, buf, 0, buf.length, from);
      const end = buf.subarray(0, n).lastIndexOf(0x0a) + 1;
      if (end === 0) return { lines: [], next: from };
      const lines = buf
        .subarray(0, end - 1)
        .toString('utf8')
        .split('\n')
        .map(parseLogLine);
      return { lines, next: from + end };
    } finally {
      fs.closeSync(fd);
    }
  }

  private async materialize(spec: RunSpec, dirs: ReturnType<typeof runDirs>): Promise<void> {
    for (const d of [
      dirs.root,
      dirs.data,
      dirs.config,
      path.join(dirs.output, 'model'),
      path.join(dirs.output, 'artifacts'),
    ]) {
      fs.mkdirSync(d, { recursive: true });
    }
    const code = snapshotEntries(this.d.db, spec.recipe.digest);
    if (!code)
      throw invalidInput(`The recipe snapshot ${spec.recipe.digest.slice(0, 12)} is missing from the store.`);
    if (!fs.existsSync(dirs.code))
      await exportVersion(this.d.objects, code, dirs.code, undefined, { links: true });
    for (const ds of spec.datasets) {
      const target = path.join(dirs.data, ds.channel);
      if (fs.existsSync(target)) continue;
      const v = this.d.datasets.show(ds.dataset, ds.version);
      await exportVersion(this.d.objects, v.entries, target, undefined, { links: true });
    }
    fs.writeFileSync(path.join(dirs.config, 'params.json'), `${JSON.stringify(spec.params, null, 2)}\n`);
  }

  /**
   * Builds a `build:` recipe's image from the run's recipe snapshot (not the live folder), tagged
   * by the snapshot's digest, so an unchanged recipe is built once. The build output goes to the
   * run's log as it streams.
   */
  private async buildImage(docker: Docker, spec: RunSpec, runId: string, dirs: RunDirs): Promise<string> {
    try {
      return (await docker.getImage(spec.image).inspect()).Id;
    } catch {
      // not built yet for this recipe digest
    }
    const code = snapshotEntries(this.d.db, spec.recipe.digest)!;
    const log = fs.createWriteStream(dirs.log, { flags: 'a' });
    const emit = (text: string, stream: 'stdout' | 'stderr' = 'stdout') => {
      const lines = text.split('\n').filter((l) => l.trim() !== '');
      if (!lines.length) return;
      for (const l of lines) log.write(`${stream === 'stderr' ? 'E' : 'O'} ${l}\n`);
      this.d.events.emit('run.log', {
        run: runId,
        lines: lines.map((t) => ({ stream, text: t })),
        dropped: 0,
      });
    };
    emit(`Building ${spec.image} from ${spec.build} (recipe ${spec.recipe.digest.slice(0, 12)})`);
    try {
      const stream = await docker
        .buildImage(
          { context: dirs.code, src: code.map((e) => e.path) },
          { t: spec.image, dockerfile: spec.build ?? 'Dockerfile' },
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
      await new Promise<void>((r) => log.end(r));
    }
    return (await docker.getImage(spec.image).inspect()).Id;
  }

  async close(): Promise<void> {
    this.closed = true;
    // Runs being launched right now finish launching (their containers keep running) and are
    // picked up by the next session.
    await Promise.allSettled([...this.launching]);
    for (const f of this.followers.values()) f.detach();
    await Promise.allSettled([...this.followers.values()].map((f) => f.done));
  }
}
