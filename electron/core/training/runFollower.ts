/**
 * Follows one running container for its run: logs to disk and to the UI (batched, bounded),
 * metrics from metrics.jsonl (read from the last offset, so a restart resumes) and from the
 * recipe's regexes, peak memory, and — when the container exits — the final state: FINISHED,
 * FAILED with the reason (failure file, OOM kill, exit code, last log lines) or KILLED.
 *
 * Everything it reads from the output folder the container wrote, so it reads it through
 * containerFiles.ts (no links followed, nothing that can block, regular files only) and in bounded
 * slices: a 1 GiB failure file or metrics line costs a few megabytes, and what is refused is said
 * once in the run's log.
 */
import type Docker from 'dockerode';
import { entities } from '../../../shared/entities.ts';
import type { RunSpec } from '../../../shared/training.ts';
import { WorkbenchError } from '../errors.ts';
import type { EventBus } from '../events.ts';
import { CANCELLED_BY_USER } from '../tracking/runLifecycle.ts';
import type { TrackingRepo } from '../tracking/trackingRepo.ts';
import {
  type ContainerFile,
  listContainerFiles,
  openContainerFile,
  readSlice,
  readTextStart,
} from './containerFiles.ts';
import { followLogs, noteInRunLog, runDirs, samplePeakMemory } from './containerRun.ts';
import { type ParsedPoint, parseMetricLines } from './metricParsers.ts';
import { RegexMetrics } from './metricRegex.ts';
import type { LogLine, ResumePoint } from './runLogs.ts';

const FLUSH_MS = 150;
/** Lines per flush sent live; the rest of a flood is on disk and counted as dropped. */
const LIVE_LINES_PER_FLUSH = 500;
const TAIL_FOR_REASON = 5;
/** metrics.jsonl is read this much at a time: each read is a few milliseconds of the main thread. */
const METRICS_CHUNK = 4 * 1024 * 1024;
/** A metrics line longer than this is skipped and counted, not held while its end is awaited. */
const MAX_METRIC_LINE = 1024 * 1024;
/** How much of metrics.jsonl is read after the container has exited, past what was read before. */
const FINAL_METRICS_BYTES = 2 * 1024 ** 3;
/** How much of the failure file is read; the reason keeps 4000 characters of it. */
const FAILURE_BYTES = 16 * 1024;
/** How many of the outputs left out the end-of-run note names. */
const REFUSED_NAMED = 20;

/** What an output the container left cannot be read as: "a symbolic link", "a named pipe"… */
function unreadable(err: unknown): string {
  if (err instanceof WorkbenchError)
    return (err.details as { what?: string } | undefined)?.what ?? err.message;
  return `unreadable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
}

/** Text a container wrote, fit to store and print: no terminal escapes or control characters. */
function printable(text: string): string {
  return text
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '')
    .replace(/\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?/g, '')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '')
    .trim();
}

export interface FollowerDeps {
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
  /** Inside a metrics line too long to keep: what is read is dropped up to its newline. */
  private skippingLine = false;
  /** Outputs already said, in the run's log, to be unreadable. */
  private noted = new Set<string>();
  /** Keys metrics.jsonl has given: for those the file is the source, and regex matches are dropped. */
  private fileKeys = new Set<string>();
  private regexKeys = new Set<string>();

  constructor(
    private readonly d: FollowerDeps,
    private readonly runId: string,
    readonly container: Docker.Container,
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
    const stopMemory = samplePeakMemory(this.container);
    const flusher = setInterval(() => this.flush(dirs.output), FLUSH_MS);
    try {
      const regex = await RegexMetrics.compile(spec.metrics, steps);
      // Only a run recorded before RE2 can hold such a regex: recipes are refused at load.
      for (const why of regex.refused) this.noteOnce(why, `This run does not use its recipe's ${why}`);
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
      clearInterval(flusher);
      this.flush(dirs.output);
      await this.drainMetrics(dirs.output);
      if (regex.skippedLines)
        noteInRunLog(
          this.d,
          this.runId,
          `${regex.skippedLines} log lines were not matched against the recipe's metric regexes: matching them took too long. Simplify the regexes, or write the metrics to metrics.jsonl.`,
        );
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
    const offset = this.d.tracking.metricsOffset(this.runId);
    if (!offset) return;
    let file: ContainerFile | undefined;
    try {
      file = openContainerFile(outputDir, 'metrics.jsonl');
      if (!file) return;
      const buf = readSlice(file, 0, Math.min(offset, 64 * 1024 * 1024));
      for (const p of parseMetricLines(buf.toString('utf8')).points) this.fileKeys.add(p.key);
    } catch {
      // not readable: nothing to learn (reading on says why)
    } finally {
      file?.close();
    }
  }

  /** Where regex steps left off before a restart, so steps keep counting up. */
  private regexSteps(spec: RunSpec): Record<string, number> {
    const out: Record<string, number> = {};
    for (const m of spec.metrics) {
      const max = this.d.tracking.lastStep(this.runId, m.key);
      if (max !== null) out[m.key] = max + 1;
    }
    return out;
  }

  private flush(outputDir: string): void {
    this.readMetricsFile(outputDir);
    this.storePoints();
    if (this.pendingLines.length) {
      const live = this.pendingLines.slice(-LIVE_LINES_PER_FLUSH);
      const dropped = this.pendingLines.length - live.length;
      this.droppedLines += dropped;
      this.pendingLines = [];
      this.d.events.emit('run.log', { run: this.runId, lines: live, dropped });
    }
  }

  /**
   * Reads metrics.jsonl on from the stored offset, at most METRICS_CHUNK: complete lines only —
   * and, `atEnd` (the writer has exited), a last line without its newline. Returns the bytes it
   * moved on by.
   */
  private readMetricsFile(outputDir: string, atEnd = false): number {
    let file: ContainerFile | undefined;
    try {
      file = openContainerFile(outputDir, 'metrics.jsonl');
    } catch (err) {
      this.noteOnce(
        'metrics.jsonl',
        `/workbench/output/metrics.jsonl is ${unreadable(err)}: it is not read. Write metrics as lines of a regular file.`,
      );
      return 0;
    }
    if (!file) return 0;
    try {
      const offset = this.d.tracking.metricsOffset(this.runId);
      const buf = readSlice(file, offset, METRICS_CHUNK);
      if (buf.length === 0) return 0;
      let start = 0;
      if (this.skippingLine) {
        const nl = buf.indexOf(0x0a);
        start = nl < 0 ? buf.length : nl + 1;
        this.skippingLine = nl < 0;
      }
      // Lines are cut on bytes, so a character split across two reads is never mangled.
      const end = Math.max(start, buf.lastIndexOf(0x0a) + 1);
      const { points, skipped: bad } = parseMetricLines(buf.toString('utf8', start, end));
      let skipped = bad;
      let consumed = end;
      const partial = buf.length - end;
      if (partial >= MAX_METRIC_LINE) {
        skipped++;
        this.skippingLine = true;
        consumed = buf.length;
      } else if (partial > 0 && atEnd && offset + buf.length >= file.size) {
        const last = parseMetricLines(`${buf.toString('utf8', end)}\n`);
        points.push(...last.points);
        skipped += last.skipped;
        consumed = buf.length;
      }
      this.adoptFileKeys(points);
      this.pendingPoints.push(...points);
      this.skipped += skipped;
      this.d.tracking.advanceMetricsOffset(this.runId, offset + consumed, skipped);
      return consumed;
    } catch (err) {
      this.noteOnce(
        'metrics.jsonl',
        `/workbench/output/metrics.jsonl could not be read: ${unreadable(err)}.`,
      );
      return 0;
    } finally {
      file.close();
    }
  }

  /**
   * After the container has exited: the rest of metrics.jsonl, a chunk at a time with the event
   * loop let go between chunks, up to FINAL_METRICS_BYTES.
   */
  private async drainMetrics(outputDir: string): Promise<void> {
    let left = FINAL_METRICS_BYTES;
    for (;;) {
      const n = this.readMetricsFile(outputDir, true);
      this.storePoints();
      if (n === 0) return;
      left -= n;
      if (left <= 0) {
        this.noteOnce(
          'metrics.jsonl',
          `metrics.jsonl holds more than ${FINAL_METRICS_BYTES / 1024 ** 3} GiB not read when the run ended; the rest is not read.`,
        );
        return;
      }
      await new Promise((r) => setImmediate(r));
    }
  }

  private noteOnce(what: string, text: string): void {
    if (this.noted.has(what)) return;
    this.noted.add(what);
    noteInRunLog(this.d, this.runId, text);
  }

  private storePoints(): void {
    if (!this.pendingPoints.length) return;
    this.d.tracking.logMetrics(this.runId, this.pendingPoints);
    this.pendingPoints = [];
    this.d.events.changed(entities.runMetrics(this.runId));
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
    const exitCode = typeof state.ExitCode === 'number' ? state.ExitCode : null;
    let failure = '';
    let failureUnread = '';
    try {
      failure = printable(readTextStart(outputDir, 'failure', FAILURE_BYTES) ?? '').slice(0, 4000);
    } catch (err) {
      failureUnread = ` (Its /workbench/output/failure was not read: it is ${unreadable(err)}.)`;
    }
    this.noteLeftOut(outputDir);
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
      reason =
        failure || printable(`The command exited with code ${exitCode ?? 'unknown'}.${last}${failureUnread}`);
    }
    this.d.tracking.lifecycle.endRunning(this.runId, { status, exitCode, reason, peakMemory: peak });
    await this.container.remove({ force: true }).catch(() => {});
    this.d.events.changed(entities.runs, entities.run(this.runId));
  }

  /** Says in the run's log which of its outputs are not kept as artifacts (links, pipes…), and why. */
  private noteLeftOut(outputDir: string): void {
    let refused: { path: string; what: string }[];
    try {
      refused = listContainerFiles(outputDir).refused.filter((r) => !this.noted.has(r.path));
    } catch {
      return;
    }
    if (!refused.length) return;
    const named = refused.slice(0, REFUSED_NAMED).map((r) => `${r.path} (${r.what})`);
    if (refused.length > REFUSED_NAMED) named.push(`and ${refused.length - REFUSED_NAMED} more`);
    noteInRunLog(
      this.d,
      this.runId,
      `Left out of this run's outputs, since only regular files are kept: ${printable(named.join(', '))}.`,
    );
  }
}
