/**
 * Runs as the app sees them: start (one run or a sweep) → QUEUED → RUNNING → FINISHED | FAILED |
 * KILLED | LOST. A scheduler starts queued runs up to the parallel limit; each running run has one
 * follower that streams its logs, reads its metrics and finalizes it when the container exits.
 *
 * Several processes may share a home (the app, `mlwb ui`, CLIs, detached runs' supervisors). Each
 * run is answered for by one of them, its owner in the store (see trackingRepo.ts): a process
 * launches and follows only runs it owns, takes a run over only when its owner has exited, and on
 * closing lets its runs go on without it (containers keep running) for the next process to take
 * over. `resume()` (long-lived hosts) takes over what nobody answers for; `waitFor(…, {adopt})`
 * takes over the runs it waits for.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type Docker from 'dockerode';
import { entities } from '../../../shared/entities.ts';
import type { RunStatus } from '../../../shared/tracking.ts';
import type { RunDetail, RunSpec, StartRuns } from '../../../shared/training.ts';
import { StartRuns as StartRunsSchema } from '../../../shared/training.ts';
import type { DatasetService } from '../datasets/datasetService.ts';
import { type EngineTarget, engineStatus } from '../docker/engine.ts';
import type { EngineRegistry } from '../docker/engineRegistry.ts';
import { cancelled, conflict, invalidInput, WorkbenchError } from '../errors.ts';
import type { EventBus } from '../events.ts';
import type { ObjectStore } from '../objects/objectStore.ts';
import type { StoreWorkers } from '../objects/storeWorkers.ts';
import { identityOf, isThisProcess, thisProcess } from '../processIdentity.ts';
import type { Db } from '../store/database.ts';
import { CANCELLED_BY_USER, ownerAlive } from '../tracking/runLifecycle.ts';
import type { TrackingRepo } from '../tracking/trackingRepo.ts';
import { snapshotFolder } from './codeSnapshot.ts';
import { engineError, noteInRunLog, runDirs } from './containerRun.ts';
import { loadRecipe, resolveParams } from './recipeLoader.ts';
import { RunFollower } from './runFollower.ts';
import {
  launchRun,
  METRICS_INSTEAD,
  NO_LISTENER,
  type TrackingChannel,
  type TrackingEndpoint,
} from './runLauncher.ts';
import { type LogLine, type ResumePoint, readLogFrom, resumePointOf, tailLog } from './runLogs.ts';
import { openArtifact, runDetail, saveArtifact } from './runRecord.ts';
import { expandSweep } from './sweep.ts';

export type { TrackingEndpoint } from './runLauncher.ts';

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
/** How long `cancel` waits, after the stop, for the run's follower to end it. */
const CANCEL_SETTLE_MS = 15_000;
const WAIT_POLL_MS = 500;
/** How often a long-lived host looks for runs whose owner has exited. */
const ORPHAN_SWEEP_MS = 10_000;
/** How many of a log's last lines a follower taking over compares with what it reads again. */
const RESUME_TAIL_LINES = 500;
const isOpen = (status: RunStatus) => status === 'QUEUED' || status === 'RUNNING';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves when any of `events` settles, or after `ms`; leaves no timer behind to hold a CLI open. */
function firstOf(events: Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((r) => {
    timer = setTimeout(r, Math.max(0, ms));
  });
  const done = () => clearTimeout(timer);
  return Promise.race([...events, timeout]).then(done, done);
}

/**
 * Which RunService of this process answers for a run. Owners are processes; this tells apart two
 * workbenches one process has open on the same home (tests do).
 */
const answeredHere = new Map<string, RunService>();

export class RunService {
  private parallel = 1;
  private closed = false;
  private channel: TrackingChannel = { missing: NO_LISTENER };
  private followers = new Map<string, RunFollower>();
  private starting = new Set<string>();
  private resuming = new Set<string>();
  /** Launches and take-overs in flight: closing waits for them, then lets their runs go. */
  private pending = new Set<Promise<void>>();
  /** Runs this instance owns in the store: it launches them when QUEUED and follows them when RUNNING. */
  private owned = new Set<string>();
  /** Runs created here for another process to launch (`start` with detach); never launched here. */
  private held = new Set<string>();
  private orphanSweep: NodeJS.Timeout | undefined;
  /** This process, as the store names run owners: pid and start (processIdentity.ts). */
  private readonly me = thisProcess();

  constructor(private readonly d: RunServiceDeps) {}

  /**
   * Where containers reach the MLflow-compatible API (set by the host that serves it), or, when
   * the host could not serve it, why not: run logs say so at the start.
   */
  setTrackingEndpoint(endpoint: TrackingEndpoint | undefined, unavailable = NO_LISTENER): void {
    this.channel = endpoint ? { endpoint } : { missing: unavailable };
  }

  /**
   * Creates the runs (one per sweep combination) as QUEUED, owned by this process, and schedules
   * them; returns their ids. With `detach` they are held for another process instead (handOver):
   * nothing is launched here.
   */
  async start(input: StartRuns): Promise<string[]> {
    const req = StartRunsSchema.parse(input);
    const { dir, recipe } = await loadRecipe(req.recipe);
    const target = this.d.engines.target(req.engine);
    // What can be checked here first: a mistyped param should not wait for Docker to be started.
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
    await this.requireEngine(target);
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
      return this.createQueued(experimentId, spec, { name, detach: req.detach });
    });
    if (!req.detach) {
      this.parallel = Math.max(1, req.parallel);
      this.schedule();
    }
    return ids;
  }

  /** Fails fast, with the way forward, when no engine answers; never hangs. */
  private async requireEngine(target: EngineTarget): Promise<void> {
    const status = await engineStatus(target);
    if (!status.reachable)
      throw new WorkbenchError('ENGINE_UNAVAILABLE', status.error ?? 'No Docker engine answers.');
  }

  /** The same run again: the same recipe snapshot, params, seed, datasets and resources. */
  rerun(
    runId: string,
    changes: { params?: Record<string, string | number | boolean>; detach?: boolean } = {},
  ): string {
    const row = this.d.tracking.runRow(runId);
    if (!row.spec)
      throw invalidInput(
        'This run was logged from a script, not started from a recipe, so it cannot be re-run.',
      );
    const spec = JSON.parse(row.spec) as RunSpec;
    const next = { ...spec, params: { ...spec.params, ...changes.params } };
    const id = this.createQueued(row.experiment_id, next, { rerunOf: runId, detach: changes.detach });
    if (!changes.detach) this.schedule();
    return id;
  }

  /** Queued, owned by this process (or held for another one), with its inputs and API token. */
  private createQueued(
    experimentId: string,
    spec: RunSpec,
    opts: { name?: string; rerunOf?: string; detach?: boolean },
  ): string {
    const tags: Record<string, string> = { 'mlwb.recipe': spec.recipe.name, 'mlflow.source.type': 'JOB' };
    if (opts.rerunOf) tags['mlwb.rerun_of'] = opts.rerunOf;
    const id = this.d.tracking.createRun({
      experimentId,
      name: opts.name,
      status: 'QUEUED',
      spec,
      tags,
      params: Object.fromEntries(Object.entries(spec.params).map(([k, v]) => [k, String(v)])),
      recipe: { inputs: spec.datasets, apiToken: randomBytes(24).toString('base64url'), owner: this.me },
    });
    if (opts.detach) this.held.add(id);
    else this.owned.add(id);
    answeredHere.set(id, this);
    return id;
  }

  /**
   * Gives runs this process holds (started with detach) to the process `pid`, which launches
   * them; returns the ids that moved.
   */
  handOver(runIds: string[], pid: number): string[] {
    if (pid === this.me.pid) throw invalidInput('Runs are handed over to another process, not to this one.');
    const moved = this.d.tracking.lifecycle.handOverRuns(
      runIds.filter((id) => this.held.has(id)),
      this.me,
      identityOf(pid),
    );
    for (const id of moved) this.forget(id);
    return moved;
  }

  private experimentId(name: string): string {
    return this.d.tracking.experimentByName(name)?.id ?? this.d.tracking.createExperiment(name);
  }

  /**
   * Takes an open run on if nobody else answers for it: no owner, an owner that has exited, or
   * this instance. False when a live process (or another workbench in this one) has it.
   */
  private claim(runId: string): boolean {
    if (this.closed) return false;
    if (this.owned.has(runId)) return true;
    const open = this.d.tracking.lifecycle.openRunOwner(runId);
    if (!open) return false;
    const { owner } = open;
    const here = answeredHere.get(runId);
    const mine = owner !== null && isThisProcess(owner);
    const taken = mine ? here !== undefined && here !== this : ownerAlive(owner);
    if (taken || !this.d.tracking.lifecycle.claimRun(runId, owner, this.me)) return false;
    this.held.delete(runId);
    this.owned.add(runId);
    answeredHere.set(runId, this);
    return true;
  }

  /** This instance no longer answers for the run (it ended, or went to another process). */
  private forget(runId: string): void {
    this.owned.delete(runId);
    this.held.delete(runId);
    if (answeredHere.get(runId) === this) answeredHere.delete(runId);
  }

  /** Lets an open run go for another process to take over at once. */
  private letGo(runId: string): void {
    this.d.tracking.lifecycle.releaseRuns([runId], this.me);
    this.forget(runId);
  }

  /** Starts queued runs this instance owns, oldest first, while fewer than `parallel` run here. */
  private schedule(): void {
    if (this.closed) return;
    let free = this.parallel - this.followers.size - this.starting.size;
    for (const id of this.d.tracking.lifecycle.queuedOwnedBy(this.me)) {
      if (free <= 0) return;
      if (!this.owned.has(id) || this.starting.has(id) || this.followers.has(id)) continue;
      free--;
      this.starting.add(id);
      const launching: Promise<void> = launchRun(this.d, id, this.channel)
        .then((container) => {
          if (container) this.follow(id, container);
        })
        .catch((err) => this.failBeforeStart(id, err))
        .finally(() => {
          this.starting.delete(id);
          this.pending.delete(launching);
          if (!this.followers.has(id) && !this.closed) this.forget(id);
          this.schedule();
        });
      this.pending.add(launching);
    }
  }

  private failBeforeStart(runId: string, err: unknown): void {
    if (this.closed) return;
    if (this.d.tracking.lifecycle.endQueued(runId, 'FAILED', (err as Error).message))
      this.d.events.changed(entities.runs, entities.run(runId));
  }

  private follow(runId: string, container: Docker.Container, resume?: ResumePoint): void {
    const follower = new RunFollower(
      { tracking: this.d.tracking, events: this.d.events, home: this.d.home },
      runId,
      container,
    );
    this.followers.set(runId, follower);
    follower
      .run(resume)
      .catch(() => {})
      .finally(() => {
        this.followers.delete(runId);
        // Ended, or (when it could not be followed) left for another process to try.
        if (!this.closed) this.letGo(runId);
        this.schedule();
      });
  }

  /**
   * Resolves when all the runs have ended. With `adopt`, runs among them that nobody answers for
   * any more (their process exited) are launched or followed here meanwhile — this is how a
   * detached runs' supervisor runs what it was handed, and how `mlwb runs wait` finishes what a
   * dead supervisor left. `parallel` bounds what this process runs at once.
   */
  async waitFor(
    runIds: string | string[],
    opts: {
      adopt?: boolean;
      parallel?: number;
      signal?: AbortSignal;
      progress?: (p: { phase: string; done: number; total: number }) => void;
    } = {},
  ): Promise<void> {
    const ids = typeof runIds === 'string' ? [runIds] : runIds;
    for (const id of ids) this.d.tracking.runRow(id);
    if (opts.parallel) this.parallel = Math.max(1, opts.parallel);
    const aborted = new Promise<void>((r) => opts.signal?.addEventListener('abort', () => r()));
    for (;;) {
      if (opts.signal?.aborted)
        throw cancelled('Stopped waiting. The runs go on without this process, and can be waited for again.');
      const open = ids.filter((id) => isOpen(this.d.tracking.runRow(id).status));
      opts.progress?.({ phase: 'waiting', done: ids.length - open.length, total: ids.length });
      if (!open.length) return;
      if (opts.adopt) await this.adopt(open);
      const followed = open.flatMap((id) => this.followers.get(id)?.done ?? []);
      await firstOf([...followed, aborted], WAIT_POLL_MS);
    }
  }

  /** Takes on those of these open runs nobody answers for: follows the running, queues the rest. */
  private async adopt(runIds: string[]): Promise<void> {
    let queued = false;
    for (const id of runIds) {
      if (this.followers.has(id) || this.starting.has(id) || this.resuming.has(id)) continue;
      if (!this.claim(id)) continue;
      if (this.d.tracking.runRow(id).status === 'RUNNING')
        await this.resumeOne(id).catch(() => this.letGo(id));
      else queued = true;
    }
    if (queued) this.schedule();
  }

  async cancel(runId: string): Promise<{ status: string; cancelled: boolean }> {
    const row = this.d.tracking.runRow(runId);
    if (row.status === 'QUEUED') {
      if (this.d.tracking.lifecycle.endQueued(runId, 'KILLED', 'Cancelled before it started.')) {
        this.d.events.changed(entities.runs, entities.run(runId));
        return { status: 'KILLED', cancelled: true };
      }
      return this.cancel(runId); // its container started meanwhile (or it ended)
    }
    if (row.status === 'RUNNING' && !row.spec) {
      // A script logging through MLflow: there is no container to stop; the run is ended here.
      if (this.d.tracking.lifecycle.endRunning(runId, { status: 'KILLED', reason: CANCELLED_BY_USER })) {
        this.d.events.changed(entities.runs, entities.run(runId));
        return { status: 'KILLED', cancelled: true };
      }
    }
    if (row.status !== 'RUNNING' || !this.d.tracking.lifecycle.requestCancel(runId)) {
      const now = this.d.tracking.runRow(runId).status;
      throw conflict(`Run ${runId} has already ended (${now}); there is nothing to cancel.`);
    }
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
    return { status: await this.settleCancelled(runId), cancelled: true };
  }

  /**
   * After the stop, the run's follower ends it KILLED (it reads the cancel from the store): the
   * follower here, or the live process that follows it. Only when nobody follows it does this
   * process take it over to end it. Resolves with the status then.
   */
  private async settleCancelled(runId: string): Promise<RunStatus> {
    const deadline = Date.now() + CANCEL_SETTLE_MS;
    for (;;) {
      const status = this.d.tracking.runRow(runId).status;
      if (status !== 'RUNNING' || Date.now() > deadline) return status;
      const here = this.followers.get(runId);
      if (here) await firstOf([here.done], deadline - Date.now());
      else if (!this.resuming.has(runId) && this.claim(runId))
        await this.resumeOne(runId, true).catch(() => this.letGo(runId));
      else await sleep(200);
    }
  }

  /**
   * Takes over runs nobody answers for (their process exited): RUNNING ones are reconciled with
   * the engine (still running → followed here; exited → finalized; gone → LOST), QUEUED ones are
   * scheduled here. A long-lived host calls this once and it keeps looking every few seconds, so
   * runs whose supervisor died are picked up. `onlyFinished` (a short-lived CLI) only settles
   * runs whose container has already ended and takes nothing else.
   */
  async resume(opts: { onlyFinished?: boolean } = {}): Promise<void> {
    const onlyFinished = opts.onlyFinished ?? false;
    await this.adoptOrphans(onlyFinished);
    if (!onlyFinished && !this.orphanSweep && !this.closed) {
      this.orphanSweep = setInterval(() => void this.adoptOrphans(false).catch(() => {}), ORPHAN_SWEEP_MS);
      this.orphanSweep.unref();
    }
  }

  private async adoptOrphans(onlyFinished: boolean): Promise<void> {
    for (const r of this.d.tracking.lifecycle.orphanedRuns('RUNNING')) {
      if (this.followers.has(r.id) || this.resuming.has(r.id)) continue;
      if (!this.claim(r.id)) continue;
      await this.resumeOne(r.id, onlyFinished).catch(() => this.letGo(r.id));
    }
    if (onlyFinished) return;
    let queued = false;
    for (const r of this.d.tracking.lifecycle.orphanedRuns('QUEUED')) queued = this.claim(r.id) || queued;
    if (queued) this.schedule();
  }

  /** Reconciles a RUNNING run this instance has just claimed with its container. */
  private resumeOne(runId: string, onlyFinished = false): Promise<void> {
    this.resuming.add(runId);
    const resuming = this.reconcile(runId, onlyFinished);
    const settled: Promise<void> = resuming
      .catch(() => {})
      .finally(() => {
        this.resuming.delete(runId);
        this.pending.delete(settled);
      });
    this.pending.add(settled);
    return resuming;
  }

  private async reconcile(runId: string, onlyFinished: boolean): Promise<void> {
    const row = this.d.tracking.runRow(runId);
    if (!row.container_id) {
      this.markLost(runId, 'The workbench stopped before the container was created.');
      return;
    }
    const target = this.engineOf(row);
    // Its engine cannot be reached as configured: the run is left as it is until it can.
    if (target.problem) throw new WorkbenchError('ENGINE_UNAVAILABLE', target.problem);
    const container = target.docker.getContainer(row.container_id);
    let info: Docker.ContainerInspectInfo;
    try {
      info = await container.inspect();
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
    // A short-lived process (the CLI listing runs) only settles runs that have already ended.
    if (onlyFinished && info.State.Running) {
      this.letGo(runId);
      return;
    }
    // Read on from the last line the previous follower wrote (taken before any note of ours).
    const resume = resumePointOf(
      runDirs(this.d.home, runId).log,
      RESUME_TAIL_LINES,
      row.start_time ?? Date.now(),
    );
    if (info.State.Running) await this.serveEndpointOf(runId, info);
    this.follow(runId, container, resume);
    await (onlyFinished ? this.followers.get(runId)?.done : this.followers.get(runId)?.started);
  }

  /**
   * A run whose launching process has gone still posts to the endpoint it was given: serve it
   * again from here. When that cannot be done, its log says so.
   */
  private async serveEndpointOf(runId: string, info: Docker.ContainerInspectInfo): Promise<void> {
    const uri = info.Config?.Env?.find((e) => e.startsWith('MLFLOW_TRACKING_URI='))?.split('=', 2)[1];
    if (!uri) return;
    const { endpoint } = this.channel;
    const served = endpoint ? await endpoint.serveAlso(uri).catch(() => false) : false;
    if (served) return;
    const why =
      'missing' in this.channel
        ? `${uri} is no longer served, and ${this.channel.missing}`
        : `${uri} is no longer served, and this process could not listen there again (the address is taken, or is not this machine's bridge)`;
    noteInRunLog(
      this.d,
      runId,
      `MLflow tracking is no longer available to this run: ${why}. ${METRICS_INSTEAD}`,
    );
  }

  private engineOf(row: { spec: string | null }): EngineTarget {
    const spec = row.spec ? (JSON.parse(row.spec) as RunSpec) : undefined;
    return this.d.engines.target(spec?.engineName);
  }

  private markLost(runId: string, reason: string): void {
    if (this.d.tracking.lifecycle.endRunning(runId, { status: 'LOST', reason }))
      this.d.events.changed(entities.runs, entities.run(runId));
    this.forget(runId);
  }

  /** The runs this process follows now (RUNNING ones), each with its container. */
  followedHere(): { runId: string; container: Docker.Container }[] {
    return [...this.followers].map(([runId, f]) => ({ runId, container: f.container }));
  }

  /** The workbench's own word in a run's log (and live view). */
  note(runId: string, text: string): void {
    noteInRunLog(this.d, runId, text);
  }

  /** What the run recorded and left behind (see runRecord.ts). */
  detail(runId: string): RunDetail {
    return runDetail(this.d, runId);
  }

  /** An artifact open for reading (regular, single-link files only; see containerFiles.ts). */
  openArtifact(runId: string, rel: string): ReturnType<typeof openArtifact> {
    return openArtifact(this.d, runId, rel);
  }

  saveArtifact(runId: string, rel: string, destDir: string): Promise<string> {
    return saveArtifact(this.d, runId, rel, destDir);
  }

  /** The run's log as kept on disk: the last `tail` lines, each with its stream. */
  logs(runId: string, tail = 1000): LogLine[] {
    this.d.tracking.runRow(runId);
    return tailLog(runDirs(this.d.home, runId).log, tail);
  }

  /** Complete log lines from byte `from` on (at most `maxBytes` of them), and where to read next. */
  readLog(runId: string, from = 0, maxBytes?: number): { lines: LogLine[]; next: number } {
    this.d.tracking.runRow(runId);
    return readLogFrom(runDirs(this.d.home, runId).log, from, maxBytes);
  }

  /**
   * The runs go on without this process: runs being launched right now finish launching, every
   * follower lets go (its container keeps running), and the runs are released so that the next
   * process to open the home takes them over at once.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.orphanSweep);
    await Promise.allSettled([...this.pending]);
    for (const f of this.followers.values()) f.detach();
    await Promise.allSettled([...this.followers.values()].map((f) => f.done));
    const mine = [...this.owned, ...this.held];
    this.d.tracking.lifecycle.releaseRuns(mine, this.me);
    for (const id of mine) this.forget(id);
  }
}
