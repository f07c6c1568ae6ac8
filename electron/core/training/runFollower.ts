/**
 * Follows one running container for its run: logs to disk and to the UI (batched, bounded),
 * metrics from metrics.jsonl (read from the last offset, so a restart resumes) and from the
 * recipe's regexes, peak memory, and — when the container exits — the final state: FINISHED,
 * FAILED with the reason (failure file, OOM kill, exit code, last log lines) or KILLED.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import type { RunSpec } from '../../../shared/training.ts';
import type { EventBus } from '../events.ts';
import type { Db } from '../store/database.ts';
import type { TrackingRepo } from '../tracking/trackingRepo.ts';
import { followLogs, type LogLine, type ResumePoint, runDirs, samplePeakMemory } from './containerRun.ts';
import { type ParsedPoint, parseMetricLines, RegexMetrics } from './metricParsers.ts';
import { CANCELLED_BY_USER, endRunning } from './runStates.ts';

const FLUSH_MS = 150;
/** Lines per flush sent live; the rest of a flood is on disk and counted as dropped. */
const LIVE_LINES_PER_FLUSH = 500;
const TAIL_FOR_REASON = 5;

export interface FollowerDeps {
  db: Db;
  tracking: TrackingRepo;
  events: EventBus;
  home: string;
}

export class RunFollower {
  readonly done: Promise<void>;
  readonly started: Promise<void>;
  private resolveDone!: () => void;
  private resolveStarted!: () => void;
  private cancelled = false;
  private readonly detaching = new AbortController();
  private pendingLines: LogLine[] = [];
  private droppedLines = 0;
  private pendingPoints: ParsedPoint[] = [];
  private skipped = 0;
  private tail: string[] = [];
  private metricsRest = '';
  /** Keys metrics.jsonl has given: for those the file is the source, and regex matches are dropped. */
  private fileKeys = new Set<string>();
  private regexKeys = new Set<string>();

  constructor(
    private readonly d: FollowerDeps,
    private readonly runId: string,
    private readonly container: Docker.Container,
  ) {
    this.done = new Promise((r) => {
      this.resolveDone = r;
    });
    this.started = new Promise((r) => {
      this.resolveStarted = r;
    });
  }

  markCancelled(): void {
    this.cancelled = true;
  }

  /** Stop following without finalizing (the process is closing; the run goes on in the engine). */
  detach(): void {
    this.detaching.abort();
  }

  /**
   * Follows until the container exits, then finalizes. With `resume`, this follower takes over
   * from one that has gone, and reads on from where it stopped.
   */
  async run(resume?: ResumePoint): Promise<void> {
    const resumed = resume !== undefined;
    const row = this.d.tracking.runRow(this.runId);
    const spec = JSON.parse(row.spec!) as RunSpec;
    const dirs = runDirs(this.d.home, this.runId);
    const steps = resumed ? this.regexSteps(spec) : {};
    if (resumed) this.learnFileKeys(dirs.output);
    const regex = new RegexMetrics(spec.metrics, steps);
    const stopMemory = samplePeakMemory(this.container);
    const flusher = setInterval(() => this.flush(dirs.output), FLUSH_MS);
    try {
      await this.container.inspect();
      this.resolveStarted();
      // A resumed follower only wants what it has not seen: lines after the last one on disk.
      // Following an exited container returns its whole output and ends: a command that finished
      // before we attached still has its log read.
      await followLogs(
        this.container,
        dirs.log,
        (line) => {
          this.pendingLines.push(line);
          this.tail.push(line.text);
          if (this.tail.length > TAIL_FOR_REASON) this.tail.shift();
          for (const p of regex.match(line.text)) {
            if (this.fileKeys.has(p.key)) continue;
            this.regexKeys.add(p.key);
            this.pendingPoints.push(p);
          }
        },
        { resume, signal: this.detaching.signal },
      );
      // What has been read is stored before letting go: metrics.jsonl's offset has moved past it.
      this.flush(dirs.output);
      if (this.detaching.signal.aborted) return;
      await this.container.wait().catch(() => {});
      this.flush(dirs.output);
      await this.finalize(dirs.output, stopMemory());
    } finally {
      clearInterval(flusher);
      stopMemory();
      this.resolveStarted();
      this.resolveDone();
    }
  }

  /** After a restart: which keys the already-read part of metrics.jsonl holds. */
  private learnFileKeys(outputDir: string): void {
    const offset = this.d.db
      .prepare('SELECT metrics_offset FROM runs WHERE id = ?')
      .pluck()
      .get(this.runId) as number;
    if (!offset) return;
    try {
      const fd = fs.openSync(path.join(outputDir, 'metrics.jsonl'), 'r');
      try {
        const buf = Buffer.alloc(Math.min(offset, 64 * 1024 * 1024));
        const n = fs.readSync(fd, buf, 0, buf.length, 0);
        for (const p of parseMetricLines(buf.subarray(0, n).toString('utf8')).points)
          this.fileKeys.add(p.key);
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      // no file: nothing to learn
    }
  }

  /** Where regex steps left off before a restart, so steps keep counting up. */
  private regexSteps(spec: RunSpec): Record<string, number> {
    const out: Record<string, number> = {};
    for (const m of spec.metrics) {
      const max = this.d.db
        .prepare('SELECT max(step) FROM run_metrics WHERE run_id = ? AND key = ?')
        .pluck()
        .get(this.runId, m.key) as number | null;
      if (max !== null) out[m.key] = max + 1;
    }
    return out;
  }

  private flush(outputDir: string): void {
    this.readMetricsFile(outputDir);
    if (this.pendingPoints.length) {
      this.d.tracking.logMetrics(this.runId, this.pendingPoints);
      this.pendingPoints = [];
      this.d.events.changed(`run:${this.runId}:metrics`);
    }
    if (this.pendingLines.length) {
      const live = this.pendingLines.slice(-LIVE_LINES_PER_FLUSH);
      const dropped = this.pendingLines.length - live.length;
      this.droppedLines += dropped;
      this.pendingLines = [];
      this.d.events.emit('run.log', { run: this.runId, lines: live, dropped });
    }
  }

  /** Reads metrics.jsonl from the stored offset; complete lines only. */
  private readMetricsFile(outputDir: string): void {
    const file = path.join(outputDir, 'metrics.jsonl');
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch {
      return;
    }
    try {
      const offset = this.d.db
        .prepare('SELECT metrics_offset FROM runs WHERE id = ?')
        .pluck()
        .get(this.runId) as number;
      const size = fs.fstatSync(fd).size;
      if (size <= offset) return;
      const buf = Buffer.alloc(Math.min(size - offset, 16 * 1024 * 1024));
      const n = fs.readSync(fd, buf, 0, buf.length, offset);
      const text = buf.subarray(0, n).toString('utf8');
      const { points, skipped, rest } = parseMetricLines(text);
      const consumed = n - Buffer.byteLength(rest, 'utf8');
      this.adoptFileKeys(points);
      this.pendingPoints.push(...points);
      this.skipped += skipped;
      this.d.db
        .prepare('UPDATE runs SET metrics_offset = ?, skipped_metrics = skipped_metrics + ? WHERE id = ?')
        .run(offset + consumed, skipped, this.runId);
      this.metricsRest = rest;
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * A recipe may print a metric (matched by its regex) and also write it to metrics.jsonl: the
   * file, with its explicit steps, wins, and what the regex stored for that key is replaced.
   */
  private adoptFileKeys(points: ParsedPoint[]): void {
    for (const p of points) {
      if (this.fileKeys.has(p.key)) continue;
      this.fileKeys.add(p.key);
      if (this.regexKeys.has(p.key)) {
        this.pendingPoints = this.pendingPoints.filter((q) => q.key !== p.key);
        this.d.tracking.deleteSeries(this.runId, p.key);
      }
    }
  }

  private async finalize(outputDir: string, peak: number | null): Promise<void> {
    const row = this.d.tracking.runRow(this.runId);
    if (row.status !== 'RUNNING') return;
    let state: { ExitCode?: number; OOMKilled?: boolean; Error?: string } = {};
    try {
      state = (await this.container.inspect()).State;
    } catch {
      // gone: decided below from what we have
    }
    // A last line without a newline still counts once the writer has exited.
    if (this.metricsRest.trim()) {
      const { points, skipped } = parseMetricLines(`${this.metricsRest}\n`);
      if (points.length) this.d.tracking.logMetrics(this.runId, points);
      this.d.db
        .prepare('UPDATE runs SET skipped_metrics = skipped_metrics + ? WHERE id = ?')
        .run(skipped, this.runId);
    }
    const exitCode = typeof state.ExitCode === 'number' ? state.ExitCode : null;
    const failureFile = path.join(outputDir, 'failure');
    const failure = fs.existsSync(failureFile)
      ? fs.readFileSync(failureFile, 'utf8').trim().slice(0, 4000)
      : '';
    let status: 'FINISHED' | 'FAILED' | 'KILLED' = 'FINISHED';
    let reason: string | null = null;
    if (this.cancelled || row.failure_reason === CANCELLED_BY_USER) {
      status = 'KILLED';
      reason = CANCELLED_BY_USER;
    } else if (state.OOMKilled) {
      status = 'FAILED';
      reason = `Out of memory: the container was killed at its memory limit. Give it more memory (resources.memory) or use less.${failure ? ` ${failure}` : ''}`;
    } else if (exitCode !== 0) {
      status = 'FAILED';
      const last = this.tail.length ? ` Last output: ${this.tail.join(' | ').slice(0, 1000)}` : '';
      reason = failure || `The command exited with code ${exitCode ?? 'unknown'}.${last}`;
    }
    endRunning(this.d.db, this.runId, { status, exitCode, reason, peakMemory: peak });
    await this.container.remove({ force: true }).catch(() => {});
    this.d.events.changed('runs', `run:${this.runId}`);
  }
}
